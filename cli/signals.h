/*
 * signals.h - how a live capture is stopped: SIGINT and SIGTERM ask for a
 * clean stop (summaries, counters, exit 0); SIGPIPE is ignored so that a
 * closed output pipe is a write error the program notices, not a death
 * that loses the -w file's last records.
 *
 * SIGINT and SIGTERM stay blocked except while the capture loop waits in
 * pselect with signals_wait_mask(): a signal can then only arrive where the
 * loop looks for it, never between its check and the wait.
 */
#ifndef MQTTKA_CLI_SIGNALS_H
#define MQTTKA_CLI_SIGNALS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

/* Installs the handlers and blocks SIGINT/SIGTERM. Returns false with the
 * reason in `err`. */
bool signals_install(char *err, size_t err_size);

/* The mask to wait with: the one before signals_install. */
const sigset_t *signals_wait_mask(void);

/* The stopping signal received, or 0. */
int signals_stop_requested(void);

/* Unblocks SIGINT/SIGTERM once the loop is over: the first one (if the loop
 * ended otherwise) only sets the flag; a second Ctrl-C while the summaries
 * are printed ends the program at once. */
void signals_unblock(void);

#endif

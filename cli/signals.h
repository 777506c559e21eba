/*
 * signals.h - how a live capture is stopped: SIGINT and SIGTERM ask for a
 * clean stop (summaries, counters, exit 0); a second one, while the first is
 * being honoured or while a write is stuck on a full pipe, ends the program
 * at once, as it would have without a handler. SIGPIPE is ignored so that a
 * closed output pipe is a write error the program notices, not a death that
 * loses the -w file's last records.
 *
 * With --report, SIGUSR1 asks for the report to be written now (a snapshot,
 * the capture going on); it wakes the wait as a stop signal does.
 *
 * The stop signals are let in everywhere (SA_RESTART, so a write that they
 * interrupt goes on), and are blocked only around the loop's last look at
 * the flag and its wait: signals_wait() lets them in atomically inside
 * pselect, so one cannot slip between the look and the wait.
 */
#ifndef MQTTKA_CLI_SIGNALS_H
#define MQTTKA_CLI_SIGNALS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Installs the handlers (SIGUSR1's only when `report_on_usr1`). Returns
 * false with the reason in `err`. */
bool signals_install(bool report_on_usr1, char *err, size_t err_size);

/* The stopping signal received, or 0. */
int signals_stop_requested(void);

/* True once after each SIGUSR1 (or several that came together). */
bool signals_take_report_request(void);

/*
 * Waits until `fd` is readable, `timeout` passes or a stop signal or
 * SIGUSR1 comes, unless one came already. Returns 1 readable, 0 timeout or signal, -1 an
 * error (errno says which).
 */
int signals_wait(int fd, const struct timespec *timeout);

#endif

/*
 * signals.c - a stop flag set by SIGINT/SIGTERM, read by the capture loop.
 */
#include "signals.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t stop_signal = 0;
static sigset_t wait_mask;

/* The first stop signal asks for a clean stop; a second one, while the
 * summaries are being printed, ends the program at once as it would have
 * without a handler. Both calls are async-signal-safe. */
static void on_stop_signal(int signo)
{
    if (stop_signal) {
        (void)signal(signo, SIG_DFL);
        (void)raise(signo);
        return;
    }
    stop_signal = signo;
}

bool signals_install(char *err, size_t err_size)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: pselect must return with EINTR to see the flag. */
    sa.sa_flags = 0;
    struct sigaction ignore;
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);

    sigset_t stops;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0 ||
        sigaction(SIGPIPE, &ignore, NULL) != 0 ||
        sigprocmask(SIG_BLOCK, &stops, &wait_mask) != 0) {
        snprintf(err, err_size, "cannot set up signal handling: %s", strerror(errno));
        return false;
    }
    /* Whatever the parent blocked, the wait must let the stop signals in. */
    sigdelset(&wait_mask, SIGINT);
    sigdelset(&wait_mask, SIGTERM);
    return true;
}

const sigset_t *signals_wait_mask(void)
{
    return &wait_mask;
}

int signals_stop_requested(void)
{
    return stop_signal;
}

void signals_unblock(void)
{
    sigset_t stops;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    (void)sigprocmask(SIG_UNBLOCK, &stops, NULL);
}

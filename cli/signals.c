/*
 * signals.c - a stop flag set by SIGINT/SIGTERM, read by the capture loop,
 * and the loop's race-free wait.
 */
#include "signals.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>

static volatile sig_atomic_t stop_signal = 0;
static volatile sig_atomic_t report_signal = 0;

/* The first stop signal asks for a clean stop; a second one ends the
 * program at once. Both calls are async-signal-safe. */
static void on_stop_signal(int signo)
{
    if (stop_signal) {
        (void)signal(signo, SIG_DFL);
        (void)raise(signo);
        return;
    }
    stop_signal = signo;
}

static void on_report_signal(int signo)
{
    (void)signo;
    report_signal = 1;
}

/* The signals that end a wait: the stop signals, and SIGUSR1. */
static void stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGUSR1);
}

bool signals_install(bool report_on_usr1, char *err, size_t err_size)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    /* Writes go on after the handler; pselect returns EINTR all the same
     * (Linux never restarts it), and its timeout bounds the wait anyway. */
    sa.sa_flags = SA_RESTART;
    struct sigaction ignore;
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);

    struct sigaction usr1;
    memset(&usr1, 0, sizeof usr1);
    usr1.sa_handler = on_report_signal;
    sigemptyset(&usr1.sa_mask);
    usr1.sa_flags = SA_RESTART;

    sigset_t stops, current;
    stop_signals(&stops);
    if (!report_on_usr1)
        sigdelset(&stops, SIGUSR1); /* its default action stays: it ends the program */
    /* A shell may start us with them blocked: let them in. */
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0 ||
        sigaction(SIGPIPE, &ignore, NULL) != 0 ||
        (report_on_usr1 && sigaction(SIGUSR1, &usr1, NULL) != 0) ||
        sigprocmask(SIG_UNBLOCK, &stops, &current) != 0) {
        snprintf(err, err_size, "cannot set up signal handling: %s", strerror(errno));
        return false;
    }
    return true;
}

int signals_stop_requested(void)
{
    return stop_signal;
}

bool signals_take_report_request(void)
{
    if (!report_signal)
        return false;
    report_signal = 0;
    return true;
}

int signals_wait(int fd, const struct timespec *timeout)
{
    sigset_t stops, outside;
    stop_signals(&stops);
    if (sigprocmask(SIG_BLOCK, &stops, &outside) != 0)
        return -1;
    int rc = 0;
    if (!stop_signal && !report_signal) {
        /* Inside pselect the mask is the one outside, stop signals let in. */
        fd_set readable;
        FD_ZERO(&readable);
        FD_SET(fd, &readable);
        rc = pselect(fd + 1, &readable, NULL, NULL, timeout, &outside);
        if (rc < 0 && errno == EINTR)
            rc = 0;
    }
    int saved = errno;
    (void)sigprocmask(SIG_SETMASK, &outside, NULL);
    errno = saved;
    return rc < 0 ? -1 : rc > 0 ? 1 : 0;
}

/*
 * peak_rss.c - runs a command and reports its peak resident set size.
 *
 *   peak_rss REPORT_FILE COMMAND [ARG...]
 *
 * Writes the child's ru_maxrss (KiB, from wait4) to REPORT_FILE and exits
 * with the child's exit status (128 + signal if it was killed). The child is
 * forked from this small process rather than from the Python test runner:
 * ru_maxrss survives exec, so a child forked from a 15 MiB interpreter
 * would report at least 15 MiB whatever it used.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: peak_rss REPORT_FILE COMMAND [ARG...]\n");
        return 125;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("peak_rss: fork");
        return 125;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "peak_rss: %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("peak_rss: wait4");
            return 125;
        }
    }
    FILE *report = fopen(argv[1], "w");
    if (!report || fprintf(report, "%ld\n", ru.ru_maxrss) < 0 || fclose(report) != 0) {
        perror("peak_rss: report");
        return 125;
    }
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

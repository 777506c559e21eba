/*
 * event_log.h - the tests' one text form of the core's events.
 *
 * Every test that watches mqttka_event's writes them with this logger, one
 * line per event, in one format, so that an expected log reads the same in
 * every test and a change of format is made in one place:
 *
 *   [TAG] #ID DIR handshake status=101 upgraded=1 path="/mqtt"
 *   [TAG] #ID DIR ws ping len=2                 (close: ... code=1000)
 *   [TAG] #ID DIR CONNECT level=4 ka=5 clean=1 id="x"  (id=(none): the body
 *                                                       ends before it)
 *   [TAG] #ID DIR CONNACK code=0 ska=-1
 *   [TAG] #ID DIR PINGREQ silence=5.000         (client packets)
 *   [TAG] #ID DIR PINGRESP rtt=0.001 pair=7
 *   [TAG] #ID DIR DISCONNECT reason=0x8d        (MQTT 5)
 *   [TAG] #ID DIR finding KIND SEVERITY about=TAG value=1.500
 *   [TAG] #ID summary CLIENT -> SERVER TRANSPORT v=3.1.1 ka=5 ska=-1 kae=5
 *         pingreq=2 pingresp=2 unanswered=0 close=SIDE/MECHANISM
 *         [ws_close=1000 "reason"] [disconnect=0x8d] verdict=VERDICT
 *         id="" sub="mqtt" ext=""                 (one line)
 *
 * TAG is the event's frame (0: at the end of input or from a tick), ID the
 * connection, DIR C>S or S>C. A finding's value= is there only when it has
 * one; a finding known at another frame than its event's (never expected)
 * would add reported=TAG. Times are seconds with three decimals.
 *
 * With `details` set, each finding line ends with its detail text in quotes
 * and each summary with its verdict's: for tests of a cap, which assert
 * which cap was hit; rule tests leave the prose out.
 */
#ifndef MQTTKA_TEST_EVENT_LOG_H
#define MQTTKA_TEST_EVENT_LOG_H

#include "mqttka.h"

#include <stdbool.h>
#include <stddef.h>

#define EVENT_LOG_MAX 65536

typedef struct event_log {
    char text[EVENT_LOG_MAX]; /* NUL-terminated */
    size_t len;
    bool details;
    /* Set when a line did not fit: the log is cut, and no test may pass on it. */
    bool overflow;
    /* Findings reported with a severity above their kind's in the core's
     * table (mqttka_finding_severity), which front ends register from. */
    unsigned severity_over_table;
} event_log;

/* Empties *l and sets whether details are written. */
void event_log_reset(event_log *l, bool details);

/* An mqttka_event_fn: appends the event's line to the event_log that
 * `user_data` points to. */
void event_log_on_event(void *user_data, const mqttka_event *ev);

/* Writes the event's line, with its newline, into buf (NUL-terminated,
 * cut to `size`). Returns the length the whole line has, as snprintf. */
size_t event_log_format(const mqttka_event *ev, bool details, char *buf, size_t size);

/* The log written since *mark, and *mark moved to its end: what one step
 * of a test added. */
const char *event_log_since(const event_log *l, size_t *mark);

/* Checks on a log, for files that include test_harness.h (they count in
 * its th_passed / th_failed): a text the log holds, one it must not hold. */
#define LOG_HAS(log, s)                                                                        \
    do {                                                                                       \
        if (!(log).overflow && strstr((log).text, (s))) {                                      \
            th_passed++;                                                                       \
        } else {                                                                               \
            th_failed++;                                                                       \
            fprintf(stderr, "%s:%d: log lacks \"%s\"%s:\n%s", __FILE__, __LINE__, (s),         \
                    (log).overflow ? " (log overflowed)" : "", (log).text);                    \
        }                                                                                      \
    } while (0)

#define LOG_LACKS(log, s)                                                                      \
    do {                                                                                       \
        if (!(log).overflow && !strstr((log).text, (s))) {                                     \
            th_passed++;                                                                       \
        } else {                                                                               \
            th_failed++;                                                                       \
            fprintf(stderr, "%s:%d: log has \"%s\"%s:\n%s", __FILE__, __LINE__, (s),           \
                    (log).overflow ? " (log overflowed)" : "", (log).text);                    \
        }                                                                                      \
    } while (0)

#endif

/*
 * metrics.h - live monitoring: `mqttka -i IFACE --metrics ADDR:PORT` serves
 * the Prometheus text exposition format (version 0.0.4) at /metrics, with
 * libmicrohttpd's own thread answering the scrapes.
 *
 * The capture loop counts into the metrics under a mutex (one short lock per
 * core event: live traffic is thousands of events a second at most, an
 * uncontended lock tens of nanoseconds); a scrape takes the lock only to
 * copy the counters, and writes the page from its copy, so that a slow
 * scraper never holds up the capture, and a page is one consistent moment.
 *
 * Metrics (every counter since mqttka started):
 *   mqttka_connections_open                    gauge: MQTT connections open now
 *   mqttka_connections_total                   connections seen to start
 *   mqttka_connections_closed_total{verdict}   connections ended, by verdict
 *   mqttka_findings_total{kind,severity}       findings reported
 *   mqttka_pingreq_total, mqttka_pingresp_total  client PINGREQs, server PINGRESPs
 *   mqttka_pingreq_unanswered_total            from the summaries of ended connections
 *   mqttka_ping_rtt_seconds                    histogram of ping round trips
 *   mqttka_connects_total                      CONNECT packets
 *   mqttka_client_reconnects_total{client_id[,client_addr]}
 *   mqttka_client_reconnects_other_total
 *
 * A reconnect is a CONNECT whose client id (for an empty id, the client's
 * address) an earlier CONNECT of this run had. Label cardinality is
 * bounded: the first N client ids to reconnect (--metrics-clients) get a
 * series each, kept for the run; the reconnects of all others go to
 * mqttka_client_reconnects_other_total. (A "top N" whose members changed
 * would make counters go backwards, which Prometheus reads as resets.) The
 * ids remembered for "seen before" are bounded too (METRICS_SEEN_MAX).
 *
 * Until the core delivers per-client events, reconnects are counted from
 * the CONNECT events; that is the place to change when they come.
 */
#ifndef MQTTKA_CLI_METRICS_H
#define MQTTKA_CLI_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "mqttka.h"

/* Distinct client ids remembered to tell a reconnect from a first
 * connect: a fleet of more clients than this undercounts reconnects. */
#define METRICS_SEEN_MAX 65536

typedef struct metrics metrics;

/* Starts the HTTP server on `listen` ("127.0.0.1:9464", "[::1]:9464";
 * port 0 picks a free one) with series for at most `max_clients` client
 * ids. Returns NULL and a message in `err` on failure. On success says on
 * stderr where it serves. */
metrics *metrics_start(const char *listen, unsigned max_clients, char *err, size_t err_size);

/* Stops the server and frees everything; NULL after. */
void metrics_stop(metrics **m);

/* Counts one core event. `first` is true at the first event of its
 * connection (mqttka_connections_open goes up). */
void metrics_note_event(metrics *m, const mqttka_event *ev, bool first);

#endif

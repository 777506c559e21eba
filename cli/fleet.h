/*
 * fleet.h - the fleet summary at the end of every run, built in the CLI
 * from what the core reports: the connection summaries (verdicts,
 * transports and versions, keepalives in use, the worst clients) and every
 * ping pair's round trip (the MQTT PINGRESP events).
 *
 * Memory is bounded whatever the capture holds:
 *  - RTTs go into a fixed log-linear histogram (FLEET_RTT_BUCKETS counters
 *    over microseconds: exact up to 31 us, then 32 buckets per power of
 *    two), so a percentile is the upper edge of its bucket, capped at the
 *    exact maximum: at most 1/32 (3.2 %) above the true value, never below.
 *  - keepalive values: the first FLEET_KEEPALIVES_MAX distinct ones are
 *    counted each, the rest together as "other";
 *  - clients: the per-client table (clients.h), capped by --max-clients;
 *    its worst rows are the fleet's worst clients.
 */
#ifndef MQTTKA_CLI_FLEET_H
#define MQTTKA_CLI_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clients.h"
#include "conn_table.h"
#include "mqttka.h"

#define FLEET_RTT_EXACT 32                 /* 0..31 us each their own bucket */
#define FLEET_RTT_SUB 32                   /* buckets per power of two above */
#define FLEET_RTT_BUCKETS (FLEET_RTT_EXACT + (63 - 5) * FLEET_RTT_SUB)
#define FLEET_KEEPALIVES_MAX 16
#define FLEET_WORST_CLIENTS 10

/* MQTT levels by index: unknown, 3.1, 3.1.1, 5.0. */
#define FLEET_VERSIONS 4

typedef struct fleet_keepalive {
    int32_t value;
    uint64_t connections;
} fleet_keepalive;

typedef struct fleet {
    uint64_t connections;
    uint64_t verdicts[MQTTKA_V_COUNT];
    uint64_t transports[2][FLEET_VERSIONS]; /* [mqttka_transport][version index] */

    fleet_keepalive keepalives[FLEET_KEEPALIVES_MAX];
    size_t n_keepalives;
    uint64_t keepalive_other, keepalive_unknown;

    uint64_t rtt_buckets[FLEET_RTT_BUCKETS];
    uint64_t rtt_count;
    mqttka_time rtt_min, rtt_max;

    client_table clients;   /* the per-client view */
} fleet;

void fleet_init(fleet *f, size_t max_clients);
void fleet_free(fleet *f);

/* One ping pair's round trip (a PINGRESP's rtt), in microseconds. */
void fleet_note_rtt(fleet *f, mqttka_time rtt);

/* One ended connection: its summary, and the CLI's entry for it (its
 * grouped findings; NULL when there is none). */
void fleet_note_connection(fleet *f, const mqttka_summary *s, const mqttka_connection *c,
                           const conn_entry *e);

/* The RTT at percentile `p` (0 < p <= 100) by nearest rank, from the
 * histogram: the upper edge of its bucket, at most the maximum. Needs
 * rtt_count > 0. */
mqttka_time fleet_rtt_percentile(const fleet *f, unsigned p);

/* The version index of an MQTT level, and the name of an index. */
size_t fleet_version_index(uint8_t mqtt_level);
const char *fleet_version_name(size_t index);

/* Connections of one transport (0 TCP, 1 WebSocket), all versions. */
uint64_t fleet_transport_total(const fleet *f, int transport);

/* The keepalives in use, most connections first (then the smaller value);
 * at most FLEET_KEEPALIVES_MAX into `out`. Returns how many. */
size_t fleet_keepalives_sorted(const fleet *f, fleet_keepalive *out);

#endif

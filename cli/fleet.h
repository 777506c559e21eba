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
 *  - clients: at most FLEET_CLIENTS_MAX are tracked (by client id, or by
 *    address when the id is empty or unknown); connections of clients past
 *    that are counted in clients_untracked.
 *
 * The clients come from the connection summaries for now. When the core
 * delivers its per-client aggregation as an event, fleet_note_client is
 * where it goes (and fleet_note_connection stops feeding clients).
 */
#ifndef MQTTKA_CLI_FLEET_H
#define MQTTKA_CLI_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn_table.h"
#include "mqttka.h"

#define FLEET_RTT_EXACT 32                 /* 0..31 us each their own bucket */
#define FLEET_RTT_SUB 32                   /* buckets per power of two above */
#define FLEET_RTT_BUCKETS (FLEET_RTT_EXACT + (63 - 5) * FLEET_RTT_SUB)
#define FLEET_KEEPALIVES_MAX 16
#define FLEET_CLIENTS_MAX 1024
#define FLEET_WORST_CLIENTS 10

/* MQTT levels by index: unknown, 3.1, 3.1.1, 5.0. */
#define FLEET_VERSIONS 4

typedef struct fleet_keepalive {
    int32_t value;
    uint64_t connections;
} fleet_keepalive;

typedef struct fleet_client {
    char key[MQTTKA_CLIENT_ID_SIZE]; /* the client id, or the address */
    bool by_address;                 /* the id was empty or unknown */
    uint64_t connections, errors, warnings;
    uint64_t verdicts[MQTTKA_V_COUNT];
} fleet_client;

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

    fleet_client *clients;  /* open addressing on the key; FLEET_CLIENTS_MAX * 2 slots */
    size_t n_clients;
    uint64_t clients_untracked; /* connections of clients past the cap */
} fleet;

void fleet_init(fleet *f);
void fleet_free(fleet *f);

/* One ping pair's round trip (a PINGRESP's rtt), in microseconds. */
void fleet_note_rtt(fleet *f, mqttka_time rtt);

/* One ended connection: its summary, and the CLI's entry for it (its
 * grouped findings; NULL when there is none). */
void fleet_note_connection(fleet *f, const mqttka_summary *s, const mqttka_connection *c,
                           const conn_entry *e);

/* One client's figures, added to its row (the place for the core's coming
 * per-client events). */
void fleet_note_client(fleet *f, const char *key, bool by_address, uint64_t connections,
                       uint64_t errors, uint64_t warnings, const uint64_t verdicts[MQTTKA_V_COUNT]);

/* The RTT at percentile `p` (0 < p <= 100) by nearest rank, from the
 * histogram: the upper edge of its bucket, at most the maximum. Needs
 * rtt_count > 0. */
mqttka_time fleet_rtt_percentile(const fleet *f, unsigned p);

/* The version index of an MQTT level. */
size_t fleet_version_index(uint8_t mqtt_level);

/* The worst clients, at most `max` of them into `out` (pointers into f),
 * worst first: by errors, then warnings, then connections, then key. Only
 * clients with an error, a warning or more than one connection are worst.
 * Returns how many. */
size_t fleet_worst_clients(const fleet *f, const fleet_client **out, size_t max);

/* The keepalives in use, most connections first (then the smaller value);
 * at most FLEET_KEEPALIVES_MAX into `out`. Returns how many. */
size_t fleet_keepalives_sorted(const fleet *f, fleet_keepalive *out);

#endif

/*
 * clients.h - the per-client view (issue 14): what each client did over
 * the whole run, built in the CLI from the connection summaries the core
 * reports. A client is its MQTT client id; a connection whose id is empty
 * or unknown (no CONNECT seen) stands for its client's IP address instead.
 *
 * Each row counts the client's connections, their verdicts and findings by
 * kind, its first connection's start, its last one's end and its longest
 * connection. The verdicts and finding kinds are whatever the core reports
 * (mqttka_verdict_name, mqttka_finding_name): a new one needs nothing
 * here.
 *
 * Memory is bounded: at most `max_clients` rows (--max-clients), each
 * sizeof(client_rec) bytes (CLIENT_REC_BYTES: 296 on x86-64) in a dense
 * array grown by half (never past the cap), found through an index of
 * 4-byte slots, a power of two at least twice the rows: 300 to 460 bytes
 * per client kept, nothing per connection. Connections of
 * clients past the cap are counted in `untracked_connections`, never lost
 * silently. Keys are the core's client ids, at most 47 bytes.
 */
#ifndef MQTTKA_CLI_CLIENTS_H
#define MQTTKA_CLI_CLIENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn_table.h"
#include "mqttka.h"

/* --max-clients: a fleet of ten thousand devices fits by default; a
 * million rows is a few hundred MB, the most we accept. */
#define CLIENTS_MAX_DEFAULT 10000
#define CLIENTS_MAX_LIMIT 1000000
/* --client-rows: rows of the text table (JSON has every client). */
#define CLIENT_ROWS_DEFAULT 20

typedef struct client_rec {
    char key[MQTTKA_CLIENT_ID_SIZE]; /* the client id, or the address */
    bool by_address;                 /* the id was empty or unknown */
    uint64_t connections;
    uint64_t errors, warnings;       /* findings of those severities */
    mqttka_time first;               /* the earliest connection start */
    mqttka_time last;                /* the latest connection end */
    mqttka_time longest;             /* the longest connection (end - start) */
    uint64_t verdicts[MQTTKA_V_COUNT];
    uint32_t findings[MQTTKA_F_COUNT]; /* by kind; pingresp_rtt not counted */
} client_rec;

#define CLIENT_REC_BYTES sizeof(client_rec)

typedef struct client_table {
    client_rec *rows;        /* dense, in order of first sight; cap_rows allocated */
    size_t n, cap_rows;      /* rows in use, rows allocated */
    uint32_t *index;         /* open addressing, linear probing: row + 1, 0 free */
    size_t capacity;         /* slots in the index: a power of two, or 0 */
    size_t max;              /* the cap on n */
    uint64_t untracked_connections; /* of clients past the cap (or out of memory) */
} client_table;

void client_table_init(client_table *t, size_t max_clients);
void client_table_free(client_table *t);

/* One ended connection: its summary, the connection, and the CLI's entry for
 * it (its grouped findings; NULL when there is none). */
void client_table_note(client_table *t, const mqttka_summary *s, const mqttka_connection *c,
                       const conn_entry *e);

/* Connections after the client's first: each is a reconnect. */
uint64_t client_rec_reconnects(const client_rec *r);

/* Any error or warning, or more than one connection. */
bool client_rec_troubled(const client_rec *r);

/* Worse first: by errors, then warnings, then connections, ids before
 * addresses, then key. */
int client_rec_compare(const client_rec *a, const client_rec *b);

/* Every row, worst first: a new array of t->n pointers into t (the caller
 * frees it). *out is NULL when there are none or memory runs out; returns
 * how many. */
size_t client_table_sorted(const client_table *t, const client_rec ***out);

/* The `max` worst troubled rows into `out`, worst first. Returns how many. */
size_t client_table_worst(const client_table *t, const client_rec **out, size_t max);

/* The first `max` rows of client_table_sorted's order into `out` (the same
 * rows in the same order: keys are unique, the order total), without
 * sorting the rest: each row is compared with the last kept, but one that
 * gets in moves up to `max` others, so this is for a few rows
 * (CLIENT_ROWS_SELECT_MAX). Returns how many. */
size_t client_table_first(const client_table *t, const client_rec **out, size_t max);
/* The most rows client_table_first is used for: the text table by default
 * shows CLIENT_ROWS_DEFAULT. */
#define CLIENT_ROWS_SELECT_MAX 64

#endif

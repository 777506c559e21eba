/*
 * between.h - what the rules between connections remember of client ids
 * and client addresses (docs/FINDINGS.md "Between connections"): which
 * connection presented a client id last, and when (session_taken_over),
 * and how fast an id or an address opens connections (reconnect_storm).
 *
 * A leaf beside session and emit: negotiation tells it each CONNECT, the
 * verdict each close and each connection's end; it calls no stage of the
 * pipeline. The table is the analyzer's (one per analyzer), lent to the
 * rules through rule_ctx.
 *
 * Memory: entries of 40 bytes in an open-addressed table of at most
 * mqttka_config.max_client_ids entries (the slots a power of two, at most
 * three quarters used: at most 2^ceil(log2(4/3 x max)) x 40 bytes, 5 MiB
 * for the default 65536), grown by doubling from 64 slots as ids come.
 * Nothing is sized from the wire: a client id is hashed, never kept.
 */
#ifndef MQTTKA_BETWEEN_H
#define MQTTKA_BETWEEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emit.h"
#include "mqttka.h"
#include "session.h"

/* One client id at one server address, or one client address at one
 * server address (for connections with an empty or fresh random id). */
typedef struct id_entry {
    uint64_t key;               /* client_key_*; 0: a free slot */
    mqttka_time last_connect;   /* the latest CONNECT's time */
    mqttka_time run_start;      /* the first CONNECT of the current run (storms) */
    uint32_t last_conn;         /* the connection that sent it (its id, saturated) */
    uint16_t run_count;         /* CONNECTs since run_start, saturated */
    uint16_t open;              /* address entries: connections open now */
    /* how the run's connections ended, for the storm's cause (saturated) */
    uint8_t closes, taken_over, refused, timeouts, client_closes;
    uint8_t flags;              /* CLIENT_* */
} id_entry;

#define CLIENT_STORM_TOLD 1u    /* this storm was reported */

typedef struct id_table {
    id_entry *slots;
    size_t n_slots;             /* 0 or a power of two */
    size_t count;
    size_t cap;                 /* mqttka_config.max_client_ids */
    size_t evict_cursor;
    uint64_t forgotten;         /* entries dropped for the cap */
    bool full_told;             /* the cap was reported (resource_limit) */
} id_table;

void id_table_init(id_table *t, size_t cap);
void id_table_free(id_table *t);

/* The key of a client id (`len` bytes) at a server address, and of a
 * client address at a server address; never 0. */
uint64_t client_key_id(const char *id, size_t len, const mqttka_endpoint *server);
uint64_t client_key_addr(const mqttka_endpoint *client, const mqttka_endpoint *server);

/* The entry of `key`, or NULL. */
id_entry *id_table_find(id_table *t, uint64_t key);

/* The entry of `key`, made (zeroed, key set) when new: *made says so. When
 * the table is at its cap, the entry with the oldest CONNECT among a sample
 * is forgotten first (*forgot says so). NULL only when out of memory. */
id_entry *id_table_get(id_table *t, uint64_t key, bool *made, bool *forgot);

/* ---------------------------------------------------------- the rules -- */

/* The first CONNECT of `s`, now: remembered under its client id (and its
 * client address); reports reconnect_storm when it makes one. */
void between_on_connect(const rule_ctx *at, session *s);

/* The server closed `s` first (FIN, RST, WebSocket Close) or sent it
 * DISCONNECT 0x8E, now: the connection that presented its client id at
 * the same server within takeover_window before, if a later one did
 * (session_taken_over), with the time of its CONNECT in *connect_ts;
 * else 0. */
uint64_t between_taker(const rule_ctx *at, const session *s, mqttka_time *connect_ts);

/* The first close of `s`: it is no longer open at its client address. */
void between_on_close(const rule_ctx *at, session *s);

/* The first close of `s`, by `side`, bare (`explained` false: no
 * DISCONNECT, refusal or takeover): counted toward a mass close of its
 * server address by that side; reports mass_close once per burst. */
void between_on_bare_close(const rule_ctx *at, session *s, mqttka_side side,
                           mqttka_close_mechanism how);

/* `s` ended with verdict `v`: counted toward the cause of its id's (or
 * address's) storm. */
void between_on_verdict(const rule_ctx *at, session *s, mqttka_verdict v);

#endif

/*
 * between.c - the rules between connections (docs/FINDINGS.md "Between
 * connections") and the table they remember client ids in.
 *
 * Takeover: MQTT 3.1.1 MQTT-3.1.4-2 and 5.0 MQTT-3.1.4-3: when a client
 * connects with the client id of a connection the server already has, the
 * server must close that older connection (5.0: after a DISCONNECT with
 * reason 0x8E Session taken over, which mosquitto 2.0.11 and aedes never
 * send: they close bare). So a server close of a connection that comes
 * within takeover_window after a newer connection to the same server
 * address presented the same client id is that takeover.
 *
 * Storms: one client id (or one client address, for connections with an
 * empty client id or a fresh one while nothing else from that address is
 * open: a client that makes up a random id each time) opening
 * storm_connections or more connections within storm_window of the first
 * of them. Told once per storm: until its connections stop coming for a
 * whole storm_window.
 *
 * The table: open addressing with linear probing over 64-bit keys (a hash
 * of the id or address and the server's address; the id itself is not
 * kept), backward-shift deletion when an entry is forgotten for the cap.
 */
#include "between.h"

#include <stdlib.h>
#include <string.h>

#include "core_time.h"
#include "text_format.h"

/* Entries looked at to choose the one to forget when the table is full. */
#define CLIENT_EVICT_SAMPLE 16
#define CLIENT_MIN_SLOTS 64

void id_table_init(id_table *t, size_t cap)
{
    memset(t, 0, sizeof *t);
    t->cap = cap;
}

void id_table_free(id_table *t)
{
    free(t->slots);
    memset(t, 0, sizeof *t);
}

/* FNV-1a, 64 bits: keys are compared whole, so a collision of two ids at
 * one server (one in 2^64 per pair) would join them. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* The server's address without its port: a broker's listeners (TCP,
 * WebSocket) share its sessions. */
static uint64_t fnv_addr(uint64_t h, const mqttka_endpoint *e)
{
    h = fnv(h, &e->family, 1);
    return fnv(h, e->addr, e->family == 6 ? 16 : 4);
}

static uint64_t nonzero(uint64_t h) { return h ? h : 1; }

uint64_t client_key_id(const char *id, size_t len, const mqttka_endpoint *server)
{
    uint64_t h = fnv(1469598103934665603ull, "i", 1);
    h = fnv(h, id, len);
    return nonzero(fnv_addr(h, server));
}

/* Closes by one side of the connections to one server address. */
static uint64_t client_key_closes(const mqttka_endpoint *server, mqttka_side side)
{
    uint8_t who = (uint8_t)side;
    uint64_t h = fnv(1469598103934665603ull, "m", 1);
    h = fnv(h, &who, 1);
    return nonzero(fnv_addr(h, server));
}

uint64_t client_key_addr(const mqttka_endpoint *client, const mqttka_endpoint *server)
{
    uint64_t h = fnv(1469598103934665603ull, "a", 1);
    h = fnv_addr(h, client);
    return nonzero(fnv_addr(h, server));
}

static size_t slot_of(const id_table *t, uint64_t key)
{
    /* the high bits: FNV's low bits are its weakest */
    return (size_t)((key ^ (key >> 29)) * 0x9E3779B97F4A7C15ull >> 17) & (t->n_slots - 1);
}

id_entry *id_table_find(id_table *t, uint64_t key)
{
    if (!t->n_slots)
        return NULL;
    for (size_t i = slot_of(t, key);; i = (i + 1) & (t->n_slots - 1)) {
        if (t->slots[i].key == key)
            return &t->slots[i];
        if (t->slots[i].key == 0)
            return NULL;
    }
}

static void put(id_table *t, const id_entry *e)
{
    size_t i = slot_of(t, e->key);
    while (t->slots[i].key)
        i = (i + 1) & (t->n_slots - 1);
    t->slots[i] = *e;
}

/* The slots the cap needs at three quarters full at most. */
static size_t slots_for_cap(size_t cap)
{
    size_t n = CLIENT_MIN_SLOTS;
    while (n / 4 * 3 < cap && n < ((size_t)1 << (sizeof(size_t) * 8 - 2)))
        n *= 2;
    return n;
}

static bool grow(id_table *t)
{
    size_t n = t->n_slots ? t->n_slots * 2 : CLIENT_MIN_SLOTS;
    if (n > slots_for_cap(t->cap) || n > SIZE_MAX / sizeof(id_entry))
        return false;
    id_entry *old = t->slots, *fresh = calloc(n, sizeof *fresh);
    if (!fresh)
        return false;
    size_t old_n = t->n_slots;
    t->slots = fresh;
    t->n_slots = n;
    for (size_t i = 0; i < old_n; i++)
        if (old[i].key)
            put(t, &old[i]);
    free(old);
    return true;
}

/* Removes slot i, moving later entries of its run back (linear probing's
 * deletion: no tombstones, so lookups stay short). */
static void remove_slot(id_table *t, size_t i)
{
    size_t mask = t->n_slots - 1;
    for (size_t j = (i + 1) & mask; t->slots[j].key; j = (j + 1) & mask) {
        size_t home = slot_of(t, t->slots[j].key);
        /* j's entry may move to i when i lies cyclically in [home, j) */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            t->slots[i] = t->slots[j];
            i = j;
        }
    }
    memset(&t->slots[i], 0, sizeof t->slots[i]);
    t->count--;
}

/* Forgets the entry whose last CONNECT is oldest among a sample. */
static void forget_one(id_table *t)
{
    size_t best = SIZE_MAX, seen = 0;
    for (size_t k = 0; k < t->n_slots && seen < CLIENT_EVICT_SAMPLE; k++) {
        size_t i = (t->evict_cursor + k) & (t->n_slots - 1);
        if (!t->slots[i].key)
            continue;
        seen++;
        if (best == SIZE_MAX || t->slots[i].last_connect < t->slots[best].last_connect)
            best = i;
    }
    if (best == SIZE_MAX)
        return;
    t->evict_cursor = (best + 1) & (t->n_slots - 1);
    remove_slot(t, best);
    t->forgotten++;
}

id_entry *id_table_get(id_table *t, uint64_t key, bool *made, bool *forgot)
{
    *made = *forgot = false;
    id_entry *e = id_table_find(t, key);
    if (e)
        return e;
    if (t->cap == 0)
        return NULL;
    if (t->count >= t->cap) {
        forget_one(t);
        *forgot = true;
    } else if (t->count + 1 > t->n_slots / 4 * 3 && !grow(t)) {
        if (!t->n_slots)
            return NULL;
        forget_one(t); /* out of memory: forget one rather than fill up */
        *forgot = true;
    }
    id_entry fresh;
    memset(&fresh, 0, sizeof fresh);
    fresh.key = key;
    put(t, &fresh);
    t->count++;
    *made = true;
    return id_table_find(t, key);
}

/* ------------------------------------------------------------ the rules -- */

static id_table *table_of(const rule_ctx *at) { return at->clients; }

static uint32_t conn_number(const session *s)
{
    return s->conn.id > UINT32_MAX ? UINT32_MAX : (uint32_t)s->conn.id;
}

static uint64_t id_key(const session *s)
{
    return client_key_id(s->conn.client_id, strlen(s->conn.client_id), &s->conn.server);
}

static uint64_t addr_key(const session *s)
{
    return client_key_addr(&s->conn.client, &s->conn.server);
}

/* "127.0.0.1", "[::1]": an endpoint's address without its port. */
static void host_text(const mqttka_endpoint *e, char *buf, size_t size)
{
    mqttka_endpoint h = *e;
    h.port = 0;
    mqttka_endpoint_format(&h, buf, size);
    size_t n = strlen(buf);
    if (n >= 2 && buf[n - 2] == ':' && buf[n - 1] == '0')
        buf[n - 2] = '\0';
}

static uint8_t add_sat8(uint8_t v) { return v < UINT8_MAX ? (uint8_t)(v + 1) : v; }

/* What most of a run's closes say of why it reconnects. */
static const char *storm_cause(const id_entry *e)
{
    if (e->closes == 0)
        return "cause unknown yet";
    if (e->taken_over * 2 > e->closes)
        return "cause: takeover ping-pong";
    if (e->refused * 2 > e->closes)
        return "cause: refused by CONNACK";
    if (e->timeouts * 2 > e->closes)
        return "cause: keepalive/CONNACK timeouts";
    if (e->client_closes * 2 > e->closes)
        return "cause: the client closes them (exits?)";
    return "no one cause";
}

/* One more connection of entry e now: a new run, or one more of it; tells
 * the storm once. */
static void count_run(const rule_ctx *at, session *s, id_entry *e, bool made,
                      const char *who)
{
    mqttka_time window = at->cfg->storm_window;
    if (made || at->ts - e->run_start > window) {
        /* A storm lasts while its connections keep coming within a
         * window of each other. */
        if (made || at->ts - e->last_connect > window)
            e->flags &= (uint8_t)~CLIENT_STORM_TOLD;
        e->run_start = at->ts;
        e->run_count = 0;
        e->closes = e->taken_over = e->refused = e->timeouts = e->client_closes = 0;
    }
    if (e->run_count < UINT16_MAX)
        e->run_count++;
    e->last_connect = at->ts;
    if (at->cfg->storm_connections == 0 || e->run_count < at->cfg->storm_connections ||
        (e->flags & CLIENT_STORM_TOLD))
        return;
    e->flags |= CLIENT_STORM_TOLD;
    mqttka_time span = at->ts - e->run_start;
    double rate = span > 0 ? (e->run_count - 1) / us_to_s(span) : 0;
    char server[64];
    host_text(&s->conn.server, server, sizeof server);
    emit_finding(at, s, MQTTKA_F_RECONNECT_STORM, MQTTKA_C2S, 0, true, rate,
                 "%s: %u connections in %.1f s (%.2f/s) to %s; %s (%u closed)", who,
                 (unsigned)e->run_count, us_to_s(span), rate, server, storm_cause(e),
                 (unsigned)e->closes);
}

/* The table is at its cap: said once per analyzer. */
static void tell_forgotten(const rule_ctx *at, session *s, bool forgot)
{
    id_table *t = table_of(at);
    if (!forgot || t->full_told)
        return;
    t->full_told = true;
    emit_finding(at, s, MQTTKA_F_RESOURCE_LIMIT, MQTTKA_C2S, 0, false, 0,
                 "client id table full (%zu): the least recent forgotten; their takeovers and "
                 "storms go unseen",
                 t->cap);
}

void between_on_connect(const rule_ctx *at, session *s)
{
    id_table *t = table_of(at);
    if (!t || !s->confirmed)
        return;
    bool made, forgot;
    bool has_id = s->conn.client_id[0] != '\0';
    bool fresh_id = false;
    if (has_id) {
        id_entry *e = id_table_get(t, id_key(s), &made, &forgot);
        tell_forgotten(at, s, forgot);
        if (e) {
            fresh_id = made;
            e->last_conn = conn_number(s);
            char who[80];
            text_format(who, sizeof who, "client id \"%s\"", s->conn.client_id);
            count_run(at, s, e, made, who);
        }
    }
    id_entry *a = id_table_get(t, addr_key(s), &made, &forgot);
    tell_forgotten(at, s, forgot);
    if (!a)
        return;
    /* An empty id, or a new one while nothing else is open from there (a
     * client making up a random id each time it starts): counted by
     * address. */
    bool by_addr = !has_id || (fresh_id && a->open == 0);
    if (a->open < UINT16_MAX)
        a->open++;
    s->between_flags |= BETWEEN_OPEN;
    if (by_addr) {
        s->between_flags |= BETWEEN_BY_ADDR;
        char who[112], addr[64];
        host_text(&s->conn.client, addr, sizeof addr);
        text_format(who, sizeof who, "client address %s (%s)", addr,
                    has_id ? "new id each time" : "empty ids");
        count_run(at, s, a, made, who);
    } else if (made) {
        a->last_connect = at->ts; /* for the choice of one to forget */
    }
}

uint64_t between_taker(const rule_ctx *at, const session *s, mqttka_time *connect_ts)
{
    id_table *t = table_of(at);
    if (!t || !s->conn.client_id[0])
        return 0;
    const id_entry *e = id_table_find(t, id_key(s));
    if (!e || e->last_conn <= conn_number(s) || at->ts < e->last_connect ||
        at->ts - e->last_connect > at->cfg->takeover_window)
        return 0;
    *connect_ts = e->last_connect;
    return e->last_conn;
}

void between_on_close(const rule_ctx *at, session *s)
{
    id_table *t = table_of(at);
    if (!t || !(s->between_flags & BETWEEN_OPEN))
        return;
    s->between_flags &= (uint8_t)~BETWEEN_OPEN;
    id_entry *a = id_table_find(t, addr_key(s));
    if (a && a->open)
        a->open--;
}

void between_on_verdict(const rule_ctx *at, session *s, mqttka_verdict v)
{
    id_table *t = table_of(at);
    between_on_close(at, s);
    if (!t)
        return;
    id_entry *e = NULL;
    if (s->between_flags & BETWEEN_BY_ADDR)
        e = id_table_find(t, addr_key(s));
    else if (s->conn.client_id[0])
        e = id_table_find(t, id_key(s));
    if (!e)
        return;
    e->closes = add_sat8(e->closes);
    if (v == MQTTKA_V_SESSION_TAKEN_OVER)
        e->taken_over = add_sat8(e->taken_over);
    else if (v == MQTTKA_V_CONNECT_REFUSED)
        e->refused = add_sat8(e->refused);
    else if (v == MQTTKA_V_SERVER_CLOSED_KEEPALIVE || v == MQTTKA_V_CLIENT_CLOSED_MISSING_PINGRESP ||
             s->kind_emitted[MQTTKA_F_CONNACK_MISSING])
        e->timeouts = add_sat8(e->timeouts);
    else if (v == MQTTKA_V_CLIENT_CLOSED)
        e->client_closes = add_sat8(e->client_closes);
}

/* Closes by one side of the connections to one server address that had
 * been idle for the same time (in quarter seconds, rounded): a proxy's or
 * broker's idle timeout cuts each connection at its own moment, but every
 * one at the same age. */
static uint64_t client_key_idle(const mqttka_endpoint *server, mqttka_side side, uint32_t quarters)
{
    uint8_t who = (uint8_t)side;
    uint64_t h = fnv(1469598103934665603ull, "s", 1);
    h = fnv(h, &who, 1);
    h = fnv(h, &quarters, sizeof quarters);
    return nonzero(fnv_addr(h, server));
}

/* Counts one close in the run of e, which began no longer than window
 * before; connections opened since the run began are churn (a client that
 * reconnects at once and fails again), which a busy broker has at any
 * moment: they start no run of their own while one runs, and do not count
 * in it. True when this close makes the run worth telling, once a run:
 * mass_close_connections closes, spread over more than min_span. */
static bool count_close(const rule_ctx *at, const session *s, id_entry *e, bool made,
                        mqttka_time window, mqttka_time min_span)
{
    if (made || at->ts - e->run_start > window) {
        e->run_start = at->ts;
        e->run_count = 0;
        e->flags &= (uint8_t)~CLIENT_STORM_TOLD;
    } else if (s->conn.start >= e->run_start) {
        return false;
    }
    if (e->run_count < UINT16_MAX)
        e->run_count++;
    e->last_connect = at->ts;
    if (e->run_count < at->cfg->mass_close_connections || (e->flags & CLIENT_STORM_TOLD) ||
        at->ts - e->run_start <= min_span)
        return false;
    e->flags |= CLIENT_STORM_TOLD;
    return true;
}

static const char *side_name(mqttka_side side)
{
    return side == MQTTKA_SIDE_SERVER ? "server" : "client";
}

/* A burst: closes within mass_close_window of the first. */
static bool burst_rule(const rule_ctx *at, session *s, mqttka_side side,
                       mqttka_close_mechanism how)
{
    bool made, forgot;
    id_entry *e = id_table_get(table_of(at), client_key_closes(&s->conn.server, side), &made, &forgot);
    tell_forgotten(at, s, forgot);
    if (!e || !count_close(at, s, e, made, at->cfg->mass_close_window, -1))
        return false;
    char server[64];
    host_text(&s->conn.server, server, sizeof server);
    emit_finding(at, s, MQTTKA_F_MASS_CLOSE, side == MQTTKA_SIDE_SERVER ? MQTTKA_S2C : MQTTKA_C2S,
                 0, true, e->run_count,
                 "at least %u connections to %s closed by the %s (%s) within %.3f s: %s?",
                 (unsigned)e->run_count, server, side_name(side),
                 mqttka_close_mechanism_name(how), us_to_s(at->ts - e->run_start),
                 side == MQTTKA_SIDE_SERVER ? "a broker restart or a proxy's idle sweep"
                                            : "a client host or proxy going away");
    return true;
}

/* An idle sweep: closes of connections idle for the same time, each within
 * that time of the run's first close (a sweep's closes spread over as long
 * as the connections' last packets did), told when they spread over more
 * than mass_close_window (closer together, they are the burst rule's, which
 * a broker restart of connections made together would otherwise trip
 * twice). Only connections cut while idle for less than their effective
 * keepalive (or with none known): a client that pings on time is never
 * idle that long, so nothing but an idle timeout cut it. */
static void idle_sweep_rule(const rule_ctx *at, session *s, mqttka_side side,
                            mqttka_close_mechanism how)
{
    if (s->last_data_ts == MQTTKA_TIME_NONE)
        return;
    mqttka_time idle = time_since(s->last_data_ts, at->ts);
    int32_t ka = s->conn.effective_keepalive;
    if (idle < SECONDS(1) || (ka > 0 && idle >= SECONDS(ka)))
        return;
    uint32_t quarters = (uint32_t)((idle + SECONDS(1) / 8) / (SECONDS(1) / 4));
    bool made, forgot;
    id_entry *e = id_table_get(table_of(at), client_key_idle(&s->conn.server, side, quarters),
                               &made, &forgot);
    tell_forgotten(at, s, forgot);
    if (!e || !count_close(at, s, e, made, idle, at->cfg->mass_close_window))
        return;
    char server[64];
    host_text(&s->conn.server, server, sizeof server);
    emit_finding(at, s, MQTTKA_F_MASS_CLOSE, side == MQTTKA_SIDE_SERVER ? MQTTKA_S2C : MQTTKA_C2S,
                 0, true, e->run_count,
                 "at least %u connections to %s closed by the %s (%s), each after %.2f s idle, "
                 "within %.3f s: an idle timeout (a proxy's or the broker's)?",
                 (unsigned)e->run_count, server, side_name(side),
                 mqttka_close_mechanism_name(how), quarters / 4.0,
                 us_to_s(at->ts - e->run_start));
}

/* A close the keepalive rules explain: a PINGREQ waits for its PINGRESP
 * (the client may give up on it), or the client has been silent for 1.5
 * times its keepalive (the server must close: MQTT-3.1.2-24). A broker
 * sweeping its overdue clients closes several at once; that is no mass
 * close but each one's keepalive verdict. */
static bool keepalive_explains(const rule_ctx *at, const session *s)
{
    int32_t ka = s->conn.effective_keepalive;
    return s->pingq_len > 0 || (ka > 0 && s->last_client_ts != MQTTKA_TIME_NONE &&
                                at->ts - s->last_client_ts >= SECONDS(ka) * 3 / 2);
}

void between_on_bare_close(const rule_ctx *at, session *s, mqttka_side side,
                           mqttka_close_mechanism how)
{
    if (!table_of(at) || !s->confirmed || at->cfg->mass_close_connections == 0 ||
        keepalive_explains(at, s))
        return;
    if (!burst_rule(at, s, side, how))
        idle_sweep_rule(at, s, side, how);
}

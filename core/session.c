/*
 * session.c - making, filling and freeing a session (session.h).
 */
#include "session.h"

#include <stdlib.h>
#include <string.h>

void session_pools_init(session_pools *p)
{
    /* The pools want a size that is a multiple of the alignment, which the
     * _Alignas members make it. */
    _Static_assert(sizeof(session) % SESSION_ALIGN == 0, "session size");
    _Static_assert(sizeof(ws_session) % SESSION_ALIGN == 0, "ws_session size");
    _Static_assert(SESSION_ALIGN == BLOCK_POOL_ALIGN, "session alignment");
    _Static_assert(sizeof(stored_finding) % 8 == 0, "stored_finding: blocks aligned to 8");
    block_pool_init(&p->tcp, sizeof(session));
    block_pool_init(&p->websocket, sizeof(ws_session));
    block_pool_init(&p->one_finding, sizeof(stored_finding));
}

void session_pools_free(session_pools *p)
{
    block_pool_free(&p->tcp);
    block_pool_free(&p->websocket);
    block_pool_free(&p->one_finding);
}

session *session_new(session_pools *p, mqttka_transport transport, const session_origin *o)
{
    bool websocket = transport == MQTTKA_TRANSPORT_WEBSOCKET;
    size_t size = websocket ? sizeof(ws_session) : sizeof(session);
    session *s = block_pool_get(websocket ? &p->websocket : &p->tcp);
    if (!s)
        return NULL;
    memset(s, 0, size);
    s->conn.client_id = s->conn.ws_subprotocol = s->conn.ws_extensions = "";
    s->conn.client = o->client;
    s->conn.server = o->server;
    s->conn.transport = transport;
    s->conn.keepalive = s->conn.server_keepalive = s->conn.effective_keepalive = -1;
    s->conn.keepalive_inferred = -1;
    s->conn.start_seen = o->start_seen;
    s->dirs_seen = o->dirs_seen;
    s->conn.start = o->first_ts;
    s->conn.end = o->last_ts;
    s->conn.first_tag = o->first_tag;
    s->last_client_ts = MQTTKA_TIME_NONE;
    s->max_client_silence = MQTTKA_TIME_NONE;
    s->last_data_ts = MQTTKA_TIME_NONE;
    mqtt_stream_init(&s->dirs[0].mqtt, o->max_mqtt_kept_bytes);
    mqtt_stream_init(&s->dirs[1].mqtt, o->max_mqtt_kept_bytes);
    return s;
}

void session_free(session_pools *p, text_pool *texts, session *s)
{
    if (!s)
        return;
    mqtt_stream_free(&s->dirs[0].mqtt);
    mqtt_stream_free(&s->dirs[1].mqtt);
    bool websocket = s->conn.transport == MQTTKA_TRANSPORT_WEBSOCKET;
    if (websocket) {
        ws_decoder_free(session_ws(s, MQTTKA_C2S));
        ws_decoder_free(session_ws(s, MQTTKA_S2C));
    }
    /* The handshake's and the verdict's records are single allocations. */
    if (s->ws_deflate && s->ws_slot.deflate) {
        ws_deflate_state *d = s->ws_slot.deflate;
        free(d->pending);
        ws_inflater_free(&d->inflate[MQTTKA_C2S]);
        ws_inflater_free(&d->inflate[MQTTKA_S2C]);
        free(d);
    } else {
        free(s->ws_slot.pending); /* NULL when joined after the 101 */
    }
    free(s->end);
    free(s->rtt_ring);
    free(s->rare);
    if (s->conn.client_id[0] && s->conn.client_id != s->client_id_short)
        free((void *)(uintptr_t)s->conn.client_id); /* made by session_set_client_id */
    if (s->conn.ws_subprotocol[0])
        text_pool_release(texts, s->conn.ws_subprotocol);
    if (s->conn.ws_extensions[0])
        text_pool_release(texts, s->conn.ws_extensions);
    for (size_t i = 0; i < s->n_findings; i++)
        text_pool_release(texts, s->findings[i].detail);
    if (s->cap_findings == 1)
        block_pool_put(&p->one_finding, s->findings);
    else
        free(s->findings);
    block_pool_put(websocket ? &p->websocket : &p->tcp, s);
}

void session_set_client_id(session *s, const char *client_id)
{
    size_t len = strlen(client_id);
    if (len > MQTTKA_CLIENT_ID_SIZE - 1)
        len = MQTTKA_CLIENT_ID_SIZE - 1;
    if (s->conn.client_id[0] || !len)
        return;
    char *copy = len < sizeof s->client_id_short ? s->client_id_short : malloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, client_id, len);
    copy[len] = '\0';
    s->conn.client_id = copy;
}

session_rare *session_rare_of(session *s)
{
    if (!s->rare)
        s->rare = calloc(1, sizeof *s->rare);
    return s->rare;
}

/* Room for `cap` kept findings, the ones kept so far moved there: a block
 * of the pool for the first, an array of malloc's from the second on. */
static stored_finding *findings_grow(session_pools *p, session *s, size_t cap)
{
    if (s->cap_findings == 0)
        return block_pool_get(&p->one_finding); /* cap is 1 */
    if (s->cap_findings > 1)
        return realloc(s->findings, cap * sizeof *s->findings);
    stored_finding *nf = malloc(cap * sizeof *nf);
    if (nf) {
        nf[0] = s->findings[0];
        block_pool_put(&p->one_finding, s->findings);
    }
    return nf;
}

void session_keep_finding(session_pools *p, session *s, const mqttka_finding *f, text_pool *texts,
                          size_t max)
{
    if (s->n_findings >= max) {
        s->findings_omitted++;
        return;
    }
    if (s->n_findings == s->cap_findings) {
        /* Most connections keep one or two findings: grow from one. */
        size_t cap = s->cap_findings ? s->cap_findings * 2 : 1;
        if (cap > max)
            cap = max;
        stored_finding *nf = findings_grow(p, s, cap);
        if (!nf) {
            s->findings_omitted++;
            return;
        }
        s->findings = nf;
        /* No more findings than FINDINGS_PER_KIND_MAX of each kind are ever
         * emitted (session.h), so the count fits. */
        s->cap_findings = (uint16_t)cap;
    }
    const char *detail = text_pool_hold(texts, f->detail);
    if (!detail) {
        s->findings_omitted++;
        return;
    }
    s->findings[s->n_findings++] = (stored_finding){
        .ts = f->ts,
        .tag = f->tag,
        .reported_tag = f->reported_tag,
        .value = f->value,
        .detail = detail,
        .kind = (uint8_t)f->kind,
        .severity = (uint8_t)f->severity,
        .dir = (uint8_t)f->dir,
        .has_value = f->has_value,
    };
}

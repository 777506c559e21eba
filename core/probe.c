/*
 * probe.c - finding MQTT in a flow whose framing is not known (probe.h).
 */
#include "probe.h"

#include <stdlib.h>
#include <string.h>

#include "boundary.h"

struct probe {
    uint32_t segments;   /* segments with data looked at */
    uint8_t run;         /* proofs in a row, of `transport` */
    uint8_t transport;   /* 0 none yet, else 1 + mqttka_transport */
    int8_t client_side;  /* what the proving run says; -1 nothing yet */
    bool tls;
    /* the proving run's segments */
    uint8_t n_kept;
    size_t kept_bytes;   /* drawn from the caller's buffered-bytes budget */
    probe_segment kept[PROBE_KEEP];
    uint8_t *buf;        /* PROBE_KEEP_BYTES, made at the first proof */
};

/* The side that sent a proof, if the proof says which one a client is. */
static int client_side_of(const boundary_proof *proof, mqttka_transport transport, int side)
{
    if (transport == MQTTKA_TRANSPORT_WEBSOCKET)
        return proof->masked ? side : 1 - side;
    bool client = (proof->types & BOUNDARY_CLIENT_TYPES) != 0;
    bool server = (proof->types & BOUNDARY_SERVER_TYPES) != 0;
    if (client == server)
        return client ? -2 : -1; /* -2: both, which no real side sends */
    return client ? side : 1 - side;
}

/* Starts the run over: nothing of it stands. */
static void run_reset(probe *p, size_t *buffered)
{
    p->run = 0;
    p->transport = 0;
    p->client_side = -1;
    p->n_kept = 0;
    *buffered -= p->kept_bytes;
    p->kept_bytes = 0;
}

static void keep(probe *p, int side, const uint8_t *bytes, size_t len, mqttka_time ts,
                 uint64_t tag, size_t *buffered, size_t max_buffered)
{
    if (p->n_kept == PROBE_KEEP || len > PROBE_KEEP_BYTES - p->kept_bytes)
        return;
    if (*buffered > max_buffered || len > max_buffered - *buffered)
        return;
    if (!p->buf && !(p->buf = malloc(PROBE_KEEP_BYTES)))
        return;
    uint8_t *at = p->buf + p->kept_bytes;
    memcpy(at, bytes, len);
    p->kept[p->n_kept++] = (probe_segment){side, ts, tag, at, len};
    p->kept_bytes += len;
    *buffered += len;
}

/* Tries the segment as both transports: the one it proves (WebSocket
 * first, whose proof is the stronger), or 0. */
static int prove(const uint8_t *bytes, size_t len, boundary_proof *proof)
{
    if (boundary_websocket(bytes, len, -1, true, 0, proof) && proof->packets)
        return 1 + MQTTKA_TRANSPORT_WEBSOCKET;
    if (boundary_mqtt(bytes, len, 0, proof))
        return 1 + MQTTKA_TRANSPORT_TCP;
    /* Only WebSocket control frames, or compressed ones: the framing holds,
     * but nothing says it carries MQTT. Neither for nor against. */
    if (boundary_websocket(bytes, len, -1, true, 0, proof))
        return -1;
    return 0;
}

probe_result probe_push(probe **pp, int side, int client_side, const uint8_t *bytes, size_t len,
                        mqttka_time ts, uint64_t tag, size_t *buffered, size_t max_buffered,
                        probe_decision *out)
{
    if (!len)
        return PROBE_WAIT;
    probe *p = *pp;
    if (!p) {
        if (!(p = *pp = calloc(1, sizeof *p)))
            return PROBE_NOT_MQTT;
        p->client_side = -1;
    }
    if (p->segments == 0 && boundary_looks_like_tls(bytes, len))
        p->tls = true;
    if (p->tls || ++p->segments > PROBE_MAX_SEGMENTS)
        return PROBE_NOT_MQTT;

    boundary_proof proof;
    int transport = prove(bytes, len, &proof);
    if (transport < 0)
        return PROBE_WAIT;
    int says = transport ? client_side_of(&proof, (mqttka_transport)(transport - 1), side) : -2;
    int known = p->client_side >= 0 ? p->client_side : client_side;
    if (transport == 0 || says == -2 || (says >= 0 && known >= 0 && says != known)) {
        run_reset(p, buffered);
        return PROBE_WAIT;
    }
    if (p->transport != transport) {
        run_reset(p, buffered);
        p->transport = (uint8_t)transport;
    }
    if (says >= 0)
        p->client_side = (int8_t)says;
    p->run++;
    mqttka_transport t = (mqttka_transport)(transport - 1);
    unsigned needed = t == MQTTKA_TRANSPORT_WEBSOCKET ? PROBE_RUN_WEBSOCKET : PROBE_RUN_TCP;
    if (p->run < needed) {
        keep(p, side, bytes, len, ts, tag, buffered, max_buffered);
        return PROBE_WAIT;
    }
    out->transport = t;
    out->client_side = p->client_side >= 0 ? p->client_side : client_side;
    return PROBE_MQTT;
}

bool probe_saw_tls(const probe *p)
{
    return p && p->tls;
}

bool probe_kept(const probe *p, size_t i, probe_segment *out)
{
    if (!p || i >= p->n_kept)
        return false;
    *out = p->kept[i];
    return true;
}

void probe_free(probe **pp, size_t *buffered)
{
    probe *p = *pp;
    if (!p)
        return;
    *buffered -= p->kept_bytes;
    free(p->buf);
    free(p);
    *pp = NULL;
}

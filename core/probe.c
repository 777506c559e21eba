/*
 * probe.c - finding MQTT in a flow whose framing is not known (probe.h).
 */
#include "probe.h"

#include <stdlib.h>

#include "boundary.h"

struct probe {
    uint32_t segments;   /* segments with data looked at */
    uint8_t run;         /* proofs in a row, of `transport` */
    uint8_t transport;   /* 0 none yet, else 1 + mqttka_transport */
    int8_t client_side;  /* what the proving run says; -1 nothing yet */
    bool tls;
    kept_segments kept;  /* the proving run's segments */
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
    kept_segments_clear(&p->kept, buffered);
}

/* Tries the segment as both transports: the one it proves (WebSocket
 * first, whose proof is the stronger), or 0. */
static int prove(const uint8_t *bytes, size_t len, boundary_proof *proof)
{
    if (boundary_websocket(bytes, len, -1, true, true, 0, proof) && proof->packets)
        return 1 + MQTTKA_TRANSPORT_WEBSOCKET;
    if (boundary_mqtt(bytes, len, 0, proof)) {
        /* SUBSCRIBE's first byte, 0x82, is also a WebSocket binary frame's
         * with FIN: an unmasked frame of under 126 bytes is one SUBSCRIBE
         * to the byte, whatever it carries. Segments of SUBSCRIBEs alone
         * are what the server of any WebSocket protocol sends: neither for
         * nor against (tests/adversarial: ws-binary-late). */
        if (proof->types == 1u << MQTTKA_MQTT_SUBSCRIBE)
            return -1;
        return 1 + MQTTKA_TRANSPORT_TCP;
    }
    /* Only WebSocket control frames, or compressed ones: the framing holds,
     * but nothing says it carries MQTT. Neither for nor against. */
    if (boundary_websocket(bytes, len, -1, true, true, 0, proof))
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
    if (transport < 0) {
        /* Neither for nor against, but a run under way keeps it (if room
         * is left for the proofs still to come), so that its packets are
         * decoded when the run proves: a SUBSCRIBE over TCP is one. */
        if (p->run) {
            unsigned needed = p->transport == 1 + MQTTKA_TRANSPORT_WEBSOCKET ? PROBE_RUN_WEBSOCKET
                                                                             : PROBE_RUN_TCP;
            if (p->kept.n + (needed - 1u - p->run) < KEPT_SEGMENTS)
                (void)kept_segments_add(&p->kept, side, ts, tag, bytes, len, buffered,
                                        max_buffered);
        }
        return PROBE_WAIT;
    }
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
        (void)kept_segments_add(&p->kept, side, ts, tag, bytes, len, buffered, max_buffered);
        return PROBE_WAIT;
    }
    out->transport = t;
    out->client_side = p->client_side >= 0 ? p->client_side : client_side;
    return PROBE_MQTT;
}

bool probe_partial(const probe *p, probe_decision *out)
{
    if (!p || p->tls || !p->run || !p->transport)
        return false;
    out->transport = (mqttka_transport)(p->transport - 1);
    out->client_side = p->client_side;
    return true;
}

bool probe_saw_tls(const probe *p)
{
    return p && p->tls;
}

const kept_segments *probe_kept(const probe *p)
{
    return p ? &p->kept : NULL;
}

void probe_free(probe **pp, size_t *buffered)
{
    probe *p = *pp;
    if (!p)
        return;
    kept_segments_free(&p->kept, buffered);
    free(p);
    *pp = NULL;
}

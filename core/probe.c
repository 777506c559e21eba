/*
 * probe.c - finding MQTT in a flow whose framing is not known (probe.h).
 */
#include "probe.h"

#include <stdlib.h>

#include "boundary.h"
#include "lone_packet.h"

struct probe {
    uint32_t segments;   /* segments with data looked at */
    uint8_t run;         /* proofs in a row, of `transport` */
    uint8_t transport;   /* 0 none yet, else 1 + mqttka_transport */
    int8_t client_side;  /* what the proving run says; -1 nothing yet */
    bool tls;
    uint32_t owed[2];     /* by side: bytes still to come of a packet that the side's
                             last segment began (MQTT over TCP), 0 none */
    uint16_t owed_types[2]; /* the types of the packets that chain began */
    bool owed_unkept[2];  /* by side: the open packet is a PUBLISH, whose body is
                             counted, not kept (kept_segment's skipped bytes) */
    boundary_head head[2]; /* by side: the fixed header its last segment ended inside
                              (MQTT over TCP; len 0 none), owed_types the chain's types */
    uint8_t proved_sides; /* bit per side: a proof of the run from it that is no echo */
    int8_t opening;       /* the side whose first segment opens its stream after a
                             CONNECT the capture missed (probe_opens_answer), else -1 */
    bool handshake_seen;  /* the flow's SYN or SYN-ACK was seen (probe_handshake_seen) */
    bool skipped_kept;    /* the run holds a segment of malformed packets (SEEN_SKIPPED) */
    bool gapped;          /* bytes of a side were lost (probe_gap) */
    int8_t lone;          /* the first segment's side when it is, whole, one PINGREQ
                             or DISCONNECT (lone_packet.h, probe_lone_packet), or the
                             last segment's when it is a DISCONNECT over TCP at a
                             packet boundary of its side; else -1 */
    uint8_t lone_type;    /* which of the two */
    uint32_t lone_at;     /* its number among the segments with data */
    uint8_t data_sides;   /* bit per side: it sent a segment with data */
    uint32_t in_run;      /* segments with data the run holds (kept, or counted as
                             body of a PUBLISH it keeps): all of them when this is
                             `segments` */
    mqttka_transport lone_transport;
    bool lone_ack_known;  /* the lone packet's sender's ACK then (probe_lone_ack) */
    uint32_t lone_ack;
    uint32_t proof_len[2];  /* by side: its last proof of the run (0 none), and a hash */
    uint64_t proof_hash[2]; /* of its bytes, to tell the other side's echo of it */
    kept_segments kept;  /* the proving run's segments */
};

/* How the segment prove() or continue_chain() just read is kept: its
 * bytes from skip_before on, kept_len of them, the rest counted only (the
 * body of a PUBLISH left open, which the decoder does not read either:
 * mqtt_decoder.h). `all_skipped`: the segment is all body of the side's
 * open PUBLISH, counted after the side's last kept segment. */
typedef struct seg_layout {
    size_t skip_before;
    size_t kept_len;
    bool all_skipped;
} seg_layout;

/* What prove() and continue_chain() find in a segment, besides a proof of
 * a transport (1 + mqttka_transport). */
enum {
    SEEN_NOTHING = 0,     /* against: the run starts over */
    SEEN_NEUTRAL = -1,    /* neither for nor against */
    SEEN_OPEN = -2,       /* MQTT over TCP up to a packet the segment does not finish */
    SEEN_CLOSED = -3,     /* the end of such a packet, exactly: for, but no proof */
    SEEN_NEUTRAL_TCP = -4, /* neutral, but whole MQTT packets over TCP (SUBSCRIBEs) */
    SEEN_SKIPPED = -5,    /* whole packets over TCP, some malformed as the decoder skips */
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
    p->owed[0] = p->owed[1] = 0;
    p->owed_types[0] = p->owed_types[1] = 0;
    p->owed_unkept[0] = p->owed_unkept[1] = false;
    p->head[0].len = p->head[1].len = 0;
    p->in_run = 0;
    p->proved_sides = 0;
    p->skipped_kept = false;
    p->proof_len[0] = p->proof_len[1] = 0;
    p->proof_hash[0] = p->proof_hash[1] = 0;
    kept_segments_clear(&p->kept, buffered);
}

/* Is the packet a segment leaves open (from `at` on in it) evidence
 * enough to follow into the side's next segments, and how is the segment
 * kept? Either of:
 *  - at least one whole packet before it, and at most KEPT_BYTES still to
 *    come (the rule from before the probe followed PUBLISHes it cannot
 *    keep: a segment that starts mid-packet reads as one header with a
 *    large length too often, boundary_mqtt_open);
 *  - a PUBLISH whose topic name is whole in the segment and reads as one
 *    (boundary_open.named), however long it declares itself.
 * What random bytes can fake with the second: a PUBLISH first byte (12 of
 * 256 values), a minimal Remaining Length, then a topic length whose name
 * fits in the segment and the Remaining Length, and as many bytes of
 * well-formed UTF-8 with no control character or wildcard: a few in a
 * million segments of random binary. ASCII text cannot: its two length
 * bytes declare a name of 8224 bytes or more, which a Remaining Length of
 * ASCII bytes (127 at most) cannot hold; UTF-8 text in segments of over
 * 8 kB can open such a packet, and no more. Neither rule makes a proof:
 * the open packet must end exactly at a later segment's end (SEEN_CLOSED:
 * the run goes on, with no proof) or be followed by whole packets to one
 * (a proof, as a segment of whole packets is): what
 * a declared length can fake is the one boundary it names, and the run
 * still needs as many proofs as before. A PUBLISH's body is counted, not
 * kept (the decoder reads none of it), so a length costs no memory. */
static bool open_followed(const boundary_proof *proof, const boundary_open *open, size_t at,
                          seg_layout *layout)
{
    bool publish = open->first_byte >> 4 == MQTTKA_MQTT_PUBLISH;
    if (!open->named && !(proof->packets >= 2 && open->owed <= KEPT_BYTES))
        return false;
    if (!publish && open->owed > KEPT_BYTES)
        return false; /* unreachable (named is a PUBLISH), but the body must be kept */
    if (publish)
        layout->kept_len = at + open->body_at - layout->skip_before;
    return true;
}

/* Tries the segment as both transports: the one it proves (WebSocket
 * first, whose proof is the stronger), or a SEEN_ value; SEEN_OPEN sets
 * *owed, *unkept and *layout, or *head (owed 0) when the segment ends
 * inside a fixed header. */
static int prove(const uint8_t *bytes, size_t len, boundary_proof *proof, uint32_t *owed,
                 bool *unkept, seg_layout *layout, boundary_head *head)
{
    *layout = (seg_layout){0, len, false}; /* kept whole, unless it leaves a PUBLISH open */
    if (boundary_websocket(bytes, len, -1, true, true, 0, proof) && proof->packets)
        return 1 + MQTTKA_TRANSPORT_WEBSOCKET;
    if (boundary_mqtt(bytes, len, 0, proof)) {
        /* SUBSCRIBE's first byte, 0x82, is also a WebSocket binary frame's
         * with FIN: an unmasked frame of under 126 bytes is one SUBSCRIBE
         * to the byte, whatever it carries. Segments of SUBSCRIBEs alone
         * are what the server of any WebSocket protocol sends: neither for
         * nor against (tests/adversarial: ws-binary-late). */
        if (proof->types == 1u << MQTTKA_MQTT_SUBSCRIBE)
            return SEEN_NEUTRAL_TCP;
        return 1 + MQTTKA_TRANSPORT_TCP;
    }
    /* Only WebSocket control frames, or compressed ones: the framing holds,
     * but nothing says it carries MQTT. Neither for nor against. */
    if (boundary_websocket(bytes, len, -1, true, true, 0, proof))
        return SEEN_NEUTRAL;
    if (boundary_mqtt_skippable(bytes, len, proof))
        return SEEN_SKIPPED;
    /* A segment the sender filled to its size: it ends inside a packet,
     * which the side's next segment must finish. */
    boundary_open open;
    if (boundary_mqtt_open_packet(bytes, len, 0, proof, &open) &&
        open_followed(proof, &open, 0, layout)) {
        *owed = open.owed;
        *unkept = open.first_byte >> 4 == MQTTKA_MQTT_PUBLISH;
        return SEEN_OPEN;
    }
    /* A segment that ends inside a fixed header, after whole packets or
     * as all of it (a CONNACK's first byte alone: suricata-verify's
     * mqtt-midstream-split): no evidence by itself, at most four bytes of
     * it; the side's next segment is read as if they began it, and must
     * make a proof of the two joined as strong as one of a segment. */
    if (boundary_mqtt_split(NULL, 0, bytes, len, 0, proof, head))
        return SEEN_OPEN;
    return SEEN_NOTHING;
}

/* The rest of a chain, from `at` in the segment on (after `pre_len`
 * bytes `pre`: the fixed header the side's last segment ended inside, when
 * any): whole packets to the segment's end (a proof of MQTT over TCP, with
 * the chain's `types`; `finished`: one more packet, before `at`, which the
 * segment finished), or whole packets up to one more left open, body or
 * header (SEEN_OPEN: the side's next segment goes on with it). Anything
 * else: SEEN_NOTHING. */
static int chain_rest(probe *p, int side, const uint8_t *pre, size_t pre_len, const uint8_t *bytes,
                      size_t at, size_t len, uint16_t types, bool finished, boundary_proof *proof,
                      seg_layout *layout)
{
    boundary_proof rest;
    boundary_open open;
    boundary_head head;
    if (boundary_mqtt_after(pre, pre_len, bytes + at, len - at, 0, &rest)) {
        *proof = rest;
        proof->types |= types;
        if (finished)
            proof->packets++;
        return 1 + MQTTKA_TRANSPORT_TCP;
    }
    if (boundary_mqtt_open_packet_after(pre, pre_len, bytes + at, len - at, 0, &rest, &open) &&
        open_followed(&rest, &open, at, layout)) {
        p->owed[side] = open.owed;
        p->owed_types[side] = (uint16_t)(types | rest.types);
        p->owed_unkept[side] = open.first_byte >> 4 == MQTTKA_MQTT_PUBLISH;
        return SEEN_OPEN;
    }
    if (boundary_mqtt_split(pre, pre_len, bytes + at, len - at, 0, &rest, &head)) {
        p->head[side] = head;
        p->owed_types[side] = (uint16_t)(types | rest.types);
        return SEEN_OPEN;
    }
    return SEEN_NOTHING;
}

/* A segment of a side whose previous segment left a packet open: its first
 * bytes finish that packet, or the fixed header it began, and the rest must
 * chain on (chain_rest). Anything else: SEEN_NOTHING. */
static int continue_chain(probe *p, int side, const uint8_t *bytes, size_t len,
                          boundary_proof *proof, seg_layout *layout)
{
    uint32_t owed = p->owed[side];
    uint16_t types = p->owed_types[side];
    bool unkept = p->owed_unkept[side];
    boundary_head head = p->head[side];
    p->owed[side] = 0;
    p->owed_types[side] = 0;
    p->owed_unkept[side] = false;
    p->head[side].len = 0;
    *layout = (seg_layout){0, len, false};
    if (head.len)
        return chain_rest(p, side, head.bytes, head.len, bytes, 0, len, types, false, proof,
                          layout);
    if (len < owed) {
        /* Whole packets by itself: the chain was misread (its start was
         * the middle of a packet); the caller starts over with this one. */
        if (boundary_mqtt(bytes, len, 0, proof))
            return SEEN_NOTHING;
        p->owed[side] = owed - (uint32_t)len;
        p->owed_types[side] = types;
        p->owed_unkept[side] = unkept;
        if (unkept)
            *layout = (seg_layout){len, 0, true};
        return SEEN_OPEN;
    }
    if (unkept)
        *layout = (seg_layout){owed, len - owed, false};
    if (len == owed)
        return SEEN_CLOSED;
    return chain_rest(p, side, NULL, 0, bytes, owed, len, types, true, proof, layout);
}

/* Keeps a segment of an unfinished chain (SEEN_OPEN, SEEN_CLOSED), if room
 * is left for it and the proofs still to come; false (the run given up)
 * when not: an unfinished chain that is not kept cannot be decoded. On the
 * MQTT port (`port_side` >= 0), the proofs still to come are counted as
 * PROBE_RUN_TCP_MQTT_PORT asks when this side's next proof would give the
 * run both sides' (the other side has one): if the run turns out to need
 * PROBE_RUN_TCP after all, the proof that finds no room gives it up then,
 * as this segment would have now. */
static bool keep_chain(probe *p, int side, int port_side, mqttka_time ts, uint64_t tag,
                       const uint8_t *bytes, size_t len, const seg_layout *layout,
                       size_t *buffered, size_t max_buffered)
{
    if (p->transport != 1 + MQTTKA_TRANSPORT_TCP) {
        uint32_t owed = p->owed[side];
        uint16_t types = p->owed_types[side];
        bool unkept = p->owed_unkept[side];
        boundary_head head = p->head[side];
        run_reset(p, buffered);
        p->transport = 1 + MQTTKA_TRANSPORT_TCP;
        p->owed[side] = owed;
        p->owed_types[side] = types;
        p->owed_unkept[side] = unkept;
        p->head[side] = head;
    }
    /* All body of the PUBLISH the side's last kept segment left open:
     * counted after it, in no place of its own (a PUBLISH of any size
     * spans two places: the segment it starts in, the one it ends in). */
    if (layout->all_skipped)
        return kept_segments_skip_more(&p->kept, side, len);
    unsigned needed = port_side >= 0 && (p->proved_sides | 1u << side) == 3u
                          ? PROBE_RUN_TCP_MQTT_PORT
                          : PROBE_RUN_TCP;
    unsigned still = needed > 1u + p->run ? needed - 1u - p->run : 0; /* proofs to keep after it */
    if (p->kept.n + 1u + still > KEPT_SEGMENTS ||
        !kept_segments_add_skipping(&p->kept, side, ts, tag, bytes, len, layout->skip_before,
                                    layout->kept_len, buffered, max_buffered))
        return false;
    return true;
}

int probe_mqtt_port_side(uint16_t port0, uint16_t port1)
{
    if ((port0 == PROBE_MQTT_PORT) == (port1 == PROBE_MQTT_PORT))
        return -1;
    return port0 == PROBE_MQTT_PORT ? 0 : 1;
}

/* MQTT packet types that either side sends (PUBLISH, PUBACK, PUBREC,
 * PUBREL, PUBCOMP, DISCONNECT, AUTH: MQTT 5.0 §2.1.2's direction of
 * flow), as bit masks of 1 << type; with BOUNDARY_CLIENT_TYPES or
 * BOUNDARY_SERVER_TYPES, all that a client or a server may send. */
#define BOTH_SIDES_TYPES 0xC0F8u

/* Does one segment prove a flow on the MQTT port by itself, as the
 * dissectors that decode the port by its number (Wireshark, Zeek) take it?
 * Only over TCP, with one endpoint on PROBE_MQTT_PORT and the other not
 * (`port_side`), for the first segment with data the probe sees from
 * `side` (`first_of_side`: a long flow of something else on the port gets
 * one such chance a direction, not one a segment), whole packets to its
 * end (boundary_mqtt: valid flags for each type), each of a type its
 * direction may send: a client's toward the port, a server's from it.
 * MQTT servers never speak first: when the flow's handshake was seen, the
 * server's first segment counts only after bytes of the client's, seen
 * (`client_seen`) or acknowledged by it as a CONNECT's worth
 * (`opening`, probe_opens_answer), and then only as a CONNACK
 * (MQTT-3.2.0-1: a server's first packet). `known`: the client side the
 * flow or the run already says, -1 none; it must be the other endpoint. */
static bool one_segment_proves(const probe *p, int side, int port_side, bool first_of_side,
                               bool client_seen, bool opening, int known, const uint8_t *bytes,
                               const boundary_proof *proof)
{
    if (port_side < 0 || !first_of_side || (known >= 0 && known != 1 - port_side))
        return false;
    if (side != port_side)
        return (proof->types & ~(BOUNDARY_CLIENT_TYPES | BOTH_SIDES_TYPES)) == 0;
    if ((proof->types & ~(BOUNDARY_SERVER_TYPES | BOTH_SIDES_TYPES)) != 0)
        return false;
    if (opening)
        return bytes[0] == MQTTKA_MQTT_CONNACK << 4;
    return !p->handshake_seen || client_seen;
}

/* FNV-1a over a segment: tells a proof from the other side's echo of it.
 * Not a defence against a collision made on purpose: who can choose both
 * sides' bytes can as well send MQTT. */
static uint64_t segment_hash(const uint8_t *bytes, size_t len)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ bytes[i]) * 0x100000001b3u;
    return h;
}

/* Notes a proof of MQTT over TCP from `side`. A side counts in
 * proved_sides with a proof that is not, byte for byte, the other side's
 * last proof of the run: an echo (socat, a reflector) sends back whatever
 * it is sent, so the copy says nothing more than the original. */
static void note_proof(probe *p, int side, const uint8_t *bytes, size_t len)
{
    uint32_t n = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
    uint64_t h = segment_hash(bytes, len);
    bool echo = p->proof_len[1 - side] == n && p->proof_hash[1 - side] == h;
    p->proof_len[side] = n;
    p->proof_hash[side] = h;
    if (!echo)
        p->proved_sides |= (uint8_t)(1u << side);
}

/* The proofs in a row that make the run MQTT. Over TCP on the port IANA
 * assigned to MQTT (PROBE_MQTT_PORT, the other endpoint on another), two
 * suffice when each side sent one that is no echo of the other's and what
 * the run's packet types say of the sides agrees with the port (the
 * client is the other endpoint): a request and its answer, as the
 * dissectors that decode that port by its number (Wireshark, Zeek) take
 * on less. */
static unsigned run_needed(const probe *p, mqttka_transport t, int port_side, int client_side)
{
    if (t == MQTTKA_TRANSPORT_WEBSOCKET)
        return PROBE_RUN_WEBSOCKET;
    if (port_side >= 0 && p->proved_sides == 3u) {
        int known = p->client_side >= 0 ? p->client_side : client_side;
        if (known < 0 || known == 1 - port_side)
            return PROBE_RUN_TCP_MQTT_PORT;
    }
    return PROBE_RUN_TCP;
}

/* The flow's probe, made at its first use; NULL when out of memory. */
static probe *probe_of(probe **pp)
{
    probe *p = *pp;
    if (!p) {
        if (!(p = *pp = calloc(1, sizeof *p)))
            return NULL;
        p->client_side = -1;
        p->lone = -1;
        p->opening = -1;
    }
    return p;
}

void probe_handshake_seen(probe **pp)
{
    probe *p = probe_of(pp);
    if (p)
        p->handshake_seen = true;
}

void probe_opens_answer(probe **pp, int side)
{
    probe *p = probe_of(pp);
    if (p && p->segments == 0)
        p->opening = (int8_t)side;
}

probe_result probe_push(probe **pp, int side, int client_side, int port_side, const uint8_t *bytes,
                        size_t len, mqttka_time ts, uint64_t tag, size_t *buffered,
                        size_t max_buffered, probe_decision *out)
{
    if (!len)
        return PROBE_WAIT;
    probe *p = probe_of(pp);
    if (!p)
        return PROBE_NOT_MQTT;
    bool opening = p->opening == side && p->segments == 0;
    p->opening = -1;
    bool first_of_side = !(p->data_sides & (1u << side));
    bool client_seen = port_side >= 0 && (p->data_sides & (1u << (1 - port_side)));
    /* A lone packet: the flow's first segment, or a DISCONNECT over TCP
     * that starts at a boundary of its side (no chain left open) after
     * segments all in the run (probe_lone_packet says which count). */
    mqttka_transport lone_transport;
    uint8_t lone_type = lone_packet(bytes, len, &lone_transport);
    if (lone_type && (p->segments == 0 ||
                      (lone_type == MQTTKA_MQTT_DISCONNECT &&
                       lone_transport == MQTTKA_TRANSPORT_TCP && !p->owed[side] &&
                       !p->head[side].len))) {
        p->lone = (int8_t)side;
        p->lone_type = lone_type;
        p->lone_transport = lone_transport;
        p->lone_at = p->segments + 1;
        p->lone_ack_known = false;
    } else {
        p->lone = -1;
    }
    p->data_sides |= (uint8_t)(1u << side);
    if (p->segments == 0 && boundary_looks_like_tls(bytes, len))
        p->tls = true;
    if (p->tls || ++p->segments > PROBE_MAX_SEGMENTS)
        return PROBE_NOT_MQTT;

    boundary_proof proof;
    uint32_t owed = 0;
    bool unkept = false;
    seg_layout layout = {0, len, false};
    int transport = SEEN_NOTHING;
    if (p->owed[side] || p->head[side].len) {
        transport = continue_chain(p, side, bytes, len, &proof, &layout);
        if (transport == SEEN_NOTHING)
            run_reset(p, buffered); /* the chain broke: this segment on its own */
    }
    if (transport == SEEN_NOTHING) {
        boundary_head head = {{0}, 0};
        transport = prove(bytes, len, &proof, &owed, &unkept, &layout, &head);
        if (transport == SEEN_OPEN) {
            p->owed[side] = owed;
            p->owed_types[side] = proof.types;
            p->owed_unkept[side] = unkept;
            p->head[side] = head;
        }
    }
    if (transport == SEEN_OPEN || transport == SEEN_CLOSED) {
        if (!keep_chain(p, side, port_side, ts, tag, bytes, len, &layout, buffered, max_buffered))
            run_reset(p, buffered);
        else
            p->in_run++;
        return PROBE_WAIT;
    }
    if (transport == SEEN_SKIPPED) {
        /* Whole packets, some of them malformed as the decoder reports and
         * skips by their length (a reserved type 0, a PUBLISH of QoS 3): no
         * proof, but a run over TCP under way keeps it, so that they are
         * reported. One such segment a run: other framings read as them
         * (a two-byte length prefix below 128 is a "type 0"), and a run
         * must not be carried across many segments of one. */
        if (p->run && p->transport == 1 + MQTTKA_TRANSPORT_TCP && !p->skipped_kept &&
            p->kept.n + (PROBE_RUN_TCP - 1u - p->run) < KEPT_SEGMENTS &&
            kept_segments_add(&p->kept, side, ts, tag, bytes, len, buffered, max_buffered)) {
            p->skipped_kept = true;
            p->in_run++;
            return PROBE_WAIT;
        }
        run_reset(p, buffered); /* against, as any segment that is not MQTT */
        return PROBE_WAIT;
    }
    if (transport == SEEN_NEUTRAL_TCP && !p->run) {
        /* SUBSCRIBEs before any proof (a client joined late that
         * subscribes, then pings): kept for a run over TCP, which a proof
         * of WebSocket drops with them. */
        if (p->transport != 1 + MQTTKA_TRANSPORT_TCP) {
            run_reset(p, buffered);
            p->transport = 1 + MQTTKA_TRANSPORT_TCP;
        }
        if (p->kept.n + 1u + (PROBE_RUN_TCP - 1u) <= KEPT_SEGMENTS &&
            kept_segments_add(&p->kept, side, ts, tag, bytes, len, buffered, max_buffered))
            p->in_run++;
        return PROBE_WAIT;
    }
    if (transport == SEEN_NEUTRAL || transport == SEEN_NEUTRAL_TCP) {
        /* Neither for nor against, but a run under way keeps it (if room
         * is left for the proofs still to come), so that its packets are
         * decoded when the run proves: a SUBSCRIBE over TCP is one. */
        if (p->run) {
            unsigned needed = p->transport == 1 + MQTTKA_TRANSPORT_WEBSOCKET ? PROBE_RUN_WEBSOCKET
                                                                             : PROBE_RUN_TCP;
            if (p->kept.n + (needed - 1u - p->run) < KEPT_SEGMENTS &&
                kept_segments_add(&p->kept, side, ts, tag, bytes, len, buffered, max_buffered))
                p->in_run++;
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
    mqttka_transport t = (mqttka_transport)(transport - 1);
    bool alone = t == MQTTKA_TRANSPORT_TCP &&
                 one_segment_proves(p, side, port_side, first_of_side, client_seen, opening, known,
                                    bytes, &proof);
    if (alone)
        says = 1 - port_side; /* the port says, and the types agree */
    if (says >= 0)
        p->client_side = (int8_t)says;
    p->run++;
    if (t == MQTTKA_TRANSPORT_TCP && port_side >= 0)
        note_proof(p, side, bytes, len);
    /* A server's stream that opens, from its first byte, with a CONNACK
     * (MQTT-3.2.0-1: the first packet a server sends), after a CONNECT's
     * worth of client bytes the capture missed (probe_opens_answer): the
     * answer and what it answers, a proof of each side on the MQTT port,
     * as a request and its answer are (run_needed). */
    if (opening && t == MQTTKA_TRANSPORT_TCP && port_side == side &&
        bytes[0] == MQTTKA_MQTT_CONNACK << 4)
        p->proved_sides = 3u;
    unsigned needed = alone ? 1u : run_needed(p, t, port_side, client_side);
    if (p->run < needed) {
        /* (a chain's last segment: the end of a PUBLISH body counted
         * first; if it does not fit, that end still is, so that the
         * side's stream goes on at a packet boundary) */
        if (kept_segments_add_skipping(&p->kept, side, ts, tag, bytes, len, layout.skip_before,
                                       layout.kept_len, buffered, max_buffered))
            p->in_run++;
        else if (layout.skip_before &&
                 !kept_segments_skip_more(&p->kept, side, layout.skip_before))
            run_reset(p, buffered);
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

void probe_lone_ack(probe *p, int side, uint32_t ack)
{
    if (p && p->lone == side && p->lone_at == p->segments && !p->lone_ack_known) {
        p->lone_ack = ack;
        p->lone_ack_known = true;
    }
}

uint8_t probe_lone_packet(const probe *p, int port_side, probe_decision *out, uint32_t *client_ack)
{
    if (!p || p->tls || p->gapped || p->lone < 0 || p->lone_at != p->segments ||
        !p->lone_ack_known || !p->kept.n)
        return 0;
    /* The one segment with data, in all; or a DISCONNECT after segments of
     * its side alone, every one held by the run up to it (a client that
     * published, then said goodbye: suricata-verify's mqtt-midstream-split
     * cut after its CONNACK). What came before is MQTT's shape, never
     * against it, so the DISCONNECT is no weaker evidence than alone. */
    bool alone = p->segments == 1 && p->kept.n == 1;
    bool after_run = p->lone_type == MQTTKA_MQTT_DISCONNECT &&
                     p->data_sides == 1u << p->lone && p->in_run == p->segments &&
                     p->kept.seg[p->kept.n - 1].side == p->lone;
    if (!alone && !after_run)
        return 0;
    /* Over TCP only the port says which side is the client (an MQTT 5
     * server sends DISCONNECT too); over WebSocket the mask did. */
    if (p->lone_transport == MQTTKA_TRANSPORT_TCP && port_side != 1 - p->lone)
        return 0;
    *client_ack = p->lone_ack;
    out->transport = p->lone_transport;
    out->client_side = p->lone;
    return p->lone_type;
}

void probe_gap(probe *p, int side, size_t *buffered)
{
    if (p) {
        p->gapped = true;
        if (p->opening == side) /* its next segment is not its stream's first bytes */
            p->opening = -1;
    }
    /* The bytes that were to finish the open packet (or its header) are
     * lost: what the chain kept can no longer be decoded. */
    if (p && (p->owed[side] || p->head[side].len))
        run_reset(p, buffered);
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

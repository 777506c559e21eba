/*
 * mqttka-transport.c - getting MQTT bytes to Wireshark's own MQTT dissector.
 *
 * Wireshark 4.0 shows MQTT inside WebSocket as "Data": nothing in the
 * `ws.protocol` table (the subprotocol the server chose in its 101 answer)
 * routes "mqtt" anywhere, and Decode As is not offered for that table. This
 * file registers for the subprotocols "mqtt" and "mqttv3.1" and gives every
 * complete MQTT packet to the built-in "mqtt" dissector, so every mqtt.*
 * field and filter works.
 *
 * MQTT packets need not line up with WebSocket messages (MQTT-6.0.0-2): a
 * CONNECT may come in two messages (MQTT.js over Node's ws sends the fixed
 * header alone), a message may hold several packets. On the first pass the
 * payloads of each direction are followed as one byte stream:
 *
 *   message:  | tail of a packet | packet | packet | head of a packet |
 *               completes the       whole    whole    kept as the
 *               carried packet      (offsets into     direction's carry
 *               (copied out)         the message)
 *
 * and what each message holds is stored with the frame (p_add_proto_data,
 * file scope), so revisits in any order show the same packets. A packet
 * spread over messages is copied out once, when it completes, and shown in
 * the frame of its last byte as "Reassembled MQTT".
 *
 * Most messages hold whole packets, one or more, in a stream with nothing
 * carried over: such a message changes no state and needs no record (no
 * record on a revisit means "whole packets"). While no stream anywhere has
 * anything pending (a carried packet, bytes to skip, a lost stream) that is
 * known without even looking the conversation up.
 *
 * Two TCP heuristics cover ports that no dissector claims: an HTTP Upgrade
 * to WebSocket that offers an MQTT subprotocol (handed to Wireshark's HTTP
 * dissector, which then passes the WebSocket messages back here), and an
 * MQTT CONNECT at the start of a stream (handed to the MQTT dissector). Both
 * reject anything else within the first bytes. The same two are registered
 * with TLS for its decrypted application data (mqtts and wss on any port).
 */
#include "mqttka-plugin.h"

#include <epan/conversation.h>
#include <epan/proto_data.h>
#include <epan/dissectors/packet-tls-utils.h>

/* An MQTT packet spread over WebSocket messages is copied whole before it is
 * dissected. A peer announcing a huge Remaining Length (up to 256 MiB) must
 * not make us buffer it: longer packets are skipped, and said so. */
#define WS_MQTT_MAX_REASSEMBLED (16u * 1024u * 1024u)

/* Bytes of the HTTP request searched by the Upgrade heuristic. */
#define UPGRADE_HEADER_MAX 4096

/* p_add_proto_data keys (proto_mqttka): per-frame message counter (packet
 * scope) and message records 0, 1, ... (file scope). */
#define KEY_MSG_COUNTER 0xFFFFFFFFu

static dissector_handle_t mqtt_handle;
static dissector_handle_t http_handle;
static dissector_handle_t tls_handle;      /* NULL when TLS is not there */
static dissector_handle_t http_tls_handle;
static dissector_handle_t ws_mqtt_handle;

/* Streams of the current file with carry_len, skip or lost set: while there
 * are none, a message of whole packets needs no look-up of its stream. */
static unsigned streams_pending;

static int hf_reassembled_in = -1;
static int hf_continues = -1;
static int hf_skipped = -1;
static int hf_stream_lost = -1;
static gint ett_ws_mqtt = -1;

/* One direction of one WebSocket conversation, first pass only. */
typedef struct ws_stream {
    uint8_t *carry;          /* the start of an incomplete MQTT packet */
    size_t carry_len;
    size_t carry_cap;
    uint64_t skip;           /* bytes left of a packet too long to reassemble */
    bool lost;               /* malformed fixed header: cannot resynchronise */
    struct ws_msg **waiting; /* messages holding parts of the carried packet */
    size_t n_waiting;
    size_t cap_waiting;
    bool pending;            /* counted in streams_pending */
} ws_stream;

typedef struct ws_conv {
    address first_src;
    uint32_t first_port;
    ws_stream dir[2];
} ws_conv;

/* What one WebSocket message holds, computed once on the first pass. */
typedef struct ws_msg {
    const uint8_t *head;     /* a packet that completes in this message,
                                copied out (file scope), or NULL */
    uint32_t head_len;
    uint32_t run_offset;     /* whole packets inside the message */
    uint32_t run_len;
    uint32_t tail_offset;    /* the start (or middle) of a later packet */
    uint32_t tail_len;
    uint32_t completed_in;   /* frame where that later packet completes */
    uint32_t skipped;        /* bytes of a too-long packet skipped here */
    bool lost;               /* the stream was lost at or before this message */
    uint32_t lost_offset;
} ws_msg;

/* Fixed header: type/flags byte, then the Remaining Length in 1..4 bytes of
 * 7 bits each (MQTT 3.1.1 §2.2.3). */
typedef enum { HDR_OK, HDR_MORE, HDR_BAD } hdr_result;

static hdr_result mqtt_packet_length(const uint8_t *p, size_t avail, uint64_t *total)
{
    uint32_t value = 0;
    for (size_t i = 0; i < 4; i++) {
        if (1 + i >= avail)
            return HDR_MORE;
        uint8_t b = p[1 + i];
        value |= (uint32_t)(b & 0x7F) << (7 * i);
        if (!(b & 0x80)) {
            *total = 1 + (i + 1) + (uint64_t)value;
            return HDR_OK;
        }
    }
    return HDR_BAD;
}

static void carry_append(ws_stream *s, const uint8_t *p, size_t n)
{
    if (n > s->carry_cap - s->carry_len) {
        size_t cap = s->carry_cap ? s->carry_cap : 64;
        while (cap - s->carry_len < n)
            cap *= 2;
        s->carry = (uint8_t *)wmem_realloc(wmem_file_scope(), s->carry, cap);
        s->carry_cap = cap;
    }
    memcpy(s->carry + s->carry_len, p, n);
    s->carry_len += n;
}

static void wait_for_completion(ws_stream *s, ws_msg *m)
{
    if (s->n_waiting == s->cap_waiting) {
        s->cap_waiting = s->cap_waiting ? 2 * s->cap_waiting : 4;
        s->waiting = (ws_msg **)wmem_realloc(wmem_file_scope(), s->waiting,
                                             s->cap_waiting * sizeof *s->waiting);
    }
    s->waiting[s->n_waiting++] = m;
}

static void completed(ws_stream *s, uint32_t frame)
{
    for (size_t i = 0; i < s->n_waiting; i++)
        s->waiting[i]->completed_in = frame;
    s->n_waiting = 0;
}

/* First pass: splits message `p`/`n` of stream `s` into what `m` records. */
static void follow_stream(ws_stream *s, ws_msg *m, const uint8_t *p, size_t n, uint32_t frame)
{
    size_t pos = 0;

    if (s->lost) {
        m->lost = true;
        m->lost_offset = 0;
        return;
    }
    if (s->skip > 0) {
        size_t k = s->skip < n ? (size_t)s->skip : n;
        s->skip -= k;
        m->skipped = (uint32_t)k;
        pos = k;
    }

    if (s->carry_len > 0 && pos < n) {
        size_t start = pos;
        uint64_t total = 0;
        hdr_result r = mqtt_packet_length(s->carry, s->carry_len, &total);
        /* Complete the fixed header one byte at a time: a short packet
         * (PINGREQ is 2 bytes) may end before 5 bytes. */
        while (r == HDR_MORE && pos < n) {
            carry_append(s, p + pos, 1);
            pos++;
            r = mqtt_packet_length(s->carry, s->carry_len, &total);
        }
        if (r == HDR_BAD) {
            s->lost = true;
            s->carry_len = 0;
            m->lost = true;
            m->lost_offset = (uint32_t)pos;
            completed(s, frame);
            return;
        }
        if (r == HDR_OK && total > WS_MQTT_MAX_REASSEMBLED) {
            s->skip = total - s->carry_len;
            s->carry_len = 0;
            completed(s, frame);
            size_t k = s->skip < n - pos ? (size_t)s->skip : n - pos;
            s->skip -= k;
            m->skipped += (uint32_t)k;
            pos += k;
        } else if (r == HDR_OK) {
            size_t need = (size_t)total - s->carry_len;
            size_t take = need < n - pos ? need : n - pos;
            carry_append(s, p + pos, take);
            pos += take;
            if (s->carry_len == total) {
                m->head = (const uint8_t *)wmem_memdup(wmem_file_scope(), s->carry, s->carry_len);
                m->head_len = (uint32_t)s->carry_len;
                s->carry_len = 0;
                completed(s, frame);
            }
        }
        if (s->carry_len > 0) {
            /* The rest of the message went into the carried packet. */
            m->tail_offset = (uint32_t)start;
            m->tail_len = (uint32_t)(n - start);
            wait_for_completion(s, m);
            return;
        }
    }

    m->run_offset = (uint32_t)pos;
    while (pos < n) {
        uint64_t total = 0;
        hdr_result r = mqtt_packet_length(p + pos, n - pos, &total);
        if (r == HDR_BAD) {
            s->lost = true;
            m->lost = true;
            m->lost_offset = (uint32_t)pos;
            break;
        }
        if (r == HDR_OK && total <= n - pos) {
            pos += (size_t)total;
            continue;
        }
        /* The packet goes on in a later message. */
        m->run_len = (uint32_t)(pos - m->run_offset);
        if (r == HDR_OK && total > WS_MQTT_MAX_REASSEMBLED) {
            s->skip = total - (n - pos);
            m->skipped += (uint32_t)(n - pos);
        } else {
            carry_append(s, p + pos, n - pos);
            m->tail_offset = (uint32_t)pos;
            m->tail_len = (uint32_t)(n - pos);
            wait_for_completion(s, m);
        }
        return;
    }
    m->run_len = (uint32_t)(pos - m->run_offset);
}

/* True if `p`/`n` is one or more whole MQTT packets (as far as their fixed
 * headers say). */
static bool whole_packets(const uint8_t *p, size_t n)
{
    size_t pos = 0;
    if (n == 0)
        return false;
    while (pos < n) {
        uint64_t total = 0;
        if (mqtt_packet_length(p + pos, n - pos, &total) != HDR_OK || total > n - pos)
            return false;
        pos += (size_t)total;
    }
    return true;
}

static void count_pending(ws_stream *s)
{
    bool pending = s->carry_len > 0 || s->skip > 0 || s->lost;
    if (pending && !s->pending)
        streams_pending++;
    else if (!pending && s->pending)
        streams_pending--;
    s->pending = pending;
}

static ws_conv *get_ws_conv(packet_info *pinfo)
{
    conversation_t *conv = find_or_create_conversation(pinfo);
    ws_conv *c = (ws_conv *)conversation_get_proto_data(conv, proto_mqttka);
    if (!c) {
        c = wmem_new0(wmem_file_scope(), ws_conv);
        copy_address_wmem(wmem_file_scope(), &c->first_src, &pinfo->src);
        c->first_port = pinfo->srcport;
        conversation_add_proto_data(conv, proto_mqttka, c);
    }
    return c;
}

static void call_mqtt(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, bool *called)
{
    /* The MQTT dissector clears the Info column before it writes; a fence
     * keeps what the previous call wrote, so all packets are listed. */
    if (*called)
        col_set_fence(pinfo->cinfo, COL_INFO);
    call_dissector(mqtt_handle, tvb, pinfo, tree);
    *called = true;
}

static int dissect_ws_mqtt(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    (void)data;
    uint32_t *counter = (uint32_t *)p_get_proto_data(pinfo->pool, pinfo, proto_mqttka,
                                                     KEY_MSG_COUNTER);
    if (!counter) {
        counter = wmem_new0(pinfo->pool, uint32_t);
        p_add_proto_data(pinfo->pool, pinfo, proto_mqttka, KEY_MSG_COUNTER, counter);
    }
    uint32_t key = (*counter)++;

    ws_msg *m = (ws_msg *)p_get_proto_data(wmem_file_scope(), pinfo, proto_mqttka, key);
    unsigned n = tvb_captured_length(tvb);
    if (!m && !PINFO_FD_VISITED(pinfo) &&
        !(streams_pending == 0 && n == tvb_reported_length(tvb) &&
          whole_packets(tvb_get_ptr(tvb, 0, (gint)n), n))) {
        ws_conv *c = get_ws_conv(pinfo);
        bool first = addresses_equal(&pinfo->src, &c->first_src) && pinfo->srcport == c->first_port;
        ws_stream *s = &c->dir[first ? 0 : 1];
        m = wmem_new0(wmem_file_scope(), ws_msg);
        if (tvb_captured_length(tvb) < tvb_reported_length(tvb)) {
            /* Cut short (snaplen, or WebSocket's unmasking limit): the
             * rest of this direction cannot be followed. */
            s->lost = true;
            m->lost = true;
        } else {
            follow_stream(s, m, tvb_get_ptr(tvb, 0, (gint)n), n, pinfo->num);
        }
        count_pending(s);
        p_add_proto_data(wmem_file_scope(), pinfo, proto_mqttka, key, m);
    }
    if (!m) {
        /* Whole packets. */
        call_dissector(mqtt_handle, tvb, pinfo, tree);
        return (int)n;
    }

    bool called = false;
    if (m->head) {
        tvbuff_t *t = tvb_new_child_real_data(tvb, m->head, m->head_len, m->head_len);
        add_new_data_source(pinfo, t, "Reassembled MQTT");
        call_mqtt(t, pinfo, tree, &called);
    }
    if (m->run_len > 0)
        call_mqtt(tvb_new_subset_length(tvb, (gint)m->run_offset, (gint)m->run_len), pinfo, tree,
                  &called);
    if (m->lost) {
        /* Show the rest as Wireshark would have without us. */
        tvbuff_t *rest = tvb_new_subset_remaining(tvb, (gint)m->lost_offset);
        if (tvb_reported_length(rest) > 0)
            call_mqtt(rest, pinfo, tree, &called);
    }

    if (m->tail_len > 0 || m->skipped > 0 || m->lost) {
        proto_item *ti;
        if (m->tail_len > 0) {
            ti = proto_tree_add_item(tree, hf_continues, tvb, (gint)m->tail_offset,
                                     (gint)m->tail_len, ENC_NA);
            proto_tree *st = proto_item_add_subtree(ti, ett_ws_mqtt);
            if (m->completed_in) {
                proto_item *r = proto_tree_add_uint(st, hf_reassembled_in, tvb, 0, 0,
                                                    m->completed_in);
                proto_item_set_generated(r);
            }
            if (!called)
                col_append_str(pinfo->cinfo, COL_INFO, " [MQTT packet continues]");
        }
        if (m->skipped > 0) {
            ti = proto_tree_add_uint(tree, hf_skipped, tvb, 0, 0, m->skipped);
            proto_item_set_generated(ti);
        }
        if (m->lost) {
            ti = proto_tree_add_boolean(tree, hf_stream_lost, tvb, 0, 0, TRUE);
            proto_item_set_generated(ti);
        }
    }
    return (int)tvb_captured_length(tvb);
}

/* ------------------------------------------------------------------------ */
/* TCP heuristics                                                             */

/* Case-insensitive search for `needle` in `hay`/`n`. */
static const uint8_t *find_ci(const uint8_t *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; k <= n && i <= n - k; i++) {
        if (g_ascii_strncasecmp((const char *)hay + i, needle, k) == 0)
            return hay + i;
    }
    return NULL;
}

/* The value of header `name` ("\r\nname:") in an HTTP header block, up to
 * the end of its line; NULL if absent. */
static const uint8_t *header_value(const uint8_t *h, size_t n, const char *name, size_t *len)
{
    const uint8_t *p = find_ci(h, n, name);
    if (!p)
        return NULL;
    p += strlen(name);
    const uint8_t *end = h + n;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    const uint8_t *e = p;
    while (e < end && *e != '\r' && *e != '\n')
        e++;
    *len = (size_t)(e - p);
    return p;
}

/* An HTTP request that upgrades to WebSocket offering an MQTT subprotocol. */
static bool looks_like_mqtt_upgrade(tvbuff_t *tvb)
{
    unsigned n = tvb_captured_length(tvb);
    if (n < 18 || tvb_memeql(tvb, 0, (const guint8 *)"GET ", 4) != 0)
        return false;
    if (n > UPGRADE_HEADER_MAX)
        n = UPGRADE_HEADER_MAX;
    const uint8_t *h = tvb_get_ptr(tvb, 0, (gint)n);
    size_t len;
    const uint8_t *v = header_value(h, n, "\nupgrade:", &len);
    if (!v || !find_ci(v, len, "websocket"))
        return false;
    /* Only MQTT: other WebSocket traffic must look exactly as it does
     * without this plugin. */
    v = header_value(h, n, "\nsec-websocket-protocol:", &len);
    return v && find_ci(v, len, "mqtt");
}

static mqttka_heur_result heur_ws_upgrade(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    if (!looks_like_mqtt_upgrade(tvb))
        return false;
    conversation_t *conv = find_or_create_conversation(pinfo);
    conversation_set_dissector(conv, http_handle);
    call_dissector_with_data(http_handle, tvb, pinfo, tree, data);
    return true;
}

/* An MQTT CONNECT at the start of a stream: 0x10, a Remaining Length, then
 * 00 04 "MQTT" level 4 or 5, or 00 06 "MQIsdp" level 3, and connect flags
 * with the reserved bit clear (MQTT 3.1.1 §3.1.2). */
static bool looks_like_mqtt_connect(tvbuff_t *tvb)
{
    unsigned n = tvb_captured_length(tvb);
    if (n < 12)
        return false;
    size_t avail = n < 24 ? n : 24;
    const uint8_t *p = tvb_get_ptr(tvb, 0, (gint)avail);
    if (p[0] != 0x10)
        return false;
    uint64_t total;
    if (mqtt_packet_length(p, avail, &total) != HDR_OK)
        return false;
    size_t hl = 1;
    while (p[hl] & 0x80)
        hl++;
    hl++;
    uint64_t remaining = total - hl;
    const uint8_t *v = p + hl;
    size_t left = avail - hl;
    if (left >= 9 && remaining >= 10 && memcmp(v, "\x00\x04MQTT", 6) == 0 &&
        (v[6] == 4 || v[6] == 5)) {
        if (v[7] & 0x01)
            return false;
    } else if (left >= 11 && remaining >= 12 && memcmp(v, "\x00\x06MQIsdp", 8) == 0 &&
               v[8] == 3) {
        if (v[9] & 0x01)
            return false;
    } else {
        return false;
    }
    return true;
}

static mqttka_heur_result heur_mqtt_connect(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    if (!looks_like_mqtt_connect(tvb))
        return false;
    conversation_t *conv = find_or_create_conversation(pinfo);
    conversation_set_dissector(conv, mqtt_handle);
    call_dissector_with_data(mqtt_handle, tvb, pinfo, tree, data);
    return true;
}

/* The same two inside TLS, on the decrypted application data: the
 * conversation's dissector stays TLS; TLS is told which dissector gets the
 * application data from now on (tls_set_appdata_dissector, in the TLS
 * session of the conversation). The `data` TLS passes to its heuristics
 * differs between releases and is not used. */
static mqttka_heur_result heur_ws_upgrade_tls(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    (void)data;
    if (!tls_handle || !http_tls_handle || !looks_like_mqtt_upgrade(tvb))
        return false;
    tls_set_appdata_dissector(tls_handle, pinfo, http_tls_handle);
    call_dissector(http_tls_handle, tvb, pinfo, tree);
    return true;
}

static mqttka_heur_result heur_mqtt_connect_tls(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    (void)data;
    if (!tls_handle || !looks_like_mqtt_connect(tvb))
        return false;
    tls_set_appdata_dissector(tls_handle, pinfo, mqtt_handle);
    call_dissector(mqtt_handle, tvb, pinfo, tree);
    return true;
}

static void transport_init(void)
{
    streams_pending = 0; /* the streams went with the last file's conversations */
}

void mqttka_transport_register(void)
{
    static hf_register_info hf[] = {
        { &hf_continues, { "MQTT packet continues", "mqttka.ws.continues", FT_BYTES, BASE_NONE,
            NULL, 0, "Bytes of an MQTT packet that ends in a later WebSocket message", HFILL } },
        { &hf_reassembled_in, { "Reassembled in frame", "mqttka.ws.reassembled_in",
            FT_FRAMENUM, BASE_NONE, NULL, 0,
            "The frame where the MQTT packet these bytes belong to is complete", HFILL } },
        { &hf_skipped, { "Bytes of an oversized MQTT packet skipped", "mqttka.ws.skipped",
            FT_UINT32, BASE_DEC, NULL, 0,
            "MQTT packets longer than 16 MiB are not reassembled", HFILL } },
        { &hf_stream_lost, { "MQTT stream lost", "mqttka.ws.stream_lost", FT_BOOLEAN, BASE_NONE,
            NULL, 0, "A malformed fixed header or truncated message: MQTT packets are no longer "
            "reassembled in this direction", HFILL } },
    };
    static gint *ett[] = { &ett_ws_mqtt };
    proto_register_field_array(proto_mqttka, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));

    ws_mqtt_handle = register_dissector("mqttka.ws", dissect_ws_mqtt, proto_mqttka);
    register_init_routine(transport_init);
}

void mqttka_transport_handoff(void)
{
    mqtt_handle = find_dissector_add_dependency("mqtt", proto_mqttka);
    http_handle = find_dissector("http-over-tcp");
    if (!http_handle)
        http_handle = find_dissector_add_dependency("http", proto_mqttka);

    dissector_add_string("ws.protocol", "mqtt", ws_mqtt_handle);
    dissector_add_string("ws.protocol", "mqttv3.1", ws_mqtt_handle);

    heur_dissector_add("tcp", heur_ws_upgrade, "MQTT over WebSocket on any port (HTTP Upgrade)",
                       "mqttka_ws_upgrade_tcp", proto_mqttka, HEURISTIC_ENABLE);
    heur_dissector_add("tcp", heur_mqtt_connect, "MQTT over TCP on any port (CONNECT)",
                       "mqttka_mqtt_connect_tcp", proto_mqttka, HEURISTIC_ENABLE);

    /* Inside TLS (mqtts, wss) on any port TLS is found on. */
    tls_handle = find_dissector("tls");
    http_tls_handle = find_dissector("http-over-tls");
    if (tls_handle) {
        heur_dissector_add("tls", heur_ws_upgrade_tls,
                           "MQTT over WebSocket over TLS on any port (HTTP Upgrade)",
                           "mqttka_ws_upgrade_tls", proto_mqttka, HEURISTIC_ENABLE);
        heur_dissector_add("tls", heur_mqtt_connect_tls, "MQTT over TLS on any port (CONNECT)",
                           "mqttka_mqtt_connect_tls", proto_mqttka, HEURISTIC_ENABLE);
    }
}

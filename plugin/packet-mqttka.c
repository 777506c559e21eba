/*
 * packet-mqttka.c - the protocol "MQTT Keepalive" (filter name mqttka).
 *
 * A postdissector: it runs after every other dissector on every frame, hands
 * the frame to mqttka-store.c (which feeds the core on the first pass) and
 * shows what the core said about the frame:
 *
 *   MQTT Keepalive
 *     PINGREQ, client -> server                    (one subtree per packet)
 *       Connection: 1
 *       Effective keepalive: 10 s
 *       Client silence: 5.000 s (0.50 x keepalive)
 *       PINGRESP in frame: 14   RTT: 0.020 s
 *     Finding: pingreq_unanswered (error)          (expert info mqttka.<kind>)
 *       Severity, Detail, Value, Reported in frame / About frame
 *     Verdict: client_closed_missing_pingresp      (on the closing frame)
 *       close mechanism, initiator, pings, unanswered, RTTs, max silence
 *
 * On the first pass (single-pass tshark) a frame shows the findings that
 * became known at it; on revisits (tshark -2, the GUI) the findings about it.
 * Expert infos are registered per finding kind, `mqttka.<kind>` with the
 * severity the core gives the kind (mqttka_finding_severity), and
 * `mqttka.<kind>.<severity>` for instances rated otherwise (a
 * pingreq_unanswered overtaken by the next PINGREQ is only a warning).
 */
#include "mqttka-plugin.h"

#include <epan/expert.h>
#include <epan/tap.h>
#include <epan/unit_strings.h>

int proto_mqttka = -1;
int mqttka_tap = -1;

static dissector_handle_t mqttka_post_handle;

static int hf_packet = -1;
static int hf_connection = -1;
static int hf_direction = -1;
static int hf_keepalive = -1;
static int hf_silence = -1;
static int hf_silence_ratio = -1;
static int hf_pingresp_in = -1;
static int hf_pingreq_in = -1;
static int hf_rtt = -1;
static int hf_finding = -1;
static int hf_severity = -1;
static int hf_detail = -1;
static int hf_value = -1;
static int hf_finding_frame = -1;
static int hf_reported_in = -1;
static int hf_at_end = -1;
static int hf_verdict = -1;
static int hf_verdict_detail = -1;
static int hf_close_mechanism = -1;
static int hf_close_initiator = -1;
static int hf_ws_close_code = -1;
static int hf_disconnect_reason = -1;
static int hf_taken_over_by = -1;
static int hf_connack_code = -1;
static int hf_client = -1;
static int hf_server = -1;
static int hf_client_id = -1;
static int hf_mqtt_version = -1;
static int hf_transport = -1;
static int hf_pings = -1;
static int hf_unanswered = -1;
static int hf_rtt_min = -1;
static int hf_rtt_median = -1;
static int hf_rtt_p95 = -1;
static int hf_rtt_max = -1;
static int hf_max_silence = -1;
static int hf_start_seen = -1;
static int hf_keepalive_inferred = -1;
static int hf_missing_side = -1;
static int hf_close_inferred = -1;
static int hf_pingreq_inferred = -1;

static gint ett_mqttka = -1;
static gint ett_packet = -1;
static gint ett_finding = -1;
static gint ett_verdict = -1;

/* [kind][severity]: the kind's own severity is registered as mqttka.<kind>. */
static expert_field ei_finding[MQTTKA_F_COUNT][3];

static const int mqttka_severity_pi[3] = { PI_NOTE, PI_WARN, PI_ERROR };

/* The expert group Wireshark users look under for each kind. */
static int kind_group(mqttka_finding_kind k)
{
    switch (k) {
    case MQTTKA_F_KEEPALIVE_NEGOTIATED:
    case MQTTKA_F_KEEPALIVE_DISABLED:
    case MQTTKA_F_KEEPALIVE_OVERRIDDEN:
    case MQTTKA_F_SERVER_KEEPALIVE_IGNORED:
    case MQTTKA_F_CLIENT_SILENT_OVER_KEEPALIVE:
    case MQTTKA_F_CLIENT_SILENT_OVER_1_5_KEEPALIVE:
    case MQTTKA_F_SERVER_KEEPALIVE_NOT_ENFORCED:
    case MQTTKA_F_PINGREQ_UNANSWERED:
    case MQTTKA_F_PINGRESP_LATE:
    case MQTTKA_F_PINGRESP_RTT:
    case MQTTKA_F_PINGRESP_UNSOLICITED:
    case MQTTKA_F_WS_PING_UNANSWERED:
    case MQTTKA_F_CAPTURE_GAP:
    case MQTTKA_F_KEEPALIVE_INFERRED:
    case MQTTKA_F_ONE_SIDED:
    case MQTTKA_F_CLOSE_MATCHES_PING_TIMEOUT:
    case MQTTKA_F_CONNACK_MISSING:
    case MQTTKA_F_RECONNECT_STORM:
    case MQTTKA_F_MASS_CLOSE:
        return PI_SEQUENCE;
    case MQTTKA_F_CONNECT_REFUSED:
        return PI_RESPONSE_CODE;
    case MQTTKA_F_WS_HANDSHAKE_FAILED:
    case MQTTKA_F_WS_SUBPROTOCOL:
        return PI_RESPONSE_CODE;
    case MQTTKA_F_WS_FRAMING_ERROR:
    case MQTTKA_F_MALFORMED_FIXED_HEADER:
    case MQTTKA_F_MALFORMED_PING:
    case MQTTKA_F_MALFORMED_PACKET:
        return PI_MALFORMED;
    case MQTTKA_F_WS_COMPRESSED_SKIPPED:
    case MQTTKA_F_WS_DEFLATE_FAILED:
    case MQTTKA_F_RESOURCE_LIMIT:
        return PI_UNDECODED;
    case MQTTKA_F_TLS_DECRYPT_FAILED:
        return PI_DECRYPTION;
    case MQTTKA_F_SERVER_KEEPALIVE_INVALID:
    case MQTTKA_F_PINGREQ_FROM_SERVER:
    case MQTTKA_F_WS_MASK_VIOLATION:
    case MQTTKA_F_MQTT_IN_TEXT_FRAME:
    case MQTTKA_F_CONNECT_PROTOCOL_INVALID:
    case MQTTKA_F_COUNT:
        break;
    }
    return PI_PROTOCOL;
}

static double seconds(mqttka_time t)
{
    return (double)t / 1e6;
}

/* The labels of the fields in seconds and of the silence ratio. They are
 * BASE_CUSTOM so that Wireshark formats them only when a label is shown
 * (tshark -V, the GUI's tree): tshark -T fields, display filters and taps
 * never pay for printing doubles. `buf` holds ITEM_LABEL_LENGTH bytes. */

/* A duration, in ms below one second (a time in microseconds t gives
 * t / 1e6 s: |t| < 10^6 exactly when |v| < 1). */
static void label_duration(gchar *buf, double v)
{
    if (v < 1.0 && v > -1.0)
        snprintf(buf, ITEM_LABEL_LENGTH, "%.3f ms", v * 1e3);
    else
        snprintf(buf, ITEM_LABEL_LENGTH, "%.3f s", v);
}

static void label_silence(gchar *buf, double v)
{
    snprintf(buf, ITEM_LABEL_LENGTH, "%.3f s", v);
}

static void label_ratio(gchar *buf, double v)
{
    snprintf(buf, ITEM_LABEL_LENGTH, "%.2f \xc3\x97 keepalive", v);
}

static proto_item *add_seconds(proto_tree *tree, int hf, tvbuff_t *tvb, mqttka_time t)
{
    return proto_tree_add_double(tree, hf, tvb, 0, 0, seconds(t));
}

static const char *dir_name(mqttka_direction d)
{
    return d == MQTTKA_C2S ? "client \xe2\x86\x92 server" : "server \xe2\x86\x92 client";
}

static void add_packet(proto_tree *tree, tvbuff_t *tvb, const mqttka_pkt_rec *p)
{
    const char *type = mqttka_mqtt_type_name(p->type);
    proto_item *ti = proto_tree_add_string_format_value(tree, hf_packet, tvb, 0, 0, type,
                                                         "%s, %s", type,
                                                         dir_name((mqttka_direction)p->dir));
    proto_item_set_generated(ti);
    proto_tree *pt = proto_item_add_subtree(ti, ett_packet);

    ti = proto_tree_add_uint64(pt, hf_connection, tvb, 0, 0, p->conn_id);
    proto_item_set_generated(ti);
    ti = proto_tree_add_string(pt, hf_direction, tvb, 0, 0,
                               p->dir == MQTTKA_C2S ? "client_to_server" : "server_to_client");
    proto_item_set_generated(ti);
    if (p->keepalive >= 0) {
        ti = proto_tree_add_int(pt, hf_keepalive, tvb, 0, 0, p->keepalive);
        proto_item_set_generated(ti);
    }
    if (p->silence != MQTTKA_TIME_NONE) {
        double sil = seconds(p->silence);
        ti = proto_tree_add_double(pt, hf_silence, tvb, 0, 0, sil);
        proto_item_set_generated(ti);
        if (p->keepalive > 0) {
            double ratio = sil / (double)p->keepalive;
            ti = proto_tree_add_double(pt, hf_silence_ratio, tvb, 0, 0, ratio);
            proto_item_set_generated(ti);
        }
    }
    if (p->pair != 0) {
        ti = proto_tree_add_uint(pt, p->type == MQTTKA_MQTT_PINGREQ ? hf_pingresp_in : hf_pingreq_in, tvb, 0, 0,
                                 p->pair);
        proto_item_set_generated(ti);
    }
    if (p->rtt != MQTTKA_TIME_NONE) {
        ti = add_seconds(pt, hf_rtt, tvb, p->rtt);
        proto_item_set_generated(ti);
    }
}

static void add_finding(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
                        const mqttka_finding_rec *f)
{
    const char *kind = mqttka_finding_name((mqttka_finding_kind)f->kind);
    const char *sev = mqttka_severity_name((mqttka_severity)f->severity);
    proto_item *ti = proto_tree_add_string_format_value(tree, hf_finding, tvb, 0, 0, kind,
                                                         "%s (%s)", kind, sev);
    proto_item_set_generated(ti);
    proto_tree *ft = proto_item_add_subtree(ti, ett_finding);

    unsigned k = (unsigned)f->kind < MQTTKA_F_COUNT ? (unsigned)f->kind : 0;
    unsigned s = (unsigned)f->severity < 3 ? (unsigned)f->severity : MQTTKA_WARN;
    expert_add_info_format(pinfo, ti, &ei_finding[k][s], "%s: %s", kind, f->detail);

    proto_item *si = proto_tree_add_string(ft, hf_severity, tvb, 0, 0, sev);
    proto_item_set_generated(si);
    si = proto_tree_add_string(ft, hf_detail, tvb, 0, 0, f->detail);
    proto_item_set_generated(si);
    if (f->has_value) {
        si = proto_tree_add_double(ft, hf_value, tvb, 0, 0, f->value);
        proto_item_set_generated(si);
    }
    si = proto_tree_add_uint64(ft, hf_connection, tvb, 0, 0, f->conn_id);
    proto_item_set_generated(si);
    if (f->tag != 0 && f->tag != pinfo->num) {
        si = proto_tree_add_uint(ft, hf_finding_frame, tvb, 0, 0, f->tag);
        proto_item_set_generated(si);
    }
    if (f->reported_tag != 0 && f->reported_tag != pinfo->num) {
        si = proto_tree_add_uint(ft, hf_reported_in, tvb, 0, 0, f->reported_tag);
        proto_item_set_generated(si);
    } else if (f->reported_tag == 0) {
        si = proto_tree_add_boolean(ft, hf_at_end, tvb, 0, 0, TRUE);
        proto_item_set_generated(si);
    }
}

static void add_endpoint(proto_tree *tree, tvbuff_t *tvb, int hf, const mqttka_endpoint *e)
{
    char buf[64];
    mqttka_endpoint_format(e, buf, sizeof buf);
    proto_item *ti = proto_tree_add_string(tree, hf, tvb, 0, 0, buf);
    proto_item_set_generated(ti);
}

static void add_summary(proto_tree *tree, tvbuff_t *tvb, const mqttka_summary_rec *s)
{
    const char *verdict = mqttka_verdict_name((mqttka_verdict)s->verdict);
    proto_item *ti = proto_tree_add_string_format_value(tree, hf_verdict, tvb, 0, 0, verdict,
                                                         "%s (connection %" PRIu64 ")",
                                                         verdict, s->conn_id);
    proto_item_set_generated(ti);
    proto_tree *vt = proto_item_add_subtree(ti, ett_verdict);

#define GEN(x) proto_item_set_generated(x)
    GEN(proto_tree_add_string(vt, hf_verdict_detail, tvb, 0, 0, s->verdict_detail));
    GEN(proto_tree_add_uint64(vt, hf_connection, tvb, 0, 0, s->conn_id));
    add_endpoint(vt, tvb, hf_client, &s->client);
    add_endpoint(vt, tvb, hf_server, &s->server);
    GEN(proto_tree_add_string(vt, hf_transport, tvb, 0, 0,
                              s->transport == MQTTKA_TRANSPORT_WEBSOCKET ? "websocket" : "tcp"));
    const char *version = mqttka_mqtt_version_name(s->mqtt_level);
    if (version)
        GEN(proto_tree_add_string(vt, hf_mqtt_version, tvb, 0, 0, version));
    if (s->client_id[0])
        GEN(proto_tree_add_string(vt, hf_client_id, tvb, 0, 0, s->client_id));
    if (s->effective_keepalive >= 0)
        GEN(proto_tree_add_int(vt, hf_keepalive, tvb, 0, 0, s->effective_keepalive));
    /* What the capture missed, as the CLI's JSON says it: start_seen
     * always, the others only when they apply. */
    GEN(proto_tree_add_boolean(vt, hf_start_seen, tvb, 0, 0, s->start_seen));
    if (s->keepalive_inferred >= 0)
        GEN(proto_tree_add_int(vt, hf_keepalive_inferred, tvb, 0, 0, s->keepalive_inferred));
    const char *missing = mqttka_side_name((mqttka_side)s->side_not_captured);
    if (missing)
        GEN(proto_tree_add_string(vt, hf_missing_side, tvb, 0, 0, missing));
    const char *mech = mqttka_close_mechanism_name((mqttka_close_mechanism)s->close_mechanism);
    if (mech)
        GEN(proto_tree_add_string(vt, hf_close_mechanism, tvb, 0, 0, mech));
    const char *side = mqttka_side_name((mqttka_side)s->close_initiator);
    if (side)
        GEN(proto_tree_add_string(vt, hf_close_initiator, tvb, 0, 0, side));
    if (s->close_inferred)
        GEN(proto_tree_add_boolean(vt, hf_close_inferred, tvb, 0, 0, true));
    if (s->ws_close_code >= 0)
        GEN(proto_tree_add_int(vt, hf_ws_close_code, tvb, 0, 0, s->ws_close_code));
    if (s->disconnect_reason >= 0)
        GEN(proto_tree_add_uint(vt, hf_disconnect_reason, tvb, 0, 0, (guint32)s->disconnect_reason));
    if (s->connack_code >= 0)
        GEN(proto_tree_add_uint(vt, hf_connack_code, tvb, 0, 0, (guint32)s->connack_code));
    if (s->taken_over_by)
        GEN(proto_tree_add_uint64(vt, hf_taken_over_by, tvb, 0, 0, s->taken_over_by));
    GEN(proto_tree_add_uint(vt, hf_pings, tvb, 0, 0, s->pingreq));
    GEN(proto_tree_add_uint(vt, hf_unanswered, tvb, 0, 0, s->pingreq_unanswered));
    if (s->pingreq_inferred)
        GEN(proto_tree_add_boolean(vt, hf_pingreq_inferred, tvb, 0, 0, true));
    if (s->rtt_count > 0) {
        GEN(add_seconds(vt, hf_rtt_min, tvb, s->rtt_min));
        GEN(add_seconds(vt, hf_rtt_median, tvb, s->rtt_median));
        GEN(add_seconds(vt, hf_rtt_p95, tvb, s->rtt_p95));
        GEN(add_seconds(vt, hf_rtt_max, tvb, s->rtt_max));
    }
    if (s->max_client_silence != MQTTKA_TIME_NONE)
        GEN(add_seconds(vt, hf_max_silence, tvb, s->max_client_silence));
#undef GEN
}

/* The findings shown on a frame, in the order the core emitted them: the
 * kept records of one of its lists, with the pingresp_rtt findings rebuilt
 * from its PINGRESP records at their places (mqttka_pkt_rec.rtt_*_at). */
typedef struct finding_iter {
    const mqttka_frame_rec *r;
    uint32_t num;
    bool visited;                   /* the tagged list, else the reported one */
    bool details;                   /* rebuild the details too */
    const mqttka_finding_rec *next; /* the next kept record */
    uint32_t n_kept;                /* kept records returned so far */
    uint32_t pkt;                   /* the next packet that may rebuild one */
    mqttka_finding_rec rebuilt;
    char detail[MQTTKA_DETAIL_MAX];
} finding_iter;

static void finding_iter_init(finding_iter *it, const mqttka_frame_rec *r, uint32_t num,
                              bool visited, bool details)
{
    it->r = r;
    it->num = num;
    it->visited = visited;
    it->details = details;
    it->next = !r->lists ? NULL : visited ? r->lists->tagged : r->lists->reported;
    it->n_kept = 0;
    it->pkt = 0;
}

/* The next finding, NULL at the end; a rebuilt one lives in `it` until the
 * next call. */
static const mqttka_finding_rec *finding_next(finding_iter *it)
{
    for (; it->pkt < it->r->n_pkts; it->pkt++) {
        const mqttka_pkt_rec *p = &it->r->pkts[it->pkt];
        uint32_t at = it->visited ? p->rtt_tagged_at : p->rtt_reported_at;
        if (at == 0)
            continue;
        if (at - 1 > it->n_kept)
            break; /* a kept one comes first */
        it->pkt++;
        mqttka_store_rtt_finding(it->num, p, &it->rebuilt, it->details ? it->detail : NULL);
        return &it->rebuilt;
    }
    const mqttka_finding_rec *f = it->next;
    if (f) {
        it->next = it->visited ? f->next_tagged : f->next_reported;
        it->n_kept++;
    }
    return f;
}

/* Queues the core's counts of TCP connections as they stand after this
 * frame, for the statistics tree's accounting. On every frame: whichever
 * frame is tapped last (the last of the capture, or of those a tap filter
 * passes) leaves its counts in the tree, and a capture without MQTT is
 * accounted too. */
static void tap_counts(packet_info *pinfo)
{
    mqttka_counts *c = wmem_new(pinfo->pool, mqttka_counts);
    if (!mqttka_store_counts(c))
        return;
    mqttka_tap_data *d = wmem_new0(pinfo->pool, mqttka_tap_data);
    d->counts = c;
    d->counts_final = mqttka_store_finished();
    tap_queue_packet(mqttka_tap, pinfo, d);
}

static int dissect_mqttka_post(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    (void)data;
    /* Pushes the frame on the first pass, finishes the core on the first
     * revisit: the counts are read after that. */
    const mqttka_frame_rec *r = mqttka_store_frame(tvb, pinfo);
    if (have_tap_listener(mqttka_tap))
        tap_counts(pinfo);
    if (!r)
        return 0;

    /* Single-pass tshark sees each frame once, on the first pass: it shows
     * what became known at this frame. Revisits show what is about it. */
    bool visited = PINFO_FD_VISITED(pinfo);
    const mqttka_summary_rec *sums = !r->lists ? NULL
                                     : visited ? r->lists->sum_tagged : r->lists->sum_reported;

    /* The statistics tree counts each frame's packets once and each
     * summary once, on the pass that taps (the only pass of single-pass
     * tshark, the revisits of tshark -2 and the GUI). */
    if (have_tap_listener(mqttka_tap)) {
        if (r->n_pkts > 0) {
            mqttka_tap_data *d = wmem_new0(pinfo->pool, mqttka_tap_data);
            d->pkts = r->pkts;
            d->n_pkts = r->n_pkts;
            tap_queue_packet(mqttka_tap, pinfo, d);
        }
        /* Packets of earlier frames decoded at this one: a revisit taps
         * them on their own frames. */
        if (!visited && r->lists && r->lists->n_decoded_late > 0) {
            mqttka_tap_data *d = wmem_new0(pinfo->pool, mqttka_tap_data);
            d->pkts = r->lists->decoded_late;
            d->n_pkts = r->lists->n_decoded_late;
            tap_queue_packet(mqttka_tap, pinfo, d);
        }
        for (const mqttka_summary_rec *s = sums; s;
             s = visited ? s->next_tagged : s->next_reported) {
            mqttka_tap_data *d = wmem_new0(pinfo->pool, mqttka_tap_data);
            d->summary = s;
            tap_queue_packet(mqttka_tap, pinfo, d);
        }
    }

    finding_iter it;
    finding_iter_init(&it, r, pinfo->num, visited, false);
    const mqttka_finding_rec *f = finding_next(&it);
    bool findings = f != NULL;
    if (r->n_pkts == 0 && !findings && !sums)
        return 0;

    /* The top line says what is inside: the findings, else the verdict,
     * else the packets. */
    proto_item *ti = proto_tree_add_item(tree, proto_mqttka, tvb, 0, 0, ENC_NA);
    const char *sep = ": ";
    /* The Info column gets "[mqttka: kind, kind]": each kind of warning or
     * error shown on this frame once, in the order of the tree. */
    bool tagged[MQTTKA_F_COUNT] = { false };
    wmem_strbuf_t *info = NULL;
    for (; f; f = finding_next(&it)) {
        const char *kind = mqttka_finding_name((mqttka_finding_kind)f->kind);
        proto_item_append_text(ti, "%s%s", sep, kind);
        sep = ", ";
        if (f->severity >= MQTTKA_WARN && f->kind < MQTTKA_F_COUNT && !tagged[f->kind]) {
            tagged[f->kind] = true;
            if (!info)
                info = wmem_strbuf_new(pinfo->pool, " [mqttka: ");
            else
                wmem_strbuf_append(info, ", ");
            wmem_strbuf_append(info, kind);
        }
    }
    if (info) {
        wmem_strbuf_append_c(info, ']');
        col_append_str(pinfo->cinfo, COL_INFO, wmem_strbuf_get_str(info));
    }
    for (const mqttka_summary_rec *s = sums; s; s = visited ? s->next_tagged : s->next_reported) {
        proto_item_append_text(ti, "%sverdict %s", sep,
                               mqttka_verdict_name((mqttka_verdict)s->verdict));
        sep = ", ";
    }
    if (!findings && !sums) {
        for (uint32_t i = 0; i < r->n_pkts; i++) {
            proto_item_append_text(ti, "%s%s", sep, mqttka_mqtt_type_name(r->pkts[i].type));
            sep = ", ";
        }
    }
    proto_tree *mt = proto_item_add_subtree(ti, ett_mqttka);

    for (uint32_t i = 0; i < r->n_pkts; i++)
        add_packet(mt, tvb, &r->pkts[i]);
    finding_iter_init(&it, r, pinfo->num, visited, true);
    while ((f = finding_next(&it)) != NULL)
        add_finding(mt, tvb, pinfo, f);
    for (const mqttka_summary_rec *s = sums; s; s = visited ? s->next_tagged : s->next_reported)
        add_summary(mt, tvb, s);
    return 0;
}

/* Expert infos are built at registration from the core's names. Wireshark
 * keeps pointers into the array and to the strings for the life of the
 * process, so neither is ever freed. */
static void register_expert_infos(void)
{
    ei_register_info *ei = g_new0(ei_register_info, MQTTKA_F_COUNT * 3);
    int n = 0;
    for (int k = 0; k < MQTTKA_F_COUNT; k++) {
        const char *kind = mqttka_finding_name((mqttka_finding_kind)k);
        mqttka_severity own = mqttka_finding_severity((mqttka_finding_kind)k);
        for (int s = 0; s < 3; s++) {
            ei_register_info *e = &ei[n++];
            e->ids = &ei_finding[k][s];
            if ((mqttka_severity)s == own)
                e->eiinfo.name = g_strdup_printf("mqttka.%s", kind);
            else
                e->eiinfo.name = g_strdup_printf("mqttka.%s.%s", kind,
                                                 mqttka_severity_name((mqttka_severity)s));
            e->eiinfo.group = kind_group((mqttka_finding_kind)k);
            e->eiinfo.severity = mqttka_severity_pi[s];
            e->eiinfo.summary = g_strdup_printf("MQTT keepalive analysis: %s", kind);
        }
    }
    expert_module_t *em = expert_register_protocol(proto_mqttka);
    expert_register_field_array(em, ei, n);
}

void proto_register_mqttka(void)
{
    static hf_register_info hf[] = {
        { &hf_packet, { "MQTT packet", "mqttka.packet", FT_STRING, BASE_NONE, NULL, 0,
            "A complete MQTT control packet the analyzer saw end in this frame", HFILL } },
        { &hf_connection, { "Connection", "mqttka.connection", FT_UINT64, BASE_DEC, NULL, 0,
            "The analyzer's connection number (1, 2, ... in order of first sight)", HFILL } },
        { &hf_direction, { "Direction", "mqttka.direction", FT_STRING, BASE_NONE, NULL, 0,
            NULL, HFILL } },
        { &hf_keepalive, { "Effective keepalive", "mqttka.keepalive", FT_INT32,
            BASE_DEC | BASE_UNIT_STRING, &units_second_seconds, 0,
            "KAe: the MQTT 5 Server Keep Alive if present, else the CONNECT Keep Alive", HFILL } },
        { &hf_silence, { "Client silence", "mqttka.silence", FT_DOUBLE,
            BASE_CUSTOM, CF_FUNC(label_silence), 0,
            "Time since the client's previous MQTT packet", HFILL } },
        { &hf_silence_ratio, { "Silence / keepalive", "mqttka.silence_ratio", FT_DOUBLE,
            BASE_CUSTOM, CF_FUNC(label_ratio), 0, "Client silence divided by the effective keepalive", HFILL } },
        { &hf_pingresp_in, { "PINGRESP in frame", "mqttka.pingresp_in", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0, "The frame of the PINGRESP that answers this PINGREQ", HFILL } },
        { &hf_pingreq_in, { "PINGREQ in frame", "mqttka.pingreq_in", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0, "The frame of the PINGREQ this PINGRESP answers", HFILL } },
        { &hf_rtt, { "Ping RTT", "mqttka.rtt", FT_DOUBLE, BASE_CUSTOM,
            CF_FUNC(label_duration), 0, "Time from PINGREQ to PINGRESP", HFILL } },
        { &hf_finding, { "Finding", "mqttka.finding", FT_STRING, BASE_NONE, NULL, 0,
            "The finding's kind, as in the CLI's JSON", HFILL } },
        { &hf_severity, { "Severity", "mqttka.severity", FT_STRING, BASE_NONE, NULL, 0,
            "info, warn or error", HFILL } },
        { &hf_detail, { "Detail", "mqttka.detail", FT_STRING, BASE_NONE, NULL, 0, NULL, HFILL } },
        { &hf_value, { "Value", "mqttka.value", FT_DOUBLE, BASE_NONE, NULL, 0,
            "The number that goes with the finding (seconds, keepalive...)", HFILL } },
        { &hf_finding_frame, { "About frame", "mqttka.finding_frame", FT_FRAMENUM, BASE_NONE,
            NULL, 0, "The frame this finding is about", HFILL } },
        { &hf_reported_in, { "Known at frame", "mqttka.reported_in", FT_FRAMENUM, BASE_NONE,
            NULL, 0, "The frame at which the finding became known", HFILL } },
        { &hf_at_end, { "Known at the end of the capture", "mqttka.at_end", FT_BOOLEAN,
            BASE_NONE, NULL, 0, "The finding became known only when the capture ended", HFILL } },
        { &hf_verdict, { "Verdict", "mqttka.verdict", FT_STRING, BASE_NONE, NULL, 0,
            "Why the connection ended", HFILL } },
        { &hf_verdict_detail, { "Verdict detail", "mqttka.verdict_detail", FT_STRING, BASE_NONE,
            NULL, 0, NULL, HFILL } },
        { &hf_close_mechanism, { "Close mechanism", "mqttka.close_mechanism", FT_STRING,
            BASE_NONE, NULL, 0, NULL, HFILL } },
        { &hf_close_initiator, { "Closed first by", "mqttka.close_initiator", FT_STRING,
            BASE_NONE, NULL, 0, NULL, HFILL } },
        { &hf_ws_close_code, { "WebSocket close code", "mqttka.ws_close_code", FT_INT32,
            BASE_DEC, NULL, 0, NULL, HFILL } },
        { &hf_disconnect_reason, { "DISCONNECT reason code", "mqttka.disconnect_reason",
            FT_UINT8, BASE_HEX, NULL, 0, NULL, HFILL } },
        { &hf_taken_over_by, { "Taken over by connection", "mqttka.taken_over_by", FT_UINT64,
            BASE_DEC, NULL, 0, "session_taken_over: the connection whose CONNECT with the same "
            "client id made the server close this one", HFILL } },
        { &hf_connack_code, { "CONNACK code", "mqttka.connack_code", FT_UINT8, BASE_HEX, NULL, 0,
            "The CONNACK's return code (3.1.1) or reason code (5.0)", HFILL } },
        { &hf_client, { "Client", "mqttka.client", FT_STRING, BASE_NONE, NULL, 0, NULL, HFILL } },
        { &hf_server, { "Server", "mqttka.server", FT_STRING, BASE_NONE, NULL, 0, NULL, HFILL } },
        { &hf_client_id, { "Client ID", "mqttka.client_id", FT_STRING, BASE_NONE, NULL, 0,
            NULL, HFILL } },
        { &hf_mqtt_version, { "MQTT version", "mqttka.mqtt_version", FT_STRING, BASE_NONE,
            NULL, 0, NULL, HFILL } },
        { &hf_transport, { "Transport", "mqttka.transport", FT_STRING, BASE_NONE, NULL, 0,
            "tcp or websocket", HFILL } },
        { &hf_pings, { "PINGREQs", "mqttka.pings", FT_UINT32, BASE_DEC, NULL, 0, NULL, HFILL } },
        { &hf_unanswered, { "PINGREQs unanswered", "mqttka.unanswered", FT_UINT32, BASE_DEC,
            NULL, 0, NULL, HFILL } },
        { &hf_rtt_min, { "RTT min", "mqttka.rtt_min", FT_DOUBLE, BASE_CUSTOM,
            CF_FUNC(label_duration), 0, NULL, HFILL } },
        { &hf_rtt_median, { "RTT median", "mqttka.rtt_median", FT_DOUBLE,
            BASE_CUSTOM, CF_FUNC(label_duration), 0, NULL, HFILL } },
        { &hf_rtt_p95, { "RTT p95", "mqttka.rtt_p95", FT_DOUBLE, BASE_CUSTOM,
            CF_FUNC(label_duration), 0, NULL, HFILL } },
        { &hf_rtt_max, { "RTT max", "mqttka.rtt_max", FT_DOUBLE, BASE_CUSTOM,
            CF_FUNC(label_duration), 0, NULL, HFILL } },
        { &hf_max_silence, { "Longest client silence", "mqttka.max_silence", FT_DOUBLE,
            BASE_CUSTOM, CF_FUNC(label_duration), 0, NULL, HFILL } },
        { &hf_start_seen, { "Start captured", "mqttka.start_seen", FT_BOOLEAN, BASE_NONE,
            NULL, 0, "The connection's SYN is in the capture (false: joined after it started)",
            HFILL } },
        { &hf_keepalive_inferred, { "Keepalive inferred", "mqttka.keepalive_inferred", FT_INT32,
            BASE_DEC | BASE_UNIT_STRING, &units_second_seconds, 0,
            "The CONNECT was not captured: the keepalive inferred from the client's PINGREQ "
            "cadence", HFILL } },
        { &hf_missing_side, { "Side not captured", "mqttka.missing_side", FT_STRING, BASE_NONE,
            NULL, 0, "one_sided: only the other side's direction was captured (server or client)",
            HFILL } },
        { &hf_pingreq_inferred, { "PINGREQ inferred", "mqttka.pingreq_inferred", FT_BOOLEAN,
            BASE_NONE, NULL, 0, "An unanswered PINGREQ the capture did not hold, inferred from "
            "the server's acknowledgment of its bytes (not in the PINGREQ counts)", HFILL } },
        { &hf_close_inferred, { "Close inferred", "mqttka.close_inferred", FT_BOOLEAN,
            BASE_NONE, NULL, 0, "The first close is a DISCONNECT the capture did not hold, "
            "inferred from the server's acknowledgments", HFILL } },
    };
    static gint *ett[] = { &ett_mqttka, &ett_packet, &ett_finding, &ett_verdict };

    proto_mqttka = proto_register_protocol("MQTT Keepalive", "MQTT Keepalive", "mqttka");
    proto_register_field_array(proto_mqttka, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    register_expert_infos();

    mqttka_post_handle = register_dissector("mqttka", dissect_mqttka_post, proto_mqttka);
    mqttka_tap = register_tap("mqttka");

    mqttka_store_register();
    mqttka_transport_register();
    mqttka_stats_register();
}

void proto_reg_handoff_mqttka(void)
{
    register_postdissector(mqttka_post_handle);
    mqttka_transport_handoff();
}

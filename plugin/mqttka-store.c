/*
 * mqttka-store.c - the analysis path of the plugin: frames in, per-frame
 * records out.
 *
 * On the first (sequential) pass every frame is decoded down to TCP by the
 * core's own mqttka_frame_to_segment, exactly as the CLI does, and pushed
 * into one analyzer per capture file. Everything the core emits is copied
 * into records kept in wmem file scope and indexed by frame number:
 *
 *   MQTT packets        on the frame that completed them (ev->tag); a PINGRESP
 *                       links back to its PINGREQ (pair_tag) and the PINGREQ
 *                       gets the forward link;
 *   findings            twice: on the frame where they became known
 *                       (reported_tag, shown by single-pass tshark) and on
 *                       the frame they are about (tag, shown on revisits);
 *   summaries           on the frame where they were emitted and on the
 *                       frame that closed the connection (close_tag), or the
 *                       connection's last frame when it was still open.
 *
 * The first pass ends with Wireshark's "postseq cleanup" (tshark -2 and the
 * GUI call it after the sequential read); the first revisited frame also
 * ends it, for the paths that do not call it (a redissection after a
 * preference change, a live capture browsed while it runs). Then mqttka_finish emits what only
 * the end of the capture can tell (an unanswered PINGREQ, silence up to the
 * end, the summaries of open connections).
 *
 * Revisits (tshark -2, the GUI, in any order) only read the records.
 */
#include "mqttka-plugin.h"

#include <wiretap/wtap.h>

static struct {
    mqttka_analyzer *analyzer;
    wmem_map_t *frames;       /* frame number -> mqttka_frame_rec */
    bool finished;
    mqttka_time last_ts;      /* of the last frame pushed */
    uint32_t last_frame;
} store;

/* The pcap LINKTYPE_ for a Wireshark encapsulation, for the link layers the
 * core decodes. (wtap_wtap_encap_to_pcap_encap does this inside Wireshark
 * but 4.0 does not export it.) */
static bool pcap_linktype(int encap, uint32_t *out)
{
    switch (encap) {
    case WTAP_ENCAP_ETHERNET: *out = 1; return true;
    case WTAP_ENCAP_NULL: *out = 0; return true;
    case WTAP_ENCAP_LOOP: *out = 108; return true;
    case WTAP_ENCAP_SLL: *out = 113; return true;
    case WTAP_ENCAP_SLL2: *out = 276; return true;
    case WTAP_ENCAP_RAW_IP: *out = 101; return true;
    case WTAP_ENCAP_RAW_IP4: *out = 228; return true;
    case WTAP_ENCAP_RAW_IP6: *out = 229; return true;
    default: return false;
    }
}

static mqttka_frame_rec *frame_rec(uint32_t num)
{
    mqttka_frame_rec *r = (mqttka_frame_rec *)wmem_map_lookup(store.frames, GUINT_TO_POINTER(num));
    if (!r) {
        r = wmem_new0(wmem_file_scope(), mqttka_frame_rec);
        wmem_map_insert(store.frames, GUINT_TO_POINTER(num), r);
    }
    return r;
}

/* Frame numbers are 32-bit in Wireshark; the core's tags are what we gave it. */
static uint32_t tag_frame(uint64_t tag)
{
    return tag <= UINT32_MAX ? (uint32_t)tag : 0;
}

static void on_packet(const mqttka_event *ev)
{
    const mqttka_mqtt_packet *m = &ev->u.mqtt;
    uint32_t num = tag_frame(ev->tag);
    if (num == 0)
        return;

    mqttka_pkt_rec *p = wmem_new0(wmem_file_scope(), mqttka_pkt_rec);
    p->conn_id = ev->conn ? ev->conn->id : 0;
    p->type = m->type;
    p->dir = ev->dir;
    p->keepalive = ev->conn ? ev->conn->effective_keepalive : -1;
    p->silence = m->silence;
    p->rtt = m->rtt;
    p->pingreq_in = tag_frame(m->pair_tag);

    mqttka_frame_rec *r = frame_rec(num);
    if (r->pkts_tail)
        r->pkts_tail->next = p;
    else
        r->pkts = p;
    r->pkts_tail = p;

    /* The forward link, on the PINGREQ this PINGRESP answers. */
    if (m->type == 13 && p->pingreq_in != 0) {
        mqttka_frame_rec *q = (mqttka_frame_rec *)wmem_map_lookup(store.frames,
                                                                  GUINT_TO_POINTER(p->pingreq_in));
        for (mqttka_pkt_rec *x = q ? q->pkts : NULL; x; x = x->next) {
            if (x->type == 12 && x->conn_id == p->conn_id && x->pingresp_in == 0) {
                x->pingresp_in = num;
                x->rtt = m->rtt;
                break;
            }
        }
    }
}

static void on_finding(const mqttka_event *ev)
{
    const mqttka_finding *f = ev->u.finding;
    mqttka_finding_rec *rec = wmem_new0(wmem_file_scope(), mqttka_finding_rec);
    rec->conn_id = ev->conn ? ev->conn->id : 0;
    rec->kind = f->kind;
    rec->severity = f->severity;
    rec->has_value = f->has_value;
    rec->value = f->value;
    rec->tag = f->tag;
    rec->reported_tag = f->reported_tag;
    rec->detail = wmem_strndup(wmem_file_scope(), f->detail, MQTTKA_DETAIL_MAX - 1);

    uint32_t reported = tag_frame(f->reported_tag);
    uint32_t about = tag_frame(f->tag);
    if (about == 0)
        about = reported ? reported : store.last_frame;

    if (reported != 0) {
        mqttka_frame_rec *r = frame_rec(reported);
        if (r->reported_tail)
            r->reported_tail->next_reported = rec;
        else
            r->reported = rec;
        r->reported_tail = rec;
    }
    if (about != 0) {
        mqttka_frame_rec *r = frame_rec(about);
        if (r->tagged_tail)
            r->tagged_tail->next_tagged = rec;
        else
            r->tagged = rec;
        r->tagged_tail = rec;
    }
}

static void on_summary(const mqttka_event *ev)
{
    const mqttka_summary *s = ev->u.summary;
    mqttka_summary_rec *rec = wmem_new0(wmem_file_scope(), mqttka_summary_rec);
    if (s->conn)
        rec->conn = *s->conn;
    rec->s = *s;
    rec->s.conn = NULL;
    rec->s.findings = NULL;
    rec->s.n_findings = 0;

    uint32_t reported = tag_frame(ev->tag);
    uint32_t closed = tag_frame(s->close_tag);
    uint32_t last = s->conn ? tag_frame(s->conn->last_tag) : 0;
    /* Still open at the end: the connection's own last frame. */
    rec->frame = closed ? closed : last ? last : store.last_frame;

    if (reported != 0) {
        mqttka_frame_rec *r = frame_rec(reported);
        if (r->sum_reported_tail)
            r->sum_reported_tail->next_reported = rec;
        else
            r->sum_reported = rec;
        r->sum_reported_tail = rec;
    }
    if (rec->frame != 0) {
        mqttka_frame_rec *r = frame_rec(rec->frame);
        if (r->sum_tagged_tail)
            r->sum_tagged_tail->next_tagged = rec;
        else
            r->sum_tagged = rec;
        r->sum_tagged_tail = rec;
    }
}

static void on_event(void *user_data, const mqttka_event *ev)
{
    (void)user_data;
    switch (ev->type) {
    case MQTTKA_EV_MQTT_PACKET: on_packet(ev); break;
    case MQTTKA_EV_FINDING: on_finding(ev); break;
    case MQTTKA_EV_CONNECTION: on_summary(ev); break;
    case MQTTKA_EV_WS_HANDSHAKE:
    case MQTTKA_EV_WS_CONTROL:
        break;
    }
}

static void store_init(void)
{
    store.frames = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
    store.finished = false;
    store.last_ts = MQTTKA_TIME_NONE;
    store.last_frame = 0;
    mqttka_free(&store.analyzer);
    if (mqttka_new(&store.analyzer, NULL, on_event, NULL) != MQTTKA_OK) {
        ws_warning("mqttka: cannot create the analyzer; no keepalive analysis for this file");
        store.analyzer = NULL;
    }
}

static void store_finish(void)
{
    if (store.finished || !store.analyzer)
        return;
    store.finished = true;
    mqttka_finish(store.analyzer, store.last_ts);
}

static void store_cleanup(void)
{
    mqttka_free(&store.analyzer);
    store.frames = NULL; /* freed with the file scope */
    store.finished = false;
}

void mqttka_store_register(void)
{
    register_init_routine(store_init);
    register_cleanup_routine(store_cleanup);
    register_postseq_cleanup_routine(store_finish);
}

bool mqttka_store_finished(void)
{
    return store.finished;
}

static void push_frame(tvbuff_t *tvb, packet_info *pinfo)
{
    uint32_t linktype;
    if (!pinfo->rec || pinfo->rec->rec_type != REC_TYPE_PACKET)
        return;
    if (!pcap_linktype(pinfo->rec->rec_header.packet_header.pkt_encap, &linktype))
        return;

    mqttka_time ts = (mqttka_time)pinfo->abs_ts.secs * 1000000 + pinfo->abs_ts.nsecs / 1000;
    store.last_ts = ts;
    store.last_frame = pinfo->num;

    unsigned caplen = tvb_captured_length(tvb);
    unsigned wirelen = tvb_reported_length(tvb);
    const uint8_t *bytes = tvb_get_ptr(tvb, 0, (gint)caplen);
    mqttka_segment seg;
    if (mqttka_frame_to_segment(linktype, bytes, caplen, wirelen, &seg) != MQTTKA_FRAME_TCP)
        return;
    seg.ts = ts;
    seg.tag = pinfo->num;
    /* MQTTKA_ERR_NOMEM drops the segment and emits resource_limit: nothing
     * more to do here. */
    (void)mqttka_push(store.analyzer, &seg);
}

const mqttka_frame_rec *mqttka_store_frame(tvbuff_t *tvb, packet_info *pinfo)
{
    if (!store.frames)
        return NULL;
    if (!PINFO_FD_VISITED(pinfo)) {
        /* New frames after the end was declared happen only in a live
         * capture in the GUI that was browsed while it ran: the core forgot
         * the finished connections, so those still open look to it as if
         * the capture had started late. Reloading the file gives the whole
         * picture. */
        store.finished = false;
        if (store.analyzer)
            push_frame(tvb, pinfo);
    } else {
        store_finish();
    }
    return (const mqttka_frame_rec *)wmem_map_lookup(store.frames, GUINT_TO_POINTER(pinfo->num));
}

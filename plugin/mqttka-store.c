/*
 * mqttka-store.c - the analysis path of the plugin: frames in, per-frame
 * records out.
 *
 * On the first (sequential) pass every frame is decoded down to TCP by the
 * core's own mqttka_frame_to_segment, exactly as the CLI does, and pushed
 * into one analyzer per capture file. Everything the core emits is copied
 * into records kept in wmem file scope and indexed by frame number:
 *
 *   MQTT packets        inside the record of the frame that completed them
 *                       (ev->tag); a PINGRESP links back to its PINGREQ
 *                       (pair_tag) and the PINGREQ gets the forward link;
 *   findings            twice: on the frame where they became known
 *                       (reported_tag, shown by single-pass tshark) and on
 *                       the frame they are about (tag, shown on revisits);
 *                       except pingresp_rtt, one per ping pair, which is
 *                       rebuilt from its PINGRESP's record when shown;
 *   summaries           on the frame where they were emitted and on the
 *                       frame that closed the connection (close_tag), or the
 *                       connection's last frame when it was still open.
 *
 * These records are most of the plugin's memory (a capture has an MQTT
 * packet in every third frame or so): a frame with one MQTT packet costs 48
 * bytes and its slot in the frame table, a frame with nothing 8 bytes.
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

/* Frame records are found by frame number in a table of pages of
 * FRAMES_PER_PAGE slots, allocated as the first pass reaches them: an array
 * access per frame instead of a hash lookup, and 8 bytes per frame (32 KiB
 * per page) instead of a map entry and an index record per MQTT frame. */
#define FRAMES_PER_PAGE 4096u

/* The findings listed on one frame before a rebuilt pingresp_rtt are
 * counted in a byte of its packet record (mqttka_pkt_rec.rtt_reported_at);
 * past that many, the finding is kept as a record like the others. */
#define RTT_AT_MAX 255u

static struct {
    mqttka_analyzer *analyzer;
    mqttka_frame_rec ***pages; /* pages[num / FRAMES_PER_PAGE][num % FRAMES_PER_PAGE] */
    size_t n_pages;
    bool open;                 /* between the init and cleanup routines */
    bool finished;
    mqttka_time last_ts;       /* of the last frame pushed */
    uint32_t last_frame;
    bool pushing;              /* inside mqttka_push of last_frame */
    /* conns[id]: the core numbers connections 1, 2, ... in order of first
     * sight, so an array indexed by the number, grown by doubling, finds a
     * connection's record without a hash look-up: 8 bytes per connection,
     * a record for those with MQTT packets. */
    mqttka_conn_rec **conns;
    size_t n_conns;
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

/* The record of frame `num`, NULL if none. */
static mqttka_frame_rec *frame_get(uint32_t num)
{
    size_t page = num / FRAMES_PER_PAGE;
    if (page >= store.n_pages || !store.pages[page])
        return NULL;
    return store.pages[page][num % FRAMES_PER_PAGE];
}

/* The slot of frame `num`, its page allocated if need be. */
static mqttka_frame_rec **frame_slot(uint32_t num)
{
    size_t page = num / FRAMES_PER_PAGE;
    if (page >= store.n_pages) {
        /* At most 2^32 / FRAMES_PER_PAGE pages: no overflow. */
        size_t n = store.n_pages ? store.n_pages : 16;
        while (n <= page)
            n *= 2;
        store.pages = (mqttka_frame_rec ***)wmem_realloc(wmem_file_scope(), store.pages,
                                                         n * sizeof *store.pages);
        memset(store.pages + store.n_pages, 0, (n - store.n_pages) * sizeof *store.pages);
        store.n_pages = n;
    }
    if (!store.pages[page])
        store.pages[page] = (mqttka_frame_rec **)wmem_alloc0(wmem_file_scope(),
                                                             FRAMES_PER_PAGE * sizeof **store.pages);
    return &store.pages[page][num % FRAMES_PER_PAGE];
}

/* The lists of frame `num`, created if need be. */
static mqttka_frame_lists *frame_lists(uint32_t num)
{
    mqttka_frame_rec **slot = frame_slot(num);
    if (!*slot)
        *slot = wmem_new0(wmem_file_scope(), mqttka_frame_rec);
    if (!(*slot)->lists)
        (*slot)->lists = wmem_new0(wmem_file_scope(), mqttka_frame_lists);
    return (*slot)->lists;
}

/* A new zeroed packet record at the end of frame `num`'s. The frame record
 * holds its packets: it is reallocated when a packet comes and n_pkts is 0
 * or a power of two (its capacity), so most hold exactly one. Only the slot
 * points to a frame record: moving it is safe. */
static mqttka_pkt_rec *frame_add_pkt(uint32_t num)
{
    mqttka_frame_rec **slot = frame_slot(num);
    mqttka_frame_rec *r = *slot;
    uint32_t n = r ? r->n_pkts : 0;
    if ((n & (n - 1)) == 0) {
        /* A frame is at most 256 KiB, so it ends at most 2^17 packets:
         * neither the count nor the size overflows. */
        size_t cap = n ? 2 * (size_t)n : 1;
        r = (mqttka_frame_rec *)wmem_realloc(wmem_file_scope(), r,
                                             sizeof *r + cap * sizeof r->pkts[0]);
        if (!*slot) {
            r->lists = NULL;
            r->n_pkts = 0;
        }
        *slot = r;
    }
    mqttka_pkt_rec *p = &r->pkts[r->n_pkts++];
    memset(p, 0, sizeof *p);
    return p;
}

/* Frame numbers are 32-bit in Wireshark; the core's tags are what we gave it. */
static uint32_t tag_frame(uint64_t tag)
{
    return tag <= UINT32_MAX ? (uint32_t)tag : 0;
}

static uint32_t conn_number(const mqttka_connection *c)
{
    return c && c->id <= UINT32_MAX ? (uint32_t)c->id : 0;
}

const mqttka_conn_rec *mqttka_store_conn(uint32_t conn_id)
{
    return conn_id < store.n_conns ? store.conns[conn_id] : NULL;
}

/* Notes the connection of an MQTT packet the first time it has one, and
 * its client ID the first time it is known. */
static void note_conn(const mqttka_connection *c, uint32_t conn_id)
{
    if (!c || conn_id == 0)
        return;
    if (conn_id >= store.n_conns) {
        /* conn_id < 2^32: the doubling stops at 2^33 slots. */
        size_t n = store.n_conns ? store.n_conns : 64;
        while (n <= conn_id)
            n *= 2;
        store.conns = (mqttka_conn_rec **)wmem_realloc(wmem_file_scope(), store.conns,
                                                       n * sizeof *store.conns);
        memset(store.conns + store.n_conns, 0, (n - store.n_conns) * sizeof *store.conns);
        store.n_conns = n;
    }
    mqttka_conn_rec *r = store.conns[conn_id];
    if (!r) {
        r = wmem_new0(wmem_file_scope(), mqttka_conn_rec);
        r->client = c->client;
        r->server = c->server;
        r->transport = (uint8_t)c->transport;
        r->client_id = "";
        store.conns[conn_id] = r;
    }
    if (!r->client_id[0] && c->client_id && c->client_id[0])
        r->client_id = wmem_strndup(wmem_file_scope(), c->client_id, MQTTKA_CLIENT_ID_SIZE - 1);
}

/* A copy of packet `p` of an earlier frame, on the frame being pushed: its
 * own frame was shown (and tapped, in single pass) before it was decoded.
 * The copy holds what the statistics read, which is final when decoded;
 * the forward ping link set later on the original is not among it. */
static void note_decoded_late(const mqttka_pkt_rec *p)
{
    mqttka_frame_lists *l = frame_lists(store.last_frame);
    uint32_t n = l->n_decoded_late;
    if ((n & (n - 1)) == 0) {
        /* Bounded as frame_add_pkt's: what one frame's push decodes. */
        size_t cap = n ? 2 * (size_t)n : 1;
        l->decoded_late = (mqttka_pkt_rec *)wmem_realloc(wmem_file_scope(), l->decoded_late,
                                                          cap * sizeof *l->decoded_late);
    }
    l->decoded_late[l->n_decoded_late++] = *p;
}

static void on_packet(const mqttka_event *ev)
{
    const mqttka_mqtt_packet *m = &ev->u.mqtt;
    uint32_t num = tag_frame(ev->tag);
    if (num == 0)
        return;

    mqttka_pkt_rec *p = frame_add_pkt(num);
    p->conn_id = conn_number(ev->conn);
    p->type = m->type;
    p->dir = (uint8_t)ev->dir;
    p->keepalive = ev->conn ? ev->conn->effective_keepalive : -1;
    p->silence = m->silence;
    p->rtt = m->rtt;
    p->pair = m->type == MQTTKA_MQTT_PINGREQ ? 0 : tag_frame(m->pair_tag);
    note_conn(ev->conn, p->conn_id);
    if (store.pushing && num < store.last_frame)
        note_decoded_late(p);

    /* The forward link, on the PINGREQ this PINGRESP answers. */
    if (m->type == MQTTKA_MQTT_PINGRESP && p->pair != 0 && p->pair != num) {
        mqttka_frame_rec *q = frame_get(p->pair);
        for (uint32_t i = 0; q && i < q->n_pkts; i++) {
            mqttka_pkt_rec *x = &q->pkts[i];
            if (x->type == MQTTKA_MQTT_PINGREQ && x->conn_id == p->conn_id && x->pair == 0) {
                x->pair = num;
                x->rtt = m->rtt;
                break;
            }
        }
    }
}

void mqttka_store_rtt_finding(uint32_t num, const mqttka_pkt_rec *p, mqttka_finding_rec *out,
                              char *detail)
{
    memset(out, 0, sizeof *out);
    out->kind = MQTTKA_F_PINGRESP_RTT;
    out->severity = MQTTKA_INFO;
    out->has_value = true;
    out->value = (double)p->rtt / 1e6;
    out->conn_id = p->conn_id;
    out->tag = num;
    out->reported_tag = num;
    if (detail) {
        /* The core's wording (keepalive.c); rtt_from_packet checks it. */
        snprintf(detail, MQTTKA_DETAIL_MAX, "PINGRESP %.3f ms after the PINGREQ in frame %" PRIu32,
                 out->value * 1000.0, p->pair);
        out->detail = detail;
    }
}

/* A pingresp_rtt finding (one per ping pair) says nothing that the record of
 * the PINGRESP it follows does not hold: when the record rebuilds it exactly
 * (mqttka_store_rtt_finding), detail included, the record notes where it
 * goes and no finding record is kept. Anything else (the core changed its
 * wording, say) keeps the finding as a record. */
static bool rtt_from_packet(const mqttka_event *ev, const mqttka_finding *f)
{
    uint32_t num = tag_frame(f->reported_tag);
    if (num == 0 || num != store.last_frame || tag_frame(f->tag) != num)
        return false;
    mqttka_frame_rec *r = frame_get(num);
    if (!r || r->n_pkts == 0)
        return false;
    mqttka_pkt_rec *p = &r->pkts[r->n_pkts - 1];
    if (p->type != 13 || p->pair == 0 || p->rtt == MQTTKA_TIME_NONE || p->rtt_reported_at != 0 ||
        !ev->conn || ev->conn->id != p->conn_id)
        return false;
    uint32_t n_reported = r->lists ? r->lists->n_reported : 0;
    uint32_t n_tagged = r->lists ? r->lists->n_tagged : 0;
    if (n_reported >= RTT_AT_MAX || n_tagged >= RTT_AT_MAX)
        return false;

    mqttka_finding_rec rebuilt;
    char detail[MQTTKA_DETAIL_MAX];
    mqttka_store_rtt_finding(num, p, &rebuilt, detail);
    if (f->severity != (mqttka_severity)rebuilt.severity || !f->has_value ||
        f->value != rebuilt.value || strcmp(f->detail, detail) != 0)
        return false;
    p->rtt_reported_at = (uint8_t)(n_reported + 1);
    p->rtt_tagged_at = (uint8_t)(n_tagged + 1);
    return true;
}

static void on_finding(const mqttka_event *ev)
{
    const mqttka_finding *f = ev->u.finding;
    if (f->kind == MQTTKA_F_PINGRESP_RTT && rtt_from_packet(ev, f))
        return;

    mqttka_finding_rec *rec = wmem_new0(wmem_file_scope(), mqttka_finding_rec);
    rec->conn_id = conn_number(ev->conn);
    rec->kind = (uint8_t)f->kind;
    rec->severity = (uint8_t)f->severity;
    rec->has_value = f->has_value;
    rec->value = f->value;
    rec->tag = tag_frame(f->tag);
    rec->reported_tag = tag_frame(f->reported_tag);
    rec->detail = wmem_strndup(wmem_file_scope(), f->detail, MQTTKA_DETAIL_MAX - 1);

    uint32_t reported = rec->reported_tag;
    uint32_t about = rec->tag;
    if (about == 0)
        about = reported ? reported : store.last_frame;

    if (reported != 0) {
        mqttka_frame_lists *l = frame_lists(reported);
        if (l->reported_tail)
            l->reported_tail->next_reported = rec;
        else
            l->reported = rec;
        l->reported_tail = rec;
        l->n_reported++;
    }
    if (about != 0) {
        mqttka_frame_lists *l = frame_lists(about);
        if (l->tagged_tail)
            l->tagged_tail->next_tagged = rec;
        else
            l->tagged = rec;
        l->tagged_tail = rec;
        l->n_tagged++;
    }
}

static void on_summary(const mqttka_event *ev)
{
    const mqttka_summary *s = ev->u.summary;
    const mqttka_connection *c = s->conn;
    mqttka_summary_rec *rec = wmem_new0(wmem_file_scope(), mqttka_summary_rec);
    rec->verdict_detail = wmem_strndup(wmem_file_scope(), s->verdict_detail, MQTTKA_DETAIL_MAX - 1);
    rec->client_id = "";
    rec->effective_keepalive = -1;
    if (c) {
        rec->conn_id = c->id;
        rec->client = c->client;
        rec->server = c->server;
        rec->transport = (uint8_t)c->transport;
        rec->mqtt_level = c->mqtt_level;
        if (c->client_id[0])
            rec->client_id = wmem_strndup(wmem_file_scope(), c->client_id,
                                          MQTTKA_CLIENT_ID_SIZE - 1);
        rec->effective_keepalive = c->effective_keepalive;
    }
    rec->rtt_min = s->rtt_min;
    rec->rtt_median = s->rtt_median;
    rec->rtt_p95 = s->rtt_p95;
    rec->rtt_max = s->rtt_max;
    rec->max_client_silence = s->max_client_silence;
    rec->pingreq = s->pingreq;
    rec->pingreq_unanswered = s->pingreq_unanswered;
    rec->rtt_count = s->rtt_count;
    rec->ws_close_code = s->ws_close_code;
    rec->disconnect_reason = s->disconnect_reason;
    rec->taken_over_by = s->taken_over_by;
    rec->connack_code = s->connack_code;
    rec->verdict = (uint8_t)s->verdict;
    rec->close_mechanism = (uint8_t)s->close_mechanism;
    rec->close_initiator = (uint8_t)s->close_initiator;
    rec->side_not_captured = (uint8_t)s->side_not_captured;
    rec->close_inferred = s->close_inferred;
    rec->pingreq_inferred = s->pingreq_inferred;
    rec->start_seen = c ? c->start_seen : true;
    rec->keepalive_inferred = c ? c->keepalive_inferred : -1;

    uint32_t reported = tag_frame(ev->tag);
    uint32_t closed = tag_frame(s->close_tag);
    uint32_t last = c ? tag_frame(c->last_tag) : 0;
    /* Still open at the end: the connection's own last frame. */
    rec->frame = closed ? closed : last ? last : store.last_frame;

    if (reported != 0) {
        mqttka_frame_lists *l = frame_lists(reported);
        if (l->sum_reported_tail)
            l->sum_reported_tail->next_reported = rec;
        else
            l->sum_reported = rec;
        l->sum_reported_tail = rec;
    }
    if (rec->frame != 0) {
        mqttka_frame_lists *l = frame_lists(rec->frame);
        if (l->sum_tagged_tail)
            l->sum_tagged_tail->next_tagged = rec;
        else
            l->sum_tagged = rec;
        l->sum_tagged_tail = rec;
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
    case MQTTKA_EV_TLS_INFERENCE: /* not shown by the plugin yet (issue 17) */
        break;
    }
}

static void store_init(void)
{
    store.pages = NULL;
    store.n_pages = 0;
    store.conns = NULL;
    store.n_conns = 0;
    store.open = true;
    store.finished = false;
    store.last_ts = MQTTKA_TIME_NONE;
    store.last_frame = 0;
    mqttka_tls_init();
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
    store.pages = NULL; /* freed with the file scope */
    store.n_pages = 0;
    store.conns = NULL;
    store.n_conns = 0;
    store.open = false;
    store.finished = false;
    mqttka_tls_cleanup();
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

bool mqttka_store_counts(mqttka_counts *out)
{
    if (!store.open || !store.analyzer)
        return false;
    mqttka_get_counts(store.analyzer, out);
    return true;
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
    /* A TLS connection: what Wireshark decrypted, in its place. */
    (void)mqttka_tls_rewrite(pinfo, &seg);
    /* MQTTKA_ERR_NOMEM drops the segment and emits resource_limit: nothing
     * more to do here. */
    store.pushing = true;
    (void)mqttka_push(store.analyzer, &seg);
    store.pushing = false;
}

const mqttka_frame_rec *mqttka_store_frame(tvbuff_t *tvb, packet_info *pinfo)
{
    if (!store.open)
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
    return frame_get(pinfo->num);
}

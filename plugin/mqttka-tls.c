/*
 * mqttka-tls.c - the core fed with what Wireshark's TLS dissector decrypted
 * (issue 17).
 *
 * mqttka-store.c feeds the core the TCP segments of each frame, decoded from
 * the frame's own bytes. On a TLS connection those bytes are records; with
 * a key log (the tls.keylog_file preference) Wireshark's TLS dissector
 * decrypts them on the first pass and keeps each record's plaintext with the
 * frame that completed it (SslPacketInfo, p_add_proto_data(proto_tls), the
 * same records "Follow TLS Stream" reads). This file rewrites, for the
 * connections TLS handles, each frame's segment so that the core sees the
 * decrypted application data as if it had travelled in clear:
 *
 *   real TCP, one direction   SYN | ClientHello | [2 records of app data] | FIN
 *   segment the core gets     SYN | (empty)     | plaintext of both        | FIN
 *   sequence numbers          ISN   ISN+1         ISN+1 ... ISN+1+n          ISN+1+n
 *
 * Flags and times are the frame's own. Sequence numbers count plaintext
 * bytes from the real ISN; acknowledgements are mapped from the peer's real
 * sequence space to its plaintext one (what it had received, in plaintext,
 * of the frames it acknowledges), so the core's ACK-based gap and FIN rules
 * see what they would see in clear. A connection is followed this way from
 * the first frame in which the TLS dissector ran on it (its first bytes, on
 * a port TLS claims or through Wireshark's tls_tcp heuristic); segments the
 * core got before were empty (the handshake of TCP), so the two views agree.
 *
 * Without the keys, or where decryption fails, the TLS dissector keeps no
 * plaintext: the core gets empty segments and sees no MQTT (it invents
 * none). What the core would infer from the records' sizes without keys is
 * not shown by the plugin (the CLI shows it).
 *
 * Only the first pass feeds the core; later passes read what was stored.
 */
#include "mqttka-plugin.h"

#include <epan/proto_data.h>
#include <epan/dissectors/packet-tls-utils.h>

/* Plaintext ends of a direction's frames that its peer has not acknowledged
 * yet, kept to map the peer's ACKs. More frames than this in flight (a
 * sender far ahead of its ACKs) are merged into the newest slot: the ACKs
 * of the older ones then map a little short, never ahead of the data. */
#define ACK_MAP_SLOTS 16u

typedef struct ack_slot {
    uint32_t real_end;  /* real sequence number after the frame's bytes */
    uint32_t plain_end; /* plaintext sequence number after them */
} ack_slot;

/* One direction of a connection followed in plaintext. */
typedef struct tls_dir {
    bool known;         /* a segment of it was seen */
    bool fin;
    uint32_t next;      /* plaintext sequence number of its next byte */
    uint32_t real_fin, plain_fin; /* where its FIN is, when fin */
    uint32_t acked;     /* plaintext sequence number its peer acknowledged */
    ack_slot pend[ACK_MAP_SLOTS];
    unsigned n_pend;
} tls_dir;

/* A connection the TLS dissector handles. Side 0 is the endpoint that
 * compares lower (endpoint_cmp), so both directions find it. */
typedef struct tls_flow {
    mqttka_endpoint ep[2];
    tls_dir dir[2];
} tls_flow;

static int proto_tls = -1;
/* The connections followed in the current file (wmem file scope); NULL while
 * there are none, so that other traffic costs no look-up. */
static wmem_map_t *flows;

static int endpoint_cmp(const mqttka_endpoint *a, const mqttka_endpoint *b)
{
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    int c = memcmp(a->addr, b->addr, sizeof a->addr);
    if (c != 0)
        return c;
    return a->port == b->port ? 0 : a->port < b->port ? -1 : 1;
}

static void endpoint_hash_into(const mqttka_endpoint *e, guint *h)
{
    *h = *h * 31u + e->family;
    for (size_t i = 0; i < sizeof e->addr; i++)
        *h = *h * 31u + e->addr[i];
    *h = *h * 31u + e->port;
}

static guint flow_hash(gconstpointer key)
{
    const tls_flow *f = (const tls_flow *)key;
    guint h = 17;
    endpoint_hash_into(&f->ep[0], &h);
    endpoint_hash_into(&f->ep[1], &h);
    return h;
}

static gboolean flow_equal(gconstpointer a, gconstpointer b)
{
    const tls_flow *x = (const tls_flow *)a, *y = (const tls_flow *)b;
    return endpoint_cmp(&x->ep[0], &y->ep[0]) == 0 && endpoint_cmp(&x->ep[1], &y->ep[1]) == 0;
}

/* a < b, a <= b in TCP sequence space. */
static bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static bool seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }

/* True when Wireshark's TLS dissector ran on this frame. */
static bool frame_has_tls(packet_info *pinfo)
{
    if (proto_tls < 0 || !pinfo->layers)
        return false;
    for (wmem_list_frame_t *it = wmem_list_head(pinfo->layers); it; it = wmem_list_frame_next(it))
        if (GPOINTER_TO_INT(wmem_list_frame_data(it)) == proto_tls)
            return true;
    return false;
}

/* The plaintext of the application data records the TLS dissector
 * decrypted in this frame, in order; *len 0 when none. Borrowed from the TLS
 * dissector's file-scope records, or copied into pinfo->pool when the frame
 * completed several. */
static const uint8_t *frame_plaintext(packet_info *pinfo, size_t *len)
{
    *len = 0;
    const SslPacketInfo *pi = NULL;
    unsigned layers = pinfo->layers ? wmem_list_count(pinfo->layers) : 0;
    if (layers > MQTTKA_TLS_LAYER_KEYS_MAX)
        layers = MQTTKA_TLS_LAYER_KEYS_MAX;
    for (unsigned key = 0; key <= layers && !pi; key++)
        pi = (const SslPacketInfo *)p_get_proto_data(wmem_file_scope(), pinfo, proto_tls, key);
    if (!pi)
        return NULL;
    const SslRecordInfo *only = NULL;
    size_t total = 0, n = 0;
    for (const SslRecordInfo *r = pi->records; r; r = r->next) {
        if (r->type != SSL_ID_APP_DATA || r->data_len == 0)
            continue;
        /* Each record is at most 2^14 bytes and a frame at most 256 KiB
         * of them: no overflow. */
        total += r->data_len;
        only = r;
        n++;
    }
    if (n == 0)
        return NULL;
    *len = total;
    if (n == 1)
        return only->plain_data;
    uint8_t *buf = (uint8_t *)wmem_alloc(pinfo->pool, total);
    size_t at = 0;
    for (const SslRecordInfo *r = pi->records; r; r = r->next) {
        if (r->type != SSL_ID_APP_DATA || r->data_len == 0)
            continue;
        memcpy(buf + at, r->plain_data, r->data_len);
        at += r->data_len;
    }
    return buf;
}

/* Notes that frames of `d` up to real sequence number `real_end` carried
 * plaintext up to `plain_end`. */
static void note_sent(tls_dir *d, uint32_t real_end, uint32_t plain_end)
{
    if (d->n_pend == ACK_MAP_SLOTS) {
        d->pend[ACK_MAP_SLOTS - 1].real_end = real_end;
        d->pend[ACK_MAP_SLOTS - 1].plain_end = plain_end;
        return;
    }
    d->pend[d->n_pend].real_end = real_end;
    d->pend[d->n_pend].plain_end = plain_end;
    d->n_pend++;
}

/* The plaintext acknowledgement number for the peer's real ACK `ack` of
 * direction `d`'s bytes. */
static uint32_t map_ack(tls_dir *d, uint32_t ack)
{
    unsigned done = 0;
    while (done < d->n_pend && seq_le(d->pend[done].real_end, ack)) {
        d->acked = d->pend[done].plain_end;
        done++;
    }
    if (done) {
        memmove(d->pend, d->pend + done, (d->n_pend - done) * sizeof d->pend[0]);
        d->n_pend -= done;
    }
    if (d->fin && !seq_lt(ack, d->real_fin + 1))
        d->acked = d->plain_fin + 1;
    return d->acked;
}

bool mqttka_tls_rewrite(packet_info *pinfo, mqttka_segment *seg)
{
    /* Until TLS shows up in a file, a frame costs a walk of its layers. */
    if (!flows && !frame_has_tls(pinfo))
        return false;
    tls_flow key;
    int side = endpoint_cmp(&seg->src, &seg->dst) <= 0 ? 0 : 1;
    key.ep[side] = seg->src;
    key.ep[1 - side] = seg->dst;

    tls_flow *f = flows ? (tls_flow *)wmem_map_lookup(flows, &key) : NULL;
    if (!f) {
        if (!frame_has_tls(pinfo))
            return false;
        if (!flows)
            flows = wmem_map_new(wmem_file_scope(), flow_hash, flow_equal);
        f = wmem_new0(wmem_file_scope(), tls_flow);
        f->ep[0] = key.ep[0];
        f->ep[1] = key.ep[1];
        wmem_map_insert(flows, f, f);
    }

    tls_dir *d = &f->dir[side], *peer = &f->dir[1 - side];
    uint32_t real_seq = seg->seq;
    bool syn = (seg->tcp_flags & MQTTKA_TCP_SYN) != 0;
    bool fin = (seg->tcp_flags & MQTTKA_TCP_FIN) != 0;
    if (!d->known) {
        /* The plaintext stream starts where the real one does. */
        d->next = syn ? real_seq + 1 : real_seq;
        d->acked = d->next;
        d->known = true;
    }

    size_t n = 0;
    const uint8_t *plain = NULL;
    if (seg->wire_len > 0 && !d->fin)
        plain = frame_plaintext(pinfo, &n);

    if (syn) {
        /* seq stays the real ISN */
    } else if (d->fin) {
        /* After its FIN: the FIN sent again, or segments past it. */
        seg->seq = fin ? d->plain_fin : d->next;
    } else {
        seg->seq = d->next;
        d->next += (uint32_t)n;
        if (n)
            note_sent(d, real_seq + (uint32_t)seg->wire_len, d->next);
        if (fin) {
            d->fin = true;
            d->real_fin = real_seq + (uint32_t)seg->wire_len;
            d->plain_fin = d->next;
            d->next++;
        }
    }
    seg->payload = plain;
    seg->captured_len = n;
    seg->wire_len = n;

    if ((seg->tcp_flags & MQTTKA_TCP_ACK) && peer->known) {
        seg->ack = map_ack(peer, seg->ack);
    } else if ((seg->tcp_flags & MQTTKA_TCP_RST) && peer->known) {
        /* A RST without ACK answers a segment of the peer, in TLS often one
         * with no application data (its close_notify), which the plaintext
         * stream does not show: it acknowledges all the peer's plaintext
         * here, so that the core does not take it for the answer to bytes
         * the capture lost (core/flow.c, rst_reveals_unseen_data). */
        seg->tcp_flags |= MQTTKA_TCP_ACK;
        seg->ack = peer->next;
    }
    return true;
}

void mqttka_tls_init(void)
{
    flows = NULL; /* the last file's went with its file scope */
    if (proto_tls < 0)
        proto_tls = proto_get_id_by_filter_name("tls");
}

void mqttka_tls_cleanup(void)
{
    flows = NULL;
}

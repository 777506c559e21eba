/*
 * frame_parse.c - link layer -> IPv4 / IPv6 -> TCP, one captured record.
 *
 * Shared by every front end (mqttka_frame_to_segment), so the CLI and the
 * Wireshark plugin feed the analyzer exactly the same segments.
 *
 *   Ethernet II        dst(6) src(6) type(2), then 0..n tags: TPID(2 = 8100/88a8/9100) TCI(2)
 *   NULL / LOOP        family(4), host byte order of the capturing machine
 *   LINUX_SLL          pkttype(2) hatype(2) halen(2) addr(8) protocol(2)
 *   LINUX_SLL2         protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8)
 *   IPv4 (RFC 791)     ver|ihl(1) tos(1) total(2) id(2) flags|frag(2) ttl(1) proto(1)
 *                      csum(2) src(4) dst(4) options(ihl*4 - 20)
 *   IPv6 (RFC 8200)    ver|tc|flow(4) payload(2) next(1) hops(1) src(16) dst(16),
 *                      then extension headers: hop-by-hop 0, routing 43, destination 60
 *                      (next(1) len(1): (len+1)*8 bytes), fragment 44 (8 bytes),
 *                      AH 51 (RFC 4302: (len+2)*4 bytes)
 *   TCP (RFC 9293)     sport(2) dport(2) seq(4) ack(4) off|rsv(1) flags(1) win(2)
 *                      csum(2) urg(2) options(off*4 - 20)
 *
 * The IP header's length, not the record's, says where the TCP payload ends:
 * Ethernet pads short frames to 60 bytes, and that padding must not become
 * MQTT bytes. The record's wire length only bounds the IP length.
 */
#include "mqttka.h"

#include <string.h>

#include "byte_cursor.h"

/* Link types, by value, so that the parser builds without pcap headers
 * (pcap's DLT_RAW is 12 on most systems, 14 on OpenBSD). */
enum {
    LINK_NULL = 0,
    LINK_EN10MB = 1,
    LINK_DLT_RAW = 12,
    LINK_DLT_RAW_OPENBSD = 14,
    LINK_RAW = 101,
    LINK_LOOP = 108,
    LINK_LINUX_SLL = 113,
    LINK_IPV4 = 228,
    LINK_IPV6 = 229,
    LINK_LINUX_SLL2 = 276,
};

enum {
    ETHERTYPE_IPV4 = 0x0800,
    ETHERTYPE_IPV6 = 0x86dd,
    ETHERTYPE_8021Q = 0x8100,
    ETHERTYPE_8021AD = 0x88a8,
    ETHERTYPE_QINQ_OLD = 0x9100, /* pre-802.1ad stacked tags */
};

enum {
    IPPROTO_NUM_HOPOPTS = 0,
    IPPROTO_NUM_TCP = 6,
    IPPROTO_NUM_ROUTING = 43,
    IPPROTO_NUM_FRAGMENT = 44,
    IPPROTO_NUM_AH = 51,
    IPPROTO_NUM_NONE = 59,
    IPPROTO_NUM_DSTOPTS = 60,
};

/* Address family values that NULL/LOOP headers carry for IPv6: Linux and
 * the BSDs disagree (Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, macOS 30). */
static bool af_is_inet6(uint32_t af)
{
    return af == 10 || af == 24 || af == 28 || af == 30;
}

enum { AF_NUM_INET = 2 };

/* Tag stacks deeper than this are not real traffic: a frame made of nothing
 * but tags must not be walked 4 bytes at a time to its end. */
#define MAX_VLAN_TAGS 8

/* IPv6 extension headers walked before giving up: the protocol sets no
 * limit, but a chain of hundreds is an attack on parsers, not traffic. */
#define MAX_IPV6_EXT_HEADERS 16

typedef struct parse_state {
    byte_cursor cur;   /* over the captured bytes */
    size_t wire_len;     /* the whole frame's length on the wire */
    bool snapped;        /* captured_len < wire_len */
} parse_state;

/* The status for a header that the cursor could not read whole. */
static mqttka_frame_result short_read(const parse_state *ps)
{
    return ps->snapped ? MQTTKA_FRAME_SNAPPED : MQTTKA_FRAME_MALFORMED;
}

/* Wire bytes of the frame from the cursor on. */
static size_t wire_left(const parse_state *ps)
{
    return ps->wire_len > ps->cur.pos ? ps->wire_len - ps->cur.pos : 0;
}

/* Big-endian fields at a known offset, for headers already bounds-checked
 * whole. */
static inline uint16_t load_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* What the TCP header says, before it goes into the caller's segment. */
typedef struct tcp_fields {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    const uint8_t *payload;
    size_t captured_len, wire_len;
} tcp_fields;

/* The TCP header and payload: the cursor stands at the TCP header, and the
 * IP header said the segment is `segment_wire_len` bytes long. */
static mqttka_frame_result parse_tcp(parse_state *ps, size_t segment_wire_len, tcp_fields *t)
{
    byte_cursor *c = &ps->cur;
    byte_cursor_limit(c, segment_wire_len);
    uint8_t offset_byte;
    if (byte_cursor_left(c) >= 20) {
        /* Every real segment: the fixed part read at its offsets, with one
         * bounds check instead of one per field. */
        const uint8_t *h = byte_cursor_here(c);
        t->sport = load_be16(h);
        t->dport = load_be16(h + 2);
        t->seq = load_be32(h + 4);
        t->ack = load_be32(h + 8);
        offset_byte = h[12];
        t->flags = h[13];
        c->pos += 14;
    } else if (!byte_cursor_be16(c, &t->sport) || !byte_cursor_be16(c, &t->dport) ||
               !byte_cursor_be32(c, &t->seq) || !byte_cursor_be32(c, &t->ack) ||
               !byte_cursor_u8(c, &offset_byte) || !byte_cursor_u8(c, &t->flags)) {
        return segment_wire_len < 20 ? MQTTKA_FRAME_MALFORMED : short_read(ps);
    }
    size_t header_len = (size_t)(offset_byte >> 4) * 4;
    if (header_len < 20 || header_len > segment_wire_len)
        return MQTTKA_FRAME_MALFORMED;
    /* window, checksum, urgent pointer, options */
    if (!byte_cursor_skip(c, header_len - 14))
        return short_read(ps);
    t->wire_len = segment_wire_len - header_len;
    t->captured_len = byte_cursor_left(c);
    if (t->captured_len > t->wire_len)
        t->captured_len = t->wire_len;
    t->payload = byte_cursor_here(c);
    return MQTTKA_FRAME_TCP;
}

/* Writes the segment field by field, leaving ts and tag alone. (Not built
 * in a local and copied whole: a struct copy reading back the narrow stores
 * just made stalls on store forwarding, on every packet.) */
static void fill_segment(mqttka_segment *out, uint8_t family, const uint8_t *src,
                         const uint8_t *dst, size_t addr_len, const tcp_fields *t)
{
    out->src.family = family;
    out->dst.family = family;
    memset(out->src.addr, 0, sizeof out->src.addr);
    memset(out->dst.addr, 0, sizeof out->dst.addr);
    memcpy(out->src.addr, src, addr_len);
    memcpy(out->dst.addr, dst, addr_len);
    out->src.port = t->sport;
    out->dst.port = t->dport;
    out->seq = t->seq;
    out->ack = t->ack;
    out->tcp_flags = (uint8_t)(t->flags & (MQTTKA_TCP_FIN | MQTTKA_TCP_SYN | MQTTKA_TCP_RST |
                                           MQTTKA_TCP_PSH | MQTTKA_TCP_ACK));
    out->payload = t->payload;
    out->captured_len = t->captured_len;
    out->wire_len = t->wire_len;
}

static mqttka_frame_result parse_ipv4(parse_state *ps, mqttka_segment *out)
{
    byte_cursor *c = &ps->cur;
    size_t datagram_wire_max = wire_left(ps);
    uint8_t version_ihl, tos, ttl, protocol;
    uint16_t total_len, id, frag, checksum;
    uint8_t src[4], dst[4];
    if (!byte_cursor_u8(c, &version_ihl))
        return short_read(ps);
    if (version_ihl >> 4 != 4)
        return MQTTKA_FRAME_MALFORMED;
    size_t header_len = (size_t)(version_ihl & 0x0f) * 4;
    if (header_len < 20)
        return MQTTKA_FRAME_MALFORMED;
    if (byte_cursor_left(c) >= 19) {
        /* The fixed part at its offsets, one bounds check (as for TCP). */
        const uint8_t *h = byte_cursor_here(c) - 1;
        total_len = load_be16(h + 2);
        frag = load_be16(h + 6);
        protocol = h[9];
        memcpy(src, h + 12, 4);
        memcpy(dst, h + 16, 4);
        c->pos += 19;
        if (!byte_cursor_skip(c, header_len - 20))
            return header_len > datagram_wire_max ? MQTTKA_FRAME_MALFORMED : short_read(ps);
    } else if (!byte_cursor_u8(c, &tos) || !byte_cursor_be16(c, &total_len) ||
               !byte_cursor_be16(c, &id) || !byte_cursor_be16(c, &frag) ||
               !byte_cursor_u8(c, &ttl) || !byte_cursor_u8(c, &protocol) ||
               !byte_cursor_be16(c, &checksum) || !byte_cursor_copy(c, src, 4) ||
               !byte_cursor_copy(c, dst, 4) || !byte_cursor_skip(c, header_len - 20)) {
        return header_len > datagram_wire_max ? MQTTKA_FRAME_MALFORMED : short_read(ps);
    }

    size_t datagram_len = total_len;
    /* A total length of 0 is what a sender with TCP segmentation offload
     * hands to the capture point: the frame itself is the datagram. */
    if (datagram_len == 0)
        datagram_len = datagram_wire_max;
    if (datagram_len < header_len || datagram_len > datagram_wire_max)
        return MQTTKA_FRAME_MALFORMED;
    bool more_fragments = (frag & 0x2000) != 0;
    unsigned fragment_offset = frag & 0x1fff;
    if (more_fragments || fragment_offset != 0)
        return MQTTKA_FRAME_FRAGMENT;
    if (protocol != IPPROTO_NUM_TCP)
        return MQTTKA_FRAME_NOT_TCP;

    tcp_fields t;
    mqttka_frame_result st = parse_tcp(ps, datagram_len - header_len, &t);
    if (st == MQTTKA_FRAME_TCP)
        fill_segment(out, 4, src, dst, 4, &t);
    return st;
}

static mqttka_frame_result parse_ipv6(parse_state *ps, mqttka_segment *out)
{
    byte_cursor *c = &ps->cur;
    size_t datagram_wire_max = wire_left(ps);
    uint32_t version_class_flow;
    uint16_t payload_len;
    uint8_t next_header, hop_limit;
    uint8_t src[16], dst[16];
    if (!byte_cursor_be32(c, &version_class_flow))
        return short_read(ps);
    if (version_class_flow >> 28 != 6)
        return MQTTKA_FRAME_MALFORMED;
    if (!byte_cursor_be16(c, &payload_len) || !byte_cursor_u8(c, &next_header) ||
        !byte_cursor_u8(c, &hop_limit) || !byte_cursor_copy(c, src, 16) ||
        !byte_cursor_copy(c, dst, 16))
        return datagram_wire_max < 40 ? MQTTKA_FRAME_MALFORMED : short_read(ps);

    size_t remaining = payload_len;
    /* 0 is a jumbogram or, in practice, segmentation offload: as for IPv4,
     * the frame is the datagram. */
    if (remaining == 0)
        remaining = datagram_wire_max - 40;
    if (remaining > datagram_wire_max - 40)
        return MQTTKA_FRAME_MALFORMED;

    for (unsigned n = 0;; n++) {
        if (n > MAX_IPV6_EXT_HEADERS)
            return MQTTKA_FRAME_MALFORMED;
        size_t ext_len;
        uint8_t following, len_field;
        switch (next_header) {
        case IPPROTO_NUM_TCP: {
            tcp_fields t;
            mqttka_frame_result st = parse_tcp(ps, remaining, &t);
            if (st == MQTTKA_FRAME_TCP)
                fill_segment(out, 6, src, dst, 16, &t);
            return st;
        }
        case IPPROTO_NUM_HOPOPTS:
        case IPPROTO_NUM_ROUTING:
        case IPPROTO_NUM_DSTOPTS:
        case IPPROTO_NUM_AH:
            if (remaining < 8)
                return MQTTKA_FRAME_MALFORMED;
            if (!byte_cursor_u8(c, &following) || !byte_cursor_u8(c, &len_field))
                return short_read(ps);
            ext_len = next_header == IPPROTO_NUM_AH ? ((size_t)len_field + 2) * 4
                                                    : ((size_t)len_field + 1) * 8;
            if (ext_len > remaining)
                return MQTTKA_FRAME_MALFORMED;
            if (!byte_cursor_skip(c, ext_len - 2))
                return short_read(ps);
            break;
        case IPPROTO_NUM_FRAGMENT: {
            uint8_t reserved;
            uint16_t offset_flags;
            uint32_t ident;
            ext_len = 8;
            if (remaining < ext_len)
                return MQTTKA_FRAME_MALFORMED;
            if (!byte_cursor_u8(c, &following) || !byte_cursor_u8(c, &reserved) ||
                !byte_cursor_be16(c, &offset_flags) || !byte_cursor_be32(c, &ident))
                return short_read(ps);
            /* An atomic fragment (offset 0, no more fragments) is a whole
             * datagram; anything else would need reassembly. */
            if ((offset_flags >> 3) != 0 || (offset_flags & 1) != 0)
                return MQTTKA_FRAME_FRAGMENT;
            break;
        }
        case IPPROTO_NUM_NONE:
        default:
            return MQTTKA_FRAME_NOT_TCP;
        }
        remaining -= ext_len;
        next_header = following;
    }
}

/* An IP datagram whose version is only known from its first nibble (RAW). */
static mqttka_frame_result parse_ip_by_version(parse_state *ps, mqttka_segment *out)
{
    if (byte_cursor_left(&ps->cur) < 1)
        return short_read(ps);
    switch (byte_cursor_here(&ps->cur)[0] >> 4) {
    case 4: return parse_ipv4(ps, out);
    case 6: return parse_ipv6(ps, out);
    default: return MQTTKA_FRAME_MALFORMED;
    }
}

/* The payload of an Ethernet-style type field, VLAN tags included. */
static mqttka_frame_result parse_ethertype(parse_state *ps, uint16_t ethertype,
                                           mqttka_segment *out)
{
    for (unsigned tags = 0; ethertype == ETHERTYPE_8021Q || ethertype == ETHERTYPE_8021AD ||
                            ethertype == ETHERTYPE_QINQ_OLD;
         tags++) {
        uint16_t tci;
        if (tags >= MAX_VLAN_TAGS)
            return MQTTKA_FRAME_MALFORMED;
        if (!byte_cursor_be16(&ps->cur, &tci) || !byte_cursor_be16(&ps->cur, &ethertype))
            return short_read(ps);
    }
    switch (ethertype) {
    case ETHERTYPE_IPV4: return parse_ipv4(ps, out);
    case ETHERTYPE_IPV6: return parse_ipv6(ps, out);
    default: return MQTTKA_FRAME_NOT_TCP;
    }
}

static mqttka_frame_result parse_ethernet(parse_state *ps, mqttka_segment *out)
{
    uint16_t ethertype;
    if (!byte_cursor_skip(&ps->cur, 12) || !byte_cursor_be16(&ps->cur, &ethertype))
        return short_read(ps);
    return parse_ethertype(ps, ethertype, out);
}

static mqttka_frame_result parse_null(parse_state *ps, mqttka_segment *out)
{
    uint8_t b[4];
    if (!byte_cursor_copy(&ps->cur, b, 4))
        return short_read(ps);
    /* Written in the byte order of the machine that captured: the family
     * values are small, so whichever reading fits in 16 bits is the one. */
    uint32_t little = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                      (uint32_t)b[3] << 24;
    uint32_t big = (uint32_t)b[3] | (uint32_t)b[2] << 8 | (uint32_t)b[1] << 16 |
                   (uint32_t)b[0] << 24;
    uint32_t af = little <= 0xffff ? little : big;
    if (af == AF_NUM_INET)
        return parse_ipv4(ps, out);
    if (af_is_inet6(af))
        return parse_ipv6(ps, out);
    return MQTTKA_FRAME_NOT_TCP;
}

static mqttka_frame_result parse_linux_sll(parse_state *ps, mqttka_segment *out)
{
    uint16_t protocol;
    if (!byte_cursor_skip(&ps->cur, 14) || !byte_cursor_be16(&ps->cur, &protocol))
        return short_read(ps);
    return parse_ethertype(ps, protocol, out);
}

static mqttka_frame_result parse_linux_sll2(parse_state *ps, mqttka_segment *out)
{
    uint16_t protocol;
    if (!byte_cursor_be16(&ps->cur, &protocol) || !byte_cursor_skip(&ps->cur, 18))
        return short_read(ps);
    return parse_ethertype(ps, protocol, out);
}

const char *mqttka_link_name(uint32_t linktype)
{
    switch (linktype) {
    case LINK_NULL: return "NULL";
    case LINK_EN10MB: return "EN10MB";
    case LINK_DLT_RAW:
    case LINK_DLT_RAW_OPENBSD:
    case LINK_RAW: return "RAW";
    case LINK_LOOP: return "LOOP";
    case LINK_LINUX_SLL: return "LINUX_SLL";
    case LINK_IPV4: return "IPV4";
    case LINK_IPV6: return "IPV6";
    case LINK_LINUX_SLL2: return "LINUX_SLL2";
    default: return NULL;
    }
}

/* Ethernet II, IPv4 without options, not a fragment, TCP, every header
 * captured: nearly every frame of a broker capture. Read at fixed offsets
 * after one bounds check, with the general path's rules (the unit test
 * compares the two on mutated frames); false leaves everything else, the
 * malformed included, to the general path. */
static bool parse_ethernet_ipv4_tcp(const uint8_t *data, size_t captured_len, size_t wire_len,
                                    mqttka_segment *out)
{
    enum { ETH = 14, IP = 20 };
    if (!data || captured_len < ETH + IP + 20)
        return false;
    const uint8_t *ip = data + ETH;
    if (load_be16(data + 12) != ETHERTYPE_IPV4 || ip[0] != 0x45 || ip[9] != IPPROTO_NUM_TCP ||
        (load_be16(ip + 6) & 0x3fff) != 0)
        return false;
    size_t datagram_len = load_be16(ip + 2);
    size_t frame_len = wire_len < captured_len ? captured_len : wire_len;
    /* 0 (segmentation offload) and the malformed go the general way */
    if (datagram_len < IP + 20 || datagram_len > frame_len - ETH)
        return false;
    const uint8_t *tcp = ip + IP;
    size_t segment_len = datagram_len - IP;
    size_t header_len = (size_t)(tcp[12] >> 4) * 4;
    /* what the IP length lets the cursor see of the captured bytes */
    size_t visible = captured_len - ETH - IP;
    if (visible > segment_len)
        visible = segment_len;
    if (header_len < 20 || header_len > visible)
        return false;
    tcp_fields t;
    t.sport = load_be16(tcp);
    t.dport = load_be16(tcp + 2);
    t.seq = load_be32(tcp + 4);
    t.ack = load_be32(tcp + 8);
    t.flags = tcp[13];
    t.payload = tcp + header_len;
    t.wire_len = segment_len - header_len;
    t.captured_len = visible - header_len;
    fill_segment(out, 4, ip + 12, ip + 16, 4, &t);
    return true;
}

mqttka_frame_result mqttka_frame_to_segment(uint32_t linktype, const uint8_t *data,
                                            size_t captured_len, size_t wire_len,
                                            mqttka_segment *out)
{
    if (linktype == LINK_EN10MB && parse_ethernet_ipv4_tcp(data, captured_len, wire_len, out))
        return MQTTKA_FRAME_TCP;
    parse_state ps;
    ps.cur = byte_cursor_make(data, data ? captured_len : 0);
    /* A record claiming fewer wire bytes than it holds is damaged; believe
     * the bytes, they are all we can read anyway. */
    ps.wire_len = wire_len < captured_len ? captured_len : wire_len;
    ps.snapped = captured_len < wire_len;

    switch (linktype) {
    case LINK_EN10MB: return parse_ethernet(&ps, out);
    case LINK_NULL:
    case LINK_LOOP: return parse_null(&ps, out);
    case LINK_LINUX_SLL: return parse_linux_sll(&ps, out);
    case LINK_LINUX_SLL2: return parse_linux_sll2(&ps, out);
    case LINK_DLT_RAW:
    case LINK_DLT_RAW_OPENBSD:
    case LINK_RAW: return parse_ip_by_version(&ps, out);
    case LINK_IPV4: return parse_ipv4(&ps, out);
    case LINK_IPV6: return parse_ipv6(&ps, out);
    default: return MQTTKA_FRAME_UNSUPPORTED_LINK;
    }
}

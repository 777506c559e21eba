/*
 * test_frame_parse.c - the core's link layer -> TCP parser (mqttka_frame_to_segment) on hand-made
 * packets: every link type, VLAN stacks, IPv4 options and fragments, IPv6
 * extension headers, Ethernet padding, snaplen cuts, malformed lengths.
 *
 * Each packet is parsed from a heap copy of exactly its size, so a read past
 * the record is caught by ASan; and every valid packet is parsed again cut at
 * every length, which must give a TCP segment with less captured or a
 * "snapped" status, never more bytes than the record holds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mqttka.h"
#include "test_harness.h"

#define MAX_PACKET 512

typedef struct packet {
    uint8_t b[MAX_PACKET];
    size_t len;
} packet;

static void put(packet *p, const void *bytes, size_t n)
{
    if (n == 0)
        return;
    if (p->len + n > MAX_PACKET)
        abort();
    memcpy(p->b + p->len, bytes, n);
    p->len += n;
}

static void put8(packet *p, unsigned v)
{
    uint8_t b = (uint8_t)v;
    put(p, &b, 1);
}

static void put16(packet *p, unsigned v)
{
    put8(p, v >> 8);
    put8(p, v);
}

static void put32(packet *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p, v & 0xffff);
}

static const uint8_t v4_src[4] = {10, 0, 0, 1}, v4_dst[4] = {10, 0, 0, 2};
static const uint8_t v6_src[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t v6_dst[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
static const uint8_t mqtt_pingreq_ws[] = {0x82, 0x82, 1, 2, 3, 4, 0xc1, 0x02};

/* TCP header with 12 bytes of options (NOP NOP timestamp), then payload. */
static void put_tcp(packet *p, const uint8_t *payload, size_t n)
{
    put16(p, 51000);
    put16(p, 1882);
    put32(p, 0x11223344);
    put32(p, 0x55667788);
    put8(p, (20 + 12) / 4 << 4);
    put8(p, 0x18); /* PSH ACK */
    put16(p, 512);
    put16(p, 0);
    put16(p, 0);
    static const uint8_t options[12] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
    put(p, options, sizeof options);
    put(p, payload, n);
}

#define TCP_HEADER_LEN 32

/* IPv4 header with `options` bytes of options (a multiple of 4). */
static void put_ipv4(packet *p, size_t options, unsigned frag, unsigned protocol,
                     size_t payload_len)
{
    put8(p, 0x40 | (unsigned)((20 + options) / 4));
    put8(p, 0);
    put16(p, (unsigned)(20 + options + payload_len));
    put16(p, 0x1234);
    put16(p, frag);
    put8(p, 64);
    put8(p, protocol);
    put16(p, 0);
    put(p, v4_src, 4);
    put(p, v4_dst, 4);
    for (size_t i = 0; i < options; i++)
        put8(p, 1); /* NOP */
}

static void put_ipv4_tcp(packet *p, const uint8_t *payload, size_t n)
{
    put_ipv4(p, 0, 0x4000 /* DF */, 6, TCP_HEADER_LEN + n);
    put_tcp(p, payload, n);
}

static void put_ipv6(packet *p, unsigned next, size_t payload_len)
{
    put32(p, 0x60000000);
    put16(p, (unsigned)payload_len);
    put8(p, next);
    put8(p, 64);
    put(p, v6_src, 16);
    put(p, v6_dst, 16);
}

static void put_ipv6_tcp(packet *p, const uint8_t *payload, size_t n)
{
    put_ipv6(p, 6, TCP_HEADER_LEN + n);
    put_tcp(p, payload, n);
}

static void put_ethernet(packet *p, unsigned ethertype)
{
    static const uint8_t macs[12] = {0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6};
    put(p, macs, sizeof macs);
    put16(p, ethertype);
}

/* Parses from an exact-size heap copy. */
static mqttka_frame_result parse(int linktype, const packet *p, size_t captured,
                                 size_t wire, mqttka_segment *seg)
{
    uint8_t *copy = th_exact_copy(p->b, captured);
    mqttka_frame_result st = mqttka_frame_to_segment((uint32_t)linktype, copy, captured, wire, seg);
    /* The payload points into the copy: compare it before freeing. */
    static uint8_t payload_seen[MAX_PACKET];
    if (st == MQTTKA_FRAME_TCP) {
        memcpy(payload_seen, seg->payload, seg->captured_len);
        seg->payload = payload_seen;
    }
    free(copy);
    return st;
}

/* Parses whole and checks the segment built by put_tcp with `payload`. */
static void check_tcp(const char *name, int linktype, const packet *p, int family,
                      const uint8_t *payload, size_t n)
{
    mqttka_segment seg;
    memset(&seg, 0xaa, sizeof seg);
    mqttka_frame_result st = parse(linktype, p, p->len, p->len, &seg);
    if (st != MQTTKA_FRAME_TCP) {
        fprintf(stderr, "case %s: status %d\n", name, (int)st);
        th_failed++;
        return;
    }
    CHECK_EQ_INT(seg.src.family, family);
    CHECK_EQ_INT(seg.dst.family, family);
    if (family == 4) {
        CHECK(memcmp(seg.src.addr, v4_src, 4) == 0);
        CHECK(memcmp(seg.dst.addr, v4_dst, 4) == 0);
    } else {
        CHECK(memcmp(seg.src.addr, v6_src, 16) == 0);
        CHECK(memcmp(seg.dst.addr, v6_dst, 16) == 0);
    }
    CHECK_EQ_INT(seg.src.port, 51000);
    CHECK_EQ_INT(seg.dst.port, 1882);
    CHECK_EQ_INT(seg.seq, 0x11223344);
    CHECK_EQ_INT(seg.ack, 0x55667788);
    CHECK_EQ_INT(seg.tcp_flags, MQTTKA_TCP_PSH | MQTTKA_TCP_ACK);
    CHECK_EQ_INT(seg.wire_len, n);
    CHECK_EQ_INT(seg.captured_len, n);
    CHECK(n == 0 || memcmp(seg.payload, payload, n) == 0);

    /* Cut at every length: a shorter payload, or "snapped" inside headers. */
    size_t headers = p->len - n;
    for (size_t cut = 0; cut < p->len; cut++) {
        mqttka_segment s2;
        mqttka_frame_result st2 = parse(linktype, p, cut, p->len, &s2);
        if (cut < headers) {
            if (st2 != MQTTKA_FRAME_SNAPPED) {
                fprintf(stderr, "case %s cut at %zu: status %d, expected snapped\n", name, cut,
                        (int)st2);
                th_failed++;
            }
        } else if (st2 != MQTTKA_FRAME_TCP || s2.captured_len != cut - headers ||
                   s2.wire_len != n) {
            fprintf(stderr, "case %s cut at %zu: status %d\n", name, cut, (int)st2);
            th_failed++;
        }
    }
}

static void check_status(const char *name, int linktype, const packet *p,
                         mqttka_frame_result expected)
{
    mqttka_segment seg;
    memset(&seg, 0x5a, sizeof seg);
    mqttka_segment before = seg;
    mqttka_frame_result st = parse(linktype, p, p->len, p->len, &seg);
    if (st != expected) {
        fprintf(stderr, "case %s: status %d, expected %d\n", name, (int)st, (int)expected);
        th_failed++;
    } else {
        th_passed++;
    }
    if (st != MQTTKA_FRAME_TCP)
        CHECK(memcmp(&seg, &before, sizeof seg) == 0); /* untouched */
}

static void test_ethernet(void)
{
    packet p = {.len = 0};
    put_ethernet(&p, 0x0800);
    put_ipv4_tcp(&p, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
    check_tcp("ethernet ipv4", 1, &p, 4, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);

    p.len = 0;
    put_ethernet(&p, 0x86dd);
    put_ipv6_tcp(&p, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
    check_tcp("ethernet ipv6", 1, &p, 6, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);

    p.len = 0;
    put_ethernet(&p, 0x8100);
    put16(&p, 0x0064); /* VLAN 100 */
    put16(&p, 0x0800);
    put_ipv4_tcp(&p, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
    check_tcp("802.1Q", 1, &p, 4, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);

    p.len = 0;
    put_ethernet(&p, 0x88a8);
    put16(&p, 0x0001);
    put16(&p, 0x8100);
    put16(&p, 0x0002);
    put16(&p, 0x86dd);
    put_ipv6_tcp(&p, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
    check_tcp("802.1ad stacked", 1, &p, 6, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);

    p.len = 0;
    put_ethernet(&p, 0x0806); /* ARP */
    for (int i = 0; i < 28; i++)
        put8(&p, 0);
    check_status("arp", 1, &p, MQTTKA_FRAME_NOT_TCP);

    p.len = 0;
    put_ethernet(&p, 0x8100);
    for (int i = 0; i < 20; i++) { /* tags all the way down */
        put16(&p, 1);
        put16(&p, 0x8100);
    }
    check_status("endless vlan tags", 1, &p, MQTTKA_FRAME_MALFORMED);
}

/* A 2-byte PINGREQ in a frame padded to Ethernet's 60-byte minimum: the
 * padding must not become payload. */
static void test_ethernet_padding(void)
{
    static const uint8_t pingreq[] = {0xc0, 0x00};
    packet p = {.len = 0};
    put_ethernet(&p, 0x0800);
    put_ipv4(&p, 0, 0, 6, 20 + 2); /* TCP header without options */
    put16(&p, 51000);
    put16(&p, 1882);
    put32(&p, 1);
    put32(&p, 2);
    put8(&p, 5 << 4);
    put8(&p, 0x18);
    put16(&p, 512);
    put32(&p, 0);
    put(&p, pingreq, 2);
    CHECK_EQ_INT(p.len, 56);
    while (p.len < 60)
        put8(&p, 0xee);
    mqttka_segment seg;
    CHECK_EQ_INT(parse(1, &p, p.len, p.len, &seg), MQTTKA_FRAME_TCP);
    CHECK_EQ_INT(seg.wire_len, 2);
    CHECK_EQ_INT(seg.captured_len, 2);
    CHECK(memcmp(seg.payload, pingreq, 2) == 0);
}

static void test_cooked(void)
{
    packet p = {.len = 0};
    /* LINUX_SLL: outgoing, ARPHRD_LOOPBACK, 6-byte address */
    put16(&p, 4);
    put16(&p, 772);
    put16(&p, 6);
    for (int i = 0; i < 8; i++)
        put8(&p, 0);
    put16(&p, 0x0800);
    put_ipv4_tcp(&p, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
    check_tcp("linux sll", 113, &p, 4, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);

    p.len = 0;
    /* LINUX_SLL2: protocol, reserved, ifindex, ARPHRD, pkttype, addr len, addr */
    put16(&p, 0x86dd);
    put16(&p, 0);
    put32(&p, 1);
    put16(&p, 772);
    put8(&p, 0);
    put8(&p, 6);
    for (int i = 0; i < 8; i++)
        put8(&p, 0);
    put_ipv6_tcp(&p, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
    check_tcp("linux sll2", 276, &p, 6, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
}

static void test_null_loop(void)
{
    /* AF_INET = 2, little-endian (written by a little-endian host) */
    static const uint8_t af_inet_le[4] = {2, 0, 0, 0}, af_inet_be[4] = {0, 0, 0, 2};
    packet p = {.len = 0};
    put(&p, af_inet_le, 4);
    put_ipv4_tcp(&p, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
    check_tcp("null le inet", 0, &p, 4, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);

    p.len = 0;
    put(&p, af_inet_be, 4);
    put_ipv4_tcp(&p, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
    check_tcp("loop be inet", 108, &p, 4, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
    check_tcp("null be inet", 0, &p, 4, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);

    static const unsigned inet6_values[] = {10, 24, 28, 30};
    for (size_t i = 0; i < 4; i++) {
        uint8_t le[4] = {(uint8_t)inet6_values[i], 0, 0, 0};
        uint8_t be[4] = {0, 0, 0, (uint8_t)inet6_values[i]};
        p.len = 0;
        put(&p, le, 4);
        put_ipv6_tcp(&p, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
        check_tcp("null le inet6", 0, &p, 6, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
        p.len = 0;
        put(&p, be, 4);
        put_ipv6_tcp(&p, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
        check_tcp("null be inet6", 0, &p, 6, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
        check_tcp("loop be inet6", 108, &p, 6, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
    }

    static const uint8_t af_unknown[4] = {7, 0, 0, 0};
    p.len = 0;
    put(&p, af_unknown, 4);
    put_ipv4_tcp(&p, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
    check_status("null unknown family", 0, &p, MQTTKA_FRAME_NOT_TCP);
}

static void test_raw(void)
{
    static const int raw_types[] = {12, 14, 101};
    packet v4 = {.len = 0}, v6 = {.len = 0};
    put_ipv4_tcp(&v4, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
    put_ipv6_tcp(&v6, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
    for (size_t i = 0; i < 3; i++) {
        check_tcp("raw v4", raw_types[i], &v4, 4, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
        check_tcp("raw v6", raw_types[i], &v6, 6, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
    }
    check_tcp("ipv4 linktype", 228, &v4, 4, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
    check_tcp("ipv6 linktype", 229, &v6, 6, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
    check_status("ipv6 bytes on the ipv4 linktype", 228, &v6, MQTTKA_FRAME_MALFORMED);
    check_status("ipv4 bytes on the ipv6 linktype", 229, &v4, MQTTKA_FRAME_MALFORMED);

    packet bad = {.len = 0};
    put8(&bad, 0x50);
    for (int i = 0; i < 40; i++)
        put8(&bad, 0);
    check_status("raw version 5", 101, &bad, MQTTKA_FRAME_MALFORMED);
    check_status("unsupported link type", 105, &v4, MQTTKA_FRAME_UNSUPPORTED_LINK);
    CHECK(!mqttka_link_name(105));
    CHECK(mqttka_link_name(276) != NULL);
}

static void test_ipv4_rules(void)
{
    packet p = {.len = 0};
    put_ipv4(&p, 8, 0, 6, TCP_HEADER_LEN + sizeof mqtt_pingreq_ws); /* IHL 7 */
    put_tcp(&p, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
    check_tcp("ipv4 options", 101, &p, 4, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);

    p.len = 0;
    put_ipv4(&p, 0, 0x2000 /* MF */, 6, TCP_HEADER_LEN);
    put_tcp(&p, NULL, 0);
    check_status("first fragment", 101, &p, MQTTKA_FRAME_FRAGMENT);

    p.len = 0;
    put_ipv4(&p, 0, 0x0010 /* offset 128 */, 6, TCP_HEADER_LEN);
    put_tcp(&p, NULL, 0);
    check_status("later fragment", 101, &p, MQTTKA_FRAME_FRAGMENT);

    p.len = 0;
    put_ipv4(&p, 0, 0, 17, 8);
    put32(&p, 0);
    put32(&p, 0);
    check_status("udp", 101, &p, MQTTKA_FRAME_NOT_TCP);

    p.len = 0;
    put_ipv4(&p, 0, 0, 6, TCP_HEADER_LEN + 100); /* claims more than the frame */
    put_tcp(&p, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
    check_status("total length beyond the frame", 101, &p, MQTTKA_FRAME_MALFORMED);

    p.len = 0;
    put_ipv4_tcp(&p, NULL, 0);
    p.b[0] = 0x44; /* IHL 4 */
    check_status("ihl below 5", 101, &p, MQTTKA_FRAME_MALFORMED);

    p.len = 0;
    put_ipv4_tcp(&p, NULL, 0);
    p.b[20 + 12] = 4 << 4; /* TCP data offset 4 */
    check_status("tcp offset below 5", 101, &p, MQTTKA_FRAME_MALFORMED);

    p.len = 0;
    put_ipv4_tcp(&p, NULL, 0);
    p.b[20 + 12] = 15 << 4; /* 60 bytes of TCP header in a 32-byte segment */
    check_status("tcp offset beyond the segment", 101, &p, MQTTKA_FRAME_MALFORMED);

    /* Total length 0: a TSO send seen before segmentation. */
    p.len = 0;
    put_ipv4_tcp(&p, mqtt_pingreq_ws, sizeof mqtt_pingreq_ws);
    p.b[2] = 0;
    p.b[3] = 0;
    mqttka_segment seg;
    CHECK_EQ_INT(parse(101, &p, p.len, p.len, &seg), MQTTKA_FRAME_TCP);
    CHECK_EQ_INT(seg.wire_len, sizeof mqtt_pingreq_ws);
}

static void test_ipv6_extensions(void)
{
    packet p = {.len = 0};
    size_t n = sizeof mqtt_pingreq_ws;
    /* hop-by-hop (8) -> routing (16) -> destination options (8) -> TCP */
    put_ipv6(&p, 0, 8 + 16 + 8 + TCP_HEADER_LEN + n);
    put8(&p, 43);
    put8(&p, 0);
    for (int i = 0; i < 6; i++)
        put8(&p, 0);
    put8(&p, 60);
    put8(&p, 1);
    for (int i = 0; i < 14; i++)
        put8(&p, 0);
    put8(&p, 6);
    put8(&p, 0);
    for (int i = 0; i < 6; i++)
        put8(&p, 1);
    put_tcp(&p, mqtt_pingreq_ws, n);
    check_tcp("ipv6 hop/routing/dstopts", 229, &p, 6, mqtt_pingreq_ws, n);

    /* An atomic fragment (offset 0, M = 0) is a whole datagram. */
    p.len = 0;
    put_ipv6(&p, 44, 8 + TCP_HEADER_LEN + n);
    put8(&p, 6);
    put8(&p, 0);
    put16(&p, 0);
    put32(&p, 0xabcd);
    put_tcp(&p, mqtt_pingreq_ws, n);
    check_tcp("ipv6 atomic fragment", 229, &p, 6, mqtt_pingreq_ws, n);

    p.b[40 + 3] = 1; /* M = 1 */
    check_status("ipv6 first fragment", 229, &p, MQTTKA_FRAME_FRAGMENT);
    p.b[40 + 3] = 0;
    p.b[40 + 2] = 0x01; /* offset 32 */
    check_status("ipv6 later fragment", 229, &p, MQTTKA_FRAME_FRAGMENT);

    p.len = 0;
    put_ipv6(&p, 0, 8 + TCP_HEADER_LEN);
    put8(&p, 6);
    put8(&p, 200); /* 1608 bytes of options in an 8-byte room */
    for (int i = 0; i < 6; i++)
        put8(&p, 0);
    put_tcp(&p, NULL, 0);
    check_status("ipv6 extension longer than the payload", 229, &p, MQTTKA_FRAME_MALFORMED);

    p.len = 0;
    put_ipv6(&p, 59, 0);
    check_status("ipv6 no next header", 229, &p, MQTTKA_FRAME_NOT_TCP);

    p.len = 0;
    put_ipv6(&p, 6, TCP_HEADER_LEN + 50);
    put_tcp(&p, mqtt_pingreq_ws, n);
    check_status("ipv6 payload length beyond the frame", 229, &p, MQTTKA_FRAME_MALFORMED);
}

/* A snaplen cut inside the payload: wire_len from the IP header, captured_len
 * from the record. */
static void test_snaplen(void)
{
    static uint8_t big[200];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)i;
    packet p = {.len = 0};
    put_ethernet(&p, 0x0800);
    put_ipv4_tcp(&p, big, sizeof big);
    size_t snaplen = 14 + 20 + TCP_HEADER_LEN + 50;
    mqttka_segment seg;
    CHECK_EQ_INT(parse(1, &p, snaplen, p.len, &seg), MQTTKA_FRAME_TCP);
    CHECK_EQ_INT(seg.wire_len, sizeof big);
    CHECK_EQ_INT(seg.captured_len, 50);
    CHECK(memcmp(seg.payload, big, 50) == 0);

    CHECK_EQ_INT(parse(1, &p, 14 + 20 + 10, p.len, &seg), MQTTKA_FRAME_SNAPPED);
    /* the same cut without a larger wire length is a broken record */
    CHECK_EQ_INT(parse(1, &p, 14 + 20 + 10, 14 + 20 + 10, &seg), MQTTKA_FRAME_MALFORMED);
    CHECK_EQ_INT(parse(1, &p, 0, 0, &seg), MQTTKA_FRAME_MALFORMED);
}

/* Ethernet + IPv4 + TCP frames go a fast path (fixed offsets); the same
 * bytes without the Ethernet header, as a raw IPv4 record, go the general
 * one. Over frames with mutated lengths, flags, options and cuts, both must
 * give the same status and the same segment. */
static void test_ethernet_fast_path_matches_general(void)
{
    static const uint8_t payload[300] = {1, 2, 3};
    unsigned fast_shaped = 0;
    for (unsigned round = 0; round < 20000; round++) {
        uint64_t r = th_rng();
        packet p = {.len = 0};
        put_ethernet(&p, (r & 0xf) == 0 ? 0x86dd : 0x0800);
        size_t n = (size_t)(r >> 8) % sizeof payload;
        unsigned options = (r >> 20) % 8 == 0 ? 4 : 0;
        unsigned frag = (r >> 24) % 8 == 0 ? (unsigned)(th_rng() & 0xffff) : 0x4000;
        unsigned protocol = (r >> 28) % 16 == 0 ? 17 : 6;
        put_ipv4(&p, options, frag, protocol, TCP_HEADER_LEN + n);
        put_tcp(&p, payload, n);
        uint8_t *ip = p.b + 14, *tcp = ip + 20 + options;
        uint64_t m = th_rng();
        switch (m % 8) {
        case 0: { /* any total length: short, long, 0 (offload), or a little short */
            unsigned total = (m >> 24) % 4 == 0
                                 ? (unsigned)(20 + options + TCP_HEADER_LEN + n - (m >> 26) % 64)
                                 : (unsigned)(m >> 8);
            ip[2] = (uint8_t)(total >> 8);
            ip[3] = (uint8_t)total;
            break;
        }
        case 1: tcp[12] = (uint8_t)(m >> 8) & 0xf0; break; /* any data offset */
        case 2: ip[0] = (uint8_t)(0x40 | ((m >> 8) & 0xf)); break; /* any IHL */
        default: break;
        }
        size_t wire = p.len + ((m >> 32) % 4 == 0 ? (m >> 34) % 100 : 0);
        size_t captured = (m >> 40) % 3 == 0 ? (size_t)(m >> 42) % (p.len + 1) : p.len;
        if ((m >> 50) % 16 == 0)
            wire = captured > 10 ? captured - (m >> 54) % 10 : captured; /* wire < captured */
        if (p.b[12] == 0x08 && ip[0] == 0x45 && protocol == 6 && captured >= 54)
            fast_shaped++;

        if (captured < 14 || wire < 14 || p.b[12] != 0x08)
            continue; /* no IPv4 to compare */
        /* an exact-size copy, so that ASan sees a read past the record */
        uint8_t *copy = th_exact_copy(p.b, captured);
        mqttka_segment eth, raw;
        memset(&eth, 0x11, sizeof eth);
        memset(&raw, 0x11, sizeof raw);
        mqttka_frame_result st_eth = mqttka_frame_to_segment(1, copy, captured, wire, &eth);
        mqttka_frame_result st_raw =
            mqttka_frame_to_segment(101, copy + 14, captured - 14, wire - 14, &raw);
        if (st_eth != st_raw) {
            fprintf(stderr, "round %u: ethernet status %d, raw %d\n", round, (int)st_eth,
                    (int)st_raw);
            th_failed++;
        } else if (st_eth == MQTTKA_FRAME_TCP) {
            CHECK(memcmp(&eth, &raw, sizeof eth) == 0); /* payload pointers included */
        } else {
            th_passed++;
        }
        free(copy);
    }
    CHECK(fast_shaped > 10000); /* most rounds are the fast path's shape */
}

int main(void)
{
    test_ethernet();
    test_ethernet_padding();
    test_cooked();
    test_null_loop();
    test_raw();
    test_ipv4_rules();
    test_ipv6_extensions();
    test_snaplen();
    test_ethernet_fast_path_matches_general();
    return th_report();
}

/*
 * pcapng_reader.c - pcapng blocks, streamed (draft-ietf-opsawg-pcapng §3-4):
 *
 *   every block:  u32 type | u32 total length | body | u32 total length
 *   SHB (0x0A0D0D0A): u32 byte-order magic 0x1A2B3C4D | u16 major | u16 minor
 *                     | i64 section length | options
 *   IDB (1):  u16 link type | u16 reserved | u32 snaplen | options
 *             (if_tsresol = 9: 1 byte; if_tsoffset = 14: 8 bytes)
 *   EPB (6):  u32 interface | u32 ts high | u32 ts low | u32 captured length
 *             | u32 original length | data, padded to 32 bits | options
 *   SPB (3):  u32 original length | data (interface 0, no timestamp)
 *   PB  (2):  u16 interface | u16 drops | u32 ts high | u32 ts low
 *             | u32 captured length | u32 original length | data | options
 *   option:   u16 code | u16 length | value, padded to 32 bits; code 0 ends
 *
 * Numbers are in the byte order of their section, told by the magic in its
 * header. Only fixed parts are read into memory; everything else is read
 * through and dropped as it comes.
 */
#include "pcapng_reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum {
    BLOCK_SHB = 0x0A0D0D0A,
    BLOCK_IDB = 0x00000001,
    BLOCK_PB = 0x00000002,
    BLOCK_SPB = 0x00000003,
    BLOCK_EPB = 0x00000006,
    BYTE_ORDER_MAGIC = 0x1A2B3C4D,
    OPT_END = 0,
    OPT_IF_TSRESOL = 9,
    OPT_IF_TSOFFSET = 14,
};

/* A packet block read in one piece when its body fits: the largest packet
 * kept, its fixed fields, and room for options (comments, flags, hashes). */
#define PCAPNG_BUFFER_SIZE (PCAPNG_PACKET_MAX + 4096)

/* Fixed sizes: type + length + trailing length, and each block's fixed body. */
#define BLOCK_OVERHEAD 12u
#define SHB_FIXED 16u /* magic, major, minor, section length */
#define IDB_FIXED 8u
#define EPB_FIXED 20u
#define PB_FIXED 20u
#define SPB_FIXED 4u

/* Seconds beyond which microseconds no longer fit in an int64 mqttka_time
 * (as capture_reader.c clamps libpcap's). */
#define PCAPNG_SEC_MAX ((INT64_MAX - 1000000) / 1000000 - 1)

static uint16_t get16(const pcapng_reader *r, const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    if (r->swapped)
        v = (uint16_t)((v >> 8) | (v << 8));
    return v;
}

static uint32_t swap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

static uint32_t get32(const pcapng_reader *r, const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return r->swapped ? swap32(v) : v;
}

static uint64_t get64(const pcapng_reader *r, const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    if (r->swapped)
        v = ((uint64_t)swap32((uint32_t)v) << 32) | swap32((uint32_t)(v >> 32));
    return v;
}

/* Reads exactly n bytes. At a block's first byte, nothing at all is the
 * clean end of the file. */
static pcapng_status read_bytes(pcapng_reader *r, void *buf, size_t n, bool block_start,
                                char *err, size_t err_size)
{
    size_t got = fread(buf, 1, n, r->in);
    r->offset += got;
    if (got == n)
        return PCAPNG_PACKET;
    if (ferror(r->in)) {
        snprintf(err, err_size, "read error: %s", strerror(errno ? errno : EIO));
        return PCAPNG_READ_ERROR;
    }
    if (got == 0 && block_start)
        return PCAPNG_END;
    snprintf(err, err_size, "truncated: the file ends inside a block, at byte %llu",
             (unsigned long long)r->offset);
    return PCAPNG_TRUNCATED;
}

/* Reads n bytes through and drops them. */
static pcapng_status skip_bytes(pcapng_reader *r, uint64_t n, char *err, size_t err_size)
{
    uint8_t scratch[4096];
    while (n) {
        size_t step = n < sizeof scratch ? (size_t)n : sizeof scratch;
        pcapng_status st = read_bytes(r, scratch, step, false, err, err_size);
        if (st != PCAPNG_PACKET)
            return st;
        n -= step;
    }
    return PCAPNG_PACKET;
}

static pcapng_status damaged(pcapng_reader *r, char *err, size_t err_size, const char *what,
                             uint64_t value)
{
    snprintf(err, err_size, "damaged pcapng at byte %llu: %s %llu",
             (unsigned long long)r->offset, what, (unsigned long long)value);
    return PCAPNG_DAMAGED;
}

/* The copy of the block's length that ends it. */
static pcapng_status read_trailer(pcapng_reader *r, uint32_t length, char *err,
                                  size_t err_size)
{
    uint8_t t[4];
    pcapng_status st = read_bytes(r, t, sizeof t, false, err, err_size);
    if (st != PCAPNG_PACKET)
        return st;
    uint32_t copy = get32(r, t);
    if (copy != length)
        return damaged(r, err, err_size, "block ends with a length other than its start's:",
                       copy);
    return PCAPNG_PACKET;
}

/* Section Header: the byte-order magic (4 bytes, already read into bom) tells
 * how to read the rest. A new section forgets the interfaces of the last. */
static pcapng_status read_shb(pcapng_reader *r, const uint8_t head[8], const uint8_t bom[4],
                              char *err, size_t err_size)
{
    uint32_t magic;
    memcpy(&magic, bom, sizeof magic);
    if (magic == BYTE_ORDER_MAGIC)
        r->swapped = false;
    else if (swap32(magic) == BYTE_ORDER_MAGIC)
        r->swapped = true;
    else
        return damaged(r, err, err_size, "section header with byte-order magic", magic);
    uint32_t length = get32(r, head + 4);
    if (length < BLOCK_OVERHEAD + SHB_FIXED || length % 4)
        return damaged(r, err, err_size, "section header of length", length);
    uint8_t fixed[SHB_FIXED - 4];
    pcapng_status st = read_bytes(r, fixed, sizeof fixed, false, err, err_size);
    if (st != PCAPNG_PACKET)
        return st;
    uint16_t major = get16(r, fixed);
    if (major != 1)
        return damaged(r, err, err_size, "section of pcapng major version", major);
    st = skip_bytes(r, length - BLOCK_OVERHEAD - SHB_FIXED, err, err_size);
    if (st != PCAPNG_PACKET)
        return st;
    r->n_ifaces = 0;
    return read_trailer(r, length, err, err_size);
}

/* if_tsresol: 10^-v seconds, or 2^-(v & 0x7f) when the top bit is set. */
static bool units_from_tsresol(uint8_t v, uint64_t *units)
{
    unsigned exp = v & 0x7fu;
    uint64_t u = 1;
    if (v & 0x80u) {
        if (exp > 63)
            return false;
        u <<= exp;
    } else {
        if (exp > 19) /* 10^20 does not fit */
            return false;
        while (exp--)
            u *= 10;
    }
    *units = u;
    return true;
}

static pcapng_status read_idb(pcapng_reader *r, uint32_t length, char *err, size_t err_size)
{
    if (length < BLOCK_OVERHEAD + IDB_FIXED)
        return damaged(r, err, err_size, "interface description of length", length);
    uint8_t fixed[IDB_FIXED];
    pcapng_status st = read_bytes(r, fixed, sizeof fixed, false, err, err_size);
    if (st != PCAPNG_PACKET)
        return st;
    pcapng_interface iface = {
        .linktype = get16(r, fixed),
        .snaplen = get32(r, fixed + 4),
        .units = 1000000,
        .offset_s = 0,
    };
    uint64_t left = length - BLOCK_OVERHEAD - IDB_FIXED;
    while (left >= 4) {
        uint8_t oh[4];
        if ((st = read_bytes(r, oh, sizeof oh, false, err, err_size)) != PCAPNG_PACKET)
            return st;
        left -= 4;
        uint16_t code = get16(r, oh), len = get16(r, oh + 2);
        uint64_t padded = ((uint64_t)len + 3) & ~(uint64_t)3;
        if (code == OPT_END)
            break;
        if (padded > left)
            return damaged(r, err, err_size, "interface option runs past its block; length",
                           len);
        uint8_t value[8];
        uint64_t used = 0;
        if (code == OPT_IF_TSRESOL && len >= 1) {
            if ((st = read_bytes(r, value, 1, false, err, err_size)) != PCAPNG_PACKET)
                return st;
            used = 1;
            if (!units_from_tsresol(value[0], &iface.units))
                return damaged(r, err, err_size, "unsupported timestamp resolution",
                               value[0]);
        } else if (code == OPT_IF_TSOFFSET && len == 8) {
            if ((st = read_bytes(r, value, 8, false, err, err_size)) != PCAPNG_PACKET)
                return st;
            used = 8;
            iface.offset_s = (int64_t)get64(r, value);
        }
        if ((st = skip_bytes(r, padded - used, err, err_size)) != PCAPNG_PACKET)
            return st;
        left -= padded;
    }
    if ((st = skip_bytes(r, left, err, err_size)) != PCAPNG_PACKET)
        return st;
    if ((st = read_trailer(r, length, err, err_size)) != PCAPNG_PACKET)
        return st;
    if (r->n_ifaces == PCAPNG_INTERFACES_MAX)
        return damaged(r, err, err_size, "more interfaces in one section than",
                       PCAPNG_INTERFACES_MAX);
    if (r->n_ifaces == r->cap_ifaces) {
        size_t cap = r->cap_ifaces ? r->cap_ifaces * 2 : 8;
        if (cap > PCAPNG_INTERFACES_MAX)
            cap = PCAPNG_INTERFACES_MAX;
        pcapng_interface *grown = realloc(r->ifaces, cap * sizeof *grown);
        if (!grown) {
            snprintf(err, err_size, "out of memory for %zu interfaces", cap);
            return PCAPNG_READ_ERROR;
        }
        r->ifaces = grown;
        r->cap_ifaces = cap;
    }
    r->ifaces[r->n_ifaces++] = iface;
    return PCAPNG_PACKET;
}

/* A timestamp in its interface's units, as microseconds since the epoch.
 * Any 64-bit count is accepted; what would overflow is clamped (the record
 * still counts, so frame numbers stay right). */
static mqttka_time to_micros(const pcapng_interface *iface, uint64_t t)
{
    uint64_t units = iface->units ? iface->units : 1000000;
    uint64_t sec = t / units, frac = t % units;
    uint64_t usec;
    if (units == 1000000)
        usec = frac;
    else if (units <= (1ull << 44)) /* frac * 10^6 < 2^64 */
        usec = frac * 1000000 / units;
    else
        usec = frac / (units / 1000000);
    if (usec > 999999)
        usec = 999999;
    int64_t s = sec > (uint64_t)PCAPNG_SEC_MAX ? PCAPNG_SEC_MAX : (int64_t)sec;
    if (iface->offset_s > 0)
        s = s > PCAPNG_SEC_MAX - iface->offset_s ? PCAPNG_SEC_MAX : s + iface->offset_s;
    else if (iface->offset_s < 0)
        s = iface->offset_s < -PCAPNG_SEC_MAX ? -PCAPNG_SEC_MAX
                                              : (s + iface->offset_s < -PCAPNG_SEC_MAX
                                                     ? -PCAPNG_SEC_MAX
                                                     : s + iface->offset_s);
    return (mqttka_time)s * 1000000 + (mqttka_time)usec;
}

/* The data of a packet block: `captured` bytes of which the first
 * PCAPNG_PACKET_MAX are kept, then the rest of the block (`after` more
 * bytes: the rest of the data, padding, options) and its trailer. */
static pcapng_status read_packet_data(pcapng_reader *r, uint32_t length, uint64_t captured,
                                      uint64_t after, pcapng_packet *pkt, char *err,
                                      size_t err_size)
{
    size_t keep = captured > PCAPNG_PACKET_MAX ? PCAPNG_PACKET_MAX : (size_t)captured;
    pcapng_status st = read_bytes(r, r->data, keep, false, err, err_size);
    if (st != PCAPNG_PACKET)
        return st;
    if ((st = skip_bytes(r, captured - keep + after, err, err_size)) != PCAPNG_PACKET)
        return st;
    if ((st = read_trailer(r, length, err, err_size)) != PCAPNG_PACKET)
        return st;
    pkt->data = r->data;
    if (pkt->wire_len < captured)
        pkt->wire_len = (size_t)captured;
    pkt->captured_len = keep;
    return PCAPNG_PACKET;
}

/* A packet block's body after its 8-byte header: `length` - 8 bytes read
 * in one piece when they fit the buffer (every block a capture tool
 * writes: one read per packet, as libpcap does), else streamed through.
 * On success *fixed points at the block's fixed fields; *in_buffer says
 * whether the data follows them there. */
static pcapng_status read_body(pcapng_reader *r, uint32_t length, size_t fixed_len,
                               uint8_t *fixed_copy, const uint8_t **fixed, bool *in_buffer,
                               char *err, size_t err_size)
{
    size_t body = (size_t)length - 8;
    pcapng_status st;
    if (body <= PCAPNG_BUFFER_SIZE) {
        if ((st = read_bytes(r, r->data, body, false, err, err_size)) != PCAPNG_PACKET)
            return st;
        uint32_t copy = get32(r, r->data + body - 4);
        if (copy != length)
            return damaged(r, err, err_size, "block ends with a length other than its start's:",
                           copy);
        *fixed = r->data;
        *in_buffer = true;
        return PCAPNG_PACKET;
    }
    if ((st = read_bytes(r, fixed_copy, fixed_len, false, err, err_size)) != PCAPNG_PACKET)
        return st;
    *fixed = fixed_copy;
    *in_buffer = false;
    return PCAPNG_PACKET;
}

/* The packet's data: in the buffer after the fixed fields, or (a block
 * larger than the buffer) streamed, its first PCAPNG_PACKET_MAX bytes kept. */
static pcapng_status packet_data(pcapng_reader *r, uint32_t length, size_t fixed_len,
                                 bool in_buffer, uint64_t captured, uint64_t room,
                                 pcapng_packet *pkt, char *err, size_t err_size)
{
    if (!in_buffer)
        return read_packet_data(r, length, captured, room - captured, pkt, err, err_size);
    size_t keep = captured > PCAPNG_PACKET_MAX ? PCAPNG_PACKET_MAX : (size_t)captured;
    pkt->data = r->data + fixed_len;
    if (pkt->wire_len < captured)
        pkt->wire_len = (size_t)captured;
    pkt->captured_len = keep;
    return PCAPNG_PACKET;
}

static pcapng_status read_epb_or_pb(pcapng_reader *r, uint32_t type, uint32_t length,
                                    pcapng_packet *pkt, char *err, size_t err_size)
{
    if (length < BLOCK_OVERHEAD + EPB_FIXED)
        return damaged(r, err, err_size, "packet block of length", length);
    uint8_t copy[EPB_FIXED];
    const uint8_t *fixed;
    bool in_buffer;
    pcapng_status st = read_body(r, length, EPB_FIXED, copy, &fixed, &in_buffer, err, err_size);
    if (st != PCAPNG_PACKET)
        return st;
    uint32_t id = type == BLOCK_EPB ? get32(r, fixed) : get16(r, fixed);
    if (id >= r->n_ifaces)
        return damaged(r, err, err_size, "packet on an interface not described:", id);
    uint64_t ts = ((uint64_t)get32(r, fixed + 4) << 32) | get32(r, fixed + 8);
    uint64_t captured = get32(r, fixed + 12);
    uint64_t room = length - BLOCK_OVERHEAD - EPB_FIXED;
    if (captured > room)
        return damaged(r, err, err_size, "packet data longer than its block:", captured);
    const pcapng_interface *iface = &r->ifaces[id];
    pkt->linktype = iface->linktype;
    pkt->interface_id = id;
    pkt->ts = to_micros(iface, ts);
    pkt->wire_len = get32(r, fixed + 16);
    r->last_ts = pkt->ts;
    return packet_data(r, length, EPB_FIXED, in_buffer, captured, room, pkt, err, err_size);
}

static pcapng_status read_spb(pcapng_reader *r, uint32_t length, pcapng_packet *pkt,
                              char *err, size_t err_size)
{
    if (length < BLOCK_OVERHEAD + SPB_FIXED)
        return damaged(r, err, err_size, "simple packet block of length", length);
    uint8_t copy[SPB_FIXED];
    const uint8_t *fixed;
    bool in_buffer;
    pcapng_status st = read_body(r, length, SPB_FIXED, copy, &fixed, &in_buffer, err, err_size);
    if (st != PCAPNG_PACKET)
        return st;
    if (r->n_ifaces == 0)
        return damaged(r, err, err_size, "simple packet block before any interface; length",
                       length);
    uint64_t original = get32(r, fixed);
    uint64_t room = length - BLOCK_OVERHEAD - SPB_FIXED;
    uint64_t captured = original < room ? original : room;
    const pcapng_interface *iface = &r->ifaces[0];
    if (iface->snaplen && captured > iface->snaplen)
        captured = iface->snaplen;
    pkt->linktype = iface->linktype;
    pkt->interface_id = 0;
    /* No timestamp in the block: the previous packet's time, so that time
     * does not jump back to 1970. */
    pkt->ts = r->last_ts == MQTTKA_TIME_NONE ? 0 : r->last_ts;
    pkt->wire_len = (size_t)original;
    return packet_data(r, length, SPB_FIXED, in_buffer, captured, room, pkt, err, err_size);
}

/* The next block's type and length; a Section Header is read whole here
 * (its length is in the byte order its body declares). */
static pcapng_status next_header(pcapng_reader *r, uint32_t *type, uint32_t *length,
                                 char *err, size_t err_size)
{
    if (r->pending) {
        r->pending = false;
        *type = r->pending_type;
        *length = r->pending_length;
        return PCAPNG_PACKET;
    }
    uint8_t head[8];
    pcapng_status st = read_bytes(r, head, sizeof head, true, err, err_size);
    if (st != PCAPNG_PACKET)
        return st;
    uint32_t t;
    memcpy(&t, head, sizeof t); /* the same in both byte orders */
    if (t == BLOCK_SHB) {
        uint8_t bom[4];
        if ((st = read_bytes(r, bom, sizeof bom, false, err, err_size)) != PCAPNG_PACKET)
            return st;
        *type = BLOCK_SHB;
        *length = 0;
        return read_shb(r, head, bom, err, err_size);
    }
    *type = get32(r, head);
    *length = get32(r, head + 4);
    if (*length < BLOCK_OVERHEAD || *length % 4)
        return damaged(r, err, err_size, "block of length", *length);
    return PCAPNG_PACKET;
}

static bool is_packet_block(uint32_t type)
{
    return type == BLOCK_EPB || type == BLOCK_SPB || type == BLOCK_PB;
}

/* Reads the blocks that are not packets (a Section Header was read by
 * next_header). */
static pcapng_status read_other(pcapng_reader *r, uint32_t type, uint32_t length, char *err,
                                size_t err_size)
{
    if (type == BLOCK_SHB)
        return PCAPNG_PACKET;
    if (type == BLOCK_IDB)
        return read_idb(r, length, err, err_size);
    pcapng_status st = skip_bytes(r, length - BLOCK_OVERHEAD, err, err_size);
    return st == PCAPNG_PACKET ? read_trailer(r, length, err, err_size) : st;
}

pcapng_status pcapng_reader_open(pcapng_reader *r, FILE *in, char *err, size_t err_size)
{
    memset(r, 0, sizeof *r);
    r->in = in;
    r->last_ts = MQTTKA_TIME_NONE;
    r->data = malloc(PCAPNG_BUFFER_SIZE);
    if (!r->data) {
        snprintf(err, err_size, "out of memory");
        return PCAPNG_READ_ERROR;
    }
    uint32_t type, length;
    pcapng_status st = next_header(r, &type, &length, err, err_size);
    if (st == PCAPNG_END) {
        snprintf(err, err_size, "truncated: no section header");
        return PCAPNG_TRUNCATED;
    }
    if (st != PCAPNG_PACKET)
        return st;
    if (type != BLOCK_SHB)
        return damaged(r, err, err_size, "file starts with block type", type);
    for (;;) {
        st = next_header(r, &type, &length, err, err_size);
        if (st == PCAPNG_END)
            return PCAPNG_PACKET; /* no packet at all: next says so */
        if (st != PCAPNG_PACKET)
            return st;
        if (is_packet_block(type)) {
            r->pending = true;
            r->pending_type = type;
            r->pending_length = length;
            return PCAPNG_PACKET;
        }
        if ((st = read_other(r, type, length, err, err_size)) != PCAPNG_PACKET)
            return st;
    }
}

pcapng_status pcapng_reader_next(pcapng_reader *r, pcapng_packet *pkt, char *err,
                                 size_t err_size)
{
    for (;;) {
        uint32_t type, length;
        pcapng_status st = next_header(r, &type, &length, err, err_size);
        if (st != PCAPNG_PACKET)
            return st;
        switch (type) {
        case BLOCK_EPB:
        case BLOCK_PB: return read_epb_or_pb(r, type, length, pkt, err, err_size);
        case BLOCK_SPB: return read_spb(r, length, pkt, err, err_size);
        default:
            if ((st = read_other(r, type, length, err, err_size)) != PCAPNG_PACKET)
                return st;
            break;
        }
    }
}

const pcapng_interface *pcapng_reader_interfaces(const pcapng_reader *r, size_t *n)
{
    *n = r->n_ifaces;
    return r->ifaces;
}

void pcapng_reader_free(pcapng_reader *r)
{
    free(r->data);
    free(r->ifaces);
    r->data = NULL;
    r->ifaces = NULL;
    r->n_ifaces = r->cap_ifaces = 0;
}

/*
 * pcapng_writer.c - Section Header, Interface Description and Enhanced Packet
 * Blocks (draft-ietf-opsawg-pcapng §4.1-4.3):
 *
 *   every block:  u32 type | u32 total length | body | u32 total length
 *   SHB body:     u32 0x1A2B3C4D | u16 major 1 | u16 minor 0 | i64 section length -1
 *                 | options
 *   IDB body:     u16 link type | u16 reserved 0 | u32 snaplen | options
 *   EPB body:     u32 interface | u32 ts high | u32 ts low | u32 captured length
 *                 | u32 original length | data, padded to 32 bits | options
 *   option:       u16 code | u16 length | value, padded to 32 bits; code 0 ends
 *
 * Block headers are built in a fixed buffer through a bounds-checked
 * appender; packet data is written from the caller's buffer as it is.
 */
#include "pcapng_writer.h"

#include <string.h>

#include <pcap/dlt.h>

enum {
    BLOCK_SHB = 0x0A0D0D0A,
    BLOCK_IDB = 0x00000001,
    BLOCK_EPB = 0x00000006,
    BYTE_ORDER_MAGIC = 0x1A2B3C4D,
    OPT_ENDOFOPT = 0,
    OPT_COMMENT = 1,
    OPT_SHB_USERAPPL = 4,
    OPT_IF_NAME = 2,
};

/* A block header with two options of PCAPNG_OPTION_MAX bytes fits. */
#define BLOCK_BUFFER_MAX (64 + 2 * (4 + PCAPNG_OPTION_MAX + 3))

/* Bytes of data and overhead in one EPB: its length field is 32 bits. */
#define EPB_OVERHEAD 32u

typedef struct block_buffer {
    uint8_t bytes[BLOCK_BUFFER_MAX];
    size_t used;
    bool overflow; /* an append did not fit: the block is not written */
} block_buffer;

static void put_bytes(block_buffer *b, const void *p, size_t n)
{
    if (b->overflow || n > sizeof b->bytes - b->used) {
        b->overflow = true;
        return;
    }
    memcpy(b->bytes + b->used, p, n);
    b->used += n;
}

static void put_u16(block_buffer *b, uint16_t v) { put_bytes(b, &v, sizeof v); }
static void put_u32(block_buffer *b, uint32_t v) { put_bytes(b, &v, sizeof v); }

static void put_padding(block_buffer *b, size_t len)
{
    static const uint8_t zeros[4] = {0, 0, 0, 0};
    put_bytes(b, zeros, (4 - len % 4) % 4);
}

/* A string option, cut to PCAPNG_OPTION_MAX bytes; nothing when NULL or "". */
static void put_string_option(block_buffer *b, uint16_t code, const char *value)
{
    if (!value || !*value)
        return;
    size_t len = strnlen(value, PCAPNG_OPTION_MAX);
    put_u16(b, code);
    put_u16(b, (uint16_t)len);
    put_bytes(b, value, len);
    put_padding(b, len);
}

static void put_end_of_options(block_buffer *b)
{
    put_u16(b, OPT_ENDOFOPT);
    put_u16(b, 0);
}

/* Fills in the total length (at offset 4) and appends its copy at the end. */
static void close_block(block_buffer *b)
{
    uint32_t total = (uint32_t)(b->used + 4);
    put_u32(b, total);
    if (!b->overflow)
        memcpy(b->bytes + 4, &total, sizeof total);
}

static bool write_all(pcapng_writer *w, const void *p, size_t n)
{
    if (w->failed)
        return false;
    if (n && fwrite(p, 1, n, w->out) != n)
        w->failed = true;
    return !w->failed;
}

static bool write_block(pcapng_writer *w, const block_buffer *b)
{
    if (b->overflow) {
        w->failed = true;
        return false;
    }
    return write_all(w, b->bytes, b->used);
}

bool pcapng_writer_begin_section(pcapng_writer *w, FILE *out, const char *application)
{
    w->out = out;
    w->snaplen = 0;
    w->interfaces = 0;
    w->failed = false;

    block_buffer shb = {.used = 0, .overflow = false};
    put_u32(&shb, BLOCK_SHB);
    put_u32(&shb, 0); /* total length, set by close_block */
    put_u32(&shb, BYTE_ORDER_MAGIC);
    put_u16(&shb, 1);
    put_u16(&shb, 0);
    put_u32(&shb, 0xffffffffu); /* section length -1: not given */
    put_u32(&shb, 0xffffffffu);
    put_string_option(&shb, OPT_SHB_USERAPPL, application);
    put_end_of_options(&shb);
    close_block(&shb);
    return write_block(w, &shb);
}

bool pcapng_writer_interface(pcapng_writer *w, uint16_t linktype, uint32_t snaplen,
                             const char *if_name, uint32_t *id)
{
    block_buffer idb = {.used = 0, .overflow = false};
    put_u32(&idb, BLOCK_IDB);
    put_u32(&idb, 0);
    put_u16(&idb, linktype);
    put_u16(&idb, 0);
    put_u32(&idb, snaplen);
    put_string_option(&idb, OPT_IF_NAME, if_name);
    put_end_of_options(&idb);
    close_block(&idb);
    if (!write_block(w, &idb))
        return false;
    *id = w->interfaces++;
    return true;
}

bool pcapng_writer_begin(pcapng_writer *w, FILE *out, uint16_t linktype, uint32_t snaplen,
                         const char *if_name, const char *application)
{
    uint32_t id;
    if (!pcapng_writer_begin_section(w, out, application) ||
        !pcapng_writer_interface(w, linktype, snaplen, if_name, &id))
        return false;
    w->snaplen = snaplen;
    return true;
}

bool pcapng_writer_packet(pcapng_writer *w, mqttka_time ts, const uint8_t *data,
                          size_t captured_len, size_t wire_len)
{
    return pcapng_writer_packet_on(w, 0, ts, data, captured_len, wire_len, NULL, 0);
}

bool pcapng_writer_packet_on(pcapng_writer *w, uint32_t id, mqttka_time ts,
                             const uint8_t *data, size_t captured_len, size_t wire_len,
                             const char *const *comments, size_t n_comments)
{
    if (w->failed || ts < 0 || (captured_len && !data) || (n_comments && !comments))
        return false;
    if (w->snaplen && captured_len > w->snaplen)
        captured_len = w->snaplen;
    /* Lengths that a 32-bit block length cannot hold are not written. */
    if (captured_len > UINT32_MAX / 2 || wire_len > UINT32_MAX)
        return false;
    if (wire_len < captured_len)
        wire_len = captured_len;
    size_t padded = captured_len + (4 - captured_len % 4) % 4;
    size_t options = 0;
    for (size_t i = 0; i < n_comments; i++) {
        size_t len = strnlen(comments[i], PCAPNG_COMMENT_MAX);
        options += 4 + len + (4 - len % 4) % 4;
    }
    if (options)
        options += 4; /* opt_endofopt */
    if (options > UINT32_MAX / 4)
        return false;
    uint32_t total = (uint32_t)(EPB_OVERHEAD + padded + options);
    uint64_t t = (uint64_t)ts;

    block_buffer head = {.used = 0, .overflow = false};
    put_u32(&head, BLOCK_EPB);
    put_u32(&head, total);
    put_u32(&head, id);
    put_u32(&head, (uint32_t)(t >> 32));
    put_u32(&head, (uint32_t)(t & 0xffffffffu));
    put_u32(&head, (uint32_t)captured_len);
    put_u32(&head, (uint32_t)wire_len);
    if (!write_block(w, &head) || !write_all(w, data, captured_len))
        return false;
    block_buffer pad = {.used = 0, .overflow = false};
    put_padding(&pad, captured_len);
    if (!write_block(w, &pad))
        return false;
    for (size_t i = 0; i < n_comments; i++) {
        size_t len = strnlen(comments[i], PCAPNG_COMMENT_MAX);
        block_buffer oh = {.used = 0, .overflow = false};
        put_u16(&oh, OPT_COMMENT);
        put_u16(&oh, (uint16_t)len);
        block_buffer op = {.used = 0, .overflow = false};
        put_padding(&op, len);
        if (!write_block(w, &oh) || !write_all(w, comments[i], len) || !write_block(w, &op))
            return false;
    }
    block_buffer tail = {.used = 0, .overflow = false};
    if (options)
        put_end_of_options(&tail);
    put_u32(&tail, total);
    return write_block(w, &tail);
}

uint16_t pcapng_linktype_from_dlt(int dlt)
{
    enum { LINKTYPE_RAW = 101 };
    if (dlt == DLT_RAW)
        return LINKTYPE_RAW;
    return (uint16_t)dlt;
}

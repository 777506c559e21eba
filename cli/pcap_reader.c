/*
 * pcap_reader.c - classic pcap records, parsed in place (pcap_reader.h):
 *
 *   file header (24 bytes): u32 magic | u16 major | u16 minor | i32 zone
 *                           | u32 sigfigs | u32 snaplen | u32 link type
 *   record header (16):     i32 seconds | i32 fraction | u32 captured
 *                           | u32 wire length | captured bytes
 *
 * Numbers in the byte order the magic tells. The common record is taken in
 * pcap_reader_next (inline, in the header); this file has the rest: the
 * header, refilling the buffer, and every record that is not ordinary.
 */
#include "pcap_reader.h"

#include <errno.h>
#include <stdlib.h>

#define MAGIC_MICRO UINT32_C(0xA1B2C3D4)
#define MAGIC_NANO UINT32_C(0xA1B23C4D)

enum {
    FILE_HEADER = 24,
    RECORD_HEADER = 16,
};

static uint32_t swap32(uint32_t v)
{
    return __builtin_bswap32(v);
}

static uint32_t magic_of(const uint8_t magic[4])
{
    uint32_t v;
    memcpy(&v, magic, sizeof v);
    return v;
}

bool pcap_reader_recognises(const uint8_t magic[4])
{
    uint32_t v = magic_of(magic);
    return v == MAGIC_MICRO || v == MAGIC_NANO || swap32(v) == MAGIC_MICRO ||
           swap32(v) == MAGIC_NANO;
}

/* Reads into the buffer's free end until it is full or the stream ends. */
static void refill(pcap_reader *r)
{
    size_t avail = r->end - r->start;
    if (r->start) {
        memmove(r->buffer, r->buffer + r->start, avail);
        r->offset += r->start;
        r->start = 0;
        r->end = avail;
    }
    size_t want = PCAP_READER_BUFFER - r->end;
    size_t got = fread(r->buffer + r->end, 1, want, r->in);
    r->end += got;
    if (got < want) {
        if (ferror(r->in))
            r->read_failed = true;
        else
            r->at_eof = true;
    }
}

pcap_reader_status pcap_reader_open(pcap_reader *r, FILE *in, char *err, size_t err_size)
{
    memset(r, 0, sizeof *r);
    r->in = in;
    r->buffer = malloc(PCAP_READER_BUFFER);
    if (!r->buffer) {
        snprintf(err, err_size, "out of memory");
        return PCAP_READER_READ_ERROR;
    }
    refill(r);
    if (r->read_failed) {
        snprintf(err, err_size, "error reading dump file: %s", strerror(errno ? errno : EIO));
        return PCAP_READER_READ_ERROR;
    }
    if (r->end < FILE_HEADER) {
        /* libpcap counts the bytes after the four of the magic. */
        snprintf(err, err_size,
                 "truncated dump file; tried to read %d file header bytes, only got %zu",
                 FILE_HEADER, r->end >= 4 ? r->end - 4 : 0);
        return PCAP_READER_TRUNCATED;
    }
    const uint8_t *h = r->buffer;
    uint32_t magic = magic_of(h);
    r->swapped = magic != MAGIC_MICRO && magic != MAGIC_NANO;
    magic = r->swapped ? swap32(magic) : magic;
    r->nanoseconds = magic == MAGIC_NANO;
    uint16_t major, minor;
    memcpy(&major, h + 4, 2);
    memcpy(&minor, h + 6, 2);
    if (r->swapped) {
        major = (uint16_t)(major >> 8 | major << 8);
        minor = (uint16_t)(minor >> 8 | minor << 8);
    }
    if (major < 2) {
        snprintf(err, err_size, "archaic pcap savefile format");
        return PCAP_READER_DAMAGED;
    }
    if (!((major == 2 && minor <= 4) || (major == 543 && minor == 0))) {
        snprintf(err, err_size, "unsupported pcap savefile version %u.%u", major, minor);
        return PCAP_READER_DAMAGED;
    }
    /* The lengths were interchanged at 2.3 to match bpf's header; some
     * files say 2.3 without it, and DG/UX's 543.0 has the old order. */
    r->lengths_swapped = major == 543 || minor < 3;
    r->lengths_maybe = major == 2 && minor == 3;
    uint32_t snaplen = pcap_reader_u32(r, h + 16);
    r->snaplen = snaplen == 0 || snaplen > PCAP_READER_CAPLEN_MAX ? PCAP_READER_CAPLEN_MAX
                                                                   : snaplen;
    r->snapshot = (int32_t)snaplen > 0 ? (int32_t)snaplen : (int32_t)PCAP_READER_CAPLEN_MAX;
    /* the upper bits carry the FCS length, not the type */
    r->linktype = pcap_reader_u32(r, h + 20) & 0x03FFFFFFu;
    r->start = FILE_HEADER;
    return PCAP_READER_RECORD;
}

pcap_reader_status pcap_reader_refill_next(pcap_reader *r, pcap_reader_record *rec, char *err,
                                           size_t err_size)
{
    for (;;) {
        size_t avail = r->end - r->start;
        const uint8_t *h = r->buffer + r->start;
        uint32_t caplen = 0, len = 0;
        if (avail >= RECORD_HEADER) {
            caplen = pcap_reader_u32(r, h + 8);
            len = pcap_reader_u32(r, h + 12);
            if (r->lengths_swapped || (r->lengths_maybe && caplen > len)) {
                uint32_t t = caplen;
                caplen = len;
                len = t;
            }
            if (caplen > PCAP_READER_CAPLEN_MAX) {
                if (caplen > (uint32_t)r->snapshot)
                    snprintf(err, err_size,
                             "invalid packet capture length %u, bigger than snaplen of %d",
                             caplen, r->snapshot);
                else
                    snprintf(err, err_size,
                             "invalid packet capture length %u, bigger than maximum of %u",
                             caplen, PCAP_READER_CAPLEN_MAX);
                return PCAP_READER_DAMAGED;
            }
            if (avail - RECORD_HEADER >= caplen) {
                int32_t sec = (int32_t)pcap_reader_u32(r, h);
                int32_t frac = (int32_t)pcap_reader_u32(r, h + 4);
                if (r->nanoseconds)
                    frac /= 1000;
                rec->ts = (mqttka_time)sec * 1000000 + frac;
                /* past the snaplen: its first snaplen bytes, as libpcap */
                rec->captured_len = caplen > r->snaplen ? r->snaplen : caplen;
                rec->wire_len = len;
                rec->data = h + RECORD_HEADER;
                r->start += RECORD_HEADER + (size_t)caplen;
                return PCAP_READER_RECORD;
            }
        }
        if (r->read_failed) {
            snprintf(err, err_size, "error reading dump file: %s", strerror(errno ? errno : EIO));
            return PCAP_READER_READ_ERROR;
        }
        if (r->at_eof) {
            if (avail == 0)
                return PCAP_READER_END;
            if (avail < RECORD_HEADER) {
                snprintf(err, err_size,
                         "truncated dump file; tried to read %d header bytes, only got %zu",
                         RECORD_HEADER, avail);
            } else {
                size_t have = avail - RECORD_HEADER;
                uint32_t tried = caplen > r->snaplen && have < r->snaplen ? r->snaplen : caplen;
                snprintf(err, err_size,
                         "truncated dump file; tried to read %u captured bytes, only got %zu",
                         tried, have);
            }
            return PCAP_READER_TRUNCATED;
        }
        refill(r);
    }
}

uint64_t pcap_reader_offset(const pcap_reader *r)
{
    return r->offset + r->start;
}

void pcap_reader_free(pcap_reader *r)
{
    free(r->buffer);
    r->buffer = NULL;
}

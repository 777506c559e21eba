/*
 * pcap_reader.h - records out of a classic pcap file (the tcpdump format:
 * draft-ietf-opsawg-pcap), parsed in place from a large read buffer.
 *
 * libpcap reads each record with two fread() calls through stdio's buffer,
 * which on a capture of small packets costs more than all of mqttka's
 * analysis of it (BENCHMARKS.md, "Small packets"). Here a record is a
 * pointer into a buffer that read() fills 512 KiB at a time; libpcap stays
 * for live capture and BPF filters, the pcapng reader for pcapng.
 *
 * Read as libpcap 1.10 reads it, so that a file gives the same records
 * either way (tests/cli/test_pcap_reader.c compares the two): either byte
 * order, microsecond (0xA1B2C3D4) or nanosecond (0xA1B23C4D) timestamps,
 * kept as microseconds as libpcap gives them with
 * PCAP_TSTAMP_PRECISION_MICRO (seconds and fraction as signed 32-bit
 * fields); versions 2.0 to 2.4 and DG/UX's 543.0, with the captured and
 * wire lengths interchanged where the version says they are; a record
 * longer than the file's snaplen keeps its first snaplen bytes; a captured
 * length over 256 KiB (libpcap's largest for every link type mqttka
 * decodes) is damage, as is a file that ends inside a record (cut short),
 * in libpcap's words. The patched "Kuznetzov" variant (0xA1B2CD34, a
 * longer record header) is left to libpcap.
 *
 * Bounded: one buffer of PCAP_READER_BUFFER bytes, whatever the file says.
 */
#ifndef MQTTKA_CLI_PCAP_READER_H
#define MQTTKA_CLI_PCAP_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mqttka.h"

/* The largest captured length libpcap accepts (its MAXIMUM_SNAPLEN). */
#define PCAP_READER_CAPLEN_MAX 262144u
/* Twice the largest record, so that a record is always whole in it. */
#define PCAP_READER_BUFFER (2 * (PCAP_READER_CAPLEN_MAX + 16u))

typedef struct pcap_reader {
    FILE *in;             /* borrowed */
    bool swapped;         /* the file's byte order is not the host's */
    bool nanoseconds;     /* the fraction counts nanoseconds */
    bool lengths_swapped; /* before version 2.3: wire length first */
    bool lengths_maybe;   /* version 2.3: interchanged when caplen > len */
    uint32_t linktype;    /* LINKTYPE_ value, FCS bits dropped */
    uint32_t snaplen;     /* the file header's; 0 or over the maximum: none */
    int32_t snapshot;     /* libpcap's word for it in messages: the header's,
                             read signed, or the maximum when not positive */
    uint8_t *buffer;      /* PCAP_READER_BUFFER bytes */
    size_t start, end;    /* unread bytes: buffer[start..end) */
    uint64_t offset;      /* file offset of buffer[0] */
    bool at_eof;          /* the stream has no more bytes */
    bool read_failed;     /* the stream reported an error */
} pcap_reader;

typedef enum pcap_reader_status {
    PCAP_READER_RECORD = 0,
    PCAP_READER_END,       /* the file ends between records */
    PCAP_READER_TRUNCATED, /* it ends inside a header or a record */
    PCAP_READER_DAMAGED,   /* a captured length libpcap would refuse */
    PCAP_READER_READ_ERROR,
} pcap_reader_status;

typedef struct pcap_reader_record {
    mqttka_time ts;        /* microseconds since the epoch */
    const uint8_t *data;   /* borrowed until the next call */
    uint32_t captured_len;
    uint32_t wire_len;
} pcap_reader_record;

/* True when `magic` (the file's first four bytes) is a classic pcap's. */
bool pcap_reader_recognises(const uint8_t magic[4]);

/*
 * Reads the 24-byte file header from `in` (at its start). Returns
 * PCAP_READER_RECORD when records can be read, else why not, with a reason
 * in `err` (libpcap's words where it has them). Free with pcap_reader_free
 * in every case.
 */
pcap_reader_status pcap_reader_open(pcap_reader *r, FILE *in, char *err, size_t err_size);

/* The next record, or why there is none (reason in `err`). Inline: it is
 * the benchmark's hot path. */
pcap_reader_status pcap_reader_refill_next(pcap_reader *r, pcap_reader_record *rec, char *err,
                                           size_t err_size);

static inline uint32_t pcap_reader_u32(const pcap_reader *r, const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return r->swapped ? __builtin_bswap32(v) : v;
}

/* The record at buffer[start] into *rec, when it is whole there and
 * ordinary (no snaplen cut, no damage): true. False, with nothing read,
 * when pcap_reader_refill_next must read on. */
static inline bool pcap_reader_next_whole(pcap_reader *r, pcap_reader_record *rec)
{
    size_t avail = r->end - r->start;
    if (avail >= 16) {
        const uint8_t *h = r->buffer + r->start;
        uint32_t caplen = pcap_reader_u32(r, h + 8);
        if (caplen <= avail - 16 && caplen <= r->snaplen && !r->lengths_swapped &&
            !r->lengths_maybe) {
            int32_t sec = (int32_t)pcap_reader_u32(r, h);
            int32_t frac = (int32_t)pcap_reader_u32(r, h + 4);
            if (r->nanoseconds)
                frac /= 1000;
            rec->ts = (mqttka_time)sec * 1000000 + frac;
            rec->captured_len = caplen;
            rec->wire_len = pcap_reader_u32(r, h + 12);
            rec->data = h + 16;
            r->start += 16 + (size_t)caplen;
            return true;
        }
    }
    return false;
}

/* The next record: in place when whole, else the slow path reads on. */
static inline pcap_reader_status pcap_reader_next(pcap_reader *r, pcap_reader_record *rec,
                                                  char *err, size_t err_size)
{
    if (pcap_reader_next_whole(r, rec))
        return PCAP_READER_RECORD;
    return pcap_reader_refill_next(r, rec, err, err_size);
}

/* Bytes read from the file so far that records were taken from. */
uint64_t pcap_reader_offset(const pcap_reader *r);

/* Frees the buffer (not the FILE). Safe twice. */
void pcap_reader_free(pcap_reader *r);

#endif

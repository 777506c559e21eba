/*
 * pcapng_writer.h - the smallest pcapng writer Wireshark reads: one Section
 * Header Block, Interface Description Blocks, then one Enhanced Packet
 * Block per record, which may carry comments (opt_comment)
 * (draft-ietf-opsawg-pcapng, sections 3.5, 4.1, 4.2 and 4.3).
 *
 * libpcap 1.10 writes only pcap; a -w file named .pcapng must be pcapng.
 * Blocks are written in host byte order (the Section Header's byte-order
 * magic tells readers which) with microsecond timestamps (if_tsresol 6, the
 * format's default). The writer never buffers a record: its payload goes
 * straight to the FILE.
 */
#ifndef MQTTKA_CLI_PCAPNG_WRITER_H
#define MQTTKA_CLI_PCAPNG_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mqttka.h"

/* Longest option value written (interface name, application): longer ones
 * are cut, so a block header always fits the writer's fixed buffer. */
#define PCAPNG_OPTION_MAX 128

/* Longest comment written on a packet (longer ones are cut). */
#define PCAPNG_COMMENT_MAX 1024

typedef struct pcapng_writer {
    FILE *out;      /* borrowed: the caller opens and closes it */
    uint32_t snaplen;
    uint32_t interfaces; /* Interface Description Blocks written */
    bool failed;    /* a write failed: every later call returns false */
} pcapng_writer;

/*
 * Writes the Section Header and the one Interface Description to `out`.
 * `linktype` is a pcap LINKTYPE_ value (pcapng_linktype_from_dlt converts
 * what pcap_datalink returns); `if_name` and `application` may be NULL.
 * Returns false when the FILE reports an error (errno then says why).
 */
bool pcapng_writer_begin(pcapng_writer *w, FILE *out, uint16_t linktype, uint32_t snaplen,
                         const char *if_name, const char *application);

/*
 * Writes one Enhanced Packet Block: `captured_len` bytes of `data`, which
 * were `wire_len` on the wire, captured at `ts` (microseconds since the
 * epoch, not negative). A record longer than the snaplen is cut to it, as
 * a capture would have. Returns false on a write error or a bad argument.
 */
bool pcapng_writer_packet(pcapng_writer *w, mqttka_time ts, const uint8_t *data,
                          size_t captured_len, size_t wire_len);

/* The Section Header alone: interfaces follow with pcapng_writer_interface.
 * Packets are then never cut (snaplen 0). */
bool pcapng_writer_begin_section(pcapng_writer *w, FILE *out, const char *application);

/* One more Interface Description Block; its number (0, 1, ...) in *id. */
bool pcapng_writer_interface(pcapng_writer *w, uint16_t linktype, uint32_t snaplen,
                             const char *if_name, uint32_t *id);

/*
 * pcapng_writer_packet on interface `id`, with `n_comments` comments (UTF-8,
 * each cut to PCAPNG_COMMENT_MAX bytes) as opt_comment options, which
 * Wireshark shows as the packet's comments (frame.comment).
 */
bool pcapng_writer_packet_on(pcapng_writer *w, uint32_t id, mqttka_time ts,
                             const uint8_t *data, size_t captured_len, size_t wire_len,
                             const char *const *comments, size_t n_comments);

/* The LINKTYPE_ for a DLT_ value: they differ only for a few historical
 * values (DLT_RAW is 12 or 14 by platform, LINKTYPE_RAW 101). */
uint16_t pcapng_linktype_from_dlt(int dlt);

#endif

/*
 * pcapng_reader.h - packets out of a pcapng file whose interfaces may have
 * different link types (draft-ietf-opsawg-pcapng §4).
 *
 * libpcap 1.10 reads pcapng only while every interface has the link type of
 * the first one: the file `dumpcap -i lo -i any` writes (EN10MB and
 * LINUX_SLL2) is refused as damaged ("an interface has a type 276 different
 * from the type of the first interface"). This reader returns each packet
 * with its own interface's link type, and reads every pcapng mqttka is
 * given, so that one file is never read two ways.
 *
 * Read: Section Header (byte order per section, version 1.x), Interface
 * Description (link type, snaplen, if_tsresol, if_tsoffset), Enhanced
 * Packet, Simple Packet and the obsolete Packet Block; every other block is
 * skipped. Every packet block is a frame, numbered from 1 as Wireshark does.
 *
 * Bounded for hostile input: a packet block is read in one piece into a
 * fixed buffer when it fits (PCAPNG_PACKET_MAX and 4 KiB more: every block
 * a capture tool writes), else streamed, never buffered whole (a block may
 * declare 4 GiB); a packet's first PCAPNG_PACKET_MAX bytes are kept and the
 * rest of a longer one skipped (the record is then cut, as a snaplen would
 * have cut it); other blocks are streamed; at most PCAPNG_INTERFACES_MAX
 * interfaces per section. Lengths that do not add up are a clean error.
 */
#ifndef MQTTKA_CLI_PCAPNG_READER_H
#define MQTTKA_CLI_PCAPNG_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mqttka.h"

/* Bytes kept of one packet: tcpdump's and dumpcap's largest snaplen. */
#define PCAPNG_PACKET_MAX 262144
/* Interfaces per section: more than any capture host has; each costs 24
 * bytes, and a file cannot make the table grow past this. */
#define PCAPNG_INTERFACES_MAX 4096

typedef struct pcapng_interface {
    uint16_t linktype;     /* LINKTYPE_ value */
    uint32_t snaplen;      /* 0: none */
    uint64_t units;        /* timestamp units per second (if_tsresol) */
    int64_t offset_s;      /* if_tsoffset: seconds added to every timestamp */
} pcapng_interface;

typedef struct pcapng_reader {
    FILE *in;                    /* borrowed */
    bool swapped;                /* this section's byte order is not the host's */
    pcapng_interface *ifaces;    /* this section's, up to PCAPNG_INTERFACES_MAX */
    size_t n_ifaces, cap_ifaces;
    uint8_t *data;               /* a packet block read whole (PCAPNG_PACKET_MAX + 4 KiB) */
    uint64_t offset;             /* bytes read so far: where damage is */
    mqttka_time last_ts;         /* for Simple Packet Blocks, which have none */
    /* A block header read ahead by pcapng_reader_open (the first packet's). */
    bool pending;
    uint32_t pending_type, pending_length;
} pcapng_reader;

typedef struct pcapng_packet {
    uint16_t linktype;
    uint32_t interface_id;
    mqttka_time ts;              /* microseconds since the epoch, clamped */
    const uint8_t *data;         /* borrowed until the next call */
    size_t captured_len;
    size_t wire_len;
} pcapng_packet;

typedef enum pcapng_status {
    PCAPNG_PACKET = 0,
    PCAPNG_END,                  /* clean end of the file, between blocks */
    PCAPNG_TRUNCATED,            /* the file ends inside a block */
    PCAPNG_DAMAGED,              /* lengths or values that do not add up */
    PCAPNG_READ_ERROR,           /* the stream reported an error */
} pcapng_status;

/*
 * Reads the Section Header Block and every block up to the first packet
 * block, so that the interfaces described before any packet are known
 * (pcapng_reader_interfaces). Returns PCAPNG_PACKET (ready to read
 * packets; also for a file with no packet at all) or the failure, with
 * a reason in `err`. Free with pcapng_reader_free in every case.
 */
pcapng_status pcapng_reader_open(pcapng_reader *r, FILE *in, char *err, size_t err_size);

/* The next packet, or why there is none (reason in `err`). */
pcapng_status pcapng_reader_next(pcapng_reader *r, pcapng_packet *pkt, char *err,
                                 size_t err_size);

/* The interfaces of the current section known so far. */
const pcapng_interface *pcapng_reader_interfaces(const pcapng_reader *r, size_t *n);

/* Frees the buffers (not the FILE). Safe twice. */
void pcapng_reader_free(pcapng_reader *r);

#endif

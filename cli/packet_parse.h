/*
 * packet_parse.h - one captured record, link layer down to TCP, as an
 * mqttka_segment.
 *
 * Link types (pcap DLT_ and LINKTYPE_ values both accepted, since libpcap
 * hands out DLT_ values and files carry LINKTYPE_ ones):
 *   0 NULL, 108 LOOP     4-byte address family, either byte order
 *   1 EN10MB             Ethernet II with any stack of 802.1Q / 802.1ad tags
 *   113 LINUX_SLL        16-byte cooked header
 *   276 LINUX_SLL2       20-byte cooked header
 *   12, 14, 101 RAW      IPv4 or IPv6, chosen by the version nibble
 *   228 IPV4, 229 IPV6
 */
#ifndef MQTTKA_CLI_PACKET_PARSE_H
#define MQTTKA_CLI_PACKET_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqttka.h"

typedef enum packet_parse_status {
    PACKET_PARSE_TCP = 0,     /* *out holds a TCP segment */
    PACKET_PARSE_NOT_TCP,     /* well formed, but not TCP over IP (ARP, UDP...) */
    PACKET_PARSE_FRAGMENT,    /* an IP fragment: only whole datagrams are decoded */
    PACKET_PARSE_SNAPPED,     /* the capture's snaplen cut the record inside a header */
    PACKET_PARSE_MALFORMED,   /* headers whose lengths or versions do not add up */
    PACKET_PARSE_UNSUPPORTED_LINK,
} packet_parse_status;

/* True when packet_parse knows the link type `linktype`. */
bool packet_parse_link_supported(int linktype);

/* A short name for a link type, for messages ("EN10MB"); NULL if unknown. */
const char *packet_parse_link_name(int linktype);

/*
 * Decodes one record: `captured_len` bytes at `data` of a frame that was
 * `wire_len` bytes long on the wire. On PACKET_PARSE_TCP writes *out, all but
 * `ts` and `tag`: out->payload points into `data` (borrowed for as long as the
 * caller keeps the record), out->wire_len is the payload length that the IP
 * header declares, out->captured_len how much of it the record holds.
 * Every other status leaves *out untouched.
 */
packet_parse_status packet_parse(int linktype, const uint8_t *data, size_t captured_len,
                                 size_t wire_len, mqttka_segment *out);

#endif

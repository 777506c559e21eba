/*
 * flow_ids.h - names for a connection that other tools' records can be
 * joined on.
 *
 * Community ID (https://github.com/corelight/community-id-spec, version 1):
 * the flow hash that Zeek, Suricata, Arkime and Elastic write, so that an
 * mqttka connection can be found in their logs by a string comparison:
 *
 *   "1:" base64(SHA-1(seed(2, big-endian) . addr_lo . addr_hi . 6 . 0 .
 *                     port_lo . port_hi))
 *
 * where (addr_lo, port_lo) is the smaller endpoint (address bytes compared
 * first, then the port), so both directions give the same ID; 6 is TCP's
 * protocol number and the 0 a pad byte. The seed is 0 unless the sites that
 * share IDs agree on another.
 *
 * uid: a connection's name in mqttka's own JSON and CSV, in the shape of
 * Zeek's conn uid ("C" and 17 base-62 characters) but not random: a 96-bit
 * hash of the endpoints (ordered as above) and the connection's first
 * packet time, so that the same capture always gives the same uids (golden
 * files stay stable), a -f filter or -c does not change them, and a live
 * run and its -w file read back agree. Two connections share one only if
 * they have the same address pair and started in the same microsecond.
 */
#ifndef MQTTKA_CLI_FLOW_IDS_H
#define MQTTKA_CLI_FLOW_IDS_H

#include <stdint.h>

#include "mqttka.h"

/* "1:" and 28 base64 characters (20 bytes, one '=' of padding). */
#define COMMUNITY_ID_LEN 30
/* "C" and 17 base-62 digits (62^17 > 2^96). */
#define FLOW_UID_LEN 18

/* Writes the Community ID of the TCP flow between `a` and `b` (either order)
 * with `seed` at `out`, NUL-terminated. Endpoints of different families
 * (never one flow) are hashed as they come. */
void flow_community_id(const mqttka_endpoint *a, const mqttka_endpoint *b, uint16_t seed,
                       char out[COMMUNITY_ID_LEN + 1]);

/* Writes the uid of the connection between `a` and `b` (either order) whose
 * first packet came at `start` (MQTTKA_TIME_NONE is hashed as it is) at
 * `out`, NUL-terminated. */
void flow_uid(const mqttka_endpoint *a, const mqttka_endpoint *b, mqttka_time start,
              char out[FLOW_UID_LEN + 1]);

#endif

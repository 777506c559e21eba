/*
 * lone_packet.h - a segment that is, whole, one of a client's last words:
 * a PINGREQ or a DISCONNECT, bare over TCP or in one masked WebSocket
 * frame. A late-joined flow too short for the probe's proofs (probe.h) may
 * still be MQTT when such a segment is all its data and the rest of the
 * flow (ACKs, the close) fits (flow.c, prove_lone_packet).
 *
 * What counts, to the byte (nothing before, nothing after):
 *   PINGREQ     c0 00                                 (MQTT 3.1.1 §3.12, 5.0 §3.12)
 *   DISCONNECT  e0 00                                 (every version, §3.14)
 *               e0 01 RC                              (5.0 §3.14.2.1)
 *               e0 LEN RC PLEN PROPS                  (5.0 §3.14.2.2)
 * RC one of the reason codes a client may send (5.0 table 3-10), PLEN a
 * Variable Byte Integer (minimal, §1.5.5) that ends exactly at the packet's
 * end, PROPS only properties a client's DISCONNECT may carry (Session
 * Expiry Interval and Reason String at most once each, User Properties),
 * each whole.
 *   WebSocket   82 (80|n) MASK[4] PAYLOAD[n], n <= 125, the payload
 *               unmasking to one of the above (RFC 6455 §5.2-5.3: FIN,
 *               no RSV bit, binary, masked as only a client masks).
 * A frame of 126 bytes or more (an extended length) is not taken: no
 * client's PINGREQ or plain DISCONNECT needs one.
 */
#ifndef MQTTKA_LONE_PACKET_H
#define MQTTKA_LONE_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "mqttka.h"

/* The MQTT packet type (MQTTKA_MQTT_PINGREQ or MQTTKA_MQTT_DISCONNECT)
 * when `len` bytes are, whole, one such packet as above, and then
 * *transport says how it came; 0 (and *transport untouched) otherwise. */
uint8_t lone_packet(const uint8_t *bytes, size_t len, mqttka_transport *transport);

#endif

/*
 * proven_servers.h - the server endpoints (address and port) where this
 * capture has proven MQTT: a connection to them was analysed as MQTT.
 *
 * A connection the capture joined so late that what remains of it cannot
 * prove MQTT by itself (only its FIN, RST and ACKs, or fewer whole packets
 * than the probe asks for) is still an MQTT connection when its server is
 * one of these: the same address and port served MQTT in the same capture,
 * which is how Wireshark's conversation-based decode-as treats it (flow.c).
 *
 * The table is fixed: PROVEN_SERVERS_MAX endpoints, the first proven kept.
 * Nothing grows with what a peer sends: a capture of many brokers gets the
 * rule for the first of them only.
 */
#ifndef MQTTKA_PROVEN_SERVERS_H
#define MQTTKA_PROVEN_SERVERS_H

#include <stdint.h>

#include "mqttka.h"

/* A broker capture has one to a few server endpoints (a plain and a
 * WebSocket listener, IPv4 and IPv6); a client's capture a few brokers.
 * Bounds the table's memory and each lookup's scan (done only for flows
 * that joined late and prove nothing by themselves, never per packet). */
#define PROVEN_SERVERS_MAX 32

typedef struct proven_servers {
    uint8_t n;
    uint8_t transport[PROVEN_SERVERS_MAX]; /* a mqttka_transport, by entry */
    mqttka_endpoint ep[PROVEN_SERVERS_MAX];
} proven_servers;

/* Notes that `server` carried MQTT over `transport`. Known endpoints keep
 * their first transport; past PROVEN_SERVERS_MAX nothing is added. */
void proven_servers_add(proven_servers *t, const mqttka_endpoint *server,
                        mqttka_transport transport);

/* The transport MQTT was proven with on `ep`, or -1 when it was not. */
int proven_servers_find(const proven_servers *t, const mqttka_endpoint *ep);

#endif

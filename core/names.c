/*
 * names.c - the names of verdicts, sides and close mechanisms (public
 * interface: the CLI's JSON and the plugin's field values; FINDINGS.md
 * defines them), and the protocols' own names for their packet types and
 * codes, so that the CLI and the plugin print what the core prints.
 * (Finding kinds have theirs in finding_kinds.c, beside their severities.)
 */
#include "mqttka.h"
#include "decimal.h"

#include <stdio.h>
#include <string.h>

static const char *const verdict_names[MQTTKA_V_COUNT] = {
    [MQTTKA_V_OPEN] = "open",
    [MQTTKA_V_MQTT_DISCONNECT] = "mqtt_disconnect",
    [MQTTKA_V_SERVER_CLOSED_KEEPALIVE] = "server_closed_keepalive",
    [MQTTKA_V_CLIENT_CLOSED_MISSING_PINGRESP] = "client_closed_missing_pingresp",
    [MQTTKA_V_WS_CLOSE] = "ws_close",
    [MQTTKA_V_INTERMEDIARY_IDLE_CLOSE] = "intermediary_idle_close",
    [MQTTKA_V_CLIENT_CLOSED] = "client_closed",
    [MQTTKA_V_SERVER_CLOSED] = "server_closed",
    [MQTTKA_V_RESET] = "reset",
    [MQTTKA_V_SESSION_TAKEN_OVER] = "session_taken_over",
    [MQTTKA_V_CONNECT_REFUSED] = "connect_refused",
};

static const char *const mqtt_type_names[MQTTKA_MQTT_TYPES] = {
    "RESERVED", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
    "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT",
    "AUTH",
};

const char *mqttka_severity_name(mqttka_severity s)
{
    switch (s) {
    case MQTTKA_INFO: return "info";
    case MQTTKA_WARN: return "warn";
    case MQTTKA_ERROR: return "error";
    }
    return "unknown";
}

const char *mqttka_verdict_name(mqttka_verdict v)
{
    return (unsigned)v < MQTTKA_V_COUNT ? verdict_names[v] : "unknown";
}

const char *mqttka_not_analysed_name(mqttka_not_analysed r)
{
    switch (r) {
    case MQTTKA_NA_NO_PAYLOAD: return "no_payload";
    case MQTTKA_NA_NO_MQTT: return "no_mqtt";
    case MQTTKA_NA_UNPROVEN: return "unproven";
    case MQTTKA_NA_TLS: return "tls";
    case MQTTKA_NA_HTTP: return "http";
    case MQTTKA_NA_WEBSOCKET: return "websocket";
    case MQTTKA_NA_RESOURCE_LIMIT: return "resource_limit";
    case MQTTKA_NA_CLOSE_ONLY: return "close_only";
    case MQTTKA_NA_COUNT: break;
    }
    return "unknown";
}

const char *mqttka_close_mechanism_name(mqttka_close_mechanism m)
{
    switch (m) {
    case MQTTKA_CLOSE_NONE: return NULL;
    case MQTTKA_CLOSE_MQTT_DISCONNECT: return "mqtt_disconnect";
    case MQTTKA_CLOSE_WS_CLOSE: return "ws_close";
    case MQTTKA_CLOSE_FIN: return "fin";
    case MQTTKA_CLOSE_RST: return "rst";
    }
    return NULL;
}

const char *mqttka_side_name(mqttka_side s)
{
    switch (s) {
    case MQTTKA_SIDE_NONE: return NULL;
    case MQTTKA_SIDE_CLIENT: return "client";
    case MQTTKA_SIDE_SERVER: return "server";
    }
    return NULL;
}

const char *mqttka_mqtt_type_name(uint8_t type)
{
    return type < MQTTKA_MQTT_TYPES ? mqtt_type_names[type] : "INVALID";
}

const char *mqttka_mqtt_version_name(uint8_t level)
{
    switch (level) {
    case 3: return "3.1";
    case 4: return "3.1.1";
    case 5: return "5.0";
    default: return NULL;
    }
}

const char *mqttka_connack_return_code_name(uint8_t code)
{
    switch (code) {
    case 0: return "accepted";
    case 1: return "unacceptable protocol version";
    case 2: return "identifier rejected";
    case 3: return "server unavailable";
    case 4: return "bad user name or password";
    case 5: return "not authorized";
    default: return NULL;
    }
}

const char *mqttka_reason_code_name(uint8_t type, uint8_t code)
{
    switch (code) {
    case 0x00:
        return type == MQTTKA_MQTT_DISCONNECT ? "Normal disconnection"
               : type == MQTTKA_MQTT_SUBACK   ? "Granted QoS 0"
                                              : "Success";
    case 0x01: return "Granted QoS 1";
    case 0x02: return "Granted QoS 2";
    case 0x04: return "Disconnect with Will Message";
    case 0x10: return "No matching subscribers";
    case 0x11: return "No subscription existed";
    case 0x18: return "Continue authentication";
    case 0x19: return "Re-authenticate";
    case 0x80: return "Unspecified error";
    case 0x81: return "Malformed Packet";
    case 0x82: return "Protocol Error";
    case 0x83: return "Implementation specific error";
    case 0x84: return "Unsupported Protocol Version";
    case 0x85: return "Client Identifier not valid";
    case 0x86: return "Bad User Name or Password";
    case 0x87: return "Not authorized";
    case 0x88: return "Server unavailable";
    case 0x89: return "Server busy";
    case 0x8A: return "Banned";
    case 0x8B: return "Server shutting down";
    case 0x8C: return "Bad authentication method";
    case 0x8D: return "Keep Alive timeout";
    case 0x8E: return "Session taken over";
    case 0x8F: return "Topic Filter invalid";
    case 0x90: return "Topic Name invalid";
    case 0x91: return "Packet Identifier in use";
    case 0x92: return "Packet Identifier not found";
    case 0x93: return "Receive Maximum exceeded";
    case 0x94: return "Topic Alias invalid";
    case 0x95: return "Packet too large";
    case 0x96: return "Message rate too high";
    case 0x97: return "Quota exceeded";
    case 0x98: return "Administrative action";
    case 0x99: return "Payload format invalid";
    case 0x9A: return "Retain not supported";
    case 0x9B: return "QoS not supported";
    case 0x9C: return "Use another server";
    case 0x9D: return "Server moved";
    case 0x9E: return "Shared Subscriptions not supported";
    case 0x9F: return "Connection rate exceeded";
    case 0xA0: return "Maximum connect time";
    case 0xA1: return "Subscription Identifiers not supported";
    case 0xA2: return "Wildcard Subscriptions not supported";
    default: return NULL;
    }
}

const char *mqttka_ws_control_name(uint8_t opcode)
{
    switch (opcode) {
    case MQTTKA_WS_CLOSE: return "close";
    case MQTTKA_WS_PING: return "ping";
    case MQTTKA_WS_PONG: return "pong";
    default: return NULL;
    }
}

const char *mqttka_ws_close_code_name(int32_t code)
{
    switch (code) {
    case 1000: return "normal closure";
    case 1001: return "going away";
    case 1002: return "protocol error";
    case 1003: return "unsupported data";
    case 1006: return "abnormal closure";
    case 1007: return "invalid payload data";
    case 1008: return "policy violation";
    case 1009: return "message too big";
    case 1010: return "mandatory extension";
    case 1011: return "internal error";
    case -1: return "no status code";
    default: return "application code";
    }
}

/* IPv6 text form per RFC 5952: lowercase, the longest run of two or more
 * zero groups compressed to "::" (the first such run on a tie). */
static void format_ipv6(const uint8_t a[16], char *buf, size_t size)
{
    unsigned groups[8];
    for (int i = 0; i < 8; i++)
        groups[i] = (unsigned)(a[2 * i] << 8 | a[2 * i + 1]);
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        if (groups[i] != 0) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && groups[j] == 0)
            j++;
        if (j - i > best_len && j - i >= 2) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < 8 && used < size; i++) {
        int n;
        if (i == best) {
            n = snprintf(buf + used, size - used, "::");
            i += best_len - 1;
        } else {
            bool after_gap = best >= 0 && i == best + best_len;
            n = snprintf(buf + used, size - used, "%s%x", (i == 0 || after_gap) ? "" : ":",
                         groups[i]);
        }
        if (n < 0)
            return;
        used += (size_t)n;
    }
}

void mqttka_endpoint_format(const mqttka_endpoint *e, char *buf, size_t size)
{
    if (!size)
        return;
    if (e->family == 6) {
        char addr[48];
        format_ipv6(e->addr, addr, sizeof addr);
        snprintf(buf, size, "[%s]:%u", addr, (unsigned)e->port);
    } else {
        /* Written by hand: a front end formats endpoints on every event. */
        char text[sizeof "255.255.255.255:65535"];
        size_t n = 0;
        for (int i = 0; i < 4; i++) {
            n += decimal_put_u64(text + n, e->addr[i]);
            text[n++] = i < 3 ? '.' : ':';
        }
        n += decimal_put_u64(text + n, e->port);
        if (n > size - 1)
            n = size - 1;
        memcpy(buf, text, n);
        buf[n] = '\0';
    }
}

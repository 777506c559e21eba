/*
 * names.c - the stable names of findings, verdicts and packet types.
 *
 * These strings are public interface: the CLI's JSON `kind`s and `verdict`s
 * and the Wireshark plugin's field values. FINDINGS.md defines them.
 */
#include "mqttka.h"
#include "decimal.h"

#include <stdio.h>
#include <string.h>

static const char *const finding_names[MQTTKA_F_COUNT] = {
    [MQTTKA_F_KEEPALIVE_NEGOTIATED] = "keepalive_negotiated",
    [MQTTKA_F_KEEPALIVE_DISABLED] = "keepalive_disabled",
    [MQTTKA_F_KEEPALIVE_OVERRIDDEN] = "keepalive_overridden",
    [MQTTKA_F_SERVER_KEEPALIVE_IGNORED] = "server_keepalive_ignored",
    [MQTTKA_F_SERVER_KEEPALIVE_INVALID] = "server_keepalive_invalid",
    [MQTTKA_F_CLIENT_SILENT_OVER_KEEPALIVE] = "client_silent_over_keepalive",
    [MQTTKA_F_CLIENT_SILENT_OVER_1_5_KEEPALIVE] = "client_silent_over_1_5_keepalive",
    [MQTTKA_F_SERVER_KEEPALIVE_NOT_ENFORCED] = "server_keepalive_not_enforced",
    [MQTTKA_F_PINGREQ_UNANSWERED] = "pingreq_unanswered",
    [MQTTKA_F_PINGRESP_LATE] = "pingresp_late",
    [MQTTKA_F_PINGRESP_RTT] = "pingresp_rtt",
    [MQTTKA_F_PINGRESP_UNSOLICITED] = "pingresp_unsolicited",
    [MQTTKA_F_PINGREQ_FROM_SERVER] = "pingreq_from_server",
    [MQTTKA_F_WS_PING_UNANSWERED] = "ws_ping_unanswered",
    [MQTTKA_F_WS_HANDSHAKE_FAILED] = "ws_handshake_failed",
    [MQTTKA_F_WS_SUBPROTOCOL] = "ws_subprotocol",
    [MQTTKA_F_WS_MASK_VIOLATION] = "ws_mask_violation",
    [MQTTKA_F_WS_FRAMING_ERROR] = "ws_framing_error",
    [MQTTKA_F_MQTT_IN_TEXT_FRAME] = "mqtt_in_text_frame",
    [MQTTKA_F_WS_DEFLATE_FAILED] = "ws_deflate_failed",
    [MQTTKA_F_WS_COMPRESSED_SKIPPED] = "ws_compressed_skipped",
    [MQTTKA_F_MALFORMED_FIXED_HEADER] = "malformed_fixed_header",
    [MQTTKA_F_MALFORMED_PING] = "malformed_ping",
    [MQTTKA_F_CONNECT_PROTOCOL_INVALID] = "connect_protocol_invalid",
    [MQTTKA_F_CAPTURE_GAP] = "capture_gap",
    [MQTTKA_F_RESOURCE_LIMIT] = "resource_limit",
};

static const char *const verdict_names[MQTTKA_V_COUNT] = {
    [MQTTKA_V_OPEN] = "open",
    [MQTTKA_V_MQTT_DISCONNECT] = "mqtt_disconnect",
    [MQTTKA_V_SERVER_CLOSED_KEEPALIVE] = "server_closed_keepalive",
    [MQTTKA_V_CLIENT_CLOSED_MISSING_PINGRESP] = "client_closed_missing_pingresp",
    [MQTTKA_V_CLIENT_CLOSED_DESPITE_PINGRESP] = "client_closed_despite_pingresp",
    [MQTTKA_V_WS_CLOSE] = "ws_close",
    [MQTTKA_V_INTERMEDIARY_IDLE_CLOSE] = "intermediary_idle_close",
    [MQTTKA_V_CLIENT_CLOSED] = "client_closed",
    [MQTTKA_V_SERVER_CLOSED] = "server_closed",
    [MQTTKA_V_RESET] = "reset",
};

static const char *const mqtt_type_names[MQTTKA_MQTT_TYPES] = {
    "RESERVED", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
    "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT",
    "AUTH",
};

const char *mqttka_finding_name(mqttka_finding_kind k)
{
    return (unsigned)k < MQTTKA_F_COUNT ? finding_names[k] : "unknown";
}

mqttka_severity mqttka_finding_severity(mqttka_finding_kind k)
{
    switch (k) {
    case MQTTKA_F_KEEPALIVE_NEGOTIATED:
    case MQTTKA_F_KEEPALIVE_DISABLED:
    case MQTTKA_F_KEEPALIVE_OVERRIDDEN:
    case MQTTKA_F_PINGRESP_RTT:
    case MQTTKA_F_CAPTURE_GAP:
        return MQTTKA_INFO;
    case MQTTKA_F_PINGREQ_UNANSWERED:
    case MQTTKA_F_SERVER_KEEPALIVE_INVALID:
    case MQTTKA_F_CLIENT_SILENT_OVER_1_5_KEEPALIVE:
    case MQTTKA_F_PINGREQ_FROM_SERVER:
    case MQTTKA_F_WS_HANDSHAKE_FAILED:
    case MQTTKA_F_WS_MASK_VIOLATION:
    case MQTTKA_F_WS_FRAMING_ERROR:
    case MQTTKA_F_MQTT_IN_TEXT_FRAME:
    case MQTTKA_F_MALFORMED_FIXED_HEADER:
    case MQTTKA_F_MALFORMED_PING:
    case MQTTKA_F_CONNECT_PROTOCOL_INVALID:
        return MQTTKA_ERROR;
    default:
        return MQTTKA_WARN;
    }
}

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

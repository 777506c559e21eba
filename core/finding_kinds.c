/*
 * finding_kinds.c - every finding kind with its severity (docs/FINDINGS.md
 * gives each its trigger and source).
 *
 * The names are public interface: the CLI's JSON `kind`s and the Wireshark
 * plugin's field values and expert infos. Never rename one once shipped.
 */
#include "finding_kinds.h"

#define KIND(name, severity) {name, severity, false, MQTTKA_INFO, false}
#define KIND_OR_LESSER(name, severity, lesser) {name, severity, true, lesser, false}

static const finding_kind_info kinds[MQTTKA_F_COUNT] = {
    /* Negotiation */
    [MQTTKA_F_KEEPALIVE_NEGOTIATED] = KIND("keepalive_negotiated", MQTTKA_INFO),
    [MQTTKA_F_KEEPALIVE_DISABLED] = KIND("keepalive_disabled", MQTTKA_INFO),
    [MQTTKA_F_KEEPALIVE_OVERRIDDEN] = KIND("keepalive_overridden", MQTTKA_INFO),
    [MQTTKA_F_SERVER_KEEPALIVE_IGNORED] = KIND("server_keepalive_ignored", MQTTKA_WARN),
    [MQTTKA_F_SERVER_KEEPALIVE_INVALID] = KIND("server_keepalive_invalid", MQTTKA_ERROR),
    /* Cadence and pings */
    [MQTTKA_F_CLIENT_SILENT_OVER_KEEPALIVE] = KIND("client_silent_over_keepalive", MQTTKA_WARN),
    [MQTTKA_F_CLIENT_SILENT_OVER_1_5_KEEPALIVE] =
        KIND("client_silent_over_1_5_keepalive", MQTTKA_ERROR),
    [MQTTKA_F_SERVER_KEEPALIVE_NOT_ENFORCED] = KIND("server_keepalive_not_enforced", MQTTKA_WARN),
    /* error: never answered before the close or the end of the capture;
     * lesser (warn): overtaken by the next PINGREQ, or overdue while the
     * connection is still open (live). */
    [MQTTKA_F_PINGREQ_UNANSWERED] =
        KIND_OR_LESSER("pingreq_unanswered", MQTTKA_ERROR, MQTTKA_WARN),
    [MQTTKA_F_PINGRESP_LATE] = KIND("pingresp_late", MQTTKA_WARN),
    [MQTTKA_F_PINGRESP_RTT] = {"pingresp_rtt", MQTTKA_INFO, false, MQTTKA_INFO, true},
    /* lesser (info): when a hole in the client's stream may hold its PINGREQ */
    [MQTTKA_F_PINGRESP_UNSOLICITED] =
        KIND_OR_LESSER("pingresp_unsolicited", MQTTKA_WARN, MQTTKA_INFO),
    [MQTTKA_F_PINGREQ_FROM_SERVER] = KIND("pingreq_from_server", MQTTKA_ERROR),
    [MQTTKA_F_WS_PING_UNANSWERED] = KIND("ws_ping_unanswered", MQTTKA_WARN),
    /* Transport hygiene */
    [MQTTKA_F_WS_HANDSHAKE_FAILED] = KIND("ws_handshake_failed", MQTTKA_ERROR),
    /* warn: no subprotocol, or one the client did not offer; lesser
     * (info): a legacy name such as "mqttv3.1". */
    [MQTTKA_F_WS_SUBPROTOCOL] = KIND_OR_LESSER("ws_subprotocol", MQTTKA_WARN, MQTTKA_INFO),
    [MQTTKA_F_WS_MASK_VIOLATION] = KIND("ws_mask_violation", MQTTKA_ERROR),
    [MQTTKA_F_WS_FRAMING_ERROR] = KIND("ws_framing_error", MQTTKA_ERROR),
    [MQTTKA_F_MQTT_IN_TEXT_FRAME] = KIND("mqtt_in_text_frame", MQTTKA_ERROR),
    [MQTTKA_F_WS_COMPRESSED_SKIPPED] = KIND("ws_compressed_skipped", MQTTKA_WARN),
    [MQTTKA_F_WS_DEFLATE_FAILED] = KIND("ws_deflate_failed", MQTTKA_WARN),
    [MQTTKA_F_MALFORMED_FIXED_HEADER] = KIND("malformed_fixed_header", MQTTKA_ERROR),
    [MQTTKA_F_MALFORMED_PING] = KIND("malformed_ping", MQTTKA_ERROR),
    [MQTTKA_F_CONNECT_PROTOCOL_INVALID] = KIND("connect_protocol_invalid", MQTTKA_ERROR),
    [MQTTKA_F_CAPTURE_GAP] = KIND("capture_gap", MQTTKA_INFO),
    [MQTTKA_F_RESOURCE_LIMIT] = KIND("resource_limit", MQTTKA_WARN),
    /* Captures that start late or miss bytes */
    [MQTTKA_F_KEEPALIVE_INFERRED] = KIND("keepalive_inferred", MQTTKA_INFO),
    [MQTTKA_F_ONE_SIDED] = KIND("one_sided", MQTTKA_INFO),
    [MQTTKA_F_MALFORMED_PACKET] = KIND("malformed_packet", MQTTKA_ERROR),
    /* Why a connection ended, where the capture can only suggest it */
    [MQTTKA_F_CLOSE_MATCHES_PING_TIMEOUT] = KIND("close_matches_ping_timeout", MQTTKA_INFO),
    /* Between connections */
    [MQTTKA_F_CONNECT_REFUSED] = KIND("connect_refused", MQTTKA_ERROR),
    [MQTTKA_F_CONNACK_MISSING] = KIND("connack_missing", MQTTKA_ERROR),
    [MQTTKA_F_RECONNECT_STORM] = KIND("reconnect_storm", MQTTKA_WARN),
    [MQTTKA_F_MASS_CLOSE] = KIND("mass_close", MQTTKA_WARN),
    /* TLS with a key log */
    [MQTTKA_F_TLS_DECRYPT_FAILED] = KIND("tls_decrypt_failed", MQTTKA_ERROR),
};

const finding_kind_info *finding_kind(mqttka_finding_kind kind)
{
    return &kinds[kind];
}

const char *mqttka_finding_name(mqttka_finding_kind k)
{
    return (unsigned)k < MQTTKA_F_COUNT ? kinds[k].name : "unknown";
}

mqttka_severity mqttka_finding_severity(mqttka_finding_kind k)
{
    return (unsigned)k < MQTTKA_F_COUNT ? kinds[k].severity : MQTTKA_WARN;
}

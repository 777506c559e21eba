/*
 * test_rules.c - one row per rule of docs/FINDINGS.md, in the manner of
 * curl's one test per protocol rule.
 *
 * Each row is a short conversation on one TCP connection (segment_script.h:
 * TCP handshake, HTTP Upgrade, WebSocket frames or plain-TCP MQTT bytes,
 * closes, with capture times) and the whole event log the rule says it must
 * give (event_log.h's format), compared exactly. Every script is pushed
 * whole, byte by byte, in batches and split in two at every offset; every
 * way must give the same log.
 *
 * There is a row for every finding kind and every verdict, and more where a
 * kind has several triggers worth pinning. The expected logs were written
 * from the rules, not copied from the code: where the core disagrees today,
 * the row says so in `disagreement` and the test reports the difference
 * without failing on it, and fails once the core agrees (so that the note
 * goes). A row with a disagreement covers nothing.
 *
 * The coverage check fails when a finding kind or verdict of the core's
 * tables (mqttka_finding_name, mqttka_verdict_name) or of docs/FINDINGS.md
 * (the path is the first argument) appears in no agreeing row's expected
 * log. Defaults throughout: tol = 1 s, G = 7 s, T_resp = min(10 s, KAe / 2).
 */
#include "event_log.h"
#include "mqttka.h"
#include "segment_script.h"
#include "test_harness.h"
#include "tls_builder.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum { C = SCRIPT_C, S = SCRIPT_S };

/* ------------------------------------------------------------ packets -- */

/* MQTT 3.1.1 CONNECTs, clean session, empty client id unless said. */
static const uint8_t connect_ka5[] = {0x10, 0x0c, 0x00, 0x04, 'M', 'Q', 'T', 'T',
                                      0x04, 0x02, 0x00, 0x05, 0x00, 0x00};
static const uint8_t connect_ka0[] = {0x10, 0x0c, 0x00, 0x04, 'M', 'Q', 'T', 'T',
                                      0x04, 0x02, 0x00, 0x00, 0x00, 0x00};
static const uint8_t connect_ka120[] = {0x10, 0x0c, 0x00, 0x04, 'M', 'Q', 'T', 'T',
                                        0x04, 0x02, 0x00, 0x78, 0x00, 0x00};
/* Keepalive 65535, client id "c": an id the broker has no reason to refuse. */
static const uint8_t connect_ka65535_id_c[] = {0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04,
                                               0x02, 0xff, 0xff, 0x00, 0x01, 'c'};
/* Flags 0x03: clean session and the reserved bit. */
static const uint8_t connect_reserved_flag[] = {0x10, 0x0c, 0x00, 0x04, 'M', 'Q', 'T', 'T',
                                                0x04, 0x03, 0x00, 0x05, 0x00, 0x00};
static const uint8_t connect_level6[] = {0x10, 0x0c, 0x00, 0x04, 'M', 'Q', 'T', 'T',
                                         0x06, 0x02, 0x00, 0x05, 0x00, 0x00};
static const uint8_t connack_ok[] = {0x20, 0x02, 0x00, 0x00};
static const uint8_t connack_rc1[] = {0x20, 0x02, 0x00, 0x01}; /* unacceptable version */
static const uint8_t connack_rc2[] = {0x20, 0x02, 0x00, 0x02}; /* identifier rejected */

/* MQTT 5.0: no properties unless said. */
static const uint8_t connect5_ka5[] = {0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02,
                                       0x00, 0x05, 0x00, 0x00, 0x00};
static const uint8_t connect5_ka10[] = {0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02,
                                        0x00, 0x0a, 0x00, 0x00, 0x00};
static const uint8_t connect5_ka60[] = {0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02,
                                        0x00, 0x3c, 0x00, 0x00, 0x00};
/* A Server Keep Alive (0x13) of 5 where only a CONNACK may carry one. */
static const uint8_t connect5_ka5_ska[] = {0x10, 0x10, 0x00, 0x04, 'M',  'Q',  'T',  'T', 0x05,
                                           0x02, 0x00, 0x05, 0x03, 0x13, 0x00, 0x05, 0x00, 0x00};
static const uint8_t connack5[] = {0x20, 0x03, 0x00, 0x00, 0x00};
static const uint8_t connack5_ska3[] = {0x20, 0x06, 0x00, 0x00, 0x03, 0x13, 0x00, 0x03};
static const uint8_t connack5_ska20[] = {0x20, 0x06, 0x00, 0x00, 0x03, 0x13, 0x00, 0x14};
/* 0x13 twice, with the same value, so that which one counts does not matter. */
static const uint8_t connack5_ska20_twice[] = {0x20, 0x09, 0x00, 0x00, 0x06, 0x13,
                                               0x00, 0x14, 0x13, 0x00, 0x14};
static const uint8_t disconnect5_8d[] = {0xe0, 0x02, 0x8d, 0x00}; /* Keep Alive timeout */
static const uint8_t disconnect5_ska[] = {0xe0, 0x05, 0x00, 0x03, 0x13, 0x00, 0x05};

/* Between connections: client id "twin", KA 5, in 3.1.1 and 5.0. */
static const uint8_t connect_twin[] = {0x10, 0x10, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02,
                                       0x00, 0x05, 0x00, 0x04, 't', 'w', 'i', 'n'};
static const uint8_t connect5_twin[] = {0x10, 0x11, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05,
                                        0x02, 0x00, 0x05, 0x00, 0x00, 0x04, 't', 'w', 'i', 'n'};
static const uint8_t disconnect5_8e[] = {0xe0, 0x02, 0x8e, 0x00}; /* Session taken over */
static const uint8_t connack_rc5[] = {0x20, 0x02, 0x00, 0x05};      /* not authorized */
static const uint8_t connack5_87[] = {0x20, 0x03, 0x00, 0x87, 0x00}; /* Not authorized */

static const uint8_t pingreq[] = {0xc0, 0x00};
static const uint8_t pingresp[] = {0xd0, 0x00};
static const uint8_t disconnect[] = {0xe0, 0x00};
static const uint8_t publish_t[] = {0x30, 0x03, 0x00, 0x01, 't'}; /* QoS 0 on "t" */

/* ------------------------------------------------------------ helpers -- */

/* A frame with this first byte (0x82 binary, 0x81 text, 0x89 Ping, 0x8A
 * Pong, 0x88 Close, 0xC2 binary with RSV1), masked as its sender must. */
static void frame(script *sc, int from, double t, uint8_t first_byte, const void *payload,
                  size_t len)
{
    uint8_t buf[256];
    if (len > sizeof buf - 8)
        abort();
    script_add(sc, from, t, buf, script_ws_frame(buf, first_byte, from == C, payload, len));
}

/* Plain TCP: frames 1, 2 the handshake, 3 the CONNECT at 0.010 s, 4 the
 * answer at 0.011 s. */
static void tcp_session(script *sc, const void *connect, size_t connect_len, const void *connack,
                        size_t connack_len)
{
    script_tcp_open(sc);
    script_add(sc, C, 0.010, connect, connect_len);
    script_add(sc, S, 0.011, connack, connack_len);
}

/* WebSocket: frames 1-4 the handshakes ("mqtt" offered and chosen), 5 the
 * CONNECT at 0.010 s, 6 the CONNACK at 0.011 s. */
static void ws_session(script *sc, const void *connect, size_t connect_len)
{
    script_ws_open(sc);
    script_ws(sc, C, 0.010, connect, connect_len);
    script_ws(sc, S, 0.011, connack_ok, sizeof connack_ok);
}

#define TCP_SESSION(sc, connect, connack)                                                   \
    tcp_session((sc), (connect), sizeof(connect), (connack), sizeof(connack))
#define WS_SESSION(sc, connect) ws_session((sc), (connect), sizeof(connect))

static void fin(script *sc, int from, double t) { script_add_flags(sc, from, t, MQTTKA_TCP_FIN); }

static const char request_no_protocol[] =
    "GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1:1882\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n";
static const char request_legacy[] =
    "GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1:1882\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Protocol: mqttv3.1\r\nSec-WebSocket-Version: 13\r\n\r\n";
static const char request_deflate[] =
    "GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1:1882\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Extensions: permessage-deflate\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n";
static const char request_deflate_frame[] =
    "GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1:1882\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Extensions: x-webkit-deflate-frame\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n";
static const char response_no_protocol[] =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
static const char response_legacy[] =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    "Sec-WebSocket-Protocol: mqttv3.1\r\n\r\n";
static const char response_deflate[] =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n";
static const char response_deflate_client_reset[] =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n\r\n";
static const char response_deflate_frame[] =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n"
    "Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n\r\n";
static const char response_bad_accept[] =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n";
static const char response_404[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
/* A 101 whose header block is 312 bytes: over a 256-byte cap. */
static const char response_long[] =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n"
    "X-Padding: 0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789\r\n\r\n";

/* A sender's permessage-deflate compressor, as RFC 7692 §7.2.1 has it,
 * made by zlib: raw DEFLATE, a sync flush ending each message with its
 * `00 00 ff ff` cut off, and the compressor reset after each message when
 * the sender does not keep its context. */
typedef struct deflater {
    z_stream z;
    bool reset_each_message;
} deflater;

static void deflater_init(deflater *d, bool reset_each_message)
{
    memset(d, 0, sizeof *d);
    d->reset_each_message = reset_each_message;
    if (deflateInit2(&d->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK)
        abort();
}

/* A compressed binary frame with this first byte (0xc2: FIN, RSV1, the
 * whole message; 0x42: its first frame of several), carrying `mqtt`, from
 * `from`. */
static void deflated_frame(script *sc, deflater *d, int from, double t, uint8_t first_byte,
                           const void *mqtt, size_t len)
{
    uint8_t out[200];
    d->z.next_in = (Bytef *)(uintptr_t)mqtt;
    d->z.avail_in = (uInt)len;
    d->z.next_out = out;
    d->z.avail_out = sizeof out;
    if (deflate(&d->z, Z_SYNC_FLUSH) != Z_OK || d->z.avail_in != 0)
        abort();
    size_t n = sizeof out - d->z.avail_out;
    if (n < 4 || memcmp(out + n - 4, "\x00\x00\xff\xff", 4) != 0)
        abort();
    frame(sc, from, t, first_byte, out, n - 4);
    if (d->reset_each_message)
        deflateReset(&d->z);
}

static void deflated(script *sc, deflater *d, int from, double t, const void *mqtt, size_t len)
{
    deflated_frame(sc, d, from, t, 0xc2, mqtt, len);
}

/* Frames 1-4: this request (0.001 s) and this answer (0.002 s). */
static void ws_open_with(script *sc, const char *request, const char *response)
{
    script_tcp_open(sc);
    script_add(sc, C, 0.001, request, strlen(request));
    script_add(sc, S, 0.002, response, strlen(response));
}

/* Connection `conn` (client port 50000 + conn) opens at `t`: SYN, SYN-ACK
 * 0.1 ms later. */
static void open_at(script *sc, uint8_t conn, double t)
{
    script_on(sc, conn);
    script_add_flags(sc, C, t, MQTTKA_TCP_SYN);
    script_add_flags(sc, S, t + 0.0001, MQTTKA_TCP_SYN | MQTTKA_TCP_ACK);
}

/* ------------------------------------------------------------ scripts -- */
/* Each comment gives the frames that matter and why the rule fires. */

/* Accepted, then the capture ends. */
static void s_negotiated_open(script *sc) { TCP_SESSION(sc, connect_ka5, connack_ok); }

/* 7 PINGREQ 5 s after the CONNECT, 8 its PINGRESP 1 ms later, 9 the
 * client's DISCONNECT, 10-11 FINs. */
static void s_disconnect_client(script *sc)
{
    WS_SESSION(sc, connect_ka5);
    script_ws(sc, C, 5.010, pingreq, sizeof pingreq);
    script_ws(sc, S, 5.011, pingresp, sizeof pingresp);
    script_ws(sc, C, 7.010, disconnect, sizeof disconnect);
    fin(sc, C, 7.011);
    fin(sc, S, 7.012);
}

/* MQTT 5: 5 the server's DISCONNECT 0x8D after 8 s of client silence (over
 * KA + tol = 6, under 1.5 KA + tol = 8.5), 6-7 FINs. */
static void s_disconnect_server_8d(script *sc)
{
    TCP_SESSION(sc, connect5_ka5, connack5);
    script_add(sc, S, 8.010, disconnect5_8d, sizeof disconnect5_8d);
    fin(sc, S, 8.011);
    fin(sc, C, 8.012);
}

/* KA 0 accepted: 5 a PUBLISH 100 s later says nothing; 6-7 FINs 100 s after
 * it (no idle timeout of 50 or 60 s fits). */
static void s_disabled_ka0(script *sc)
{
    TCP_SESSION(sc, connect_ka0, connack_ok);
    script_add(sc, C, 100.010, publish_t, sizeof publish_t);
    fin(sc, C, 200.010);
    fin(sc, S, 200.011);
}

/* A 3.1.1 CONNECT with keepalive 65535 and a client id, refused with return
 * code 2 (mosquitto's max_keepalive). */
static void s_disabled_rc2(script *sc) { TCP_SESSION(sc, connect_ka65535_id_c, connack_rc2); }

/* The same, and 5-6 FINs from the server first, 9 ms after its CONNACK. */
static void s_refused_closed(script *sc)
{
    s_disabled_rc2(sc);
    fin(sc, S, 0.020);
    fin(sc, C, 0.021);
}

/* MQTT 5: KA 60, SKA 20. */
static void s_overridden(script *sc) { TCP_SESSION(sc, connect5_ka60, connack5_ska20); }

/* MQTT 5: KA 10, SKA 3; 5 the client pings after 10 s, on its own
 * cadence (KAe 3: over 3 + 1 and 4.5 + 1, under 4.5 + 7). */
static void s_ska_ignored(script *sc)
{
    TCP_SESSION(sc, connect5_ka10, connack5_ska3);
    script_add(sc, C, 10.010, pingreq, sizeof pingreq);
    script_add(sc, S, 10.011, pingresp, sizeof pingresp);
}

static void s_ska_twice(script *sc) { TCP_SESSION(sc, connect5_ka60, connack5_ska20_twice); }

static void s_ska_in_connect(script *sc) { TCP_SESSION(sc, connect5_ka5_ska, connack5); }

/* 5 the server's DISCONNECT carries 0x13; 6-7 FINs. */
static void s_ska_in_disconnect(script *sc)
{
    TCP_SESSION(sc, connect5_ka5, connack5);
    script_add(sc, S, 1.010, disconnect5_ska, sizeof disconnect5_ska);
    fin(sc, S, 1.011);
    fin(sc, C, 1.012);
}

/* 5 a PINGREQ after 7 s: over KA + tol = 6, under 1.5 KA + tol = 8.5. */
static void s_silent_over_ka(script *sc)
{
    TCP_SESSION(sc, connect_ka5, connack_ok);
    script_add(sc, C, 7.010, pingreq, sizeof pingreq);
    script_add(sc, S, 7.011, pingresp, sizeof pingresp);
}

/* 7 the server's FIN after 9 s of silence: over 8.5, and within 1.5 KA + G
 * = 14.5 (the server did its duty, late: mosquitto). */
static void s_silent_over_15(script *sc)
{
    WS_SESSION(sc, connect_ka5);
    fin(sc, S, 9.010);
    fin(sc, C, 9.011);
}

/* The client silent to the end of the capture, 20 s (over 14.5); 5 the
 * server's PUBLISH does not count. */
static void s_not_enforced(script *sc)
{
    TCP_SESSION(sc, connect_ka5, connack_ok);
    script_add(sc, S, 20.010, publish_t, sizeof publish_t);
}

/* 5, 6 PINGREQs 5 s apart with no answer between; 7, 8 two PINGRESPs,
 * paired first in, first out (7 answers 5, T_resp 2.5 s late). */
static void s_unanswered_overtaken(script *sc)
{
    TCP_SESSION(sc, connect_ka5, connack_ok);
    script_add(sc, C, 5.010, pingreq, sizeof pingreq);
    script_add(sc, C, 10.010, pingreq, sizeof pingreq);
    script_add(sc, S, 10.011, pingresp, sizeof pingresp);
    script_add(sc, S, 10.012, pingresp, sizeof pingresp);
}

/* The broker froze: 7 PINGREQ, 8 the client's FIN KAe later (libmosquitto,
 * paho python, MQTT.js 4). */
static void s_unanswered_close(script *sc)
{
    WS_SESSION(sc, connect_ka5);
    script_ws(sc, C, 5.010, pingreq, sizeof pingreq);
    fin(sc, C, 10.010);
}

/* 5 PINGREQ, still unanswered 4 s later (over T_resp) when the capture
 * ends at 6, a server PUBLISH. */
static void s_unanswered_end(script *sc)
{
    TCP_SESSION(sc, connect_ka5, connack_ok);
    script_add(sc, C, 5.010, pingreq, sizeof pingreq);
    script_add(sc, S, 9.010, publish_t, sizeof publish_t);
}

/* 6 PINGRESP 3 s after its PINGREQ: over T_resp = 2.5 s. */
static void s_late(script *sc)
{
    TCP_SESSION(sc, connect_ka5, connack_ok);
    script_add(sc, C, 5.010, pingreq, sizeof pingreq);
    script_add(sc, S, 8.010, pingresp, sizeof pingresp);
}

static void s_unsolicited(script *sc)
{
    TCP_SESSION(sc, connect_ka5, connack_ok);
    script_add(sc, S, 1.010, pingresp, sizeof pingresp);
}

static void s_from_server(script *sc)
{
    TCP_SESSION(sc, connect_ka5, connack_ok);
    script_add(sc, S, 1.010, pingreq, sizeof pingreq);
}

/* 7, 8 server Pings 2 s apart; 9 the client's Pong answers the second. */
static void s_ws_ping_next(script *sc)
{
    WS_SESSION(sc, connect_ka5);
    frame(sc, S, 2.010, 0x89, "hb", 2);
    frame(sc, S, 4.010, 0x89, "hb", 2);
    frame(sc, C, 4.011, 0x8a, "hb", 2);
}

/* 7 a server Ping; 8 the client's FIN 1 s later, with no Pong; 9 FIN. */
static void s_ws_ping_close(script *sc)
{
    WS_SESSION(sc, connect_ka5);
    frame(sc, S, 1.010, 0x89, "hb", 2);
    fin(sc, C, 2.010);
    fin(sc, S, 2.011);
}

static void s_handshake_404(script *sc)
{
    ws_open_with(sc, script_request, response_404);
    fin(sc, C, 0.100);
    fin(sc, S, 0.101);
}

/* 3 the request; 4-5 FINs 30 s later, no answer (a frozen broker). */
static void s_handshake_unanswered(script *sc)
{
    script_tcp_open(sc);
    script_add(sc, C, 0.001, script_request, strlen(script_request));
    fin(sc, C, 30.001);
    fin(sc, S, 30.002);
}

static void s_handshake_bad_accept(script *sc)
{
    ws_open_with(sc, script_request, response_bad_accept);
    script_ws(sc, C, 0.010, connect_ka5, sizeof connect_ka5);
    script_ws(sc, S, 0.011, connack_ok, sizeof connack_ok);
}

/* The connection shows it carries MQTT only with its CONNECT (5). */
static void s_subprotocol_not_offered(script *sc)
{
    ws_open_with(sc, request_no_protocol, response_no_protocol);
    script_ws(sc, C, 0.010, connect_ka5, sizeof connect_ka5);
    script_ws(sc, S, 0.011, connack_ok, sizeof connack_ok);
}

static void s_subprotocol_not_chosen(script *sc)
{
    ws_open_with(sc, script_request, response_no_protocol);
    script_ws(sc, C, 0.010, connect_ka5, sizeof connect_ka5);
    script_ws(sc, S, 0.011, connack_ok, sizeof connack_ok);
}

static void s_subprotocol_legacy(script *sc)
{
    ws_open_with(sc, request_legacy, response_legacy);
    script_ws(sc, C, 0.010, connect_ka5, sizeof connect_ka5);
    script_ws(sc, S, 0.011, connack_ok, sizeof connack_ok);
}

/* 5 an unmasked client frame, 6 a masked server frame. */
static void s_mask(script *sc)
{
    script_ws_open(sc);
    uint8_t buf[64];
    script_add(sc, C, 0.010, buf,
               script_ws_frame(buf, 0x82, false, connect_ka5, sizeof connect_ka5));
    script_add(sc, S, 0.011, buf, script_ws_frame(buf, 0x82, true, connack_ok, sizeof connack_ok));
}

/* 7 a PINGREQ in a frame with RSV1 set and no extension negotiated. */
static void s_framing_rsv1(script *sc)
{
    WS_SESSION(sc, connect_ka5);
    frame(sc, C, 5.010, 0xc2, pingreq, sizeof pingreq);
    script_ws(sc, S, 5.011, pingresp, sizeof pingresp);
}

/* 7 a PINGREQ in a text frame. */
static void s_text_frame(script *sc)
{
    WS_SESSION(sc, connect_ka5);
    frame(sc, C, 5.010, 0x81, pingreq, sizeof pingreq);
    script_ws(sc, S, 5.011, pingresp, sizeof pingresp);
}

/* x-webkit-deflate-frame (compression per frame, not decoded) accepted; 7
 * a compressed client message; 8-9 FINs 15 s later (timing is not judged
 * for a direction not decoded). */
static void s_compressed(script *sc)
{
    static const uint8_t deflated_frame[] = {0x3a, 0x00, 0x00};
    ws_open_with(sc, request_deflate_frame, response_deflate_frame);
    script_ws(sc, C, 0.010, connect_ka5, sizeof connect_ka5);
    script_ws(sc, S, 0.011, connack_ok, sizeof connack_ok);
    frame(sc, C, 5.010, 0xc2, deflated_frame, sizeof deflated_frame);
    fin(sc, C, 20.010);
    fin(sc, S, 20.011);
}

/* A reserved block type (RFC 1951 §3.2.3: BTYPE 11), in a message with
 * RSV1. */
static const uint8_t not_deflate[] = {0xff, 0xff, 0xff};

/* permessage-deflate with context takeover: 5 CONNECT and 6 CONNACK
 * compressed; 7 a compressed client message that is not DEFLATE; 8 a
 * compressed PINGREQ, which needs the context 7 lost; 9-10 FINs 15 s
 * later (no timing judged: the client direction is not decoded). */
static void s_deflate_failed(script *sc)
{
    deflater client, server;
    deflater_init(&client, false);
    deflater_init(&server, false);
    ws_open_with(sc, request_deflate, response_deflate);
    deflated(sc, &client, C, 0.010, connect_ka5, sizeof connect_ka5);
    deflated(sc, &server, S, 0.011, connack_ok, sizeof connack_ok);
    frame(sc, C, 1.010, 0xc2, not_deflate, sizeof not_deflate);
    deflated(sc, &client, C, 5.010, pingreq, sizeof pingreq);
    fin(sc, C, 20.010);
    fin(sc, S, 20.011);
    deflateEnd(&client.z);
    deflateEnd(&server.z);
}

/* With context takeover: 7 the first frame of a compressed message (no
 * FIN), whose bytes inflate to a whole PUBLISH as they come; 8 a new
 * message before its end came (RFC 6455 §5.4): the compression context
 * went with the unfinished message. */
static void s_deflate_interrupted(script *sc)
{
    deflater client, server;
    deflater_init(&client, false);
    deflater_init(&server, false);
    ws_open_with(sc, request_deflate, response_deflate);
    deflated(sc, &client, C, 0.010, connect_ka5, sizeof connect_ka5);
    deflated(sc, &server, S, 0.011, connack_ok, sizeof connack_ok);
    deflated_frame(sc, &client, C, 1.010, 0x42, publish_t, sizeof publish_t);
    deflated(sc, &client, C, 5.010, pingreq, sizeof pingreq);
    fin(sc, C, 20.010);
    fin(sc, S, 20.011);
    deflateEnd(&client.z);
    deflateEnd(&server.z);
}

/* The same with client_no_context_takeover: 8 a compressed PINGREQ starts
 * a fresh context, and decoding resumes; 9 its PINGRESP; 10-11 FINs. The
 * message lost at 7 may have held a packet: no silence is claimed. */
static void s_deflate_failed_resumes(script *sc)
{
    deflater client, server;
    deflater_init(&client, true);
    deflater_init(&server, false);
    ws_open_with(sc, request_deflate, response_deflate_client_reset);
    deflated(sc, &client, C, 0.010, connect_ka5, sizeof connect_ka5);
    deflated(sc, &server, S, 0.011, connack_ok, sizeof connack_ok);
    frame(sc, C, 1.010, 0xc2, not_deflate, sizeof not_deflate);
    deflated(sc, &client, C, 5.010, pingreq, sizeof pingreq);
    deflated(sc, &server, S, 5.011, pingresp, sizeof pingresp);
    fin(sc, C, 7.010);
    fin(sc, S, 7.011);
    deflateEnd(&client.z);
    deflateEnd(&server.z);
}

/* 5 a packet of type 0. */
static void s_fixed_header_type0(script *sc)
{
    static const uint8_t type0[] = {0x00, 0x00};
    TCP_SESSION(sc, connect_ka5, connack_ok);
    script_add(sc, C, 1.010, type0, sizeof type0);
    fin(sc, C, 2.010);
    fin(sc, S, 2.011);
}

/* 5 a PUBLISH that declares 5 bytes and brings 3; 6 the client's FIN. */
static void s_fixed_header_truncated(script *sc)
{
    static const uint8_t cut[] = {0x30, 0x05, 0x00, 0x01, 't'};
    TCP_SESSION(sc, connect_ka5, connack_ok);
    script_add(sc, C, 1.010, cut, sizeof cut);
    fin(sc, C, 2.010);
    fin(sc, S, 2.011);
}

/* 5 a PINGREQ with Remaining Length 1; 6 a PINGRESP. */
static void s_malformed_ping(script *sc)
{
    static const uint8_t long_ping[] = {0xc0, 0x01, 0x00};
    TCP_SESSION(sc, connect_ka5, connack_ok);
    script_add(sc, C, 5.010, long_ping, sizeof long_ping);
    script_add(sc, S, 5.011, pingresp, sizeof pingresp);
}

static void s_protocol_reserved_flag(script *sc)
{
    TCP_SESSION(sc, connect_reserved_flag, connack_ok);
}

/* "MQTT" level 6, refused with return code 1; 5-6 FINs, the server first. */
static void s_protocol_level6(script *sc)
{
    TCP_SESSION(sc, connect_level6, connack_rc1);
    fin(sc, S, 0.020);
    fin(sc, C, 0.021);
}

/* 7 a client PUBLISH the capture missed, which 8, a server PUBLISH,
 * acknowledges; 9 a PINGREQ behind the hole; 10-11 FINs. */
static void s_capture_gap(script *sc)
{
    WS_SESSION(sc, connect_ka5);
    sc->segment_starts_matter = true;
    script_ws(sc, C, 5.010, publish_t, sizeof publish_t);
    sc->m[sc->n - 1].lost = true;
    script_ws(sc, S, 5.011, publish_t, sizeof publish_t);
    script_ws(sc, C, 20.010, pingreq, sizeof pingreq);
    script_ws(sc, S, 20.011, pingresp, sizeof pingresp);
    fin(sc, C, 21.010);
    fin(sc, S, 21.011);
}

/* The server's bare ACK of the PINGREQ captured 0.2 ms before the PINGREQ
 * itself (a NIC's queues stamped apart): no hole, the PINGREQ decoded. */
static void s_ack_before_data(script *sc)
{
    WS_SESSION(sc, connect_ka5);
    script_add(sc, S, 5.0098, NULL, 0)->ack_ahead = 8; /* the masked PINGREQ's frame */
    script_ws(sc, C, 5.010, pingreq, sizeof pingreq);
    script_ws(sc, S, 5.011, pingresp, sizeof pingresp);
    fin(sc, C, 6.010);
    fin(sc, S, 6.011);
}

/* Joined late (no SYN, no CONNECT): 1-8 PINGREQ and PINGRESP every 5 s.
 * The third segment proves MQTT over TCP (three whole packets in a row);
 * the first two are decoded then. Two PINGREQ-to-PINGREQ intervals of 5 s
 * (5) infer a keepalive of 5 s. */
static void s_keepalive_inferred(script *sc)
{
    sc->segment_starts_matter = true;
    for (int i = 0; i < 4; i++) {
        script_add(sc, C, 5.0 * i, pingreq, sizeof pingreq);
        script_add(sc, S, 5.0 * i + 0.001, pingresp, sizeof pingresp);
    }
}

/* Joined late, and only the client's side captured: 1-3 PINGREQ every 5 s. */
static void s_one_sided(script *sc)
{
    sc->segment_starts_matter = true;
    for (int i = 0; i < 3; i++)
        script_add(sc, C, 5.0 * i, pingreq, sizeof pingreq);
}

/* Only the client's side captured, from its SYN (1): 2 the Upgrade request,
 * 3-7 the CONNECT written a field a frame (as MQTT.js over Node's `ws`
 * does), none a whole packet; 8 a PINGREQ; 9 the client's FIN 4 s later.
 * Its ACKs never move: the server sent nothing, so the PINGREQ was never
 * answered: counted, and the verdict says so, but no finding, since the
 * answers' side is missing. */
static void s_one_sided_split_connect(script *sc)
{
    static const uint8_t proto_name[] = {0x00, 0x04, 'M', 'Q', 'T', 'T'};
    static const uint8_t rest[] = {0x04, 0x02, 0x00, 0x05, 0x00, 0x00};
    script_add_flags(sc, C, 0, MQTTKA_TCP_SYN);
    script_add(sc, C, 0.001, script_request, strlen(script_request));
    frame(sc, C, 0.0030, 0x82, connect_ka5, 1);
    frame(sc, C, 0.0031, 0x82, connect_ka5 + 1, 1);
    frame(sc, C, 0.0032, 0x82, proto_name, 2);
    frame(sc, C, 0.0033, 0x82, proto_name + 2, 4);
    frame(sc, C, 0.0034, 0x82, rest, sizeof rest);
    script_ws(sc, C, 5.010, pingreq, sizeof pingreq);
    fin(sc, C, 9.010);
}

/* #1, from its SYN, a CONNECT and its CONNACK: 127.0.0.1:1882 is proven an
 * MQTT server. What the script adds next is #2's (another client port),
 * which the capture joined late: no SYN. */
static void proven_then_late(script *sc)
{
    sc->segment_starts_matter = true;
    open_at(sc, 0, 0.0);
    script_add(sc, C, 0.010, connect_ka5, sizeof connect_ka5);
    script_add(sc, S, 0.011, connack_ok, sizeof connack_ok);
    script_on(sc, 1);
}

/* #1 (frames 1-4) a plain MQTT connection from its SYN: 127.0.0.1:1882 is
 * proven to carry MQTT. #2, joined late, holds nothing but 5 the server's
 * FIN and 6 the client's ACK (mosquitto dropping a client that froze
 * before the capture began): #2 is an MQTT connection of that server. 7-9
 * #1 ends. */
static void s_adopted_close_only(script *sc)
{
    proven_then_late(sc);
    fin(sc, S, 1.0);
    script_add(sc, C, 1.001, NULL, 0);
    script_on(sc, 0);
    script_add(sc, C, 2.0, disconnect, sizeof disconnect);
    fin(sc, C, 2.001);
    fin(sc, S, 2.002);
}

/* The same FIN and ACK with no connection proving MQTT on the server:
 * nothing says they are MQTT; no connection (and no flow: a lone FIN). */
static void s_close_only_unproven(script *sc)
{
    sc->segment_starts_matter = true;
    script_on(sc, 1);
    fin(sc, S, 1.0);
    script_add(sc, C, 1.001, NULL, 0);
}

/* #1 (frames 1-4) proves 127.0.0.1:1882; then FINs and RSTs with no SYN
 * that no open connection would send: 5 a FIN nothing answers (a FIN
 * scan), 6 a FIN from another port answered by 7 an RST (no such
 * connection), 8 a lone RST without ACK (the answer to a segment, RFC 9293
 * 3.10.7.1). None is an MQTT connection (each is counted close_only). */
static void s_stray_closes_no_connection(script *sc)
{
    proven_then_late(sc);
    fin(sc, C, 1.0);
    script_on(sc, 2);
    fin(sc, C, 1.1);
    script_add_flags(sc, S, 1.1001, MQTTKA_TCP_RST);
    script_on(sc, 3);
    script_add_flags(sc, C, 1.2, MQTTKA_TCP_RST);
    sc->m[sc->n - 1].no_ack = true;
}

/* #1 (frames 1-4) proves 127.0.0.1:1882; #2, joined late, holds nothing but
 * 5 the client's RST with ACK (a client aborting its connection, as
 * MQTT.js and paho do when their keepalive runs out): that server's MQTT
 * connection, reset by the client. */
static void s_adopted_lone_rst(script *sc)
{
    proven_then_late(sc);
    script_add_flags(sc, C, 1.0, MQTTKA_TCP_RST);
}

/* The same with 5 the server's lone RST with ACK to the client: it may
 * answer the client's SYN or a stray segment the capture missed: nothing. */
static void s_server_lone_rst(script *sc)
{
    proven_then_late(sc);
    script_add_flags(sc, S, 1.0, MQTTKA_TCP_RST);
}

/* A client's lone RST with ACK to a server nothing proves: nothing (it is
 * counted close_only). */
static void s_lone_rst_unproven(script *sc)
{
    sc->segment_starts_matter = true;
    script_on(sc, 1);
    script_add_flags(sc, C, 1.0, MQTTKA_TCP_RST);
}

/* #2 joined late: 5 one DISCONNECT (one segment of whole packets: fewer
 * than the three an unknown server needs), 6-7 the FINs; the server was
 * proven by #1 (frames 1-4) before: #2 is decoded from 5. */
static void s_adopted_short_run(script *sc)
{
    proven_then_late(sc);
    script_add(sc, C, 1.0, disconnect, sizeof disconnect);
    fin(sc, C, 1.001);
    fin(sc, S, 1.002);
}

/* #2 joined late: 1 a DISCONNECT, 2 the client's FIN, 3 the server's ACK
 * (its FIN never captured), all before #1 (frames 4-7) proves the server:
 * #2 is judged at the end, its DISCONNECT decoded and its close told as it
 * came. */
static void s_adopted_proof_after_close(script *sc)
{
    sc->segment_starts_matter = true;
    script_on(sc, 1);
    script_add(sc, C, 1.0, disconnect, sizeof disconnect);
    fin(sc, C, 1.001);
    script_add(sc, S, 1.002, NULL, 0);
    open_at(sc, 0, 2.0);
    script_add(sc, C, 2.010, connect_ka5, sizeof connect_ka5);
    script_add(sc, S, 2.011, connack_ok, sizeof connack_ok);
}

/* #2 joined late at its close, before #1 (frames 4-7) proves the server:
 * 1 the client's FIN, 2 the server's FIN acknowledging it, 3 the client's
 * last ACK. #2 ended before the proof: kept, and adopted at the end, its
 * close told as it came. */
static void s_close_only_before_proof(script *sc)
{
    sc->segment_starts_matter = true;
    script_on(sc, 1);
    fin(sc, C, 1.0);
    fin(sc, S, 1.001);
    script_add(sc, C, 1.002, NULL, 0);
    open_at(sc, 0, 2.0);
    script_add(sc, C, 2.010, connect_ka5, sizeof connect_ka5);
    script_add(sc, S, 2.011, connack_ok, sizeof connack_ok);
}

/* The same with 1 the client's RST with ACK, 2 a second RST (a straggler
 * of the ended flow, not another connection). */
static void s_rst_only_before_proof(script *sc)
{
    sc->segment_starts_matter = true;
    script_on(sc, 1);
    script_add_flags(sc, C, 1.0, MQTTKA_TCP_RST);
    script_add_flags(sc, C, 1.001, MQTTKA_TCP_RST);
    open_at(sc, 0, 2.0);
    script_add(sc, C, 2.010, connect_ka5, sizeof connect_ka5);
    script_add(sc, S, 2.011, connack_ok, sizeof connack_ok);
}

/* 1 the client's FIN, 2 the server's RST (no such connection: the FIN is
 * not acknowledged), before #1 proves the server: nothing. */
static void s_unacked_fin_before_proof(script *sc)
{
    sc->segment_starts_matter = true;
    script_on(sc, 1);
    fin(sc, C, 1.0);
    script_add_flags(sc, S, 1.001, MQTTKA_TCP_RST);
    open_at(sc, 0, 2.0);
    script_add(sc, C, 2.010, connect_ka5, sizeof connect_ka5);
    script_add(sc, S, 2.011, connack_ok, sizeof connack_ok);
}

/* #1 resets (5 the client's RST), 6 the server's ACK of data in flight,
 * 7 the client's kernel answers it with a second RST: a remnant of #1,
 * not a connection joined late. */
static void s_second_rst_no_connection(script *sc)
{
    sc->segment_starts_matter = true;
    open_at(sc, 0, 0.0);
    script_add(sc, C, 0.010, connect_ka5, sizeof connect_ka5);
    script_add(sc, S, 0.011, connack_ok, sizeof connack_ok);
    script_add_flags(sc, C, 1.0, MQTTKA_TCP_RST);
    script_add(sc, S, 1.0001, NULL, 0);
    script_add_flags(sc, C, 1.0002, MQTTKA_TCP_RST);
}

/* A capture of the server's side only (the client's segments on the wire,
 * not captured): 1 the SYN-ACK, 3 the CONNACK, 5 and 7 PINGRESPs 5 s
 * apart (the server's three segments prove MQTT over TCP); then the client
 * sends `last` (8, lost) at 12 s, which the server acknowledges at once
 * (9, a bare ACK) unless `ack_on_close`, or answers with a PINGRESP (9)
 * when `answer`; it closes (10) `close_after` s after 12 s, its FIN also
 * acknowledging the client's FIN when `client_fin`. */
static void s2c_only(script *sc, const uint8_t *last, size_t last_len, bool answer,
                     bool ack_on_close, double close_after, bool client_fin)
{
    sc->segment_starts_matter = true;
    script_add_flags(sc, S, 0.0001, MQTTKA_TCP_SYN | MQTTKA_TCP_ACK);
    script_add(sc, C, 0.010, connect_ka5, sizeof connect_ka5)->lost = true;
    script_add(sc, S, 0.011, connack_ok, sizeof connack_ok);
    for (int i = 1; i <= 2; i++) {
        script_add(sc, C, 5.0 * i, pingreq, sizeof pingreq)->lost = true;
        script_add(sc, S, 5.0 * i + 0.001, pingresp, sizeof pingresp);
    }
    script_add(sc, C, 12.0, last, last_len)->lost = true;
    if (answer)
        script_add(sc, S, 12.0001, pingresp, sizeof pingresp);
    else if (!ack_on_close)
        script_add(sc, S, 12.0001, NULL, 0);
    script_add_flags(sc, S, 12.0 + close_after, MQTTKA_TCP_FIN);
    if (client_fin)
        sc->m[sc->n - 1].ack_ahead = 1;
}

/* The server acknowledges 2 bytes (9) and closes 0.5 ms later, answering
 * nothing: the client's DISCONNECT, inferred at 9. */
static void s_s2c_disconnect_inferred(script *sc)
{
    s2c_only(sc, disconnect, sizeof disconnect, false, false, 0.0005, false);
}

/* Its FIN (9) acknowledges 3 bytes in one step: DISCONNECT and the
 * client's FIN (or an MQTT 5 DISCONNECT with a reason code): inferred at 9. */
static void s_s2c_disconnect_and_fin_inferred(script *sc)
{
    s2c_only(sc, disconnect, sizeof disconnect, false, true, 0.0005, true);
}

/* 9 acknowledges the 2 bytes, 10 the server's FIN acknowledges the
 * client's FIN after them (told by the ACK): the DISCONNECT before that
 * FIN is inferred at 9. */
static void s_s2c_disconnect_then_client_fin(script *sc)
{
    s2c_only(sc, disconnect, sizeof disconnect, false, false, 0.0005, true);
}

/* 2 bytes again, but 9 a PINGRESP answers them before 10 the FIN: a
 * PINGREQ, no DISCONNECT inferred. */
static void s_s2c_pingreq_answered_then_close(script *sc)
{
    s2c_only(sc, pingreq, sizeof pingreq, true, false, 0.0005, false);
}

/* 2 bytes acknowledged at once (9), the server's FIN 1 s later: too late
 * for a close on a DISCONNECT; nothing inferred. */
static void s_s2c_close_long_after(script *sc)
{
    s2c_only(sc, disconnect, sizeof disconnect, false, false, 1.0, false);
}

/* Segments 1 to 5 of the server's side of a WebSocket MQTT connection (the
 * client's 2 and 4 lost): see s_s2c_ws_upgrade. */
static void s2c_ws_open(script *sc)
{
    sc->segment_starts_matter = true;
    script_add_flags(sc, S, 0.0001, MQTTKA_TCP_SYN | MQTTKA_TCP_ACK);
    script_add(sc, C, 0.001, script_request, strlen(script_request))->lost = true;
    script_add(sc, S, 0.002, script_response_101, strlen(script_response_101));
    uint8_t buf[64];
    size_t n = script_ws_frame(buf, 0x82, true, connect_ka5, sizeof connect_ka5);
    script_add(sc, C, 0.010, buf, n)->lost = true;
    script_ws(sc, S, 0.011, connack_ok, sizeof connack_ok);
}

/* A WebSocket capture of the server's side only: 1 the SYN-ACK, 3 the 101
 * choosing "mqtt" (its request, 2, lost), 5 the CONNACK in a frame (the
 * CONNECT, 4, lost), 6 the server's FIN. The 101 proves the connection a
 * WebSocket MQTT one; the CONNACK behind it is decoded. */
static void s_s2c_ws_upgrade(script *sc)
{
    s2c_ws_open(sc);
    script_add_flags(sc, S, 1.0, MQTTKA_TCP_FIN);
}

/* The same with a 101 to another subprotocol: nothing proves it MQTT. */
static void s_s2c_ws_upgrade_other(script *sc)
{
    static const char other_101[] =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n"
        "\r\n";
    sc->segment_starts_matter = true;
    script_add_flags(sc, S, 0.0001, MQTTKA_TCP_SYN | MQTTKA_TCP_ACK);
    script_add(sc, S, 0.002, other_101, strlen(other_101));
    script_ws(sc, S, 0.011, connack_ok, sizeof connack_ok);
    script_add_flags(sc, S, 1.0, MQTTKA_TCP_FIN);
}

/* 4 bytes (a PUBACK's size) then the FIN at once: no DISCONNECT's shape. */
static const uint8_t puback_1[] = {0x40, 0x02, 0x00, 0x01};
static void s_s2c_other_size(script *sc)
{
    s2c_only(sc, puback_1, sizeof puback_1, false, false, 0.0005, false);
}

/* Only the client's side captured, from its SYN: 2 the CONNECT, 3 PINGREQ
 * and 4 DISCONNECT back to back, 5 the FIN, 6 a RST without ACK: the
 * server sent something after the FIN (a closed socket resets for data
 * only), which may be the PINGRESP: its ACKs alone do not make the PINGREQ
 * unanswered. */
static void s_one_sided_rst_after_fin(script *sc)
{
    script_add_flags(sc, C, 0, MQTTKA_TCP_SYN);
    script_add(sc, C, 0.001, connect_ka5, sizeof connect_ka5);
    script_add(sc, C, 5.010, pingreq, sizeof pingreq);
    script_add(sc, C, 5.011, disconnect, sizeof disconnect);
    fin(sc, C, 5.012);
    script_add_flags(sc, C, 5.013, MQTTKA_TCP_RST);
    sc->m[sc->n - 1].no_ack = true;
}

/* 3 an MQTT 5 CONNECT whose property length (32) runs past its end: the
 * client id cannot be read. */
static const uint8_t connect5_bad_properties[] = {0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T',
                                                  0x05, 0x02, 0x00, 0x05, 0x20, 0x00, 0x00};
static void s_malformed_packet(script *sc)
{
    TCP_SESSION(sc, connect5_bad_properties, connack5);
}

/* 5 PINGREQ and 6 DISCONNECT back to back; 7 the server still answers the
 * PINGREQ, then 8-9 the FINs: answered, not unanswered. */
static void s_ping_then_disconnect(script *sc)
{
    TCP_SESSION(sc, connect_ka5, connack_ok);
    script_add(sc, C, 5.010, pingreq, sizeof pingreq);
    script_add(sc, C, 5.011, disconnect, sizeof disconnect);
    script_add(sc, S, 5.012, pingresp, sizeof pingresp);
    fin(sc, S, 5.013);
    fin(sc, C, 5.014);
}

/* 5 PINGREQ and 6 DISCONNECT back to back, 7 the client's FIN; the
 * server's answer (8) is on the wire but not in the capture; 9 the client's RST
 * without ACK, which a closed socket sends for data that arrives after its
 * FIN: the answer may have been that data, so the PINGREQ is not called
 * unanswered. */
static void s_ping_then_disconnect_answer_lost(script *sc)
{
    TCP_SESSION(sc, connect_ka5, connack_ok);
    script_add(sc, C, 5.010, pingreq, sizeof pingreq);
    script_add(sc, C, 5.011, disconnect, sizeof disconnect);
    fin(sc, C, 5.0115);
    script_add(sc, S, 5.012, pingresp, sizeof pingresp)->lost = true;
    script_add_flags(sc, C, 5.013, MQTTKA_TCP_RST);
    sc->m[sc->n - 1].no_ack = true;
}

/* 5 a PINGREQ the capture missed; 6 the DISCONNECT and the FIN in one
 * segment, held behind the hole until 7, the server's ACK of both, shows
 * the hole: the client closed with its DISCONNECT, at 6, though the FIN was
 * seen first. 8 the server's FIN. */
static void s_disconnect_behind_hole(script *sc)
{
    TCP_SESSION(sc, connect_ka5, connack_ok);
    sc->segment_starts_matter = true;
    script_add(sc, C, 5.010, pingreq, sizeof pingreq)->lost = true;
    script_add(sc, C, 5.011, disconnect, sizeof disconnect)->flags = MQTTKA_TCP_FIN;
    script_add(sc, S, 5.012, NULL, 0);
    fin(sc, S, 5.013);
}

/* A PINGREQ the capture did not hold (flow.c, infer_pingreq). */

/* The server's side only (s2c_only): 8 the client's PINGREQ (lost) at
 * 12 s, 9 the server's bare ACK of it, 10 the server's FIN 4 s later,
 * which also acknowledges the client's FIN: the client closed long after
 * the 2-byte step, with nothing from the server since: its PINGREQ,
 * inferred at 9, unanswered. */
static void s_s2c_pingreq_inferred(script *sc)
{
    s2c_only(sc, pingreq, sizeof pingreq, false, false, 4.0, true);
}

/* The same, 9 a PINGRESP answering the 2 bytes: nothing inferred. */
static void s_s2c_pingreq_answered_then_client_fin(script *sc)
{
    s2c_only(sc, pingreq, sizeof pingreq, true, false, 4.0, true);
}

/* The same, a 4-byte step (a PUBACK's size): nothing inferred. */
static void s_s2c_other_size_then_client_fin(script *sc)
{
    s2c_only(sc, puback_1, sizeof puback_1, false, false, 4.0, true);
}

/* The server keeps the keepalive of a client whose side was not captured
 * (keepalive.c, keepalive_on_client_bytes_acked; verdict.c). */

/* The server's side only, plain TCP: 1 the SYN-ACK, 3 the CONNACK (the
 * CONNECT, 2, lost), then `pings` PINGREQs of the client's every 5 s from
 * 5 s (lost), each answered 1 ms later by a PINGRESP that acknowledges it
 * (5, 7, ..., 13); the server's FIN at `fin_at` (none: 0). The probe
 * proves the connection at 7, whose ACK step came before the session: the
 * steps are followed from 9 on, and the three PINGREQs acknowledged at 9,
 * 11 and 13 give the keepalive. */
static void s2c_pings(script *sc, int pings, double fin_at)
{
    sc->segment_starts_matter = true;
    script_add_flags(sc, S, 0.0001, MQTTKA_TCP_SYN | MQTTKA_TCP_ACK);
    script_add(sc, C, 0.010, connect_ka5, sizeof connect_ka5)->lost = true;
    script_add(sc, S, 0.011, connack_ok, sizeof connack_ok);
    for (int i = 1; i <= pings; i++) {
        script_add(sc, C, 5.0 * i, pingreq, sizeof pingreq)->lost = true;
        script_add(sc, S, 5.0 * i + 0.001, pingresp, sizeof pingresp);
    }
    if (fin_at > 0)
        script_add_flags(sc, S, fin_at, MQTTKA_TCP_FIN);
}

/* Three pings 5 s apart give the keepalive, 5 s; 14 the server's FIN 8 s
 * after it last acknowledged a byte (1.5 x 5 = 7.5 s, plus the broker's
 * grace): it closed for the keepalive. */
static void s_s2c_keepalive_close(script *sc)
{
    s2c_pings(sc, 5, 33.001);
}

/* The same, but the client sent 4 bytes (lost, 14) at 29 s, which the
 * server acknowledged (15): the FIN (16) 4 s after them is no keepalive
 * close. */
static void s_s2c_keepalive_close_after_client_bytes(script *sc)
{
    s2c_pings(sc, 5, 0);
    script_add(sc, C, 29.0, puback_1, sizeof puback_1)->lost = true;
    script_add(sc, S, 29.0001, NULL, 0);
    script_add_flags(sc, S, 33.001, MQTTKA_TCP_FIN);
}

/* The pings, then the FIN 20 s after the last: past 1.5 x 5 s + the
 * grace (7 s); not the keepalive. */
static void s_s2c_keepalive_close_too_late(script *sc)
{
    s2c_pings(sc, 5, 45.001);
}

/* The pings, then a segment of the server's (14, a PUBLISH at 27 s) the
 * capture missed, and 15 its FIN at 33 s: a hole in the server's stream,
 * where an ACK may have moved; nothing claimed. */
static void s_s2c_keepalive_close_server_hole(script *sc)
{
    s2c_pings(sc, 5, 0);
    script_add(sc, S, 27.0, publish_t, sizeof publish_t)->lost = true;
    script_add_flags(sc, S, 33.001, MQTTKA_TCP_FIN);
}

/* WebSocket, the server's side only: 1 the SYN-ACK, 3 the 101 (its
 * request, 2, lost), 5 the CONNACK (the CONNECT, 4, lost), then `pings`
 * masked PINGREQ frames (8 bytes each, lost) every 4 s from 4 s, each
 * answered by a PINGRESP; the server's FIN 7 s after the last (1.5 x 4 =
 * 6 s). The 101 proves the connection: every ACK step is followed. */
static void s2c_ws_pings(script *sc, int pings)
{
    s2c_ws_open(sc);
    for (int i = 1; i <= pings; i++) {
        script_ws(sc, C, 4.0 * i, pingreq, sizeof pingreq);
        sc->m[sc->n - 1].lost = true;
        script_ws(sc, S, 4.0 * i + 0.001, pingresp, sizeof pingresp);
    }
    script_add_flags(sc, S, 4.0 * pings + 7.001, MQTTKA_TCP_FIN);
}

/* Three pings: the keepalive (4 s), and a keepalive close. */
static void s_s2c_ws_keepalive_close(script *sc)
{
    s2c_ws_pings(sc, 3);
}

/* Two pings only: one interval, no keepalive inferred, nothing claimed. */
static void s_s2c_ws_two_pings_close(script *sc)
{
    s2c_ws_pings(sc, 2);
}

/* Pings at 4 and 8 s, then an 8-byte step at 10 s (10, lost) that got no
 * PINGRESP, only a bare ACK (11): not a PINGREQ (a Close with a status
 * code, say), so the cadence starts over; the pings at 12 and 16 s make
 * one interval, not enough (taking 10 for nothing would make 8 to 12 s a
 * second interval of 4 s). 16 the server's FIN 7 s after the last. */
static void s_s2c_ws_unanswered_step_breaks_cadence(script *sc)
{
    s2c_ws_pings(sc, 2);
    sc->n--; /* its FIN */
    script_ws(sc, C, 10.0, pingreq, sizeof pingreq);
    sc->m[sc->n - 1].lost = true;
    script_add(sc, S, 10.001, NULL, 0);
    for (int i = 3; i <= 4; i++) {
        script_ws(sc, C, 4.0 * i, pingreq, sizeof pingreq);
        sc->m[sc->n - 1].lost = true;
        script_ws(sc, S, 4.0 * i + 0.001, pingresp, sizeof pingresp);
    }
    script_add_flags(sc, S, 23.001, MQTTKA_TCP_FIN);
}

/* Both sides: 5 a PINGREQ at 5.010 s, 6 its PINGRESP; 7 the next PINGREQ
 * at 10.010 s, lost; 8 the server's bare ACK of it (the hole, 2 bytes,
 * begins between packets); then `server_msg` at 12 s when given; 9 (or
 * 10) the client's FIN at 14 s, the server's after it. */
static void lossy_last_pingreq(script *sc, bool websocket, const uint8_t *server_msg,
                               size_t server_len, double client_fin_at)
{
    if (websocket)
        WS_SESSION(sc, connect_ka5);
    else
        TCP_SESSION(sc, connect_ka5, connack_ok);
    sc->segment_starts_matter = true;
    for (int i = 1; i <= 2; i++) {
        if (websocket)
            script_ws(sc, C, 5.0 * i + 0.010, pingreq, sizeof pingreq);
        else
            script_add(sc, C, 5.0 * i + 0.010, pingreq, sizeof pingreq);
        if (i == 1) {
            if (websocket)
                script_ws(sc, S, 5.011, pingresp, sizeof pingresp);
            else
                script_add(sc, S, 5.011, pingresp, sizeof pingresp);
        }
    }
    sc->m[sc->n - 1].lost = true;
    script_add(sc, S, 10.0101, NULL, 0);
    if (server_msg)
        script_add(sc, S, 12.0, server_msg, server_len);
    fin(sc, C, client_fin_at);
    fin(sc, S, client_fin_at + 0.001);
}

/* The client's FIN 4 s after the ACK of the lost 2 bytes: its PINGREQ,
 * inferred at 8, unanswered; the counts keep only the decoded pair. */
static void s_lossy_pingreq_inferred(script *sc)
{
    lossy_last_pingreq(sc, false, NULL, 0, 14.0);
}

/* The same over WebSocket: 8 bytes, a masked frame of 2. */
static void s_lossy_ws_pingreq_inferred(script *sc)
{
    lossy_last_pingreq(sc, true, NULL, 0, 14.0);
}

/* The server sends a PUBLISH (9) after its ACK: it may have answered;
 * nothing inferred. */
static void s_lossy_pingreq_server_spoke(script *sc)
{
    lossy_last_pingreq(sc, false, publish_t, sizeof publish_t, 14.0);
}

/* The client's FIN 0.1 s after the ACK: in the window of a close on a
 * DISCONNECT, which has the same size; nothing inferred. */
static void s_lossy_pingreq_prompt_close(script *sc)
{
    lossy_last_pingreq(sc, false, NULL, 0, 10.11);
}

/* Both sides, keepalive 5 s: a PINGREQ at 5.010 s and its PINGRESP; then
 * `lost` at 10.010 s (one segment), lost; the server's PINGRESP at
 * 10.0101 s acknowledges it (the hole begins between packets); when
 * `then_lost`, a PUBLISH of the client's at 12 s, lost too, and the
 * server's bare ACK of it; the server's FIN at 20.0101 s, 10 s (1.5 KA +
 * 2.5 s, in G) after that PINGRESP and 15 s (over 1.5 KA + G) after the
 * last packet decoded; the client's FIN after. */
static void lossy_then_server_close(script *sc, bool websocket, const uint8_t *lost,
                                    size_t lost_len, bool then_lost)
{
    if (websocket)
        WS_SESSION(sc, connect_ka5);
    else
        TCP_SESSION(sc, connect_ka5, connack_ok);
    sc->segment_starts_matter = true;
    if (websocket) {
        script_ws(sc, C, 5.010, pingreq, sizeof pingreq);
        script_ws(sc, S, 5.011, pingresp, sizeof pingresp);
        script_ws(sc, C, 10.010, lost, lost_len);
    } else {
        script_add(sc, C, 5.010, pingreq, sizeof pingreq);
        script_add(sc, S, 5.011, pingresp, sizeof pingresp);
        script_add(sc, C, 10.010, lost, lost_len);
    }
    sc->m[sc->n - 1].lost = true;
    if (websocket)
        script_ws(sc, S, 10.0101, pingresp, sizeof pingresp);
    else
        script_add(sc, S, 10.0101, pingresp, sizeof pingresp);
    if (then_lost) {
        script_add(sc, C, 12.0, publish_t, sizeof publish_t);
        sc->m[sc->n - 1].lost = true;
        script_add(sc, S, 12.0001, NULL, 0);
    }
    fin(sc, S, 20.0101);
    fin(sc, C, 20.0111);
}

/* The client's last PINGREQ lost, answered: its silence is measured from
 * the server's ACK of it, and the server's close is its keepalive's. */
static void s_lossy_pingreq_keepalive_close(script *sc)
{
    lossy_then_server_close(sc, false, pingreq, sizeof pingreq, false);
}

/* The same over WebSocket: a masked frame of 8 bytes. */
static void s_lossy_ws_pingreq_keepalive_close(script *sc)
{
    lossy_then_server_close(sc, true, pingreq, sizeof pingreq, false);
}

/* The lost segment held a PUBLISH and the PINGREQ (7 bytes): not the size
 * of a PINGREQ; the silence is not known well enough. */
static void s_lossy_other_size_server_close(script *sc)
{
    static const uint8_t publish_then_ping[] = {0x30, 0x03, 0x00, 0x01, 't', 0xc0, 0x00};
    lossy_then_server_close(sc, false, publish_then_ping, sizeof publish_then_ping, false);
}

/* The PINGREQ lost and answered, then a second hole (a PUBLISH at 12 s):
 * the client's last bytes are not the PINGREQ's; nothing told. */
static void s_lossy_pingreq_then_hole_server_close(script *sc)
{
    lossy_then_server_close(sc, false, pingreq, sizeof pingreq, true);
}

/* 4 a 101 over the header cap of 256 bytes (configure_header_cap). */
static void s_header_cap(script *sc)
{
    ws_open_with(sc, script_request, response_long);
    fin(sc, C, 1.000);
    fin(sc, S, 1.001);
}

static void configure_header_cap(mqttka_config *cfg) { cfg->max_http_header_bytes = 256; }

/* 7 the server's FIN after 7 s of client silence: mochi-mqtt's KA + KA/2 in
 * whole seconds, within 1.5 KA - tol = 6.5 and 1.5 KA + G = 14.5. */
static void s_server_closed_keepalive(script *sc)
{
    WS_SESSION(sc, connect_ka5);
    fin(sc, S, 7.010);
    fin(sc, C, 7.011);
}

/* 7 PINGREQ, 8 its PINGRESP, 9 the client's FIN KAe after the PINGREQ:
 * in some libraries' windows, but the PINGRESP was on the wire: the client
 * closed, and no ping timeout is suggested (exits land in the windows about
 * as often, and would name libraries wrongly). */
static void s_close_matches_answered(script *sc)
{
    WS_SESSION(sc, connect_ka5);
    script_ws(sc, C, 5.010, pingreq, sizeof pingreq);
    script_ws(sc, S, 5.011, pingresp, sizeof pingresp);
    fin(sc, C, 10.010);
    fin(sc, S, 10.011);
}

/* 7 the client's Close 1000 "bye", 8 the server's answer, 9-10 FINs. */
static void s_ws_close(script *sc)
{
    static const uint8_t bye[] = {0x03, 0xe8, 'b', 'y', 'e'};
    static const uint8_t normal[] = {0x03, 0xe8};
    WS_SESSION(sc, connect_ka5);
    frame(sc, C, 1.010, 0x88, bye, sizeof bye);
    frame(sc, S, 1.011, 0x88, normal, sizeof normal);
    fin(sc, S, 1.012);
    fin(sc, C, 1.013);
}

/* KA 120 behind a proxy with a 60 s idle timeout: 7 the server side's FIN
 * 60 s after the last byte. */
static void s_idle_close(script *sc)
{
    WS_SESSION(sc, connect_ka120);
    fin(sc, S, 60.011);
    fin(sc, C, 60.012);
}

static void s_client_closed(script *sc)
{
    TCP_SESSION(sc, connect_ka5, connack_ok);
    script_add(sc, C, 1.010, publish_t, sizeof publish_t);
    fin(sc, C, 2.010);
    fin(sc, S, 2.011);
}

static void s_server_closed(script *sc)
{
    TCP_SESSION(sc, connect_ka5, connack_ok);
    fin(sc, S, 2.010);
    fin(sc, C, 2.011);
}

static void s_reset(script *sc)
{
    TCP_SESSION(sc, connect_ka5, connack_ok);
    script_add(sc, C, 1.010, publish_t, sizeof publish_t);
    script_add_flags(sc, C, 2.010, MQTTKA_TCP_RST);
}

/* --------------------------------------------------------------- rows -- */


/* ----------------------------------------------- between connections -- */

/* Two connections with client id "twin": #1 (frames 1-4) accepted at 0.011
 * s; #2 opens at 1 s, 7 its CONNECT at 1.010, 8 its CONNACK; 9 the server
 * closes #1 2 ms after that CONNECT (mosquitto's bare FIN), 10 the client
 * answers; 11-13 #2 ends with the client's DISCONNECT. */
static void twins(script *sc, const void *connect, size_t len, const void *connack,
                  size_t connack_len, bool with_8e)
{
    open_at(sc, 0, 0.0);
    script_add(sc, C, 0.010, connect, len);
    script_add(sc, S, 0.011, connack, connack_len);
    open_at(sc, 1, 1.0);
    script_add(sc, C, 1.010, connect, len);
    script_add(sc, S, 1.011, connack, connack_len);
    script_on(sc, 0);
    if (with_8e)
        script_add(sc, S, 1.012, disconnect5_8e, sizeof disconnect5_8e);
    fin(sc, S, 1.012);
    fin(sc, C, 1.013);
    script_on(sc, 1);
    script_add(sc, C, 2.0, disconnect, sizeof disconnect);
    fin(sc, C, 2.001);
    fin(sc, S, 2.002);
}

static void s_taken_over_fin(script *sc)
{
    twins(sc, connect_twin, sizeof connect_twin, connack_ok, sizeof connack_ok, false);
}

static void s_taken_over_8e(script *sc)
{
    twins(sc, connect5_twin, sizeof connect5_twin, connack5, sizeof connack5, true);
}

/* The same, but #1's server close comes 3 s after #2's CONNECT: over the
 * takeover window (2 s), so no takeover. */
static void s_taken_over_too_late(script *sc)
{
    open_at(sc, 0, 0.0);
    script_add(sc, C, 0.010, connect_twin, sizeof connect_twin);
    script_add(sc, S, 0.011, connack_ok, sizeof connack_ok);
    open_at(sc, 1, 1.0);
    script_add(sc, C, 1.010, connect_twin, sizeof connect_twin);
    script_add(sc, S, 1.011, connack_ok, sizeof connack_ok);
    script_on(sc, 0);
    script_add(sc, C, 4.000, pingreq, sizeof pingreq);
    script_add(sc, S, 4.001, pingresp, sizeof pingresp);
    fin(sc, S, 4.020);
    fin(sc, C, 4.021);
}

/* MQTT 5: 4 CONNACK reason 0x87 Not authorized; 5-6 FINs. */
static void s_refused5(script *sc)
{
    TCP_SESSION(sc, connect5_ka5, connack5_87);
    fin(sc, S, 0.012);
    fin(sc, C, 0.013);
}

/* 3 a CONNECT the server never answers (its side ACKs); 4 the client gives
 * up 2 s later (paho python: after KA), 5 the server's FIN. */
static void s_connack_missing_close(script *sc)
{
    script_tcp_open(sc);
    script_add(sc, C, 0.010, connect_twin, sizeof connect_twin);
    fin(sc, C, 2.010);
    fin(sc, S, 2.011);
}

/* The client closes 0.2 s after its CONNECT: it may not have waited. */
static void s_connack_not_waited(script *sc)
{
    script_tcp_open(sc);
    script_add(sc, C, 0.010, connect_twin, sizeof connect_twin);
    fin(sc, C, 0.210);
    fin(sc, S, 0.211);
}

/* No close: the server ACKs at 15 s (4), over connack_timeout (10 s). */
static void s_connack_missing_timeout(script *sc)
{
    script_tcp_open(sc);
    script_add(sc, C, 0.010, connect_twin, sizeof connect_twin);
    script_add_flags(sc, S, 15.0, 0);
}

/* Client id "twin" refused (return code 5) and retrying every second, 3
 * times: with storm_connections 3, the third CONNECT (15) makes a storm
 * whose two closed connections were refused. */
static void s_storm_refused(script *sc)
{
    for (uint8_t k = 0; k < 3; k++) {
        open_at(sc, k, k);
        script_add(sc, C, k + 0.010, connect_twin, sizeof connect_twin);
        script_add(sc, S, k + 0.011, connack_rc5, sizeof connack_rc5);
        fin(sc, S, k + 0.012);
        fin(sc, C, k + 0.013);
    }
}

/* Empty client ids from one address, three connections closed by the
 * client after 0.1 s: a storm by address, of no one cause. */
static void s_storm_by_address(script *sc)
{
    for (uint8_t k = 0; k < 3; k++) {
        open_at(sc, k, 2.0 * k);
        script_add(sc, C, 2.0 * k + 0.010, connect_ka5, sizeof connect_ka5);
        script_add(sc, S, 2.0 * k + 0.011, connack_ok, sizeof connack_ok);
        fin(sc, C, 2.0 * k + 0.100);
        fin(sc, S, 2.0 * k + 0.101);
    }
}

static void configure_storm3(mqttka_config *cfg) { cfg->storm_connections = 3; }

/* `old` connections (empty ids) open at 0, 0.1, 0.2 s; the server closes
 * them at 5.000, 5.010, 5.020 s (a broker restart); with `churn`, one more
 * opens at 5.1 s and is closed by the server at 5.3 s, inside the window
 * but opened after the burst began. */
static void mass_close_script(script *sc, uint8_t old, bool churn)
{
    for (uint8_t k = 0; k < old; k++) {
        open_at(sc, k, 0.1 * k);
        script_add(sc, C, 0.1 * k + 0.010, connect_ka5, sizeof connect_ka5);
        script_add(sc, S, 0.1 * k + 0.011, connack_ok, sizeof connack_ok);
    }
    for (uint8_t k = 0; k < old; k++) {
        script_on(sc, k);
        fin(sc, S, 5.0 + 0.01 * k);
        fin(sc, C, 5.0 + 0.01 * k + 0.001);
    }
    if (!churn)
        return;
    open_at(sc, old, 5.1);
    script_add(sc, C, 5.110, connect_ka5, sizeof connect_ka5);
    script_add(sc, S, 5.111, connack_ok, sizeof connack_ok);
    fin(sc, S, 5.3);
    fin(sc, C, 5.301);
}

/* With mass_close_connections 3: told at the third close (17). */
static void s_mass_close(script *sc) { mass_close_script(sc, 3, false); }

/* Two old connections and one opened since: no mass close. */
static void s_mass_close_churn(script *sc) { mass_close_script(sc, 2, true); }

/* Three connections (empty ids, keepalive 5) opened 1.2 s apart, each
 * closed by the server 3 s after its CONNACK (a proxy's idle timeout):
 * closes 2.4 s apart in all, more than mass_close_window, each after 3 s
 * idle. With mass_close_connections 3: told at the third close (17). */
static void s_mass_close_idle_sweep(script *sc)
{
    for (uint8_t k = 0; k < 3; k++) {
        open_at(sc, k, 1.2 * k);
        script_add(sc, C, 1.2 * k + 0.010, connect_ka5, sizeof connect_ka5);
        script_add(sc, S, 1.2 * k + 0.011, connack_ok, sizeof connack_ok);
    }
    for (uint8_t k = 0; k < 3; k++) {
        script_on(sc, k);
        fin(sc, S, 1.2 * k + 3.011);
        fin(sc, C, 1.2 * k + 3.012);
    }
}

/* Three connections silent past 1.5 times their keepalive, closed by the
 * server within 20 ms (a broker sweeping its overdue clients): each is a
 * keepalive close, no mass close. */
static void s_mass_close_keepalive_sweep(script *sc)
{
    for (uint8_t k = 0; k < 3; k++) {
        open_at(sc, k, 0.1 * k);
        script_add(sc, C, 0.1 * k + 0.010, connect_ka5, sizeof connect_ka5);
        script_add(sc, S, 0.1 * k + 0.011, connack_ok, sizeof connack_ok);
    }
    for (uint8_t k = 0; k < 3; k++) {
        script_on(sc, k);
        fin(sc, S, 8.0 + 0.01 * k);
        fin(sc, C, 8.0 + 0.01 * k + 0.001);
    }
}

/* Client ids "twin" then "c": with max_client_ids 2, the second id (7)
 * finds the table full (the first id and the client's address): the
 * oldest entry is forgotten, told once. */
static void s_client_table_full(script *sc)
{
    open_at(sc, 0, 0.0);
    script_add(sc, C, 0.010, connect_twin, sizeof connect_twin);
    script_add(sc, S, 0.011, connack_ok, sizeof connack_ok);
    open_at(sc, 1, 1.0);
    script_add(sc, C, 1.010, connect_ka65535_id_c, sizeof connect_ka65535_id_c);
    script_add(sc, S, 1.011, connack_ok, sizeof connack_ok);
}

static void configure_keep_none(mqttka_config *cfg) { cfg->max_summary_findings = 0; }

static void configure_ids2(mqttka_config *cfg) { cfg->max_client_ids = 2; }

static void configure_mass3(mqttka_config *cfg) { cfg->mass_close_connections = 3; }

#define TCP_CONN "127.0.0.1:50000 -> 127.0.0.1:1882 tcp"
#define WS_CONN "127.0.0.1:50000 -> 127.0.0.1:1882 websocket"
#define HANDSHAKE "[4] #1 S>C handshake status=101 upgraded=1 path=\"/mqtt\"\n"
/* Frames 3 and 4 of tcp_session with connect_ka5 and connack_ok. */
#define TCP_KA5                                                                             \
    "[3] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"                                      \
    "[4] #1 S>C CONNACK code=0 ska=-1\n"                                                     \
    "[4] #1 S>C finding keepalive_negotiated info about=4 value=5.000\n"
/* Frames 4 to 6 of ws_session with connect_ka5. */
#define WS_KA5                                                                              \
    HANDSHAKE                                                                                \
    "[5] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"                                      \
    "[6] #1 S>C CONNACK code=0 ska=-1\n"                                                     \
    "[6] #1 S>C finding keepalive_negotiated info about=6 value=5.000\n"
#define KA5 "v=3.1.1 ka=5 ska=-1 kae=5"
#define S2C_ONLY                                                                            \
    "[3] #1 S>C CONNACK code=0 ska=-1\n"                                                     \
    "[5] #1 S>C PINGRESP\n"                                                                  \
    "[5] #1 S>C finding pingresp_unsolicited info about=5 reported=7\n"                      \
    "[7] #1 S>C PINGRESP\n"                                                                  \
    "[7] #1 S>C finding pingresp_unsolicited info about=7\n"
#define S2C_SUMMARY(at, pingresp, close)                                                    \
    "[" at "] #1 summary " TCP_CONN " v=null ka=-1 ska=-1 kae=-1 pingreq=0 pingresp=" pingresp \
    " unanswered=0 close=" close " start_seen=0 verdict="
/* s2c_pings with 5 pings: the keepalive inferred at the third PINGREQ the
 * session follows (13). */
#define S2C_PINGS5                                                                          \
    S2C_ONLY "[9] #1 S>C PINGRESP\n"                                                        \
    "[9] #1 S>C finding pingresp_unsolicited info about=9\n"                                 \
    "[11] #1 S>C PINGRESP\n"                                                                \
    "[11] #1 S>C finding pingresp_unsolicited info about=11\n"                               \
    "[13] #1 S>C PINGRESP\n"                                                                \
    "[13] #1 C>S finding keepalive_inferred info about=13 value=5.000\n"                     \
    "[13] #1 S>C finding pingresp_unsolicited info about=13\n"                               \
    "[0] #1 C>S finding one_sided info about=0\n"                                           \
    "[0] #1 summary " TCP_CONN " v=null ka=-1 ska=-1 kae=-1 pingreq=0 pingresp=5 "             \
    "unanswered=0 close=server/fin start_seen=0 ka_inferred=5 verdict="
/* s2c_ws_pings: the CONNACK and the first two PINGRESPs. */
#define S2C_WS_PINGS2                                                                       \
    "[5] #1 S>C CONNACK code=0 ska=-1\n"                                                     \
    "[7] #1 S>C PINGRESP\n"                                                                 \
    "[7] #1 S>C finding pingresp_unsolicited info about=7\n"                                 \
    "[9] #1 S>C PINGRESP\n"                                                                 \
    "[9] #1 S>C finding pingresp_unsolicited info about=9\n"
/* A second connection, on client port 50001 (script_on(sc, 1)). */
#define LATE_CONN "127.0.0.1:50001 -> 127.0.0.1:1882 tcp"

typedef struct rule_row {
    const char *name;
    void (*script)(script *sc);
    void (*configure)(mqttka_config *cfg); /* NULL: the defaults */
    const char *expected;
    /* NULL, or why the core's log differs from `expected` today. */
    const char *disagreement;
} rule_row;

/* TLS 1.3 (AES-128-GCM) with the session's key log (tls_builder.h): 1-2
 * the TCP handshake, 3 ClientHello, 4 ServerHello and the server's
 * encrypted Finished, 5 the client's Finished, 6 the CONNECT at 0.010 s, 7
 * the CONNACK, 8 a PINGREQ at 5.010 s whose record's tag is broken in
 * transit, 9 the next PINGREQ at 10.010 s (not analysed: the direction is
 * stopped), FINs at 20 s. */
static void s_tls_decrypt_failed(script *sc)
{
    static uint8_t b[512];
    uint8_t fin_msg[64];
    size_t fin_len = tlsb_finished(fin_msg);
    sc->keylog = tlsb_keylog();
    script_tcp_open(sc);
    script_add(sc, C, 0.002, b, tlsb_client_hello(b));
    size_t n = tlsb_server_hello(b, 0x1301);
    n += tlsb_seal(b + n, 0x1301, TLSB_SHS, 0, 22, fin_msg, fin_len);
    script_add(sc, S, 0.003, b, n);
    script_add(sc, C, 0.004, b, tlsb_seal(b, 0x1301, TLSB_CHS, 0, 22, fin_msg, fin_len));
    script_add(sc, C, 0.010, b, tlsb_seal(b, 0x1301, TLSB_CAP, 0, 23, connect_ka5, sizeof connect_ka5));
    script_add(sc, S, 0.011, b, tlsb_seal(b, 0x1301, TLSB_SAP, 0, 23, connack_ok, sizeof connack_ok));
    n = tlsb_seal(b, 0x1301, TLSB_CAP, 1, 23, pingreq, sizeof pingreq);
    b[n - 1] ^= 1;
    script_add(sc, C, 5.010, b, n);
    script_add(sc, C, 10.010, b, tlsb_seal(b, 0x1301, TLSB_CAP, 2, 23, pingreq, sizeof pingreq));
    fin(sc, C, 20.010);
    fin(sc, S, 20.011);
}

static const rule_row rows[] = {
    /* ------------------------------------------------------ Negotiation -- */
    {"keepalive_negotiated; verdict open", s_negotiated_open, NULL,
     TCP_KA5 "[0] #1 summary " TCP_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 close=-/- "
             "verdict=open id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"keepalive_disabled: KA 0 accepted, no timing findings", s_disabled_ka0, NULL,
     "[3] #1 C>S CONNECT level=4 ka=0 clean=1 id=\"\"\n"
     "[4] #1 S>C CONNACK code=0 ska=-1\n"
     "[4] #1 S>C finding keepalive_negotiated info about=4 value=0.000\n"
     "[4] #1 S>C finding keepalive_disabled info about=4 value=0.000\n"
     "[5] #1 C>S PUBLISH silence=100.000\n"
     "[7] #1 summary " TCP_CONN " v=3.1.1 ka=0 ska=-1 kae=0 pingreq=0 pingresp=0 unanswered=0 "
     "close=client/fin verdict=client_closed id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"keepalive_disabled: a large 3.x KA refused with code 2 (max_keepalive hint)",
     s_disabled_rc2, NULL,
     "[3] #1 C>S CONNECT level=4 ka=65535 clean=1 id=\"c\"\n"
     "[4] #1 S>C CONNACK code=2 ska=-1\n"
     "[4] #1 S>C finding connect_refused error about=4 value=2.000\n"
     "[4] #1 S>C finding keepalive_disabled info about=4 value=65535.000\n"
     "[0] #1 summary " TCP_CONN " v=3.1.1 ka=65535 ska=-1 kae=-1 pingreq=0 pingresp=0 "
     "unanswered=0 close=-/- verdict=connect_refused id=\"c\" sub=\"\" ext=\"\"\n",
     NULL},
    {"keepalive_overridden", s_overridden, NULL,
     "[3] #1 C>S CONNECT level=5 ka=60 clean=1 id=\"\"\n"
     "[4] #1 S>C CONNACK code=0 ska=20\n"
     "[4] #1 S>C finding keepalive_negotiated info about=4 value=20.000\n"
     "[4] #1 S>C finding keepalive_overridden info about=4 value=20.000\n"
     "[0] #1 summary " TCP_CONN " v=5.0 ka=60 ska=20 kae=20 pingreq=0 pingresp=0 unanswered=0 "
     "close=-/- verdict=open id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"server_keepalive_ignored", s_ska_ignored, NULL,
     "[3] #1 C>S CONNECT level=5 ka=10 clean=1 id=\"\"\n"
     "[4] #1 S>C CONNACK code=0 ska=3\n"
     "[4] #1 S>C finding keepalive_negotiated info about=4 value=3.000\n"
     "[4] #1 S>C finding keepalive_overridden info about=4 value=3.000\n"
     "[5] #1 C>S PINGREQ silence=10.000\n"
     "[5] #1 C>S finding client_silent_over_keepalive warn about=5 value=10.000\n"
     "[5] #1 C>S finding client_silent_over_1_5_keepalive error about=5 value=10.000\n"
     "[5] #1 C>S finding server_keepalive_ignored warn about=5 value=10.000\n"
     "[6] #1 S>C PINGRESP rtt=0.001 pair=5\n"
     "[6] #1 S>C finding pingresp_rtt info about=6 value=0.001\n"
     "[0] #1 summary " TCP_CONN " v=5.0 ka=10 ska=3 kae=3 pingreq=1 pingresp=1 unanswered=0 "
     "close=-/- verdict=open id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"server_keepalive_invalid: twice in CONNACK", s_ska_twice, NULL,
     "[3] #1 C>S CONNECT level=5 ka=60 clean=1 id=\"\"\n"
     "[4] #1 S>C CONNACK code=0 ska=20\n"
     "[4] #1 S>C finding server_keepalive_invalid error about=4\n"
     "[4] #1 S>C finding keepalive_negotiated info about=4 value=20.000\n"
     "[4] #1 S>C finding keepalive_overridden info about=4 value=20.000\n"
     "[0] #1 summary " TCP_CONN " v=5.0 ka=60 ska=20 kae=20 pingreq=0 pingresp=0 unanswered=0 "
     "close=-/- verdict=open id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"server_keepalive_invalid: in a CONNECT", s_ska_in_connect, NULL,
     "[3] #1 C>S CONNECT level=5 ka=5 clean=1 id=\"\"\n"
     "[3] #1 C>S finding server_keepalive_invalid error about=3\n"
     "[4] #1 S>C CONNACK code=0 ska=-1\n"
     "[4] #1 S>C finding keepalive_negotiated info about=4 value=5.000\n"
     "[0] #1 summary " TCP_CONN " v=5.0 ka=5 ska=-1 kae=5 pingreq=0 pingresp=0 unanswered=0 "
     "close=-/- verdict=open id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"server_keepalive_invalid: in a DISCONNECT", s_ska_in_disconnect, NULL,
     "[3] #1 C>S CONNECT level=5 ka=5 clean=1 id=\"\"\n"
     "[4] #1 S>C CONNACK code=0 ska=-1\n"
     "[4] #1 S>C finding keepalive_negotiated info about=4 value=5.000\n"
     "[5] #1 S>C DISCONNECT reason=0x00\n"
     "[5] #1 S>C finding server_keepalive_invalid error about=5\n"
     "[7] #1 summary " TCP_CONN " v=5.0 ka=5 ska=-1 kae=5 pingreq=0 pingresp=0 unanswered=0 "
     "close=server/mqtt_disconnect disconnect=0x00 verdict=mqtt_disconnect id=\"\" sub=\"\" "
     "ext=\"\"\n",
     NULL},

    /* ------------------------------------------------ Cadence and pings -- */
    {"client_silent_over_keepalive", s_silent_over_ka, NULL,
     TCP_KA5 "[5] #1 C>S PINGREQ silence=7.000\n"
             "[5] #1 C>S finding client_silent_over_keepalive warn about=5 value=7.000\n"
             "[6] #1 S>C PINGRESP rtt=0.001 pair=5\n"
             "[6] #1 S>C finding pingresp_rtt info about=6 value=0.001\n"
             "[0] #1 summary " TCP_CONN " " KA5 " pingreq=1 pingresp=1 unanswered=0 close=-/- "
             "verdict=open id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"client_silent_over_1_5_keepalive, the server closing in time", s_silent_over_15, NULL,
     WS_KA5 "[7] #1 C>S finding client_silent_over_keepalive warn about=7 value=9.000\n"
            "[7] #1 C>S finding client_silent_over_1_5_keepalive error about=7 value=9.000\n"
            "[8] #1 summary " WS_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 "
            "close=server/fin verdict=server_closed_keepalive id=\"\" sub=\"mqtt\" ext=\"\"\n",
     NULL},
    {"server_keepalive_not_enforced, silent to the end of the capture", s_not_enforced, NULL,
     TCP_KA5 "[5] #1 S>C PUBLISH\n"
             "[0] #1 C>S finding client_silent_over_keepalive warn about=5 value=20.000\n"
             "[0] #1 C>S finding client_silent_over_1_5_keepalive error about=5 value=20.000\n"
             "[0] #1 S>C finding server_keepalive_not_enforced warn about=5 value=20.000\n"
             "[0] #1 summary " TCP_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 close=-/- "
             "verdict=open id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"pingreq_unanswered warn: overtaken by the next PINGREQ; FIFO pairing",
     s_unanswered_overtaken, NULL,
     TCP_KA5 "[5] #1 C>S PINGREQ silence=5.000\n"
             "[6] #1 C>S PINGREQ silence=5.000\n"
             "[6] #1 C>S finding pingreq_unanswered warn about=5 value=5.000\n"
             "[7] #1 S>C PINGRESP rtt=5.001 pair=5\n"
             "[7] #1 S>C finding pingresp_rtt info about=7 value=5.001\n"
             "[7] #1 S>C finding pingresp_late warn about=7 value=5.001\n"
             "[8] #1 S>C PINGRESP rtt=0.002 pair=6\n"
             "[8] #1 S>C finding pingresp_rtt info about=8 value=0.002\n"
             "[0] #1 summary " TCP_CONN " " KA5 " pingreq=2 pingresp=2 unanswered=0 close=-/- "
             "verdict=open id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"pingreq_unanswered error: the client closes, no answer until the capture ends; verdict "
     "client_closed_missing_pingresp",
     s_unanswered_close, NULL,
     WS_KA5 "[7] #1 C>S PINGREQ silence=5.000\n"
            "[8] #1 C>S finding close_matches_ping_timeout info about=8 value=5.000\n"
            "[0] #1 C>S finding pingreq_unanswered error about=7 value=5.000\n"
            "[0] #1 summary " WS_CONN " " KA5 " pingreq=1 pingresp=0 unanswered=1 "
            "close=client/fin verdict=client_closed_missing_pingresp id=\"\" sub=\"mqtt\" "
            "ext=\"\"\n",
     NULL},
    {"pingreq_unanswered error: the capture ends", s_unanswered_end, NULL,
     TCP_KA5 "[5] #1 C>S PINGREQ silence=5.000\n"
             "[6] #1 S>C PUBLISH\n"
             "[0] #1 C>S finding pingreq_unanswered error about=5 value=4.000\n"
             "[0] #1 summary " TCP_CONN " " KA5 " pingreq=1 pingresp=0 unanswered=1 close=-/- "
             "verdict=open id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"pingresp_late; pingresp_rtt", s_late, NULL,
     TCP_KA5 "[5] #1 C>S PINGREQ silence=5.000\n"
             "[6] #1 S>C PINGRESP rtt=3.000 pair=5\n"
             "[6] #1 S>C finding pingresp_rtt info about=6 value=3.000\n"
             "[6] #1 S>C finding pingresp_late warn about=6 value=3.000\n"
             "[0] #1 summary " TCP_CONN " " KA5 " pingreq=1 pingresp=1 unanswered=0 close=-/- "
             "verdict=open id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"pingresp_unsolicited", s_unsolicited, NULL,
     TCP_KA5 "[5] #1 S>C PINGRESP\n"
             "[5] #1 S>C finding pingresp_unsolicited warn about=5\n"
             "[0] #1 summary " TCP_CONN " " KA5 " pingreq=0 pingresp=1 unanswered=0 close=-/- "
             "verdict=open id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"pingreq_from_server", s_from_server, NULL,
     TCP_KA5 "[5] #1 S>C PINGREQ\n"
             "[5] #1 S>C finding pingreq_from_server error about=5\n"
             "[0] #1 summary " TCP_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 close=-/- "
             "verdict=open id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"ws_ping_unanswered: before the next Ping", s_ws_ping_next, NULL,
     WS_KA5 "[7] #1 S>C ws ping len=2\n"
            "[8] #1 S>C ws ping len=2\n"
            "[8] #1 S>C finding ws_ping_unanswered warn about=7 value=2.000\n"
            "[9] #1 C>S ws pong len=2\n"
            "[0] #1 summary " WS_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 close=-/- "
            "verdict=open id=\"\" sub=\"mqtt\" ext=\"\"\n",
     NULL},
    {"ws_ping_unanswered: before the close", s_ws_ping_close, NULL,
     WS_KA5 "[7] #1 S>C ws ping len=2\n"
            "[8] #1 S>C finding ws_ping_unanswered warn about=7 value=1.000\n"
            "[9] #1 summary " WS_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 "
            "close=client/fin verdict=client_closed id=\"\" sub=\"mqtt\" ext=\"\"\n",
     NULL},

    /* ------------------------------------------------- Transport hygiene -- */
    {"ws_handshake_failed: answered 404", s_handshake_404, NULL,
     "[4] #1 S>C handshake status=404 upgraded=0 path=\"/mqtt\"\n"
     "[4] #1 S>C finding ws_handshake_failed error about=4 value=404.000\n"
     "[6] #1 summary " WS_CONN " v=null ka=-1 ska=-1 kae=-1 pingreq=0 pingresp=0 unanswered=0 "
     "close=client/fin verdict=client_closed id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"ws_handshake_failed: never answered", s_handshake_unanswered, NULL,
     "[5] #1 S>C handshake status=0 upgraded=0 path=\"/mqtt\"\n"
     "[5] #1 C>S finding ws_handshake_failed error about=3\n"
     "[5] #1 summary " WS_CONN " v=null ka=-1 ska=-1 kae=-1 pingreq=0 pingresp=0 unanswered=0 "
     "close=client/fin verdict=client_closed id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"ws_handshake_failed: a wrong Sec-WebSocket-Accept", s_handshake_bad_accept, NULL,
     "[4] #1 S>C handshake status=101 upgraded=0 path=\"/mqtt\"\n"
     "[4] #1 S>C finding ws_handshake_failed error about=4\n"
     "[5] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
     "[6] #1 S>C CONNACK code=0 ska=-1\n"
     "[6] #1 S>C finding keepalive_negotiated info about=6 value=5.000\n"
     "[0] #1 summary " WS_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 close=-/- "
     "verdict=open id=\"\" sub=\"mqtt\" ext=\"\"\n",
     NULL},
    {"ws_subprotocol: the client offered none", s_subprotocol_not_offered, NULL,
     HANDSHAKE "[4] #1 C>S finding ws_subprotocol warn about=3 reported=5\n"
               "[5] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
               "[6] #1 S>C CONNACK code=0 ska=-1\n"
               "[6] #1 S>C finding keepalive_negotiated info about=6 value=5.000\n"
               "[0] #1 summary " WS_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 "
               "close=-/- verdict=open id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"ws_subprotocol: the server chose none of the client's", s_subprotocol_not_chosen, NULL,
     HANDSHAKE "[4] #1 S>C finding ws_subprotocol warn about=4 reported=5\n"
               "[5] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
               "[6] #1 S>C CONNACK code=0 ska=-1\n"
               "[6] #1 S>C finding keepalive_negotiated info about=6 value=5.000\n"
               "[0] #1 summary " WS_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 "
               "close=-/- verdict=open id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"ws_subprotocol: legacy mqttv3.1 is info only", s_subprotocol_legacy, NULL,
     HANDSHAKE "[4] #1 S>C finding ws_subprotocol info about=4\n"
               "[5] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
               "[6] #1 S>C CONNACK code=0 ska=-1\n"
               "[6] #1 S>C finding keepalive_negotiated info about=6 value=5.000\n"
               "[0] #1 summary " WS_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 "
               "close=-/- verdict=open id=\"\" sub=\"mqttv3.1\" ext=\"\"\n",
     NULL},
    {"ws_mask_violation: unmasked client frame, masked server frame", s_mask, NULL,
     HANDSHAKE "[5] #1 C>S finding ws_mask_violation error about=5\n"
               "[5] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
               "[6] #1 S>C finding ws_mask_violation error about=6\n"
               "[6] #1 S>C CONNACK code=0 ska=-1\n"
               "[6] #1 S>C finding keepalive_negotiated info about=6 value=5.000\n"
               "[0] #1 summary " WS_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 "
               "close=-/- verdict=open id=\"\" sub=\"mqtt\" ext=\"\"\n",
     NULL},
    {"ws_framing_error: RSV1 with no extension", s_framing_rsv1, NULL,
     WS_KA5 "[7] #1 C>S finding ws_framing_error error about=7\n"
            "[7] #1 C>S PINGREQ silence=5.000\n"
            "[8] #1 S>C PINGRESP rtt=0.001 pair=7\n"
            "[8] #1 S>C finding pingresp_rtt info about=8 value=0.001\n"
            "[0] #1 summary " WS_CONN " " KA5 " pingreq=1 pingresp=1 unanswered=0 close=-/- "
            "verdict=open id=\"\" sub=\"mqtt\" ext=\"\"\n",
     NULL},
    {"mqtt_in_text_frame", s_text_frame, NULL,
     WS_KA5 "[7] #1 C>S finding mqtt_in_text_frame error about=7\n"
            "[7] #1 C>S PINGREQ silence=5.000\n"
            "[8] #1 S>C PINGRESP rtt=0.001 pair=7\n"
            "[8] #1 S>C finding pingresp_rtt info about=8 value=0.001\n"
            "[0] #1 summary " WS_CONN " " KA5 " pingreq=1 pingresp=1 unanswered=0 close=-/- "
            "verdict=open id=\"\" sub=\"mqtt\" ext=\"\"\n",
     NULL},
    {"ws_compressed_skipped: an extension not decoded", s_compressed, NULL,
     WS_KA5 "[7] #1 C>S finding ws_compressed_skipped warn about=7\n"
            "[9] #1 summary " WS_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 "
            "close=client/fin verdict=client_closed id=\"\" sub=\"mqtt\" "
            "ext=\"x-webkit-deflate-frame\"\n",
     NULL},
    {"ws_deflate_failed: with context takeover, the direction stays undecoded", s_deflate_failed,
     NULL,
     WS_KA5 "[7] #1 C>S finding ws_deflate_failed warn about=7\n"
            "[10] #1 summary " WS_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 "
            "close=client/fin verdict=client_closed id=\"\" sub=\"mqtt\" "
            "ext=\"permessage-deflate\"\n",
     NULL},
    {"ws_deflate_failed: a compressed message interrupted by a new one", s_deflate_interrupted,
     NULL,
     WS_KA5 "[7] #1 C>S PUBLISH silence=1.000\n"
            "[8] #1 C>S finding ws_framing_error error about=8\n"
            "[8] #1 C>S finding ws_deflate_failed warn about=8\n"
            "[10] #1 summary " WS_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 "
            "close=client/fin verdict=client_closed id=\"\" sub=\"mqtt\" "
            "ext=\"permessage-deflate\"\n",
     NULL},
    {"ws_deflate_failed: without it, decoding resumes at a fresh context",
     s_deflate_failed_resumes, NULL,
     WS_KA5 "[7] #1 C>S finding ws_deflate_failed warn about=7\n"
            "[8] #1 C>S PINGREQ\n"
            "[9] #1 S>C PINGRESP rtt=0.001 pair=8\n"
            "[9] #1 S>C finding pingresp_rtt info about=9 value=0.001\n"
            "[11] #1 summary " WS_CONN " " KA5 " pingreq=1 pingresp=1 unanswered=0 "
            "close=client/fin verdict=client_closed id=\"\" sub=\"mqtt\" "
            "ext=\"permessage-deflate; client_no_context_takeover\"\n",
     NULL},
    {"malformed_fixed_header: type 0", s_fixed_header_type0, NULL,
     TCP_KA5 "[5] #1 C>S finding malformed_fixed_header error about=5\n"
             "[7] #1 summary " TCP_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 "
             "close=client/fin verdict=client_closed id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"malformed_fixed_header: the stream ends mid-packet", s_fixed_header_truncated, NULL,
     TCP_KA5 "[6] #1 C>S finding malformed_fixed_header error about=6\n"
             "[7] #1 summary " TCP_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 "
             "close=client/fin verdict=client_closed id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"malformed_ping: Remaining Length 1", s_malformed_ping, NULL,
     TCP_KA5 "[5] #1 C>S PINGREQ silence=5.000\n"
             "[5] #1 C>S finding malformed_ping error about=5\n"
             "[6] #1 S>C PINGRESP rtt=0.001 pair=5\n"
             "[6] #1 S>C finding pingresp_rtt info about=6 value=0.001\n"
             "[0] #1 summary " TCP_CONN " " KA5 " pingreq=1 pingresp=1 unanswered=0 close=-/- "
             "verdict=open id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"connect_protocol_invalid: the reserved flag bit", s_protocol_reserved_flag, NULL,
     "[3] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
     "[3] #1 C>S finding connect_protocol_invalid error about=3\n"
     "[4] #1 S>C CONNACK code=0 ska=-1\n"
     "[4] #1 S>C finding keepalive_negotiated info about=4 value=5.000\n"
     "[0] #1 summary " TCP_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 close=-/- "
     "verdict=open id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"connect_protocol_invalid: MQTT level 6", s_protocol_level6, NULL,
     "[3] #1 C>S CONNECT level=6 ka=5 clean=1 id=\"\"\n"
     "[3] #1 C>S finding connect_protocol_invalid error about=3\n"
     "[4] #1 S>C CONNACK code=1 ska=-1\n"
     "[4] #1 S>C finding connect_refused error about=4 value=1.000\n"
     "[6] #1 summary " TCP_CONN " v=null ka=-1 ska=-1 kae=-1 pingreq=0 pingresp=0 unanswered=0 "
     "close=server/fin verdict=connect_refused id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"capture_gap: decoding resumes at the next packet boundary, no timing across the hole",
     s_capture_gap, NULL,
     WS_KA5 "[8] #1 S>C PUBLISH\n"
            "[9] #1 C>S finding capture_gap info about=8 value=11.000\n"
            "[9] #1 C>S PINGREQ\n"
            "[10] #1 S>C PINGRESP rtt=0.001 pair=9\n"
            "[10] #1 S>C finding pingresp_rtt info about=10 value=0.001\n"
            "[12] #1 summary " WS_CONN " " KA5 " pingreq=1 pingresp=1 unanswered=0 "
            "close=client/fin verdict=client_closed id=\"\" sub=\"mqtt\" ext=\"\"\n",
     NULL},
    {"capture_gap: none for a bare ACK captured just before the data it acknowledges",
     s_ack_before_data, NULL,
     WS_KA5 "[8] #1 C>S PINGREQ silence=5.000\n"
            "[9] #1 S>C PINGRESP rtt=0.001 pair=8\n"
            "[9] #1 S>C finding pingresp_rtt info about=9 value=0.001\n"
            "[11] #1 summary " WS_CONN " " KA5 " pingreq=1 pingresp=1 unanswered=0 "
            "close=client/fin verdict=client_closed id=\"\" sub=\"mqtt\" ext=\"\"\n",
     NULL},
    {"joined late, only its close left: adopted by a server proven MQTT", s_adopted_close_only,
     NULL,
     TCP_KA5 "[7] #1 C>S DISCONNECT silence=1.990\n"
             "[9] #1 summary " TCP_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 "
             "close=client/mqtt_disconnect verdict=mqtt_disconnect id=\"\" sub=\"\" ext=\"\"\n"
             "[0] #2 summary " LATE_CONN " v=null ka=-1 ska=-1 kae=-1 pingreq=0 pingresp=0 "
             "unanswered=0 close=server/fin start_seen=0 verdict=server_closed id=\"\" sub=\"\" "
             "ext=\"\"\n",
     NULL},
    {"joined late, only its close left, no proven server: nothing", s_close_only_unproven, NULL,
     "", NULL},
    {"joined late, only a client's RST with ACK left: adopted by a server proven MQTT",
     s_adopted_lone_rst, NULL,
     TCP_KA5 "[5] #2 S>C finding one_sided info about=5\n"
             "[5] #2 summary " LATE_CONN " v=null ka=-1 ska=-1 kae=-1 pingreq=0 pingresp=0 "
             "unanswered=0 close=client/rst start_seen=0 verdict=reset id=\"\" sub=\"\" "
             "ext=\"\"\n"
             "[0] #1 summary " TCP_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 close=-/- "
             "verdict=open id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"a server's lone RST to a client: no connection", s_server_lone_rst, NULL,
     TCP_KA5 "[0] #1 summary " TCP_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 close=-/- "
             "verdict=open id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"a client's lone RST, no proven server: nothing", s_lone_rst_unproven, NULL, "", NULL},
    {"a FIN nothing acknowledges, a FIN answered by RST, a lone RST: no connection",
     s_stray_closes_no_connection, NULL,
     TCP_KA5 "[0] #1 summary " TCP_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 close=-/- "
             "verdict=open id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"joined late, too short a run to prove alone: adopted by a proven server",
     s_adopted_short_run, NULL,
     TCP_KA5 "[5] #2 C>S DISCONNECT\n"
             "[7] #2 summary " LATE_CONN " v=null ka=-1 ska=-1 kae=-1 pingreq=0 pingresp=0 "
             "unanswered=0 close=client/mqtt_disconnect start_seen=0 verdict=mqtt_disconnect "
             "id=\"\" sub=\"\" ext=\"\"\n"
             "[0] #1 summary " TCP_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 close=-/- "
             "verdict=open id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"joined late, closed before its server was proven: adopted at the end",
     s_adopted_proof_after_close, NULL,
     "[6] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
     "[7] #1 S>C CONNACK code=0 ska=-1\n"
     "[7] #1 S>C finding keepalive_negotiated info about=7 value=5.000\n"
     "[0] #1 summary " TCP_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 close=-/- "
     "verdict=open id=\"\" sub=\"\" ext=\"\"\n"
     "[1] #2 C>S DISCONNECT\n"
     "[0] #2 summary " LATE_CONN " v=null ka=-1 ska=-1 kae=-1 pingreq=0 pingresp=0 "
     "unanswered=0 close=client/mqtt_disconnect start_seen=0 verdict=mqtt_disconnect id=\"\" "
     "sub=\"\" ext=\"\"\n",
     NULL},
    {"joined late, only its FINs left, ended before its server was proven: adopted at the end",
     s_close_only_before_proof, NULL,
     "[6] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
     "[7] #1 S>C CONNACK code=0 ska=-1\n"
     "[7] #1 S>C finding keepalive_negotiated info about=7 value=5.000\n"
     "[0] #1 summary " TCP_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 close=-/- "
     "verdict=open id=\"\" sub=\"\" ext=\"\"\n"
     "[0] #2 summary " LATE_CONN " v=null ka=-1 ska=-1 kae=-1 pingreq=0 pingresp=0 "
     "unanswered=0 close=client/fin start_seen=0 verdict=client_closed id=\"\" sub=\"\" "
     "ext=\"\"\n",
     NULL},
    {"joined late, only a client's RST left, before its server was proven: adopted at the end",
     s_rst_only_before_proof, NULL,
     "[5] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
     "[6] #1 S>C CONNACK code=0 ska=-1\n"
     "[6] #1 S>C finding keepalive_negotiated info about=6 value=5.000\n"
     "[0] #1 summary " TCP_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 close=-/- "
     "verdict=open id=\"\" sub=\"\" ext=\"\"\n"
     "[0] #2 S>C finding one_sided info about=0\n"
     "[0] #2 summary " LATE_CONN " v=null ka=-1 ska=-1 kae=-1 pingreq=0 pingresp=0 "
     "unanswered=0 close=client/rst start_seen=0 verdict=reset id=\"\" sub=\"\" "
     "ext=\"\"\n",
     NULL},
    {"a FIN answered by RST before the server was proven: no connection",
     s_unacked_fin_before_proof, NULL,
     "[5] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
     "[6] #1 S>C CONNACK code=0 ska=-1\n"
     "[6] #1 S>C finding keepalive_negotiated info about=6 value=5.000\n"
     "[0] #1 summary " TCP_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 close=-/- "
     "verdict=open id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"a second RST after a reset is no late-joined connection", s_second_rst_no_connection,
     NULL,
     TCP_KA5 "[5] #1 summary " TCP_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 "
             "close=client/rst verdict=reset id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"server's side only: a DISCONNECT inferred from the server's ACK and prompt close",
     s_s2c_disconnect_inferred, NULL,
     S2C_ONLY "[0] #1 C>S finding one_sided info about=0\n"
         S2C_SUMMARY("0", "2", "client/mqtt_disconnect inferred_at=9")
         "mqtt_disconnect id=\"\" sub=\"\" ext=\"\"\n", NULL},
    {"server's side only: DISCONNECT and the client's FIN in one acknowledged step",
     s_s2c_disconnect_and_fin_inferred, NULL,
     S2C_ONLY "[0] #1 C>S finding one_sided info about=0\n"
         S2C_SUMMARY("0", "2", "client/mqtt_disconnect inferred_at=9")
         "mqtt_disconnect id=\"\" sub=\"\" ext=\"\"\n", NULL},
    {"server's side only: a ping-sized step answered by a PINGRESP is no DISCONNECT",
     s_s2c_pingreq_answered_then_close, NULL,
     S2C_ONLY "[9] #1 S>C PINGRESP\n"
     "[9] #1 S>C finding pingresp_unsolicited info about=9\n"
     "[0] #1 C>S finding one_sided info about=0\n"
         S2C_SUMMARY("0", "3", "server/fin")
         "server_closed id=\"\" sub=\"\" ext=\"\"\n", NULL},
    {"server's side only: the DISCONNECT before a client FIN told by the server's ACK",
     s_s2c_disconnect_then_client_fin, NULL,
     S2C_ONLY "[10] #1 C>S finding one_sided info about=10\n"
         S2C_SUMMARY("10", "2", "client/mqtt_disconnect inferred_at=9")
         "mqtt_disconnect id=\"\" sub=\"\" ext=\"\"\n", NULL},
    {"server's side only: a close 1 s after the step infers nothing", s_s2c_close_long_after,
     NULL,
     S2C_ONLY "[0] #1 C>S finding one_sided info about=0\n"
         S2C_SUMMARY("0", "2", "server/fin")
         "server_closed id=\"\" sub=\"\" ext=\"\"\n", NULL},
    {"server's side only: a step of another size infers nothing", s_s2c_other_size, NULL,
     S2C_ONLY "[0] #1 C>S finding one_sided info about=0\n"
         S2C_SUMMARY("0", "2", "server/fin")
         "server_closed id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"server's side only: a PINGREQ inferred from a 2-byte step and a late client FIN",
     s_s2c_pingreq_inferred, NULL,
     S2C_ONLY "[10] #1 C>S finding one_sided info about=10\n"
         S2C_SUMMARY("10", "2", "client/fin pingreq_inferred=1")
         "client_closed_missing_pingresp id=\"\" sub=\"\" ext=\"\"\n", NULL},
    {"server's side only: a 2-byte step answered by a PINGRESP infers no PINGREQ",
     s_s2c_pingreq_answered_then_client_fin, NULL,
     S2C_ONLY "[9] #1 S>C PINGRESP\n"
     "[9] #1 S>C finding pingresp_unsolicited info about=9\n"
     "[10] #1 C>S finding one_sided info about=10\n"
         S2C_SUMMARY("10", "3", "client/fin")
         "client_closed id=\"\" sub=\"\" ext=\"\"\n", NULL},
    {"server's side only: a 4-byte step then a late client FIN infers nothing",
     s_s2c_other_size_then_client_fin, NULL,
     S2C_ONLY "[10] #1 C>S finding one_sided info about=10\n"
         S2C_SUMMARY("10", "2", "client/fin")
         "client_closed id=\"\" sub=\"\" ext=\"\"\n", NULL},
    {"server's side only: three acknowledged pings give the keepalive; the server's FIN "
     "1.5 x it after its ACK last moved is a keepalive close",
     s_s2c_keepalive_close, NULL,
     S2C_PINGS5 "server_closed_keepalive id=\"\" sub=\"\" ext=\"\"\n", NULL},
    {"server's side only: client bytes acknowledged 4 s before the FIN: no keepalive close",
     s_s2c_keepalive_close_after_client_bytes, NULL,
     S2C_PINGS5 "server_closed id=\"\" sub=\"\" ext=\"\"\n", NULL},
    {"server's side only: a FIN long past 1.5 x the keepalive + grace is no keepalive close",
     s_s2c_keepalive_close_too_late, NULL,
     S2C_PINGS5 "server_closed id=\"\" sub=\"\" ext=\"\"\n", NULL},
    {"server's side only: a hole in the server's stream before its FIN: nothing claimed",
     s_s2c_keepalive_close_server_hole, NULL,
     S2C_ONLY "[9] #1 S>C PINGRESP\n"
     "[9] #1 S>C finding pingresp_unsolicited info about=9\n"
     "[11] #1 S>C PINGRESP\n"
     "[11] #1 S>C finding pingresp_unsolicited info about=11\n"
     "[13] #1 S>C PINGRESP\n"
     "[13] #1 C>S finding keepalive_inferred info about=13 value=5.000\n"
     "[13] #1 S>C finding pingresp_unsolicited info about=13\n"
     "[0] #1 S>C finding capture_gap info about=0 value=5.000\n"
     "[0] #1 C>S finding one_sided info about=0\n"
     "[0] #1 summary " TCP_CONN " v=null ka=-1 ska=-1 kae=-1 pingreq=0 pingresp=5 "
     "unanswered=0 close=server/fin start_seen=0 ka_inferred=5 verdict=server_closed id=\"\" "
     "sub=\"\" ext=\"\"\n", NULL},
    {"server's side only, WebSocket: 8-byte steps answered by PINGRESPs, then the FIN",
     s_s2c_ws_keepalive_close, NULL,
     S2C_WS_PINGS2 "[11] #1 S>C PINGRESP\n"
     "[11] #1 C>S finding keepalive_inferred info about=11 value=4.000\n"
     "[11] #1 S>C finding pingresp_unsolicited info about=11\n"
     "[0] #1 C>S finding one_sided info about=0\n"
     "[0] #1 summary " WS_CONN " v=null ka=-1 ska=-1 kae=-1 pingreq=0 pingresp=3 unanswered=0 "
     "close=server/fin start_seen=0 ka_inferred=4 verdict=server_closed_keepalive id=\"\" "
     "sub=\"mqtt\" ext=\"\"\n", NULL},
    {"server's side only, WebSocket: two pings infer no keepalive, claim no keepalive close",
     s_s2c_ws_two_pings_close, NULL,
     S2C_WS_PINGS2 "[0] #1 C>S finding one_sided info about=0\n"
     "[0] #1 summary " WS_CONN " v=null ka=-1 ska=-1 kae=-1 pingreq=0 pingresp=2 unanswered=0 "
     "close=server/fin start_seen=0 verdict=server_closed id=\"\" sub=\"mqtt\" ext=\"\"\n",
     NULL},
    {"server's side only, WebSocket: a ping-sized step no PINGRESP followed breaks the cadence",
     s_s2c_ws_unanswered_step_breaks_cadence, NULL,
     S2C_WS_PINGS2 "[13] #1 S>C PINGRESP\n"
     "[13] #1 S>C finding pingresp_unsolicited info about=13\n"
     "[15] #1 S>C PINGRESP\n"
     "[15] #1 S>C finding pingresp_unsolicited info about=15\n"
     "[0] #1 C>S finding one_sided info about=0\n"
     "[0] #1 summary " WS_CONN " v=null ka=-1 ska=-1 kae=-1 pingreq=0 pingresp=4 unanswered=0 "
     "close=server/fin start_seen=0 verdict=server_closed id=\"\" sub=\"mqtt\" ext=\"\"\n",
     NULL},
    {"lossy: the client's last PINGREQ lost, told by the server's ACK, a late FIN",
     s_lossy_pingreq_inferred, NULL,
     TCP_KA5 "[5] #1 C>S PINGREQ silence=5.000\n"
             "[6] #1 S>C PINGRESP rtt=0.001 pair=5\n"
             "[6] #1 S>C finding pingresp_rtt info about=6 value=0.001\n"
             "[10] #1 C>S finding capture_gap info about=8 value=2.000\n"
             "[10] #1 summary " TCP_CONN " " KA5 " pingreq=1 pingresp=1 unanswered=0 "
             "close=client/fin pingreq_inferred=1 verdict=client_closed_missing_pingresp "
             "id=\"\" sub=\"\" ext=\"\"\n", NULL},
    {"lossy, WebSocket: the client's last PINGREQ frame lost, told by the server's ACK",
     s_lossy_ws_pingreq_inferred, NULL,
     WS_KA5 "[7] #1 C>S PINGREQ silence=5.000\n"
            "[8] #1 S>C PINGRESP rtt=0.001 pair=7\n"
            "[8] #1 S>C finding pingresp_rtt info about=8 value=0.001\n"
            "[12] #1 C>S finding capture_gap info about=10 value=8.000\n"
            "[12] #1 summary " WS_CONN " " KA5 " pingreq=1 pingresp=1 unanswered=0 "
            "close=client/fin pingreq_inferred=1 verdict=client_closed_missing_pingresp "
            "id=\"\" sub=\"mqtt\" ext=\"\"\n", NULL},
    {"lossy: the server sent data after its ACK of the lost bytes: nothing inferred",
     s_lossy_pingreq_server_spoke, NULL,
     TCP_KA5 "[5] #1 C>S PINGREQ silence=5.000\n"
             "[6] #1 S>C PINGRESP rtt=0.001 pair=5\n"
             "[6] #1 S>C finding pingresp_rtt info about=6 value=0.001\n"
             "[9] #1 S>C PUBLISH\n"
             "[11] #1 C>S finding capture_gap info about=8 value=2.000\n"
             "[11] #1 summary " TCP_CONN " " KA5 " pingreq=1 pingresp=1 unanswered=0 "
             "close=client/fin verdict=client_closed id=\"\" sub=\"\" ext=\"\"\n", NULL},
    {"lossy: the client's last PINGREQ lost and answered, the server's keepalive close",
     s_lossy_pingreq_keepalive_close, NULL,
     TCP_KA5 "[5] #1 C>S PINGREQ silence=5.000\n"
             "[6] #1 S>C PINGRESP rtt=0.001 pair=5\n"
             "[6] #1 S>C finding pingresp_rtt info about=6 value=0.001\n"
             "[8] #1 S>C PINGRESP\n"
             "[8] #1 S>C finding pingresp_unsolicited info about=8\n"
             "[10] #1 C>S finding capture_gap info about=8 value=2.000\n"
             "[10] #1 summary " TCP_CONN " " KA5 " pingreq=1 pingresp=2 unanswered=0 "
             "close=server/fin verdict=server_closed_keepalive id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"lossy, WebSocket: the client's last PINGREQ frame lost and answered, a keepalive close",
     s_lossy_ws_pingreq_keepalive_close, NULL,
     WS_KA5 "[7] #1 C>S PINGREQ silence=5.000\n"
            "[8] #1 S>C PINGRESP rtt=0.001 pair=7\n"
            "[8] #1 S>C finding pingresp_rtt info about=8 value=0.001\n"
            "[10] #1 S>C PINGRESP\n"
            "[10] #1 S>C finding pingresp_unsolicited info about=10\n"
            "[12] #1 C>S finding capture_gap info about=10 value=8.000\n"
            "[12] #1 summary " WS_CONN " " KA5 " pingreq=1 pingresp=2 unanswered=0 "
            "close=server/fin verdict=server_closed_keepalive id=\"\" sub=\"mqtt\" ext=\"\"\n",
     NULL},
    {"lossy: a hole not the size of a PINGREQ, answered, then the server's close: not told",
     s_lossy_other_size_server_close, NULL,
     TCP_KA5 "[5] #1 C>S PINGREQ silence=5.000\n"
             "[6] #1 S>C PINGRESP rtt=0.001 pair=5\n"
             "[6] #1 S>C finding pingresp_rtt info about=6 value=0.001\n"
             "[8] #1 S>C PINGRESP\n"
             "[8] #1 S>C finding pingresp_unsolicited info about=8\n"
             "[10] #1 C>S finding capture_gap info about=8 value=7.000\n"
             "[10] #1 summary " TCP_CONN " " KA5 " pingreq=1 pingresp=2 unanswered=0 "
             "close=server/fin verdict=server_closed id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"lossy: a PINGREQ lost and answered, then a second hole, the server's close: not told",
     s_lossy_pingreq_then_hole_server_close, NULL,
     TCP_KA5 "[5] #1 C>S PINGREQ silence=5.000\n"
             "[6] #1 S>C PINGRESP rtt=0.001 pair=5\n"
             "[6] #1 S>C finding pingresp_rtt info about=6 value=0.001\n"
             "[8] #1 S>C PINGRESP\n"
             "[8] #1 S>C finding pingresp_unsolicited info about=8\n"
             "[12] #1 C>S finding capture_gap info about=8 value=7.000\n"
             "[12] #1 summary " TCP_CONN " " KA5 " pingreq=1 pingresp=2 unanswered=0 "
             "close=server/fin verdict=server_closed id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"lossy: a client FIN right after the ACK of the lost bytes: nothing inferred",
     s_lossy_pingreq_prompt_close, NULL,
     TCP_KA5 "[5] #1 C>S PINGREQ silence=5.000\n"
             "[6] #1 S>C PINGRESP rtt=0.001 pair=5\n"
             "[6] #1 S>C finding pingresp_rtt info about=6 value=0.001\n"
             "[10] #1 C>S finding capture_gap info about=8 value=2.000\n"
             "[10] #1 summary " TCP_CONN " " KA5 " pingreq=1 pingresp=1 unanswered=0 "
             "close=client/fin verdict=client_closed id=\"\" sub=\"\" ext=\"\"\n", NULL},
    {"server's side only: a 101 choosing mqtt proves a WebSocket MQTT connection",
     s_s2c_ws_upgrade, NULL,
     "[5] #1 S>C CONNACK code=0 ska=-1\n"
     "[0] #1 C>S finding one_sided info about=0\n"
     "[0] #1 summary " WS_CONN " v=null ka=-1 ska=-1 kae=-1 pingreq=0 pingresp=0 "
     "unanswered=0 close=server/fin start_seen=0 verdict=server_closed id=\"\" sub=\"mqtt\" "
     "ext=\"\"\n",
     NULL},
    {"server's side only: a 101 to another subprotocol proves nothing", s_s2c_ws_upgrade_other,
     NULL, "", NULL},
    {"keepalive_inferred: joined late, from the PINGREQ cadence", s_keepalive_inferred, NULL,
     "[1] #1 C>S PINGREQ\n"
     "[2] #1 S>C PINGRESP rtt=0.001 pair=1\n"
     "[2] #1 S>C finding pingresp_rtt info about=2 value=0.001 reported=3\n"
     "[3] #1 C>S PINGREQ silence=5.000\n"
     "[4] #1 S>C PINGRESP rtt=0.001 pair=3\n"
     "[4] #1 S>C finding pingresp_rtt info about=4 value=0.001\n"
     "[5] #1 C>S PINGREQ silence=5.000\n"
     "[5] #1 C>S finding keepalive_inferred info about=5 value=5.000\n"
     "[6] #1 S>C PINGRESP rtt=0.001 pair=5\n"
     "[6] #1 S>C finding pingresp_rtt info about=6 value=0.001\n"
     "[7] #1 C>S PINGREQ silence=5.000\n"
     "[8] #1 S>C PINGRESP rtt=0.001 pair=7\n"
     "[8] #1 S>C finding pingresp_rtt info about=8 value=0.001\n"
     "[0] #1 summary " TCP_CONN " v=null ka=-1 ska=-1 kae=-1 pingreq=4 pingresp=4 unanswered=0 "
     "close=-/- start_seen=0 ka_inferred=5 verdict=open id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"one_sided: only the client's side captured; nothing said of answers", s_one_sided, NULL,
     "[1] #1 C>S PINGREQ\n"
     "[2] #1 C>S PINGREQ silence=5.000\n"
     "[3] #1 C>S PINGREQ silence=5.000\n"
     "[3] #1 C>S finding keepalive_inferred info about=3 value=5.000\n"
     "[0] #1 S>C finding one_sided info about=0\n"
     "[0] #1 summary " TCP_CONN " v=null ka=-1 ska=-1 kae=-1 pingreq=3 pingresp=0 unanswered=0 "
     "close=-/- start_seen=0 ka_inferred=5 verdict=open id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"one_sided: a CONNECT over several frames before a 101 the capture lacks; the client's "
     "ACKs count the PINGREQ unanswered",
     s_one_sided_split_connect, NULL,
     "[7] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
     "[8] #1 C>S PINGREQ silence=5.007\n"
     "[9] #1 C>S finding close_matches_ping_timeout info about=9 value=4.000\n"
     "[0] #1 S>C finding one_sided info about=0\n"
     "[0] #1 summary " WS_CONN " " KA5 " pingreq=1 pingresp=0 unanswered=1 "
     "close=client/fin verdict=client_closed_missing_pingresp id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"one_sided: the client's RST after its FIN tells of server bytes; the PINGREQ is not counted "
     "unanswered",
     s_one_sided_rst_after_fin, NULL,
     "[2] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
     "[3] #1 C>S PINGREQ silence=5.009\n"
     "[4] #1 C>S DISCONNECT silence=0.001\n"
     "[6] #1 S>C finding one_sided info about=6\n"
     "[6] #1 summary " TCP_CONN " " KA5 " pingreq=1 pingresp=0 unanswered=0 "
     "close=client/mqtt_disconnect verdict=mqtt_disconnect id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"malformed_packet: an MQTT 5 property length past the CONNECT's end", s_malformed_packet,
     NULL,
     "[3] #1 C>S CONNECT level=5 ka=5 clean=1 id=(none)\n"
     "[3] #1 C>S finding malformed_packet error about=3\n"
     "[4] #1 S>C CONNACK code=0 ska=-1\n"
     "[4] #1 S>C finding keepalive_negotiated info about=4 value=5.000\n"
     "[0] #1 summary " TCP_CONN " v=5.0 ka=5 ska=-1 kae=5 pingreq=0 pingresp=0 unanswered=0 "
     "close=-/- verdict=open id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"pingreq_unanswered: not when the server answers after the client's DISCONNECT",
     s_ping_then_disconnect, NULL,
     TCP_KA5 "[5] #1 C>S PINGREQ silence=5.000\n"
             "[6] #1 C>S DISCONNECT silence=0.001\n"
             "[7] #1 S>C PINGRESP rtt=0.002 pair=5\n"
             "[7] #1 S>C finding pingresp_rtt info about=7 value=0.002\n"
             "[9] #1 summary " TCP_CONN " " KA5 " pingreq=1 pingresp=1 unanswered=0 "
             "close=client/mqtt_disconnect verdict=mqtt_disconnect id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"capture_gap: a RST after the resetter's FIN answers server bytes the capture lacks; "
     "the PINGREQ waiting is not unanswered",
     s_ping_then_disconnect_answer_lost, NULL,
     TCP_KA5 "[5] #1 C>S PINGREQ silence=5.000\n"
             "[6] #1 C>S DISCONNECT silence=0.001\n"
             "[9] #1 S>C finding capture_gap info about=9\n"
             "[9] #1 summary " TCP_CONN " " KA5 " pingreq=1 pingresp=0 unanswered=0 "
             "close=client/mqtt_disconnect verdict=mqtt_disconnect id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"verdict mqtt_disconnect: a DISCONNECT behind a hole, seen after its FIN, is how the client "
     "closed",
     s_disconnect_behind_hole, NULL,
     TCP_KA5 "[7] #1 C>S finding capture_gap info about=7 value=2.000 reported=8\n"
             "[7] #1 C>S DISCONNECT\n"
             "[8] #1 summary " TCP_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 "
             "close=client/mqtt_disconnect verdict=mqtt_disconnect id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"resource_limit: a 101 over the header cap", s_header_cap, configure_header_cap,
     "[4] #1 S>C finding resource_limit warn about=4\n"
     "[6] #1 summary " WS_CONN " v=null ka=-1 ska=-1 kae=-1 pingreq=0 pingresp=0 unanswered=0 "
     "close=client/fin verdict=client_closed id=\"\" sub=\"\" ext=\"\"\n",
     NULL},

    /* ---------------------------------------------------------- Verdicts -- */
    {"verdict mqtt_disconnect by the client; pingresp_rtt", s_disconnect_client, NULL,
     WS_KA5 "[7] #1 C>S PINGREQ silence=5.000\n"
            "[8] #1 S>C PINGRESP rtt=0.001 pair=7\n"
            "[8] #1 S>C finding pingresp_rtt info about=8 value=0.001\n"
            "[9] #1 C>S DISCONNECT silence=2.000\n"
            "[11] #1 summary " WS_CONN " " KA5 " pingreq=1 pingresp=1 unanswered=0 "
            "close=client/mqtt_disconnect verdict=mqtt_disconnect id=\"\" sub=\"mqtt\" "
            "ext=\"\"\n",
     NULL},
    {"verdict mqtt_disconnect: the server's 0x8D (MQTT 5)", s_disconnect_server_8d, NULL,
     "[3] #1 C>S CONNECT level=5 ka=5 clean=1 id=\"\"\n"
     "[4] #1 S>C CONNACK code=0 ska=-1\n"
     "[4] #1 S>C finding keepalive_negotiated info about=4 value=5.000\n"
     "[5] #1 S>C DISCONNECT reason=0x8d\n"
     "[5] #1 C>S finding client_silent_over_keepalive warn about=5 value=8.000\n"
     "[7] #1 summary " TCP_CONN " v=5.0 ka=5 ska=-1 kae=5 pingreq=0 pingresp=0 unanswered=0 "
     "close=server/mqtt_disconnect disconnect=0x8d verdict=mqtt_disconnect id=\"\" sub=\"\" "
     "ext=\"\"\n",
     NULL},
    {"verdict server_closed_keepalive (mochi-mqtt, 7 s for KA 5)", s_server_closed_keepalive,
     NULL,
     WS_KA5 "[7] #1 C>S finding client_silent_over_keepalive warn about=7 value=7.000\n"
            "[8] #1 summary " WS_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 "
            "close=server/fin verdict=server_closed_keepalive id=\"\" sub=\"mqtt\" ext=\"\"\n",
     NULL},
    {"no close_matches_ping_timeout after an answered PINGREQ, even one keepalive later; verdict "
     "client_closed",
     s_close_matches_answered, NULL,
     WS_KA5 "[7] #1 C>S PINGREQ silence=5.000\n"
            "[8] #1 S>C PINGRESP rtt=0.001 pair=7\n"
            "[8] #1 S>C finding pingresp_rtt info about=8 value=0.001\n"
            "[10] #1 summary " WS_CONN " " KA5 " pingreq=1 pingresp=1 unanswered=0 "
            "close=client/fin verdict=client_closed id=\"\" sub=\"mqtt\" ext=\"\"\n",
     NULL},
    {"verdict ws_close", s_ws_close, NULL,
     WS_KA5 "[7] #1 C>S ws close len=5 code=1000\n"
            "[8] #1 S>C ws close len=2 code=1000\n"
            "[10] #1 summary " WS_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 "
            "close=client/ws_close ws_close=1000 \"bye\" verdict=ws_close id=\"\" sub=\"mqtt\" "
            "ext=\"\"\n",
     NULL},
    {"verdict intermediary_idle_close (60 s)", s_idle_close, NULL,
     HANDSHAKE "[5] #1 C>S CONNECT level=4 ka=120 clean=1 id=\"\"\n"
               "[6] #1 S>C CONNACK code=0 ska=-1\n"
               "[6] #1 S>C finding keepalive_negotiated info about=6 value=120.000\n"
               "[8] #1 summary " WS_CONN " v=3.1.1 ka=120 ska=-1 kae=120 pingreq=0 pingresp=0 "
               "unanswered=0 close=server/fin verdict=intermediary_idle_close id=\"\" "
               "sub=\"mqtt\" ext=\"\"\n",
     NULL},
    {"verdict client_closed", s_client_closed, NULL,
     TCP_KA5 "[5] #1 C>S PUBLISH silence=1.000\n"
             "[7] #1 summary " TCP_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 "
             "close=client/fin verdict=client_closed id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"verdict connect_refused: return code 2, then the server closes (KA 65535)",
     s_refused_closed, NULL,
     "[3] #1 C>S CONNECT level=4 ka=65535 clean=1 id=\"c\"\n"
     "[4] #1 S>C CONNACK code=2 ska=-1\n"
     "[4] #1 S>C finding connect_refused error about=4 value=2.000\n"
     "[4] #1 S>C finding keepalive_disabled info about=4 value=65535.000\n"
     "[6] #1 summary " TCP_CONN " v=3.1.1 ka=65535 ska=-1 kae=-1 pingreq=0 pingresp=0 "
     "unanswered=0 close=server/fin verdict=connect_refused id=\"c\" sub=\"\" ext=\"\"\n",
     NULL},
    {"verdict server_closed", s_server_closed, NULL,
     TCP_KA5 "[6] #1 summary " TCP_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 "
             "close=server/fin verdict=server_closed id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"verdict reset", s_reset, NULL,
     TCP_KA5 "[5] #1 C>S PUBLISH silence=1.000\n"
             "[6] #1 summary " TCP_CONN " " KA5 " pingreq=0 pingresp=0 unanswered=0 "
             "close=client/rst verdict=reset id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    /* ---------------------------------------------- Between connections -- */
    {"verdict session_taken_over: the server's FIN right after another CONNECT with the id",
     s_taken_over_fin, NULL,
     "[3] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"twin\"\n"
     "[4] #1 S>C CONNACK code=0 ska=-1\n"
     "[4] #1 S>C finding keepalive_negotiated info about=4 value=5.000\n"
     "[7] #2 C>S CONNECT level=4 ka=5 clean=1 id=\"twin\"\n"
     "[8] #2 S>C CONNACK code=0 ska=-1\n"
     "[8] #2 S>C finding keepalive_negotiated info about=8 value=5.000\n"
     "[10] #1 summary 127.0.0.1:50000 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
     "pingreq=0 pingresp=0 unanswered=0 close=server/fin taken_over_by=2 "
     "verdict=session_taken_over id=\"twin\" sub=\"\" ext=\"\"\n"
     "[11] #2 C>S DISCONNECT silence=0.990\n"
     "[13] #2 summary 127.0.0.1:50001 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
     "pingreq=0 pingresp=0 unanswered=0 close=client/mqtt_disconnect verdict=mqtt_disconnect "
     "id=\"twin\" sub=\"\" ext=\"\"\n",
     NULL},
    {"verdict session_taken_over: DISCONNECT 0x8E (MQTT 5)", s_taken_over_8e, NULL,
     "[3] #1 C>S CONNECT level=5 ka=5 clean=1 id=\"twin\"\n"
     "[4] #1 S>C CONNACK code=0 ska=-1\n"
     "[4] #1 S>C finding keepalive_negotiated info about=4 value=5.000\n"
     "[7] #2 C>S CONNECT level=5 ka=5 clean=1 id=\"twin\"\n"
     "[8] #2 S>C CONNACK code=0 ska=-1\n"
     "[8] #2 S>C finding keepalive_negotiated info about=8 value=5.000\n"
     "[9] #1 S>C DISCONNECT reason=0x8e\n"
     "[11] #1 summary 127.0.0.1:50000 -> 127.0.0.1:1882 tcp v=5.0 ka=5 ska=-1 kae=5 pingreq=0 "
     "pingresp=0 unanswered=0 close=server/mqtt_disconnect disconnect=0x8e taken_over_by=2 "
     "verdict=session_taken_over id=\"twin\" sub=\"\" ext=\"\"\n"
     "[12] #2 C>S DISCONNECT silence=0.990 reason=0x00\n"
     "[14] #2 summary 127.0.0.1:50001 -> 127.0.0.1:1882 tcp v=5.0 ka=5 ska=-1 kae=5 pingreq=0 "
     "pingresp=0 unanswered=0 close=client/mqtt_disconnect disconnect=0x00 "
     "verdict=mqtt_disconnect id=\"twin\" sub=\"\" ext=\"\"\n",
     NULL},
    {"no session_taken_over when the server closes past the window", s_taken_over_too_late,
     NULL,
     "[3] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"twin\"\n"
     "[4] #1 S>C CONNACK code=0 ska=-1\n"
     "[4] #1 S>C finding keepalive_negotiated info about=4 value=5.000\n"
     "[7] #2 C>S CONNECT level=4 ka=5 clean=1 id=\"twin\"\n"
     "[8] #2 S>C CONNACK code=0 ska=-1\n"
     "[8] #2 S>C finding keepalive_negotiated info about=8 value=5.000\n"
     "[9] #1 C>S PINGREQ silence=3.990\n"
     "[10] #1 S>C PINGRESP rtt=0.001 pair=9\n"
     "[10] #1 S>C finding pingresp_rtt info about=10 value=0.001\n"
     "[12] #1 summary 127.0.0.1:50000 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
     "pingreq=1 pingresp=1 unanswered=0 close=server/fin verdict=server_closed id=\"twin\" "
     "sub=\"\" ext=\"\"\n"
     "[0] #2 summary 127.0.0.1:50001 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
     "pingreq=0 pingresp=0 unanswered=0 close=-/- verdict=open id=\"twin\" sub=\"\" ext=\"\"\n",
     NULL},
    {"verdict connect_refused: MQTT 5 reason 0x87", s_refused5, NULL,
     "[3] #1 C>S CONNECT level=5 ka=5 clean=1 id=\"\"\n"
     "[4] #1 S>C CONNACK code=135 ska=-1\n"
     "[4] #1 S>C finding connect_refused error about=4 value=135.000\n"
     "[6] #1 summary 127.0.0.1:50000 -> 127.0.0.1:1882 tcp v=5.0 ka=5 ska=-1 kae=-1 pingreq=0 "
     "pingresp=0 unanswered=0 close=server/fin verdict=connect_refused id=\"\" sub=\"\" "
     "ext=\"\"\n",
     NULL},
    {"verdict connect_refused even when no finding is kept for the summary", s_refused5,
     configure_keep_none,
     "[3] #1 C>S CONNECT level=5 ka=5 clean=1 id=\"\"\n"
     "[4] #1 S>C CONNACK code=135 ska=-1\n"
     "[4] #1 S>C finding connect_refused error about=4 value=135.000\n"
     "[6] #1 summary 127.0.0.1:50000 -> 127.0.0.1:1882 tcp v=5.0 ka=5 ska=-1 kae=-1 pingreq=0 "
     "pingresp=0 unanswered=0 close=server/fin verdict=connect_refused id=\"\" sub=\"\" "
     "ext=\"\"\n",
     NULL},
    {"connack_missing: the client gives up after 2 s", s_connack_missing_close, NULL,
     "[3] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"twin\"\n"
     "[4] #1 S>C finding connack_missing error about=3 value=2.000\n"
     "[5] #1 summary 127.0.0.1:50000 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
     "pingreq=0 pingresp=0 unanswered=0 close=client/fin verdict=client_closed id=\"twin\" "
     "sub=\"\" ext=\"\"\n",
     NULL},
    {"no connack_missing when the client closes 0.2 s after its CONNECT", s_connack_not_waited,
     NULL,
     "[3] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"twin\"\n"
     "[5] #1 summary 127.0.0.1:50000 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
     "pingreq=0 pingresp=0 unanswered=0 close=client/fin verdict=client_closed id=\"twin\" "
     "sub=\"\" ext=\"\"\n",
     NULL},
    {"connack_missing: none for 15 s (connack_timeout 10 s)", s_connack_missing_timeout, NULL,

     "[3] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"twin\"\n"
     "[0] #1 C>S finding client_silent_over_keepalive warn about=4 value=14.990\n"
     "[0] #1 C>S finding client_silent_over_1_5_keepalive error about=4 value=14.990\n"
     "[0] #1 S>C finding server_keepalive_not_enforced warn about=4 value=14.990\n"
     "[0] #1 S>C finding connack_missing error about=3 value=14.990\n"
     "[0] #1 summary 127.0.0.1:50000 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
     "pingreq=0 pingresp=0 unanswered=0 close=-/- verdict=open id=\"twin\" sub=\"\" ext=\"\"\n",
     NULL},
    {"reconnect_storm: one client id refused 3 times in 2 s (storm_connections 3)",
     s_storm_refused, configure_storm3,
     "[3] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"twin\"\n"
     "[4] #1 S>C CONNACK code=5 ska=-1\n"
     "[4] #1 S>C finding connect_refused error about=4 value=5.000\n"
     "[6] #1 summary 127.0.0.1:50000 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=-1 "
     "pingreq=0 pingresp=0 unanswered=0 close=server/fin verdict=connect_refused id=\"twin\" "
     "sub=\"\" ext=\"\"\n"
     "[9] #2 C>S CONNECT level=4 ka=5 clean=1 id=\"twin\"\n"
     "[10] #2 S>C CONNACK code=5 ska=-1\n"
     "[10] #2 S>C finding connect_refused error about=10 value=5.000\n"
     "[12] #2 summary 127.0.0.1:50001 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=-1 "
     "pingreq=0 pingresp=0 unanswered=0 close=server/fin verdict=connect_refused id=\"twin\" "
     "sub=\"\" ext=\"\"\n"
     "[15] #3 C>S CONNECT level=4 ka=5 clean=1 id=\"twin\"\n"
     "[15] #3 C>S finding reconnect_storm warn about=15 value=1.000\n"
     "[16] #3 S>C CONNACK code=5 ska=-1\n"
     "[16] #3 S>C finding connect_refused error about=16 value=5.000\n"
     "[18] #3 summary 127.0.0.1:50002 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=-1 "
     "pingreq=0 pingresp=0 unanswered=0 close=server/fin verdict=connect_refused id=\"twin\" "
     "sub=\"\" ext=\"\"\n",
     NULL},
    {"resource_limit: the client id table at its cap (max_client_ids 2)", s_client_table_full,
     configure_ids2,
     "[3] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"twin\"\n"
     "[4] #1 S>C CONNACK code=0 ska=-1\n"
     "[4] #1 S>C finding keepalive_negotiated info about=4 value=5.000\n"
     "[7] #2 C>S CONNECT level=4 ka=65535 clean=1 id=\"c\"\n"
     "[7] #2 C>S finding resource_limit warn about=7\n"
     "[8] #2 S>C CONNACK code=0 ska=-1\n"
     "[8] #2 S>C finding keepalive_negotiated info about=8 value=65535.000\n"
     "[0] #1 summary 127.0.0.1:50000 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
     "pingreq=0 pingresp=0 unanswered=0 close=-/- verdict=open id=\"twin\" sub=\"\" ext=\"\"\n"
     "[0] #2 summary 127.0.0.1:50001 -> 127.0.0.1:1882 tcp v=3.1.1 ka=65535 ska=-1 kae=65535 "
     "pingreq=0 pingresp=0 unanswered=0 close=-/- verdict=open id=\"c\" sub=\"\" ext=\"\"\n",
     NULL},
    /* -------------------------------------------------- TLS with a key log -- */
    {"tls_decrypt_failed: a record that fails authentication stops its direction",
     s_tls_decrypt_failed, NULL,
     "[6] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
     "[7] #1 S>C CONNACK code=0 ska=-1\n"
     "[7] #1 S>C finding keepalive_negotiated info about=7 value=5.000\n"
     "[8] #1 C>S finding tls_decrypt_failed error about=8\n"
     "[11] #1 summary 127.0.0.1:50000 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
     "pingreq=0 pingresp=0 unanswered=0 close=client/fin verdict=client_closed id=\"\" "
     "sub=\"\" ext=\"\"\n",
     NULL},
    {"mass_close: three connections closed by the server within 20 ms", s_mass_close,
     configure_mass3,
     "[3] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
     "[4] #1 S>C CONNACK code=0 ska=-1\n"
     "[4] #1 S>C finding keepalive_negotiated info about=4 value=5.000\n"
     "[7] #2 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
     "[8] #2 S>C CONNACK code=0 ska=-1\n"
     "[8] #2 S>C finding keepalive_negotiated info about=8 value=5.000\n"
     "[11] #3 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
     "[12] #3 S>C CONNACK code=0 ska=-1\n"
     "[12] #3 S>C finding keepalive_negotiated info about=12 value=5.000\n"
     "[14] #1 summary 127.0.0.1:50000 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
     "pingreq=0 pingresp=0 unanswered=0 close=server/fin verdict=server_closed id=\"\" "
     "sub=\"\" ext=\"\"\n"
     "[16] #2 summary 127.0.0.1:50001 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
     "pingreq=0 pingresp=0 unanswered=0 close=server/fin verdict=server_closed id=\"\" "
     "sub=\"\" ext=\"\"\n"
     "[17] #3 S>C finding mass_close warn about=17 value=3.000\n"
     "[18] #3 summary 127.0.0.1:50002 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
     "pingreq=0 pingresp=0 unanswered=0 close=server/fin verdict=server_closed id=\"\" "
     "sub=\"\" ext=\"\"\n",
     NULL},
    {"mass_close: three connections closed by the server, each after 3 s idle, over 2.4 s",
     s_mass_close_idle_sweep, configure_mass3,
     "[3] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
     "[4] #1 S>C CONNACK code=0 ska=-1\n"
     "[4] #1 S>C finding keepalive_negotiated info about=4 value=5.000\n"
     "[7] #2 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
     "[8] #2 S>C CONNACK code=0 ska=-1\n"
     "[8] #2 S>C finding keepalive_negotiated info about=8 value=5.000\n"
     "[11] #3 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
     "[12] #3 S>C CONNACK code=0 ska=-1\n"
     "[12] #3 S>C finding keepalive_negotiated info about=12 value=5.000\n"
     "[14] #1 summary 127.0.0.1:50000 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
     "pingreq=0 pingresp=0 unanswered=0 close=server/fin verdict=server_closed id=\"\" "
     "sub=\"\" ext=\"\"\n"
     "[16] #2 summary 127.0.0.1:50001 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
     "pingreq=0 pingresp=0 unanswered=0 close=server/fin verdict=server_closed id=\"\" "
     "sub=\"\" ext=\"\"\n"
     "[17] #3 S>C finding mass_close warn about=17 value=3.000\n"
     "[18] #3 summary 127.0.0.1:50002 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
     "pingreq=0 pingresp=0 unanswered=0 close=server/fin verdict=server_closed id=\"\" "
     "sub=\"\" ext=\"\"\n",
     NULL},
    {"no mass_close from three keepalive closes within 20 ms", s_mass_close_keepalive_sweep,
     configure_mass3,
     "[3] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
     "[4] #1 S>C CONNACK code=0 ska=-1\n"
     "[4] #1 S>C finding keepalive_negotiated info about=4 value=5.000\n"
     "[7] #2 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
     "[8] #2 S>C CONNACK code=0 ska=-1\n"
     "[8] #2 S>C finding keepalive_negotiated info about=8 value=5.000\n"
     "[11] #3 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
     "[12] #3 S>C CONNACK code=0 ska=-1\n"
     "[12] #3 S>C finding keepalive_negotiated info about=12 value=5.000\n"
     "[13] #1 C>S finding client_silent_over_keepalive warn about=13 value=7.990\n"
     "[14] #1 summary 127.0.0.1:50000 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
     "pingreq=0 pingresp=0 unanswered=0 close=server/fin verdict=server_closed_keepalive "
     "id=\"\" sub=\"\" ext=\"\"\n"
     "[15] #2 C>S finding client_silent_over_keepalive warn about=15 value=7.900\n"
     "[16] #2 summary 127.0.0.1:50001 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
     "pingreq=0 pingresp=0 unanswered=0 close=server/fin verdict=server_closed_keepalive "
     "id=\"\" sub=\"\" ext=\"\"\n"
     "[17] #3 C>S finding client_silent_over_keepalive warn about=17 value=7.810\n"
     "[18] #3 summary 127.0.0.1:50002 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
     "pingreq=0 pingresp=0 unanswered=0 close=server/fin verdict=server_closed_keepalive "
     "id=\"\" sub=\"\" ext=\"\"\n",
     NULL},
    {"no mass_close from a connection opened after the burst began", s_mass_close_churn,
     configure_mass3,
     "[3] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
     "[4] #1 S>C CONNACK code=0 ska=-1\n"
     "[4] #1 S>C finding keepalive_negotiated info about=4 value=5.000\n"
     "[7] #2 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
     "[8] #2 S>C CONNACK code=0 ska=-1\n"
     "[8] #2 S>C finding keepalive_negotiated info about=8 value=5.000\n"
     "[10] #1 summary 127.0.0.1:50000 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
     "pingreq=0 pingresp=0 unanswered=0 close=server/fin verdict=server_closed id=\"\" "
     "sub=\"\" ext=\"\"\n"
     "[12] #2 summary 127.0.0.1:50001 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
     "pingreq=0 pingresp=0 unanswered=0 close=server/fin verdict=server_closed id=\"\" "
     "sub=\"\" ext=\"\"\n"
     "[15] #3 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
     "[16] #3 S>C CONNACK code=0 ska=-1\n"
     "[16] #3 S>C finding keepalive_negotiated info about=16 value=5.000\n"
     "[18] #3 summary 127.0.0.1:50002 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
     "pingreq=0 pingresp=0 unanswered=0 close=server/fin verdict=server_closed id=\"\" "
     "sub=\"\" ext=\"\"\n",
     NULL},
    {"reconnect_storm: by client address, for empty client ids", s_storm_by_address,
     configure_storm3,
     "[3] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
     "[4] #1 S>C CONNACK code=0 ska=-1\n"
     "[4] #1 S>C finding keepalive_negotiated info about=4 value=5.000\n"
     "[6] #1 summary 127.0.0.1:50000 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
     "pingreq=0 pingresp=0 unanswered=0 close=client/fin verdict=client_closed id=\"\" "
     "sub=\"\" ext=\"\"\n"
     "[9] #2 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
     "[10] #2 S>C CONNACK code=0 ska=-1\n"
     "[10] #2 S>C finding keepalive_negotiated info about=10 value=5.000\n"
     "[12] #2 summary 127.0.0.1:50001 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
     "pingreq=0 pingresp=0 unanswered=0 close=client/fin verdict=client_closed id=\"\" "
     "sub=\"\" ext=\"\"\n"
     "[15] #3 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n"
     "[15] #3 C>S finding reconnect_storm warn about=15 value=0.500\n"
     "[16] #3 S>C CONNACK code=0 ska=-1\n"
     "[16] #3 S>C finding keepalive_negotiated info about=16 value=5.000\n"
     "[18] #3 summary 127.0.0.1:50002 -> 127.0.0.1:1882 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
     "pingreq=0 pingresp=0 unanswered=0 close=client/fin verdict=client_closed id=\"\" "
     "sub=\"\" ext=\"\"\n",
     NULL},
};

#define N_ROWS (sizeof rows / sizeof rows[0])

/* Whether each row's log agreed with its expectation (coverage counts only
 * those). */
static bool row_agrees[N_ROWS];

/* The first line where two logs part, for the report. */
static void print_first_difference(const char *got, const char *want)
{
    int line = 1;
    const char *g = got, *w = want;
    while (*g && *g == *w) {
        if (*g == '\n') {
            line++;
            got = g + 1;
            want = w + 1;
        }
        g++;
        w++;
    }
    printf("  first difference, line %d:\n  expected %.*s\n  got      %.*s\n", line,
           (int)strcspn(want, "\n"), want, (int)strcspn(got, "\n"), got);
}

static void run_rows(void)
{
    static script sc;
    static event_log log;
    for (size_t i = 0; i < N_ROWS; i++) {
        const rule_row *r = &rows[i];
        script_reset(&sc);
        r->script(&sc);
        mqttka_config cfg;
        mqttka_config_default(&cfg);
        if (r->configure)
            r->configure(&cfg);
        bool same = script_run_all_ways(r->name, &sc, &log, &cfg);
        CHECK(same);
        bool agrees = same && strcmp(log.text, r->expected) == 0;
        row_agrees[i] = agrees && !r->disagreement;
        if (r->disagreement) {
            if (agrees) {
                th_failed++;
                fprintf(stderr,
                        "row \"%s\": the core now gives the expected log; remove the "
                        "disagreement note\n",
                        r->name);
            } else {
                th_passed++;
                printf("row \"%s\": known disagreement: %s\n", r->name, r->disagreement);
                print_first_difference(log.text, r->expected);
            }
            continue;
        }
        if (agrees) {
            th_passed++;
        } else {
            th_failed++;
            fprintf(stderr, "row \"%s\": log differs\n--- expected\n%s--- got\n%s", r->name,
                    r->expected, log.text);
            print_first_difference(log.text, r->expected);
        }
    }
}

/* -------------------------------------------------------- coverage -- */

#define MAX_NAMES 128
#define NAME_MAX_LEN 64

typedef struct name_list {
    char name[MAX_NAMES][NAME_MAX_LEN];
    size_t n;
} name_list;

static bool list_has(const name_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->name[i], name) == 0)
            return true;
    return false;
}

static void list_add(name_list *l, const char *name, size_t len)
{
    char buf[NAME_MAX_LEN];
    if (len == 0 || len >= sizeof buf)
        return;
    memcpy(buf, name, len);
    buf[len] = '\0';
    if (list_has(l, buf))
        return;
    if (l->n == MAX_NAMES)
        abort();
    memcpy(l->name[l->n++], buf, len + 1);
}

/* A name as FINDINGS.md writes one: lower-case snake case. */
static size_t name_length(const char *p)
{
    if (!islower((unsigned char)*p))
        return 0;
    size_t n = 0;
    while (islower((unsigned char)p[n]) || isdigit((unsigned char)p[n]) || p[n] == '_')
        n++;
    return n;
}

/* The first cell of a table row ("| keepalive_negotiated | ... |"), plain,
 * in backticks or in bold: a finding kind, or a verdict when the cell says
 * "(verdict)", or both for "(verdict + finding)". The header and rule rows
 * name nothing. */
static void table_row_name(const char *line, name_list *kinds, name_list *verdicts)
{
    const char *p = line + 1;
    while (*p == ' ' || *p == '`' || *p == '*')
        p++;
    size_t n = name_length(p);
    if (!n)
        return;
    const char *end = p + n;
    while (*end == '`' || *end == '*')
        end++;
    while (*end == ' ')
        end++;
    if (*end != '|' && *end != '(')
        return; /* the cell is prose, not a name */
    if (n == 4 && strncmp(p, "kind", 4) == 0)
        return; /* the header */
    size_t cell = strcspn(end, "|");
    char note[256];
    snprintf(note, sizeof note, "%.*s", (int)cell, end);
    bool verdict = strstr(note, "verdict") != NULL;
    if (verdict)
        list_add(verdicts, p, n);
    if (!verdict || strstr(note, "finding"))
        list_add(kinds, p, n);
}

/* Names in bold or in backticks in a line of the verdict list. */
static void list_line_names(const char *line, name_list *verdicts)
{
    for (const char *p = line; *p; p++) {
        size_t mark = strncmp(p, "**", 2) == 0 ? 2 : *p == '`' ? 1 : 0;
        if (!mark)
            continue;
        const char *q = p + mark;
        size_t n = name_length(q);
        if (n && strncmp(q + n, p, mark) == 0)
            list_add(verdicts, q, n);
        /* skip to after the closing mark */
        const char *close = strstr(q, mark == 2 ? "**" : "`");
        if (!close)
            return;
        p = close + mark - 1;
    }
}

/* Reads FINDINGS.md: the first column of every table (finding kinds) and
 * the names of the numbered list under a heading that speaks of verdicts.
 * Returns false when the file cannot be read. */
static bool parse_findings_md(const char *path, name_list *kinds, name_list *verdicts)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", path);
        return false;
    }
    char line[4096];
    bool verdict_section = false, in_list = false;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') {
            char lower[sizeof line];
            size_t i = 0;
            for (; line[i]; i++)
                lower[i] = (char)tolower((unsigned char)line[i]);
            lower[i] = '\0';
            verdict_section = strstr(lower, "verdict") != NULL;
            in_list = false;
            continue;
        }
        if (line[0] == '|') {
            table_row_name(line, kinds, verdicts);
            continue;
        }
        if (!verdict_section)
            continue;
        if (isdigit((unsigned char)line[0])) {
            const char *p = line;
            while (isdigit((unsigned char)*p))
                p++;
            in_list = p[0] == '.' && p[1] == ' ';
        } else if (!(line[0] == ' ' || line[0] == '\t')) {
            in_list = false; /* a list item goes on in indented lines only */
        }
        if (in_list)
            list_line_names(line, verdicts);
    }
    fclose(f);
    return true;
}

/* Does an agreeing row's expected log hold "<prefix><name><one of ends>"? */
static bool covered(const char *prefix, const char *name, const char *ends)
{
    char needle[NAME_MAX_LEN + 32];
    snprintf(needle, sizeof needle, "%s%s", prefix, name);
    size_t len = strlen(needle);
    for (size_t i = 0; i < N_ROWS; i++) {
        if (!row_agrees[i])
            continue;
        for (const char *p = rows[i].expected; (p = strstr(p, needle)) != NULL; p++)
            if (p[len] && strchr(ends, p[len]))
                return true;
    }
    return false;
}

static void check_kind(const char *name, const char *from)
{
    if (covered(" finding ", name, " ")) {
        th_passed++;
    } else {
        th_failed++;
        fprintf(stderr, "coverage: finding kind %s (%s) has no row that shows it\n", name, from);
    }
}

static void check_verdict(const char *name, const char *from)
{
    if (covered(" verdict=", name, " \n")) {
        th_passed++;
    } else {
        th_failed++;
        fprintf(stderr, "coverage: verdict %s (%s) has no row that shows it\n", name, from);
    }
}

static void test_coverage(const char *findings_md)
{
    for (int k = 0; k < MQTTKA_F_COUNT; k++)
        check_kind(mqttka_finding_name((mqttka_finding_kind)k), "the core's kind table");
    for (int v = 0; v < MQTTKA_V_COUNT; v++)
        check_verdict(mqttka_verdict_name((mqttka_verdict)v), "the core's verdicts");

    static name_list kinds, verdicts;
    if (!findings_md) {
        th_failed++;
        fprintf(stderr, "coverage: give the path of docs/FINDINGS.md as the first argument\n");
        return;
    }
    CHECK(parse_findings_md(findings_md, &kinds, &verdicts));
    /* A parser that finds nothing would pass anything. */
    CHECK(kinds.n >= 10);
    CHECK(verdicts.n >= 5);
    for (size_t i = 0; i < kinds.n; i++)
        check_kind(kinds.name[i], "FINDINGS.md");
    for (size_t i = 0; i < verdicts.n; i++)
        check_verdict(verdicts.name[i], "FINDINGS.md");
    printf("coverage: FINDINGS.md names %zu kinds and %zu verdicts\n", kinds.n, verdicts.n);

    /* Not failures here, but worth a line: names one side has and the
     * other lacks. */
    for (int k = 0; k < MQTTKA_F_COUNT; k++) {
        const char *name = mqttka_finding_name((mqttka_finding_kind)k);
        if (!list_has(&kinds, name))
            printf("note: kind %s is in the core's table, not in FINDINGS.md\n", name);
    }
}

int main(int argc, char **argv)
{
    run_rows();
    test_coverage(argc > 1 ? argv[1] : NULL);
    return th_report();
}

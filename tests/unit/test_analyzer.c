/*
 * test_analyzer.c - the whole core, from TCP segments to findings and verdicts.
 *
 * Each case is a conversation (handshake, WebSocket frames, MQTT packets,
 * closes) with capture times; it is pushed three ways — every message in
 * one segment, byte by byte, and split in two at every offset — and the
 * three event logs must be identical. Then the log is checked for what the
 * rule under test must say (FINDINGS.md). Frame tags are message numbers,
 * so a split message keeps its tag.
 */
#include "analyzer.h"
#include "mqttka.h"
#include "segment_script.h"
#include "test_harness.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { C = SCRIPT_C, S = SCRIPT_S }; /* who sends */

static const uint8_t seed_connect[] = {0x10, 0x0c, 0x00, 0x04, 'M', 'Q', 'T', 'T',
                                       0x04, 0x02, 0x00, 0x05, 0x00, 0x00};
static const uint8_t connack_ok[] = {0x20, 0x02, 0x00, 0x00};
static const uint8_t pingreq[] = {0xc0, 0x00};
static const uint8_t pingresp[] = {0xd0, 0x00};
static const uint8_t disconnect[] = {0xe0, 0x00};
/* A SUBSCRIBE of "topic" (packet id 1, QoS 0), which is also, byte for
 * byte, an unmasked WebSocket binary frame; and its SUBACK. */
static const uint8_t subscribe[] = {0x82, 0x0a, 0x00, 0x01, 0x00, 0x05,
                                    't', 'o', 'p', 'i', 'c', 0x00};
static const uint8_t suback[] = {0x90, 0x03, 0x00, 0x01, 0x00};

/* --------------------------------------------------------------- cases -- */

static event_log lg;

/* An empty script of a connection joined late (its segments' starts
 * matter: the probe sees them) to `server_port`. */
static void late_script(script *sc, uint16_t server_port)
{
    memset(sc, 0, sizeof *sc);
    sc->segment_starts_matter = true;
    sc->server_port = server_port;
}

/* The seed: a healthy MQTT 3.1.1 session over WebSocket on port 1882. */
static void test_seed_healthy(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    script_ws_open(&sc);
    script_ws(&sc, C, 0.010, seed_connect, sizeof seed_connect);    /* 5 */
    script_ws(&sc, S, 0.011, connack_ok, sizeof connack_ok);        /* 6 */
    script_ws(&sc, C, 5.010, pingreq, sizeof pingreq);              /* 7 */
    script_ws(&sc, S, 5.011, pingresp, sizeof pingresp);            /* 8 */
    script_ws(&sc, C, 10.010, pingreq, sizeof pingreq);             /* 9 */
    script_ws(&sc, S, 10.012, pingresp, sizeof pingresp);           /* 10 */
    script_ws(&sc, C, 12.0, disconnect, sizeof disconnect);         /* 11 */
    script_add_flags(&sc, C, 12.001, MQTTKA_TCP_FIN);               /* 12 */
    script_add_flags(&sc, S, 12.002, MQTTKA_TCP_FIN);               /* 13 */
    CHECK(script_run_all_ways("seed_healthy", &sc, &lg, NULL));
    LOG_HAS(lg, "[4] #1 S>C handshake status=101 upgraded=1 path=\"/mqtt\"\n");
    LOG_HAS(lg, "[5] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n");
    LOG_HAS(lg, "[6] #1 S>C finding keepalive_negotiated info about=6 value=5.000\n");
    LOG_HAS(lg, "[7] #1 C>S PINGREQ silence=5.000\n");
    LOG_HAS(lg, "[8] #1 S>C PINGRESP rtt=0.001 pair=7\n");
    LOG_HAS(lg, "[10] #1 S>C PINGRESP rtt=0.002 pair=9\n");
    LOG_HAS(lg, "[11] #1 C>S DISCONNECT silence=1.990\n");
    LOG_HAS(lg, "[13] #1 summary 127.0.0.1:50000 -> 127.0.0.1:1882 websocket v=3.1.1 ka=5 ska=-1 "
                "kae=5 pingreq=2 pingresp=2 unanswered=0 close=client/mqtt_disconnect "
                "verdict=mqtt_disconnect");
    LOG_LACKS(lg, "warn");
    LOG_LACKS(lg, "error");
}

/* The client goes quiet; the server closes at 1.5 x keepalive. */
static void test_server_closes_silent_client(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    script_ws_open(&sc);
    script_ws(&sc, C, 0.010, seed_connect, sizeof seed_connect);
    script_ws(&sc, S, 0.011, connack_ok, sizeof connack_ok);
    script_ws(&sc, C, 5.0, pingreq, sizeof pingreq);                /* 7 */
    script_ws(&sc, S, 5.001, pingresp, sizeof pingresp);
    script_add_flags(&sc, S, 12.6, MQTTKA_TCP_FIN);                 /* 9: 7.6 s of silence */
    script_add_flags(&sc, C, 12.7, MQTTKA_TCP_FIN);
    CHECK(script_run_all_ways("server_closes_silent_client", &sc, &lg, NULL));
    LOG_HAS(lg, "[9] #1 C>S finding client_silent_over_keepalive warn about=9 value=7.600\n");
    LOG_LACKS(lg, "client_silent_over_1_5_keepalive"); /* 7.6 < 7.5 + tol */
    LOG_HAS(lg, "close=server/fin verdict=server_closed_keepalive");
}

/* The client is silent past 1.5 x keepalive and the server never closes. */
static void test_keepalive_not_enforced(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    script_ws_open(&sc);
    script_ws(&sc, C, 0.010, seed_connect, sizeof seed_connect);
    script_ws(&sc, S, 0.011, connack_ok, sizeof connack_ok);
    script_ws(&sc, C, 20.0, pingreq, sizeof pingreq);               /* 7: 20 s of silence */
    script_ws(&sc, S, 20.001, pingresp, sizeof pingresp);
    CHECK(script_run_all_ways("keepalive_not_enforced", &sc, &lg, NULL));
    LOG_HAS(lg, "[7] #1 C>S finding client_silent_over_keepalive warn about=7 value=19.990\n");
    LOG_HAS(lg, "[7] #1 C>S finding client_silent_over_1_5_keepalive error about=7 value=19.990\n");
    LOG_HAS(lg, "[7] #1 S>C finding server_keepalive_not_enforced warn about=7 value=19.990\n");
    LOG_HAS(lg, "verdict=open");
}

/* The broker freezes: the PINGREQ goes unanswered and the client closes
 * one keepalive later, as paho python does. */
static void test_broker_frozen(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    script_ws_open(&sc);
    script_ws(&sc, C, 0.010, seed_connect, sizeof seed_connect);
    script_ws(&sc, S, 0.011, connack_ok, sizeof connack_ok);
    script_ws(&sc, C, 5.0, pingreq, sizeof pingreq);                /* 7 */
    script_add_flags(&sc, C, 10.05, MQTTKA_TCP_FIN);                /* 8 */
    CHECK(script_run_all_ways("broker_frozen", &sc, &lg, NULL));
    /* Not at the client's close: the server could still answer until its
     * own side ends. The capture ends first (frame 0: the end of input). */
    LOG_LACKS(lg, "[8] #1 C>S finding pingreq_unanswered");
    LOG_HAS(lg, "[0] #1 C>S finding pingreq_unanswered error about=7 value=5.050\n");
    LOG_HAS(lg, "unanswered=1 close=client/fin verdict=client_closed_missing_pingresp");
}

/* A second PINGREQ overtakes an unanswered one (warn), then the client
 * resets the connection. */
static void test_pingreq_overtaken_then_reset(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    script_ws_open(&sc);
    script_ws(&sc, C, 0.010, seed_connect, sizeof seed_connect);
    script_ws(&sc, S, 0.011, connack_ok, sizeof connack_ok);
    script_ws(&sc, C, 5.0, pingreq, sizeof pingreq);                /* 7 */
    script_ws(&sc, C, 10.0, pingreq, sizeof pingreq);               /* 8 */
    script_add_flags(&sc, C, 20.0, MQTTKA_TCP_RST);                 /* 9: 15 s after the first */
    CHECK(script_run_all_ways("pingreq_overtaken", &sc, &lg, NULL));
    LOG_HAS(lg, "[8] #1 C>S finding pingreq_unanswered warn about=7 value=5.000\n");
    LOG_HAS(lg, "C>S finding pingreq_unanswered error about=7 value=15.000\n");
    LOG_HAS(lg, "C>S finding pingreq_unanswered error about=8 value=10.000\n");
    LOG_HAS(lg, "close=client/rst verdict=client_closed_missing_pingresp");
}

/* MQTT 5 over plain TCP on any port, with a Server Keep Alive, a late
 * PINGRESP, an unsolicited one, and the server's DISCONNECT 0x8D. */
static void test_mqtt5_tcp_server_keepalive(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    sc.server_port = 4242;
    script_tcp_open(&sc);
    static const uint8_t connect5[] = {0x10, 0x10, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02,
                                       0x00, 0x3c, /* ka 60 */ 0x03, 0x21, 0x00, 0x0a, /* props */
                                       0x00, 0x00};
    static const uint8_t connack5[] = {0x20, 0x06, 0x00, 0x00, 0x03, 0x13, 0x00, 0x14};
    static const uint8_t disconnect_8d[] = {0xe0, 0x02, 0x8d, 0x00};
    script_add(&sc, C, 0.01, connect5, sizeof connect5);            /* 3 */
    script_add(&sc, S, 0.02, connack5, sizeof connack5);            /* 4 */
    script_add(&sc, C, 20.0, pingreq, sizeof pingreq);              /* 5 */
    script_add(&sc, S, 35.0, pingresp, sizeof pingresp);            /* 6: 15 s later */
    script_add(&sc, S, 35.5, pingresp, sizeof pingresp);            /* 7: unsolicited */
    script_add(&sc, S, 70.0, disconnect_8d, sizeof disconnect_8d);  /* 8 */
    script_add_flags(&sc, S, 70.01, MQTTKA_TCP_FIN);
    CHECK(script_run_all_ways("mqtt5_tcp", &sc, &lg, NULL));
    LOG_HAS(lg, "[3] #1 C>S CONNECT level=5 ka=60");
    LOG_HAS(lg, "[4] #1 S>C CONNACK code=0 ska=20\n");
    LOG_HAS(lg, "[4] #1 S>C finding keepalive_negotiated info about=4 value=20.000\n");
    LOG_HAS(lg, "[4] #1 S>C finding keepalive_overridden info about=4 value=20.000\n");
    LOG_HAS(lg, "[6] #1 S>C finding pingresp_late warn about=6 value=15.000\n");
    LOG_HAS(lg, "[7] #1 S>C finding pingresp_unsolicited warn about=7\n");
    LOG_HAS(lg, "[8] #1 S>C DISCONNECT reason=0x8d\n");
    LOG_HAS(lg, "[8] #1 C>S finding client_silent_over_1_5_keepalive error about=8 value=50.000\n");
    LOG_HAS(lg, "tcp v=5.0 ka=60 ska=20 kae=20");
    LOG_HAS(lg, "close=server/mqtt_disconnect disconnect=0x8d verdict=mqtt_disconnect");
}

/* The client keeps its own keepalive although the server set a shorter one. */
static void test_server_keepalive_ignored(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    script_tcp_open(&sc);
    static const uint8_t connect5[] = {0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02,
                                       0x00, 0x0a, /* ka 10 */ 0x00, 0x00, 0x00};
    static const uint8_t connack5[] = {0x20, 0x06, 0x00, 0x00, 0x03, 0x13, 0x00, 0x03};
    script_add(&sc, C, 0.01, connect5, sizeof connect5);
    script_add(&sc, S, 0.02, connack5, sizeof connack5);
    script_add(&sc, C, 10.0, pingreq, sizeof pingreq);              /* 5 */
    script_add(&sc, S, 10.001, pingresp, sizeof pingresp);
    CHECK(script_run_all_ways("ska_ignored", &sc, &lg, NULL));
    LOG_HAS(lg, "[5] #1 C>S finding server_keepalive_ignored warn about=5 value=9.990\n");
    LOG_HAS(lg, "kae=3");
}

/* Transport hygiene: an unmasked client frame, a text frame, a framing
 * error, a WebSocket Ping never answered, a server PINGREQ, a Close. */
static void test_websocket_hygiene(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    script_ws_open(&sc);
    uint8_t buf[64];
    size_t n = script_ws_frame(buf, 0x82, false, seed_connect, sizeof seed_connect); /* unmasked */
    script_add(&sc, C, 0.01, buf, n);                                                  /* 5 */
    script_ws(&sc, S, 0.02, connack_ok, sizeof connack_ok);
    n = script_ws_frame(buf, 0x81, true, pingreq, sizeof pingreq);                     /* text */
    script_add(&sc, C, 1.0, buf, n);                                                   /* 7 */
    script_ws(&sc, S, 1.001, pingresp, sizeof pingresp);                               /* 8 */
    n = script_ws_frame(buf, 0x89, false, (const uint8_t *)"hb", 2);                   /* ping */
    script_add(&sc, S, 2.0, buf, n);                                                   /* 9 */
    script_ws(&sc, S, 3.0, pingreq, sizeof pingreq);                                   /* 10 */
    static const uint8_t publish[] = {0x30, 0x03, 0x00, 0x01, 'a'};
    n = script_ws_frame(buf, 0xc2, true, publish, sizeof publish);                     /* RSV1 */
    script_add(&sc, C, 4.0, buf, n);                                                   /* 11 */
    const uint8_t close_payload[] = {0x03, 0xe8, 'b', 'y', 'e'};
    n = script_ws_frame(buf, 0x88, true, close_payload, sizeof close_payload);
    script_add(&sc, C, 4.5, buf, n);                                                   /* 12 */
    script_add_flags(&sc, C, 4.6, MQTTKA_TCP_FIN);
    script_add_flags(&sc, S, 4.7, MQTTKA_TCP_FIN);
    CHECK(script_run_all_ways("ws_hygiene", &sc, &lg, NULL));
    LOG_HAS(lg, "[5] #1 C>S finding ws_mask_violation error about=5\n");
    LOG_HAS(lg, "[7] #1 C>S finding mqtt_in_text_frame error about=7\n");
    LOG_HAS(lg, "[8] #1 S>C PINGRESP rtt=0.001 pair=7\n");
    LOG_HAS(lg, "[9] #1 S>C ws ping len=2\n");
    LOG_HAS(lg, "[10] #1 S>C finding pingreq_from_server error about=10\n");
    LOG_HAS(lg, "[11] #1 C>S finding ws_framing_error error about=11\n[11] #1 C>S PUBLISH");
    LOG_HAS(lg, "[12] #1 C>S ws close len=5 code=1000\n");
    /* No Pong can come once the client has closed (its Close, frame 12). */
    LOG_HAS(lg, "[12] #1 S>C finding ws_ping_unanswered warn about=9 value=2.500\n");
    LOG_HAS(lg, "close=client/ws_close ws_close=1000 \"bye\" verdict=ws_close");
}

/* MQTT packets need not line up with frames (MQTT-6.0.0-2): a CONNECT split
 * over two frames, then two packets in one frame. */
static void test_packets_across_frames(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    script_ws_open(&sc);
    script_ws(&sc, C, 0.01, seed_connect, 5);                                  /* 5 */
    script_ws(&sc, C, 0.02, seed_connect + 5, sizeof seed_connect - 5);        /* 6 */
    uint8_t two[6];
    memcpy(two, connack_ok, 4);
    memcpy(two + 4, pingresp, 2);
    script_ws(&sc, S, 0.03, two, sizeof two);                                  /* 7 */
    CHECK(script_run_all_ways("across_frames", &sc, &lg, NULL));
    LOG_HAS(lg, "[6] #1 C>S CONNECT level=4 ka=5");
    LOG_HAS(lg, "[7] #1 S>C CONNACK code=0 ska=-1\n"
                "[7] #1 S>C finding keepalive_negotiated info about=7 value=5.000\n"
                "[7] #1 S>C PINGRESP\n"
                "[7] #1 S>C finding pingresp_unsolicited warn about=7\n");
}

/* One request longer than cfg's header cap (frame 3), then FINs from both
 * sides when `closed`, run every way into *out. */
static void run_long_request(const char *name, const char *request_text, bool closed,
                             const mqttka_config *cfg, event_log *out)
{
    static script sc;
    CHECK(strlen(request_text) > cfg->max_http_header_bytes);
    memset(&sc, 0, sizeof sc);
    script_tcp_open(&sc);
    script_add(&sc, C, 0.001, request_text, strlen(request_text));
    if (closed) {
        script_add_flags(&sc, C, 1.0, MQTTKA_TCP_FIN);
        script_add_flags(&sc, S, 1.1, MQTTKA_TCP_FIN);
    }
    CHECK(script_run_all_ways(name, &sc, out, cfg));
}

/* Handshakes that fail, and HTTP that is not ours. */
static void test_handshakes(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    script_tcp_open(&sc);
    script_add(&sc, C, 0.001, script_request, strlen(script_request));
    static const char not_found[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    script_add(&sc, S, 0.002, not_found, strlen(not_found));                   /* 4 */
    CHECK(script_run_all_ways("handshake_404", &sc, &lg, NULL));
    LOG_HAS(lg, "[4] #1 S>C handshake status=404 upgraded=0 path=\"/mqtt\"\n"
                "[4] #1 S>C finding ws_handshake_failed error about=4 value=404.000\n");

    memset(&sc, 0, sizeof sc);
    script_tcp_open(&sc);
    script_add(&sc, C, 0.001, script_request, strlen(script_request));                       /* 3 */
    script_add_flags(&sc, C, 30.0, MQTTKA_TCP_FIN);
    script_add_flags(&sc, S, 30.1, MQTTKA_TCP_FIN);
    CHECK(script_run_all_ways("handshake_unanswered", &sc, &lg, NULL));
    LOG_HAS(lg, "C>S finding ws_handshake_failed error about=3\n");
    LOG_HAS(lg, "verdict=client_closed id=");

    memset(&sc, 0, sizeof sc);
    script_tcp_open(&sc);
    static const char plain[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
    script_add(&sc, C, 0.001, plain, strlen(plain));
    script_add(&sc, S, 0.002, ok, strlen(ok));
    CHECK(script_run_all_ways("plain_http", &sc, &lg, NULL));
    CHECK_EQ_INT(lg.len, 0);

    /* A request longer than the header cap (a big cookie, say): one that
     * offers MQTT is reported (resource_limit, and its summary); one that
     * does not stays silent. */
    mqttka_config small;
    mqttka_config_default(&small);
    small.max_http_header_bytes = 128;
    static const char long_mqtt[] =
        "GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1:1882\r\nSec-WebSocket-Protocol: mqtt\r\n"
        "Cookie: session=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    run_long_request("request_over_cap", long_mqtt, true, &small, &lg);
    LOG_HAS(lg, "finding resource_limit warn");
    LOG_HAS(lg, "#1 summary 127.0.0.1:50000 -> 127.0.0.1:1882 websocket");

    static const char long_plain[] =
        "GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Version: 13\r\n\r\n";
    run_long_request("request_over_cap_not_mqtt", long_plain, false, &small, &lg);
    CHECK_EQ_INT(lg.len, 0);
}

/* The MQTT session script_ws_open would start, after the TCP handshake and
 * whatever plain HTTP a case sends first: the Upgrade and its 101 at `t`,
 * then CONNECT, CONNACK, a ping and a DISCONNECT with both FINs. */
static void upgrade_then_mqtt(script *sc, double t)
{
    script_add(sc, C, t, script_request, strlen(script_request));
    script_add(sc, S, t + 0.001, script_response_101, strlen(script_response_101));
    script_ws(sc, C, t + 0.01, seed_connect, sizeof seed_connect);
    script_ws(sc, S, t + 0.011, connack_ok, sizeof connack_ok);
    script_ws(sc, C, t + 2.0, pingreq, sizeof pingreq);
    script_ws(sc, S, t + 2.001, pingresp, sizeof pingresp);
    script_ws(sc, C, t + 3.0, disconnect, sizeof disconnect);
    script_add_flags(sc, C, t + 3.001, MQTTKA_TCP_FIN);
    script_add_flags(sc, S, t + 3.002, MQTTKA_TCP_FIN);
}

/* Counts of the script run once: `mqtt` connections analysed, `http` not. */
static void check_counts(const script *sc, const mqttka_config *cfg, uint64_t mqtt, uint64_t http)
{
    mqttka_counts c;
    CHECK(script_counts(sc, cfg, &c));
    CHECK_EQ_INT(c.tcp_connections, 1);
    CHECK_EQ_INT(c.mqtt_connections, mqtt);
    CHECK_EQ_INT(c.not_analysed[MQTTKA_NA_HTTP], http);
}

/* An HTTP Upgrade after plain requests on a keep-alive connection (RFC 7230
 * §6.3, issue 18): the plain exchanges are read past, their bodies skipped
 * by Content-Length or chunked framing, and the WebSocket after them is
 * decoded; a connection whose answer has no length, or that carries more
 * plain requests than the core follows, is given up as plain HTTP. */
static void test_upgrade_after_plain_requests(void)
{
    static script sc;
    static const char get_health[] = "GET /health HTTP/1.1\r\nHost: b\r\n\r\n";
    static const char ok_length[] =
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 21\r\n\r\n";
    static const char body_part1[] = "ok: aedes ";
    static const char body_part2[] = "behind!\r\n\r\n"; /* 11 bytes: a body may hold CRLFs */
    static const char head_req[] = "HEAD /big HTTP/1.1\r\nHost: b\r\n\r\n";
    static const char head_ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n";
    static const char post[] = "POST /form HTTP/1.1\r\nHost: b\r\nContent-Length: 3\r\n\r\na=b";
    static const char no_content[] = "HTTP/1.1 204 No Content\r\n\r\n";
    static const char get_chunked[] = "GET /chunked HTTP/1.1\r\nHost: b\r\n\r\n";
    static const char ok_chunked[] =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "c\r\nfirst chunk\n\r\n"
        "D;name=value\r\nsecond chunk\n\r\n"
        "0\r\nX-Trailer: 1\r\n\r\n";

    /* Content-Length (the body in a segment of its own, and cut), HEAD, a
     * request body, then chunked with an extension and a trailer. */
    memset(&sc, 0, sizeof sc);
    script_tcp_open(&sc);
    script_add(&sc, C, 0.001, get_health, strlen(get_health));          /* 3 */
    script_add(&sc, S, 0.002, ok_length, strlen(ok_length));            /* 4 */
    script_add(&sc, S, 0.003, body_part1, strlen(body_part1));          /* 5 */
    script_add(&sc, S, 0.004, body_part2, strlen(body_part2));          /* 6 */
    script_add(&sc, C, 0.1, head_req, strlen(head_req));                /* 7 */
    script_add(&sc, S, 0.101, head_ok, strlen(head_ok));                /* 8 */
    script_add(&sc, C, 0.2, post, strlen(post));                        /* 9 */
    script_add(&sc, S, 0.201, no_content, strlen(no_content));          /* 10 */
    script_add(&sc, C, 0.3, get_chunked, strlen(get_chunked));          /* 11 */
    script_add(&sc, S, 0.301, ok_chunked, strlen(ok_chunked));          /* 12 */
    upgrade_then_mqtt(&sc, 0.5);                                        /* 13.. */
    CHECK(script_run_all_ways("upgrade_after_plain", &sc, &lg, NULL));
    LOG_HAS(lg, "[14] #1 S>C handshake status=101 upgraded=1 path=\"/mqtt\"\n");
    LOG_HAS(lg, "[15] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n");
    LOG_HAS(lg, "[18] #1 S>C PINGRESP rtt=0.001 pair=17\n");
    LOG_HAS(lg, "close=client/mqtt_disconnect verdict=mqtt_disconnect");
    LOG_LACKS(lg, "warn");
    LOG_LACKS(lg, "error");
    check_counts(&sc, NULL, 1, 0);

    /* The client's CONNECT written behind its Upgrade request, in the same
     * segment, before the 101: decoded once the 101 comes. */
    memset(&sc, 0, sizeof sc);
    script_tcp_open(&sc);
    script_add(&sc, C, 0.001, get_health, strlen(get_health));          /* 3 */
    script_add(&sc, S, 0.002, ok_length, strlen(ok_length));            /* 4 */
    script_add(&sc, S, 0.003, "ok: aedes behind ws\r\n", 21);           /* 5 */
    uint8_t early[512];
    size_t req_len = strlen(script_request);
    memcpy(early, script_request, req_len);
    size_t n = script_ws_frame(early + req_len, 0x82, true, seed_connect, sizeof seed_connect);
    script_add(&sc, C, 0.1, early, req_len + n);                        /* 6 */
    script_add(&sc, S, 0.101, script_response_101, strlen(script_response_101)); /* 7 */
    script_ws(&sc, S, 0.102, connack_ok, sizeof connack_ok);            /* 8 */
    script_ws(&sc, C, 1.0, disconnect, sizeof disconnect);              /* 9 */
    CHECK(script_run_all_ways("connect_behind_upgrade", &sc, &lg, NULL));
    LOG_HAS(lg, "[7] #1 S>C handshake status=101 upgraded=1 path=\"/mqtt\"\n");
    LOG_HAS(lg, "[6] #1 C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n");
    LOG_HAS(lg, "[9] #1 C>S DISCONNECT");
    check_counts(&sc, NULL, 1, 0);

    /* An answer without a length ends with its connection (RFC 7230
     * §3.3.3 item 7): nothing can follow it, and the connection is given
     * up as plain HTTP, silently, even if an Upgrade did follow. */
    static const char ok_until_close[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nbody";
    memset(&sc, 0, sizeof sc);
    script_tcp_open(&sc);
    script_add(&sc, C, 0.001, get_health, strlen(get_health));
    script_add(&sc, S, 0.002, ok_until_close, strlen(ok_until_close));
    upgrade_then_mqtt(&sc, 0.5);
    CHECK(script_run_all_ways("answer_until_close", &sc, &lg, NULL));
    CHECK_EQ_INT(lg.len, 0);
    check_counts(&sc, NULL, 0, 1);

    /* So is a Connection: close, a Transfer-Encoding not ending in chunked
     * and broken chunked framing. */
    static const char *const ends[][2] = {
        {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
        {"GET / HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"},
        {"GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz"},
        {"GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"},
        {"GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nx"},
    };
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
        memset(&sc, 0, sizeof sc);
        script_tcp_open(&sc);
        script_add(&sc, C, 0.001, ends[i][0], strlen(ends[i][0]));
        script_add(&sc, S, 0.002, ends[i][1], strlen(ends[i][1]));
        upgrade_then_mqtt(&sc, 0.5);
        CHECK(script_run_all_ways("plain_exchange_ends_connection", &sc, &lg, NULL));
        CHECK_EQ_INT(lg.len, 0);
        check_counts(&sc, NULL, 0, 1);
    }

    /* Eight plain requests are followed; a ninth gives the connection up. */
    for (int plain = 8; plain <= 9; plain++) {
        memset(&sc, 0, sizeof sc);
        script_tcp_open(&sc);
        for (int i = 0; i < plain; i++) {
            script_add(&sc, C, 0.01 * (i + 1), get_health, strlen(get_health));
            script_add(&sc, S, 0.01 * (i + 1) + 0.001, no_content, strlen(no_content));
        }
        upgrade_then_mqtt(&sc, 0.5);
        CHECK(script_run_all_ways("plain_requests_cap", &sc, &lg, NULL));
        if (plain == 8) {
            LOG_HAS(lg, "verdict=mqtt_disconnect");
            check_counts(&sc, NULL, 1, 0);
        } else {
            CHECK_EQ_INT(lg.len, 0);
            check_counts(&sc, NULL, 0, 1);
        }
    }
}

/* The connection's strings are cut where their fixed arrays used to end:
 * the client id at 47 bytes with "...", the server's subprotocol at 31 and
 * its extensions at 63; none of them is ever NULL. */
static void test_connection_strings(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    script_tcp_open(&sc);
    script_add(&sc, C, 0.001, script_request, strlen(script_request));
    static const char answer[] =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
        "Sec-WebSocket-Protocol: mqtt-0123456789012345678901234567890123456789\r\n"
        "Sec-WebSocket-Extensions: x-0123456789012345678901234567890123456789"
        "012345678901234567890123456789\r\n\r\n";
    script_add(&sc, S, 0.002, answer, strlen(answer));
    uint8_t connect[14 + 58] = {0x10, 70, 0x00, 0x04, 'M', 'Q', 'T', 'T',
                                0x04, 0x02, 0x00, 0x05, 0x00, 58};
    memset(connect + 14, 'c', 58);
    script_ws(&sc, C, 0.01, connect, 14 + 58);
    script_ws(&sc, S, 0.02, connack_ok, sizeof connack_ok);
    CHECK(script_run_all_ways("connection_strings", &sc, &lg, NULL));
    LOG_HAS(lg, " id=\"cccccccccccccccccccccccccccccccccccccccccccc...\""
            " sub=\"mqtt-01234567890123456789012345\""
            " ext=\"x-0123456789012345678901234567890123456789012345678901234567890\"\n");

    /* Nothing known: empty strings, not NULL. */
    memset(&sc, 0, sizeof sc);
    script_tcp_open(&sc);
    script_add(&sc, C, 0.001, seed_connect, sizeof seed_connect);
    CHECK(script_run_all_ways("connection_strings_empty", &sc, &lg, NULL));
    LOG_HAS(lg, " id=\"\" sub=\"\" ext=\"\"\n");
}

/* The capture misses bytes the receiver acknowledged: a gap; the silence
 * around it is not judged, the PINGRESP of the lost PINGREQ is no more than
 * info, and decoding resumes at the next segment that proves a packet
 * boundary, where the gap is reported with what was missed. */
static void test_capture_gap(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    script_ws_open(&sc);
    sc.segment_starts_matter = true;
    script_ws(&sc, C, 0.010, seed_connect, sizeof seed_connect);
    script_ws(&sc, S, 0.011, connack_ok, sizeof connack_ok);
    script_ws(&sc, C, 5.0, pingreq, sizeof pingreq);                           /* 7 */
    sc.m[sc.n - 1].lost = true;
    script_ws(&sc, S, 5.001, pingresp, sizeof pingresp);                       /* 8: ACKs it */
    script_ws(&sc, C, 20.0, pingreq, sizeof pingreq);                          /* 9 */
    script_ws(&sc, S, 20.001, pingresp, sizeof pingresp);                      /* 10 */
    script_add_flags(&sc, C, 22.0, MQTTKA_TCP_FIN);
    CHECK(script_run_all_ways("capture_gap", &sc, &lg, NULL));
    LOG_HAS(lg, "[8] #1 S>C finding pingresp_unsolicited info about=8\n");
    LOG_HAS(lg, "[9] #1 C>S finding capture_gap info about=8 value=8.000\n");
    LOG_HAS(lg, "[9] #1 C>S PINGREQ\n"); /* decoded again past the hole; no silence across it */
    LOG_LACKS(lg, "client_silent");                      /* the silence around it is not judged */
    LOG_HAS(lg, "[10] #1 S>C PINGRESP rtt=0.001 pair=9\n");
    LOG_HAS(lg, "pingreq=1 pingresp=2 unanswered=0 close=client/fin verdict=client_closed ");
}

/* A WebSocket of another protocol joined late: the server's unmasked binary
 * frames of under 126 bytes are, byte for byte, MQTT SUBSCRIBEs (0x82, a
 * length, a body), so three in a row once made it MQTT over TCP. Segments
 * of SUBSCRIBEs alone prove nothing either way: no connection. A client
 * joined late that subscribes between its pings is still found, and its
 * SUBSCRIBE, kept with the proving run, decoded. */
static void test_late_websocket_binary_not_subscribe(void)
{
    static script sc;
    late_script(&sc, 8080);
    static const uint8_t frame[] = {0x82, 0x08, 'n', 'o', 't', ' ', 'm', 'q', 't', 't'};
    for (int i = 0; i < 6; i++)
        script_add(&sc, S, 1.0 * i, frame, sizeof frame);
    CHECK(script_run_all_ways("late_websocket_binary", &sc, &lg, NULL));
    LOG_LACKS(lg, "#1");

    late_script(&sc, 1883);
    script_add(&sc, C, 0.0, pingreq, sizeof pingreq);
    script_add(&sc, C, 1.0, subscribe, sizeof subscribe);
    script_add(&sc, C, 5.0, pingreq, sizeof pingreq);
    script_add(&sc, C, 10.0, pingreq, sizeof pingreq);
    CHECK(script_run_all_ways("late_tcp_subscribe", &sc, &lg, NULL));
    LOG_HAS(lg, "[2] #1 C>S SUBSCRIBE"); /* kept from the proving run, decoded */
    LOG_HAS(lg, "[4] #1 C>S PINGREQ");
    LOG_HAS(lg, "#1 summary 127.0.0.1:50000 -> 127.0.0.1:1883 tcp");
}

/* A server joined late that fills its segments: 1 ends inside a PUBLISH
 * that 2 finishes before a whole one. Neither segment is whole packets on
 * its own, but together they are, from a packet boundary to a segment's
 * end: one proof, and the packets of both are decoded (a capture of a
 * broker's burst cut mid-connection lost them all before). Then 3-4 a ping
 * and its answer. A chain that 2 does not finish proves nothing, and 1's
 * packets are not decoded. */
static void test_late_chain_across_segments(void)
{
    static script sc;
    uint8_t publish[40] = {0x30, 38, 0x00, 0x05, 't', 'o', 'p', 'i', 'c'};
    memset(publish + 9, 'p', sizeof publish - 9);
    uint8_t first[sizeof publish + 25], second[sizeof publish - 25 + sizeof publish];
    memcpy(first, publish, sizeof publish);
    memcpy(first + sizeof publish, publish, 25);                 /* ends inside the 2nd */
    memcpy(second, publish + 25, sizeof publish - 25);
    memcpy(second + sizeof publish - 25, publish, sizeof publish);

    late_script(&sc, 1883);
    script_add(&sc, S, 0.0, first, sizeof first);                 /* 1 */
    script_add(&sc, S, 0.001, second, sizeof second);             /* 2 */
    script_add(&sc, C, 5.0, pingreq, sizeof pingreq);             /* 3 */
    script_add(&sc, S, 5.001, pingresp, sizeof pingresp);         /* 4 */
    CHECK(script_run_all_ways("late_chain", &sc, &lg, NULL));
    LOG_HAS(lg, "[1] #1 S>C PUBLISH");
    LOG_HAS(lg, "[2] #1 S>C PUBLISH");
    LOG_HAS(lg, "[4] #1 S>C PINGRESP");
    LOG_HAS(lg, "#1 summary 127.0.0.1:50000 -> 127.0.0.1:1883 tcp");
    mqttka_counts counts;
    CHECK(script_counts(&sc, NULL, &counts));
    CHECK(counts.mqtt_connections == 1);

    /* 2's first bytes finish the packet, but what follows is no packet. */
    second[sizeof publish - 25] = 0x00;
    late_script(&sc, 1883);
    script_add(&sc, S, 0.0, first, sizeof first);                 /* 1 */
    script_add(&sc, S, 0.001, second, sizeof second);             /* 2 */
    script_add(&sc, C, 5.0, pingreq, sizeof pingreq);             /* 3 */
    script_add(&sc, S, 5.001, pingresp, sizeof pingresp);         /* 4 */
    script_add(&sc, C, 10.0, pingreq, sizeof pingreq);            /* 5 */
    CHECK(script_run_all_ways("late_chain_broken", &sc, &lg, NULL));
    LOG_LACKS(lg, "[1] #1 S>C PUBLISH");
    LOG_LACKS(lg, "[2] #1 S>C PUBLISH");
    LOG_HAS(lg, "[5] #1 C>S PINGREQ");

    /* 2 lost: a hole ends the chain, though 3's first bytes would finish
     * 1's packet by their count (and 1 glued to them would decode). */
    uint8_t third[25 + sizeof publish];
    memset(third, 'x', 25);
    memcpy(third + 25, publish, sizeof publish);
    late_script(&sc, 1883);
    memcpy(second, publish + 25, sizeof publish - 25);
    script_add(&sc, S, 0.0, first, sizeof first);                 /* 1 */
    script_add(&sc, S, 0.001, second, sizeof second);             /* 2 */
    sc.m[sc.n - 1].lost = true;
    script_add(&sc, C, 0.002, pingreq, sizeof pingreq);           /* 3: ACKs 2 */
    script_add(&sc, S, 0.003, third, sizeof third);               /* 4 */
    script_add(&sc, S, 5.001, pingresp, sizeof pingresp);         /* 5 */
    script_add(&sc, C, 10.0, pingreq, sizeof pingreq);            /* 6 */
    script_add(&sc, S, 10.001, pingresp, sizeof pingresp);        /* 7 */
    CHECK(script_run_all_ways("late_chain_hole", &sc, &lg, NULL));
    LOG_LACKS(lg, "[1] #1 S>C PUBLISH");
    LOG_LACKS(lg, "[4] #1 S>C PUBLISH");
    LOG_HAS(lg, "[7] #1 S>C PINGRESP");
}

/* A PUBLISH of QoS 1 (packet id 1) with a 9000-byte Remaining Length,
 * more than the probe keeps (KEPT_BYTES), its topic name `topic` (`n`
 * bytes), its payload bytes 0xab (no MQTT first byte: no chain of packets
 * of its own). Written to big_pub; returns its size. */
static uint8_t big_pub[9003 + 8];
static size_t big_publish(const uint8_t *topic, size_t n)
{
    const size_t remaining = 9000;
    big_pub[0] = 0x32;
    big_pub[1] = (uint8_t)(0x80 | (remaining & 0x7f));
    big_pub[2] = (uint8_t)(remaining >> 7);
    big_pub[3] = 0x00;
    big_pub[4] = (uint8_t)n;
    memcpy(big_pub + 5, topic, n);
    big_pub[5 + n] = 0x00;
    big_pub[6 + n] = 0x01;
    memset(big_pub + 7 + n, 0xab, 3 + remaining - (7 + n));
    return 3 + remaining;
}

/* A late-joined client on port 1883 that sends a PUBLISH larger than the
 * probe keeps, over segments 1-3 (the first starts with it; the last ends
 * exactly at its end), then the server's PUBACK and a ping: the probe
 * follows the PUBLISH by counting its body (its topic a name, its end at a
 * segment's end), the PUBACK and the PINGREQ are the proofs of each side,
 * and the PUBLISH is decoded and counted with the packets after it (the
 * run was given up at 1 before: suricata-verify's mqtt-connect-rules cut
 * mid-connection lost it and every packet before the next two proofs). */
static void test_late_big_publish(void)
{
    static script sc;
    static const uint8_t puback[] = {0x40, 0x02, 0x00, 0x01};
    static const uint8_t name[] = {'t', 'o', 'p', 'i', 'c'};
    size_t n = big_publish(name, sizeof name);
    late_script(&sc, 1883);
    script_add(&sc, C, 0.0, big_pub, 4000);                       /* 1 */
    script_add(&sc, C, 0.001, big_pub + 4000, 4000);              /* 2 */
    script_add(&sc, C, 0.002, big_pub + 8000, n - 8000);          /* 3 */
    script_add(&sc, S, 0.003, puback, sizeof puback);             /* 4 */
    script_add(&sc, C, 5.0, pingreq, sizeof pingreq);             /* 5 */
    script_add(&sc, S, 5.001, pingresp, sizeof pingresp);         /* 6 */
    CHECK(script_run_all_ways("late_big_publish", &sc, &lg, NULL));
    LOG_HAS(lg, "[3] #1 C>S PUBLISH");
    LOG_LACKS(lg, "[1] #1 C>S PUBLISH");
    LOG_HAS(lg, "[4] #1 S>C PUBACK");
    LOG_HAS(lg, "[5] #1 C>S PINGREQ");
    LOG_HAS(lg, "[6] #1 S>C PINGRESP");
    LOG_LACKS(lg, "capture_gap");
    LOG_LACKS(lg, "malformed");
    mqttka_counts counts;
    CHECK(script_counts(&sc, NULL, &counts));
    CHECK(counts.mqtt_connections == 1);

    /* The same PUBLISH in segments of 1448 bytes, 7 of them, more than the
     * probe keeps places for (KEPT_SEGMENTS): those that are all body take
     * none. */
    late_script(&sc, 1883);
    for (size_t at = 0; at < n; at += 1448)                       /* 1-7 */
        script_add(&sc, C, 0.0001 * (double)(at / 1448), big_pub + at,
                   n - at < 1448 ? n - at : 1448);
    script_add(&sc, S, 0.003, puback, sizeof puback);             /* 8 */
    script_add(&sc, C, 5.0, pingreq, sizeof pingreq);             /* 9 */
    script_add(&sc, S, 5.001, pingresp, sizeof pingresp);         /* 10 */
    CHECK(script_run_all_ways("late_big_publish_mss", &sc, &lg, NULL));
    LOG_HAS(lg, "[7] #1 C>S PUBLISH");
    LOG_HAS(lg, "[8] #1 S>C PUBACK");
    LOG_HAS(lg, "[9] #1 C>S PINGREQ");
    LOG_LACKS(lg, "capture_gap");

    /* The PUBLISH's last segment goes on with a PINGREQ: the chain is the
     * client's proof, the PUBACK the server's. */
    uint8_t last[1003 + sizeof pingreq];
    memcpy(last, big_pub + 8000, n - 8000);
    memcpy(last + (n - 8000), pingreq, sizeof pingreq);
    late_script(&sc, 1883);
    script_add(&sc, C, 0.0, big_pub, 4000);                       /* 1 */
    script_add(&sc, C, 0.001, big_pub + 4000, 4000);              /* 2 */
    script_add(&sc, C, 0.002, last, sizeof last);                 /* 3 */
    script_add(&sc, S, 0.003, puback, sizeof puback);             /* 4 */
    script_add(&sc, S, 0.004, pingresp, sizeof pingresp);         /* 5 */
    CHECK(script_run_all_ways("late_big_publish_chain", &sc, &lg, NULL));
    LOG_HAS(lg, "[3] #1 C>S PUBLISH");
    LOG_HAS(lg, "[3] #1 C>S PINGREQ");
    LOG_HAS(lg, "[4] #1 S>C PUBACK");
    LOG_HAS(lg, "[5] #1 S>C PINGRESP");
    LOG_LACKS(lg, "capture_gap");

    /* Must not: the PUBLISH's end is not a segment's end (a byte after it
     * that starts no packet): the chain breaks, and the run starts at the
     * PUBACK. */
    last[n - 8000] = 0xab;
    late_script(&sc, 1883);
    script_add(&sc, C, 0.0, big_pub, 4000);                       /* 1 */
    script_add(&sc, C, 0.001, big_pub + 4000, 4000);              /* 2 */
    script_add(&sc, C, 0.002, last, n - 8000 + 1);                /* 3 */
    script_add(&sc, S, 0.003, puback, sizeof puback);             /* 4 */
    script_add(&sc, C, 5.0, pingreq, sizeof pingreq);             /* 5 */
    script_add(&sc, S, 5.001, pingresp, sizeof pingresp);         /* 6 */
    CHECK(script_run_all_ways("late_big_publish_unended", &sc, &lg, NULL));
    LOG_LACKS(lg, "C>S PUBLISH");
    LOG_HAS(lg, "[4] #1 S>C PUBACK");
    LOG_HAS(lg, "[5] #1 C>S PINGREQ");

    /* Must not: the same lengths, but what stands where the topic name
     * would be is binary (a control character, a byte no UTF-8 has, NUL),
     * as in random bytes that declare a large length: not followed. */
    static const uint8_t binary[] = {'t', 0x01, 0xff, 0x00, 'c'};
    n = big_publish(binary, sizeof binary);
    late_script(&sc, 1883);
    script_add(&sc, C, 0.0, big_pub, 4000);                       /* 1 */
    script_add(&sc, C, 0.001, big_pub + 4000, 4000);              /* 2 */
    script_add(&sc, C, 0.002, big_pub + 8000, n - 8000);          /* 3 */
    script_add(&sc, S, 0.003, puback, sizeof puback);             /* 4 */
    script_add(&sc, C, 5.0, pingreq, sizeof pingreq);             /* 5 */
    script_add(&sc, S, 5.001, pingresp, sizeof pingresp);         /* 6 */
    CHECK(script_run_all_ways("late_big_publish_binary_topic", &sc, &lg, NULL));
    LOG_LACKS(lg, "C>S PUBLISH");
    LOG_HAS(lg, "[4] #1 S>C PUBACK");
    LOG_HAS(lg, "[5] #1 C>S PINGREQ");

    /* Must not: both sides declare a large PUBLISH that ends exactly at a
     * segment's end, and send nothing else. A length that ends where a
     * segment does is the one boundary it names, no proof: not MQTT. */
    n = big_publish(name, sizeof name);
    late_script(&sc, 1883);
    script_add(&sc, C, 0.0, big_pub, 4000);                       /* 1 */
    script_add(&sc, C, 0.001, big_pub + 4000, 4000);              /* 2 */
    script_add(&sc, C, 0.002, big_pub + 8000, n - 8000);          /* 3 */
    script_add(&sc, S, 0.003, big_pub, 4000);                     /* 4 */
    script_add(&sc, S, 0.004, big_pub + 4000, 4000);              /* 5 */
    script_add(&sc, S, 0.005, big_pub + 8000, n - 8000);          /* 6 */
    CHECK(script_run_all_ways("late_big_publish_lengths_only", &sc, &lg, NULL));
    CHECK(script_counts(&sc, NULL, &counts));
    CHECK(counts.mqtt_connections == 0);
}

/* suricata-verify's mqtt-midstream-split (tests/mqtt-midstream-split,
 * 10a45e4b), joined late: the broker sends its CONNACK's first byte alone
 * (1), then the rest of it (2: MQTT 5, an assigned client id), bytes
 * copied from the capture; the client a PUBLISH over segments 3-5 (this
 * one of big_publish, a segment of the capture holds at most 4 kB; the
 * last ends exactly at its end), then its DISCONNECT (6). A segment that
 * ends inside a fixed header is read on into the side's next one, and 1-2
 * make one proof as the CONNACK whole would: with the DISCONNECT, one from
 * each side on port 1883, the connection is MQTT and all three packets
 * are decoded (nothing was before: 1 broke the run, 2 reads as no packet).
 * Not so when 2 does not end where the joined header says. */
static void test_late_split_fixed_header(void)
{
    static script sc;
    static const uint8_t connack_head[] = {0x20};
    static const uint8_t connack_rest[] = {
        0x32, 0x00, 0x00, 0x2f, 0x22, 0x00, 0x0a, 0x12, 0x00, 0x29, 'a', 'u', 't',
        'o',  '-',  '1',  'B',  '4',  '3',  'E',  '8',  '0',  '0',  '-',  '0', '8',
        'E',  '3',  '-',  '3',  'B',  'A',  '1',  '-',  '2',  'E',  '9',  '7', '-',
        'E',  '9',  'A',  '0',  'B',  '4',  '0',  '6',  '4',  'B',  'F',  '5'};
    static const uint8_t name[] = {'t', 'o', 'p', 'i', 'c', 'X'};
    size_t n = big_publish(name, sizeof name);
    late_script(&sc, 1883);
    script_add(&sc, S, 0.0, connack_head, sizeof connack_head);   /* 1 */
    script_add(&sc, S, 0.0001, connack_rest, sizeof connack_rest); /* 2 */
    script_add(&sc, C, 0.0002, big_pub, 4000);                    /* 3 */
    script_add(&sc, C, 0.0003, big_pub + 4000, 4000);             /* 4 */
    script_add(&sc, C, 0.0004, big_pub + 8000, n - 8000);         /* 5 */
    script_add(&sc, C, 0.0005, disconnect, sizeof disconnect);    /* 6 */
    CHECK(script_run_all_ways("late_split_header", &sc, &lg, NULL));
    LOG_HAS(lg, "[2] #1 S>C CONNACK");
    LOG_HAS(lg, "[5] #1 C>S PUBLISH");
    LOG_HAS(lg, "[6] #1 C>S DISCONNECT");
    LOG_LACKS(lg, "capture_gap");
    LOG_LACKS(lg, "malformed");
    mqttka_counts counts;
    CHECK(script_counts(&sc, NULL, &counts));
    CHECK(counts.mqtt_connections == 1);

    /* A PUBLISH's header cut after its first byte and again inside its
     * Remaining Length (1, 2: 200 bytes, two length bytes): the head grows
     * over a segment, 3 finishes it and the packet, then the server's
     * PUBACK, a proof from each side. */
    static const uint8_t puback[] = {0x40, 0x02, 0x00, 0x01};
    uint8_t publish[203] = {0x32, 0xc8, 0x01, 0x00, 0x06, 't', 'o', 'p', 'i', 'c', 'X', 0x00, 0x01};
    memset(publish + 13, 0xab, sizeof publish - 13);
    late_script(&sc, 1883);
    script_add(&sc, C, 0.0, publish, 1);                          /* 1 */
    script_add(&sc, C, 0.0001, publish + 1, 1);                   /* 2 */
    script_add(&sc, C, 0.0002, publish + 2, sizeof publish - 2);  /* 3 */
    script_add(&sc, S, 0.0003, puback, sizeof puback);            /* 4 */
    script_add(&sc, C, 5.0, pingreq, sizeof pingreq);             /* 5 */
    script_add(&sc, S, 5.001, pingresp, sizeof pingresp);         /* 6 */
    CHECK(script_run_all_ways("late_split_header_length", &sc, &lg, NULL));
    LOG_HAS(lg, "[3] #1 C>S PUBLISH");
    LOG_HAS(lg, "[4] #1 S>C PUBACK");
    LOG_HAS(lg, "[6] #1 S>C PINGRESP");
    LOG_LACKS(lg, "capture_gap");

    /* Must not: 2 one byte short of what the joined header declares (the
     * capture's 1 glued to a segment that is no CONNACK's rest): no proof
     * from the server, the client's DISCONNECT alone is not MQTT. */
    late_script(&sc, 1883);
    script_add(&sc, S, 0.0, connack_head, sizeof connack_head);       /* 1 */
    script_add(&sc, S, 0.0001, connack_rest, sizeof connack_rest - 1); /* 2 */
    script_add(&sc, C, 0.0002, big_pub, 4000);                        /* 3 */
    script_add(&sc, C, 0.0003, big_pub + 4000, 4000);                 /* 4 */
    script_add(&sc, C, 0.0004, big_pub + 8000, n - 8000);             /* 5 */
    script_add(&sc, C, 0.0005, disconnect, sizeof disconnect);        /* 6 */
    CHECK(script_run_all_ways("late_split_header_short", &sc, &lg, NULL));
    CHECK(script_counts(&sc, NULL, &counts));
    CHECK(counts.mqtt_connections == 0);
}

/* suricata-verify's mqtt-midstream-split cut after the CONNACK: the
 * client's PUBLISH over segments 1-3 (big_publish: the capture's holds a
 * JPEG, 35767 bytes), its DISCONNECT with its FIN (5), the server's ACKs
 * (4, 6) and FIN (7), and no byte of the server's. The probe's run is one
 * proof short, but a client's DISCONNECT and FIN after segments of its side
 * that are all the run's (a PUBLISH followed to its end) are a client's
 * last words no less than the DISCONNECT alone (test_late_lone_disconnect):
 * MQTT, both packets decoded. Not so when a segment before it is not the
 * run's (bytes that start no packet), nor when the server sent data. */
static void test_late_disconnect_after_run(void)
{
    static script sc;
    static const uint8_t name[] = {'t', 'o', 'p', 'i', 'c', 'X'};
    static const uint8_t other[] = {'o', 'k'};
    size_t n = big_publish(name, sizeof name);
    for (int k = 0; k < 3; k++) {
        late_script(&sc, 1883);
        script_add(&sc, C, 0.0, big_pub, 4000);                        /* 1 */
        script_add(&sc, C, 0.00001, big_pub + 4000, 4000);             /* 2 */
        script_add(&sc, C, 0.00002, big_pub + 8000, n - 8000);         /* 3 */
        script_add_flags(&sc, S, 0.00003, 0);                          /* 4 */
        if (k == 1)
            script_add(&sc, C, 0.000035, other, sizeof other);         /* 4b: not the run's */
        if (k == 2)
            script_add(&sc, S, 0.000035, other, sizeof other);         /* 4b: the server's */
        script_add(&sc, C, 0.00004, disconnect, sizeof disconnect);    /* 5 */
        sc.m[sc.n - 1].flags = MQTTKA_TCP_FIN;
        script_add_flags(&sc, S, 0.00005, 0);                          /* 6 */
        script_add_flags(&sc, S, 0.00006, MQTTKA_TCP_FIN);             /* 7 */
        script_add_flags(&sc, C, 0.00007, 0);                          /* 8 */
        CHECK(script_run_all_ways(k == 0   ? "late_disconnect_after_run"
                                  : k == 1 ? "late_disconnect_after_other"
                                           : "late_disconnect_server_sends",
                                  &sc, &lg, NULL));
        if (k == 0) {
            LOG_HAS(lg, "[3] #1 C>S PUBLISH");
            LOG_HAS(lg, "[5] #1 C>S DISCONNECT");
            LOG_HAS(lg, "close=client/mqtt_disconnect start_seen=0 verdict=mqtt_disconnect");
        } else {
            LOG_LACKS(lg, "#1");
        }
    }
}

/* A client joined late whose first segment is a SUBSCRIBE, which proves
 * nothing (a WebSocket binary frame looks the same): kept ahead of the run
 * that proves MQTT over TCP, and decoded with it. */
static void test_late_subscribe_first(void)
{
    static script sc;
    late_script(&sc, 1883);
    script_add(&sc, C, 0.0, subscribe, sizeof subscribe);         /* 1 */
    script_add(&sc, S, 0.001, suback, sizeof suback);             /* 2 */
    script_add(&sc, C, 5.0, pingreq, sizeof pingreq);             /* 3 */
    script_add(&sc, S, 5.001, pingresp, sizeof pingresp);         /* 4 */
    CHECK(script_run_all_ways("late_subscribe_first", &sc, &lg, NULL));
    LOG_HAS(lg, "[1] #1 C>S SUBSCRIBE");
    LOG_HAS(lg, "[2] #1 S>C SUBACK");
    LOG_HAS(lg, "[4] #1 S>C PINGRESP");
}

/* The capture missed the client's SYN and its CONNECT, but not the
 * server's SYN-ACK, which says where the client's data starts: the
 * SUBSCRIBE that follows is after a hole, not the connection's opening
 * bytes, and the flow is probed (it was given up as not MQTT: a client
 * that opens with neither a CONNECT nor an HTTP request). */
static void test_syn_ack_only_connect_lost(void)
{
    static script sc;
    late_script(&sc, 1883);
    script_add_flags(&sc, S, 0.0, MQTTKA_TCP_SYN | MQTTKA_TCP_ACK);   /* 1 */
    script_add(&sc, C, 0.001, seed_connect, sizeof seed_connect);     /* 2 */
    sc.m[sc.n - 1].lost = true;
    script_add(&sc, C, 0.002, subscribe, sizeof subscribe);           /* 3 */
    script_add(&sc, S, 0.003, connack_ok, sizeof connack_ok);         /* 4: ACKs 2-3 */
    script_add(&sc, S, 0.004, suback, sizeof suback);                 /* 5 */
    script_add(&sc, C, 5.0, pingreq, sizeof pingreq);                 /* 6 */
    script_add(&sc, S, 5.001, pingresp, sizeof pingresp);             /* 7 */
    CHECK(script_run_all_ways("syn_ack_only_connect_lost", &sc, &lg, NULL));
    LOG_HAS(lg, "#1 C>S SUBSCRIBE");
    LOG_HAS(lg, "[5] #1 S>C SUBACK");
    LOG_HAS(lg, "[7] #1 S>C PINGRESP");
    mqttka_counts counts;
    CHECK(script_counts(&sc, NULL, &counts));
    CHECK(counts.mqtt_connections == 1);
}

/* A capture of the server's side only (tests/heldout pingdisc
 * onesided-s2c, paho-python and MQTT.js to mosquitto): its SYN-ACK (1),
 * the client's CONNECT, not captured (2), which the CONNACK's ACK covers
 * (3), the client's PINGREQ, not captured (4), and the PINGRESP (5). The
 * server's stream opens, from its first byte, with a CONNACK after a
 * CONNECT's worth of client bytes: the answer and what it answers, one
 * proof of each side on port 1883, and with the PINGRESP the run is made
 * (it was never, the client's side having no segment). Not so on another
 * port, nor when the stream opens with another packet, nor when the client
 * sent fewer bytes than any CONNECT before it (a server that speaks first).
 * Without the SYN-ACK the CONNACK is the first segment of the port-1883
 * side the probe sees, which proves the flow alone
 * (test_late_one_segment_on_mqtt_port). */
static void test_server_side_opens_with_connack(void)
{
    static script sc;
    static const uint8_t puback[] = {0x40, 0x02, 0x00, 0x01};
    for (int k = 0; k < 5; k++) {
        late_script(&sc, k == 1 ? 1882 : 1883);
        if (k != 4)
            script_add_flags(&sc, S, 0.0, MQTTKA_TCP_SYN | MQTTKA_TCP_ACK); /* 1 */
        if (k == 3)
            script_add(&sc, C, 0.001, pingreq, sizeof pingreq);      /* 2: 2 bytes */
        else
            script_add(&sc, C, 0.001, seed_connect, sizeof seed_connect); /* 2 */
        sc.m[sc.n - 1].lost = true;
        if (k == 2)
            script_add(&sc, S, 0.002, puback, sizeof puback);        /* 3 */
        else
            script_add(&sc, S, 0.002, connack_ok, sizeof connack_ok); /* 3 */
        script_add(&sc, C, 3.0, pingreq, sizeof pingreq);            /* 4 */
        sc.m[sc.n - 1].lost = true;
        script_add(&sc, S, 3.001, pingresp, sizeof pingresp);        /* 5 */
        static const char *const names[] = {
            "server_side_connack", "server_side_connack_1882", "server_side_puback_first",
            "server_side_connack_after_2_bytes", "server_side_connack_no_syn_ack"};
        CHECK(script_run_all_ways(names[k], &sc, &lg, NULL));
        if (k == 0 || k == 4) {
            LOG_HAS(lg, "#1 S>C CONNACK");
            LOG_HAS(lg, "#1 S>C PINGRESP");
            LOG_HAS(lg, "#1 summary 127.0.0.1:50000 -> 127.0.0.1:1883 tcp");
        } else {
            LOG_LACKS(lg, "#1");
        }
    }
}

/* On port 1883, over TCP, one segment proves a flow joined late, as
 * Wireshark and Zeek decode the port by its number (suricata-verify's
 * mqtt-ping cut to its PINGRESP, its mqtt-events-unintroduced cut to its
 * DISCONNECT; mqttka asked for two before): the first segment with data of
 * its side, whole packets, each of a type its direction may send. Not so
 * on another port, for a side's second segment, for a type the other side
 * sends, nor for a server that speaks first after a handshake the capture
 * holds (MQTT servers never do); after a CONNECT the capture missed, the
 * server's first segment must be a CONNACK. */
static void test_late_one_segment_on_mqtt_port(void)
{
    static script sc;
    static const uint8_t other[] = {'o', 'k'};
    static const uint8_t puback[] = {0x40, 0x02, 0x00, 0x01};
    static const uint8_t publish_bye[] = {0x30, 0x0a, 0x00, 0x05, 't', 'o', 'p',
                                          'i',  'c',  'a',  'b',  'c', 0xe0, 0x00};
    static const struct {
        const char *name;
        int from;
        const uint8_t *bytes;
        size_t len;
        const char *decoded; /* NULL: must not be MQTT */
    } one[] = {
        {"one_segment_pingreq", C, pingreq, sizeof pingreq, "[1] #1 C>S PINGREQ\n"},
        {"one_segment_pingresp", S, pingresp, sizeof pingresp, "[1] #1 S>C PINGRESP\n"},
        {"one_segment_puback", S, puback, sizeof puback, "[1] #1 S>C PUBACK"},
        {"one_segment_publish_bye", C, publish_bye, sizeof publish_bye,
         "[1] #1 C>S DISCONNECT"},
        /* a type of the other side's */
        {"one_segment_pingresp_to_1883", C, pingresp, sizeof pingresp, NULL},
        {"one_segment_pingreq_from_1883", S, pingreq, sizeof pingreq, NULL},
        {"one_segment_connack_to_1883", C, connack_ok, sizeof connack_ok, NULL},
        {"one_segment_suback_to_1883", C, suback, sizeof suback, NULL},
        /* not whole packets: a byte after one */
        {"one_segment_trailing", C, publish_bye, sizeof publish_bye - 1, NULL},
    };
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++) {
        late_script(&sc, 1883);
        script_add(&sc, one[i].from, 0.0, one[i].bytes, one[i].len);
        CHECK(script_run_all_ways(one[i].name, &sc, &lg, NULL));
        if (one[i].decoded) {
            LOG_HAS(lg, one[i].decoded);
            LOG_HAS(lg, "#1 summary 127.0.0.1:50000 -> 127.0.0.1:1883 tcp ");
            /* the same on another port: not MQTT */
            sc.server_port = 1882;
            CHECK(script_run_all_ways(one[i].name, &sc, &lg, NULL));
        }
        LOG_LACKS(lg, "#1");
    }

    /* The server's CONNACK proves the flow; the client's first segment
     * after it opens a PUBLISH larger than a segment (suricata-verify's
     * mqtt-connect-rules cut after its CONNECT): decoded from there, as
     * the probe's run followed it when two proofs were needed. */
    static const uint8_t name[] = {'t', 'o', 'p', 'i', 'c'};
    size_t n = big_publish(name, sizeof name);
    late_script(&sc, 1883);
    script_add(&sc, S, 0.0, connack_ok, sizeof connack_ok);       /* 1 */
    script_add(&sc, C, 0.001, big_pub, 4000);                     /* 2 */
    script_add(&sc, C, 0.002, big_pub + 4000, 4000);              /* 3 */
    script_add(&sc, C, 0.003, big_pub + 8000, n - 8000);          /* 4 */
    script_add(&sc, C, 0.004, disconnect, sizeof disconnect);     /* 5 */
    CHECK(script_run_all_ways("one_segment_then_big_publish", &sc, &lg, NULL));
    LOG_HAS(lg, "[1] #1 S>C CONNACK");
    LOG_HAS(lg, "[4] #1 C>S PUBLISH");
    LOG_HAS(lg, "[5] #1 C>S DISCONNECT");
    LOG_LACKS(lg, "malformed");

    /* Only the joined stream's first segment is read so: once one was no
     * packet boundary, the stream is in a packet's middle, as after a
     * hole, and a later segment that merely opens a PUBLISH (here bytes
     * of a payload that read as one) must not swallow the packets after
     * it; decoding resumes at whole packets. */
    late_script(&sc, 1883);
    script_add(&sc, S, 0.0, connack_ok, sizeof connack_ok);       /* 1 */
    script_add(&sc, C, 0.001, other, sizeof other);               /* 2: no boundary */
    script_add(&sc, C, 0.002, big_pub, 4000);                     /* 3: reads as an open PUBLISH */
    script_add(&sc, C, 0.003, pingreq, sizeof pingreq);           /* 4 */
    script_add(&sc, C, 0.004, disconnect, sizeof disconnect);     /* 5 */
    CHECK(script_run_all_ways("one_segment_then_mid_stream_publish", &sc, &lg, NULL));
    LOG_HAS(lg, "[1] #1 S>C CONNACK");
    LOG_HAS(lg, "[4] #1 C>S PINGREQ");
    LOG_HAS(lg, "[5] #1 C>S DISCONNECT");
    LOG_LACKS(lg, "C>S PUBLISH");

    /* The side's second segment: its first was no packet. */
    for (int from = C; from <= S; from++) {
        late_script(&sc, 1883);
        script_add(&sc, from, 0.0, other, sizeof other);
        script_add(&sc, from, 1.0, from == C ? pingreq : pingresp, 2);
        CHECK(script_run_all_ways("one_segment_second", &sc, &lg, NULL));
        LOG_LACKS(lg, "#1");
    }

    /* The handshake seen, the CONNECT lost: the client's first segment
     * after the hole proves the flow (a capture without its CONNECT). */
    late_script(&sc, 1883);
    script_tcp_open(&sc);
    script_add(&sc, C, 0.001, seed_connect, sizeof seed_connect);
    sc.m[sc.n - 1].lost = true;
    script_add(&sc, C, 5.0, pingreq, sizeof pingreq);
    CHECK(script_run_all_ways("one_segment_after_lost_connect", &sc, &lg, NULL));
    LOG_HAS(lg, "#1 C>S PINGREQ\n");
    LOG_HAS(lg, "#1 summary 127.0.0.1:50000 -> 127.0.0.1:1883 tcp ");

    /* ... and the server's CONNACK, which its ACK says answers a
     * CONNECT's worth of client bytes (probe_opens_answer), the client's
     * SYN captured or not; not a PUBACK there, nor after fewer client bytes
     * than a CONNECT (a server that speaks first). */
    static const char *const names[] = {
        "one_segment_connack_first",         "one_segment_puback_first",
        "one_segment_connack_after_syn",     "one_segment_puback_after_syn",
        "one_segment_connack_after_2_bytes"};
    for (int k = 0; k < 5; k++) {
        late_script(&sc, 1883);
        if (k >= 2)
            script_tcp_open(&sc);
        else
            script_add_flags(&sc, S, 0.0, MQTTKA_TCP_SYN | MQTTKA_TCP_ACK);
        if (k == 4)
            script_add(&sc, C, 0.001, pingreq, sizeof pingreq);
        else
            script_add(&sc, C, 0.001, seed_connect, sizeof seed_connect);
        sc.m[sc.n - 1].lost = true;
        script_add(&sc, S, 0.002, k == 1 || k == 3 ? puback : connack_ok, 4);
        CHECK(script_run_all_ways(names[k], &sc, &lg, NULL));
        if (k == 0 || k == 2)
            LOG_HAS(lg, "#1 S>C CONNACK");
        else
            LOG_LACKS(lg, "#1");
    }

    /* A server that speaks first after the handshake: whatever it sends. */
    static const uint8_t *const first[] = {connack_ok, puback, pingresp};
    static const size_t first_len[] = {sizeof connack_ok, sizeof puback, sizeof pingresp};
    for (size_t i = 0; i < sizeof first_len / sizeof first_len[0]; i++) {
        late_script(&sc, 1883);
        script_tcp_open(&sc);
        script_add_flags(&sc, C, 0.0002, MQTTKA_TCP_ACK);
        script_add(&sc, S, 0.001, first[i], first_len[i]);
        CHECK(script_run_all_ways("one_segment_server_speaks_first", &sc, &lg, NULL));
        LOG_LACKS(lg, "#1");
    }
}

/* A connection to port 1883 joined late of which only a request and its
 * answer are left (suricata-verify's captures cut after their PUBLISH: a
 * PUBACK, then the client's DISCONNECT): two proofs, one from each side,
 * on the port IANA assigned to MQTT, make it MQTT, and both packets are
 * decoded. Not so on another port, nor when the answer is the request's
 * echo, nor with two proofs from one side, nor when the packet types make
 * the port-1883 side the client. The PUBACK alone would prove the flow
 * (test_late_one_segment_on_mqtt_port): here each side's first segment
 * is bytes that are no packet, so that the pair must prove it. */
static void test_late_mqtt_port_request_answer(void)
{
    static script sc;
    static const uint8_t puback[] = {0x40, 0x02, 0x00, 0x01};
    static const uint8_t publish[] = {0x30, 0x0a, 0x00, 0x05, 't', 'o',
                                      'p',  'i',  'c',  'a',  'b', 'c'};
    static const uint8_t other[] = {'o', 'k'};
    late_script(&sc, 1883);
    script_add(&sc, S, 0.0, other, sizeof other);                 /* 1: no packet */
    script_add(&sc, C, 0.0001, other, sizeof other);              /* 2: no packet */
    script_add(&sc, S, 0.0002, puback, sizeof puback);            /* 3 */
    script_add(&sc, C, 0.001, disconnect, sizeof disconnect);     /* 4 */
    CHECK(script_run_all_ways("late_mqtt_port_pair", &sc, &lg, NULL));
    LOG_HAS(lg, "[3] #1 S>C PUBACK");
    LOG_HAS(lg, "[4] #1 C>S DISCONNECT");
    LOG_HAS(lg, "#1 summary 127.0.0.1:50000 -> 127.0.0.1:1883 tcp");
    mqttka_counts counts;
    CHECK(script_counts(&sc, NULL, &counts));
    CHECK(counts.mqtt_connections == 1);

    /* The same on port 1882: three proofs are needed. */
    sc.server_port = 1882;
    CHECK(script_run_all_ways("late_other_port_pair", &sc, &lg, NULL));
    LOG_LACKS(lg, "#1");

    /* Two segments that each read as packets, and still no proof: */
    static const struct {
        const char *name;
        int from[2];
        const uint8_t *bytes[2];
        size_t len[2];
    } not_proof[] = {
        /* the server sends back the client's bytes (an echo): one proof */
        {"late_mqtt_port_echo", {C, S}, {publish, publish}, {sizeof publish, sizeof publish}},
        /* two proofs from the client alone */
        {"late_mqtt_port_one_side", {C, C}, {publish, disconnect},
         {sizeof publish, sizeof disconnect}},
        /* a PINGREQ from the port-1883 side and a PINGRESP from the other:
         * the types name the 1883 side the client, which the port does not */
        {"late_mqtt_port_sides_reversed", {S, C}, {pingreq, pingresp},
         {sizeof pingreq, sizeof pingresp}},
    };
    for (size_t i = 0; i < sizeof not_proof / sizeof not_proof[0]; i++) {
        late_script(&sc, 1883);
        script_add(&sc, S, 0.0, other, sizeof other);
        script_add(&sc, C, 0.0, other, sizeof other);
        for (int k = 0; k < 2; k++)
            script_add(&sc, not_proof[i].from[k], 0.001 * k, not_proof[i].bytes[k],
                       not_proof[i].len[k]);
        CHECK(script_run_all_ways(not_proof[i].name, &sc, &lg, NULL));
        LOG_LACKS(lg, "#1");
    }
}

/* A client of a frozen broker, joined late (tests/heldout frozen-broker
 * cut): its one PINGREQ, which the server's kernel acknowledges (2) and
 * nothing answers, then its close 4 s later (3), which the server's kernel
 * acknowledges too (4). `first` is the client's segment (NULL: none of
 * its own), `server` bytes the server sends at `server_at` (NULL: none),
 * `close` the client's closing flag (0: it does not close). */
static void lone_ping_script(script *sc, uint16_t port, const uint8_t *first, size_t len,
                             const uint8_t *server, size_t server_len, double server_at,
                             uint8_t close)
{
    memset(sc, 0, sizeof *sc);
    sc->segment_starts_matter = true;
    sc->server_port = port;
    script_add(sc, C, 0.0, first, len);                           /* 1 */
    script_add_flags(sc, S, 0.001, 0);                            /* 2: a bare ACK */
    if (server && server_at < 4.0)
        script_add(sc, S, server_at, server, server_len);
    if (close)
        script_add_flags(sc, C, 4.0, close);                      /* 3 */
    script_add_flags(sc, S, 4.001, 0);                            /* 4 */
    if (server && server_at >= 4.0)
        script_add(sc, S, server_at, server, server_len);
}

/* A connection joined late of which the capture holds only the client's
 * PINGREQ (a masked WebSocket frame, or c0 00 to port 1883), the server's
 * ACK of it, and the client's close: the client of a frozen broker. It is
 * MQTT, its PINGREQ decoded and left unanswered before the close, as the
 * whole capture has it. Not so with any byte from the server (captured or
 * not), a second segment of the client's, a frame of other bytes or of
 * another kind, an unmasked one, a bare PINGREQ on another port, no ACK,
 * or no close. */
static void test_late_lone_pingreq(void)
{
    static script sc;
    uint8_t ws_ping[16], frame[16];
    size_t ws_len = script_ws_frame(ws_ping, 0x82, true, pingreq, sizeof pingreq);
    static const uint8_t other[] = {'o', 'k'};

    lone_ping_script(&sc, 1882, ws_ping, ws_len, NULL, 0, 0, MQTTKA_TCP_FIN);
    CHECK(script_run_all_ways("late_lone_pingreq_ws", &sc, &lg, NULL));
    LOG_HAS(lg, "[1] #1 C>S PINGREQ\n");
    LOG_HAS(lg, "[0] #1 C>S finding pingreq_unanswered error about=1 value=4.001\n");
    LOG_HAS(lg, "#1 summary 127.0.0.1:50000 -> 127.0.0.1:1882 websocket ");
    LOG_HAS(lg, "pingreq=1 pingresp=0 unanswered=1 close=client/fin start_seen=0 "
                "verdict=client_closed_missing_pingresp");

    lone_ping_script(&sc, 1882, ws_ping, ws_len, NULL, 0, 0, MQTTKA_TCP_RST);
    CHECK(script_run_all_ways("late_lone_pingreq_rst", &sc, &lg, NULL));
    LOG_HAS(lg, "[1] #1 C>S PINGREQ\n");
    LOG_HAS(lg, "unanswered=1 close=client/rst start_seen=0 "
                "verdict=client_closed_missing_pingresp");

    lone_ping_script(&sc, 1883, pingreq, sizeof pingreq, NULL, 0, 0, MQTTKA_TCP_FIN);
    CHECK(script_run_all_ways("late_lone_pingreq_tcp", &sc, &lg, NULL));
    LOG_HAS(lg, "[1] #1 C>S PINGREQ\n");
    LOG_HAS(lg, "#1 summary 127.0.0.1:50000 -> 127.0.0.1:1883 tcp ");
    LOG_HAS(lg, "unanswered=1 close=client/fin start_seen=0 "
                "verdict=client_closed_missing_pingresp");

    /* Not MQTT, as far as the capture can tell: */
    lone_ping_script(&sc, 1882, ws_ping, ws_len, other, sizeof other, 1.0, MQTTKA_TCP_FIN);
    CHECK(script_run_all_ways("late_lone_pingreq_answered", &sc, &lg, NULL));
    LOG_LACKS(lg, "#1");
    lone_ping_script(&sc, 1882, ws_ping, ws_len, other, sizeof other, 5.0, MQTTKA_TCP_FIN);
    CHECK(script_run_all_ways("late_lone_pingreq_answered_after", &sc, &lg, NULL));
    LOG_LACKS(lg, "#1");

    /* The server's answer, lost by the capture: the client's FIN
     * acknowledges it. */
    lone_ping_script(&sc, 1882, ws_ping, ws_len, other, sizeof other, 1.0, MQTTKA_TCP_FIN);
    sc.m[2].lost = true;
    CHECK(script_run_all_ways("late_lone_pingreq_answer_lost", &sc, &lg, NULL));
    LOG_LACKS(lg, "#1");

    memset(&sc, 0, sizeof sc); /* a second client segment */
    sc.segment_starts_matter = true;
    script_add(&sc, C, 0.0, ws_ping, ws_len);
    script_add(&sc, C, 0.0005, other, sizeof other);
    script_add_flags(&sc, S, 0.001, 0);
    script_add_flags(&sc, C, 4.0, MQTTKA_TCP_FIN);
    script_add_flags(&sc, S, 4.001, 0);
    CHECK(script_run_all_ways("late_lone_pingreq_two_segments", &sc, &lg, NULL));
    LOG_LACKS(lg, "#1");

    /* a DISCONNECT (closed 4 s later: not a client's last words either,
     * test_late_lone_disconnect), no FIN, RSV1, text */
    static const uint8_t firsts[] = {0x82, 0x02, 0xc2, 0x81};
    static const uint8_t *const payloads[] = {disconnect, pingreq, pingreq, pingreq};
    for (size_t i = 0; i < sizeof firsts; i++) {
        size_t n = script_ws_frame(frame, firsts[i], true, payloads[i], 2);
        lone_ping_script(&sc, 1882, frame, n, NULL, 0, 0, MQTTKA_TCP_FIN);
        CHECK(script_run_all_ways("late_lone_other_frame", &sc, &lg, NULL));
        LOG_LACKS(lg, "#1");
    }
    size_t n = script_ws_frame(frame, 0x82, true, pingreq, sizeof pingreq);
    frame[n++] = 0x00; /* a byte after the frame */
    lone_ping_script(&sc, 1882, frame, n, NULL, 0, 0, MQTTKA_TCP_FIN);
    CHECK(script_run_all_ways("late_lone_pingreq_trailing", &sc, &lg, NULL));
    LOG_LACKS(lg, "#1");

    n = script_ws_frame(frame, 0x82, false, pingreq, sizeof pingreq);
    lone_ping_script(&sc, 1882, frame, n, NULL, 0, 0, MQTTKA_TCP_FIN);
    CHECK(script_run_all_ways("late_lone_pingreq_unmasked", &sc, &lg, NULL));
    LOG_LACKS(lg, "#1");

    lone_ping_script(&sc, 1882, pingreq, sizeof pingreq, NULL, 0, 0, MQTTKA_TCP_FIN);
    CHECK(script_run_all_ways("late_lone_pingreq_tcp_other_port", &sc, &lg, NULL));
    LOG_LACKS(lg, "#1");

    lone_ping_script(&sc, 1882, ws_ping, ws_len, NULL, 0, 0, 0);
    CHECK(script_run_all_ways("late_lone_pingreq_no_close", &sc, &lg, NULL));
    LOG_LACKS(lg, "#1");

    /* The server's side never captured: nothing acknowledged the PINGREQ. */
    memset(&sc, 0, sizeof sc);
    sc.segment_starts_matter = true;
    script_add(&sc, C, 0.0, ws_ping, ws_len);
    script_add_flags(&sc, C, 4.0, MQTTKA_TCP_FIN);
    CHECK(script_run_all_ways("late_lone_pingreq_no_ack", &sc, &lg, NULL));
    LOG_LACKS(lg, "#1");
}

/* The last words of a client joined late (suricata-verify's captures cut
 * after their PUBLISH): its DISCONNECT (`first`, `len` bytes from `from`),
 * the server's ACK of it (2), the client's FIN `fin_after` s after the
 * DISCONNECT, in the same segment when 0 (3), the server's FIN (4) and the
 * client's ACK of it (5). `close` is the closing flag (0: no close). */
static void last_words_script(script *sc, uint16_t port, int from, const uint8_t *first,
                              size_t len, double fin_after, uint8_t close)
{
    late_script(sc, port);
    script_add(sc, from, 0.0, first, len);                        /* 1 */
    if (fin_after == 0.0)
        sc->m[0].flags = close;
    script_add_flags(sc, 1 - from, 0.0001, 0);                    /* 2 */
    if (fin_after > 0.0 && close)
        script_add_flags(sc, from, fin_after, close);             /* 3 */
    if (close) {
        script_add_flags(sc, 1 - from, fin_after + 0.0002, MQTTKA_TCP_FIN); /* 4 */
        script_add_flags(sc, from, fin_after + 0.0003, 0);        /* 5 */
    }
}

/* A connection joined late of which the capture holds only the client's
 * DISCONNECT and the close (MQTT 3.1.1 and 5.0, its FIN in the same
 * segment or the next, a reason code, properties; c0 00 bare to port 1883
 * or in a masked WebSocket frame): MQTT, the DISCONNECT decoded, the
 * verdict mqtt_disconnect. Not so when the DISCONNECT comes unmasked (a
 * server's), when no FIN follows, or it comes later than a client closes
 * after a DISCONNECT, or is a RST, when either side sends more, on another
 * port over TCP, or with bytes that are not a client's DISCONNECT to the
 * byte. On port 1883 over TCP, the DISCONNECT is the first segment of its
 * side, which proves the flow alone whatever follows
 * (test_late_one_segment_on_mqtt_port): the rules of the lone DISCONNECT
 * are tested there only where they take it, elsewhere in a masked
 * WebSocket frame on port 1882. */
static void test_late_lone_disconnect(void)
{
    static script sc;
    uint8_t frame[64];
    /* MQTT 5.0: reason 0x04 (with Will), a Session Expiry Interval and a
     * User Property (as mosquitto_pub -D disconnect ... writes it) */
    static const uint8_t disconnect_props[] = {0xe0, 0x19, 0x04, 0x17, 0x11, 0x00, 0x00, 0x00,
                                               0x7a, 0x26, 0x00, 0x05, 'u',  's',  'e',  'r',
                                               'p',  0x00, 0x08, 'u',  's',  'e',  'r',  'v',
                                               'a',  'l',  's'};
    static const uint8_t disconnect_rc[] = {0xe0, 0x01, 0x04};

    last_words_script(&sc, 1883, C, disconnect, sizeof disconnect, 0.0, MQTTKA_TCP_FIN);
    CHECK(script_run_all_ways("late_lone_disconnect_fin_with_it", &sc, &lg, NULL));
    LOG_HAS(lg, "[1] #1 C>S DISCONNECT\n");
    LOG_HAS(lg, "#1 summary 127.0.0.1:50000 -> 127.0.0.1:1883 tcp ");
    LOG_HAS(lg, "close=client/mqtt_disconnect start_seen=0 verdict=mqtt_disconnect");
    mqttka_counts counts;
    CHECK(script_counts(&sc, NULL, &counts));
    CHECK(counts.mqtt_connections == 1);

    last_words_script(&sc, 1883, C, disconnect, sizeof disconnect, 0.00005, MQTTKA_TCP_FIN);
    CHECK(script_run_all_ways("late_lone_disconnect_fin_after", &sc, &lg, NULL));
    LOG_HAS(lg, "[1] #1 C>S DISCONNECT\n");
    LOG_HAS(lg, "close=client/mqtt_disconnect start_seen=0 verdict=mqtt_disconnect");

    last_words_script(&sc, 1883, C, disconnect_rc, sizeof disconnect_rc, 0.05, MQTTKA_TCP_FIN);
    CHECK(script_run_all_ways("late_lone_disconnect_reason", &sc, &lg, NULL));
    LOG_HAS(lg, "[1] #1 C>S DISCONNECT reason=0x04\n");
    LOG_HAS(lg, "close=client/mqtt_disconnect disconnect=0x04 start_seen=0 "
                "verdict=mqtt_disconnect");

    last_words_script(&sc, 1883, C, disconnect_props, sizeof disconnect_props, 0.0,
                      MQTTKA_TCP_FIN);
    CHECK(script_run_all_ways("late_lone_disconnect_properties", &sc, &lg, NULL));
    LOG_HAS(lg, "[1] #1 C>S DISCONNECT reason=0x04\n");
    LOG_HAS(lg, "close=client/mqtt_disconnect disconnect=0x04 start_seen=0 "
                "verdict=mqtt_disconnect");

    size_t n = script_ws_frame(frame, 0x82, true, disconnect_props, sizeof disconnect_props);
    last_words_script(&sc, 1882, C, frame, n, 0.001, MQTTKA_TCP_FIN);
    CHECK(script_run_all_ways("late_lone_disconnect_ws", &sc, &lg, NULL));
    LOG_HAS(lg, "[1] #1 C>S DISCONNECT reason=0x04\n");
    LOG_HAS(lg, "#1 summary 127.0.0.1:50000 -> 127.0.0.1:1882 websocket ");
    LOG_HAS(lg, "close=client/mqtt_disconnect disconnect=0x04 start_seen=0 "
                "verdict=mqtt_disconnect");

    /* Not MQTT, as far as the capture can tell: */
    uint8_t ws_disconnect[16];
    size_t ws_len = script_ws_frame(ws_disconnect, 0x82, true, disconnect, sizeof disconnect);
    static const struct {
        const char *name;
        bool ws;
        double fin_after;
        uint8_t close;
    } not_taken[] = {
        {"late_lone_disconnect_no_close", true, 0.0, 0},
        /* a client closes at once after its DISCONNECT */
        {"late_lone_disconnect_fin_late", true, 1.0, MQTTKA_TCP_FIN},
        {"late_lone_disconnect_rst", true, 0.001, MQTTKA_TCP_RST},
        {"late_lone_disconnect_other_port", false, 0.0, MQTTKA_TCP_FIN},
    };
    for (size_t i = 0; i < sizeof not_taken / sizeof not_taken[0]; i++) {
        last_words_script(&sc, 1882, C, not_taken[i].ws ? ws_disconnect : disconnect,
                          not_taken[i].ws ? ws_len : sizeof disconnect, not_taken[i].fin_after,
                          not_taken[i].close);
        CHECK(script_run_all_ways(not_taken[i].name, &sc, &lg, NULL));
        LOG_LACKS(lg, "#1");
    }

    /* The same on port 1883 over TCP, and the port-1883 side's (an MQTT 5
     * server's): the first segment of a side, MQTT. */
    static const struct {
        const char *name;
        int from;
        double fin_after;
        uint8_t close;
    } taken_on_1883[] = {
        {"late_1883_disconnect_from_server", S, 0.0, MQTTKA_TCP_FIN},
        {"late_1883_disconnect_no_close", C, 0.0, 0},
        {"late_1883_disconnect_fin_late", C, 1.0, MQTTKA_TCP_FIN},
        {"late_1883_disconnect_rst", C, 0.001, MQTTKA_TCP_RST},
    };
    for (size_t i = 0; i < sizeof taken_on_1883 / sizeof taken_on_1883[0]; i++) {
        last_words_script(&sc, 1883, taken_on_1883[i].from, disconnect, sizeof disconnect,
                          taken_on_1883[i].fin_after, taken_on_1883[i].close);
        CHECK(script_run_all_ways(taken_on_1883[i].name, &sc, &lg, NULL));
        LOG_HAS(lg, taken_on_1883[i].from == C ? "[1] #1 C>S DISCONNECT\n"
                                               : "[1] #1 S>C DISCONNECT\n");
        LOG_HAS(lg, "#1 summary 127.0.0.1:50000 -> 127.0.0.1:1883 tcp ");
    }

    /* more from either side after it */
    static const uint8_t other[] = {'o', 'k'};
    for (int from = C; from <= S; from++) {
        last_words_script(&sc, 1882, C, ws_disconnect, ws_len, 0.001, MQTTKA_TCP_FIN);
        script_msg *m = &sc.m[1]; /* 2, the server's ACK, becomes data */
        if (from == C) {
            memcpy(m, &sc.m[0], sizeof *m); /* a second client segment */
            m->t = 0.0001;
            memcpy(m->bytes, other, sizeof other);
            m->len = sizeof other;
        } else {
            memcpy(m->bytes, other, sizeof other);
            m->len = sizeof other;
        }
        CHECK(script_run_all_ways(from == C ? "late_lone_disconnect_client_more"
                                            : "late_lone_disconnect_server_sends",
                                  &sc, &lg, NULL));
        LOG_LACKS(lg, "#1");
    }

    /* the server's DISCONNECT in an unmasked frame */
    n = script_ws_frame(frame, 0x82, false, disconnect, sizeof disconnect);
    last_words_script(&sc, 1882, S, frame, n, 0.0, MQTTKA_TCP_FIN);
    CHECK(script_run_all_ways("late_lone_disconnect_ws_unmasked", &sc, &lg, NULL));
    LOG_LACKS(lg, "#1");

    /* bytes that are not a client's DISCONNECT to the byte, in a masked
     * frame (bare to port 1883, those that are whole packets prove the
     * flow as its first segment) */
    static const uint8_t not_disconnect[][16] = {
        {0xe0, 0x01, 0x8e},                   /* Session taken over: a server's reason */
        {0xe0, 0x03, 0x00, 0x02, 0x11},       /* properties longer than the packet */
        {0xe0, 0x04, 0x00, 0x02, 0x1f, 0x00}, /* a Reason String cut short */
        {0xe0, 0x05, 0x00, 0x03, 0x1c, 0x00, 0x00}, /* Server Reference: a server's */
        {0xe0, 0x0c, 0x00, 0x0a, 0x11, 0x00, 0x00, 0x00, 0x01, /* Session Expiry twice */
         0x11, 0x00, 0x00, 0x00, 0x02},
        {0xe0, 0x00, 0x00},                   /* a byte after it */
        {0xe2, 0x00},                         /* flags that a DISCONNECT never has */
        {0xe0, 0x80, 0x00},                   /* a length in more bytes than it needs */
    };
    static const size_t not_len[] = {3, 5, 6, 7, 14, 3, 2, 3};
    for (size_t i = 0; i < sizeof not_len / sizeof not_len[0]; i++) {
        n = script_ws_frame(frame, 0x82, true, not_disconnect[i], not_len[i]);
        last_words_script(&sc, 1882, C, frame, n, 0.0, MQTTKA_TCP_FIN);
        CHECK(script_run_all_ways("late_lone_not_disconnect", &sc, &lg, NULL));
        LOG_LACKS(lg, "#1");
    }

    /* The server's side never captured: nothing acknowledged it. */
    late_script(&sc, 1882);
    script_add(&sc, C, 0.0, ws_disconnect, ws_len);
    sc.m[0].flags = MQTTKA_TCP_FIN;
    CHECK(script_run_all_ways("late_lone_disconnect_no_ack", &sc, &lg, NULL));
    LOG_LACKS(lg, "#1");
}

/* A connection joined late whose run holds a packet the decoder reports
 * and skips (suricata-verify's mqtt-events-invalid-qos: a PUBLISH of QoS
 * 3 between the CONNACK and the DISCONNECT; mqtt-events-unassigned-msgtype:
 * a packet of type 0): the segment neither proves nor breaks the run, and
 * is decoded with it, its finding raised. A run holds one such segment:
 * a second starts it over, and segments of them alone prove nothing. */
static void test_late_skippable_in_run(void)
{
    static script sc;
    static const uint8_t publish_qos3[] = {0x36, 0x0a, 0x00, 0x05, 't', 'o', 'p',
                                           'i',  'c',  0x00, 0x01, 'x'};
    static const uint8_t type0[] = {0x00, 0x03, 'a', 'b', 'c'};
    static const uint8_t *const odd[] = {publish_qos3, type0};
    static const size_t odd_len[] = {sizeof publish_qos3, sizeof type0};
    static const char *const finding[] = {"C>S finding malformed_fixed_header",
                                          "C>S finding malformed_fixed_header"};
    for (int i = 0; i < 2; i++) {
        late_script(&sc, 1883);
        script_add(&sc, S, 0.0, connack_ok, sizeof connack_ok);    /* 1 */
        script_add(&sc, C, 0.001, odd[i], odd_len[i]);             /* 2 */
        script_add(&sc, C, 0.002, disconnect, sizeof disconnect);  /* 3 */
        CHECK(script_run_all_ways(i ? "late_type0_in_run" : "late_qos3_in_run", &sc, &lg, NULL));
        LOG_HAS(lg, "[1] #1 S>C CONNACK");
        LOG_HAS(lg, finding[i]);
        LOG_HAS(lg, "[3] #1 C>S DISCONNECT");
    }

    /* Two such segments in the run: it starts over at the second. (The
     * server's first segment is no packet: the CONNACK after it is not the
     * first of its side, which would prove the flow alone,
     * test_late_one_segment_on_mqtt_port.) */
    static const uint8_t other[] = {'o', 'k'};
    late_script(&sc, 1883);
    script_add(&sc, S, 0.0, other, sizeof other);
    script_add(&sc, S, 0.0, connack_ok, sizeof connack_ok);
    script_add(&sc, C, 0.001, publish_qos3, sizeof publish_qos3);
    script_add(&sc, C, 0.002, type0, sizeof type0);
    script_add(&sc, C, 0.003, disconnect, sizeof disconnect);
    CHECK(script_run_all_ways("late_two_skippable", &sc, &lg, NULL));
    LOG_LACKS(lg, "#1");

    /* Nothing but them, from both sides. */
    late_script(&sc, 1883);
    for (int i = 0; i < 8; i++)
        script_add(&sc, i & 1 ? S : C, 0.001 * i, odd[i & 1], odd_len[i & 1]);
    CHECK(script_run_all_ways("late_skippable_only", &sc, &lg, NULL));
    LOG_LACKS(lg, "#1");
}

/* A client joined late whose pings lie 30,000 years apart, then 5 s: no
 * cadence across the long interval (whose products overflowed int64 in
 * the cadence check, fuzz_analyzer under UBSan), then the keepalive from
 * the pings after it. */
static void test_cadence_across_ages(void)
{
    static script sc;
    late_script(&sc, 1883);
    script_add(&sc, C, 0.0, pingreq, sizeof pingreq);
    script_add(&sc, C, 1e12, pingreq, sizeof pingreq);
    script_add(&sc, C, 1e12 + 5.0, pingreq, sizeof pingreq);
    script_add(&sc, C, 1e12 + 10.0, pingreq, sizeof pingreq);
    CHECK(script_run_all_ways("cadence_across_ages", &sc, &lg, NULL));
    LOG_HAS(lg, "[4] #1 C>S finding keepalive_inferred info about=4 value=5.000\n");
}

/* Segments out of order and retransmitted give the events of the clean
 * stream. */
static void test_reordered_segments(void)
{
    static event_log clean, messy;
    mqttka_analyzer *a = NULL;
    for (int pass = 0; pass < 2; pass++) {
        event_log *out = pass ? &messy : &clean;
        event_log_reset(out, false);
        CHECK(mqttka_new(&a, NULL, event_log_on_event, out) == MQTTKA_OK);
        mqttka_endpoint cl = {4, {10, 0, 0, 1}, 40000}, sv = {4, {10, 0, 0, 2}, 1883};
        uint8_t stream[sizeof seed_connect + 2 * sizeof pingreq];
        memcpy(stream, seed_connect, sizeof seed_connect);
        memcpy(stream + sizeof seed_connect, pingreq, 2);
        memcpy(stream + sizeof seed_connect + 2, pingreq, 2);
        /* pieces: [0,6) [6,14) [14,16) [16,18) */
        size_t cuts[5] = {0, 6, 14, 16, 18};
        int order_clean[] = {0, 1, 2, 3}, order_messy[] = {1, 0, 0, 3, 2, 3};
        const int *order = pass ? order_messy : order_clean;
        size_t count = pass ? 6 : 4;
        for (size_t i = 0; i < count; i++) {
            int p = order[i];
            mqttka_segment seg;
            memset(&seg, 0, sizeof seg);
            seg.src = cl;
            seg.dst = sv;
            seg.seq = 7u + (uint32_t)cuts[p];
            seg.tcp_flags = MQTTKA_TCP_ACK;
            seg.payload = stream + cuts[p];
            seg.captured_len = seg.wire_len = cuts[p + 1] - cuts[p];
            seg.ts = 1000000;
            seg.tag = 1;
            if (pass == 0 || i == 0) {
                seg.tcp_flags |= (uint8_t)(i == 0 ? MQTTKA_TCP_SYN : 0);
            }
            if (i == 0) {
                /* a SYN starts the stream at seq 6 */
                mqttka_segment syn = seg;
                syn.seq = 6;
                syn.payload = NULL;
                syn.captured_len = syn.wire_len = 0;
                syn.tcp_flags = MQTTKA_TCP_SYN;
                CHECK(mqttka_push(a, &syn) == MQTTKA_OK);
                seg.tcp_flags = MQTTKA_TCP_ACK;
            }
            CHECK(mqttka_push(a, &seg) == MQTTKA_OK);
        }
        mqttka_finish(a, 2000000);
        mqttka_free(&a);
    }
    CHECK_EQ_STR(messy.text, clean.text);
    LOG_HAS(clean, "C>S CONNECT level=4 ka=5");
    LOG_HAS(clean, "pingreq=2");
}

/* A stream that declares a 2^63-1 byte WebSocket frame and then sends
 * 64 MiB: the analyzer must not buffer it (memory measured from /proc). */
static long peak_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

static void count_events(void *user, const mqttka_event *ev)
{
    (void)ev;
    (*(size_t *)user)++;
}

static void test_huge_frame_bounded_memory(void)
{
    size_t events = 0;
    mqttka_analyzer *a = NULL;
    CHECK(mqttka_new(&a, NULL, count_events, &events) == MQTTKA_OK);
    mqttka_endpoint cl = {4, {127, 0, 0, 1}, 50001}, sv = {4, {127, 0, 0, 1}, 1882};
    uint32_t cseq = 100, sseq = 9000;
    mqttka_segment seg;
#define PUSH(from_client, bytes, len, flags)                                                   \
    do {                                                                                       \
        memset(&seg, 0, sizeof seg);                                                           \
        seg.src = (from_client) ? cl : sv;                                                     \
        seg.dst = (from_client) ? sv : cl;                                                     \
        seg.seq = (from_client) ? cseq : sseq;                                                 \
        seg.tcp_flags = (uint8_t)(flags);                                                      \
        seg.payload = (const uint8_t *)(bytes);                                                \
        seg.captured_len = seg.wire_len = (len);                                               \
        seg.ts = 1000000;                                                                      \
        seg.tag = 1;                                                                           \
        CHECK(mqttka_push(a, &seg) == MQTTKA_OK);                                              \
        if (from_client)                                                                       \
            cseq += (uint32_t)(len);                                                           \
        else                                                                                   \
            sseq += (uint32_t)(len);                                                           \
    } while (0)
    PUSH(true, script_request, strlen(script_request), MQTTKA_TCP_ACK);
    PUSH(false, script_response_101, strlen(script_response_101), MQTTKA_TCP_ACK);
    static const uint8_t huge[14] = {0x82, 0xff, 0x7f, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4};
    PUSH(true, huge, sizeof huge, MQTTKA_TCP_ACK);
    static uint8_t block[65536];
    memset(block, 0xa5, sizeof block);
    long before = peak_rss_kib();
    for (int i = 0; i < 1024; i++) /* 64 MiB */
        PUSH(true, block, sizeof block, MQTTKA_TCP_ACK);
    long after = peak_rss_kib();
#undef PUSH
    if (before >= 0 && after >= 0) {
        if (after - before >= 1024)
            fprintf(stderr, "peak RSS grew by %ld KiB while streaming 64 MiB\n", after - before);
        CHECK(after - before < 1024);
    }
    mqttka_finish(a, 2000000);
    mqttka_free(&a);
    CHECK(events >= 2); /* the handshake and the summary at least */
}

/* The flow table cap drops the least recently active connection. */
static void test_flow_cap(void)
{
    mqttka_config cfg;
    mqttka_config_default(&cfg);
    cfg.max_flows = 2;
    static event_log out;
    event_log_reset(&out, false);
    mqttka_analyzer *a = NULL;
    CHECK(mqttka_new(&a, &cfg, event_log_on_event, &out) == MQTTKA_OK);
    for (uint16_t i = 0; i < 3; i++) {
        mqttka_segment seg;
        memset(&seg, 0, sizeof seg);
        seg.src = (mqttka_endpoint){4, {127, 0, 0, 1}, (uint16_t)(40000 + i)};
        seg.dst = (mqttka_endpoint){4, {127, 0, 0, 1}, 1883};
        seg.seq = 1;
        seg.tcp_flags = MQTTKA_TCP_ACK;
        seg.payload = seed_connect;
        seg.captured_len = seg.wire_len = sizeof seed_connect;
        seg.ts = 1000000 + i;
        seg.tag = (uint64_t)i + 1;
        CHECK(mqttka_push(a, &seg) == MQTTKA_OK);
    }
    mqttka_finish(a, 2000000);
    mqttka_free(&a);
    LOG_HAS(out, "[3] #1 C>S finding resource_limit warn about=1\n");
    LOG_HAS(out, "#1 summary 127.0.0.1:40000");
    LOG_HAS(out, "#3 summary 127.0.0.1:40002");
}

/* ------------------------------------------- connections joined at their close -- */

/* Segments pushed straight into an analyzer, for captures of more
 * connections than a script holds: client 127.0.0.1:`cport`, server
 * 127.0.0.1:1883. */
typedef struct raw_run {
    mqttka_analyzer *a;
    event_log log;
    uint64_t tag;
} raw_run;

static void raw_start(raw_run *r, const mqttka_config *cfg)
{
    r->a = NULL;
    r->tag = 0;
    event_log_reset(&r->log, false);
    CHECK(mqttka_new(&r->a, cfg, event_log_on_event, &r->log) == MQTTKA_OK);
}

static void raw_push(raw_run *r, uint16_t cport, int from, uint8_t flags, uint32_t seq,
                     uint32_t ack, const uint8_t *payload, size_t len, double t)
{
    mqttka_endpoint client = {4, {127, 0, 0, 1}, cport};
    mqttka_endpoint server = {4, {127, 0, 0, 1}, 1883};
    mqttka_segment seg;
    memset(&seg, 0, sizeof seg);
    seg.src = from == C ? client : server;
    seg.dst = from == C ? server : client;
    seg.seq = seq;
    seg.ack = ack;
    seg.tcp_flags = flags;
    seg.payload = payload;
    seg.captured_len = seg.wire_len = len;
    seg.ts = (mqttka_time)(1700000000.0 * 1e6 + t * 1e6);
    seg.tag = ++r->tag;
    CHECK(mqttka_push(r->a, &seg) == MQTTKA_OK);
}

enum { A = MQTTKA_TCP_ACK, F = MQTTKA_TCP_FIN | MQTTKA_TCP_ACK, R = MQTTKA_TCP_RST | MQTTKA_TCP_ACK };

/* A connection from its SYN on `cport` that proves 127.0.0.1:1883 MQTT
 * (CONNECT, CONNACK), left open. */
static void raw_proving_connection(raw_run *r, uint16_t cport, double t)
{
    raw_push(r, cport, C, MQTTKA_TCP_SYN, 99, 0, NULL, 0, t);
    raw_push(r, cport, S, MQTTKA_TCP_SYN | A, 499, 100, NULL, 0, t + 0.0001);
    raw_push(r, cport, C, A, 100, 500, seed_connect, sizeof seed_connect, t + 0.001);
    raw_push(r, cport, S, A, 500, 100 + sizeof seed_connect, connack_ok, sizeof connack_ok,
             t + 0.002);
}

static void raw_finish(raw_run *r, mqttka_counts *c)
{
    mqttka_finish(r->a, (mqttka_time)(1700000000.0 * 1e6 + 100e6));
    mqttka_get_counts(r->a, c);
    mqttka_free(&r->a);
}

/* The capture's counts after close-only segments: TCP connections, those
 * analysed as MQTT, those not analysed as close_only. */
#define CHECK_CLOSE_ONLY_COUNTS(c, tcp, mqtt, close_only)                                    \
    do {                                                                                     \
        CHECK_EQ_INT((c).tcp_connections, (tcp));                                            \
        CHECK_EQ_INT((c).mqtt_connections, (mqtt));                                          \
        CHECK_EQ_INT((c).not_analysed[MQTTKA_NA_CLOSE_ONLY], (close_only));                  \
    } while (0)

/* A connection of which the capture holds only its close is counted, once,
 * as close_only; a straggler of a flow that just ended, and a bare ACK, are
 * no connection; none of them is an MQTT connection where nothing proves
 * their server. */
static void test_close_only_counted(void)
{
    static raw_run r;
    mqttka_counts c;
    /* The server's FIN and the client's ACK, on three connections (a frozen
     * client dropped by a broker nothing in the capture proves); a fourth
     * closed by both FINs; a fifth reset twice; a bare ACK of a sixth. */
    raw_start(&r, NULL);
    for (uint16_t p = 40000; p < 40003; p++) {
        raw_push(&r, p, S, F, 7000, 3000, NULL, 0, 1.0);
        raw_push(&r, p, C, A, 3000, 7001, NULL, 0, 1.001);
    }
    raw_push(&r, 40003, C, F, 3000, 7000, NULL, 0, 1.1);
    raw_push(&r, 40003, S, F, 7000, 3001, NULL, 0, 1.101);
    raw_push(&r, 40003, C, A, 3001, 7001, NULL, 0, 1.102);
    raw_push(&r, 40004, C, R, 3000, 7000, NULL, 0, 1.2);
    raw_push(&r, 40004, C, R, 3000, 7000, NULL, 0, 1.201);
    raw_push(&r, 40005, C, A, 3000, 7000, NULL, 0, 1.3);
    raw_finish(&r, &c);
    CHECK_EQ_INT(r.log.len, 0);
    CHECK_CLOSE_ONLY_COUNTS(c, 5, 0, 5);
    CHECK_EQ_INT(c.not_analysed[MQTTKA_NA_NO_PAYLOAD], 0);

    /* A connection that resets, then its second RST: one connection. */
    raw_start(&r, NULL);
    raw_proving_connection(&r, 40000, 0.0);
    raw_push(&r, 40000, C, R, 114, 504, NULL, 0, 1.0);
    raw_push(&r, 40000, C, R, 114, 504, NULL, 0, 1.0001);
    raw_finish(&r, &c);
    CHECK_CLOSE_ONLY_COUNTS(c, 1, 1, 0);

    /* A client's RST without ACK to a server proven MQTT: the answer to a
     * segment, no connection of that server's; counted. */
    raw_start(&r, NULL);
    raw_proving_connection(&r, 40000, 0.0);
    raw_push(&r, 40001, C, MQTTKA_TCP_RST, 3000, 0, NULL, 0, 1.0);
    raw_finish(&r, &c);
    LOG_LACKS(r.log, "#2");
    CHECK_CLOSE_ONLY_COUNTS(c, 2, 1, 1);
}

/* A scan's RSTs and FINs with the flow table full: each counted, none in
 * the table, no connection pushed out of it. */
static void test_close_only_table_full(void)
{
    static raw_run r;
    mqttka_counts c;
    mqttka_config cfg;
    mqttka_config_default(&cfg);
    cfg.max_flows = 2;
    raw_start(&r, &cfg);
    raw_proving_connection(&r, 40000, 0.0);
    raw_push(&r, 40001, C, MQTTKA_TCP_SYN, 99, 0, NULL, 0, 0.1);
    for (uint16_t p = 41000; p < 41300; p++)
        raw_push(&r, p, S, (p & 1) ? F : R, 7000, 3000, NULL, 0, 1.0 + (p - 41000) * 0.001);
    CHECK_EQ_INT(analyzer_flow_count(r.a), 2);
    raw_finish(&r, &c);
    LOG_LACKS(r.log, "resource_limit");
    CHECK_CLOSE_ONLY_COUNTS(c, 302, 1, 300);
}

/* Connections of nothing but a close that ended before any connection
 * proved their server are kept, at most 64 at once, and adopted at the end
 * once it is proven: 70 clients' RSTs with ACK, then the proof. The first
 * 64 are the server's connections, reset by the client; the 6 past the
 * bound were counted close_only as they ended. */
static void test_close_only_kept_until_proof(void)
{
    static raw_run r;
    mqttka_counts c;
    raw_start(&r, NULL);
    for (uint16_t i = 0; i < 70; i++)
        raw_push(&r, (uint16_t)(42000 + i), C, R, 3000, 7000, NULL, 0, 1.0 + i * 0.001);
    CHECK_EQ_INT(analyzer_flow_count(r.a), 64);
    raw_proving_connection(&r, 40000, 2.0);
    raw_finish(&r, &c);
    CHECK_CLOSE_ONLY_COUNTS(c, 71, 65, 6);
    LOG_HAS(r.log, "#2 summary 127.0.0.1:42000 -> 127.0.0.1:1883");
    LOG_HAS(r.log, "#65 summary 127.0.0.1:42063 -> 127.0.0.1:1883");
    LOG_LACKS(r.log, "127.0.0.1:42064 ->");
    LOG_HAS(r.log, "close=client/rst start_seen=0 verdict=reset");

    /* A SYN on a kept flow's address pair opens a new connection; the kept
     * one is counted then (nothing proved its server by that time). */
    raw_start(&r, NULL);
    raw_push(&r, 40000, C, R, 3000, 7000, NULL, 0, 1.0);
    raw_proving_connection(&r, 40000, 2.0);
    raw_finish(&r, &c);
    CHECK_CLOSE_ONLY_COUNTS(c, 2, 1, 1);
    LOG_LACKS(r.log, "#2");

    /* The server's lone RST before the proof: never adopted. */
    raw_start(&r, NULL);
    raw_push(&r, 40001, S, R, 7000, 3000, NULL, 0, 1.0);
    raw_proving_connection(&r, 40000, 2.0);
    raw_finish(&r, &c);
    CHECK_CLOSE_ONLY_COUNTS(c, 2, 1, 1);
}

static void test_ipv6_endpoints(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    sc.ipv6 = true;
    script_ws_open(&sc);
    script_ws(&sc, C, 0.010, seed_connect, sizeof seed_connect);
    CHECK(script_run_all_ways("ipv6", &sc, &lg, NULL));
    LOG_HAS(lg, "#1 summary [::1]:50000 -> [::1]:1882 websocket");
}

/* per_pair_findings off (a front end that never shows them): no
 * pingresp_rtt finding, and every other event as with it on. */
static void test_per_pair_findings(void)
{
    static raw_run on, off;
    mqttka_config cfg;
    mqttka_config_default(&cfg);
    CHECK(cfg.per_pair_findings);
    raw_start(&on, &cfg);
    cfg.per_pair_findings = false;
    raw_start(&off, &cfg);
    raw_run *runs[] = {&on, &off};
    for (size_t i = 0; i < 2; i++) {
        raw_run *r = runs[i];
        event_log_reset(&r->log, true);
        raw_proving_connection(r, 40000, 1.0);
        uint32_t c_seq = 100 + sizeof seed_connect, s_seq = 500 + sizeof connack_ok;
        for (int ping = 0; ping < 2; ping++) {
            raw_push(r, 40000, C, A, c_seq, s_seq, pingreq, sizeof pingreq, 6.0 + 5 * ping);
            c_seq += sizeof pingreq;
            raw_push(r, 40000, S, A, s_seq, c_seq, pingresp, sizeof pingresp, 6.0015 + 5 * ping);
            s_seq += sizeof pingresp;
        }
        mqttka_counts c;
        raw_finish(r, &c);
        CHECK(!r->log.overflow);
    }
    LOG_HAS(on.log, "finding pingresp_rtt info about=6 value=0.002 \"PINGRESP ");
    LOG_LACKS(off.log, "pingresp_rtt");
    /* The log with them, their lines taken out. */
    static char expected[EVENT_LOG_MAX];
    size_t n = 0, rtt_lines = 0;
    for (const char *line = on.log.text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) + 1 : strlen(line);
        const char *rtt = strstr(line, " finding pingresp_rtt ");
        if (rtt && rtt < line + len) {
            rtt_lines++;
        } else {
            memcpy(expected + n, line, len);
            n += len;
        }
        line += len;
    }
    expected[n] = '\0';
    CHECK_EQ_INT(rtt_lines, 2);
    CHECK_EQ_STR(off.log.text, expected);
}

static void test_api_errors(void)
{
    mqttka_analyzer *a = NULL;
    CHECK(mqttka_new(NULL, NULL, event_log_on_event, NULL) == MQTTKA_ERR_INVALID);
    CHECK(mqttka_new(&a, NULL, NULL, NULL) == MQTTKA_ERR_INVALID);
    mqttka_config cfg;
    mqttka_config_default(&cfg);
    cfg.max_flows = 0;
    CHECK(mqttka_new(&a, &cfg, event_log_on_event, NULL) == MQTTKA_ERR_INVALID);
    CHECK(a == NULL);
    CHECK(mqttka_push(NULL, NULL) == MQTTKA_ERR_INVALID);
    mqttka_free(NULL);
    mqttka_free(&a);
    CHECK_EQ_STR(mqttka_finding_name(MQTTKA_F_PINGREQ_UNANSWERED), "pingreq_unanswered");
    CHECK_EQ_STR(mqttka_verdict_name(MQTTKA_V_SERVER_CLOSED_KEEPALIVE), "server_closed_keepalive");
    CHECK_EQ_INT(mqttka_finding_severity(MQTTKA_F_PINGREQ_UNANSWERED), MQTTKA_ERROR);
    CHECK_EQ_INT(mqttka_finding_severity(MQTTKA_F_PINGRESP_RTT), MQTTKA_INFO);
    for (int k = 0; k < MQTTKA_F_COUNT; k++)
        CHECK(strcmp(mqttka_finding_name((mqttka_finding_kind)k), "unknown") != 0);
}

int main(void)
{
    test_seed_healthy();
    test_server_closes_silent_client();
    test_keepalive_not_enforced();
    test_broker_frozen();
    test_pingreq_overtaken_then_reset();
    test_mqtt5_tcp_server_keepalive();
    test_server_keepalive_ignored();
    test_websocket_hygiene();
    test_packets_across_frames();
    test_handshakes();
    test_upgrade_after_plain_requests();
    test_connection_strings();
    test_capture_gap();
    test_late_websocket_binary_not_subscribe();
    test_late_chain_across_segments();
    test_late_big_publish();
    test_late_split_fixed_header();
    test_late_disconnect_after_run();
    test_server_side_opens_with_connack();
    test_late_subscribe_first();
    test_late_mqtt_port_request_answer();
    test_late_one_segment_on_mqtt_port();
    test_late_skippable_in_run();
    test_late_lone_pingreq();
    test_late_lone_disconnect();
    test_syn_ack_only_connect_lost();
    test_cadence_across_ages();
    test_reordered_segments();
    test_huge_frame_bounded_memory();
    test_flow_cap();
    test_close_only_counted();
    test_close_only_table_full();
    test_close_only_kept_until_proof();
    test_ipv6_endpoints();
    test_per_pair_findings();
    test_api_errors();
    return th_report();
}

/*
 * segment_script.h - a conversation on one TCP connection, written as a
 * script of messages with capture times, and pushed into the core every way
 * a capture may cut it.
 *
 * A script is a list of messages (a TCP handshake, an HTTP Upgrade, a
 * WebSocket frame, plain-TCP MQTT bytes, a FIN or RST), each from the client
 * (SCRIPT_C, 127.0.0.1:50000 or [::1]:50000) or the server (SCRIPT_S, port
 * 1882 unless the script names another), at a time in seconds from the
 * start (capture times are 1700000000 s + t). Message i has frame tag i + 1,
 * and keeps it when it is split into several segments.
 *
 * script_run_all_ways pushes it every message in one segment, byte by byte,
 * in batches (mqttka_push_batch, with and without look-ahead) and split in
 * two at every offset; every way must give the same event log
 * (event_log.h), which it returns. (A script whose segment starts matter is
 * pushed only whole and in batches.)
 */
#ifndef MQTTKA_TEST_SEGMENT_SCRIPT_H
#define MQTTKA_TEST_SEGMENT_SCRIPT_H

#include "event_log.h"
#include "mqttka.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCRIPT_MAX_MSGS 64
#define SCRIPT_MAX_BYTES 4096

enum { SCRIPT_C = 0, SCRIPT_S = 1 }; /* who sends */

typedef struct script_msg {
    int from;
    double t;            /* seconds since the start */
    uint8_t flags;       /* MQTTKA_TCP_* beyond ACK */
    uint8_t bytes[SCRIPT_MAX_BYTES];
    size_t len;
    bool no_ack;
    bool lost;           /* on the wire but not in the capture */
    uint32_t ack_ahead;  /* its ACK covers this many bytes the peer sends later */
    uint8_t conn;        /* which connection: client port 50000 + conn */
} script_msg;

typedef struct script {
    script_msg m[SCRIPT_MAX_MSGS];
    size_t n;
    bool ipv6;
    uint16_t server_port; /* 0: 1882 */
    /* Where segments begin matters to what the core may conclude (decoding
     * that resumes after a hole, or starts mid-stream, does so at a segment
     * that proves a packet boundary): the script is not split byte by byte
     * or at every offset, only pushed whole and in batches. */
    bool segment_starts_matter;
    /* the connection later messages go on (script_on); several connections
     * share the server and the client's address, with client ports
     * 50000 + conn */
    uint8_t conn;
    /* NULL, or an NSS key log handed to the analyzer (mqttka_set_tls_keylog) */
    const char *keylog;
} script;

#define SCRIPT_MAX_CONNS 8

/* Later messages go on connection `conn` (< SCRIPT_MAX_CONNS; 0 at first):
 * scripts of several connections, for the rules between them. */
void script_on(script *sc, uint8_t conn);

/* Empties *sc (client 127.0.0.1, server port 1882). */
void script_reset(script *sc);

/* Appends a message of `len` bytes (aborts past the script's size). */
script_msg *script_add(script *sc, int from, double t, const void *bytes, size_t len);

/* Appends a segment with no payload and these TCP flags (SYN, FIN, RST). */
void script_add_flags(script *sc, int from, double t, uint8_t flags);

/* Writes a WebSocket frame into out (at least len + 8 bytes): its first
 * byte as given, masked with a fixed key when `masked`. Returns its size. */
size_t script_ws_frame(uint8_t *out, uint8_t first_byte, bool masked, const uint8_t *payload,
                       size_t len);

/* Appends one binary WebSocket frame carrying `mqtt`, masked when the
 * client sends it (RFC 6455 §5.1). */
void script_ws(script *sc, int from, double t, const void *mqtt, size_t len);

/* SYN at 0, SYN-ACK at 0.0001 s (frames 1, 2). */
void script_tcp_open(script *sc);

/* The TCP handshake, then the Upgrade request offering "mqtt" at 0.001 s
 * (frame 3) and its 101 choosing "mqtt" at 0.002 s (frame 4). */
void script_ws_open(script *sc);

/* The request and the 101 script_ws_open sends (RFC 6455 §1.3's key and
 * accept). */
extern const char script_request[];
extern const char script_response_101[];

/* Runs the script every way with `cfg` (NULL: defaults) and leaves the log
 * of the one-segment-per-message run in *out. Returns false, having said
 * why on stderr under `name`, when any way gave another log, a push failed,
 * a log overflowed or a finding came with a severity above its kind's. */
bool script_run_all_ways(const char *name, const script *sc, event_log *out,
                         const mqttka_config *cfg);

/* Runs the script once, a segment per message, and gives the analyzer's
 * connection counts at the end (why connections were not analysed). */
bool script_counts(const script *sc, const mqttka_config *cfg, mqttka_counts *out);

#endif

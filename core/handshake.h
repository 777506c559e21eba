/*
 * handshake.h - the WebSocket opening handshake of a flow (RFC 6455 §4):
 * the client's Upgrade request, the server's answer, and what they come to.
 *
 * The flow hands each side's bytes here while the handshake lasts and acts
 * on the step that comes back (handshake_step); this module reports what
 * the handshake says about the connection (the handshake event, a failed
 * or odd handshake's findings) and never touches the flow.
 *
 * A WebSocket whose subprotocol does not name MQTT is ours only if the
 * client's first message starts with a CONNECT: until then the 101 is held
 * in the session (ws_pending) and nothing is reported, so other WebSocket
 * traffic stays silent (handshake_first_message).
 */
#ifndef MQTTKA_HANDSHAKE_H
#define MQTTKA_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emit.h"
#include "first_bytes.h"
#include "http_body.h"
#include "http_upgrade.h"
#include "kept_segments.h"
#include "mqttka.h"
#include "session.h"

/* A flow's handshake while it lasts. */
typedef struct http_handshake {
    uint8_t *buf[2];        /* header blocks arriving in parts, per side (0 client) */
    size_t len[2];
    bool request_done;
    bool response_done;
    bool too_long_offers_mqtt; /* a request over the cap named an "mqtt..." subprotocol */
    http_upgrade_request request;
    mqttka_time request_ts;
    uint64_t request_tag;
    /* A keep-alive connection followed through plain requests (handshake.c
     * says why): how many were read, how many got their final answer,
     * which were HEADs (bit n: the n-th), and the body being skipped on
     * each side. */
    uint8_t plain_requests;
    uint8_t plain_answered;
    uint16_t plain_head;
    http_body body[2];
    /* client segments after the request and before the answer: WebSocket
     * frames sent ahead of the 101, decoded once it comes (the flow keeps
     * them, and frees them before the handshake) */
    kept_segments early;
    uint64_t early_dropped;   /* bytes of them that did not fit */
} http_handshake;

/* NULL when out of memory. */
http_handshake *handshake_new(void);
void handshake_free(http_handshake *h);

typedef enum handshake_step {
    HANDSHAKE_MORE = 0,        /* the header block goes on: more bytes, please */
    HANDSHAKE_EARLY_DATA,      /* client bytes after its request, before the answer */
    HANDSHAKE_REQUESTED,       /* a WebSocket Upgrade request: the flow makes its session */
    HANDSHAKE_REQUEST_TOO_LONG,/* over max_http_header_bytes (too_long_offers_mqtt says
                                  whether to report it: handshake_report_request_too_long) */
    HANDSHAKE_NOT_OURS,        /* not a WebSocket handshake of ours: drop it, silently */
    HANDSHAKE_FAILED,          /* no upgrade; reported when the client offered MQTT */
    HANDSHAKE_UPGRADED,        /* 101: WebSocket frames follow, the first of them at *rest */
} handshake_step;

/* Client bytes. Plain requests before the Upgrade (and their bodies) are
 * read and passed over here (HANDSHAKE_MORE). On EARLY_DATA and on
 * REQUESTED, *rest (*rest_len bytes, within `bytes`) is what follows the
 * Upgrade request: client bytes sent ahead of the answer. */
handshake_step handshake_request_bytes(http_handshake *h, const rule_ctx *at,
                                       const uint8_t *bytes, size_t len, const uint8_t **rest,
                                       size_t *rest_len);

/* The request was sent and no answer was ever captured (a capture of the
 * client's side only), but the client's bytes are WebSocket frames: the
 * upgrade happened. Starts the WebSocket in the session as on a 101. */
void handshake_upgraded_unseen(const http_handshake *h, session *s);

/* A capture of the server's side only, whose first bytes are an answer to
 * a request the capture missed: is it a whole header block (within
 * max_http_header_bytes, in `bytes`) of a 101 to a WebSocket whose
 * Sec-WebSocket-Protocol names MQTT ("mqtt", "mqttv3.1")? Then the
 * connection is a WebSocket MQTT one, its frames from *header_len on. */
bool handshake_answer_upgrades_to_mqtt(const rule_ctx *at, const uint8_t *bytes, size_t len,
                                       http_upgrade_response *resp, size_t *header_len);

/* Starts the WebSocket in the session from such a 101 (the subprotocol and
 * extensions it chose). False when out of memory. */
bool handshake_upgraded_request_unseen(const rule_ctx *at, session *s,
                                       const http_upgrade_response *resp);

/* Do the client's bytes kept after its request (`early`, side `side`) read
 * as masked WebSocket frames whose data, joined, begins with an MQTT
 * CONNECT? They then show the upgrade happened where the answer was not
 * captured, though no frame alone holds a whole packet (MQTT.js over Node's
 * `ws` writes its CONNECT a field a frame, MQTT-6.0.0-2). */
bool handshake_early_frames_carry_connect(const kept_segments *early, int side);

/* Does the request offer an "mqtt..." subprotocol ("mqtt", "mqttv3.1")? */
bool handshake_request_offers_mqtt(const http_handshake *h);

/* Reports a request over the cap that offered MQTT, on its session. */
void handshake_report_request_too_long(const rule_ctx *at, session *s);

/* Server bytes: the answers to plain requests (no session yet, `s` may be
 * NULL), then the answer to the Upgrade, for the session made at
 * HANDSHAKE_REQUESTED. On UPGRADED the WebSocket is started in the session,
 * and the frames that came behind the 101 are *rest (*rest_len bytes,
 * within `bytes`). */
handshake_step handshake_response_bytes(http_handshake *h, const rule_ctx *at, session *s,
                                        const uint8_t *bytes, size_t len, const uint8_t **rest,
                                        size_t *rest_len);

/* The flow ends during the handshake: a request offering MQTT that was
 * never answered is reported once the connection closed (`closed`) or
 * enough time passed at the end of input. */
void handshake_end(const http_handshake *h, const rule_ctx *at, session *s, bool closed);

typedef enum first_message {
    FIRST_MESSAGE_WAIT = 0, /* too few bytes yet: held */
    FIRST_MESSAGE_MQTT,     /* a CONNECT: the handshake has been reported */
    FIRST_MESSAGE_NOT_MQTT, /* not ours: the session is marked not_mqtt */
} first_message;

/* Data of the first WebSocket message in direction `dir` of a session not
 * yet confirmed. On MQTT, *view holds the bytes decided on, to be replayed
 * into the MQTT stream (all of view, then `bytes` from view->took). */
first_message handshake_first_message(const rule_ctx *at, session *s, mqttka_direction dir,
                                      const uint8_t *bytes, size_t len, first_bytes_view *view);

#endif

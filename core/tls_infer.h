/*
 * tls_infer.h - a TLS connection analysed without keys (issue 17, "Without
 * keys: keepalive inferred from the records").
 *
 * RFC 8446 §5.1 / RFC 5246 §6.2: every TLS record starts with a 5-byte
 * header, read here into a fixed array; the body is never buffered, only
 * counted and skipped (a ServerHello's first TLS_PEEK_MAX bytes excepted,
 * for the version and the cipher):
 *
 *   +------+---------+---------+----------+----------------+
 *   | type | version (2 bytes) | length (2 bytes) | body ...
 *   +------+---------+---------+----------+----------------+
 *   type: 20 change_cipher_spec, 21 alert, 22 handshake,
 *         23 application_data, 24 heartbeat (RFC 6520)
 *
 * A 2-byte PINGREQ is one application-data record of a fixed small length,
 * answered by a PINGRESP record of the same length (or 4 bytes less over
 * WebSocket: the client's frames carry a 4-byte mask, RFC 6455 §5.3). The
 * pair is learned from the connection: the smallest client record length
 * that is answered at once by a server record of a matching length. With an
 * AEAD cipher known from the ServerHello, the record's expansion (RFC 5288:
 * 8-byte explicit nonce + 16-byte tag; RFC 7905: 16-byte tag; RFC 8446: inner
 * type byte + 16-byte tag) gives the plaintext length, which must be that of
 * a 2-byte MQTT packet in at most a masked WebSocket frame (2..8 bytes): one
 * exchange then suffices. Otherwise the pair must recur TLS_MIN_UNPROVEN
 * times at a regular cadence before anything is claimed.
 */
#ifndef MQTTKA_TLS_INFER_H
#define MQTTKA_TLS_INFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqttka.h"

/* Bytes of a handshake record's body kept to find the ServerHello's version
 * and cipher: a ServerHello with a 32-byte session id, supported_versions
 * and an X25519 or P-256 key share fits; a longer one is read as far as kept. */
#define TLS_PEEK_MAX 256

/* One record as the follower reports it. */
typedef struct tls_record {
    uint8_t type;           /* content type */
    uint16_t version;       /* the header's legacy version */
    uint16_t length;        /* body length, as declared */
    const uint8_t *peek;    /* handshake records: the body's first bytes */
    size_t peek_len;
} tls_record;

typedef void (*tls_record_fn)(void *ctx, const tls_record *r);

/* Follows the records of one direction. Zero-initialised is ready. */
typedef struct tls_record_follower {
    uint8_t hdr[5];
    uint8_t hdr_len;
    bool in_body;
    bool broken;            /* a header that is not TLS: sticky, nothing more reported */
    uint32_t body_left;
    uint16_t peek_len;
    uint8_t peek[TLS_PEEK_MAX];
} tls_record_follower;

/* Pushes the next `len` bytes of the direction; each record is reported to
 * fn when its last byte has come. Returns false once the stream has shown a
 * header that is not TLS (then and afterwards nothing is reported). */
bool tls_follow(tls_record_follower *f, const uint8_t *bytes, size_t len, tls_record_fn fn,
                void *ctx);

/* ServerHello (RFC 8446 §4.1.3): the selected version (supported_versions
 * when present, else legacy_version) and cipher suite, from a handshake
 * record's first bytes. Writes them only on success. */
bool tls_parse_server_hello(const uint8_t *body, size_t len, uint16_t *version, uint16_t *cipher);

typedef struct tls_infer tls_infer;

/* What the record logs of every TLS flow may hold (mqttka_config's
 * max_tls_records and max_tls_memory_bytes): `held` bytes of `cap` for all
 * flows together, and at most `per_flow` records in one. A log that would
 * pass either stops growing; its inference says so (records_capped and a
 * resource_limit finding). */
typedef struct tls_log_budget {
    size_t held;
    size_t cap;
    size_t per_flow;
} tls_log_budget;

/* Bytes of a log of n records (for the budget and the benchmark). */
size_t tls_infer_log_bytes(size_t n);

/* A new, empty inference whose log is counted in *budget (borrowed; it must
 * outlive the inference); NULL when out of memory. */
tls_infer *tls_infer_new(tls_log_budget *budget);
/* Frees *t, gives its log's bytes back to its budget, leaves NULL. */
void tls_infer_free(tls_infer **t);

/* Bytes of one direction at capture time ts, frame tag. */
void tls_infer_push(tls_infer *t, mqttka_direction dir, const uint8_t *bytes, size_t len,
                    mqttka_time ts, uint64_t tag);
/* The key log might have had this flow's secrets, but decrypting it would
 * pass max_tls_decrypt_memory_bytes (cap): said as a resource_limit. */
void tls_infer_decrypt_refused(tls_infer *t, size_t cap);
/* A hole in a direction: its records are not followed from there. */
void tls_infer_gap(tls_infer *t, mqttka_direction dir);
/* A FIN or RST of `who` (the first one counts). */
void tls_infer_close(tls_infer *t, mqttka_side who, mqttka_close_mechanism how, mqttka_time ts);

/* The inference at the end of the connection (end: its last time): fills
 * *out; its findings point into `findings` (MQTTKA_TLS_MAX_FINDINGS), the
 * details into the findings themselves. cfg gives the tolerances and
 * T_resp. The endpoints and tags are the caller's to fill. */
void tls_infer_finish(const tls_infer *t, const mqttka_config *cfg, mqttka_time end,
                      mqttka_tls_inference *out, mqttka_finding *findings);

#endif

/*
 * sha1.h - SHA-1 (FIPS 180-4 §6.1), only for the WebSocket handshake.
 *
 * RFC 6455 §4.2.2 derives Sec-WebSocket-Accept from SHA-1; checking it needs
 * nothing more than this. SHA-1 is broken for collision resistance: never use
 * it here for anything that must resist an attacker.
 */
#ifndef MQTTKA_SHA1_H
#define MQTTKA_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_DIGEST_LEN 20
#define SHA1_BLOCK_LEN 64

typedef struct sha1_ctx {
    uint32_t state[5];             /* H0..H4 */
    uint64_t total_len;            /* bytes hashed so far */
    uint8_t block[SHA1_BLOCK_LEN]; /* a partial block waiting for more bytes */
    size_t block_have;
} sha1_ctx;

/* Starts a hash in *c (caller-owned; no other resources). */
void sha1_init(sha1_ctx *c);

/* Adds `len` bytes; `data` is read during the call only and may be NULL
 * when `len` is 0. */
void sha1_update(sha1_ctx *c, const uint8_t *data, size_t len);

/* Pads, writes the 20-byte digest to `out` and leaves *c spent (call
 * sha1_init again to reuse it). */
void sha1_final(sha1_ctx *c, uint8_t out[SHA1_DIGEST_LEN]);

/* The digest of one buffer. */
void sha1(const uint8_t *data, size_t len, uint8_t out[SHA1_DIGEST_LEN]);

#endif

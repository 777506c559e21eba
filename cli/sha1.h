/*
 * sha1.h - SHA-1 (FIPS 180-4 §6.1) of a short message held whole in memory.
 *
 * For the Community ID (flow_ids.c), whose published spec fixes SHA-1; not
 * for anything that needs a secure hash. Written from the standard, checked
 * against its examples ("abc", the 448-bit message, a million 'a's) in
 * tests/cli/test_flow_ids.c.
 */
#ifndef MQTTKA_CLI_SHA1_H
#define MQTTKA_CLI_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_DIGEST_SIZE 20

typedef struct sha1_state {
    uint32_t h[5];
    uint64_t length;      /* bytes hashed so far */
    uint8_t block[64];
    size_t used;          /* bytes waiting in `block` */
} sha1_state;

void sha1_init(sha1_state *s);
void sha1_update(sha1_state *s, const void *data, size_t len);
/* Pads, writes the digest to `out` and leaves `s` to be initialised again. */
void sha1_final(sha1_state *s, uint8_t out[SHA1_DIGEST_SIZE]);

/* The digest of `len` bytes at `data`. */
void sha1(const void *data, size_t len, uint8_t out[SHA1_DIGEST_SIZE]);

#endif

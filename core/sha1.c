/*
 * sha1.c - SHA-1, FIPS 180-4 §5.1.1 (padding), §5.3.1 (initial hash value),
 * §6.1.2 (hash computation), written from the standard.
 *
 * A message is padded with one 1 bit, zeros, and its length in bits as a
 * 64-bit big-endian number, to a multiple of 512 bits:
 *
 *   | message ... | 0x80 | 0x00 ... | length in bits (8 bytes, big-endian) |
 *   |<------------------ k x 64 bytes ------------------------------------>|
 *
 * Each 64-byte block is expanded to 80 words and mixed into H0..H4 in 80
 * rounds; the digest is H0..H4 in big-endian order.
 */
#include "sha1.h"

#include <string.h>

#define SHA1_LENGTH_FIELD 8 /* bytes of the bit length at the end of the padding */

static uint32_t sha1_rotl(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32u - n));
}

static uint32_t sha1_load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* The message schedule (§6.1.2 step 1) kept as a ring of its last 16 words:
 * W[t] needs only W[t-3], W[t-8], W[t-14] and W[t-16], and W[t-16] is the
 * slot W[t] replaces. */
#define SHA1_W(t) w[(t) & 15]
#define SHA1_SCHEDULE(t)                                                                \
    (SHA1_W(t) = sha1_rotl(SHA1_W((t) + 13) ^ SHA1_W((t) + 8) ^ SHA1_W((t) + 2) ^ SHA1_W(t), 1))

/* The round functions of §4.1.1, each in its fewest operations (Ch and Maj
 * rewritten by the identities (b & c) ^ (~b & d) = d ^ (b & (c ^ d)) and
 * Maj(b, c, d) = (b & c) + (d & (b ^ c)), the two terms never sharing a
 * bit). */
#define SHA1_CH(b, c, d) ((d) ^ ((b) & ((c) ^ (d))))
#define SHA1_PARITY(b, c, d) ((b) ^ (c) ^ (d))
#define SHA1_MAJ(b, c, d) (((b) & (c)) + ((d) & ((b) ^ (c))))

/* One round, §6.1.2 step 4, with the five working variables renamed from
 * round to round instead of moved: the caller passes them rotated, so
 * "e = d, d = c, c = ROTL30(b), b = a, a = T" becomes two assignments. */
#define SHA1_ROUND(a, b, c, d, e, f, k, wt)                                           \
    do {                                                                               \
        (e) += sha1_rotl((a), 5) + f((b), (c), (d)) + (k) + (wt);                     \
        (b) = sha1_rotl((b), 30);                                                      \
    } while (0)

#define SHA1_FIVE(t, f, k, wt)                                                         \
    do {                                                                               \
        SHA1_ROUND(a, b, c, d, e, f, k, wt(t));                                        \
        SHA1_ROUND(e, a, b, c, d, f, k, wt((t) + 1));                                  \
        SHA1_ROUND(d, e, a, b, c, f, k, wt((t) + 2));                                  \
        SHA1_ROUND(c, d, e, a, b, f, k, wt((t) + 3));                                  \
        SHA1_ROUND(b, c, d, e, a, f, k, wt((t) + 4));                                  \
    } while (0)

#define SHA1_LOADED(t) (SHA1_W(t) = sha1_load_be32(block + 4 * (t)))

/* FIPS 180-4 §6.1.2 steps 1-4 for one block, its 80 rounds written out:
 * no loop counter, no index arithmetic, no moves between rounds. */
static void sha1_compress(uint32_t state[5], const uint8_t block[SHA1_BLOCK_LEN])
{
    uint32_t w[16];
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3], e = state[4];

    SHA1_FIVE(0, SHA1_CH, 0x5a827999u, SHA1_LOADED);
    SHA1_FIVE(5, SHA1_CH, 0x5a827999u, SHA1_LOADED);
    SHA1_FIVE(10, SHA1_CH, 0x5a827999u, SHA1_LOADED);
    SHA1_ROUND(a, b, c, d, e, SHA1_CH, 0x5a827999u, SHA1_LOADED(15));
    SHA1_ROUND(e, a, b, c, d, SHA1_CH, 0x5a827999u, SHA1_SCHEDULE(16));
    SHA1_ROUND(d, e, a, b, c, SHA1_CH, 0x5a827999u, SHA1_SCHEDULE(17));
    SHA1_ROUND(c, d, e, a, b, SHA1_CH, 0x5a827999u, SHA1_SCHEDULE(18));
    SHA1_ROUND(b, c, d, e, a, SHA1_CH, 0x5a827999u, SHA1_SCHEDULE(19));

    SHA1_FIVE(20, SHA1_PARITY, 0x6ed9eba1u, SHA1_SCHEDULE);
    SHA1_FIVE(25, SHA1_PARITY, 0x6ed9eba1u, SHA1_SCHEDULE);
    SHA1_FIVE(30, SHA1_PARITY, 0x6ed9eba1u, SHA1_SCHEDULE);
    SHA1_FIVE(35, SHA1_PARITY, 0x6ed9eba1u, SHA1_SCHEDULE);

    SHA1_FIVE(40, SHA1_MAJ, 0x8f1bbcdcu, SHA1_SCHEDULE);
    SHA1_FIVE(45, SHA1_MAJ, 0x8f1bbcdcu, SHA1_SCHEDULE);
    SHA1_FIVE(50, SHA1_MAJ, 0x8f1bbcdcu, SHA1_SCHEDULE);
    SHA1_FIVE(55, SHA1_MAJ, 0x8f1bbcdcu, SHA1_SCHEDULE);

    SHA1_FIVE(60, SHA1_PARITY, 0xca62c1d6u, SHA1_SCHEDULE);
    SHA1_FIVE(65, SHA1_PARITY, 0xca62c1d6u, SHA1_SCHEDULE);
    SHA1_FIVE(70, SHA1_PARITY, 0xca62c1d6u, SHA1_SCHEDULE);
    SHA1_FIVE(75, SHA1_PARITY, 0xca62c1d6u, SHA1_SCHEDULE);

    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
}

#undef SHA1_LOADED
#undef SHA1_FIVE
#undef SHA1_ROUND
#undef SHA1_MAJ
#undef SHA1_PARITY
#undef SHA1_CH
#undef SHA1_SCHEDULE
#undef SHA1_W

void sha1_init(sha1_ctx *c)
{
    /* FIPS 180-4 §5.3.1 */
    c->state[0] = 0x67452301u;
    c->state[1] = 0xefcdab89u;
    c->state[2] = 0x98badcfeu;
    c->state[3] = 0x10325476u;
    c->state[4] = 0xc3d2e1f0u;
    c->total_len = 0;
    c->block_have = 0;
}

void sha1_update(sha1_ctx *c, const uint8_t *data, size_t len)
{
    if (len == 0)
        return; /* data may be NULL then */
    c->total_len += len;

    /* Top up a partial block first. */
    if (c->block_have > 0) {
        size_t room = SHA1_BLOCK_LEN - c->block_have;
        size_t n = len < room ? len : room;
        memcpy(c->block + c->block_have, data, n);
        c->block_have += n;
        data += n;
        len -= n;
        if (c->block_have < SHA1_BLOCK_LEN)
            return;
        sha1_compress(c->state, c->block);
        c->block_have = 0;
    }

    /* Whole blocks straight from the caller's buffer. */
    for (; len >= SHA1_BLOCK_LEN; data += SHA1_BLOCK_LEN, len -= SHA1_BLOCK_LEN)
        sha1_compress(c->state, data);

    if (len > 0) {
        memcpy(c->block, data, len);
        c->block_have = len;
    }
}

void sha1_final(sha1_ctx *c, uint8_t out[SHA1_DIGEST_LEN])
{
    /* The standard counts bits modulo 2^64 (messages are < 2^64 bits). */
    const uint64_t bit_len = c->total_len << 3;

    c->block[c->block_have++] = 0x80;
    if (c->block_have > SHA1_BLOCK_LEN - SHA1_LENGTH_FIELD) {
        /* No room left for the length: it goes in one more block. */
        memset(c->block + c->block_have, 0, SHA1_BLOCK_LEN - c->block_have);
        sha1_compress(c->state, c->block);
        c->block_have = 0;
    }
    memset(c->block + c->block_have, 0, SHA1_BLOCK_LEN - SHA1_LENGTH_FIELD - c->block_have);
    for (size_t i = 0; i < SHA1_LENGTH_FIELD; i++)
        c->block[SHA1_BLOCK_LEN - 1 - i] = (uint8_t)(bit_len >> (8 * i));
    sha1_compress(c->state, c->block);

    for (size_t i = 0; i < 5; i++) {
        out[4 * i] = (uint8_t)(c->state[i] >> 24);
        out[4 * i + 1] = (uint8_t)(c->state[i] >> 16);
        out[4 * i + 2] = (uint8_t)(c->state[i] >> 8);
        out[4 * i + 3] = (uint8_t)c->state[i];
    }
    c->block_have = 0;
}

void sha1(const uint8_t *data, size_t len, uint8_t out[SHA1_DIGEST_LEN])
{
    sha1_ctx c;
    sha1_init(&c);
    sha1_update(&c, data, len);
    sha1_final(&c, out);
}

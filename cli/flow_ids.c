/*
 * flow_ids.c - the Community ID and the uid of a connection (flow_ids.h).
 */
#include "flow_ids.h"

#include <string.h>

#include "../core/sha1.h" /* the core's, which also makes WebSocket accept keys */

/* The endpoint's address as it goes on the wire: 4 or 16 bytes. */
static size_t address_length(const mqttka_endpoint *e)
{
    return e->family == 4 ? 4 : 16;
}

/* True when `a` is the smaller endpoint: its address bytes (network order)
 * first, then its port, as the spec orders them. */
static int endpoint_is_lower(const mqttka_endpoint *a, const mqttka_endpoint *b)
{
    size_t n = address_length(a);
    if (address_length(b) < n)
        n = address_length(b);
    int c = memcmp(a->addr, b->addr, n);
    if (c != 0)
        return c < 0;
    return a->port < b->port;
}

static void order(const mqttka_endpoint **lo, const mqttka_endpoint **hi)
{
    if (!endpoint_is_lower(*lo, *hi)) {
        const mqttka_endpoint *t = *lo;
        *lo = *hi;
        *hi = t;
    }
}

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void flow_community_id(const mqttka_endpoint *a, const mqttka_endpoint *b, uint16_t seed,
                       char out[COMMUNITY_ID_LEN + 1])
{
    const mqttka_endpoint *lo = a, *hi = b;
    order(&lo, &hi);
    /* seed, two addresses of at most 16 bytes, proto, pad, two ports */
    uint8_t msg[2 + 16 + 16 + 2 + 4];
    size_t n = 0;
    msg[n++] = (uint8_t)(seed >> 8);
    msg[n++] = (uint8_t)seed;
    memcpy(msg + n, lo->addr, address_length(lo));
    n += address_length(lo);
    memcpy(msg + n, hi->addr, address_length(hi));
    n += address_length(hi);
    msg[n++] = 6; /* TCP */
    msg[n++] = 0;
    msg[n++] = (uint8_t)(lo->port >> 8);
    msg[n++] = (uint8_t)lo->port;
    msg[n++] = (uint8_t)(hi->port >> 8);
    msg[n++] = (uint8_t)hi->port;
    uint8_t digest[SHA1_DIGEST_LEN];
    sha1(msg, n, digest);

    /* RFC 4648 base64: 20 bytes are six groups of three and two bytes left,
     * which make three characters and one '='. */
    char *p = out;
    *p++ = '1';
    *p++ = ':';
    size_t i = 0;
    for (; i + 3 <= sizeof digest; i += 3) {
        uint32_t v = (uint32_t)digest[i] << 16 | (uint32_t)digest[i + 1] << 8 | digest[i + 2];
        *p++ = base64_alphabet[v >> 18];
        *p++ = base64_alphabet[(v >> 12) & 63];
        *p++ = base64_alphabet[(v >> 6) & 63];
        *p++ = base64_alphabet[v & 63];
    }
    uint32_t v = (uint32_t)digest[i] << 16 | (uint32_t)digest[i + 1] << 8;
    *p++ = base64_alphabet[v >> 18];
    *p++ = base64_alphabet[(v >> 12) & 63];
    *p++ = base64_alphabet[(v >> 6) & 63];
    *p++ = '=';
    *p = '\0';
}

/* splitmix64's finaliser: every input bit reaches every output bit. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static const char base62_alphabet[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

void flow_uid(const mqttka_endpoint *a, const mqttka_endpoint *b, mqttka_time start,
              char out[FLOW_UID_LEN + 1])
{
    const mqttka_endpoint *lo = a, *hi = b;
    order(&lo, &hi);
    /* The whole key in five words: family and ports, two addresses, the time. */
    uint8_t key[40];
    memset(key, 0, sizeof key);
    key[0] = lo->family;
    key[1] = hi->family;
    key[2] = (uint8_t)(lo->port >> 8);
    key[3] = (uint8_t)lo->port;
    key[4] = (uint8_t)(hi->port >> 8);
    key[5] = (uint8_t)hi->port;
    uint64_t words[7];
    words[0] = load_le64(key);
    words[1] = load_le64(lo->addr);
    words[2] = load_le64(lo->addr + 8);
    words[3] = load_le64(hi->addr);
    words[4] = load_le64(hi->addr + 8);
    words[5] = (uint64_t)start;
    words[6] = 0x6d7174746b61756bULL; /* "mqttkauk": a constant last word */
    /* Two chains with different starting points give 128 bits; 96 are used. */
    uint64_t h1 = 0x9e3779b97f4a7c15ULL, h2 = 0xc2b2ae3d27d4eb4fULL;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        h1 = mix64(h1 ^ words[i]);
        h2 = mix64(h2 + words[i] * 0xff51afd7ed558ccdULL);
    }
    /* 96 bits as three 32-bit limbs, divided by 62 seventeen times (62^17 >
     * 2^96): fixed width, the most significant digit first. */
    uint32_t limbs[3] = {(uint32_t)(h1 >> 32), (uint32_t)h1, (uint32_t)(h2 >> 32)};
    out[0] = 'C';
    for (int d = FLOW_UID_LEN - 1; d >= 1; d--) {
        uint64_t rem = 0;
        for (int l = 0; l < 3; l++) {
            uint64_t cur = rem << 32 | limbs[l];
            limbs[l] = (uint32_t)(cur / 62);
            rem = cur % 62;
        }
        out[d] = base62_alphabet[rem];
    }
    out[FLOW_UID_LEN] = '\0';
}

/*
 * tls_keylog.c - the NSS key log format (see tls_keylog.h).
 */
#include "tls_keylog.h"

#include <stdlib.h>
#include <string.h>

void tls_wipe(void *p, size_t n)
{
    volatile uint8_t *b = p;
    while (n--)
        *b++ = 0;
}

static const struct {
    const char *label;
    tls_key_kind kind;
} labels[] = {
    {"CLIENT_RANDOM", TLS_KEY_MASTER},
    {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", TLS_KEY_CLIENT_HS},
    {"SERVER_HANDSHAKE_TRAFFIC_SECRET", TLS_KEY_SERVER_HS},
    {"CLIENT_TRAFFIC_SECRET_0", TLS_KEY_CLIENT_AP0},
    {"SERVER_TRAFFIC_SECRET_0", TLS_KEY_SERVER_AP0},
};

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Hex of exactly 2 * n digits into out; false otherwise. */
static bool hex_field(const char *s, size_t len, uint8_t *out, size_t n)
{
    if (len != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static int cmp_entry(const void *a, const void *b)
{
    return memcmp(((const tls_keylog_entry *)a)->random, ((const tls_keylog_entry *)b)->random, 32);
}

const tls_keylog_entry *tls_keylog_find(const tls_keylog *k, const uint8_t random[32])
{
    if (!k || !k->n)
        return NULL;
    tls_keylog_entry key;
    memcpy(key.random, random, 32);
    const tls_keylog_entry *e = bsearch(&key, k->e, k->n, sizeof *k->e, cmp_entry);
    tls_wipe(&key, sizeof key);
    return e;
}

/* Splits the next whitespace-separated field of [*at, end). */
static bool next_field(const char **at, const char *end, const char **f, size_t *flen)
{
    const char *p = *at;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    const char *q = p;
    while (q < end && *q != ' ' && *q != '\t')
        q++;
    *at = q;
    *f = p;
    *flen = (size_t)(q - p);
    return q > p;
}

/* A new entry at the end (merged with its random's others once sorted). */
static tls_keylog_entry *append(tls_keylog *k, const uint8_t random[32])
{
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 16;
        tls_keylog_entry *grown = malloc(cap * sizeof *grown);
        if (!grown)
            return NULL;
        if (k->n)
            memcpy(grown, k->e, k->n * sizeof *grown);
        if (k->e)
            tls_wipe(k->e, k->cap * sizeof *k->e);
        free(k->e);
        k->e = grown;
        k->cap = cap;
    }
    tls_keylog_entry *e = &k->e[k->n++];
    memset(e, 0, sizeof *e);
    memcpy(e->random, random, 32);
    return e;
}

/* Sorted by random; entries of one random merged into one (when a kind is
 * given twice, one of the two is kept). */
static void sort_and_merge(tls_keylog *k)
{
    if (!k->n)
        return; /* qsort's base must not be NULL */
    qsort(k->e, k->n, sizeof *k->e, cmp_entry);
    size_t out = 0;
    for (size_t i = 0; i < k->n; i++) {
        if (out && !memcmp(k->e[out - 1].random, k->e[i].random, 32)) {
            for (int kind = 0; kind < TLS_KEY_KINDS; kind++)
                if (k->e[i].len[kind]) {
                    memcpy(k->e[out - 1].secret[kind], k->e[i].secret[kind], TLS_SECRET_MAX);
                    k->e[out - 1].len[kind] = k->e[i].len[kind];
                }
            continue;
        }
        if (out != i)
            k->e[out] = k->e[i];
        out++;
    }
    if (out < k->n)
        tls_wipe(&k->e[out], (k->n - out) * sizeof *k->e);
    k->n = out;
}

bool tls_keylog_add(tls_keylog *k, const char *text, size_t len, size_t *added, size_t *bad)
{
    size_t n_added = 0, n_bad = 0;
    bool ok = true;
    const char *p = text, *end = text + len;
    while (p < end && ok) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = eol ? eol : end;
        const char *at = p;
        p = eol ? eol + 1 : end;
        while (line_end > at && (line_end[-1] == '\r' || line_end[-1] == ' '))
            line_end--;
        const char *f;
        size_t flen;
        if (!next_field(&at, line_end, &f, &flen) || *f == '#')
            continue;
        int kind = -1;
        for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
            if (strlen(labels[i].label) == flen && !memcmp(labels[i].label, f, flen))
                kind = (int)labels[i].kind;
        if (kind < 0)
            continue;
        uint8_t random[32], secret[TLS_SECRET_MAX];
        const char *rf, *sf, *extra;
        size_t rlen, slen, elen;
        bool good = next_field(&at, line_end, &rf, &rlen) && next_field(&at, line_end, &sf, &slen) &&
                    !next_field(&at, line_end, &extra, &elen) && hex_field(rf, rlen, random, 32);
        size_t secret_len = slen / 2;
        good = good && (kind == TLS_KEY_MASTER ? secret_len == 48 : secret_len == 32 || secret_len == 48) &&
               hex_field(sf, slen, secret, secret_len);
        if (!good) {
            n_bad++;
            continue;
        }
        tls_keylog_entry *e = append(k, random);
        if (!e) {
            ok = false;
        } else {
            memcpy(e->secret[kind], secret, secret_len);
            e->len[kind] = (uint8_t)secret_len;
            n_added++;
        }
        tls_wipe(secret, sizeof secret);
    }
    sort_and_merge(k);
    if (added)
        *added = n_added;
    if (bad)
        *bad = n_bad;
    return ok;
}

void tls_keylog_free(tls_keylog *k)
{
    if (k->e)
        tls_wipe(k->e, k->cap * sizeof *k->e);
    free(k->e);
    memset(k, 0, sizeof *k);
}

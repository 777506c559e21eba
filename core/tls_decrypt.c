/*
 * tls_decrypt.c - TLS records decrypted with a key log's secrets (see
 * tls_decrypt.h for the derivations and the record layouts).
 *
 * Why libgcrypt: it is what Wireshark decrypts TLS with, so the plugin and
 * the CLI rest on the same library; it is in Debian 12 (libgcrypt20-dev,
 * 1.10) with AES-GCM, ChaCha20-Poly1305, HMAC-SHA256/384, and an API of
 * plain C calls that keeps no global state beyond its one-time start.
 */
#include "tls_decrypt.h"

#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>

enum { CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPDATA = 23, CT_HEARTBEAT = 24 };
enum { HS_CLIENT_HELLO = 1, HS_SERVER_HELLO = 2, HS_FINISHED = 20, HS_KEY_UPDATE = 24 };

/* RFC 5246 §6.2.3: the longest record body; a longer one is no TLS. */
#define TLS_BODY_MAX (16384 + 2048)
#define TAG_LEN 16

typedef enum aead { AEAD_NONE = 0, AEAD_AES_GCM, AEAD_CHACHA } aead;

typedef struct suite {
    uint16_t id;
    aead alg;
    size_t key_len;
    size_t hash; /* 32 SHA-256, 48 SHA-384 */
    bool tls13;
} suite;

static const suite suites[] = {
    {0x1301, AEAD_AES_GCM, 16, 32, true},  /* TLS_AES_128_GCM_SHA256 */
    {0x1302, AEAD_AES_GCM, 32, 48, true},  /* TLS_AES_256_GCM_SHA384 */
    {0x1303, AEAD_CHACHA, 32, 32, true},   /* TLS_CHACHA20_POLY1305_SHA256 */
    {0xc02b, AEAD_AES_GCM, 16, 32, false}, /* ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 */
    {0xc02c, AEAD_AES_GCM, 32, 48, false}, /* ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 */
    {0xc02f, AEAD_AES_GCM, 16, 32, false}, /* ECDHE_RSA_WITH_AES_128_GCM_SHA256 */
    {0xc030, AEAD_AES_GCM, 32, 48, false}, /* ECDHE_RSA_WITH_AES_256_GCM_SHA384 */
    {0x009e, AEAD_AES_GCM, 16, 32, false}, /* DHE_RSA_WITH_AES_128_GCM_SHA256 */
    {0x009f, AEAD_AES_GCM, 32, 48, false}, /* DHE_RSA_WITH_AES_256_GCM_SHA384 */
    {0x009c, AEAD_AES_GCM, 16, 32, false}, /* RSA_WITH_AES_128_GCM_SHA256 */
    {0x009d, AEAD_AES_GCM, 32, 48, false}, /* RSA_WITH_AES_256_GCM_SHA384 */
    {0xcca8, AEAD_CHACHA, 32, 32, false},  /* ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 */
    {0xcca9, AEAD_CHACHA, 32, 32, false},  /* ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 */
    {0xccaa, AEAD_CHACHA, 32, 32, false},  /* DHE_RSA_WITH_CHACHA20_POLY1305_SHA256 */
};

static const suite *suite_of(uint16_t id, bool tls13)
{
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
        if (suites[i].id == id && suites[i].tls13 == tls13)
            return &suites[i];
    return NULL;
}

/* One direction: the record being reassembled and its protection. */
typedef struct tls_dir {
    uint8_t hdr[5];
    uint8_t hdr_len;
    bool in_body;
    bool stopped;          /* not followed any further (failure, gap, not TLS) */
    size_t body_len, body_have;
    bool protected_;       /* records are encrypted from here */
    bool has_cipher;
    gcry_cipher_hd_t cipher;
    uint8_t iv[12];
    uint64_t seq;
    uint64_t records;      /* records seen, for the failure's text */
    /* TLS 1.3: the current traffic secret, and the handshake messages'
     * framing inside decrypted handshake records */
    uint8_t secret[TLS_SECRET_MAX];
    bool app_keys;         /* the application traffic secret is in use */
    uint8_t hs_hdr[4];
    uint8_t hs_hdr_len;
    uint32_t hs_left;
    uint8_t *body;         /* TLS_BODY_MAX bytes */
} tls_dir;

/* What one decryption holds: itself and its two record buffers. */
#define TLS_DECRYPT_BYTES (sizeof(struct tls_decrypt) + 2 * (size_t)TLS_BODY_MAX)

struct tls_decrypt {
    const tls_keylog *log;
    tls_log_budget *budget;
    bool has_keys, without_keys;
    tls_keylog_entry keys;
    uint8_t client_random[32], server_random[32];
    bool have_client_hello, have_server_hello;
    uint16_t version, cipher_id;
    const suite *suite;
    char sni[MQTTKA_TLS_SNI_SIZE];
    bool decrypted;
    uint32_t failed;
    tls_dir dir[2]; /* by mqttka_direction */
};

/* ------------------------------------------------------------- crypto -- */

static bool gcrypt_ready(void)
{
    static bool ready;
    if (!ready) {
        if (!gcry_check_version(GCRYPT_VERSION))
            return false;
        gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
        gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
        ready = true;
    }
    return true;
}

static bool hmac(size_t hash, const uint8_t *key, size_t key_len, const uint8_t *a, size_t a_len,
                 const uint8_t *b, size_t b_len, uint8_t *out)
{
    gcry_md_hd_t h;
    int algo = hash == 48 ? GCRY_MD_SHA384 : GCRY_MD_SHA256;
    if (gcry_md_open(&h, algo, GCRY_MD_FLAG_HMAC))
        return false;
    bool ok = !gcry_md_setkey(h, key, key_len);
    if (ok) {
        gcry_md_write(h, a, a_len);
        if (b_len)
            gcry_md_write(h, b, b_len);
        const unsigned char *r = gcry_md_read(h, algo);
        ok = r != NULL;
        if (ok)
            memcpy(out, r, hash);
    }
    gcry_md_close(h);
    return ok;
}

/* RFC 5869 HKDF-Expand with the HkdfLabel of RFC 8446 §7.1. */
bool tls13_hkdf_expand_label(size_t hash, const uint8_t *secret, const char *label,
                             const uint8_t *context, size_t context_len, uint8_t *out,
                             size_t out_len)
{
    uint8_t info[2 + 1 + 255 + 1 + 255];
    size_t label_len = strlen(label);
    if (!gcrypt_ready() || 6 + label_len > 255 || context_len > 255 || out_len > 255 * hash)
        return false;
    size_t n = 0;
    info[n++] = (uint8_t)(out_len >> 8);
    info[n++] = (uint8_t)out_len;
    info[n++] = (uint8_t)(6 + label_len);
    memcpy(info + n, "tls13 ", 6);
    n += 6;
    memcpy(info + n, label, label_len);
    n += label_len;
    info[n++] = (uint8_t)context_len;
    if (context_len)
        memcpy(info + n, context, context_len);
    n += context_len;
    uint8_t t[TLS_SECRET_MAX + 255 + 1 + 255 + 1 + 8], block[TLS_SECRET_MAX];
    size_t t_len = 0, done = 0;
    for (uint8_t i = 1; done < out_len; i++) {
        /* T(i) = HMAC(PRK, T(i-1) | info | i) */
        memcpy(t + t_len, info, n);
        t[t_len + n] = i;
        if (!hmac(hash, secret, hash, t, t_len + n + 1, NULL, 0, block))
            return false;
        size_t take = out_len - done < hash ? out_len - done : hash;
        memcpy(out + done, block, take);
        done += take;
        memcpy(t, block, hash);
        t_len = hash;
    }
    tls_wipe(t, sizeof t);
    tls_wipe(block, sizeof block);
    return true;
}

/* RFC 5246 §5: PRF(secret, label, seed) = P_hash(secret, label + seed). */
bool tls12_prf(size_t hash, const uint8_t *secret, size_t secret_len, const char *label,
               const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len)
{
    uint8_t ls[128], a[TLS_SECRET_MAX], block[TLS_SECRET_MAX];
    size_t label_len = strlen(label);
    if (!gcrypt_ready() || label_len + seed_len > sizeof ls)
        return false;
    memcpy(ls, label, label_len);
    memcpy(ls + label_len, seed, seed_len);
    size_t ls_len = label_len + seed_len, done = 0;
    /* A(1) = HMAC(secret, label + seed) */
    if (!hmac(hash, secret, secret_len, ls, ls_len, NULL, 0, a))
        return false;
    while (done < out_len) {
        if (!hmac(hash, secret, secret_len, a, hash, ls, ls_len, block))
            return false;
        size_t take = out_len - done < hash ? out_len - done : hash;
        memcpy(out + done, block, take);
        done += take;
        if (!hmac(hash, secret, secret_len, a, hash, NULL, 0, a))
            return false;
    }
    tls_wipe(a, sizeof a);
    tls_wipe(block, sizeof block);
    return true;
}

static void cipher_close(tls_dir *d)
{
    if (d->has_cipher)
        gcry_cipher_close(d->cipher);
    d->has_cipher = false;
}

static bool cipher_set(const suite *s, tls_dir *d, const uint8_t *key, const uint8_t *iv,
                       size_t iv_len)
{
    cipher_close(d);
    int algo = s->alg == AEAD_CHACHA ? GCRY_CIPHER_CHACHA20
               : s->key_len == 32    ? GCRY_CIPHER_AES256
                                     : GCRY_CIPHER_AES128;
    int mode = s->alg == AEAD_CHACHA ? GCRY_CIPHER_MODE_POLY1305 : GCRY_CIPHER_MODE_GCM;
    if (gcry_cipher_open(&d->cipher, algo, mode, 0))
        return false;
    if (gcry_cipher_setkey(d->cipher, key, s->key_len)) {
        gcry_cipher_close(d->cipher);
        return false;
    }
    d->has_cipher = true;
    memset(d->iv, 0, sizeof d->iv);
    memcpy(d->iv, iv, iv_len);
    d->seq = 0;
    d->protected_ = true;
    return true;
}

/* TLS 1.3: the keys of a traffic secret (RFC 8446 §7.3). */
static bool tls13_keys(const suite *s, tls_dir *d, const uint8_t *secret)
{
    uint8_t key[32], iv[12];
    if (secret != d->secret)
        memcpy(d->secret, secret, s->hash);
    bool ok = tls13_hkdf_expand_label(s->hash, d->secret, "key", NULL, 0, key, s->key_len) &&
              tls13_hkdf_expand_label(s->hash, d->secret, "iv", NULL, 0, iv, 12) &&
              cipher_set(s, d, key, iv, 12);
    tls_wipe(key, sizeof key);
    tls_wipe(iv, sizeof iv);
    return ok;
}

/* ---------------------------------------------------------- handshake -- */

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* The ClientHello's server_name (RFC 6066 §3), from the whole message body. */
static void client_hello_sni(tls_decrypt *t, const uint8_t *m, size_t len)
{
    /* legacy_version 2, random 32, session_id <0..32>, cipher_suites <2..>,
     * compression <1..>, extensions <0..> */
    size_t off = 34;
    if (off >= len)
        return;
    off += 1 + (size_t)m[off];
    if (off + 2 > len)
        return;
    off += 2 + be16(m + off);
    if (off + 1 > len)
        return;
    off += 1 + (size_t)m[off];
    if (off + 2 > len)
        return;
    size_t end = off + 2 + be16(m + off);
    off += 2;
    if (end > len)
        end = len;
    while (off + 4 <= end) {
        uint16_t type = be16(m + off), elen = be16(m + off + 2);
        off += 4;
        if (elen > end - off)
            return;
        if (type == 0 && elen >= 5) {
            /* list length 2, name_type 1 (0 host_name), name length 2, name */
            size_t nlen = be16(m + off + 3);
            if (m[off + 2] == 0 && nlen <= (size_t)elen - 5) {
                if (nlen >= sizeof t->sni)
                    nlen = sizeof t->sni - 1;
                for (size_t i = 0; i < nlen; i++) {
                    uint8_t c = m[off + 5 + i];
                    t->sni[i] = c >= 0x21 && c < 0x7f ? (char)c : '?';
                }
                t->sni[nlen] = '\0';
            }
            return;
        }
        off += elen;
    }
}

/* The ServerHello, the whole handshake message: version (supported_versions
 * when present) and cipher as the keyless inference reads them
 * (tls_parse_server_hello), the random; then the keys. Returns a failure's
 * text, or NULL. */
static const char *server_hello(tls_decrypt *t, const uint8_t *msg, size_t len)
{
    uint16_t version, cs;
    if (!tls_parse_server_hello(msg, len, &version, &cs))
        return "ServerHello cut short";
    memcpy(t->server_random, msg + 6, 32); /* after type, length and legacy_version */
    t->version = version;
    t->cipher_id = cs;
    t->have_server_hello = true;
    bool tls13 = version == 0x0304;
    if (!tls13 && version != 0x0303)
        return "a TLS version other than 1.2 and 1.3";
    t->suite = suite_of(cs, tls13);
    if (!t->suite)
        return "a cipher suite mqttka does not decrypt";
    const suite *s = t->suite;
    tls_keylog_entry *k = &t->keys;
    if (tls13) {
        if (k->len[TLS_KEY_CLIENT_HS] != s->hash || k->len[TLS_KEY_SERVER_HS] != s->hash)
            return "no handshake traffic secrets for this session in the key log";
        if (!tls13_keys(s, &t->dir[MQTTKA_S2C], k->secret[TLS_KEY_SERVER_HS]) ||
            !tls13_keys(s, &t->dir[MQTTKA_C2S], k->secret[TLS_KEY_CLIENT_HS]))
            return "libgcrypt refused the keys";
        return NULL;
    }
    if (k->len[TLS_KEY_MASTER] != 48)
        return "no CLIENT_RANDOM master secret for this session in the key log";
    /* key_block: client key, server key, client IV, server IV */
    size_t iv_len = s->alg == AEAD_CHACHA ? 12 : 4;
    uint8_t seed[64], block[2 * 32 + 2 * 12];
    memcpy(seed, t->server_random, 32);
    memcpy(seed + 32, t->client_random, 32);
    size_t need = 2 * s->key_len + 2 * iv_len;
    const char *why = NULL;
    if (!tls12_prf(s->hash, k->secret[TLS_KEY_MASTER], 48, "key expansion", seed, 64, block, need)) {
        why = "libgcrypt refused the key expansion";
    } else {
        /* The ciphers are made now and used from each side's ChangeCipherSpec. */
        if (!cipher_set(s, &t->dir[MQTTKA_C2S], block, block + 2 * s->key_len, iv_len) ||
            !cipher_set(s, &t->dir[MQTTKA_S2C], block + s->key_len,
                        block + 2 * s->key_len + iv_len, iv_len))
            why = "libgcrypt refused the keys";
        t->dir[MQTTKA_C2S].protected_ = false;
        t->dir[MQTTKA_S2C].protected_ = false;
    }
    tls_wipe(block, sizeof block);
    return why;
}

/* TLS 1.3: walks the handshake messages of a decrypted handshake record;
 * a Finished moves the direction to its application secret, a KeyUpdate
 * to the next one, once the record is done. */
static const char *tls13_handshake(tls_decrypt *t, mqttka_direction dir, const uint8_t *p,
                                   size_t n)
{
    tls_dir *d = &t->dir[dir];
    int after = 0; /* 1 Finished, 2 KeyUpdate */
    size_t at = 0;
    while (at < n) {
        if (d->hs_left) {
            size_t take = n - at < d->hs_left ? n - at : d->hs_left;
            at += take;
            d->hs_left -= (uint32_t)take;
            continue;
        }
        d->hs_hdr[d->hs_hdr_len++] = p[at++];
        if (d->hs_hdr_len < 4)
            continue;
        d->hs_hdr_len = 0;
        d->hs_left = (uint32_t)d->hs_hdr[1] << 16 | (uint32_t)d->hs_hdr[2] << 8 | d->hs_hdr[3];
        if (d->hs_hdr[0] == HS_FINISHED && !d->app_keys)
            after = 1;
        else if (d->hs_hdr[0] == HS_KEY_UPDATE && d->app_keys)
            after = 2;
    }
    const suite *s = t->suite;
    if (after == 1) {
        tls_key_kind kind = dir == MQTTKA_C2S ? TLS_KEY_CLIENT_AP0 : TLS_KEY_SERVER_AP0;
        if (t->keys.len[kind] != s->hash)
            return "no application traffic secret for this session in the key log";
        if (!tls13_keys(s, d, t->keys.secret[kind]))
            return "libgcrypt refused the keys";
        d->app_keys = true;
    } else if (after == 2) {
        uint8_t next[TLS_SECRET_MAX];
        bool ok = tls13_hkdf_expand_label(s->hash, d->secret, "traffic upd", NULL, 0, next, s->hash) &&
                  tls13_keys(s, d, next);
        tls_wipe(next, sizeof next);
        if (!ok)
            return "libgcrypt refused the updated keys";
    }
    return NULL;
}

/* ------------------------------------------------------------ records -- */

/* Decrypts d->body in place; on success the plaintext, its length and its
 * type (the inner type for TLS 1.3) are written. */
static bool open_record(tls_decrypt *t, tls_dir *d, uint8_t *type, uint8_t **plain,
                        size_t *plain_len)
{
    const suite *s = t->suite;
    uint8_t *body = d->body;
    size_t len = d->body_len;
    uint8_t nonce[12], aad[13];
    size_t aad_len;
    uint8_t *ct;
    size_t ct_len;
    memcpy(nonce, d->iv, 12);
    if (s->tls13 || s->alg == AEAD_CHACHA) {
        for (int i = 0; i < 8; i++)
            nonce[4 + i] ^= (uint8_t)(d->seq >> (56 - 8 * i));
        ct = body;
        ct_len = len;
    } else {
        if (len < 8)
            return false;
        memcpy(nonce + 4, body, 8); /* explicit nonce */
        ct = body + 8;
        ct_len = len - 8;
    }
    if (ct_len < TAG_LEN)
        return false;
    ct_len -= TAG_LEN;
    if (s->tls13) {
        memcpy(aad, d->hdr, 5);
        aad_len = 5;
    } else {
        for (int i = 0; i < 8; i++)
            aad[i] = (uint8_t)(d->seq >> (56 - 8 * i));
        aad[8] = d->hdr[0];
        aad[9] = d->hdr[1];
        aad[10] = d->hdr[2];
        aad[11] = (uint8_t)(ct_len >> 8);
        aad[12] = (uint8_t)ct_len;
        aad_len = 13;
    }
    gcry_cipher_hd_t h = d->cipher;
    if (gcry_cipher_reset(h) || gcry_cipher_setiv(h, nonce, 12) ||
        gcry_cipher_authenticate(h, aad, aad_len) ||
        (s->alg == AEAD_AES_GCM && gcry_cipher_final(h)) ||
        gcry_cipher_decrypt(h, ct, ct_len, NULL, 0) || gcry_cipher_checktag(h, ct + ct_len, TAG_LEN))
        return false;
    d->seq++;
    if (s->tls13) {
        while (ct_len && ct[ct_len - 1] == 0)
            ct_len--;
        if (!ct_len)
            return false; /* RFC 8446 §5.4: no content type is an error */
        *type = ct[--ct_len];
    } else {
        *type = d->hdr[0];
    }
    *plain = ct;
    *plain_len = ct_len;
    return true;
}

static void stop(tls_decrypt *t, tls_dir *d, mqttka_direction dir, const char *why,
                 const tls_decrypt_sink *sink)
{
    d->stopped = true;
    t->failed++;
    if (sink && sink->failed)
        sink->failed(sink->ctx, dir, d->records, why);
}

/* One whole record of a direction. */
static void on_record(tls_decrypt *t, mqttka_direction dir, const tls_decrypt_sink *sink)
{
    tls_dir *d = &t->dir[dir];
    uint8_t type = d->hdr[0];
    d->records++;
    if (type == CT_CCS) {
        /* TLS 1.2: this side encrypts from here (TLS 1.3: compatibility only) */
        if (t->suite && !t->suite->tls13 && d->has_cipher) {
            d->protected_ = true;
            d->seq = 0;
        }
        return;
    }
    if (!t->has_keys) {
        /* the first client record: a ClientHello whose random the log has */
        const tls_keylog_entry *k;
        if (dir != MQTTKA_C2S || type != CT_HANDSHAKE || d->body_len < 4 + 34 ||
            d->body[0] != HS_CLIENT_HELLO || !(k = tls_keylog_find(t->log, d->body + 6))) {
            t->without_keys = true;
            d->stopped = t->dir[1 - dir].stopped = true;
            return;
        }
        t->keys = *k;
        t->has_keys = true;
    }
    if (!d->protected_) {
        if (type != CT_HANDSHAKE || d->body_len < 4)
            return;
        uint8_t hs = d->body[0];
        size_t mlen = (size_t)d->body[1] << 16 | (size_t)d->body[2] << 8 | d->body[3];
        if (mlen > d->body_len - 4)
            mlen = d->body_len - 4;
        if (dir == MQTTKA_C2S && hs == HS_CLIENT_HELLO && !t->have_client_hello) {
            t->have_client_hello = true;
            if (mlen >= 34)
                memcpy(t->client_random, d->body + 6, 32);
            client_hello_sni(t, d->body + 4, mlen);
        } else if (dir == MQTTKA_S2C && hs == HS_SERVER_HELLO && !t->have_server_hello) {
            const char *why = server_hello(t, d->body, mlen + 4);
            if (why) {
                stop(t, &t->dir[MQTTKA_S2C], MQTTKA_S2C, why, sink);
                t->dir[MQTTKA_C2S].stopped = true;
            }
        }
        return;
    }
    if (type == CT_HEARTBEAT)
        return;
    if (t->suite->tls13 && type != CT_APPDATA)
        return; /* an unprotected alert or CCS */
    uint8_t inner;
    uint8_t *plain;
    size_t plain_len;
    if (!open_record(t, d, &inner, &plain, &plain_len)) {
        stop(t, d, dir, "the record failed authentication", sink);
        return;
    }
    t->decrypted = true;
    if (inner == CT_APPDATA) {
        if (plain_len && sink && sink->plain)
            sink->plain(sink->ctx, dir, plain, plain_len);
    } else if (inner == CT_HANDSHAKE && t->suite->tls13) {
        const char *why = tls13_handshake(t, dir, plain, plain_len);
        if (why)
            stop(t, d, dir, why, sink);
    }
}

void tls_decrypt_push(tls_decrypt *t, mqttka_direction dir, const uint8_t *bytes, size_t len,
                      const tls_decrypt_sink *sink)
{
    tls_dir *d = &t->dir[dir];
    size_t at = 0;
    while (!d->stopped && at < len) {
        if (!d->in_body) {
            size_t take = 5u - d->hdr_len;
            if (take > len - at)
                take = len - at;
            memcpy(d->hdr + d->hdr_len, bytes + at, take);
            d->hdr_len = (uint8_t)(d->hdr_len + take);
            at += take;
            if (d->hdr_len < 5)
                break;
            d->body_len = (size_t)d->hdr[3] << 8 | d->hdr[4];
            if (d->hdr[0] < CT_CCS || d->hdr[0] > CT_HEARTBEAT || d->hdr[1] != 3 ||
                d->body_len > TLS_BODY_MAX) {
                stop(t, d, dir, "a record header that is not TLS", sink);
                break;
            }
            d->in_body = true;
            d->body_have = 0;
        }
        size_t take = d->body_len - d->body_have;
        if (take > len - at)
            take = len - at;
        memcpy(d->body + d->body_have, bytes + at, take);
        d->body_have += take;
        at += take;
        if (d->body_have == d->body_len) {
            d->in_body = false;
            d->hdr_len = 0;
            on_record(t, dir, sink);
        }
    }
}

void tls_decrypt_gap(tls_decrypt *t, mqttka_direction dir)
{
    t->dir[dir].stopped = true;
}

bool tls_decrypt_has_keys(const tls_decrypt *t)
{
    return t->has_keys;
}

bool tls_decrypt_without_keys(const tls_decrypt *t)
{
    return t->without_keys;
}

bool tls_decrypt_fits(const tls_log_budget *budget)
{
    return !budget || (budget->held <= budget->cap && TLS_DECRYPT_BYTES <= budget->cap - budget->held);
}

tls_decrypt *tls_decrypt_new(const tls_keylog *log, tls_log_budget *budget)
{
    if (!gcrypt_ready() || !tls_decrypt_fits(budget))
        return NULL;
    tls_decrypt *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->dir[0].body = malloc(TLS_BODY_MAX);
    t->dir[1].body = malloc(TLS_BODY_MAX);
    if (!t->dir[0].body || !t->dir[1].body) {
        free(t->dir[0].body);
        free(t->dir[1].body);
        free(t);
        return NULL;
    }
    t->log = log;
    t->budget = budget;
    if (budget)
        budget->held += TLS_DECRYPT_BYTES;
    return t;
}

void tls_decrypt_free(tls_decrypt **p)
{
    if (!p || !*p)
        return;
    tls_decrypt *t = *p;
    if (t->budget)
        t->budget->held -= TLS_DECRYPT_BYTES;
    for (int i = 0; i < 2; i++) {
        cipher_close(&t->dir[i]);
        tls_wipe(t->dir[i].body, TLS_BODY_MAX);
        free(t->dir[i].body);
    }
    tls_wipe(t, sizeof *t);
    free(t);
    *p = NULL;
}

void tls_decrypt_info(const tls_decrypt *t, mqttka_tls_info *out)
{
    memset(out, 0, sizeof *out);
    out->version = t->version;
    out->cipher_suite = t->cipher_id;
    memcpy(out->sni, t->sni, sizeof out->sni);
    out->decrypted = t->decrypted;
    out->failed_records = t->failed;
}

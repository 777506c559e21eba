/*
 * tls_builder.c - TLS 1.3 records sealed for the tests (tls_builder.h).
 */
#include "tls_builder.h"

#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>

#include "tls_decrypt.h"

static const uint8_t random_[32] = {0xa1, 0xa2, 0xa3, 0xa4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static void secret_of(tlsb_secret s, uint8_t out[32])
{
    for (int i = 0; i < 32; i++)
        out[i] = (uint8_t)(0x10 * (s + 1) + i);
}

const char *tlsb_keylog(void)
{
    static char text[1024];
    static const char *const labels[] = {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                                         "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"};
    size_t n = 0;
    n += (size_t)snprintf(text + n, sizeof text - n, "# mqttka unit test keys\n");
    for (int s = 0; s < 4; s++) {
        uint8_t sec[32];
        secret_of((tlsb_secret)s, sec);
        n += (size_t)snprintf(text + n, sizeof text - n, "%s ", labels[s]);
        for (int i = 0; i < 32; i++)
            n += (size_t)snprintf(text + n, sizeof text - n, "%02x", random_[i]);
        text[n++] = ' ';
        for (int i = 0; i < 32; i++)
            n += (size_t)snprintf(text + n, sizeof text - n, "%02x", sec[i]);
        text[n++] = '\n';
    }
    text[n] = '\0';
    return text;
}

static size_t record(uint8_t *out, uint8_t type, const uint8_t *body, size_t len)
{
    out[0] = type;
    out[1] = 3;
    out[2] = 3;
    out[3] = (uint8_t)(len >> 8);
    out[4] = (uint8_t)len;
    memcpy(out + 5, body, len);
    return 5 + len;
}

size_t tlsb_client_hello(uint8_t *out)
{
    static const char host[] = "broker.test";
    uint8_t m[256];
    size_t n = 4;
    m[n++] = 3;
    m[n++] = 3;
    memcpy(m + n, random_, 32);
    n += 32;
    m[n++] = 0;                              /* session id */
    m[n++] = 0, m[n++] = 2, m[n++] = 0x13, m[n++] = 0x01; /* cipher suites */
    m[n++] = 1, m[n++] = 0;                  /* compression */
    size_t hl = sizeof host - 1, ext = 4 + 5 + hl;
    m[n++] = (uint8_t)(ext >> 8), m[n++] = (uint8_t)ext;
    m[n++] = 0, m[n++] = 0;                  /* server_name */
    m[n++] = 0, m[n++] = (uint8_t)(5 + hl);
    m[n++] = 0, m[n++] = (uint8_t)(3 + hl);
    m[n++] = 0;                              /* host_name */
    m[n++] = 0, m[n++] = (uint8_t)hl;
    memcpy(m + n, host, hl);
    n += hl;
    m[0] = 1;
    m[1] = 0, m[2] = (uint8_t)((n - 4) >> 8), m[3] = (uint8_t)(n - 4);
    return record(out, 22, m, n);
}

size_t tlsb_server_hello(uint8_t *out, uint16_t cipher)
{
    uint8_t m[128];
    size_t n = 4;
    m[n++] = 3, m[n++] = 3;
    memset(m + n, 0x77, 32);
    n += 32;
    m[n++] = 0;
    m[n++] = (uint8_t)(cipher >> 8), m[n++] = (uint8_t)cipher;
    m[n++] = 0;
    m[n++] = 0, m[n++] = 6;
    m[n++] = 0, m[n++] = 0x2b, m[n++] = 0, m[n++] = 2, m[n++] = 3, m[n++] = 4;
    m[0] = 2, m[1] = 0, m[2] = 0, m[3] = (uint8_t)(n - 4);
    return record(out, 22, m, n);
}

size_t tlsb_finished(uint8_t *out)
{
    out[0] = 20, out[1] = 0, out[2] = 0, out[3] = 32;
    memset(out + 4, 0xf1, 32);
    return 36;
}

size_t tlsb_seal(uint8_t *out, uint16_t cipher, tlsb_secret secret, uint64_t seq,
                 uint8_t inner_type, const void *plain, size_t len)
{
    uint8_t sec[32], key[32], iv[12];
    bool chacha = cipher == 0x1303;
    size_t key_len = chacha ? 32 : 16;
    secret_of(secret, sec);
    if (!tls13_hkdf_expand_label(32, sec, "key", NULL, 0, key, key_len) ||
        !tls13_hkdf_expand_label(32, sec, "iv", NULL, 0, iv, 12))
        abort();
    for (int i = 0; i < 8; i++)
        iv[4 + i] ^= (uint8_t)(seq >> (56 - 8 * i));
    size_t inner_len = len + 1, body = inner_len + 16;
    out[0] = 23, out[1] = 3, out[2] = 3, out[3] = (uint8_t)(body >> 8), out[4] = (uint8_t)body;
    memcpy(out + 5, plain, len);
    out[5 + len] = inner_type;
    gcry_cipher_hd_t h;
    if (gcry_cipher_open(&h, chacha ? GCRY_CIPHER_CHACHA20 : GCRY_CIPHER_AES128,
                         chacha ? GCRY_CIPHER_MODE_POLY1305 : GCRY_CIPHER_MODE_GCM, 0) ||
        gcry_cipher_setkey(h, key, key_len) || gcry_cipher_setiv(h, iv, 12) ||
        gcry_cipher_authenticate(h, out, 5) || gcry_cipher_encrypt(h, out + 5, inner_len, NULL, 0) ||
        gcry_cipher_gettag(h, out + 5 + inner_len, 16))
        abort();
    gcry_cipher_close(h);
    return 5 + body;
}

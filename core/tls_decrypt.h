/*
 * tls_decrypt.h - TLS records decrypted with the secrets of a key log
 * (issue 17, "With a key log"), with libgcrypt.
 *
 * TLS 1.3 (RFC 8446): TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
 * TLS_CHACHA20_POLY1305_SHA256. Traffic keys from the logged traffic
 * secrets (§7.3):
 *   key = HKDF-Expand-Label(secret, "key", "", key_length)
 *   iv  = HKDF-Expand-Label(secret, "iv", "", 12)
 *   nonce = iv XOR (64-bit record sequence number, left-padded)       §5.3
 *   additional data = the record header (23, 03 03, length)          §5.2
 *   plaintext = content || content type || zeros
 * The handshake secrets protect the records after ServerHello up to each
 * side's Finished; then the application secrets; a KeyUpdate moves its
 * sender on (§7.2: secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length)).
 *
 * TLS 1.2 (RFC 5246) with ECDHE/DHE/RSA and AEAD suites: AES-GCM (RFC 5288,
 * RFC 5289) and ChaCha20-Poly1305 (RFC 7905). From the logged master secret:
 *   key_block = PRF(master, "key expansion", server_random + client_random)  §6.3
 *   = client key, server key, client IV, server IV (no MAC keys for AEAD)
 *   GCM: nonce = IV (4 bytes) || explicit nonce (the body's first 8 bytes)
 *   ChaCha20: nonce = IV (12 bytes) XOR sequence number
 *   additional data = seq_num (8) || type || version || plaintext length
 * Each side encrypts from its ChangeCipherSpec on, its Finished first.
 *
 * Bounds: a record is reassembled in a fixed buffer of the largest body TLS
 * allows (2^14 + 2048), allocated once per decrypting flow; a longer
 * declared length is no TLS and stops the direction. Nothing grows with the
 * wire. Secrets are wiped when freed.
 */
#ifndef MQTTKA_TLS_DECRYPT_H
#define MQTTKA_TLS_DECRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqttka.h"
#include "tls_infer.h" /* tls_log_budget */
#include "tls_keylog.h"

typedef struct tls_decrypt tls_decrypt;

/* What a decrypting flow tells its owner: application data in order, and
 * a record that cannot be decrypted (after which its direction is no longer
 * decrypted: `why` says what failed, never a key). */
typedef struct tls_decrypt_sink {
    void (*plain)(void *ctx, mqttka_direction dir, const uint8_t *bytes, size_t len);
    void (*failed)(void *ctx, mqttka_direction dir, uint64_t record, const char *why);
    void *ctx;
} tls_decrypt_sink;

/* A new decryption of a flow whose client opens with a TLS handshake
 * record; its secrets are looked up in *log (borrowed: it must outlive the
 * decryption) by the ClientHello's random, and copied. NULL when out of
 * memory or when libgcrypt cannot be started. */
tls_decrypt *tls_decrypt_new(const tls_keylog *log, tls_log_budget *budget);
/* Whether one more decryption fits in *budget (its held and cap). */
bool tls_decrypt_fits(const tls_log_budget *budget);
/* Whether the key log has this flow's secrets: true once the ClientHello
 * found them, false before; tls_decrypt_without_keys is true once the
 * first client record was no ClientHello or its random is not in the log
 * (the flow is then to be analysed without keys). */
bool tls_decrypt_has_keys(const tls_decrypt *d);
bool tls_decrypt_without_keys(const tls_decrypt *d);
/* Wipes and frees *d; NULL after. */
void tls_decrypt_free(tls_decrypt **d);

/* The next bytes of a direction's TCP stream. */
void tls_decrypt_push(tls_decrypt *d, mqttka_direction dir, const uint8_t *bytes, size_t len,
                      const tls_decrypt_sink *sink);
/* A hole in a direction: its records can no longer be followed. */
void tls_decrypt_gap(tls_decrypt *d, mqttka_direction dir);

/* What the handshake showed (0 / "" while unknown). */
void tls_decrypt_info(const tls_decrypt *d, mqttka_tls_info *out);

/* The pieces, for the unit tests against RFC 8448 and a PRF vector. hash:
 * 32 (SHA-256) or 48 (SHA-384). Return false on a libgcrypt error. */
bool tls13_hkdf_expand_label(size_t hash, const uint8_t *secret, const char *label,
                             const uint8_t *context, size_t context_len, uint8_t *out,
                             size_t out_len);
bool tls12_prf(size_t hash, const uint8_t *secret, size_t secret_len, const char *label,
               const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len);

#endif

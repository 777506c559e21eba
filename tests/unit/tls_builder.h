/*
 * tls_builder.h - TLS 1.3 records made for the tests, sealed with libgcrypt
 * under the traffic secrets of a key log this file also writes: the unit
 * tests' way to put a decryptable (or a deliberately broken) TLS session
 * into a script. Real captures (tests/heldout/tls) are the evidence that
 * decryption works; these cover single rules and malformed cases.
 */
#ifndef MQTTKA_TEST_TLS_BUILDER_H
#define MQTTKA_TEST_TLS_BUILDER_H

#include <stddef.h>
#include <stdint.h>

/* The session: its client random and four traffic secrets (SHA-256, so
 * TLS_AES_128_GCM_SHA256 or TLS_CHACHA20_POLY1305_SHA256). */
typedef enum { TLSB_CHS, TLSB_SHS, TLSB_CAP, TLSB_SAP } tlsb_secret;

/* The NSS key log of the session (a static string). */
const char *tlsb_keylog(void);

/* A ClientHello record with the session's random and the SNI "broker.test". */
size_t tlsb_client_hello(uint8_t *out);
/* A ServerHello record choosing `cipher` and TLS 1.3. */
size_t tlsb_server_hello(uint8_t *out, uint16_t cipher);
/* An application_data record sealing `inner_type` content under `secret`
 * with record sequence number seq (cipher as in the ServerHello). */
size_t tlsb_seal(uint8_t *out, uint16_t cipher, tlsb_secret secret, uint64_t seq,
                 uint8_t inner_type, const void *plain, size_t len);
/* A handshake Finished message (32 bytes of verify_data) in out. */
size_t tlsb_finished(uint8_t *out);

#endif

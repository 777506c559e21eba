/*
 * tls_keylog.h - the NSS key log format (SSLKEYLOGFILE), as OpenSSL,
 * GnuTLS, NSS, Go's crypto/tls, Python's ssl and browsers write it
 * (https://nss-crypto.org/reference/security/nss/legacy/key_log_format/,
 * draft-ietf-tls-keylogfile):
 *
 *   # a comment
 *   CLIENT_RANDOM <client random, 64 hex> <master secret, 96 hex>      TLS 1.2
 *   CLIENT_HANDSHAKE_TRAFFIC_SECRET <client random> <secret, 64/96 hex> TLS 1.3
 *   SERVER_HANDSHAKE_TRAFFIC_SECRET <client random> <secret>
 *   CLIENT_TRAFFIC_SECRET_0 <client random> <secret>
 *   SERVER_TRAFFIC_SECRET_0 <client random> <secret>
 *
 * Other labels (EXPORTER_SECRET, EARLY_TRAFFIC_SECRET, RSA) are skipped.
 * The text is handed over by the front end (the core reads no file); the
 * table it makes holds secrets: it is wiped when freed and never printed.
 */
#ifndef MQTTKA_TLS_KEYLOG_H
#define MQTTKA_TLS_KEYLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum tls_key_kind {
    TLS_KEY_MASTER = 0,    /* CLIENT_RANDOM: the TLS 1.2 master secret (48 bytes) */
    TLS_KEY_CLIENT_HS,     /* TLS 1.3 traffic secrets (32 or 48 bytes) */
    TLS_KEY_SERVER_HS,
    TLS_KEY_CLIENT_AP0,
    TLS_KEY_SERVER_AP0,
    TLS_KEY_KINDS
} tls_key_kind;

#define TLS_SECRET_MAX 48

/* The secrets of one TLS session, by its ClientHello's random. */
typedef struct tls_keylog_entry {
    uint8_t random[32];
    uint8_t len[TLS_KEY_KINDS];            /* 0: not in the log */
    uint8_t secret[TLS_KEY_KINDS][TLS_SECRET_MAX];
} tls_keylog_entry;

typedef struct tls_keylog {
    tls_keylog_entry *e;   /* sorted by random, one entry per random */
    size_t n, cap;
} tls_keylog;

/* Adds the key lines of `text` (len bytes, any line ends) to *k. Lines of
 * other labels, comments and blank lines are skipped; a line of a known
 * label whose fields are not hex of the right lengths counts in *bad (may
 * be NULL). Returns false only when out of memory (*k keeps what it had). */
bool tls_keylog_add(tls_keylog *k, const char *text, size_t len, size_t *added, size_t *bad);

/* The entry of a client random; NULL when the log has none. The pointer
 * lives until the next tls_keylog_add or tls_keylog_free. */
const tls_keylog_entry *tls_keylog_find(const tls_keylog *k, const uint8_t random[32]);

/* Wipes and frees the table; *k is empty after. */
void tls_keylog_free(tls_keylog *k);

/* Overwrites n bytes in a way the compiler keeps (secrets). */
void tls_wipe(void *p, size_t n);

#endif

/*
 * fuzz_tls_decrypt.c - TLS decryption with a key log (core/tls_decrypt.h,
 * core/tls_keylog.h), issue 17.
 *
 * Input: chunks, each a direction byte (bit 0: server to client), a 16-bit
 * big-endian length and that many bytes of the stream (a short last one
 * takes what is left). The key log is the unit tests' (tests/unit/
 * tls_builder.c), so a seed made by that builder decrypts, and mutations
 * reach the ClientHello and ServerHello readers, the record reassembly, the
 * handshake walk inside decrypted records and the failure paths.
 *
 * The input is decrypted twice: chunk by chunk, and byte by byte. Both must
 * give the same plaintext, the same failures and the same outcome; every
 * plaintext piece lies within a record's largest body; the budget comes
 * back to zero.
 */
#include <string.h>

#include "fuzz_target.h"
#include "tls_builder.h"
#include "tls_decrypt.h"

typedef struct run {
    fuzz_hash log;
    unsigned failed;
} run;

static void on_plain(void *ctx, mqttka_direction dir, const uint8_t *b, size_t n)
{
    run *r = ctx;
    FUZZ_ASSERT(n > 0 && n <= 16384 + 2048);
    uint8_t d = (uint8_t)dir;
    fuzz_hash_bytes(&r->log, &d, 1);
    fuzz_hash_bytes(&r->log, b, n);
}

static void on_failed(void *ctx, mqttka_direction dir, uint64_t record, const char *why)
{
    run *r = ctx;
    FUZZ_ASSERT(why && *why);
    (void)record;
    uint8_t d = (uint8_t)(2 + dir);
    fuzz_hash_bytes(&r->log, &d, 1);
    r->failed++;
}

static void decrypt(const tls_keylog *k, const uint8_t *data, size_t size, bool bytewise, run *r,
                    bool *has_keys, bool *without)
{
    fuzz_hash_init(&r->log);
    r->failed = 0;
    tls_log_budget budget = {0, SIZE_MAX, 0};
    tls_decrypt *d = tls_decrypt_new(k, &budget);
    FUZZ_ASSERT(d);
    tls_decrypt_sink sink = {on_plain, on_failed, r};
    size_t at = 0;
    while (at < size) {
        mqttka_direction dir = (data[at] & 1) ? MQTTKA_S2C : MQTTKA_C2S;
        size_t n = at + 3 <= size ? (size_t)data[at + 1] << 8 | data[at + 2] : 0;
        at = at + 3 <= size ? at + 3 : size;
        if (n > size - at)
            n = size - at;
        for (size_t i = 0; i < n;) {
            size_t m = bytewise ? 1 : n;
            uint8_t *piece = malloc(m);
            FUZZ_ASSERT(piece);
            memcpy(piece, data + at + i, m);
            tls_decrypt_push(d, dir, piece, m, &sink);
            free(piece);
            i += m;
        }
        at += n;
    }
    *has_keys = tls_decrypt_has_keys(d);
    *without = tls_decrypt_without_keys(d);
    FUZZ_ASSERT(!(*has_keys && *without));
    mqttka_tls_info info;
    tls_decrypt_info(d, &info);
    FUZZ_ASSERT(memchr(info.sni, '\0', sizeof info.sni));
    tls_decrypt_free(&d);
    FUZZ_ASSERT(!d && budget.held == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static tls_keylog k;
    static bool loaded;
    if (!loaded) {
        const char *text = tlsb_keylog();
        FUZZ_ASSERT(tls_keylog_add(&k, text, strlen(text), NULL, NULL));
        loaded = true;
    }
    run a, b;
    bool keys_a, keys_b, without_a, without_b;
    decrypt(&k, data, size, false, &a, &keys_a, &without_a);
    decrypt(&k, data, size, true, &b, &keys_b, &without_b);
    FUZZ_ASSERT(a.log.h == b.log.h && a.failed == b.failed);
    FUZZ_ASSERT(keys_a == keys_b && without_a == without_b);
    return 0;
}

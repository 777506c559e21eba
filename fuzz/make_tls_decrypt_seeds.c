/*
 * make_tls_decrypt_seeds.c - the seeds of fuzz_tls_decrypt (fuzz/corpus/tls_decrypt): TLS 1.3
 * sessions (AES-128-GCM, ChaCha20-Poly1305) sealed by tests/unit/tls_builder.c under its key
 * log, whole and with one record tampered, in fuzz_tls_decrypt.c's chunk format. Build and run
 * from the repository, after `ninja -C build`:
 *
 *   cc -std=c11 -I tests/unit -I core -I core/include fuzz/make_tls_decrypt_seeds.c \
 *      tests/unit/tls_builder.c build/core/libmqttka_core.a -lgcrypt -lz -o /tmp/seeds &&
 *   /tmp/seeds fuzz/corpus/tls_decrypt
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "tls_builder.h"
static FILE *f;
static void chunk(int dir, const uint8_t *b, size_t n) { fputc(dir, f); fputc((int)(n >> 8), f); fputc((int)(n & 255), f); fwrite(b, 1, n, f); }
int main(int argc, char **argv) {
    static const uint8_t connect[] = {0x10, 0x0c, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 5, 0, 0};
    static const uint8_t connack[] = {0x20, 2, 0, 0}, ping[] = {0xc0, 0}, pong[] = {0xd0, 0};
    uint8_t b[1024], fin[64]; size_t fin_len = tlsb_finished(fin);
    uint16_t ciphers[] = {0x1301, 0x1303};
    for (int c = 0; c < 2; c++) {
        for (int variant = 0; variant < 2; variant++) {
            char path[512]; snprintf(path, sizeof path, "%s/builder-%04x%s", argv[1], ciphers[c], variant ? "-tampered" : "");
            f = fopen(path, "wb"); uint16_t cs = ciphers[c]; size_t n;
            chunk(0, b, tlsb_client_hello(b));
            n = tlsb_server_hello(b, cs); n += tlsb_seal(b + n, cs, TLSB_SHS, 0, 22, fin, fin_len); chunk(1, b, n);
            chunk(0, b, tlsb_seal(b, cs, TLSB_CHS, 0, 22, fin, fin_len));
            chunk(0, b, tlsb_seal(b, cs, TLSB_CAP, 0, 23, connect, sizeof connect));
            chunk(1, b, tlsb_seal(b, cs, TLSB_SAP, 0, 23, connack, sizeof connack));
            n = tlsb_seal(b, cs, TLSB_CAP, 1, 23, ping, sizeof ping); if (variant) b[n - 3] ^= 8; chunk(0, b, n);
            chunk(1, b, tlsb_seal(b, cs, TLSB_SAP, 1, 23, pong, sizeof pong));
            fclose(f);
        }
    }
    return 0;
}

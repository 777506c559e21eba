/*
 * fuzz_tls_records.c - the TLS record follower and the keyless inference
 * (core/tls_infer.h, issue 17).
 *
 * Input: one settings byte, then the stream.
 *   settings bits 0-1: the record log's per-flow cap, 0 / 3 / 32 / 1024 records
 *   settings bit 2:    a memory cap for all logs of 2 first logs (else none)
 *
 * The stream goes to three followers: whole, byte by byte, and in chunks
 * drawn from the input. All three must report the same records (type,
 * version, length, the peeked bytes) and the same end state; no peek is
 * longer than TLS_PEEK_MAX nor than the record. Then two inferences share
 * one budget: each fed the stream in chunks, each chunk to a direction and
 * at a time drawn from the input, closed or not, and finished. Checked: the
 * budget never exceeded, all of it given back, the figures consistent
 * (answers and unanswered pings never more than the pings; findings within
 * their array).
 */
#include <string.h>

#include "fuzz_target.h"
#include "tls_infer.h"

typedef struct run {
    fuzz_hash log;
    uint64_t records;
} run;

static void on_record(void *ctx, const tls_record *r)
{
    run *u = ctx;
    FUZZ_ASSERT(r->peek_len <= TLS_PEEK_MAX && r->peek_len <= r->length);
    FUZZ_ASSERT(r->type >= 20 && r->type <= 24 && r->length <= 16384 + 2048);
    uint8_t h[5] = {r->type, (uint8_t)(r->version >> 8), (uint8_t)r->version,
                    (uint8_t)(r->length >> 8), (uint8_t)r->length};
    fuzz_hash_bytes(&u->log, h, sizeof h);
    if (r->peek_len)
        fuzz_hash_bytes(&u->log, r->peek, r->peek_len);
    u->records++;
}

static bool follow(const uint8_t *data, size_t size, int how, fuzz_rng *rng, run *u)
{
    tls_record_follower f;
    memset(&f, 0, sizeof f);
    fuzz_hash_init(&u->log);
    u->records = 0;
    bool ok = true;
    for (size_t at = 0; at < size;) {
        size_t n = how == 0 ? size - at : how == 1 ? 1 : fuzz_chunk(rng, 2048);
        if (n > size - at)
            n = size - at;
        /* an exact-size copy: a read past the chunk is caught by ASan */
        uint8_t *piece = malloc(n);
        FUZZ_ASSERT(piece);
        memcpy(piece, data + at, n);
        ok = tls_follow(&f, piece, n, on_record, u);
        free(piece);
        at += n;
    }
    fuzz_hash_u64(&u->log, f.hdr_len);
    fuzz_hash_u64(&u->log, f.in_body ? f.body_left : 0);
    return ok;
}

static void infer(tls_infer *t, const uint8_t *data, size_t size, fuzz_rng *rng)
{
    mqttka_time ts = 0;
    for (size_t at = 0; at < size;) {
        size_t n = fuzz_chunk(rng, 512);
        if (n > size - at)
            n = size - at;
        uint64_t r = fuzz_rng_next(rng);
        ts += (mqttka_time)(r % 8000000);
        mqttka_direction dir = (r >> 32) & 1 ? MQTTKA_S2C : MQTTKA_C2S;
        if (((r >> 33) & 63) == 0)
            tls_infer_gap(t, dir);
        tls_infer_push(t, dir, data + at, n, ts, at + 1);
        at += n;
    }
    uint64_t r = fuzz_rng_next(rng);
    if (r & 1)
        tls_infer_close(t, (r >> 1) & 1 ? MQTTKA_SIDE_SERVER : MQTTKA_SIDE_CLIENT,
                        (r >> 2) & 1 ? MQTTKA_CLOSE_RST : MQTTKA_CLOSE_FIN, ts);
    mqttka_config cfg;
    mqttka_config_default(&cfg);
    mqttka_tls_inference out;
    mqttka_finding findings[MQTTKA_TLS_MAX_FINDINGS];
    tls_infer_finish(t, &cfg, ts + 1, &out, findings);
    FUZZ_ASSERT(out.n_findings <= MQTTKA_TLS_MAX_FINDINGS);
    FUZZ_ASSERT(out.pingresp <= out.pingreq && out.pingreq_unanswered <= out.pingreq);
    FUZZ_ASSERT(out.ping_record_len == 0 || out.pingreq > 0);
    for (size_t i = 0; i < out.n_findings; i++)
        FUZZ_ASSERT(memchr(findings[i].detail, '\0', sizeof findings[i].detail));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t settings = data[0];
    data++;
    size--;
    fuzz_rng rng = fuzz_rng_make(data, size);
    run whole, bytes, chunks;
    bool ok_whole = follow(data, size, 0, &rng, &whole);
    bool ok_bytes = follow(data, size, 1, &rng, &bytes);
    bool ok_chunks = follow(data, size, 2, &rng, &chunks);
    FUZZ_ASSERT(ok_whole == ok_bytes && ok_whole == ok_chunks);
    FUZZ_ASSERT(whole.records == bytes.records && whole.records == chunks.records);
    FUZZ_ASSERT(whole.log.h == bytes.log.h && whole.log.h == chunks.log.h);

    static const size_t per_flow[] = {0, 3, 32, 1024};
    tls_log_budget budget = {0, (settings & 4) ? tls_infer_log_bytes(64) : SIZE_MAX,
                             per_flow[settings & 3]};
    tls_infer *a = tls_infer_new(&budget), *b = tls_infer_new(&budget);
    FUZZ_ASSERT(a && b);
    infer(a, data, size, &rng);
    FUZZ_ASSERT(budget.held <= budget.cap);
    infer(b, data, size, &rng);
    FUZZ_ASSERT(budget.held <= budget.cap);
    FUZZ_ASSERT(budget.held <= 2 * tls_infer_log_bytes(per_flow[settings & 3]));
    tls_infer_free(&a);
    tls_infer_free(&b);
    FUZZ_ASSERT(!a && !b && budget.held == 0);
    return 0;
}

/*
 * fuzz_ws_inflate.c - permessage-deflate inflation (core/ws_inflate.h).
 *
 * Input: one byte of settings, then messages, each a 16-bit big-endian
 * length and that many payload bytes (a short last one takes what is left).
 *   settings bits 0-2: the sender's window bits, 8 + value
 *   settings bit 3:    no_context_takeover
 *   settings bit 4:    a message cap of 4 KiB (else 1 MiB)
 *   settings bit 5:    a ratio cap of 10 (else none)
 *   settings bit 6:    a memory cap of 20 KiB (else none)
 *
 * Every message is inflated twice, by two inflaters: its payload given
 * whole, and in chunks of sizes drawn from the payload itself. Both must
 * give the same results and the same bytes, unless memory or the ratio is
 * capped: zlib then fails, and the ratio allows, at a point that depends
 * on the chunks (the ratio counts compressed bytes as they are received). Every promise of
 * ws_inflate.h is checked: chunks of 1..WS_INFLATE_CHUNK bytes, no message
 * past its cap, no direction past its ratio, zlib's memory within its cap
 * and all of it given back.
 */
#include <string.h>

#include "fuzz_target.h"
#include "ws_inflate.h"

typedef struct run {
    fuzz_hash log;
    uint64_t message_out;
    const ws_inflate_limits *lim;
    const ws_inflater *w;
} run;

static void on_out(void *ctx, const uint8_t *bytes, size_t len)
{
    run *r = ctx;
    FUZZ_ASSERT(len > 0 && len <= WS_INFLATE_CHUNK);
    r->message_out += len;
    FUZZ_ASSERT(r->message_out <= r->lim->max_message_bytes);
    fuzz_hash_bytes(&r->log, bytes, len);
}

static void note(run *r, ws_inflate_result res)
{
    uint8_t tag = (uint8_t)('0' + res);
    fuzz_hash_bytes(&r->log, &tag, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t settings = data[0];
    ws_deflate_sender sender = {(settings & 0x08) != 0, (uint8_t)(8 + (settings & 7))};
    ws_inflate_limits lim = {(settings & 0x10) ? 4096u : 1u << 20, (settings & 0x20) ? 10u : 0u};
    bool memory_capped = (settings & 0x40) != 0;
    ws_inflate_memory mem[2] = {{0, memory_capped ? 20u * 1024 : SIZE_MAX},
                                {0, memory_capped ? 20u * 1024 : SIZE_MAX}};
    ws_inflater w[2];
    run r[2];
    memset(r, 0, sizeof r);
    for (int i = 0; i < 2; i++) {
        ws_inflater_init(&w[i], &sender, &mem[i]);
        fuzz_hash_init(&r[i].log);
        r[i].lim = &lim;
        r[i].w = &w[i];
    }
    size_t at = 1;
    while (at < size) {
        size_t len = 0;
        if (size - at >= 2) {
            len = (size_t)data[at] << 8 | data[at + 1];
            at += 2;
        } else {
            at = size;
        }
        if (len > size - at)
            len = size - at;
        const uint8_t *msg = data + at;
        at += len;
        for (int i = 0; i < 2; i++) {
            r[i].message_out = 0;
            bool fresh = ws_inflate_fresh_context(&w[i]);
            bool inflated = ws_inflate_message_begin(&w[i]);
            FUZZ_ASSERT(!inflated || !w[i].context_lost);
            FUZZ_ASSERT(inflated || !fresh);
            note(&r[i], inflated ? WS_INFLATE_OK : WS_INFLATE_SKIPPED);
            if (i == 0) {
                note(&r[i], ws_inflate_message_data(&w[i], &lim, msg, len, on_out, &r[i]));
            } else {
                /* chunks of 1..16 bytes, sizes from the payload */
                for (size_t off = 0; off < len;) {
                    size_t n = 1 + (msg[off] & 15);
                    if (n > len - off)
                        n = len - off;
                    ws_inflate_result res =
                        ws_inflate_message_data(&w[i], &lim, msg + off, n, on_out, &r[i]);
                    off += n;
                    if (res != WS_INFLATE_OK && res != WS_INFLATE_SKIPPED) {
                        note(&r[i], res);
                        break;
                    }
                    if (off == len)
                        note(&r[i], res);
                }
                if (len == 0)
                    note(&r[i], ws_inflate_message_data(&w[i], &lim, msg, 0, on_out, &r[i]));
            }
            note(&r[i], ws_inflate_message_end(&w[i], &lim, on_out, &r[i]));
            FUZZ_ASSERT(mem[i].held <= mem[i].cap);
            if (lim.max_ratio)
                FUZZ_ASSERT(w[i].total_out <= w[i].total_in * lim.max_ratio +
                                                   WS_INFLATE_RATIO_ALLOWANCE);
            /* without context takeover nothing is held between messages */
            if (sender.no_context_takeover)
                FUZZ_ASSERT(mem[i].held == 0);
        }
        if (!memory_capped && !lim.max_ratio)
            FUZZ_ASSERT(r[0].log.h == r[1].log.h);
    }
    for (int i = 0; i < 2; i++) {
        ws_inflater_free(&w[i]);
        FUZZ_ASSERT(mem[i].held == 0);
    }
    return 0;
}

/*
 * ws_inflate.c - permessage-deflate negotiation and inflation (RFC 7692
 * §7.1, §7.2.2), on zlib's raw inflate (ws_inflate.h).
 *
 * A compressed message's payload, all its frames together, as the sender's
 * compressor ended it with a sync flush (an empty stored block) and as it
 * is inflated:
 *
 *   +----------------------------+---------------+-------+-------+
 *   | DEFLATE blocks, BFINAL 0   | 0 00 | pad    | 00 00 | ff ff |
 *   +----------------------------+---------------+-------+-------+
 *   |<------------- on the wire ---------------->|<-- appended -->|
 *                                  BFINAL BTYPE    LEN     NLEN
 *                                  (stored block)
 *
 * The sender cuts the stored block's LEN and NLEN, always 00 00 ff ff, and
 * the receiver appends them at the message's end (§7.2.2).
 *
 * zlib's inflate state persists from one message to the next while the
 * sender keeps its context; a sender that ended a message with a final
 * block (BFINAL 1, §7.2.3.3) starts a new DEFLATE stream with the next one,
 * over the same window when it keeps its context.
 */
#define ZLIB_CONST
#include "ws_inflate.h"

#include <ctype.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* --------------------------------------------------------- negotiation -- */

/* A span of the header value. */
typedef struct span {
    const char *p;
    size_t len;
} span;

static span span_trim(span s)
{
    while (s.len && (s.p[0] == ' ' || s.p[0] == '\t')) {
        s.p++;
        s.len--;
    }
    while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
        s.len--;
    return s;
}

static bool span_is_ci(span s, const char *word)
{
    size_t n = strlen(word);
    if (s.len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (tolower((unsigned char)s.p[i]) != word[i])
            return false;
    }
    return true;
}

/* Cuts *rest at the first `sep` outside a quoted-string (RFC 7230 §3.2.6);
 * returns the part before it, leaves *rest after it, and says in *found
 * whether there was one (when `found` is not NULL). */
static span span_cut(span *rest, char sep, bool *found)
{
    bool quoted = false;
    for (size_t i = 0; i < rest->len; i++) {
        char c = rest->p[i];
        if (quoted && c == '\\' && i + 1 < rest->len) {
            i++;
            continue;
        }
        if (c == '"')
            quoted = !quoted;
        else if (c == sep && !quoted) {
            span head = {rest->p, i};
            rest->p += i + 1;
            rest->len -= i + 1;
            if (found)
                *found = true;
            return head;
        }
    }
    span head = *rest;
    rest->p += rest->len;
    rest->len = 0;
    if (found)
        *found = false;
    return head;
}

/* A window size value: 8..15 in decimal, bare or quoted (§7.1.2.1). */
static bool window_bits_value(span v, uint8_t *out)
{
    if (v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"') {
        v.p++;
        v.len -= 2;
    }
    if (v.len == 0 || v.len > 2)
        return false;
    unsigned n = 0;
    for (size_t i = 0; i < v.len; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return false;
        n = n * 10 + (unsigned)(v.p[i] - '0');
    }
    if (n < WS_DEFLATE_WINDOW_BITS_MIN || n > WS_DEFLATE_WINDOW_BITS_MAX)
        return false;
    *out = (uint8_t)n;
    return true;
}

static ws_deflate_negotiation unsupported(char *why, size_t why_size, const char *what, span s)
{
    if (why_size) {
        int n = s.len > 32 ? 32 : (int)s.len;
        snprintf(why, why_size, "%s \"%.*s\"", what, n, s.p);
    }
    return WS_DEFLATE_UNSUPPORTED;
}

/* The parameters of the one permessage-deflate element. */
static ws_deflate_negotiation parse_params(span rest, ws_deflate_params *p, char *why,
                                           size_t why_size)
{
    enum { SNCT, CNCT, SMWB, CMWB, N_PARAMS };
    static const char *const names[N_PARAMS] = {
        "server_no_context_takeover", "client_no_context_takeover", "server_max_window_bits",
        "client_max_window_bits"};
    bool seen[N_PARAMS] = {false};
    ws_deflate_params got = {{false, WS_DEFLATE_WINDOW_BITS_MAX},
                             {false, WS_DEFLATE_WINDOW_BITS_MAX}};
    while (rest.len) {
        bool has_value = false;
        span param = span_cut(&rest, ';', NULL);
        span name = span_trim(span_cut(&param, '=', &has_value));
        span value = span_trim(param);
        if (name.len == 0 && !has_value)
            continue; /* "a;;b" or a trailing ';' */
        int which = -1;
        for (int i = 0; i < N_PARAMS; i++) {
            if (span_is_ci(name, names[i]))
                which = i;
        }
        if (which < 0)
            return unsupported(why, why_size, "permessage-deflate parameter", name);
        if (seen[which])
            return unsupported(why, why_size, "permessage-deflate parameter given twice:", name);
        seen[which] = true;
        switch (which) {
        case SNCT:
        case CNCT:
            if (has_value)
                return unsupported(why, why_size, "a value for", name);
            (which == SNCT ? &got.server : &got.client)->no_context_takeover = true;
            break;
        default:
            /* §7.1.2: an answer names a window size with a value; one
             * without is read as the largest, which inflates whatever
             * the sender's window. */
            if (has_value &&
                !window_bits_value(value, &(which == SMWB ? &got.server : &got.client)
                                               ->max_window_bits))
                return unsupported(why, why_size, "a window size out of 8..15:", value);
            break;
        }
    }
    *p = got;
    return WS_DEFLATE_ON;
}

ws_deflate_negotiation ws_deflate_parse_response(const char *extensions, ws_deflate_params *params,
                                                 char *why, size_t why_size)
{
    span rest = {extensions, strlen(extensions)};
    span deflate_params = {NULL, 0};
    bool found = false, any = false;
    while (rest.len) {
        span element = span_cut(&rest, ',', NULL);
        span name = span_trim(span_cut(&element, ';', NULL));
        if (name.len == 0 && span_trim(element).len == 0)
            continue; /* an empty list element (RFC 7230 §7) */
        any = true;
        if (!span_is_ci(name, "permessage-deflate"))
            return unsupported(why, why_size, "extension", name);
        if (found)
            return unsupported(why, why_size, "extension accepted twice:", name);
        found = true;
        deflate_params = element;
    }
    if (!any)
        return WS_DEFLATE_OFF;
    return parse_params(deflate_params, params, why, why_size);
}

/* ----------------------------------------------------- zlib's memory -- */

/* Every block zlib asks for carries what it was counted as in front, so
 * that the free hook can count it back; the header keeps malloc's
 * alignment. zlib asks an inflater for its state (about 7 KiB) when the
 * stream is made and for its window (2^windowBits bytes) at its first
 * output; it copies what it inflates into the window, so a stream that has
 * inflated little has written, and the system given it, little of it. The
 * window is counted as it is written, a page at a time (charge_window),
 * the rest at once. */
typedef union alloc_header {
    max_align_t align;
    size_t counted;
} alloc_header;

#define WINDOW_PAGE 4096u

static voidpf ws_zalloc(voidpf opaque, uInt items, uInt size)
{
    ws_inflater *w = opaque;
    ws_inflate_memory *m = w->memory;
    if (size && items > (SIZE_MAX - sizeof(alloc_header)) / size)
        return Z_NULL;
    size_t total = (size_t)items * size + sizeof(alloc_header);
    bool window = w->window_expected && (size_t)items * size == (size_t)1 << w->window_bits;
    size_t counted = window ? 0 : total;
    if (counted > m->cap - m->held)
        return Z_NULL;
    alloc_header *h = malloc(total);
    if (!h)
        return Z_NULL;
    if (window)
        w->window_expected = false;
    h->counted = counted;
    m->held += counted;
    return h + 1;
}

static void ws_zfree(voidpf opaque, voidpf p)
{
    if (!p)
        return;
    ws_inflater *w = opaque;
    alloc_header *h = (alloc_header *)p - 1;
    w->memory->held -= h->counted;
    free(h);
}

/* The window's count when `used` bytes of it are written. */
static size_t window_counted(const ws_inflater *w, uint32_t used)
{
    size_t size = (size_t)1 << w->window_bits;
    size_t pages = ((size_t)used + WINDOW_PAGE - 1) / WINDOW_PAGE * WINDOW_PAGE;
    return pages < size ? pages : size;
}

/* zlib has copied `produced` more bytes into the window. */
static bool charge_window(ws_inflater *w, size_t produced)
{
    uint32_t size = 1u << w->window_bits;
    if (w->window_used >= size)
        return true;
    uint32_t used = produced >= size - w->window_used ? size : w->window_used + (uint32_t)produced;
    size_t more = window_counted(w, used) - window_counted(w, w->window_used);
    if (more > w->memory->cap - w->memory->held)
        return false;
    w->memory->held += more;
    w->window_used = used;
    return true;
}

/* ----------------------------------------------------------- streams -- */

/* Every stream is inflated with DEFLATE's largest window, 32 KiB, whatever
 * window its sender promised (*_max_window_bits), for two reasons:
 *
 * - zlib's deflate, which nearly every sender uses (Node's ws, Chromium,
 *   Python's websockets), cannot compress raw DEFLATE with windowBits 8:
 *   it refuses 8 since 1.2.9 and silently used 9 before, so senders that
 *   promised 8 ask for 9 (Chromium and Node do).
 * - zlib's inflate does not hold a stream to its window: a reference
 *   further back is accepted when what it points to was inflated by the
 *   same call. Whether a sender over its promise is caught would then
 *   depend on how the capture cut the stream; with 32 KiB, the largest
 *   distance DEFLATE can express, a reference fails only when it points
 *   before the stream's start, wherever the cuts fall.
 *
 * The window costs only what is written of it (charge_window), so a
 * stream that inflates little holds little of it. */
#define INFLATE_WINDOW_BITS WS_DEFLATE_WINDOW_BITS_MAX

void ws_inflater_init(ws_inflater *w, const ws_deflate_sender *sender, ws_inflate_memory *memory)
{
    memset(w, 0, sizeof *w);
    w->memory = memory;
    w->window_bits = INFLATE_WINDOW_BITS;
    w->no_context_takeover = sender->no_context_takeover;
}

static bool stream_open(ws_inflater *w)
{
    z_stream *z = ws_zalloc(w, 1, sizeof *z);
    if (!z)
        return false;
    memset(z, 0, sizeof *z);
    z->zalloc = ws_zalloc;
    z->zfree = ws_zfree;
    z->opaque = w;
    w->window_expected = true;
    w->window_used = 0;
    if (inflateInit2(z, -(int)w->window_bits) != Z_OK) {
        ws_zfree(w, z);
        return false;
    }
    w->z = z;
    return true;
}

static void stream_close(ws_inflater *w)
{
    if (!w->z)
        return;
    inflateEnd(w->z);
    ws_zfree(w, w->z);
    w->z = NULL;
    w->memory->held -= window_counted(w, w->window_used);
    w->window_used = 0;
    w->window_expected = false;
}

void ws_inflater_free(ws_inflater *w)
{
    stream_close(w);
    w->context_lost = true;
    w->in_message = false;
    w->skipping = false;
}

void ws_inflate_lose_context(ws_inflater *w)
{
    stream_close(w);
    w->context_lost = true;
    if (w->in_message)
        w->skipping = true;
}

bool ws_inflate_fresh_context(const ws_inflater *w)
{
    return w->no_context_takeover || (!w->z && !w->context_lost);
}

bool ws_inflate_message_begin(ws_inflater *w)
{
    if (w->in_message)
        ws_inflate_lose_context(w); /* its end never came: it cannot be finished */
    bool fresh = ws_inflate_fresh_context(w);
    w->in_message = true;
    w->message_in = 0;
    w->message_out = 0;
    w->stream_ended = false;
    w->skipping = w->context_lost && !fresh;
    if (!w->skipping)
        w->context_lost = false;
    return !w->skipping;
}

/* The message is given up: the rest of it is skipped, and the window is
 * no longer the sender's, so the context is lost. */
static ws_inflate_result fail(ws_inflater *w, ws_inflate_result r)
{
    stream_close(w);
    w->context_lost = true;
    w->skipping = true;
    return r;
}

/* How many more bytes the direction may inflate under the ratio cap. */
static uint64_t ratio_room(const ws_inflater *w, const ws_inflate_limits *lim)
{
    if (!lim->max_ratio)
        return UINT64_MAX;
    if (w->total_in > (UINT64_MAX - WS_INFLATE_RATIO_ALLOWANCE) / lim->max_ratio)
        return UINT64_MAX;
    uint64_t allowed = w->total_in * lim->max_ratio + WS_INFLATE_RATIO_ALLOWANCE;
    return allowed > w->total_out ? allowed - w->total_out : 0;
}

/* Hands `n` inflated bytes on, as many as the caps let through. */
static ws_inflate_result deliver(ws_inflater *w, const ws_inflate_limits *lim,
                                 const uint8_t *bytes, size_t n, ws_inflate_out_fn out, void *ctx)
{
    ws_inflate_result r = WS_INFLATE_OK;
    uint64_t room = lim->max_message_bytes > w->message_out
                        ? lim->max_message_bytes - w->message_out
                        : 0;
    if (n > room)
        r = WS_INFLATE_MESSAGE_LIMIT;
    uint64_t ratio = ratio_room(w, lim);
    if (ratio < room && n > ratio) {
        room = ratio;
        r = WS_INFLATE_RATIO_LIMIT;
    }
    size_t pass = n > room ? (size_t)room : n;
    w->message_out += pass;
    w->total_out += pass;
    if (pass)
        out(ctx, bytes, pass);
    return r;
}

/* Inflates `len` bytes into `out` through a stack buffer. */
static ws_inflate_result inflate_bytes(ws_inflater *w, const ws_inflate_limits *lim,
                                       const uint8_t *in, size_t len, ws_inflate_out_fn out,
                                       void *ctx)
{
    uint8_t buf[WS_INFLATE_CHUNK];
    z_stream *z = w->z;
    bool output_pending = false; /* the last call filled the buffer */
    z->avail_in = 0;
    for (;;) {
        if (z->avail_in == 0 && len > 0) {
            uInt take = len > UINT_MAX ? UINT_MAX : (uInt)len;
            z->next_in = in;
            z->avail_in = take;
            in += take;
            len -= take;
        }
        if (z->avail_in == 0 && !output_pending)
            return WS_INFLATE_OK;
        uInt had = z->avail_in;
        z->next_out = buf;
        z->avail_out = sizeof buf;
        int rc = inflate(z, Z_NO_FLUSH);
        size_t produced = sizeof buf - z->avail_out;
        if (produced) {
            ws_inflate_result r = deliver(w, lim, buf, produced, out, ctx);
            if (r != WS_INFLATE_OK)
                return fail(w, r);
            if (!charge_window(w, produced))
                return fail(w, WS_INFLATE_NOMEM);
        }
        if (rc == Z_STREAM_END) {
            /* A final block (§7.2.3.3): what follows in the message, the
             * tail among it, is not part of the stream. */
            w->stream_ended = true;
            return WS_INFLATE_OK;
        }
        if (rc == Z_MEM_ERROR)
            return fail(w, WS_INFLATE_NOMEM);
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            w->error = z->msg ? z->msg : "not a DEFLATE stream";
            return fail(w, WS_INFLATE_CORRUPT);
        }
        output_pending = z->avail_out == 0;
        if (!output_pending && produced == 0 && z->avail_in == had && had > 0) {
            /* Input left, room left, and nothing done: zlib never does
             * this, and looping would never end. */
            w->error = "inflate made no progress";
            return fail(w, WS_INFLATE_CORRUPT);
        }
    }
}

ws_inflate_result ws_inflate_message_data(ws_inflater *w, const ws_inflate_limits *lim,
                                          const uint8_t *bytes, size_t len,
                                          ws_inflate_out_fn out, void *ctx)
{
    if (!w->in_message || w->skipping)
        return WS_INFLATE_SKIPPED;
    w->message_in += len;
    w->total_in += len;
    if (len == 0 || w->stream_ended)
        return WS_INFLATE_OK;
    if (!w->z && !stream_open(w))
        return fail(w, WS_INFLATE_NOMEM);
    return inflate_bytes(w, lim, bytes, len, out, ctx);
}

/* After a final block, with context takeover: a new DEFLATE stream over the
 * same window. */
static bool restart_keeping_window(ws_inflater *w)
{
    uInt have = 0;
    if (inflateGetDictionary(w->z, NULL, &have) != Z_OK)
        return false;
    Bytef *window = have ? ws_zalloc(w, have, 1) : NULL;
    if (have && !window)
        return false;
    bool ok = (!have || inflateGetDictionary(w->z, window, &have) == Z_OK) &&
              inflateReset(w->z) == Z_OK &&
              (!have || inflateSetDictionary(w->z, window, have) == Z_OK);
    ws_zfree(w, window);
    return ok;
}

ws_inflate_result ws_inflate_message_end(ws_inflater *w, const ws_inflate_limits *lim,
                                         ws_inflate_out_fn out, void *ctx)
{
    static const uint8_t tail[4] = {0x00, 0x00, 0xff, 0xff};
    if (!w->in_message)
        return WS_INFLATE_SKIPPED;
    ws_inflate_result r = WS_INFLATE_OK;
    if (w->skipping)
        r = WS_INFLATE_SKIPPED;
    else if (w->message_in > 0 && !w->stream_ended)
        r = inflate_bytes(w, lim, tail, sizeof tail, out, ctx);
    /* A message with no payload (no DEFLATE block header at all, let alone
     * the flush's) is empty: the tail alone would open a stored block. */
    w->in_message = false;
    w->skipping = false;
    if (r != WS_INFLATE_OK)
        return r;
    if (w->no_context_takeover) {
        stream_close(w);
    } else if (w->stream_ended) {
        w->stream_ended = false;
        if (!restart_keeping_window(w))
            return fail(w, WS_INFLATE_NOMEM);
    }
    return WS_INFLATE_OK;
}

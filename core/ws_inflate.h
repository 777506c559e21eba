/*
 * ws_inflate.h - permessage-deflate (RFC 7692): the parameters a 101 answer
 * accepted, and the inflation of one direction's compressed messages.
 *
 * §7.1 negotiation, as the server's answer states it:
 *
 *   Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover;
 *       client_no_context_takeover; server_max_window_bits=10;
 *       client_max_window_bits=12
 *
 *   server_no_context_takeover  the server resets its compressor after every
 *                               message: each S2C message starts a fresh
 *                               LZ77 window
 *   client_no_context_takeover  the same for the client's messages (C2S)
 *   server_max_window_bits=N    the server's LZ77 window is at most 2^N bytes
 *   client_max_window_bits=N    the client's (8 <= N <= 15; 15 when absent)
 *
 * §7.2.2 decompression: a message whose first frame has RSV1 set is
 * compressed; its payload, all frames together, is raw DEFLATE (RFC 1951)
 * whose sender flushed it to a byte boundary and cut the trailing
 * `00 00 ff ff` of the flush's empty stored block. The receiver appends
 * those four bytes at the message's end and inflates. Unless the sender's
 * no_context_takeover applies, the LZ77 window carries over from one
 * compressed message to the next (context takeover); a message without
 * RSV1 is not compressed and takes no part in the window.
 *
 * Inflation is streamed: inflated bytes go to a callback in chunks of at
 * most WS_INFLATE_CHUNK bytes as the compressed ones arrive; no message is
 * ever held whole. What it costs is bounded (ws_inflate_limits): bytes
 * inflated per message, the ratio of inflated to compressed bytes in a
 * direction, and the memory zlib holds across every inflater that shares a
 * ws_inflate_memory (its allocations go through hooks that count them).
 *
 * Memory: zlib's inflate state is about 7 KiB, and its window 32 KiB
 * (every stream is inflated with DEFLATE's largest window, whatever its
 * sender promised: ws_inflate.c says why), allocated at the first inflated
 * output and written as output comes: it is counted as it is written, a
 * page at a time, which is what it costs the system. An inflater holds neither until its first
 * compressed message; one whose sender resets its context
 * (no_context_takeover) frees both at the end of every message, so an idle
 * connection holds nothing; one with context takeover keeps them until
 * ws_inflater_free, as its window is part of the stream.
 */
#ifndef MQTTKA_WS_INFLATE_H
#define MQTTKA_WS_INFLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_DEFLATE_WINDOW_BITS_MIN 8  /* RFC 7692 §7.1.2.1 */
#define WS_DEFLATE_WINDOW_BITS_MAX 15

/* Inflated bytes are handed on in chunks of at most this size, from a
 * stack buffer: small enough for a shallow stack, large enough that the
 * callback's cost per chunk is small next to inflating it. A cap is
 * checked after every chunk, so it is overshot by less than one. */
#define WS_INFLATE_CHUNK 4096

/* Before the ratio cap applies, a direction may inflate this many bytes
 * whatever their ratio: a connection's first messages (a CONNECT, a
 * retained message repeated in full) compress little or a lot by chance,
 * and only sustained amplification is the attack the ratio cap stops. */
#define WS_INFLATE_RATIO_ALLOWANCE (1u << 20)

/* What one sender's compressor promised (RFC 7692 §7.1). */
typedef struct ws_deflate_sender {
    bool no_context_takeover;
    uint8_t max_window_bits; /* 8..15 (read, checked, not needed to inflate) */
} ws_deflate_sender;

typedef struct ws_deflate_params {
    ws_deflate_sender client; /* the client's messages (C2S) */
    ws_deflate_sender server; /* the server's messages (S2C) */
} ws_deflate_params;

typedef enum ws_deflate_negotiation {
    WS_DEFLATE_OFF = 0,     /* no extension accepted */
    WS_DEFLATE_ON,          /* permessage-deflate alone, with parameters understood */
    WS_DEFLATE_UNSUPPORTED, /* an extension accepted in a form not decoded here */
} ws_deflate_negotiation;

/* Reads the Sec-WebSocket-Extensions value of a 101 answer (NUL-terminated,
 * several header lines joined with ", "). On WS_DEFLATE_ON fills *params;
 * on WS_DEFLATE_UNSUPPORTED writes what is not understood into `why` (a
 * phrase, cut to why_size - 1 bytes): another extension beside or instead
 * of permessage-deflate, an unknown parameter, a parameter given twice, a
 * window size out of 8..15. Parameter names and the extension's name are
 * compared without regard to case; values may be quoted (§7.1). Leaves
 * *params and `why` alone otherwise. */
ws_deflate_negotiation ws_deflate_parse_response(const char *extensions, ws_deflate_params *params,
                                                 char *why, size_t why_size);

/* zlib memory held by every inflater that shares this (its windows as far
 * as they are written), and the most it may hold: an allocation or a
 * window's growth past the cap fails, which the inflater reports as
 * WS_INFLATE_NOMEM. Owned by the caller; it must outlive its inflaters. */
typedef struct ws_inflate_memory {
    size_t held;
    size_t cap;
} ws_inflate_memory;

typedef struct ws_inflate_limits {
    /* Inflated bytes of one message: past them the message is cut. */
    uint64_t max_message_bytes;
    /* Inflated bytes of a direction may exceed its compressed bytes times
     * this only by WS_INFLATE_RATIO_ALLOWANCE; 0: no ratio cap. The message
     * that would is cut, as by max_message_bytes; the bytes it was not
     * inflated from do not count, so each later message may inflate to
     * max_ratio times its own size. */
    uint32_t max_ratio;
} ws_inflate_limits;

typedef enum ws_inflate_result {
    WS_INFLATE_OK = 0,
    WS_INFLATE_SKIPPED,       /* the message is not inflated (after a failure: see
                                 ws_inflate_message_begin) */
    WS_INFLATE_CORRUPT,       /* not valid DEFLATE (ws_inflater.error says why) */
    WS_INFLATE_MESSAGE_LIMIT, /* the message inflated past max_message_bytes */
    WS_INFLATE_RATIO_LIMIT,   /* the direction inflated past max_ratio */
    WS_INFLATE_NOMEM,         /* the memory cap, or malloc, refused zlib's memory */
} ws_inflate_result;

/* Where inflated bytes go: `len` (1..WS_INFLATE_CHUNK) bytes, borrowed for
 * the call. It must not call back into the inflater. */
typedef void (*ws_inflate_out_fn)(void *ctx, const uint8_t *bytes, size_t len);

/* One direction's inflater: 72 bytes, with no zlib state until needed. It
 * must stay where it is while it holds a stream (zlib's hooks point at it). */
typedef struct ws_inflater {
    struct z_stream_s *z;        /* zlib's stream, or NULL */
    ws_inflate_memory *memory;
    uint64_t message_in;         /* compressed bytes of the current message */
    uint64_t message_out;        /* inflated bytes of the current message */
    uint64_t total_in, total_out;/* compressed and inflated bytes of the direction */
    const char *error;           /* zlib's word on the last WS_INFLATE_CORRUPT (static) */
    uint32_t window_used;        /* bytes of zlib's window written (counted by the page) */
    uint8_t window_bits;         /* as zlib is asked for it: 15 (see ws_inflate.c) */
    bool window_expected;        /* zlib's next allocation of 2^window_bits is the window */
    bool no_context_takeover;
    bool in_message;             /* a compressed message has begun and not ended */
    bool skipping;               /* ... and is not being inflated */
    bool stream_ended;           /* ... and its DEFLATE stream ended (BFINAL) */
    bool context_lost;           /* the window is gone: only a fresh context resumes */
} ws_inflater;

/* Makes an inflater for messages of a sender that made these promises. */
void ws_inflater_init(ws_inflater *w, const ws_deflate_sender *sender, ws_inflate_memory *memory);

/* Frees what zlib holds; the inflater is left as ws_inflater_init left it,
 * but for its context, which is lost. */
void ws_inflater_free(ws_inflater *w);

/* Would a message beginning now start from a fresh context (the first
 * compressed message of the direction, or every one without context
 * takeover)? Only such a message can be inflated after a failure. */
bool ws_inflate_fresh_context(const ws_inflater *w);

/* A compressed message begins (its first frame had RSV1). A compressed
 * message still open (one whose last frame never came: RFC 6455 §5.4
 * forbids that, and the frame decoder reports it) cannot be finished, so
 * the context is lost first (the caller may check in_message to say so).
 * Returns true when it will be inflated; false when an earlier failure
 * lost the context and this message does not start a fresh one: then its
 * data is skipped (WS_INFLATE_SKIPPED) and costs nothing. */
bool ws_inflate_message_begin(ws_inflater *w);

/* Payload bytes of the compressed message, unmasked, in order. Inflated
 * bytes go to `out` before this returns. On any result but OK and SKIPPED
 * the rest of the message is skipped and the context is lost (a fresh one
 * resumes: ws_inflate_message_begin); what was inflated before the
 * failure has gone to `out`. */
ws_inflate_result ws_inflate_message_data(ws_inflater *w, const ws_inflate_limits *lim,
                                          const uint8_t *bytes, size_t len,
                                          ws_inflate_out_fn out, void *ctx);

/* The message's last frame has ended: the `00 00 ff ff` tail is inflated
 * (its last inflated bytes go to `out`), and the context is kept for the
 * next message or, without context takeover, freed. A message with no
 * payload at all is empty. Same results as ws_inflate_message_data. */
ws_inflate_result ws_inflate_message_end(ws_inflater *w, const ws_inflate_limits *lim,
                                         ws_inflate_out_fn out, void *ctx);

/* The direction lost bytes (a hole in the capture): the context is gone,
 * and the message in progress, if any, is not inflated further. */
void ws_inflate_lose_context(ws_inflater *w);

/* Is the current message being skipped (not inflated)? */
static inline bool ws_inflate_skipping(const ws_inflater *w)
{
    return w->in_message && w->skipping;
}

#endif

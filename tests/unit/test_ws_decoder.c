/*
 * test_ws_decoder.c - RFC 6455 §5 framing rules, one case per rule.
 *
 * Each case is the bytes of one direction and the event log the decoder must
 * produce. Every case is fed whole, byte by byte, and split into two pushes at
 * every offset; the three logs must be identical. Every push is copied into a
 * heap block of exactly its size, so a read past a push is caught by ASan.
 * Byte-by-byte feeding also records after which byte each violation fired,
 * which checks that rules are decided at their earliest byte.
 *
 * Input notation (built into bytes by build_input):
 *   82 7e          hex bytes
 *   'abc'          ASCII bytes
 *   seq(300)       300 bytes 00 01 02 ... (mod 256)
 *   [2299147f: ..] the mask key 22 99 14 7f, then the bytes up to ']'
 *                  XOR-ed with it: the test masks, the decoder unmasks.
 * Log notation (built into text by build_expected):
 *   hdr op= fin= rsv= len= mask= hlen=;  a frame header
 *   data op=<message opcode> <bytes>;    consecutive data chunks, merged
 *   ctl op= len= <bytes>;                a control frame's payload
 *   end;                                 the end of a frame
 *   viol NAME;                           a violation
 * In expectations, seq(N) and 'abc' become hex bytes and sum(N) becomes
 * "n=N fnv=XXXXXXXX", the form the log uses for data runs over 64 bytes.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "test_harness.h"
#include "ws_decoder.h"

/* Data runs up to this size are logged byte by byte, longer ones as a count
 * and an FNV-1a hash. */
#define LOG_DATA_HEX_MAX 64
/* Inputs longer than this are split at the first and last SPLIT_EDGE offsets
 * and SPLIT_SPREAD offsets in between instead of at every offset, which
 * would cost len^2 decoded bytes. */
#define SPLIT_EVERY_MAX 4096
#define SPLIT_EDGE 64
#define SPLIT_SPREAD 64

/* ------------------------------------------------------------------------ */
/* Growing text buffer                                                        */

typedef struct text {
    char *s;
    size_t len;
    size_t cap;
} text;

static void text_append(text *t, const char *s, size_t n)
{
    if (n + 1 > t->cap - t->len) {
        size_t cap = t->cap ? t->cap : 256;
        while (n + 1 > cap - t->len)
            cap *= 2;
        char *p = realloc(t->s, cap);
        if (!p)
            abort();
        t->s = p;
        t->cap = cap;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void text_printf(text *t, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp)
        abort();
    text_append(t, tmp, (size_t)n);
}

static const char *text_str(const text *t)
{
    return t->s ? t->s : "";
}

static void text_clear(text *t)
{
    t->len = 0;
    if (t->s)
        t->s[0] = '\0';
}

static uint32_t fnv1a(uint32_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

#define FNV_OFFSET 2166136261u

/* ------------------------------------------------------------------------ */
/* Input and expectation notation                                             */

typedef struct bytes_buf {
    uint8_t *p;
    size_t len;
    size_t cap;
} bytes_buf;

static void bytes_push(bytes_buf *b, uint8_t v)
{
    if (b->len == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        uint8_t *p = realloc(b->p, cap);
        if (!p)
            abort();
        b->p = p;
        b->cap = cap;
    }
    b->p[b->len++] = v;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static size_t parse_count(const char **sp)
{
    const char *s = *sp;
    size_t n = 0;
    while (*s >= '0' && *s <= '9')
        n = n * 10 + (size_t)(*s++ - '0');
    if (*s != ')')
        abort();
    *sp = s + 1;
    return n;
}

/* Turns the input notation into bytes; see the top of the file. */
static bytes_buf build_input(const char *spec)
{
    bytes_buf b = {0};
    uint8_t key[4] = {0};
    bool masking = false;
    size_t mask_pos = 0;

    for (const char *s = spec; *s;) {
        uint8_t one[1];
        const uint8_t *out = NULL;
        size_t out_n = 0;
        size_t seq_n = 0;

        if (*s == ' ') {
            s++;
            continue;
        }
        if (*s == '[') {
            s++;
            for (size_t i = 0; i < 4; i++) {
                int hi = hex_digit(s[0]), lo = hex_digit(s[1]);
                if (hi < 0 || lo < 0)
                    abort();
                key[i] = (uint8_t)(hi << 4 | lo);
                bytes_push(&b, key[i]);
                s += 2;
            }
            if (*s++ != ':')
                abort();
            masking = true;
            mask_pos = 0;
            continue;
        }
        if (*s == ']') {
            s++;
            masking = false;
            continue;
        }
        if (*s == '\'') {
            const char *end = strchr(s + 1, '\'');
            if (!end)
                abort();
            out = (const uint8_t *)(s + 1);
            out_n = (size_t)(end - s - 1);
            s = end + 1;
        } else if (strncmp(s, "seq(", 4) == 0) {
            s += 4;
            seq_n = parse_count(&s);
        } else {
            int hi = hex_digit(s[0]), lo = hex_digit(s[1]);
            if (hi < 0 || lo < 0)
                abort();
            one[0] = (uint8_t)(hi << 4 | lo);
            out = one;
            out_n = 1;
            s += 2;
        }
        for (size_t i = 0; i < out_n + seq_n; i++) {
            uint8_t v = i < out_n ? out[i] : (uint8_t)(i - out_n);
            if (masking)
                v = (uint8_t)(v ^ key[mask_pos++ & 3u]);
            bytes_push(&b, v);
        }
    }
    if (!b.p) {
        /* so that "p + 0" is defined for an empty input */
        b.p = malloc(1);
        if (!b.p)
            abort();
    }
    return b;
}

static void hex_bytes(text *t, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        text_printf(t, "%s%02x", t->len && t->s[t->len - 1] != ' ' ? " " : "", p[i]);
}

/* Turns an expected-log template into the log text; see the top of the file. */
static void build_expected(text *t, const char *tmpl)
{
    for (const char *s = tmpl; *s;) {
        if (strncmp(s, "seq(", 4) == 0 || strncmp(s, "sum(", 4) == 0) {
            bool sum = s[1] == 'u';
            s += 4;
            size_t n = parse_count(&s);
            uint32_t h = FNV_OFFSET;
            for (size_t i = 0; i < n; i++) {
                uint8_t v = (uint8_t)i;
                if (sum)
                    h = fnv1a(h, &v, 1);
                else
                    hex_bytes(t, &v, 1);
            }
            if (sum)
                text_printf(t, "n=%zu fnv=%08x", n, (unsigned)h);
        } else if (*s == '\'') {
            const char *end = strchr(s + 1, '\'');
            if (!end)
                abort();
            hex_bytes(t, (const uint8_t *)(s + 1), (size_t)(end - s - 1));
            s = end + 1;
        } else {
            text_append(t, s, 1);
            s++;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Event log                                                                   */

static const char *const violation_ids[WS_V_COUNT] = {
    [WS_V_UNMASKED_CLIENT_FRAME] = "UNMASKED_CLIENT_FRAME",
    [WS_V_MASKED_SERVER_FRAME] = "MASKED_SERVER_FRAME",
    [WS_V_RSV_WITHOUT_EXTENSION] = "RSV_WITHOUT_EXTENSION",
    [WS_V_RSV1_ON_CONTROL] = "RSV1_ON_CONTROL",
    [WS_V_RSV1_ON_CONTINUATION] = "RSV1_ON_CONTINUATION",
    [WS_V_CONTROL_TOO_LONG] = "CONTROL_TOO_LONG",
    [WS_V_CONTROL_FRAGMENTED] = "CONTROL_FRAGMENTED",
    [WS_V_RESERVED_OPCODE] = "RESERVED_OPCODE",
    [WS_V_NON_MINIMAL_LENGTH] = "NON_MINIMAL_LENGTH",
    [WS_V_LENGTH_MSB_SET] = "LENGTH_MSB_SET",
    [WS_V_STRAY_CONTINUATION] = "STRAY_CONTINUATION",
    [WS_V_MESSAGE_INTERRUPTED] = "MESSAGE_INTERRUPTED",
};

typedef struct event_log {
    text log;
    text violations_at; /* "after which byte" of each violation */
    size_t fed;         /* bytes pushed so far, the current push included */
    /* the data run being merged */
    bool run_open;
    uint8_t run_opcode;
    size_t run_len;
    uint32_t run_fnv;
    uint8_t run_head[LOG_DATA_HEX_MAX];
    unsigned empty_data_calls;
    unsigned oversized_data_calls;
} event_log;

static void log_close_run(event_log *lg)
{
    if (!lg->run_open)
        return;
    text_printf(&lg->log, "data op=%u ", lg->run_opcode);
    if (lg->run_len <= LOG_DATA_HEX_MAX)
        hex_bytes(&lg->log, lg->run_head, lg->run_len);
    else
        text_printf(&lg->log, "n=%zu fnv=%08x", lg->run_len, (unsigned)lg->run_fnv);
    text_append(&lg->log, ";", 1);
    lg->run_open = false;
}

static void on_header(void *ctx, const ws_frame_header *h)
{
    event_log *lg = ctx;
    log_close_run(lg);
    text_printf(&lg->log, "hdr op=%u fin=%d rsv=%u len=%llu mask=", h->opcode, h->fin, h->rsv,
                (unsigned long long)h->payload_len);
    if (h->masked)
        text_printf(&lg->log, "%02x%02x%02x%02x", h->mask[0], h->mask[1], h->mask[2],
                    h->mask[3]);
    else
        text_append(&lg->log, "-", 1);
    text_printf(&lg->log, " hlen=%u;", h->header_len);
}

static void on_data(void *ctx, uint8_t message_opcode, const ws_frame_header *h,
                    const uint8_t *bytes, size_t len)
{
    event_log *lg = ctx;
    (void)h;
    if (len == 0)
        lg->empty_data_calls++;
    if (lg->run_open && lg->run_opcode != message_opcode)
        log_close_run(lg);
    if (!lg->run_open) {
        lg->run_open = true;
        lg->run_opcode = message_opcode;
        lg->run_len = 0;
        lg->run_fnv = FNV_OFFSET;
    }
    for (size_t i = 0; i < len && lg->run_len + i < LOG_DATA_HEX_MAX; i++)
        lg->run_head[lg->run_len + i] = bytes[i];
    lg->run_len += len;
    lg->run_fnv = fnv1a(lg->run_fnv, bytes, len);
}

static void on_control(void *ctx, const ws_frame_header *h, const uint8_t *payload, size_t len)
{
    event_log *lg = ctx;
    log_close_run(lg);
    text_printf(&lg->log, "ctl op=%u len=%zu", h->opcode, len);
    if (len)
        text_append(&lg->log, " ", 1);
    hex_bytes(&lg->log, payload, len);
    text_append(&lg->log, ";", 1);
}

static void on_end(void *ctx, const ws_frame_header *h)
{
    event_log *lg = ctx;
    (void)h;
    log_close_run(lg);
    text_append(&lg->log, "end;", 4);
}

static void on_violation(void *ctx, ws_violation v, const ws_frame_header *h)
{
    event_log *lg = ctx;
    (void)h;
    log_close_run(lg);
    text_printf(&lg->log, "viol %s;", v < WS_V_COUNT ? violation_ids[v] : "?");
    text_printf(&lg->violations_at, "%s%zu", lg->violations_at.len ? " " : "", lg->fed);
}

static const ws_decoder_callbacks log_callbacks = {
    .frame_header = on_header,
    .data = on_data,
    .control = on_control,
    .frame_end = on_end,
    .violation = on_violation,
};

static void log_reset(event_log *lg)
{
    text_clear(&lg->log);
    text_clear(&lg->violations_at);
    lg->fed = 0;
    lg->run_open = false;
    lg->empty_data_calls = 0;
}

static void log_free(event_log *lg)
{
    free(lg->log.s);
    free(lg->violations_at.s);
}

static void push_exact(ws_decoder *d, const uint8_t *bytes, size_t len, event_log *lg)
{
    uint8_t *copy = th_exact_copy(bytes, len);
    lg->fed += len;
    ws_decoder_push(d, copy, len, &log_callbacks, lg);
    free(copy);
}

/* ------------------------------------------------------------------------ */
/* Table                                                                       */

typedef struct ws_case {
    const char *name;
    bool from_client;
    bool extension_rsv1;
    const char *input;
    const char *expect;
    const char *violations_at; /* byte after which each violation fires; "" for none */
    bool mid_frame;            /* the stream ends inside a frame */
    bool message_open;         /* a fragmented message awaits its continuation */
} ws_case;

#define SEED_HDR "hdr op=2 fin=1 rsv=0 len=14 mask=2299147f hlen=6;"
#define SEED_DATA "data op=2 10 0c 00 04 4d 51 54 54 04 02 00 05 00 00;"
#define SEED_PAYLOAD "10 0c 00 04 4d 51 54 54 04 02 00 05 00 00"

static const ws_case cases[] = {
    /* ---- length forms and masking ---- */
    {.name = "7-bit length, unmasked server frame",
     .input = "82 03 01 02 03",
     .expect = "hdr op=2 fin=1 rsv=0 len=3 mask=- hlen=2;data op=2 01 02 03;end;"},
    {.name = "seed: masked client binary frame carrying an MQTT CONNECT",
     .from_client = true,
     .input = "82 8e [2299147f: " SEED_PAYLOAD "]",
     .expect = SEED_HDR SEED_DATA "end;"},
    {.name = "16-bit length (126), unmasked",
     .input = "82 7e 01 2c seq(300)",
     .expect = "hdr op=2 fin=1 rsv=0 len=300 mask=- hlen=4;data op=2 sum(300);end;"},
    {.name = "16-bit length (126), masked, smallest legal value",
     .from_client = true,
     .input = "82 fe 00 7e [a1b2c3d4: seq(126)]",
     .expect = "hdr op=2 fin=1 rsv=0 len=126 mask=a1b2c3d4 hlen=8;data op=2 sum(126);end;"},
    {.name = "16-bit length (126), largest value",
     .input = "82 7e ff ff seq(65535)",
     .expect = "hdr op=2 fin=1 rsv=0 len=65535 mask=- hlen=4;data op=2 sum(65535);end;"},
    {.name = "64-bit length (127), masked, smallest legal value",
     .from_client = true,
     .input = "82 ff 00 00 00 00 00 01 00 00 [0badf00d: seq(65536)]",
     .expect = "hdr op=2 fin=1 rsv=0 len=65536 mask=0badf00d hlen=14;"
               "data op=2 sum(65536);end;"},
    {.name = "masked payload longer than the unmask chunk",
     .from_client = true,
     .input = "82 fe 02 01 [01020304: seq(513)]",
     .expect = "hdr op=2 fin=1 rsv=0 len=513 mask=01020304 hlen=8;data op=2 sum(513);end;"},
    {.name = "text frame",
     .from_client = true,
     .input = "81 85 [37fa213d: 'Hello']",
     .expect = "hdr op=1 fin=1 rsv=0 len=5 mask=37fa213d hlen=6;data op=1 'Hello';end;"},
    {.name = "two frames in one stream",
     .from_client = true,
     .input = "82 8e [2299147f: " SEED_PAYLOAD "] 82 82 [00000000: c0 00]",
     .expect = SEED_HDR SEED_DATA "end;"
               "hdr op=2 fin=1 rsv=0 len=2 mask=00000000 hlen=6;data op=2 c0 00;end;"},
    {.name = "MQTT packet split over two frames is just data",
     .from_client = true,
     .input = "02 84 [11223344: 10 0c 00 04] 80 8a [55667788: 4d 51 54 54 04 02 00 05 00 00]",
     .expect = "hdr op=2 fin=0 rsv=0 len=4 mask=11223344 hlen=6;data op=2 10 0c 00 04;end;"
               "hdr op=0 fin=1 rsv=0 len=10 mask=55667788 hlen=6;"
               "data op=2 4d 51 54 54 04 02 00 05 00 00;end;"},

    /* ---- zero-length frames ---- */
    {.name = "empty binary frame",
     .input = "82 00",
     .expect = "hdr op=2 fin=1 rsv=0 len=0 mask=- hlen=2;end;"},
    {.name = "empty masked binary frame",
     .from_client = true,
     .input = "82 80 01 02 03 04",
     .expect = "hdr op=2 fin=1 rsv=0 len=0 mask=01020304 hlen=6;end;"},
    {.name = "empty ping and pong",
     .input = "89 00 8a 00",
     .expect = "hdr op=9 fin=1 rsv=0 len=0 mask=- hlen=2;ctl op=9 len=0;end;"
               "hdr op=10 fin=1 rsv=0 len=0 mask=- hlen=2;ctl op=10 len=0;end;"},

    /* ---- fragmentation ---- */
    {.name = "fragmented text message with a ping in the middle",
     .from_client = true,
     .input = "01 83 [0a0b0c0d: 'abc'] 89 82 [01020304: 01 02] 80 82 [ffffffff: 'de']",
     .expect = "hdr op=1 fin=0 rsv=0 len=3 mask=0a0b0c0d hlen=6;data op=1 'abc';end;"
               "hdr op=9 fin=1 rsv=0 len=2 mask=01020304 hlen=6;ctl op=9 len=2 01 02;end;"
               "hdr op=0 fin=1 rsv=0 len=2 mask=ffffffff hlen=6;data op=1 'de';end;"},
    {.name = "binary message in three frames, still open at the end",
     .input = "02 01 aa 00 01 bb 8a 01 cc 00 01 dd",
     .expect = "hdr op=2 fin=0 rsv=0 len=1 mask=- hlen=2;data op=2 aa;end;"
               "hdr op=0 fin=0 rsv=0 len=1 mask=- hlen=2;data op=2 bb;end;"
               "hdr op=10 fin=1 rsv=0 len=1 mask=- hlen=2;ctl op=10 len=1 cc;end;"
               "hdr op=0 fin=0 rsv=0 len=1 mask=- hlen=2;data op=2 dd;end;",
     .message_open = true},

    /* ---- control frames ---- */
    {.name = "close with code 1000 and a reason",
     .input = "88 07 03 e8 'bye!!'",
     .expect = "hdr op=8 fin=1 rsv=0 len=7 mask=- hlen=2;ctl op=8 len=7 03 e8 'bye!!';end;"},
    {.name = "masked close 1001 from the client",
     .from_client = true,
     .input = "88 8c [9a8b7c6d: 03 e9 'going away']",
     .expect = "hdr op=8 fin=1 rsv=0 len=12 mask=9a8b7c6d hlen=6;"
               "ctl op=8 len=12 03 e9 'going away';end;"},
    {.name = "ping of the maximum 125 bytes",
     .from_client = true,
     .input = "89 fd [13579bdf: seq(125)]",
     .expect = "hdr op=9 fin=1 rsv=0 len=125 mask=13579bdf hlen=6;ctl op=9 len=125 seq(125);end;"},

    /* ---- violations, one per rule ---- */
    {.name = "client frame without a mask",
     .from_client = true,
     .input = "82 02 aa bb",
     .expect = "viol UNMASKED_CLIENT_FRAME;hdr op=2 fin=1 rsv=0 len=2 mask=- hlen=2;"
               "data op=2 aa bb;end;",
     .violations_at = "2"},
    {.name = "server frame with a mask (still unmasked for the reader)",
     .input = "82 82 [f0f0f0f0: aa bb]",
     .expect = "viol MASKED_SERVER_FRAME;hdr op=2 fin=1 rsv=0 len=2 mask=f0f0f0f0 hlen=6;"
               "data op=2 aa bb;end;",
     .violations_at = "2"},
    {.name = "RSV1 without an extension",
     .input = "c2 01 aa",
     .expect = "viol RSV_WITHOUT_EXTENSION;hdr op=2 fin=1 rsv=4 len=1 mask=- hlen=2;"
               "data op=2 aa;end;",
     .violations_at = "1"},
    {.name = "RSV3 with permessage-deflate",
     .extension_rsv1 = true,
     .input = "92 01 aa",
     .expect = "viol RSV_WITHOUT_EXTENSION;hdr op=2 fin=1 rsv=1 len=1 mask=- hlen=2;"
               "data op=2 aa;end;",
     .violations_at = "1"},
    {.name = "RSV1 on a first frame with permessage-deflate is legal",
     .extension_rsv1 = true,
     .input = "42 01 aa 80 01 bb c1 01 cc",
     .expect = "hdr op=2 fin=0 rsv=4 len=1 mask=- hlen=2;data op=2 aa;end;"
               "hdr op=0 fin=1 rsv=0 len=1 mask=- hlen=2;data op=2 bb;end;"
               "hdr op=1 fin=1 rsv=4 len=1 mask=- hlen=2;data op=1 cc;end;"},
    {.name = "RSV1 on a control frame",
     .extension_rsv1 = true,
     .input = "c9 00",
     .expect = "viol RSV1_ON_CONTROL;hdr op=9 fin=1 rsv=4 len=0 mask=- hlen=2;"
               "ctl op=9 len=0;end;",
     .violations_at = "1"},
    {.name = "RSV1 on a continuation frame",
     .extension_rsv1 = true,
     .input = "42 01 aa c0 01 bb",
     .expect = "hdr op=2 fin=0 rsv=4 len=1 mask=- hlen=2;data op=2 aa;end;"
               "viol RSV1_ON_CONTINUATION;hdr op=0 fin=1 rsv=4 len=1 mask=- hlen=2;"
               "data op=2 bb;end;",
     .violations_at = "4"},
    {.name = "ping longer than 125 bytes: kept to 125, all counted",
     .input = "89 7e 00 7e seq(126) 82 01 ee",
     .expect = "viol CONTROL_TOO_LONG;hdr op=9 fin=1 rsv=0 len=126 mask=- hlen=4;"
               "ctl op=9 len=125 seq(125);end;"
               "hdr op=2 fin=1 rsv=0 len=1 mask=- hlen=2;data op=2 ee;end;",
     .violations_at = "4"},
    {.name = "masked oversized close: the kept part is unmasked",
     .from_client = true,
     .input = "88 fe 00 c8 [deadbeef: seq(200)]",
     .expect = "viol CONTROL_TOO_LONG;hdr op=8 fin=1 rsv=0 len=200 mask=deadbeef hlen=8;"
               "ctl op=8 len=125 seq(125);end;",
     .violations_at = "4"},
    {.name = "fragmented ping",
     .input = "09 01 aa",
     .expect = "viol CONTROL_FRAGMENTED;hdr op=9 fin=0 rsv=0 len=1 mask=- hlen=2;"
               "ctl op=9 len=1 aa;end;",
     .violations_at = "1"},
    {.name = "reserved data opcode: payload skipped",
     .input = "83 02 aa bb 82 01 cc",
     .expect = "viol RESERVED_OPCODE;hdr op=3 fin=1 rsv=0 len=2 mask=- hlen=2;end;"
               "hdr op=2 fin=1 rsv=0 len=1 mask=- hlen=2;data op=2 cc;end;",
     .violations_at = "1"},
    {.name = "reserved control opcode does not disturb an open message",
     .input = "01 01 61 8f 01 aa 80 01 62",
     .expect = "hdr op=1 fin=0 rsv=0 len=1 mask=- hlen=2;data op=1 61;end;"
               "viol RESERVED_OPCODE;hdr op=15 fin=1 rsv=0 len=1 mask=- hlen=2;end;"
               "hdr op=0 fin=1 rsv=0 len=1 mask=- hlen=2;data op=1 62;end;",
     .violations_at = "4"},
    {.name = "16-bit length below 126",
     .input = "82 7e 00 05 seq(5)",
     .expect = "viol NON_MINIMAL_LENGTH;hdr op=2 fin=1 rsv=0 len=5 mask=- hlen=4;"
               "data op=2 seq(5);end;",
     .violations_at = "4"},
    {.name = "16-bit length of 125, the largest 7-bit value",
     .from_client = true,
     .input = "82 fe 00 7d [0f1e2d3c: seq(125)]",
     .expect = "viol NON_MINIMAL_LENGTH;hdr op=2 fin=1 rsv=0 len=125 mask=0f1e2d3c hlen=8;"
               "data op=2 sum(125);end;",
     .violations_at = "4"},
    {.name = "64-bit length below 65536",
     .input = "82 7f 00 00 00 00 00 00 ff ff seq(65535)",
     .expect = "viol NON_MINIMAL_LENGTH;hdr op=2 fin=1 rsv=0 len=65535 mask=- hlen=10;"
               "data op=2 sum(65535);end;",
     .violations_at = "10"},
    {.name = "64-bit length with a tiny value",
     .from_client = true,
     .input = "82 ff 00 00 00 00 00 00 00 01 [01010101: 7f]",
     .expect = "viol NON_MINIMAL_LENGTH;hdr op=2 fin=1 rsv=0 len=1 mask=01010101 hlen=14;"
               "data op=2 7f;end;",
     .violations_at = "10"},
    {.name = "64-bit length 2^63: top bit set, decoding goes on",
     .input = "82 7f 80 00 00 00 00 00 00 00 aa bb",
     .expect = "viol LENGTH_MSB_SET;hdr op=2 fin=1 rsv=0 len=9223372036854775808 mask=- "
               "hlen=10;data op=2 aa bb;",
     .violations_at = "10",
     .mid_frame = true},
    {.name = "control frame with a 64-bit length",
     .input = "8a 7f ff ff ff ff ff ff ff ff 01",
     .expect = "viol LENGTH_MSB_SET;viol CONTROL_TOO_LONG;"
               "hdr op=10 fin=1 rsv=0 len=18446744073709551615 mask=- hlen=10;",
     .violations_at = "10 10",
     .mid_frame = true},
    {.name = "continuation with no message: treated as binary",
     .input = "80 02 aa bb",
     .expect = "viol STRAY_CONTINUATION;hdr op=0 fin=1 rsv=0 len=2 mask=- hlen=2;"
               "data op=2 aa bb;end;",
     .violations_at = "1"},
    {.name = "unfinished stray continuation opens a binary message",
     .input = "00 01 aa 80 01 bb",
     .expect = "viol STRAY_CONTINUATION;hdr op=0 fin=0 rsv=0 len=1 mask=- hlen=2;"
               "data op=2 aa;end;hdr op=0 fin=1 rsv=0 len=1 mask=- hlen=2;data op=2 bb;end;",
     .violations_at = "1"},
    {.name = "new message while one is open",
     .input = "01 01 61 82 01 aa",
     .expect = "hdr op=1 fin=0 rsv=0 len=1 mask=- hlen=2;data op=1 61;end;"
               "viol MESSAGE_INTERRUPTED;hdr op=2 fin=1 rsv=0 len=1 mask=- hlen=2;"
               "data op=2 aa;end;",
     .violations_at = "4"},
    {.name = "several violations on one frame, each at its byte",
     .from_client = true,
     .input = "f9 7e 00 05 seq(5)",
     .expect = "viol RSV_WITHOUT_EXTENSION;viol UNMASKED_CLIENT_FRAME;"
               "viol NON_MINIMAL_LENGTH;hdr op=9 fin=1 rsv=7 len=5 mask=- hlen=4;"
               "ctl op=9 len=5 seq(5);end;",
     .violations_at = "1 2 4"},

    /* ---- streams that stop mid-frame ---- */
    {.name = "stream ends inside the extended length",
     .input = "82 7e 01",
     .expect = "",
     .mid_frame = true},
    {.name = "stream ends inside the mask key",
     .from_client = true,
     .input = "82 85 01 02",
     .expect = "",
     .mid_frame = true},
    {.name = "stream ends inside the payload",
     .from_client = true,
     .input = "82 8e [2299147f: 10 0c 00 04]",
     .expect = SEED_HDR "data op=2 10 0c 00 04;",
     .mid_frame = true},
    {.name = "stream ends inside a control payload: nothing reported yet",
     .input = "89 05 01 02",
     .expect = "hdr op=9 fin=1 rsv=0 len=5 mask=- hlen=2;",
     .mid_frame = true},
    {.name = "2^63-1 bytes declared (legal), then 1 MB of it",
     .from_client = true,
     .input = "82 ff 7f ff ff ff ff ff ff ff [5aa53cc3: seq(1048576)]",
     .expect = "hdr op=2 fin=1 rsv=0 len=9223372036854775807 mask=5aa53cc3 hlen=14;"
               "data op=2 sum(1048576);",
     .mid_frame = true},
    {.name = "nothing at all",
     .input = "",
     .expect = ""},
};

/* ------------------------------------------------------------------------ */
/* Driver                                                                      */

static size_t count_ends(const char *log)
{
    size_t n = 0;
    for (const char *p = log; (p = strstr(p, "end;")) != NULL; p += 4)
        n++;
    return n;
}

/* Feeds `in` in pushes cut at `cuts` (sorted offsets), then checks the log and the decoder's final state. */
static void feed(const ws_case *c, const bytes_buf *in, const size_t *cuts, size_t ncuts,
                 event_log *lg, const char *expect, const char *how, size_t at)
{
    ws_decoder d;
    ws_decoder_init(&d, c->from_client, c->extension_rsv1);
    log_reset(lg);

    size_t from = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : in->len;
        push_exact(&d, in->p + from, to - from, lg);
        from = to;
    }
    log_close_run(lg);

    if (strcmp(text_str(&lg->log), expect) != 0 || ws_decoder_mid_frame(&d) != c->mid_frame ||
        d.message_open != c->message_open || d.frames != count_ends(expect) ||
        lg->empty_data_calls != 0) {
        th_failed++;
        fprintf(stderr, "case \"%s\" fed %s (%zu):\n  got      \"%.400s\"\n  expected \"%.400s\"\n"
                        "  mid_frame %d (want %d), message_open %d (want %d), frames %llu, "
                        "empty data calls %u\n",
                c->name, how, at, text_str(&lg->log), expect, ws_decoder_mid_frame(&d),
                c->mid_frame, d.message_open, c->message_open, (unsigned long long)d.frames,
                lg->empty_data_calls);
    } else {
        th_passed++;
    }
    ws_decoder_free(&d);
}

static void run_case(const ws_case *c)
{
    bytes_buf in = build_input(c->input);
    text expect = {0};
    event_log lg = {0};

    build_expected(&expect, c->expect);

    feed(c, &in, NULL, 0, &lg, text_str(&expect), "whole", 0);

    size_t *cuts = malloc((in.len ? in.len : 1) * sizeof *cuts);
    if (!cuts)
        abort();
    for (size_t i = 0; i + 1 < in.len; i++)
        cuts[i] = i + 1;
    feed(c, &in, cuts, in.len ? in.len - 1 : 0, &lg, text_str(&expect), "byte by byte", 0);
    CHECK_EQ_STR(text_str(&lg.violations_at), c->violations_at ? c->violations_at : "");

    for (size_t cut = 0; cut <= in.len; cut++) {
        if (in.len > SPLIT_EVERY_MAX && cut > SPLIT_EDGE && cut < in.len - SPLIT_EDGE) {
            size_t step = in.len / SPLIT_SPREAD;
            if (cut % step != 0)
                continue;
        }
        feed(c, &in, &cut, 1, &lg, text_str(&expect), "split at", cut);
    }

    free(cuts);
    free(in.p);
    free(expect.s);
    log_free(&lg);
}

/* ------------------------------------------------------------------------ */
/* Cases outside the table                                                     */

/* The seed frame masked by hand, byte for byte as RFC 6455 §5.3 says:
 * transformed-octet-i = original-octet-i XOR masking-key-octet-(i MOD 4). */
static void test_seed_frame_masking(void)
{
    static const uint8_t connect[14] = {0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54,
                                        0x54, 0x04, 0x02, 0x00, 0x05, 0x00, 0x00};
    static const uint8_t key[4] = {0x22, 0x99, 0x14, 0x7f};
    uint8_t frame[2 + 4 + sizeof connect];

    frame[0] = 0x82;
    frame[1] = 0x80 | (uint8_t)sizeof connect;
    memcpy(frame + 2, key, sizeof key);
    for (size_t i = 0; i < sizeof connect; i++)
        frame[6 + i] = (uint8_t)(connect[i] ^ key[i % 4]);
    CHECK(frame[6] == 0x32 && frame[7] == 0x95 && frame[8] == 0x14 && frame[9] == 0x7b);

    for (size_t cut = 0; cut <= sizeof frame; cut++) {
        ws_decoder d;
        event_log lg = {0};
        ws_decoder_init(&d, true, false);
        push_exact(&d, frame, cut, &lg);
        push_exact(&d, frame + cut, sizeof frame - cut, &lg);
        log_close_run(&lg);
        CHECK_EQ_STR(text_str(&lg.log), SEED_HDR SEED_DATA "end;");
        CHECK_EQ_INT(d.frames, 1);
        CHECK(!ws_decoder_mid_frame(&d));
        log_free(&lg);
    }
}

/* A frame declaring 2^63-1 bytes (legal: the top bit is clear), then 1 MB
 * of it. The decoder holds no more than its fixed state. */
static void test_huge_frame(void)
{
    static const uint8_t header[14] = {0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff,
                                       0xff, 0xff, 0xff, 0x5a, 0xa5, 0x3c, 0xc3};
    const size_t body_len = (size_t)1 << 20;
    uint8_t *body = malloc(body_len);
    uint32_t want_fnv = FNV_OFFSET;
    if (!body)
        abort();
    for (size_t i = 0; i < body_len; i++) {
        uint8_t plain = (uint8_t)(i * 7u + 1u);
        want_fnv = fnv1a(want_fnv, &plain, 1);
        body[i] = (uint8_t)(plain ^ header[10 + i % 4]);
    }

    /* Pushed in uneven pieces, so the mask phase changes between pushes. */
    static const size_t pieces[] = {1, 13, 4095, 3, 65536, 255, 257};
    ws_decoder d;
    event_log lg = {0};
    ws_decoder_init(&d, true, false);
    push_exact(&d, header, sizeof header, &lg);
    for (size_t done = 0, i = 0; done < body_len; i++) {
        size_t n = pieces[i % (sizeof pieces / sizeof pieces[0])];
        if (n > body_len - done)
            n = body_len - done;
        push_exact(&d, body + done, n, &lg);
        done += n;
    }
    CHECK(lg.run_open);
    CHECK_EQ_INT(lg.run_opcode, MQTTKA_WS_BINARY);
    CHECK_EQ_INT(lg.run_len, body_len);
    CHECK_EQ_INT(lg.run_fnv, want_fnv);
    log_close_run(&lg);
    CHECK(strncmp(text_str(&lg.log),
                  "hdr op=2 fin=1 rsv=0 len=9223372036854775807 mask=5aa53cc3 hlen=14;", 67) ==
          0);
    CHECK(strstr(text_str(&lg.log), "viol") == NULL);
    CHECK(ws_decoder_mid_frame(&d));
    CHECK_EQ_INT(d.frames, 0);
    CHECK(d.payload_done == body_len);
    CHECK(d.cur.payload_len == INT64_MAX);

    free(body);
    log_free(&lg);
}

/* A control frame split across pushes is collected in a buffer that exists
 * only until the frame completes; one that arrives whole needs none. */
static void test_control_buffer_lifetime(void)
{
    bytes_buf in = build_input("88 85 [01020304: 03 e8 'bye'] 82 00");
    for (size_t cut = 0; cut <= in.len; cut++) {
        ws_decoder d;
        event_log lg = {0};
        ws_decoder_init(&d, true, false);
        push_exact(&d, in.p, cut, &lg);
        /* Inside the payload (after the 6 header bytes, before its end). */
        bool split_payload = cut > 6 && cut < 11;
        CHECK(split_payload == (d.control != NULL));
        push_exact(&d, in.p + cut, in.len - cut, &lg);
        CHECK(d.control == NULL);
        CHECK_EQ_INT(d.frames, 2);
        log_close_run(&lg);
        CHECK(strstr(text_str(&lg.log), "ctl op=8 len=5 03 e8 62 79 65;") != NULL);
        ws_decoder_free(&d);
        log_free(&lg);
    }
    free(in.p);
}

/* data_unread: the bytes a consumer says it will skip arrive as NULL and are
 * not unmasked; the ones after them are unmasked with the key at the right
 * phase, wherever the skips and the pushes end. The consumer here reads
 * the bytes at offsets that are multiples of 7 and skips the 6 after each,
 * over a masked 1000-byte frame pushed in two pieces cut at every offset. */
typedef struct skip_reader {
    uint64_t at;          /* payload offset of the next byte */
    size_t read, skipped;
    bool wrong;           /* a read byte differed from the plain text */
} skip_reader;

static uint8_t skip_plain(uint64_t i) { return (uint8_t)(i * 13u + 5u); }

static size_t skip_unread(void *ctx)
{
    const skip_reader *r = ctx;
    uint64_t in_group = r->at % 7;
    return in_group == 0 ? 0 : (size_t)(7 - in_group);
}

static void skip_data(void *ctx, uint8_t op, const ws_frame_header *h, const uint8_t *bytes,
                      size_t len)
{
    skip_reader *r = ctx;
    (void)op;
    (void)h;
    if (!bytes) {
        r->skipped += len;
        r->at += len;
        return;
    }
    for (size_t i = 0; i < len; i++, r->at++) {
        if (r->at % 7 != 0)
            continue;
        r->read++;
        if (bytes[i] != skip_plain(r->at))
            r->wrong = true;
    }
}

static void test_data_unread(void)
{
    enum { LEN = 1000 };
    static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    uint8_t frame[8 + LEN] = {0x82, 0x80 | 126, LEN >> 8, LEN & 0xff, 0x37, 0xfa, 0x21, 0x3d};
    for (size_t i = 0; i < LEN; i++)
        frame[8 + i] = (uint8_t)(skip_plain(i) ^ key[i % 4]);
    static const ws_decoder_callbacks cb = {.data = skip_data, .data_unread = skip_unread};
    for (size_t cut = 0; cut <= sizeof frame; cut++) {
        ws_decoder d;
        skip_reader r = {0, 0, 0, false};
        ws_decoder_init(&d, true, false);
        ws_decoder_push(&d, frame, cut, &cb, &r);
        ws_decoder_push(&d, frame + cut, sizeof frame - cut, &cb, &r);
        CHECK(!r.wrong);
        CHECK_EQ_INT(r.read, (LEN + 6) / 7);
        CHECK(r.skipped > 0);
        CHECK_EQ_INT(r.at, LEN);
        CHECK_EQ_INT(d.frames, 1);
        ws_decoder_free(&d);
    }
}

/* Every callback may be NULL, and so may the callback struct. */
static void test_null_callbacks(void)
{
    static const ws_decoder_callbacks none = {0};
    bytes_buf in = build_input("01 83 [0a0b0c0d: 'abc'] 89 82 [01020304: 01 02] "
                               "80 82 [ffffffff: 'de'] 88 82 [00000000: 03 e8] 82 00");
    ws_decoder d;

    ws_decoder_init(&d, true, false);
    ws_decoder_push(&d, in.p, in.len, &none, NULL);
    CHECK_EQ_INT(d.frames, 5);
    CHECK(!ws_decoder_mid_frame(&d));

    ws_decoder_init(&d, false, false);
    ws_decoder_push(&d, in.p, in.len, NULL, NULL);
    CHECK_EQ_INT(d.frames, 5);

    ws_decoder_push(&d, NULL, 0, NULL, NULL);
    CHECK_EQ_INT(d.frames, 5);
    free(in.p);
}

/* The violation callback sees the fields decided so far. */
static void record_first_violation_header(void *ctx, ws_violation v, const ws_frame_header *h)
{
    ws_frame_header *seen = ctx;
    (void)v;
    *seen = *h;
}

static void test_violation_header_fields(void)
{
    static const uint8_t frame[] = {0x82, 0x7e, 0x00, 0x05, 1, 2, 3, 4, 5};
    ws_decoder_callbacks cb = {.violation = record_first_violation_header};
    ws_frame_header seen;
    ws_decoder d;

    memset(&seen, 0xee, sizeof seen);
    ws_decoder_init(&d, false, false);
    ws_decoder_push(&d, frame, sizeof frame, &cb, &seen);
    CHECK(seen.fin);
    CHECK_EQ_INT(seen.opcode, MQTTKA_WS_BINARY);
    CHECK_EQ_INT(seen.payload_len, 5);
    CHECK_EQ_INT(seen.header_len, 4);
    CHECK(!seen.masked);
}

static void test_violation_names(void)
{
    for (int i = 0; i < WS_V_COUNT; i++) {
        const char *name = ws_violation_name((ws_violation)i);
        CHECK(name != NULL && name[0] != '\0');
        CHECK(strcmp(name, ws_violation_name(WS_V_COUNT)) != 0);
        for (int j = 0; j < i; j++)
            CHECK(strcmp(name, ws_violation_name((ws_violation)j)) != 0);
    }
    CHECK_EQ_STR(ws_violation_name(WS_V_UNMASKED_CLIENT_FRAME), "unmasked client frame");
}

int main(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i]);
    test_seed_frame_masking();
    test_huge_frame();
    test_null_callbacks();
    test_control_buffer_lifetime();
    test_data_unread();
    test_violation_header_fields();
    test_violation_names();
    return th_report();
}

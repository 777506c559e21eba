/*
 * input_stream.c - plain, gzip, zstd and lz4 capture files as one stdio
 * stream of decompressed bytes.
 *
 *   first bytes               format                     library
 *   1f 8b                     gzip member (RFC 1952)     zlib, inflate
 *   28 b5 2f fd               zstd frame (RFC 8878)      libzstd, ZSTD_decompressStream
 *   04 22 4d 18               lz4 frame                  liblz4, LZ4F_decompress
 *
 * Concatenated members or frames (`cat a.gz b.gz`, zstd's and lz4's
 * multi-frame files) are read one after the other, as gzip -d does.
 *
 * The decoders share one loop shape: take input from a fixed chunk of the
 * file (refilled with fread), decode into the caller's buffer, and tell a
 * clean end (between frames at the end of the file) from a cut (the file
 * ends inside a frame, nothing more can be decoded). A decoder may hold
 * decoded bytes it has not handed out yet, so at the end of the file it is
 * called again with no input until it makes no progress.
 */
#define _GNU_SOURCE /* fopencookie */
#include "input_stream.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#ifdef MQTTKA_HAVE_ZLIB
#include <zlib.h>
#endif
#ifdef MQTTKA_HAVE_ZSTD
#include <zstd.h>
#endif
#ifdef MQTTKA_HAVE_LZ4
#include <lz4.h>
#include <lz4frame.h>
#endif

/* Compressed bytes read from the file at a time. */
#define INPUT_CHUNK (64 * 1024)
/* The stdio buffer of the stream libpcap reads (as for a plain file:
 * capture_reader.c says why 64 KiB). */
#define INPUT_STDIO_BUFFER (64 * 1024)
/* Largest zstd window accepted, as a power of two: 128 MiB, libzstd's own
 * default limit (what `zstd -d` accepts without --memory), so that a frame
 * header cannot make the decoder allocate more. Every level of the zstd
 * command line up to --ultra -22 and --long stays within it. */
#define ZSTD_WINDOW_LOG_MAX 27

struct input_cookie {
    FILE *raw;              /* the file as opened (not closed when stdin) */
    bool raw_is_stdin;
    bool raw_eof;
    input_compression kind;
    uint8_t *in;            /* INPUT_CHUNK bytes read from raw, not yet decoded */
    size_t in_pos, in_len;
    uint8_t head[4];        /* decoded bytes looked at, returned first */
    size_t head_pos, head_len;
    bool frame_open;        /* inside a gzip member or a zstd / lz4 frame */
    input_failure failure;
    char message[160];
#ifdef MQTTKA_HAVE_ZLIB
    z_stream z;
    bool z_ready;
#endif
#ifdef MQTTKA_HAVE_ZSTD
    ZSTD_DCtx *zstd;
#endif
#ifdef MQTTKA_HAVE_LZ4
    LZ4F_dctx *lz4;
#endif
};

const char *input_compression_name(input_compression c)
{
    switch (c) {
    case INPUT_GZIP: return "gzip";
    case INPUT_ZSTD: return "zstd";
    case INPUT_LZ4: return "lz4";
    case INPUT_PLAIN: break;
    }
    return NULL;
}

void input_describe_libraries(char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
#define INPUT_APPEND(...)                                                                 \
    do {                                                                                  \
        int n_ = snprintf(out + used, size - used, __VA_ARGS__);                          \
        if (n_ > 0 && (size_t)n_ < size - used)                                           \
            used += (size_t)n_;                                                           \
    } while (0)
#ifdef MQTTKA_HAVE_ZLIB
    INPUT_APPEND("%szlib %s", used ? ", " : "", zlibVersion());
#endif
#ifdef MQTTKA_HAVE_ZSTD
    INPUT_APPEND("%szstd %s", used ? ", " : "", ZSTD_versionString());
#endif
#ifdef MQTTKA_HAVE_LZ4
    INPUT_APPEND("%slz4 %s", used ? ", " : "", LZ4_versionString());
#endif
#undef INPUT_APPEND
    if (!used)
        snprintf(out, size, "none");
}

/* The first four bytes of every format libpcap reads: pcap (micro- and
 * nanosecond, both byte orders, Kuznetzov's variant) and the pcapng Section
 * Header Block type. */
static bool is_capture_magic(const uint8_t m[4])
{
    static const uint8_t magics[][4] = {
        {0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4}, /* pcap, microseconds */
        {0x4d, 0x3c, 0xb2, 0xa1}, {0xa1, 0xb2, 0x3c, 0x4d}, /* pcap, nanoseconds */
        {0x34, 0xcd, 0xb2, 0xa1}, {0xa1, 0xb2, 0xcd, 0x34}, /* pcap, Kuznetzov */
        {0x0a, 0x0d, 0x0d, 0x0a},                           /* pcapng SHB */
    };
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++)
        if (memcmp(m, magics[i], 4) == 0)
            return true;
    return false;
}

/* What the first bytes say; `unsupported` names a compression that is told
 * but not read (then INPUT_PLAIN is returned). */
static input_compression detect(const uint8_t *m, size_t n, const char **unsupported)
{
    static const uint8_t zstd_magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
    static const uint8_t lz4_magic[4] = {0x04, 0x22, 0x4d, 0x18};
    static const uint8_t lz4_legacy[4] = {0x02, 0x21, 0x4c, 0x18};
    static const uint8_t xz_magic[4] = {0xfd, 0x37, 0x7a, 0x58};
    *unsupported = NULL;
    if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
        return INPUT_GZIP;
    if (n < 4)
        return INPUT_PLAIN;
    if (memcmp(m, zstd_magic, 4) == 0)
        return INPUT_ZSTD;
    if (memcmp(m, lz4_magic, 4) == 0)
        return INPUT_LZ4;
    if (memcmp(m, lz4_legacy, 4) == 0)
        *unsupported = "lz4 legacy format (lz4 -l)";
    else if (memcmp(m, xz_magic, 4) == 0)
        *unsupported = "xz";
    else if (m[0] == 'B' && m[1] == 'Z' && m[2] == 'h')
        *unsupported = "bzip2";
    return INPUT_PLAIN;
}

static bool compiled_in(input_compression c)
{
    switch (c) {
#ifdef MQTTKA_HAVE_ZLIB
    case INPUT_GZIP: return true;
#endif
#ifdef MQTTKA_HAVE_ZSTD
    case INPUT_ZSTD: return true;
#endif
#ifdef MQTTKA_HAVE_LZ4
    case INPUT_LZ4: return true;
#endif
    default: return c == INPUT_PLAIN;
    }
}

static const char *library_of(input_compression c)
{
    switch (c) {
    case INPUT_GZIP: return "zlib (zlib1g-dev)";
    case INPUT_ZSTD: return "libzstd (libzstd-dev)";
    case INPUT_LZ4: return "liblz4 (liblz4-dev)";
    case INPUT_PLAIN: break;
    }
    return "?";
}

__attribute__((format(printf, 3, 4))) static void fail(input_cookie *c, input_failure kind,
                                                        const char *fmt, ...)
{
    if (c->failure)
        return;
    c->failure = kind;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->message, sizeof c->message, fmt, ap);
    va_end(ap);
}

/* More compressed input, when the chunk is used up. False at the end of
 * the file (or on a read error, then c->failure is set). */
static bool refill(input_cookie *c)
{
    if (c->in_pos < c->in_len)
        return true;
    if (c->raw_eof || c->failure)
        return false;
    size_t n = fread(c->in, 1, INPUT_CHUNK, c->raw);
    if (n == 0) {
        if (ferror(c->raw))
            fail(c, INPUT_IO_ERROR, "read error: %s", strerror(errno ? errno : EIO));
        c->raw_eof = true;
        return false;
    }
    c->in_pos = 0;
    c->in_len = n;
    return true;
}

#ifdef MQTTKA_HAVE_ZLIB
static size_t gzip_decode(input_cookie *c, uint8_t *out, size_t size)
{
    size_t produced = 0;
    while (produced < size && !c->failure) {
        bool have = refill(c);
        if (c->failure)
            break;
        if (!c->frame_open) {
            /* Between members: the end of the file, or another member. */
            if (!have)
                break;
            if (c->in[c->in_pos] != 0x1f) {
                fail(c, INPUT_DAMAGED, "gzip-compressed data: bytes that are not gzip after a "
                                       "member");
                break;
            }
            if (inflateReset(&c->z) != Z_OK) {
                fail(c, INPUT_DAMAGED, "gzip-compressed data: cannot restart the decoder");
                break;
            }
            c->frame_open = true;
        }
        size_t room = size - produced;
        size_t avail = c->in_len - c->in_pos;
        c->z.next_in = c->in + c->in_pos;
        c->z.avail_in = (uInt)avail;
        c->z.next_out = out + produced;
        c->z.avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
        uInt out_before = c->z.avail_out;
        int rc = inflate(&c->z, Z_NO_FLUSH);
        c->in_pos += avail - c->z.avail_in;
        size_t got = out_before - c->z.avail_out;
        produced += got;
        bool progress = got || avail != c->z.avail_in;
        if (rc == Z_STREAM_END) {
            c->frame_open = false;
        } else if ((rc == Z_BUF_ERROR || rc == Z_OK) && !progress) {
            /* No progress: it needs input the file does not have (or, with
             * input and room, it would never make any). */
            if (!have)
                fail(c, INPUT_CUT_SHORT, "gzip-compressed data ends inside a member");
            else
                fail(c, INPUT_DAMAGED, "gzip-compressed data is damaged (no progress)");
            break;
        } else if (rc != Z_OK) {
            fail(c, INPUT_DAMAGED, "gzip-compressed data is damaged (%s)",
                 c->z.msg ? c->z.msg : rc == Z_MEM_ERROR ? "out of memory" : "bad data");
            break;
        }
    }
    return produced;
}
#endif

#ifdef MQTTKA_HAVE_ZSTD
static size_t zstd_decode(input_cookie *c, uint8_t *out, size_t size)
{
    ZSTD_outBuffer ob = {out, size, 0};
    while (ob.pos < size && !c->failure) {
        bool have = refill(c);
        if (c->failure || (!have && !c->frame_open))
            break;
        ZSTD_inBuffer ib = {c->in, c->in_len, c->in_pos};
        size_t before = ob.pos, in_before = ib.pos;
        size_t rc = ZSTD_decompressStream(c->zstd, &ob, &ib);
        c->in_pos = ib.pos;
        if (ZSTD_isError(rc)) {
            fail(c, INPUT_DAMAGED, "zstd-compressed data is damaged (%s)",
                 ZSTD_getErrorName(rc));
            break;
        }
        c->frame_open = rc != 0;
        if (ob.pos == before && ib.pos == in_before && c->frame_open) {
            if (!have)
                fail(c, INPUT_CUT_SHORT, "zstd-compressed data ends inside a frame");
            else
                fail(c, INPUT_DAMAGED, "zstd-compressed data is damaged (no progress)");
            break;
        }
    }
    return ob.pos;
}
#endif

#ifdef MQTTKA_HAVE_LZ4
static size_t lz4_decode(input_cookie *c, uint8_t *out, size_t size)
{
    size_t produced = 0;
    while (produced < size && !c->failure) {
        bool have = refill(c);
        if (c->failure || (!have && !c->frame_open))
            break;
        size_t out_size = size - produced;
        size_t in_size = c->in_len - c->in_pos;
        size_t rc = LZ4F_decompress(c->lz4, out + produced, &out_size, c->in + c->in_pos,
                                    &in_size, NULL);
        c->in_pos += in_size;
        produced += out_size;
        if (LZ4F_isError(rc)) {
            fail(c, INPUT_DAMAGED, "lz4-compressed data is damaged (%s)", LZ4F_getErrorName(rc));
            break;
        }
        c->frame_open = rc != 0;
        if (out_size == 0 && in_size == 0 && c->frame_open) {
            if (!have)
                fail(c, INPUT_CUT_SHORT, "lz4-compressed data ends inside a frame");
            else
                fail(c, INPUT_DAMAGED, "lz4-compressed data is damaged (no progress)");
            break;
        }
    }
    return produced;
}
#endif

/* Decompressed bytes into out[0 .. size): fewer at the end or on a failure. */
static size_t decode(input_cookie *c, uint8_t *out, size_t size)
{
    if (c->failure)
        return 0;
    switch (c->kind) {
#ifdef MQTTKA_HAVE_ZLIB
    case INPUT_GZIP: return gzip_decode(c, out, size);
#endif
#ifdef MQTTKA_HAVE_ZSTD
    case INPUT_ZSTD: return zstd_decode(c, out, size);
#endif
#ifdef MQTTKA_HAVE_LZ4
    case INPUT_LZ4: return lz4_decode(c, out, size);
#endif
    default: break;
    }
    /* A plain pipe: what was read to tell its format, then the rest. */
    size_t n = 0;
    if (c->in_pos < c->in_len) {
        n = c->in_len - c->in_pos < size ? c->in_len - c->in_pos : size;
        memcpy(out, c->in + c->in_pos, n);
        c->in_pos += n;
    }
    if (n < size && !c->raw_eof) {
        size_t got = fread(out + n, 1, size - n, c->raw);
        if (got < size - n) {
            if (ferror(c->raw))
                fail(c, INPUT_IO_ERROR, "read error: %s", strerror(errno ? errno : EIO));
            c->raw_eof = true;
        }
        n += got;
    }
    return n;
}

static ssize_t cookie_read(void *cookie, char *buf, size_t size)
{
    input_cookie *c = cookie;
    size_t n = 0;
    while (n < size && c->head_pos < c->head_len)
        buf[n++] = (char)c->head[c->head_pos++];
    if (n < size)
        n += decode(c, (uint8_t *)buf + n, size - n);
    if (n == 0 && c->failure) {
        /* After every byte that could be decoded: the reader sees an error,
         * not an end, and input_stream_error() says which. */
        errno = EIO;
        return -1;
    }
    return (ssize_t)n;
}

static void cookie_free(input_cookie *c)
{
    if (!c)
        return;
#ifdef MQTTKA_HAVE_ZLIB
    if (c->z_ready)
        inflateEnd(&c->z);
#endif
#ifdef MQTTKA_HAVE_ZSTD
    ZSTD_freeDCtx(c->zstd);
#endif
#ifdef MQTTKA_HAVE_LZ4
    if (c->lz4)
        LZ4F_freeDecompressionContext(c->lz4);
#endif
    if (c->raw && !c->raw_is_stdin)
        fclose(c->raw);
    free(c->in);
    free(c);
}

static int cookie_close(void *cookie)
{
    cookie_free(cookie);
    return 0;
}

/* Starts the decoder of c->kind. */
static bool decoder_start(input_cookie *c)
{
    switch (c->kind) {
#ifdef MQTTKA_HAVE_ZLIB
    case INPUT_GZIP:
        memset(&c->z, 0, sizeof c->z);
        /* 16 + 15: a gzip wrapper, the largest window (what gzip writes). */
        if (inflateInit2(&c->z, 16 + MAX_WBITS) != Z_OK)
            return false;
        c->z_ready = true;
        return true;
#endif
#ifdef MQTTKA_HAVE_ZSTD
    case INPUT_ZSTD:
        c->zstd = ZSTD_createDCtx();
        return c->zstd && !ZSTD_isError(ZSTD_DCtx_setParameter(c->zstd, ZSTD_d_windowLogMax,
                                                               ZSTD_WINDOW_LOG_MAX));
#endif
#ifdef MQTTKA_HAVE_LZ4
    case INPUT_LZ4: return !LZ4F_isError(LZ4F_createDecompressionContext(&c->lz4, LZ4F_VERSION));
#endif
    default: return c->kind == INPUT_PLAIN;
    }
}

/* Reads up to 4 bytes of the raw file (a pipe may give them one by one). */
static size_t read_magic(FILE *raw, uint8_t magic[4])
{
    size_t got = 0;
    while (got < 4) {
        size_t n = fread(magic + got, 1, 4 - got, raw);
        if (n == 0)
            break;
        got += n;
    }
    return got;
}

/* The stream of decoded bytes over `c` (owned by it from here). */
static bool open_cookie(input_cookie *c, input_file *in, char *err, size_t err_size)
{
    static const cookie_io_functions_t io = {
        .read = cookie_read, .write = NULL, .seek = NULL, .close = cookie_close};
    in->buffer = malloc(INPUT_STDIO_BUFFER);
    in->fp = fopencookie(c, "rb", io);
    if (!in->fp) {
        snprintf(err, err_size, "%s", strerror(errno ? errno : ENOMEM));
        free(in->buffer);
        in->buffer = NULL;
        cookie_free(c);
        return false;
    }
    if (in->buffer && setvbuf(in->fp, in->buffer, _IOFBF, INPUT_STDIO_BUFFER) != 0) {
        free(in->buffer);
        in->buffer = NULL;
    }
    in->cookie = c;
    return true;
}

bool input_open(const char *path, input_file *in, char *err, size_t err_size)
{
    bool from_stdin = strcmp(path, "-") == 0;
    FILE *raw = from_stdin ? stdin : fopen(path, "rb");
    if (!raw) {
        snprintf(err, err_size, "%s", strerror(errno));
        return false;
    }
    struct stat st;
    if (fstat(fileno(raw), &st) != 0 || S_ISDIR(st.st_mode)) {
        snprintf(err, err_size, "%s", S_ISDIR(st.st_mode) ? "is a directory" : strerror(errno));
        if (!from_stdin)
            fclose(raw);
        return false;
    }
    const char *empty = S_ISREG(st.st_mode) ? "empty file" : "empty input";
    uint8_t magic[4];
    size_t got;
    bool regular = S_ISREG(st.st_mode) && !from_stdin;
    if (regular) {
        /* Looked at without moving: a plain file is then read from its
         * first byte through stdio, as it always was. */
        ssize_t n = pread(fileno(raw), magic, sizeof magic, 0);
        if (n < 0) {
            snprintf(err, err_size, "%s", strerror(errno));
            fclose(raw);
            return false;
        }
        got = (size_t)n;
    } else {
        /* A pipe (or standard input): read unbuffered, the cookie buffers. */
        setvbuf(raw, NULL, _IONBF, 0);
        got = read_magic(raw, magic);
        if (ferror(raw)) {
            snprintf(err, err_size, "%s", strerror(errno ? errno : EIO));
            if (!from_stdin)
                fclose(raw);
            return false;
        }
    }
    const char *unsupported = NULL;
    input_compression kind = got ? detect(magic, got, &unsupported) : INPUT_PLAIN;
    const char *why = NULL;
    char why_buf[160];
    if (got == 0) {
        snprintf(why_buf, sizeof why_buf, "%s, not a pcap or pcapng capture", empty);
        why = why_buf;
    } else if (unsupported) {
        snprintf(why_buf, sizeof why_buf,
                 "%s-compressed: not read by mqttka (decompress it first)", unsupported);
        why = why_buf;
    } else if (!compiled_in(kind)) {
        snprintf(why_buf, sizeof why_buf,
                 "%s-compressed, but this mqttka was built without %s (decompress it first)",
                 input_compression_name(kind), library_of(kind));
        why = why_buf;
    } else if (kind == INPUT_PLAIN && (got < 4 || !is_capture_magic(magic))) {
        why = "not a pcap or pcapng capture";
    }
    if (why) {
        snprintf(err, err_size, "%s", why);
        if (!from_stdin)
            fclose(raw);
        return false;
    }

    memset(in, 0, sizeof *in);
    in->compression = kind;
    in->regular = regular;
    if (kind == INPUT_PLAIN && regular) {
        /* libpcap reads a record at a time through stdio, whose buffer is
         * the file system's block (4 KiB): a read() per 4 KiB costs more in
         * system calls than the copying. Set before any read (glibc takes a
         * size only with a buffer); without the memory, stdio's own. */
        in->fp = raw;
        in->buffer = malloc(INPUT_STDIO_BUFFER);
        if (in->buffer && setvbuf(raw, in->buffer, _IOFBF, INPUT_STDIO_BUFFER) != 0) {
            free(in->buffer);
            in->buffer = NULL;
        }
        memcpy(in->magic, magic, 4);
        return true;
    }

    input_cookie *c = calloc(1, sizeof *c);
    uint8_t *chunk = c ? malloc(INPUT_CHUNK) : NULL;
    if (!chunk) {
        snprintf(err, err_size, "out of memory");
        free(c);
        if (!from_stdin)
            fclose(raw);
        return false;
    }
    c->raw = raw;
    c->raw_is_stdin = from_stdin;
    c->kind = kind;
    c->in = chunk;
    if (regular)
        setvbuf(raw, NULL, _IONBF, 0); /* the chunk is the buffer */
    else {
        /* The bytes already read from the pipe are the first input. */
        memcpy(c->in, magic, got);
        c->in_len = got;
    }
    if (!decoder_start(c)) {
        snprintf(err, err_size, "cannot start the %s decoder (out of memory)",
                 input_compression_name(kind));
        cookie_free(c);
        return false;
    }
    if (kind != INPUT_PLAIN) {
        /* The decompressed content must be a capture too. */
        c->head_len = decode(c, c->head, sizeof c->head);
        if (c->head_len < 4 || !is_capture_magic(c->head)) {
            if (c->failure)
                snprintf(err, err_size, "%s", c->message);
            else if (c->head_len == 0)
                snprintf(err, err_size, "%s-compressed, but empty inside: not a pcap or "
                                        "pcapng capture",
                         input_compression_name(kind));
            else
                snprintf(err, err_size, "%s-compressed, but not a pcap or pcapng capture inside",
                         input_compression_name(kind));
            cookie_free(c);
            return false;
        }
        memcpy(in->magic, c->head, 4);
    } else {
        memcpy(in->magic, magic, 4);
    }
    return open_cookie(c, in, err, err_size);
}

input_failure input_stream_error(const input_file *in, char *err, size_t err_size)
{
    const input_cookie *c = in->cookie;
    if (!c || !c->failure)
        return INPUT_OK;
    snprintf(err, err_size, "%s", c->message);
    return c->failure;
}

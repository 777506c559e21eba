/*
 * http_upgrade.c - the WebSocket opening handshake, RFC 6455 §4.1-4.2, read
 * with the HTTP/1.1 message syntax of RFC 7230 §3:
 *
 *   request-line = method SP request-target SP HTTP-version CRLF
 *   status-line  = HTTP-version SP status-code [SP reason-phrase] CRLF
 *   header-field = field-name ":" OWS field-value OWS CRLF
 *   obs-fold     = CRLF 1*( SP / HTAB )     (§3.2.4: read as one SP)
 *   CRLF                                    (the empty line ends the block)
 *
 *   GET /mqtt HTTP/1.1
 *   Upgrade: websocket
 *   Connection: Upgrade
 *   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
 *   Sec-WebSocket-Protocol: mqtt
 *
 *   HTTP/1.1 101 Switching Protocols
 *   Upgrade: websocket
 *   Connection: Upgrade
 *   Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
 *   Sec-WebSocket-Protocol: mqtt
 *
 * Lines may end in a bare LF as well (§3.5 lets a recipient accept that).
 * Nothing is allocated: values are copied, trimmed and truncated, into the
 * fixed fields of the caller's struct, and every read stays below `len`.
 */
#include "http_upgrade.h"

#include <string.h>

#include "byte_cursor.h"
#include "sha1.h"

/* RFC 6455 §1.3: appended to the key before hashing. */
static const char http_ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* base64 of a SHA-1 digest: 4 characters per 3 bytes, rounded up. */
#define HTTP_ACCEPT_LEN (4 * ((SHA1_DIGEST_LEN + 2) / 3))

/* "HTTP/1.x": the only versions that have an Upgrade handshake. */
#define HTTP_VERSION_LEN 8
/* "HTTP/1.1 101": version, SP, three digits. */
#define HTTP_STATUS_LINE_MIN (HTTP_VERSION_LEN + 1 + 3)

typedef struct http_span {
    const uint8_t *p;
    size_t len;
} http_span;

/* ------------------------------------------------------------------------ */
/* Characters                                                                 */

static bool http_is_ows(uint8_t c)
{
    return c == ' ' || c == '\t';
}

/* OWS, plus the CR and LF that an obs-fold leaves inside a raw value. */
static bool http_is_ows_or_fold(uint8_t c)
{
    return http_is_ows(c) || c == '\r' || c == '\n';
}

/* RFC 7230 §3.2.6 tchar. */
static bool http_is_tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        return true;
    default:
        return false;
    }
}

/* Control characters have no place in a value (HTAB excepted): a NUL would
 * also cut the C string the value is copied into. */
static bool http_is_value_char(uint8_t c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool http_is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static uint8_t http_lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c - 'A' + 'a') : c;
}

/* Inline, so that strlen of the literal is a constant and a name of another
 * length costs one comparison. */
static inline bool http_span_equals_ci(http_span s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (http_lower(s.p[i]) != http_lower((uint8_t)lit[i]))
            return false;
    return true;
}

/* Whether no byte of the 8 in `w` can be outside http_is_value_char: none
 * below 0x20 (HTAB included, to be looked at alone), none 0x7f. Clear high
 * bits only, as every byte of an ASCII header is. */
static bool http_word_all_values(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t below_space = w - ones * 0x20;       /* borrows into the high bit */
    uint64_t del = (w ^ (ones * 0x7f)) - ones;    /* 0x7f becomes 0xff */
    uint64_t del_mask = del & ~(w ^ (ones * 0x7f));
    return ((below_space | del_mask | w) & highs) == 0;
}

/* http_span_all(s, http_is_value_char), eight bytes at a time where they
 * are plain ASCII: every header line of a handshake is checked. */
static bool http_span_all_values(http_span s)
{
    size_t i = 0;
    for (; s.len - i >= 8; i += 8) {
        uint64_t w;
        memcpy(&w, s.p + i, sizeof w);
        if (http_word_all_values(w))
            continue;
        for (size_t j = i; j < i + 8; j++)
            if (!http_is_value_char(s.p[j]))
                return false;
    }
    for (; i < s.len; i++)
        if (!http_is_value_char(s.p[i]))
            return false;
    return true;
}

static inline bool http_span_all(http_span s, bool (*ok)(uint8_t))
{
    for (size_t i = 0; i < s.len; i++)
        if (!ok(s.p[i]))
            return false;
    return true;
}

static inline http_span http_span_trim(http_span s, bool (*strip)(uint8_t))
{
    while (s.len > 0 && strip(s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len > 0 && strip(s.p[s.len - 1]))
        s.len--;
    return s;
}

/* ------------------------------------------------------------------------ */
/* Token lists (RFC 7230 §7: 1#element, empty elements allowed)               */

static bool http_span_token_list_contains(http_span list, const char *token)
{
    if (token[0] == '\0')
        return false;
    size_t start = 0;
    for (size_t i = 0;; i++) {
        if (i < list.len && list.p[i] != ',')
            continue;
        http_span element = {list.p + start, i - start};
        if (http_span_equals_ci(http_span_trim(element, http_is_ows_or_fold), token))
            return true;
        if (i == list.len)
            return false;
        start = i + 1;
    }
}

bool http_token_list_contains(const char *list, const char *token)
{
    if (!list || !token)
        return false;
    http_span s = {(const uint8_t *)list, strlen(list)};
    return http_span_token_list_contains(s, token);
}

/* ------------------------------------------------------------------------ */
/* Copying values into fixed fields                                           */

/* Appends up to what fits in dst[cap] (cap >= 1), keeping the NUL; *used is
 * strlen(dst) before and after. */
static void http_append(char *dst, size_t cap, size_t *used, const uint8_t *p, size_t n)
{
    size_t room = cap - 1 - *used;
    if (n > room)
        n = room;
    memcpy(dst + *used, p, n);
    *used += n;
    dst[*used] = '\0';
}

/* A raw value may span folded lines: each line's part is trimmed, and the
 * non-empty parts are joined with one SP, as §3.2.4 allows. */
static void http_append_value(char *dst, size_t cap, size_t *used, http_span raw)
{
    bool first = true;
    size_t start = 0;
    for (size_t i = 0;; i++) {
        if (i < raw.len && raw.p[i] != '\n')
            continue;
        http_span part = http_span_trim((http_span){raw.p + start, i - start}, http_is_ows_or_fold);
        if (part.len > 0) {
            if (!first)
                http_append(dst, cap, used, (const uint8_t *)" ", 1);
            http_append(dst, cap, used, part.p, part.len);
            first = false;
        }
        if (i == raw.len)
            return;
        start = i + 1;
    }
}

static bool http_value_is_blank(http_span raw)
{
    return http_span_trim(raw, http_is_ows_or_fold).len == 0;
}

/* Single-valued headers (key, accept): the first non-blank one counts. */
static void http_field_set_once(char *dst, size_t cap, http_span raw)
{
    size_t used = 0;
    if (dst[0] != '\0')
        return;
    http_append_value(dst, cap, &used, raw);
}

/* List-valued headers repeated on several lines mean the same as one line
 * joined with commas (RFC 7230 §3.2.2). */
static void http_field_join(char *dst, size_t cap, http_span raw)
{
    size_t used = strlen(dst);
    if (http_value_is_blank(raw))
        return;
    if (used > 0)
        http_append(dst, cap, &used, (const uint8_t *)", ", 2);
    http_append_value(dst, cap, &used, raw);
}

/* ------------------------------------------------------------------------ */
/* Lines                                                                       */

/* Finds the empty line that ends the header block; *end is the offset just
 * past it. Only LF is searched for, so CRLF and bare LF both end lines. */
static bool http_find_block_end(const uint8_t *buf, size_t len, size_t *end)
{
    size_t line_start = 0;
    for (;;) {
        const uint8_t *lf = memchr(buf + line_start, '\n', len - line_start);
        if (!lf)
            return false;
        size_t i = (size_t)(lf - buf);
        size_t line_len = i - line_start;
        if (line_len == 0 || (line_len == 1 && buf[line_start] == '\r')) {
            *end = i + 1;
            return true;
        }
        line_start = i + 1;
    }
}

/* Takes the next line from a block known to end in LF; the line excludes
 * its LF and a CR just before it. A CR anywhere else stays in the line, where
 * the character checks reject it. */
static bool http_next_line(byte_cursor *c, http_span *line)
{
    size_t left = byte_cursor_left(c);
    const uint8_t *start = c->data + c->pos;
    const uint8_t *lf = left ? memchr(start, '\n', left) : NULL;
    const uint8_t *taken = NULL;

    if (!lf)
        return false;
    size_t len = (size_t)(lf - start);
    (void)byte_cursor_bytes(c, len + 1, &taken);
    if (len > 0 && start[len - 1] == '\r')
        len--;
    line->p = start;
    line->len = len;
    return true;
}

static bool http_is_version(http_span s)
{
    return s.len == HTTP_VERSION_LEN && memcmp(s.p, "HTTP/1.", 7) == 0 && http_is_digit(s.p[7]);
}

/* ------------------------------------------------------------------------ */
/* Header fields                                                               */

typedef void (*http_header_fn)(void *out, http_span name, http_span raw_value);

/* Reads header lines up to the empty one, handing each field (with its
 * folded continuation lines) to `on_header`. */
static http_parse_result http_parse_fields(byte_cursor *lines, http_header_fn on_header, void *out)
{
    http_span name = {NULL, 0};
    http_span value = {NULL, 0};
    bool pending = false;
    http_span line;

    while (http_next_line(lines, &line)) {
        if (line.len == 0) {
            if (pending)
                on_header(out, name, value);
            return HTTP_PARSE_OK;
        }
        if (!http_span_all_values(line))
            return HTTP_PARSE_MALFORMED;

        if (http_is_ows(line.p[0])) {
            /* obs-fold: this line continues the previous field's value. */
            if (!pending)
                return HTTP_PARSE_MALFORMED;
            value.len = (size_t)(line.p + line.len - value.p);
            continue;
        }

        if (pending)
            on_header(out, name, value);

        const uint8_t *colon = memchr(line.p, ':', line.len);
        if (!colon)
            return HTTP_PARSE_MALFORMED;
        name.p = line.p;
        name.len = (size_t)(colon - line.p);
        /* §3.2.4: no whitespace between the name and the colon. */
        if (name.len == 0 || !http_span_all(name, http_is_tchar))
            return HTTP_PARSE_MALFORMED;
        value.p = colon + 1;
        value.len = (size_t)(line.p + line.len - value.p);
        pending = true;
    }
    /* Unreachable for a block from http_find_block_end: it ends with an
     * empty line. */
    return HTTP_PARSE_MALFORMED;
}

/* Content-Length: 1*DIGIT; a list of one value repeated ("5, 5", or the
 * header repeated) is that value (RFC 7230 §3.3.2); anything else, or a
 * number past 2^64 - 1, is no length at all. */
static void http_content_length(http_framing *f, http_span raw)
{
    size_t start = 0;
    for (size_t i = 0;; i++) {
        if (i < raw.len && raw.p[i] != ',')
            continue;
        http_span element = http_span_trim((http_span){raw.p + start, i - start}, http_is_ows_or_fold);
        uint64_t v = 0;
        bool ok = element.len > 0;
        for (size_t k = 0; ok && k < element.len; k++) {
            uint8_t c = element.p[k];
            if (!http_is_digit(c) || v > (UINT64_MAX - (uint64_t)(c - '0')) / 10)
                ok = false;
            else
                v = v * 10 + (uint64_t)(c - '0');
        }
        if (!ok)
            v = 0;
        if (!ok || (f->has_length && f->length != v))
            f->length_bad = true;
        f->has_length = true;
        f->length = v;
        if (i == raw.len)
            return;
        start = i + 1;
    }
}

/* Transfer-Encoding: only the last coding of the last line matters, and
 * only whether it is chunked (§3.3.3 items 3 and 4). */
static void http_transfer_encoding(http_framing *f, http_span raw)
{
    http_span v = http_span_trim(raw, http_is_ows_or_fold);
    size_t i = v.len;
    while (i > 0 && v.p[i - 1] != ',')
        i--;
    f->transfer_encoding = true;
    f->chunked_last =
        http_span_equals_ci(http_span_trim((http_span){v.p + i, v.len - i}, http_is_ows_or_fold),
                            "chunked");
}

/* The fields that frame a message, in a request or a response. */
static void http_framing_header(http_framing *f, http_span name, http_span raw)
{
    if (http_span_equals_ci(name, "content-length")) {
        http_content_length(f, raw);
    } else if (http_span_equals_ci(name, "transfer-encoding")) {
        http_transfer_encoding(f, raw);
    } else if (http_span_equals_ci(name, "connection")) {
        if (http_span_token_list_contains(raw, "close"))
            f->conn_close = true;
        if (http_span_token_list_contains(raw, "keep-alive"))
            f->conn_keep_alive = true;
    }
}

static void http_request_header(void *out, http_span name, http_span raw)
{
    http_upgrade_request *r = out;

    http_framing_header(&r->framing, name, raw);
    if (http_span_equals_ci(name, "upgrade")) {
        if (http_span_token_list_contains(raw, "websocket"))
            r->upgrade_websocket = true;
    } else if (http_span_equals_ci(name, "sec-websocket-key")) {
        http_field_set_once(r->key, sizeof r->key, raw);
    } else if (http_span_equals_ci(name, "sec-websocket-protocol")) {
        http_field_join(r->protocols, sizeof r->protocols, raw);
    } else if (http_span_equals_ci(name, "sec-websocket-extensions")) {
        http_field_join(r->extensions, sizeof r->extensions, raw);
    }
}

static void http_response_header(void *out, http_span name, http_span raw)
{
    http_upgrade_response *r = out;

    http_framing_header(&r->framing, name, raw);
    if (http_span_equals_ci(name, "upgrade")) {
        if (http_span_token_list_contains(raw, "websocket"))
            r->upgrade_websocket = true;
    } else if (http_span_equals_ci(name, "sec-websocket-accept")) {
        http_field_set_once(r->accept, sizeof r->accept, raw);
    } else if (http_span_equals_ci(name, "sec-websocket-protocol")) {
        http_field_join(r->protocol, sizeof r->protocol, raw);
    } else if (http_span_equals_ci(name, "sec-websocket-extensions")) {
        http_field_join(r->extensions, sizeof r->extensions, raw);
    }
}

/* ------------------------------------------------------------------------ */
/* Requests and responses                                                      */

bool http_looks_like_request(const uint8_t *buf, size_t len)
{
    static const char get[] = "GET ";
    const size_t need = sizeof get - 1;
    size_t n = len < need ? len : need;

    /* No bytes are no evidence either way; say no. */
    if (n == 0)
        return false;
    return memcmp(buf, get, n) == 0;
}

/* method SP request-target SP HTTP-version */
static bool http_parse_request_line(http_span line, http_upgrade_request *r)
{
    size_t i = 0;

    while (i < line.len && http_is_tchar(line.p[i]))
        i++;
    if (i == 0 || i == line.len || line.p[i] != ' ')
        return false;
    r->is_get = i == 3 && memcmp(line.p, "GET", 3) == 0; /* methods are case-sensitive */
    r->is_head = i == 4 && memcmp(line.p, "HEAD", 4) == 0;
    r->is_connect = i == 7 && memcmp(line.p, "CONNECT", 7) == 0;

    size_t target_start = ++i;
    while (i < line.len && line.p[i] != ' ')
        i++;
    if (i == target_start || i == line.len)
        return false;
    size_t used = 0;
    http_append(r->target, sizeof r->target, &used, line.p + target_start, i - target_start);

    http_span version = {line.p + i + 1, line.len - i - 1};
    if (!http_is_version(version))
        return false;
    r->framing.version_minor = (uint8_t)(version.p[7] - '0');
    return true;
}

/* HTTP-version SP 3DIGIT [SP reason-phrase] */
static bool http_parse_status_line(http_span line, http_upgrade_response *r)
{
    if (line.len < HTTP_STATUS_LINE_MIN)
        return false;
    if (!http_is_version((http_span){line.p, HTTP_VERSION_LEN}) || line.p[HTTP_VERSION_LEN] != ' ')
        return false;

    const uint8_t *code = line.p + HTTP_VERSION_LEN + 1;
    if (!http_is_digit(code[0]) || !http_is_digit(code[1]) || !http_is_digit(code[2]) ||
        code[0] == '0')
        return false;
    /* The reason phrase is free text, already checked for control characters. */
    if (line.len > HTTP_STATUS_LINE_MIN && line.p[HTTP_STATUS_LINE_MIN] != ' ')
        return false;
    r->status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    r->framing.version_minor = (uint8_t)(line.p[7] - '0');
    return true;
}

/* The part both parsers share: finds the end of the header block, and its
 * first line, checked for control characters. On OK *end is the block's
 * length, *first its first line and *lines the header lines after it. */
static http_parse_result http_open_block(const uint8_t *buf, size_t len, size_t *end,
                                         http_span *first, byte_cursor *lines)
{
    if (!http_find_block_end(buf, len, end))
        return HTTP_PARSE_INCOMPLETE;
    *lines = byte_cursor_make(buf, *end);
    if (!http_next_line(lines, first) || !http_span_all_values(*first))
        return HTTP_PARSE_MALFORMED;
    return HTTP_PARSE_OK;
}

http_parse_result http_parse_request(const uint8_t *buf, size_t len, http_upgrade_request *out,
                                     size_t *header_len)
{
    size_t end = 0;
    http_span line;
    byte_cursor lines;
    http_parse_result res = http_open_block(buf, len, &end, &line, &lines);
    if (res != HTTP_PARSE_OK)
        return res;
    http_upgrade_request r;
    memset(&r, 0, sizeof r);
    if (!http_parse_request_line(line, &r))
        return HTTP_PARSE_MALFORMED;
    res = http_parse_fields(&lines, http_request_header, &r);
    if (res != HTTP_PARSE_OK)
        return res;
    *out = r;
    *header_len = end;
    return HTTP_PARSE_OK;
}

void http_partial_protocols(const uint8_t *buf, size_t len, char *out, size_t out_size)
{
    out[0] = '\0';
    for (size_t at = 0; at < len;) {
        const uint8_t *lf = memchr(buf + at, '\n', len - at);
        size_t end = lf ? (size_t)(lf - buf) : len;
        http_span line = {buf + at, end - at};
        if (line.len > 0 && line.p[line.len - 1] == '\r')
            line.len--;
        const uint8_t *colon = line.len ? memchr(line.p, ':', line.len) : NULL;
        if (colon &&
            http_span_equals_ci((http_span){line.p, (size_t)(colon - line.p)},
                                "sec-websocket-protocol"))
            http_field_join(out, out_size,
                            (http_span){colon + 1, (size_t)(line.p + line.len - colon - 1)});
        at = end + 1;
    }
}

http_parse_result http_parse_response(const uint8_t *buf, size_t len, http_upgrade_response *out,
                                      size_t *header_len)
{
    size_t end = 0;
    http_span line;
    byte_cursor lines;
    http_parse_result res = http_open_block(buf, len, &end, &line, &lines);
    if (res != HTTP_PARSE_OK)
        return res;
    http_upgrade_response r;
    memset(&r, 0, sizeof r);
    if (!http_parse_status_line(line, &r))
        return HTTP_PARSE_MALFORMED;
    res = http_parse_fields(&lines, http_response_header, &r);
    if (res != HTTP_PARSE_OK)
        return res;
    *out = r;
    *header_len = end;
    return HTTP_PARSE_OK;
}

/* ------------------------------------------------------------------------ */
/* Sec-WebSocket-Accept                                                       */

/* RFC 4648 §4 base64 with padding; `out` holds 4 * ceil(n / 3) + 1 bytes. */
static void http_base64(const uint8_t *in, size_t n, char *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;

    for (size_t i = 0; i < n; i += 3) {
        size_t left = n - i;
        uint32_t group = (uint32_t)in[i] << 16;
        if (left > 1)
            group |= (uint32_t)in[i + 1] << 8;
        if (left > 2)
            group |= in[i + 2];
        out[o++] = alphabet[(group >> 18) & 0x3f];
        out[o++] = alphabet[(group >> 12) & 0x3f];
        out[o++] = left > 1 ? alphabet[(group >> 6) & 0x3f] : '=';
        out[o++] = left > 2 ? alphabet[group & 0x3f] : '=';
    }
    out[o] = '\0';
}

bool http_ws_accept_matches(const char *key, const char *accept)
{
    uint8_t digest[SHA1_DIGEST_LEN];
    char expected[HTTP_ACCEPT_LEN + 1];
    sha1_ctx c;

    /* Without a key there is no right answer to compare with. */
    if (!key || !accept || key[0] == '\0')
        return false;

    sha1_init(&c);
    sha1_update(&c, (const uint8_t *)key, strlen(key));
    sha1_update(&c, (const uint8_t *)http_ws_guid, sizeof http_ws_guid - 1);
    sha1_final(&c, digest);
    http_base64(digest, sizeof digest, expected);
    return strcmp(expected, accept) == 0;
}

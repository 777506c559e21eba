/*
 * test_http_upgrade.c - the RFC 6455 §4 opening handshake parsers, the
 * Sec-WebSocket-Accept check and the SHA-1 under it (FIPS 180-4).
 *
 * Each table case is the bytes at the start of a direction and what the
 * parser must make of them, summed up in one line of text. The parsers are
 * stateless over a buffer that the caller grows as bytes arrive, so feeding
 * "byte by byte" means parsing every prefix: each one is copied into a heap
 * block of exactly its size (an over-read is caught by ASan), every prefix
 * shorter than the header block must give INCOMPLETE and leave the outputs
 * untouched, and every longer one the case's result.
 */
#include <stdbool.h>
#include <stdint.h>

#include "http_body.h"
#include "http_upgrade.h"
#include "sha1.h"
#include "test_harness.h"

/* ------------------------------------------------------------------------ */
/* Table                                                                       */

typedef struct http_case {
    const char *name;
    bool response;
    const char *input;
    size_t len;             /* 0: strlen(input); set when the input holds a NUL */
    size_t trailing;        /* bytes after the header block (e.g. a WebSocket frame) */
    http_parse_result expect;
    const char *fields;     /* describe_request / describe_response of the result */
} http_case;

#define MOSQUITTO_REQUEST                                                                \
    "GET /mqtt HTTP/1.1\r\n"                                                             \
    "Host: localhost:8080\r\n"                                                           \
    "Upgrade: websocket\r\n"                                                             \
    "Connection: Upgrade\r\n"                                                            \
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"                                    \
    "Sec-WebSocket-Protocol: mqtt\r\n"                                                   \
    "Sec-WebSocket-Version: 13\r\n"                                                      \
    "\r\n"

#define MOSQUITTO_RESPONSE                                                               \
    "HTTP/1.1 101 Switching Protocols\r\n"                                               \
    "Upgrade: websocket\r\n"                                                             \
    "Connection: Upgrade\r\n"                                                            \
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"                             \
    "Sec-WebSocket-Protocol: mqtt\r\n"                                                   \
    "\r\n"

#define X10 "xxxxxxxxxx"
#define X50 X10 X10 X10 X10 X10
#define X100 X50 X50
#define P60 "p23456789-p23456789-p23456789-p23456789-p23456789-p23456789-"

static const http_case cases[] = {
    /* ---- requests as real clients send them ---- */
    {.name = "mosquitto / libwebsockets style request",
     .input = MOSQUITTO_REQUEST,
     .fields = "get=1 up=1 target=/mqtt key=dGhlIHNhbXBsZSBub25jZQ== proto=mqtt ext="},
    {.name = "paho python style request, then the first WebSocket frame",
     .input = "GET /mqtt HTTP/1.1\r\n"
              "Host: broker.example.com:443\r\n"
              "Upgrade: websocket\r\n"
              "Connection: Upgrade\r\n"
              "Origin: https://broker.example.com:443\r\n"
              "Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n"
              "Sec-WebSocket-Version: 13\r\n"
              "Sec-WebSocket-Protocol: mqtt\r\n"
              "\r\n"
              "\x82\x8e\x22\x99\x14\x7f",
     .trailing = 6,
     .fields = "get=1 up=1 target=/mqtt key=x3JJHMbDL1EzLkh9GBhXDw== proto=mqtt ext="},
    {.name = "MQTT.js over Node ws style request",
     .input = "GET /mqtt HTTP/1.1\r\n"
              "Sec-WebSocket-Version: 13\r\n"
              "Sec-WebSocket-Key: Y4o1nZyMM0Ls5ZHpLy0AtQ==\r\n"
              "Connection: Upgrade\r\n"
              "Upgrade: websocket\r\n"
              "Sec-WebSocket-Protocol: mqtt\r\n"
              "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
              "Host: 127.0.0.1:9001\r\n"
              "\r\n",
     .fields = "get=1 up=1 target=/mqtt key=Y4o1nZyMM0Ls5ZHpLy0AtQ== proto=mqtt "
               "ext=permessage-deflate; client_max_window_bits"},
    {.name = "browser style request: Connection token list",
     .input = "GET /ws?client=7 HTTP/1.1\r\n"
              "Host: example.com\r\n"
              "Connection: keep-alive, Upgrade\r\n"
              "Pragma: no-cache\r\n"
              "Upgrade: websocket\r\n"
              "Origin: http://example.com\r\n"
              "Sec-WebSocket-Version: 13\r\n"
              "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101\r\n"
              "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\n"
              "Sec-WebSocket-Extensions: permessage-deflate\r\n"
              "Sec-WebSocket-Protocol: mqtt, mqttv3.1\r\n"
              "\r\n",
     .fields = "get=1 up=1 target=/ws?client=7 key=AQIDBAUGBwgJCgsMDQ4PEA== "
               "proto=mqtt, mqttv3.1 ext=permessage-deflate"},
    {.name = "legacy subprotocol name",
     .input = "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Protocol: mqttv3.1\r\n\r\n",
     .fields = "get=1 up=1 target=/ key= proto=mqttv3.1 ext="},

    /* ---- names, tokens, whitespace ---- */
    {.name = "header names and tokens in any case",
     .input = "GET / HTTP/1.1\r\nupgrade: WebSocket\r\nCONNECTION: UPGRADE\r\n"
              "sec-websocket-key: abc\r\nSEC-WEBSOCKET-PROTOCOL: mqtt\r\n\r\n",
     .fields = "get=1 up=1 target=/ key=abc proto=mqtt ext="},
    {.name = "token lists without spaces, upgrade first or last",
     .input = "GET / HTTP/1.1\r\nConnection: upgrade,keep-alive\r\nUpgrade: h2c,websocket\r\n\r\n",
     .fields = "get=1 up=1 target=/ key= proto= ext="},
    {.name = "Connection repeated on two lines",
     .input = "GET / HTTP/1.1\r\nConnection: keep-alive\r\nConnection: Upgrade\r\n"
              "Upgrade: websocket\r\n\r\n",
     .fields = "get=1 up=1 target=/ key= proto= ext="},
    {.name = "look-alike tokens do not count",
     .input = "GET / HTTP/1.1\r\nConnection: upgrades, keep-alive\r\nUpgrade: websockets\r\n"
              "Connection: up grade\r\n\r\n",
     .fields = "get=1 up=0 target=/ key= proto= ext="},
    {.name = "no upgrade at all",
     .input = "GET /index.html HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
     .fields = "get=1 up=0 target=/index.html key= proto= ext="},
    {.name = "odd whitespace around values",
     .input = "GET / HTTP/1.1\r\nUpgrade:websocket\r\nConnection:\t Upgrade \t\r\n"
              "Sec-WebSocket-Key:   k e y  \r\nSec-WebSocket-Protocol:\tmqtt\t\r\n"
              "X-Empty:\r\nX-Blank:   \r\n\r\n",
     .fields = "get=1 up=1 target=/ key=k e y proto=mqtt ext="},
    {.name = "folded values become one space",
     .input = "GET / HTTP/1.1\r\nSec-WebSocket-Protocol: mqtt,\r\n\tmqttv3.1\r\n"
              "Connection: keep-alive, \r\n   Upgrade\r\nUpgrade:\r\n websocket\r\n"
              "Sec-WebSocket-Extensions: a;  \r\n \r\n  b=1\r\n\r\n",
     .fields = "get=1 up=1 target=/ key= proto=mqtt, mqttv3.1 ext=a; b=1"},
    {.name = "repeated list headers are joined, blank ones skipped",
     .input = "GET / HTTP/1.1\r\nSec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Protocol:  \r\n"
              "Sec-WebSocket-Protocol: mqttv3.1\r\n"
              "Sec-WebSocket-Extensions: permessage-deflate\r\n"
              "Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n\r\n",
     .fields = "get=1 up=0 target=/ key= proto=mqtt, mqttv3.1 "
               "ext=permessage-deflate, x-webkit-deflate-frame"},
    {.name = "a repeated key: the first one counts",
     .input = "GET / HTTP/1.1\r\nSec-WebSocket-Key: first\r\nSec-WebSocket-Key: second\r\n\r\n",
     .fields = "get=1 up=0 target=/ key=first proto= ext="},
    {.name = "bare LF line ends",
     .input = "GET /mqtt HTTP/1.1\nUpgrade: websocket\nConnection: Upgrade\n\n\x82",
     .trailing = 1,
     .fields = "get=1 up=1 target=/mqtt key= proto= ext="},
    {.name = "CRLF lines ended by a bare LF",
     .input = "GET /mqtt HTTP/1.1\r\nUpgrade: websocket\r\n\n",
     .fields = "get=1 up=1 target=/mqtt key= proto= ext="},
    {.name = "other methods and HTTP/1.0 parse, but are not GET",
     .input = "POST /mqtt HTTP/1.0\r\nContent-Length: 0\r\n\r\n",
     .fields = "get=0 up=0 target=/mqtt key= proto= ext="},
    {.name = "methods are case-sensitive",
     .input = "get /mqtt HTTP/1.1\r\n\r\n",
     .fields = "get=0 up=0 target=/mqtt key= proto= ext="},
    {.name = "obs-text in a value is kept",
     .input = "GET / HTTP/1.1\r\nSec-WebSocket-Protocol: caf\xc3\xa9\r\n\r\n",
     .fields = "get=1 up=0 target=/ key= proto=caf\xc3\xa9 ext="},

    /* ---- truncation to the field sizes ---- */
    {.name = "overlong target, key and protocol are truncated",
     .input = "GET /" X100 X100 " HTTP/1.1\r\n"
              "Sec-WebSocket-Key: " X100 "\r\n"
              "Sec-WebSocket-Protocol: " X100 X100 X100 "\r\n"
              "Sec-WebSocket-Extensions: e\r\n\r\n",
     .fields = "get=1 up=0 target=/" X100 "xxxxxxxxxxxxxxxxxxxxxxxxxx key=" X50
               "xxxxxxxxxxxxx proto=" X100 "xxxxxxxxxxxxxxxxxxxxxxxxxxx ext=e"},
    {.name = "joined values are truncated too",
     .input = "GET / HTTP/1.1\r\nSec-WebSocket-Protocol: " P60 "\r\n"
              "Sec-WebSocket-Protocol: " P60 "\r\nSec-WebSocket-Protocol: " P60 "\r\n"
              "Upgrade: websocket\r\n\r\n",
     .fields = "get=1 up=1 target=/ key= proto=" P60 ", " P60 ", p23 ext="},
    {.name = "the Upgrade token is found past what a field could hold",
     .input = "GET / HTTP/1.1\r\nConnection: " X100 ", " X100 ", " X100 ", Upgrade\r\n\r\n",
     .fields = "get=1 up=0 target=/ key= proto= ext="},

    /* ---- malformed requests ---- */
    {.name = "request line without a version",
     .input = "GET /mqtt\r\n\r\n", .expect = HTTP_PARSE_MALFORMED},
    {.name = "HTTP/2 request line",
     .input = "GET /mqtt HTTP/2.0\r\n\r\n", .expect = HTTP_PARSE_MALFORMED},
    {.name = "lowercase version",
     .input = "GET /mqtt http/1.1\r\n\r\n", .expect = HTTP_PARSE_MALFORMED},
    {.name = "space after the version",
     .input = "GET /mqtt HTTP/1.1 \r\n\r\n", .expect = HTTP_PARSE_MALFORMED},
    {.name = "two spaces before the target",
     .input = "GET  /mqtt HTTP/1.1\r\n\r\n", .expect = HTTP_PARSE_MALFORMED},
    {.name = "no method",
     .input = " /mqtt HTTP/1.1\r\n\r\n", .expect = HTTP_PARSE_MALFORMED},
    {.name = "empty line before the request line",
     .input = "\r\nGET / HTTP/1.1\r\n\r\n", .trailing = 18, .expect = HTTP_PARSE_MALFORMED},
    {.name = "header line without a colon",
     .input = "GET / HTTP/1.1\r\nUpgrade websocket\r\n\r\n", .expect = HTTP_PARSE_MALFORMED},
    {.name = "control character in a header name",
     .input = "GET / HTTP/1.1\r\nUp\x01grade: websocket\r\n\r\n", .expect = HTTP_PARSE_MALFORMED},
    {.name = "space between the name and the colon",
     .input = "GET / HTTP/1.1\r\nUpgrade : websocket\r\n\r\n", .expect = HTTP_PARSE_MALFORMED},
    {.name = "empty header name",
     .input = "GET / HTTP/1.1\r\n: websocket\r\n\r\n", .expect = HTTP_PARSE_MALFORMED},
    {.name = "folded line with no header before it",
     .input = "GET / HTTP/1.1\r\n Upgrade: websocket\r\n\r\n", .expect = HTTP_PARSE_MALFORMED},
    {.name = "bare CR inside a line",
     .input = "GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n", .expect = HTTP_PARSE_MALFORMED},
    {.name = "NUL inside a value",
     .input = "GET / HTTP/1.1\r\nSec-WebSocket-Key: a\0b\r\n\r\n", .len = 42,
     .expect = HTTP_PARSE_MALFORMED},
    {.name = "DEL inside a value",
     .input = "GET / HTTP/1.1\r\nX-A: \x7f\r\n\r\n", .expect = HTTP_PARSE_MALFORMED},
    /* Long lines are checked eight bytes at a time: a bad byte deep inside
     * a word, and a tab that looks like one but is allowed. */
    {.name = "DEL deep inside a long value",
     .input = "GET / HTTP/1.1\r\nX-Long-Value: 0123456789abc\x7f" "def0123456789\r\n\r\n",
     .expect = HTTP_PARSE_MALFORMED},
    {.name = "control character deep inside a long value",
     .input = "GET / HTTP/1.1\r\nX-Long-Value: 0123456789abcdef0123\x1f" "456789\r\n\r\n",
     .expect = HTTP_PARSE_MALFORMED},
    {.name = "tab inside a long value is allowed",
     .input = "GET / HTTP/1.1\r\nSec-WebSocket-Protocol: mqtt,\tmqttv3.1,\twhatever-else\r\n\r\n",
     .fields = "get=1 up=0 target=/ key= proto=mqtt,\tmqttv3.1,\twhatever-else ext="},
    {.name = "raw MQTT that happens to hold an empty line",
     .input = "\x10\x0c\x00\x04MQTT\x04\x02\n\n", .len = 12, .expect = HTTP_PARSE_MALFORMED},

    /* ---- responses ---- */
    {.name = "101 with the RFC 6455 accept",
     .response = true,
     .input = MOSQUITTO_RESPONSE,
     .fields = "status=101 up=1 accept=s3pPLMBiTxaQ9kYGzzhZRbK+xOo= proto=mqtt ext="},
    {.name = "101 followed at once by a server frame",
     .response = true,
     .input = "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\n"
              "connection: keep-alive, upgrade\r\n"
              "sec-websocket-extensions: permessage-deflate\r\n\r\n\x90\x02\x20\x00",
     .len = 139,
     .trailing = 4,
     .fields = "status=101 up=1 accept= proto= ext=permessage-deflate"},
    {.name = "101 of Node's ws accepting permessage-deflate with all four parameters (127 bytes)",
     .response = true,
     .input = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Accept: BwN4DNMKMG8GX0+aFtMrY70inxw=\r\nSec-WebSocket-Protocol: mqtt\r\n"
              "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=9; "
              "server_no_context_takeover; client_no_context_takeover; "
              "server_max_window_bits=10\r\n\r\n",
     .fields = "status=101 up=1 accept=BwN4DNMKMG8GX0+aFtMrY70inxw= proto=mqtt "
               "ext=permessage-deflate; client_max_window_bits=9; server_no_context_takeover; "
               "client_no_context_takeover; server_max_window_bits=10"},
    {.name = "400 with a body",
     .response = true,
     .input = "HTTP/1.1 400 Bad Request\r\nContent-Length: 11\r\n\r\nBad Request",
     .trailing = 11,
     .fields = "status=400 up=0 accept= proto= ext="},
    {.name = "status without a reason phrase",
     .response = true,
     .input = "HTTP/1.1 404\r\n\r\n",
     .fields = "status=404 up=0 accept= proto= ext="},
    {.name = "status with an empty reason phrase",
     .response = true,
     .input = "HTTP/1.1 503 \r\nRetry-After: 5\r\n\r\n",
     .fields = "status=503 up=0 accept= proto= ext="},
    {.name = "HTTP/1.0 200",
     .response = true,
     .input = "HTTP/1.0 200 OK\nContent-Type: text/html\n\n",
     .fields = "status=200 up=0 accept= proto= ext="},
    {.name = "status code too short",
     .response = true, .input = "HTTP/1.1 10 Continue\r\n\r\n", .expect = HTTP_PARSE_MALFORMED},
    {.name = "status code too long",
     .response = true, .input = "HTTP/1.1 1011 x\r\n\r\n", .expect = HTTP_PARSE_MALFORMED},
    {.name = "status code below 100",
     .response = true, .input = "HTTP/1.1 099 x\r\n\r\n", .expect = HTTP_PARSE_MALFORMED},
    {.name = "no space after the status code",
     .response = true, .input = "HTTP/1.1 101Switching\r\n\r\n", .expect = HTTP_PARSE_MALFORMED},
    {.name = "HTTP/2 status line",
     .response = true, .input = "HTTP/2 101 x\r\n\r\n", .expect = HTTP_PARSE_MALFORMED},
    {.name = "two spaces before the status code",
     .response = true, .input = "HTTP/1.1  101 x\r\n\r\n", .expect = HTTP_PARSE_MALFORMED},
    {.name = "response header without a colon",
     .response = true,
     .input = "HTTP/1.1 101 Switching Protocols\r\nUpgrade\r\n\r\n",
     .expect = HTTP_PARSE_MALFORMED},
    {.name = "a request is not a response",
     .response = true, .input = MOSQUITTO_REQUEST, .expect = HTTP_PARSE_MALFORMED},
    {.name = "a response is not a request",
     .input = MOSQUITTO_RESPONSE, .expect = HTTP_PARSE_MALFORMED},
};

/* ------------------------------------------------------------------------ */
/* Driver                                                                      */

static void describe_request(const http_upgrade_request *r, char *out, size_t cap)
{
    snprintf(out, cap, "get=%d up=%d target=%s key=%s proto=%s ext=%s", r->is_get,
             r->upgrade_websocket, r->target, r->key, r->protocols,
             r->extensions);
}

static void describe_response(const http_upgrade_response *r, char *out, size_t cap)
{
    snprintf(out, cap, "status=%d up=%d accept=%s proto=%s ext=%s", r->status,
             r->upgrade_websocket, r->accept, r->protocol,
             r->extensions);
}

/* Parses the first `n` bytes of the case; *described is the result's summary
 * on OK, or "untouched" when the outputs kept their poison. */
static http_parse_result parse_prefix(const http_case *c, size_t n, size_t *header_len,
                                      char *described, size_t cap)
{
    unsigned char *buf = th_exact_copy(c->input, n);
    http_parse_result res;
    size_t hl = (size_t)-1;

    if (c->response) {
        http_upgrade_response r, poison;
        memset(&r, 0xa5, sizeof r);
        poison = r;
        res = http_parse_response(buf, n, &r, &hl);
        if (res == HTTP_PARSE_OK)
            describe_response(&r, described, cap);
        else
            snprintf(described, cap, "%s",
                     memcmp(&r, &poison, sizeof r) == 0 ? "untouched" : "written");
    } else {
        http_upgrade_request r, poison;
        memset(&r, 0xa5, sizeof r);
        poison = r;
        res = http_parse_request(buf, n, &r, &hl);
        if (res == HTTP_PARSE_OK)
            describe_request(&r, described, cap);
        else
            snprintf(described, cap, "%s",
                     memcmp(&r, &poison, sizeof r) == 0 ? "untouched" : "written");
    }
    if (res != HTTP_PARSE_OK && hl != (size_t)-1)
        snprintf(described, cap, "header_len written");
    free(buf);
    *header_len = hl;
    return res;
}

static void run_case(const http_case *c)
{
    const size_t len = c->len ? c->len : strlen(c->input);
    const size_t block = len - c->trailing;
    unsigned bad_prefixes = 0;
    char got[1024];
    size_t header_len;

    /* Whole. */
    http_parse_result res = parse_prefix(c, len, &header_len, got, sizeof got);
    if (res != c->expect)
        fprintf(stderr, "case \"%s\": result %d, expected %d\n", c->name, (int)res,
                (int)c->expect);
    CHECK_EQ_INT(res, c->expect);
    if (c->expect == HTTP_PARSE_OK) {
        CHECK_EQ_INT(header_len, block);
        CHECK_EQ_STR(got, c->fields);
    } else {
        CHECK_EQ_STR(got, "untouched");
    }

    /* Every prefix, as the bytes arrive one by one. */
    for (size_t n = 0; n < len; n++) {
        char again[1024];
        http_parse_result want = n < block ? HTTP_PARSE_INCOMPLETE : c->expect;
        res = parse_prefix(c, n, &header_len, again, sizeof again);
        bool ok = res == want;
        if (want == HTTP_PARSE_OK)
            ok = ok && header_len == block && strcmp(again, got) == 0;
        else
            ok = ok && strcmp(again, "untouched") == 0;
        if (!ok && bad_prefixes++ < 3)
            fprintf(stderr, "case \"%s\": prefix of %zu bytes: result %d (%s), expected %d\n",
                    c->name, n, (int)res, again, (int)want);
    }
    CHECK_EQ_INT(bad_prefixes, 0);
}

/* ------------------------------------------------------------------------ */
/* Cases outside the table                                                     */

static void test_accept(void)
{
    /* RFC 6455 §1.3 and §4.2.2. */
    CHECK(http_ws_accept_matches("dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    /* Keys whose key + GUID is 55, 56 and 64 bytes: the SHA-1 padding edges. */
    CHECK(http_ws_accept_matches("AAAAAAAAAAAAAAAAAAA", "aY4PwGcVNJA8APkO5DyVUWJM+GI="));
    CHECK(http_ws_accept_matches("AAAAAAAAAAAAAAAAAAAA", "/3M+5HFywElctYU7s1JYO+XV104="));
    CHECK(http_ws_accept_matches("AAAAAAAAAAAAAAAAAAAAAAAAAAAA", "z3ycwt5uBPzmknp00S5pVy2s9vQ="));
    CHECK(http_ws_accept_matches("x3JJHMbDL1EzLkh9GBhXDw==", "HSmrc0sMlYUkAGmm5OPpG2HaGWk="));

    CHECK(!http_ws_accept_matches("dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo"));
    CHECK(!http_ws_accept_matches("dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo= "));
    CHECK(!http_ws_accept_matches("dGhlIHNhbXBsZSBub25jZQ==", "S3PPLMBITXAQ9KYGZZHZRBK+XOO="));
    CHECK(!http_ws_accept_matches("dGhlIHNhbXBsZSBub25jZQ=", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    CHECK(!http_ws_accept_matches("x3JJHMbDL1EzLkh9GBhXDw==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    CHECK(!http_ws_accept_matches("dGhlIHNhbXBsZSBub25jZQ==", ""));
    CHECK(!http_ws_accept_matches("", "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w="));
    CHECK(!http_ws_accept_matches(NULL, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    CHECK(!http_ws_accept_matches("dGhlIHNhbXBsZSBub25jZQ==", NULL));
}

/* The whole handshake: the key from the request checks the response. */
static void test_handshake_round_trip(void)
{
    static const char request[] = MOSQUITTO_REQUEST;
    static const char response[] = MOSQUITTO_RESPONSE;
    http_upgrade_request req;
    http_upgrade_response resp;
    size_t req_len = 0, resp_len = 0;

    CHECK_EQ_INT(http_parse_request((const uint8_t *)request, sizeof request - 1, &req, &req_len),
                 HTTP_PARSE_OK);
    CHECK_EQ_INT(
        http_parse_response((const uint8_t *)response, sizeof response - 1, &resp, &resp_len),
        HTTP_PARSE_OK);
    CHECK_EQ_INT(req_len, sizeof request - 1);
    CHECK_EQ_INT(resp_len, sizeof response - 1);
    CHECK_EQ_INT(resp.status, 101);
    CHECK(http_ws_accept_matches(req.key, resp.accept));
    CHECK(http_token_list_contains(req.protocols, resp.protocol));
}

static void test_token_lists(void)
{
    CHECK(http_token_list_contains("Upgrade", "upgrade"));
    CHECK(http_token_list_contains("keep-alive, Upgrade", "upgrade"));
    CHECK(http_token_list_contains("keep-alive,Upgrade", "UPGRADE"));
    CHECK(http_token_list_contains(" upgrade ,keep-alive", "upgrade"));
    CHECK(http_token_list_contains("a,,\tupgrade\t,", "upgrade"));
    CHECK(http_token_list_contains("mqtt, mqttv3.1", "mqttv3.1"));
    CHECK(!http_token_list_contains("mqtt, mqttv3.1", "mqttv3"));
    CHECK(!http_token_list_contains("upgrades", "upgrade"));
    CHECK(!http_token_list_contains("xupgrade", "upgrade"));
    CHECK(!http_token_list_contains("up grade", "upgrade"));
    CHECK(!http_token_list_contains("", "upgrade"));
    CHECK(!http_token_list_contains(",,", "upgrade"));
    CHECK(!http_token_list_contains("upgrade", ""));
    CHECK(!http_token_list_contains("a, , b", ""));
    CHECK(!http_token_list_contains(NULL, "upgrade"));
    CHECK(!http_token_list_contains("upgrade", NULL));
}

static void test_looks_like_request(void)
{
    static const struct {
        const char *bytes;
        bool want;
    } looks[] = {
        {"GET /mqtt HTTP/1.1", true}, {"GET ", true}, {"GET", true}, {"GE", true},
        {"G", true},                  {"", false},    {"POST", false}, {"get ", false},
        {"GEX", false},               {"\x10", false}, {"GET/", false},
    };
    for (size_t i = 0; i < sizeof looks / sizeof looks[0]; i++) {
        size_t n = strlen(looks[i].bytes);
        unsigned char *buf = th_exact_copy(looks[i].bytes, n);
        if (http_looks_like_request(buf, n) != looks[i].want)
            fprintf(stderr, "http_looks_like_request(\"%s\") wrong\n", looks[i].bytes);
        CHECK(http_looks_like_request(buf, n) == looks[i].want);
        free(buf);
    }
}

/* FIPS 180-4 examples and the padding edges (55, 56, 63, 64, 119, 120
 * bytes), each hashed in one go and fed through the incremental API in
 * pieces of several sizes. */
/* A block cut short: the protocol lines it holds, joined, the last one even
 * if cut; nothing else (a name must match whole, before its colon). */
static void test_partial_protocols(void)
{
    static const char block[] = "GET /mqtt HTTP/1.1\r\nsec-websocket-protocol: mqtt\r\n"
                                "X-Sec-WebSocket-Protocol: chat\r\nCookie: a=b\r\n"
                                "Sec-WebSocket-Protocol:  mqttv3.1 \r\nSec-WebSocket-Prot";
    char got[HTTP_VALUE_MAX];
    http_partial_protocols((const uint8_t *)block, strlen(block), got, sizeof got);
    CHECK_EQ_STR(got, "mqtt, mqttv3.1");
    /* Cut inside the second protocol line's value. */
    size_t cut = (size_t)(strstr(block, "mqttv3.1") + 4 - block);
    http_partial_protocols((const uint8_t *)block, cut, got, sizeof got);
    CHECK_EQ_STR(got, "mqtt, mqtt");
    http_partial_protocols((const uint8_t *)block, 10, got, sizeof got);
    CHECK_EQ_STR(got, "");
}

static void test_sha1(void)
{
    static const struct {
        char fill;      /* message of `repeat` copies of `fill`, or `text` */
        size_t repeat;
        const char *text;
        const char *digest;
    } vectors[] = {
        {0, 0, "", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
        {0, 0, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
        {0, 0, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
        {'a', 55, NULL, "c1c8bbdc22796e28c0e15163d20899b65621d65a"},
        {'a', 56, NULL, "c2db330f6083854c99d4b5bfb6e8f29f201be699"},
        {'a', 63, NULL, "03f09f5b158a7a8cdad920bddc29b81c18a551f5"},
        {'a', 64, NULL, "0098ba824b5c16427bd7a1122a5a442a25ec644d"},
        {'a', 119, NULL, "ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56"},
        {'a', 120, NULL, "f34c1488385346a55709ba056ddd08280dd4c6d6"},
        {'a', 1000000, NULL, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"},
    };
    static const size_t pieces[] = {1, 3, 63, 64, 65, 1000};

    for (size_t v = 0; v < sizeof vectors / sizeof vectors[0]; v++) {
        size_t len = vectors[v].text ? strlen(vectors[v].text) : vectors[v].repeat;
        uint8_t *msg = malloc(len ? len : 1);
        uint8_t digest[SHA1_DIGEST_LEN];
        char hex[2 * SHA1_DIGEST_LEN + 1];
        if (!msg)
            abort();
        if (vectors[v].text)
            memcpy(msg, vectors[v].text, len);
        else
            memset(msg, vectors[v].fill, len);

        sha1(msg, len, digest);
        for (size_t i = 0; i < SHA1_DIGEST_LEN; i++)
            snprintf(hex + 2 * i, 3, "%02x", digest[i]);
        CHECK_EQ_STR(hex, vectors[v].digest);

        for (size_t p = 0; p < sizeof pieces / sizeof pieces[0]; p++) {
            sha1_ctx c;
            sha1_init(&c);
            for (size_t done = 0; done < len;) {
                size_t n = len - done < pieces[p] ? len - done : pieces[p];
                sha1_update(&c, msg + done, n);
                sha1_update(&c, NULL, 0);
                done += n;
            }
            sha1_final(&c, digest);
            for (size_t i = 0; i < SHA1_DIGEST_LEN; i++)
                snprintf(hex + 2 * i, 3, "%02x", digest[i]);
            CHECK_EQ_STR(hex, vectors[v].digest);
        }
        free(msg);
    }
}

/* ------------------------------------------------------------------------ */
/* Framing fields and bodies (keep-alive exchanges before an Upgrade)         */

static void describe_framing(const http_framing *f, char *out, size_t cap)
{
    snprintf(out, cap, "1.%u len=%s%llu te=%d chunked=%d close=%d keep=%d", f->version_minor,
             !f->has_length ? "none:" : f->length_bad ? "bad:" : "",
             (unsigned long long)f->length, f->transfer_encoding, f->chunked_last, f->conn_close,
             f->conn_keep_alive);
}

static void test_framing_fields(void)
{
    static const struct {
        bool response;
        const char *input;
        const char *framing;
    } framing_cases[] = {
        {false, "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
         "1.1 len=none:0 te=0 chunked=0 close=0 keep=0"},
        {false, "POST /f HTTP/1.0\r\nContent-Length: 12\r\nConnection: Keep-Alive\r\n\r\n",
         "1.0 len=12 te=0 chunked=0 close=0 keep=1"},
        {true, "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n",
         "1.1 len=5 te=0 chunked=0 close=0 keep=0"},
        {true, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
         "1.1 len=bad:6 te=0 chunked=0 close=0 keep=0"},
        {true, "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
         "1.1 len=bad:0 te=0 chunked=0 close=0 keep=0"},
        {true, "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n",
         "1.1 len=bad:0 te=0 chunked=0 close=0 keep=0"},
        {true, "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n",
         "1.1 len=18446744073709551615 te=0 chunked=0 close=0 keep=0"},
        {true, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\nConnection: close\r\n\r\n",
         "1.1 len=none:0 te=1 chunked=1 close=1 keep=0"},
        {true, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
         "1.1 len=none:0 te=1 chunked=0 close=0 keep=0"},
    };
    for (size_t i = 0; i < sizeof framing_cases / sizeof framing_cases[0]; i++) {
        size_t n = strlen(framing_cases[i].input), hl = 0;
        unsigned char *buf = th_exact_copy(framing_cases[i].input, n);
        char got[160] = "";
        if (framing_cases[i].response) {
            http_upgrade_response r;
            CHECK_EQ_INT(http_parse_response(buf, n, &r, &hl), HTTP_PARSE_OK);
            describe_framing(&r.framing, got, sizeof got);
        } else {
            http_upgrade_request r;
            CHECK_EQ_INT(http_parse_request(buf, n, &r, &hl), HTTP_PARSE_OK);
            describe_framing(&r.framing, got, sizeof got);
        }
        CHECK_EQ_STR(got, framing_cases[i].framing);
        free(buf);
    }
    http_upgrade_request r;
    static const char head[] = "HEAD / HTTP/1.1\r\n\r\n";
    size_t hl = 0;
    CHECK_EQ_INT(http_parse_request((const uint8_t *)head, strlen(head), &r, &hl), HTTP_PARSE_OK);
    CHECK(r.is_head && !r.is_get && !r.is_connect);
}

typedef struct body_case {
    const char *name;
    http_body_mode mode;
    uint64_t length;
    const char *body;        /* the bytes fed: the body (or as far as it goes)... */
    const char *after;       /* ...then what follows it */
    http_body_result expect; /* over the whole input; on DONE the body's bytes were used */
} body_case;

static const body_case body_cases[] = {
    {"length", HTTP_BODY_LENGTH, 5, "hello", "GET /", HTTP_BODY_DONE},
    {"length longer than the bytes", HTTP_BODY_LENGTH, 1000000, "hello", "", HTTP_BODY_MORE},
    {"length near 2^64 is counted, not kept", HTTP_BODY_LENGTH, UINT64_MAX, "abc", "",
     HTTP_BODY_MORE},
    {"chunked", HTTP_BODY_CHUNKED, 0, "5\r\nhello\r\n0\r\n\r\n", "GET /", HTTP_BODY_DONE},
    {"chunked, hex sizes in any case, bare LFs", HTTP_BODY_CHUNKED, 0,
     "A\nabcdefghij\na\r\nabcdefghij\r\n00\n\n", "X", HTTP_BODY_DONE},
    {"chunked with an extension and trailers", HTTP_BODY_CHUNKED, 0,
     "3;x=\"y\"\r\nabc\r\n0;last\r\nA: 1\r\nB: 2\r\n\r\n", "rest", HTTP_BODY_DONE},
    {"chunked, data holding CRLFs", HTTP_BODY_CHUNKED, 0, "4\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n",
     HTTP_BODY_DONE},
    {"chunked not ended", HTTP_BODY_CHUNKED, 0, "5\r\nhello\r\n", "", HTTP_BODY_MORE},
    {"chunk size not hex", HTTP_BODY_CHUNKED, 0, "g\r\n", "", HTTP_BODY_MALFORMED},
    {"chunk size empty", HTTP_BODY_CHUNKED, 0, "\r\n", "", HTTP_BODY_MALFORMED},
    {"chunk size past 2^64", HTTP_BODY_CHUNKED, 0, "10000000000000000\r\n", "",
     HTTP_BODY_MALFORMED},
    {"no CRLF after the data", HTTP_BODY_CHUNKED, 0, "1\r\nab\r\n", "", HTTP_BODY_MALFORMED},
    {"a size line over the cap", HTTP_BODY_CHUNKED, 0, "1;" X50 "\r\n", "", HTTP_BODY_MALFORMED},
    {"a trailer over the cap", HTTP_BODY_CHUNKED, 0, "0\r\nT: " X50 "\r\n", "",
     HTTP_BODY_MALFORMED},
};

/* Feeds the case's body and what follows it in pieces of `piece` bytes
 * (the last may be shorter; 0: in two, split at `split`), each in a heap
 * block of exactly its size (a line cap of 32). */
static http_body_result feed_body(const body_case *c, size_t piece, size_t split, size_t *used)
{
    char input[256];
    snprintf(input, sizeof input, "%s%s", c->body, c->after);
    http_body b;
    http_body_start(&b, c->mode, c->length, 32);
    size_t len = strlen(input), off = 0;
    while (off < len) {
        size_t n = piece ? (len - off < piece ? len - off : piece) : (off ? len - off : split);
        unsigned char *buf = th_exact_copy(input + off, n);
        size_t u = 0;
        http_body_result r = http_body_skip(&b, buf, n, &u);
        free(buf);
        if (r != HTTP_BODY_MORE) {
            *used = r == HTTP_BODY_DONE ? off + u : 0;
            CHECK(!http_body_active(&b) || r == HTTP_BODY_MALFORMED);
            return r;
        }
        off += n;
    }
    *used = 0;
    return HTTP_BODY_MORE;
}

static void test_bodies(void)
{
    for (size_t i = 0; i < sizeof body_cases / sizeof body_cases[0]; i++) {
        const body_case *c = &body_cases[i];
        size_t len = strlen(c->body) + strlen(c->after), used = 0;
        size_t want = c->expect == HTTP_BODY_DONE ? strlen(c->body) : 0;
        http_body_result r = feed_body(c, len, 0, &used);
        if (r != c->expect || used != want)
            fprintf(stderr, "body case \"%s\": whole: result %d used %zu\n", c->name, r, used);
        CHECK_EQ_INT(r, c->expect);
        CHECK_EQ_INT(used, want);
        CHECK_EQ_INT(feed_body(c, 1, 0, &used), c->expect);
        CHECK_EQ_INT(used, want);
        for (size_t at = 1; at < len; at++) {
            CHECK_EQ_INT(feed_body(c, 0, at, &used), c->expect);
            CHECK_EQ_INT(used, want);
        }
    }
    /* No body at all, and an empty one. */
    http_body b;
    http_body_start(&b, HTTP_BODY_LENGTH, 0, 32);
    CHECK(!http_body_active(&b));
}

int main(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i]);
    test_accept();
    test_handshake_round_trip();
    test_token_lists();
    test_looks_like_request();
    test_sha1();
    test_partial_protocols();
    test_framing_fields();
    test_bodies();
    return th_report();
}

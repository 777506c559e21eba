/*
 * http_upgrade.h - the HTTP/1.1 side of the WebSocket opening handshake.
 *
 * RFC 6455 §4.1-4.2 on top of RFC 7230 §3: a GET request with
 * "Upgrade: websocket" and "Connection: Upgrade" (a token in a list), answered
 * by "101 Switching Protocols" whose Sec-WebSocket-Accept is
 * base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
 *
 * The parsers work on a complete header block held by the caller (which caps
 * its size); they never allocate and distinguish "incomplete" from
 * "malformed", as picohttpparser does. Header names are case-insensitive.
 */
#ifndef MQTTKA_HTTP_UPGRADE_H
#define MQTTKA_HTTP_UPGRADE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum http_parse_result {
    HTTP_PARSE_OK = 0,       /* a whole header block; *header_len says its size */
    HTTP_PARSE_INCOMPLETE,   /* no blank line yet: feed more bytes */
    HTTP_PARSE_MALFORMED,    /* not HTTP/1.x, or a broken header line */
} http_parse_result;

#define HTTP_VALUE_MAX 128
/* The Sec-WebSocket-Extensions a 101 accepted: permessage-deflate with all
 * four of its parameters is 127 bytes as Node's ws writes it (RFC 7692
 * §7.1), and a value cut short may have lost one (handshake.c says so). */
#define HTTP_EXTENSIONS_MAX 256

/* How an HTTP/1.x message's body is delimited and whether the connection
 * stays open after it (RFC 7230 §3.3.3, §6.3): what following a keep-alive
 * connection through plain exchanges needs (handshake.c). */
typedef struct http_framing {
    uint8_t version_minor;    /* HTTP/1.x */
    bool has_length;          /* a valid Content-Length */
    bool length_bad;          /* a Content-Length that is not one number */
    uint64_t length;
    bool transfer_encoding;   /* a Transfer-Encoding header */
    bool chunked_last;        /* ... whose last coding is chunked */
    bool conn_close;          /* Connection: close */
    bool conn_keep_alive;     /* Connection: keep-alive */
} http_framing;

typedef struct http_upgrade_request {
    bool is_get;
    bool is_head;             /* its answer has no body, whatever it says */
    bool is_connect;          /* its 2xx answer turns the connection into a tunnel */
    http_framing framing;
    bool upgrade_websocket;   /* Upgrade: websocket (token, any case) */
    char target[HTTP_VALUE_MAX];      /* request target, truncated */
    char key[64];                     /* Sec-WebSocket-Key, "" if absent */
    char protocols[HTTP_VALUE_MAX];   /* Sec-WebSocket-Protocol as sent (joined with ", " when repeated) */
    char extensions[HTTP_VALUE_MAX];  /* Sec-WebSocket-Extensions as sent */
} http_upgrade_request;

typedef struct http_upgrade_response {
    int status;                       /* 100..999 */
    http_framing framing;
    bool upgrade_websocket;
    char accept[64];                  /* Sec-WebSocket-Accept, "" if absent */
    char protocol[HTTP_VALUE_MAX];    /* Sec-WebSocket-Protocol chosen */
    char extensions[HTTP_EXTENSIONS_MAX]; /* Sec-WebSocket-Extensions accepted */
} http_upgrade_response;

/* Does this look like the start of an HTTP request ("GET ")? Needs at most
 * 4 bytes; returns false for a shorter prefix that could still match only
 * when `len` < 4 and the bytes differ. */
bool http_looks_like_request(const uint8_t *buf, size_t len);

/* Parses a request header block at the start of buf. On OK fills *out and
 * *header_len (bytes up to and including the blank line). */
http_parse_result http_parse_request(const uint8_t *buf, size_t len,
                                     http_upgrade_request *out, size_t *header_len);

/* The Sec-WebSocket-Protocol values in the lines of a request header block
 * too long to parse (cut anywhere, not checked for validity; the last line
 * may be incomplete), joined into `out` as http_parse_request joins them.
 * Tells whether such a request offered a subprotocol. */
void http_partial_protocols(const uint8_t *buf, size_t len, char *out, size_t out_size);

/* Parses a response header block at the start of buf. */
http_parse_result http_parse_response(const uint8_t *buf, size_t len,
                                      http_upgrade_response *out, size_t *header_len);

/* true when `accept` is the right Sec-WebSocket-Accept for `key`. */
bool http_ws_accept_matches(const char *key, const char *accept);

/* true when the comma-separated token list `list` contains `token`
 * (case-insensitive, optional whitespace around commas). */
bool http_token_list_contains(const char *list, const char *token);

#endif

/*
 * html_out.h - writing HTML and inline SVG into a line_buffer: text and
 * attribute values escaped so that any byte from the wire (a client id, a
 * close reason, a request path) is shown, never parsed, and numbers written
 * by hand (cli/format.h), as the other outputs write them.
 */
#ifndef MQTTKA_CLI_HTML_OUT_H
#define MQTTKA_CLI_HTML_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "line_buffer.h"
#include "mqttka.h"

/*
 * `len` bytes of text, escaped for an element's content or a quoted
 * attribute value: & < > " ' as character references; well-formed UTF-8 as
 * it is, except the code points an HTML parser rejects (controls, C1
 * controls, noncharacters), which are written as visible \xNN or \u{NNNN};
 * bytes that are not UTF-8 as \xNN. So the page stays valid whatever the
 * capture held.
 */
void html_text_n(line_buffer *b, const char *s, size_t len);
/* The same for a NUL-terminated string. */
void html_text(line_buffer *b, const char *s);

/* An SVG coordinate with one decimal ("12.5"), clamped to +-1e7 so that a
 * hostile timestamp cannot produce a number a browser chokes on. */
void html_coord(line_buffer *b, double v);

/* Microseconds as seconds with `decimals` decimals (<= 6), no unit. */
void html_seconds(line_buffer *b, mqttka_time us, unsigned decimals);

/* A duration for people: "0.133 ms", "12.4 ms", "3.026 s", "431.5 s",
 * "86400 s". */
void html_duration(line_buffer *b, mqttka_time us);

/* An endpoint as "1.2.3.4:80" or "[::1]:80". */
void html_endpoint(line_buffer *b, const mqttka_endpoint *e);

#endif

/*
 * html_out.c - escaped text and hand-written numbers for the HTML report.
 */
#include "html_out.h"

#include <string.h>

#include "format.h"

static void put_hex_escape(line_buffer *b, unsigned byte)
{
    static const char digits[] = "0123456789abcdef";
    char esc[4] = {'\\', 'x', digits[(byte >> 4) & 0xf], digits[byte & 0xf]};
    line_buffer_bytes(b, esc, sizeof esc);
}

static uint32_t decode_utf8(const uint8_t *s, size_t n)
{
    if (n == 1)
        return s[0];
    uint32_t cp = s[0] & (0x7fu >> n);
    for (size_t i = 1; i < n; i++)
        cp = cp << 6 | (s[i] & 0x3fu);
    return cp;
}

/* Code points HTML's parser reports as errors in the input stream
 * (WHATWG HTML, "preprocessing the input stream"): C1 controls and
 * noncharacters. C0 controls are single bytes, handled before. */
static bool rejected_code_point(uint32_t cp)
{
    if (cp >= 0x80 && cp <= 0x9f)
        return true;
    if (cp >= 0xfdd0 && cp <= 0xfdef)
        return true;
    return (cp & 0xfffe) == 0xfffe;
}

void html_text_n(line_buffer *b, const char *text, size_t len)
{
    const uint8_t *s = (const uint8_t *)text;
    size_t i = 0;
    while (i < len) {
        /* Runs of plain printable ASCII other than the five go as they are. */
        size_t run = 0;
        while (i + run < len) {
            uint8_t c = s[i + run];
            if (c < 0x20 || c > 0x7e || c == '&' || c == '<' || c == '>' || c == '"' || c == '\'')
                break;
            run++;
        }
        if (run) {
            line_buffer_bytes(b, s + i, run);
            i += run;
            continue;
        }
        uint8_t c = s[i];
        switch (c) {
        case '&': line_buffer_str(b, "&amp;"); i++; continue;
        case '<': line_buffer_str(b, "&lt;"); i++; continue;
        case '>': line_buffer_str(b, "&gt;"); i++; continue;
        case '"': line_buffer_str(b, "&quot;"); i++; continue;
        case '\'': line_buffer_str(b, "&#39;"); i++; continue;
        default: break;
        }
        if (c < 0x80) { /* a C0 control or DEL */
            put_hex_escape(b, c);
            i++;
            continue;
        }
        size_t n = utf8_sequence_length(s + i, len - i);
        if (n == 0) {
            put_hex_escape(b, c);
            i++;
            continue;
        }
        uint32_t cp = decode_utf8(s + i, n);
        if (rejected_code_point(cp)) {
            line_buffer_str(b, "\\u{");
            line_buffer_hex(b, cp, 4);
            line_buffer_char(b, '}');
        } else {
            line_buffer_bytes(b, s + i, n);
        }
        i += n;
    }
}

void html_text(line_buffer *b, const char *s)
{
    html_text_n(b, s, strlen(s));
}

void html_coord(line_buffer *b, double v)
{
    if (!(v > -1e7))
        v = -1e7;
    else if (v > 1e7)
        v = 1e7;
    double tenths = v * 10.0;
    int64_t t = (int64_t)(tenths < 0 ? tenths - 0.5 : tenths + 0.5);
    if (t % 10 == 0)
        line_buffer_int(b, t / 10);
    else
        line_buffer_scaled(b, t, 1, 1);
}

void html_seconds(line_buffer *b, mqttka_time us, unsigned decimals)
{
    line_buffer_scaled(b, us, 6, decimals > 6 ? 6 : decimals);
}

void html_duration(line_buffer *b, mqttka_time us)
{
    mqttka_time m = us < 0 ? -us : us;
    if (m < 10000) { /* under 10 ms: 0.133 ms, 9.871 ms */
        line_buffer_scaled(b, us, 3, 3);
        line_buffer_str(b, " ms");
    } else if (m < 1000000) {
        line_buffer_scaled(b, us, 3, 1);
        line_buffer_str(b, " ms");
    } else if (m < 100000000) {
        line_buffer_scaled(b, us, 6, 3);
        line_buffer_str(b, " s");
    } else if (m < 10000000000) {
        line_buffer_scaled(b, us, 6, 1);
        line_buffer_str(b, " s");
    } else {
        line_buffer_scaled(b, us, 6, 0);
        line_buffer_str(b, " s");
    }
}

void html_endpoint(line_buffer *b, const mqttka_endpoint *e)
{
    char buf[64];
    mqttka_endpoint_format(e, buf, sizeof buf);
    html_text(b, buf);
}

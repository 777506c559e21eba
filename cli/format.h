/*
 * format.h - numbers and strings written the same way by the text and JSON
 * outputs: fixed decimals from integer microseconds (no binary rounding
 * surprises, so golden files are stable), UTF-8 checks for escaping.
 *
 * Every number is written by hand, never through printf: the outputs write
 * several per event, and printf's parsing of its format was most of their
 * cost. The format_put_* functions write at `at` without a NUL and return
 * the end, so that a caller can write into its own line buffer; the others
 * fill a FORMAT_NUMBER_MAX buffer with a NUL-terminated string.
 */
#ifndef MQTTKA_CLI_FORMAT_H
#define MQTTKA_CLI_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Longest text any formatter here writes, NUL included. The longest is
 * format_double's "%.17g" ("-1.2345678901234567e+308": 24 bytes). */
#define FORMAT_NUMBER_MAX 48

/* `v` in decimal, as "%llu" would: at most 20 bytes. */
char *format_put_uint(char *at, uint64_t v);
/* `v` in decimal, as "%lld" would: at most 20 bytes. */
char *format_put_int(char *at, int64_t v);
/* `micros` as seconds with six decimals ("%.6f" of micros / 1e6), written
 * so that it ends just before `end`; returns where it starts (at most 28
 * bytes before `end`). For text right-aligned in a column. */
char *format_put_seconds_before(char *end, uint64_t micros);
/* `v` in decimal with at least `min_digits` digits (<= 9), zero-padded, as
 * "%0*llu" would: at most 20 bytes. */
char *format_put_padded_uint(char *at, uint64_t v, unsigned min_digits);
/* `v` in lower-case hexadecimal with at least `min_digits` digits (<= 16),
 * as "%0*x" would: at most 16 bytes. */
char *format_put_hex(char *at, uint64_t v, unsigned min_digits);

/* "YYYY-MM-DDTHH:MM:SS" (19 bytes) of `seconds` since the epoch, as gmtime_r
 * and strftime's "%Y-%m-%dT%H:%M:%S" write it, for the years 1970 to 9999;
 * NULL, with nothing written, for any other time (the caller's to write). */
char *format_put_utc_seconds(char *at, int64_t seconds);

/*
 * Writes `value`, a count of 10^-scale_digits units, with `shown_digits`
 * decimals (<= scale_digits, <= 9), rounded half away from zero:
 * (5004123, 6, 6) -> "5.004123"; (5004123, 6, 3) -> "5.004"; (412, 3, 1) -> "0.4".
 * At most 31 bytes.
 */
char *format_put_scaled(char *at, int64_t value, unsigned scale_digits, unsigned shown_digits);

/* format_put_scaled(at, value, 3, 3): a count of thousandths with its three
 * decimals (an RTT's microseconds as milliseconds). */
char *format_put_thousandths(char *at, int64_t value);
/* format_put_scaled(at, micros, 6, 3): seconds to the millisecond, rounded
 * half away from zero (a silence). Both are on most MQTT packet lines: apart,
 * without format_put_scaled's switches. */
char *format_put_seconds3(char *at, int64_t micros);
/* format_put_scaled(at, value, 2, 2): a count of hundredths (the keepalive
 * ratio after a silence). */
char *format_put_hundredths(char *at, int64_t value);

/* A double with at most 6 decimals, trailing zeros dropped ("5", "0.0042"),
 * exactly as "%.6f" then the dropping would write it; "%.17g" from 1e15 on;
 * "null" unless finite. At most FORMAT_NUMBER_MAX - 1 bytes. */
char *format_put_double(char *at, double value);

/* format_put_scaled into `buf` (FORMAT_NUMBER_MAX bytes), NUL-terminated.
 * Returns buf. */
const char *format_scaled(char *buf, int64_t value, unsigned scale_digits,
                          unsigned shown_digits);

/* Microseconds as seconds with 6 decimals. */
const char *format_seconds6(char *buf, int64_t micros);

/* format_put_double into `buf` (FORMAT_NUMBER_MAX bytes), NUL-terminated.
 * Returns buf. */
const char *format_double(char *buf, double value);

/* How many bytes from `s` on are printable ASCII (0x20..0x7e) that both
 * outputs write as they are; when `quoted`, the run also stops at '"' and
 * '\\', which a quoted string escapes. Scans eight bytes at a time. */
size_t format_plain_ascii_run(const uint8_t *s, size_t len, bool quoted);

/* The length of the well-formed UTF-8 sequence at `s` (1..4), or 0 when the
 * byte there does not start one within `len` bytes (overlongs, surrogates and
 * code points above U+10FFFF are not well formed). */
size_t utf8_sequence_length(const uint8_t *s, size_t len);

#endif

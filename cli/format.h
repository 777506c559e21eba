/*
 * format.h - numbers and strings written the same way by the text and JSON
 * outputs: fixed decimals from integer microseconds (no binary rounding
 * surprises, so golden files are stable), UTF-8 checks for escaping.
 */
#ifndef MQTTKA_CLI_FORMAT_H
#define MQTTKA_CLI_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* Longest text format_scaled or format_double writes, NUL included. */
#define FORMAT_NUMBER_MAX 48

/*
 * Writes `value`, a count of 10^-scale_digits units, with `shown_digits`
 * decimals (<= scale_digits, <= 9), rounded half away from zero:
 * (5004123, 6, 6) -> "5.004123"; (5004123, 6, 3) -> "5.004"; (412, 3, 1) -> "0.4".
 * `buf` must hold FORMAT_NUMBER_MAX bytes. Returns buf.
 */
const char *format_scaled(char *buf, int64_t value, unsigned scale_digits,
                          unsigned shown_digits);

/* Microseconds as seconds with 6 decimals. */
const char *format_seconds6(char *buf, int64_t micros);

/* A double with at most 6 decimals, trailing zeros dropped ("5", "0.0042");
 * "null" unless finite. */
const char *format_double(char *buf, double value);

/* The length of the well-formed UTF-8 sequence at `s` (1..4), or 0 when the
 * byte there does not start one within `len` bytes (overlongs, surrogates and
 * code points above U+10FFFF are not well formed). */
size_t utf8_sequence_length(const uint8_t *s, size_t len);

#endif

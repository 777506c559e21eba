/*
 * format_inline.h - format.h's per-line numbers, inline: decimal integers,
 * seconds to the millisecond, thousandths and hundredths, none of them
 * negative.
 *
 * The text timeline writes three to five such numbers on every MQTT packet
 * line, the commonest output there is: as calls, each cost its call and the
 * caller's spills around it as much as its digits (BENCHMARKS.md, "Small
 * packets"). format.c's out-of-line functions are these same bodies, so
 * tests/cli/test_format.c, which checks those against printf, checks these.
 */
#ifndef MQTTKA_CLI_FORMAT_INLINE_H
#define MQTTKA_CLI_FORMAT_INLINE_H

#include <stdint.h>
#include <string.h>

#include "../core/compiler.h" /* ALWAYS_INLINE, RARE_INLINE */

/* "00" to "99", each pair at 2 * its value. Here, not in format.c, so that
 * this header needs nothing of the file that includes it: 201 bytes in each
 * file that uses them. */
static const char format_digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* `v` < 100: one digit or two. */
static ALWAYS_INLINE char *format_inline_under_100(char *at, uint32_t v)
{
    if (v < 10) {
        *at = (char)('0' + v);
        return at + 1;
    }
    memcpy(at, format_digit_pairs + 2 * v, 2);
    return at + 2;
}

/*
 * Digits by multiplication (James Anhalt's "jeaiii" method):
 * y = v * ceil(2^32 / 10^k) puts v / 10^k in y's high 32 bits and the rest
 * as a binary fraction in its low 32; each pair after the first is then the
 * high word of the fraction times 100. The rounded-up multiplier adds an
 * error to the fraction; while 10^k times that error stays under 2^32, it
 * never reaches a digit (tests/cli/test_format.c also tries every value
 * below 10^6 and each size's ends). A pair costs a multiply and a shift,
 * where a division by a constant costs a multiply, a shift, a multiply-back
 * and a subtraction.
 */

/* For v < 10^4: ceil(2^32 / 100) errs by under 0.04 a unit, 400 in all,
 * and 10^2 * 400 < 2^32. */
#define FORMAT_FRACTION_1E2 UINT64_C(42949673)
/* For v < 10^6: ceil(2^32 / 10^4) errs by under 0.28 a unit, 270 400 in
 * all, and 10^4 * 270 400 < 2^32. */
#define FORMAT_FRACTION_1E4 UINT64_C(429497)

/* The next two digits of a fraction `y` (low 32 bits), and y moved on. */
static inline uint64_t format_inline_next_pair(char *at, uint64_t y)
{
    y = (y & 0xffffffffu) * 100;
    memcpy(at, format_digit_pairs + 2 * (y >> 32), 2);
    return y;
}

/* `v` < 10^6 as exactly six digits, zero-padded: the microseconds of a time. */
static ALWAYS_INLINE void format_inline_six_digits(char *at, uint32_t v)
{
    uint64_t y = v * FORMAT_FRACTION_1E4;
    memcpy(at, format_digit_pairs + 2 * (y >> 32), 2);
    y = format_inline_next_pair(at + 2, y);
    format_inline_next_pair(at + 4, y);
}

/* `v` < 10^8 in decimal, as "%u" would: at most 8 bytes. Connection
 * numbers, frame numbers and sizes are nearly all so: straight-line code by
 * size, no digit count and loop. */
static ALWAYS_INLINE char *format_inline_uint_below_1e8(char *at, uint32_t x)
{
    if (x < 100)
        return format_inline_under_100(at, x);
    if (x < 10000) {
        uint64_t y = x * FORMAT_FRACTION_1E2;
        at = format_inline_under_100(at, (uint32_t)(y >> 32));
        format_inline_next_pair(at, y);
        return at + 2;
    }
    if (x < 1000000) {
        uint64_t y = x * FORMAT_FRACTION_1E4;
        at = format_inline_under_100(at, (uint32_t)(y >> 32));
        y = format_inline_next_pair(at, y);
        format_inline_next_pair(at + 2, y);
        return at + 4;
    }
    uint32_t high = x / 1000000;
    at = format_inline_under_100(at, high);
    format_inline_six_digits(at, x - high * 1000000);
    return at + 6;
}

/* `v` < 10^8 as exactly eight digits, zero-padded: two halves of four. */
static inline void format_inline_eight_digits(char *at, uint32_t v)
{
    uint32_t high = v / 10000;
    uint64_t y = high * FORMAT_FRACTION_1E2;
    memcpy(at, format_digit_pairs + 2 * (y >> 32), 2);
    format_inline_next_pair(at + 2, y);
    y = (v - high * 10000) * FORMAT_FRACTION_1E2;
    memcpy(at + 4, format_digit_pairs + 2 * (y >> 32), 2);
    format_inline_next_pair(at + 6, y);
}

/* `v` >= 10^8 in decimal: rare (byte totals, hostile lengths), so out of
 * line, as the most significant part and groups of eight digits. */
static RARE_INLINE char *format_inline_uint_wide(char *at, uint64_t v)
{
    uint64_t high = v / 100000000;
    uint32_t low = (uint32_t)(v - high * 100000000);
    if (high < 100000000) {
        at = format_inline_uint_below_1e8(at, (uint32_t)high);
    } else {
        uint64_t top = high / 100000000; /* below 1 845: 2^64 < 1.85 * 10^19 */
        at = format_inline_uint_below_1e8(at, (uint32_t)top);
        format_inline_eight_digits(at, (uint32_t)(high - top * 100000000));
        at += 8;
    }
    format_inline_eight_digits(at, low);
    return at + 8;
}

/* `v` in decimal, as "%" PRIu64 would: at most 20 bytes; inline below 10^8. */
static ALWAYS_INLINE char *format_inline_uint(char *at, uint64_t v)
{
    if (v < 100000000)
        return format_inline_uint_below_1e8(at, (uint32_t)v);
    return format_inline_uint_wide(at, v);
}

/* For v < 10^4: ceil(2^32 / 1000) errs by under 0.71 a unit, 7 040 in
 * all, and 10^3 * 7 040 < 2^32. */
#define FORMAT_FRACTION_1E3 UINT64_C(4294968)

/* A count of thousandths, not negative, with its three decimals: "1.633".
 * Silences and RTTs are nearly all under 10 s: one digit, the point and
 * three more from one multiplication. */
static ALWAYS_INLINE char *format_inline_thousandths(char *at, uint64_t magnitude)
{
    if (magnitude < 10000) {
        uint64_t y = magnitude * FORMAT_FRACTION_1E3;
        at[0] = (char)('0' + (y >> 32));
        at[1] = '.';
        y = (y & 0xffffffffu) * 10;
        at[2] = (char)('0' + (y >> 32));
        format_inline_next_pair(at + 3, y);
        return at + 5;
    }
    uint64_t whole = magnitude / 1000, fraction = magnitude - whole * 1000;
    at = format_inline_uint(at, whole);
    uint32_t hundreds = (uint32_t)fraction / 100;
    at[0] = '.';
    at[1] = (char)('0' + hundreds);
    memcpy(at + 2, format_digit_pairs + 2 * ((uint32_t)fraction - hundreds * 100), 2);
    return at + 4;
}

/* Microseconds, not negative, as seconds to the millisecond, rounded half
 * up: "5.012". (micros + 500) / 1000 is the quotient plus one when the
 * remainder is 500 or more; micros < 2^63, so the sum cannot wrap. */
static ALWAYS_INLINE char *format_inline_seconds3(char *at, uint64_t micros)
{
    return format_inline_thousandths(at, (micros + 500) / 1000);
}

/* A count of hundredths, not negative, with its two decimals: "1.00".
 * Keepalive ratios are nearly all under 10: from one multiplication. */
static ALWAYS_INLINE char *format_inline_hundredths(char *at, uint64_t value)
{
    if (value < 1000) {
        uint64_t y = value * FORMAT_FRACTION_1E2;
        at[0] = (char)('0' + (y >> 32));
        at[1] = '.';
        format_inline_next_pair(at + 2, y);
        return at + 4;
    }
    uint64_t whole = value / 100, fraction = value - whole * 100;
    at = format_inline_uint(at, whole);
    at[0] = '.';
    memcpy(at + 1, format_digit_pairs + 2 * fraction, 2);
    return at + 3;
}

#endif

/*
 * text_format.h - the part of snprintf the analyzer's texts use, without
 * snprintf's cost.
 *
 * Every connection gets a few findings and a verdict whose details are
 * formatted ("client silent 7.512 s (1.50 x keepalive 5 s) ..."): with a
 * broker's connections turning over, glibc's format parsing and its exact
 * conversion of doubles cost more than the rest of a connection's handshake.
 * text_format writes the same bytes as snprintf for the conversions below,
 * and hands any other format to vsnprintf whole:
 *
 *   %%  %s (not NULL)  %d  %u  %zu  %llu  %x  %02x  %02X
 *   %.0f %.1f %.2f %.3f   of a finite, non-negative double under 10^15
 *
 * Doubles: scaled by 10^precision in a long double of at least 64 bits of
 * mantissa, where the product of a double and a power of ten up to 1000 is
 * exact, then rounded half to even as glibc's printf rounds an exact tie;
 * where long double is narrower, they go to vsnprintf. (On x86 this counts
 * on the x87 unit computing in its full 64-bit precision, as it does on
 * Linux and the BSDs; a runtime that sets it to 53 bits would round the
 * product.)
 */
#ifndef MQTTKA_TEXT_FORMAT_H
#define MQTTKA_TEXT_FORMAT_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "compiler.h"

/* As vsnprintf: writes at most size - 1 bytes and a NUL (nothing when size
 * is 0), returns the length the whole text has. */
int text_vformat(char *buf, size_t size, const char *fmt, va_list ap);

int text_format(char *buf, size_t size, const char *fmt, ...) PRINTF_FORMAT(3, 4);

/* Copies a NUL-terminated string into `size` bytes, cut to fit. strlen and
 * memcpy, not a loop of byte copies: a ping's RTT finding copies its detail
 * this way. */
static inline void str_copy(char *dst, size_t size, const char *src)
{
    if (!size)
        return;
    size_t n = strlen(src);
    if (n > size - 1)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

#endif

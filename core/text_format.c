/*
 * text_format.c - snprintf's subset for the analyzer's texts (text_format.h).
 */
#include "text_format.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "decimal.h"

/* Where the text goes: bytes past size - 1 are counted, not written. */
typedef struct text_out {
    char *buf;
    size_t size;
    size_t len; /* the whole text's, written or not */
} text_out;

static void put_bytes(text_out *o, const char *s, size_t n)
{
    if (o->len + 1 < o->size) {
        size_t room = o->size - 1 - o->len;
        memcpy(o->buf + o->len, s, n < room ? n : room);
    }
    o->len += n;
}

static void put_u64(text_out *o, uint64_t v)
{
    char digits[DECIMAL_U64_MAX_DIGITS];
    put_bytes(o, digits, decimal_put_u64(digits, v));
}

static void put_hex(text_out *o, uint64_t v, size_t min_digits, bool upper)
{
    const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char digits[16];
    size_t n = 0;
    do {
        digits[sizeof digits - 1 - n++] = hex[v & 0xf];
        v >>= 4;
    } while (v);
    while (n < min_digits)
        digits[sizeof digits - 1 - n++] = '0';
    put_bytes(o, digits + sizeof digits - n, n);
}

/* `v` with `precision` (0-3) decimals; false when snprintf must do it. */
static bool put_fixed(text_out *o, double v, unsigned precision)
{
#if LDBL_MANT_DIG >= 64
    /* NaN fails the comparisons; -0.0 passes them but prints "-0". */
    if (!(v >= 0.0 && v < 1e15) || signbit(v))
        return false;
    static const uint64_t scale[] = {1, 10, 100, 1000};
    /* 53 bits of v times at most 7 significant bits of 1000: exact. */
    long double scaled = (long double)v * (long double)scale[precision];
    uint64_t whole = (uint64_t)scaled; /* < 10^18 */
    long double rest = scaled - (long double)whole; /* exact */
    if (rest > 0.5L || (rest == 0.5L && (whole & 1)))
        whole++;
    put_u64(o, whole / scale[precision]);
    if (precision) {
        char fraction[3];
        decimal_put_padded(fraction, whole % scale[precision], precision);
        put_bytes(o, ".", 1);
        put_bytes(o, fraction, precision);
    }
    return true;
#else
    (void)o, (void)v, (void)precision;
    return false;
#endif
}

/* Writes one conversion (after its '%') and advances *fmt past it; false
 * when it is not one of text_format.h's. */
static bool put_conversion(text_out *o, const char **fmt, va_list *ap)
{
    const char *p = *fmt;
    switch (*p) {
    case '%': put_bytes(o, "%", 1); p += 1; break;
    case 's': {
        const char *s = va_arg(*ap, const char *);
        if (!s)
            return false; /* glibc's "(null)" is snprintf's business */
        put_bytes(o, s, strlen(s));
        p += 1;
        break;
    }
    case 'd': {
        int v = va_arg(*ap, int);
        if (v < 0) {
            put_bytes(o, "-", 1);
            put_u64(o, (uint64_t)-(int64_t)v);
        } else {
            put_u64(o, (uint64_t)v);
        }
        p += 1;
        break;
    }
    case 'u': put_u64(o, va_arg(*ap, unsigned)); p += 1; break;
    case 'x': put_hex(o, va_arg(*ap, unsigned), 1, false); p += 1; break;
    case 'z':
        if (p[1] != 'u')
            return false;
        put_u64(o, va_arg(*ap, size_t));
        p += 2;
        break;
    case 'l':
        if (p[1] != 'l' || p[2] != 'u')
            return false;
        put_u64(o, va_arg(*ap, unsigned long long));
        p += 3;
        break;
    case '0':
        if (p[1] != '2' || (p[2] != 'x' && p[2] != 'X'))
            return false;
        put_hex(o, va_arg(*ap, unsigned), 2, p[2] == 'X');
        p += 3;
        break;
    case '.':
        if (p[1] < '0' || p[1] > '3' || p[2] != 'f')
            return false;
        if (!put_fixed(o, va_arg(*ap, double), (unsigned)(p[1] - '0')))
            return false;
        p += 3;
        break;
    default: return false;
    }
    *fmt = p;
    return true;
}

int text_vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
    text_out o = {buf, size, 0};
    /* Conversions read a copy: `ap` stays whole for vsnprintf. */
    va_list args;
    va_copy(args, ap);
    bool ours = true;
    const char *p = fmt;
    while (ours && *p) {
        const char *percent = strchr(p, '%');
        size_t literal = percent ? (size_t)(percent - p) : strlen(p);
        put_bytes(&o, p, literal);
        if (!percent)
            break;
        p = percent + 1;
        ours = put_conversion(&o, &p, &args);
    }
    va_end(args);
    if (!ours || o.len > INT32_MAX)
        return vsnprintf(buf, size, fmt, ap);
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int text_format(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = text_vformat(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

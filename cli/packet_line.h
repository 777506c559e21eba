/*
 * packet_line.h - an MQTT packet's timeline line of the commonest shape,
 * written in one pass:
 *
 *        5.014649 #1 C>S  PINGREQ  silence 5.012s (1.00 KA)  frame 7299
 *
 * (output_text.c has the format; this writes the same bytes). Nearly every
 * line of a timeline is such a line, and most of a keepalive-heavy run's
 * output cost: here the whole line is one reservation of the line buffer
 * and one function with its numbers inline, where the general writer takes
 * a call per part (the head, each number, the keepalive ratio) and the
 * register saves around each (BENCHMARKS.md, "Small packets").
 *
 * The time column is shared with output_text.c's heads: a line in the same
 * second as the one before copies the column and writes only its decimals.
 */
#ifndef MQTTKA_CLI_PACKET_LINE_H
#define MQTTKA_CLI_PACKET_LINE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "format.h"
#include "format_inline.h"
#include "output.h"

/* Relative times below this many microseconds (10 000 s) fit the 11
 * columns "dddd.dddddd" with their padding, and take the cached column. */
#define PACKET_LINE_COLUMN_LIMIT ((mqttka_time)10000 * 1000000)

/*
 * The 11 columns of a relative time `micros` (< PACKET_LINE_COLUMN_LIMIT),
 * right-aligned, at `p`; returns p + 11. Writes 16 bytes (the column's
 * copy), so `p` needs that much room. Lines come many to a second: the
 * columns up to the point are kept from the line before while its whole
 * seconds hold (told by a subtraction, not a division), and only the six
 * decimals are written (right to left
 * straight into the columns: formatted apart and copied, the time was read
 * back in wide loads from narrow stores, which stall).
 */
static inline char *packet_line_time_column(char *p, output_state *o, uint64_t micros)
{
    uint64_t into = micros - o->time_column_from; /* modulo 2^64: huge when before */
    if (into >= 1000000) {
        uint64_t from = micros / 1000000 * 1000000;
        memset(o->time_column, ' ', sizeof o->time_column);
        format_put_seconds_before(o->time_column + 11, from);
        o->time_column_from = from;
        into = micros - from;
    }
    memcpy(p, o->time_column, sizeof o->time_column);
    format_inline_six_digits(p + 5, (uint32_t)into);
    return p + 11;
}

/*
 * Writes the line of the MQTT packet event `ev` into `o`'s line buffer and
 * returns true when it has the common shape: the relative time format, a
 * time from the capture's start below 10 000 s, a type in the names table,
 * and no CONNECT, CONNACK or reason code to describe. Otherwise writes
 * nothing and returns false: the caller writes it the general way.
 */
bool packet_line_write(output_state *o, const mqttka_event *ev);

#endif

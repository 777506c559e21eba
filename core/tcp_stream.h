/*
 * tcp_stream.h - reassembly of one direction of a TCP connection.
 *
 * Bytes come out in sequence order exactly once, whatever order the segments
 * were captured in: retransmissions and overlaps are trimmed (the first copy
 * captured wins), out-of-order segments wait in a bounded queue, and a hole
 * that will never be filled is reported as a gap so the consumer can
 * resynchronise or give up instead of decoding garbage.
 *
 * Sequence numbers are compared modulo 2^32 (RFC 793 §3.3; RFC 1982 serial
 * arithmetic), so streams that wrap around are handled.
 */
#ifndef MQTTKA_TCP_STREAM_H
#define MQTTKA_TCP_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the consumer of a direction receives. Both pointers are borrowed for
 * the duration of the call. `gap` says `missing` bytes (0 when the size is
 * unknown) are absent from the stream at this point; data continues after it. */
typedef struct tcp_stream_sink {
    void (*data)(void *ctx, const uint8_t *bytes, size_t len);
    void (*gap)(void *ctx, uint64_t missing);
} tcp_stream_sink;

typedef struct tcp_stream_limits {
    size_t max_ooo_segments;   /* per direction */
    size_t max_ooo_bytes;      /* per direction */
    size_t max_total_bytes;    /* across every stream sharing *total_bytes */
    size_t *total_bytes;       /* shared counter of queued bytes; may be NULL */
} tcp_stream_limits;

typedef struct tcp_ooo_segment tcp_ooo_segment; /* private */

/* The queue is counted in 16 and 32 bits, so that a direction's state is
 * 24 bytes (two per flow, a hundred thousand flows in a broker capture):
 * caps above these are read as these. */
#define TCP_OOO_SEGMENTS_MAX UINT16_MAX
#define TCP_OOO_BYTES_MAX UINT32_MAX

typedef struct tcp_stream {
    tcp_ooo_segment *ooo;  /* queued segments, sorted by seq */
    uint32_t next_seq;     /* sequence number of the next byte to deliver */
    uint32_t fin_seq;      /* sequence number of the FIN, if fin_seen */
    uint32_t ooo_bytes;    /* at most TCP_OOO_BYTES_MAX */
    uint16_t ooo_count;    /* at most TCP_OOO_SEGMENTS_MAX */
    bool started;          /* next_seq is known */
    bool fin_seen;
} tcp_stream;

typedef enum tcp_push_result {
    TCP_PUSH_OK = 0,
    TCP_PUSH_LIMIT,   /* a cap forced a gap (the consumer got sink->gap) */
    TCP_PUSH_NOMEM,   /* could not queue: treated as a gap as well */
} tcp_push_result;

void tcp_stream_init(tcp_stream *s);

/* Feeds one segment of this direction. `syn` sets the initial sequence
 * number (data starts at seq + 1). Without a SYN, the first segment seen
 * starts the stream. `captured` bytes are present at `payload`; `wire` >=
 * `captured` is the segment's length on the wire: the difference is a gap.
 * In-order data (and whatever queued data it makes contiguous) is delivered
 * through `sink` before the call returns. */
tcp_push_result tcp_stream_push(tcp_stream *s, const tcp_stream_limits *lim,
                                uint32_t seq, bool syn, bool fin,
                                const uint8_t *payload, size_t captured, size_t wire,
                                const tcp_stream_sink *sink, void *ctx);

/* The peer's SYN-ACK acknowledged `seq` (this side's ISN + 1) before this
 * side's SYN was seen: the stream's data starts there, so that bytes
 * missing before this side's first captured segment are a gap, not the
 * stream's start. Does nothing once the stream has started. */
void tcp_stream_expect(tcp_stream *s, uint32_t seq);

/* The peer acknowledged everything before `ack`. If that is beyond what we
 * delivered, the capture missed bytes the receiver got: report the gap now
 * and deliver whatever queued data follows it. */
void tcp_stream_acked(tcp_stream *s, uint32_t ack, const tcp_stream_sink *sink, void *ctx);

/* Would tcp_stream_acked(s, ack) declare a gap now? (The ACK covers bytes
 * not delivered yet, within any window.) */
bool tcp_stream_ack_ahead(const tcp_stream *s, uint32_t ack);

/* End of the connection or of the capture: deliver every queued segment,
 * with a gap before each hole. */
void tcp_stream_flush(tcp_stream *s, const tcp_stream_sink *sink, void *ctx, const tcp_stream_limits *lim);

/* Has the stream delivered everything up to its FIN? */
bool tcp_stream_complete(const tcp_stream *s);

/* Where the stream's data ends as far as it is known: next_seq, when the
 * stream has started and holds nothing queued beyond it. */
bool tcp_stream_data_end(const tcp_stream *s, uint32_t *end);

/* The FIN at `seq` that the capture missed (the peer acknowledged it):
 * nothing at or after it is data. */
void tcp_stream_fin_at(tcp_stream *s, uint32_t seq);

/* Releases queued segments (and their share of *lim->total_bytes). */
void tcp_stream_free(tcp_stream *s, const tcp_stream_limits *lim);

#endif

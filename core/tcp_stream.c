/*
 * tcp_stream.c - reassembly of one direction of a TCP connection.
 *
 * Implements the receive side of the TCP sequence space, RFC 9293 §3.4
 * (formerly RFC 793 §3.3), as seen by a passive observer:
 *
 *          1            2                3                 4
 *     ----------|--------------|-----------------|-----------------
 *            delivered     next_seq      out-of-order queue  fin_seq
 *
 *     1 - bytes already handed to the sink
 *     2 - next_seq: the next byte the sink expects
 *     3 - bytes captured ahead of a hole, waiting in a sorted queue
 *     4 - the FIN occupies one sequence number; nothing after it is data
 *
 * A SYN occupies one sequence number too, so data starts at ISN + 1
 * (RFC 9293 §3.4.1). Sequence numbers are 32-bit and wrap: they are only
 * ever compared through their signed difference (RFC 1982 serial number
 * arithmetic), which is sound while the two values are less than 2^31
 * apart. TCP_SEQ_MAX_AHEAD keeps every value we compare well inside that.
 *
 * The observer may see segments in any order, twice, overlapping, cut short
 * by the snap length, or not at all. The rules:
 *   - the first copy of a byte that is captured wins (later copies are
 *     trimmed, whether the first copy was delivered or is still queued);
 *   - a hole that will never be filled (a cap was hit, the receiver
 *     acknowledged past it, the capture ends) becomes sink->gap();
 *   - a segment cut by the snap length claims its whole wire range: its
 *     missing tail is a gap even if a later copy has those bytes, because
 *     an in-order segment is delivered at once and cannot wait for one.
 *
 * Memory: one malloc per queued range, of its captured length, which is
 * bounded by the capture record (never by a length read from the wire).
 * The per-direction and shared caps in tcp_stream_limits bound the queue.
 */
#include "tcp_stream.h"

#include <stdlib.h>
#include <string.h>

#include "compiler.h"

/* Longest distance ahead of next_seq that we believe, in sequence numbers.
 * The largest window TCP can advertise is 2^30 bytes (RFC 7323 §2.3), so a
 * sender never has more than that in flight: a segment or ACK further
 * ahead is corrupt or belongs to another connection. Keeping every offset
 * and length below 2^30 also keeps seq + len within 2^31 of next_seq, where
 * serial-number comparisons are unambiguous. */
#define TCP_SEQ_MAX_AHEAD ((uint32_t)1 << 30)

/* One queued range of the sequence space: [seq, seq + wire), of which the
 * first `len` bytes were captured and are stored in `data`. Queued ranges
 * never overlap and are kept sorted by seq. */
struct tcp_ooo_segment {
    tcp_ooo_segment *next;
    uint32_t seq;
    size_t wire;          /* sequence numbers covered, len <= wire */
    size_t len;           /* captured bytes in data[] */
    size_t *charged_to;   /* shared counter this range was added to, or NULL */
    uint8_t data[];
};

/* a < b in sequence space */
static bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }

/* Distance from `from` forward to `to`, for to at or after from. */
static size_t seq_dist(uint32_t from, uint32_t to) { return (size_t)(uint32_t)(to - from); }

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

static void emit_data(const tcp_stream_sink *sink, void *ctx, const uint8_t *bytes, size_t len)
{
    if (len > 0 && sink && sink->data)
        sink->data(ctx, bytes, len);
}

static void emit_gap(const tcp_stream_sink *sink, void *ctx, uint64_t missing)
{
    /* A gap of 0 would mean "size unknown" to the consumer; we always know
     * the size, and an empty gap is no gap at all. */
    if (missing > 0 && sink && sink->gap)
        sink->gap(ctx, missing);
}

/* Unlinks and frees the head of the queue, keeping every counter exact. */
static void drop_head(tcp_stream *s)
{
    tcp_ooo_segment *q = s->ooo;
    s->ooo = q->next;
    s->ooo_count--;
    s->ooo_bytes -= (uint32_t)q->len;
    if (q->charged_to)
        *q->charged_to -= q->len;
    free(q);
}

/* Hands the sink the range [next_seq, next_seq + wire) whose first
 * `captured` bytes are at `bytes`; the rest is a gap. Nothing at or beyond
 * the FIN is delivered. */
static void deliver(tcp_stream *s, const uint8_t *bytes, size_t captured, size_t wire,
                    const tcp_stream_sink *sink, void *ctx)
{
    if (s->fin_seen) {
        if (!seq_lt(s->next_seq, s->fin_seq))
            return;
        wire = min_size(wire, seq_dist(s->next_seq, s->fin_seq));
        captured = min_size(captured, wire);
    }
    emit_data(sink, ctx, bytes, captured);
    emit_gap(sink, ctx, wire - captured);
    s->next_seq += (uint32_t)wire;
}

/* Delivers queued ranges that next_seq has reached, and frees them. */
static void drain(tcp_stream *s, const tcp_stream_sink *sink, void *ctx)
{
    while (s->ooo && !seq_lt(s->next_seq, s->ooo->seq)) {
        tcp_ooo_segment *q = s->ooo;
        size_t skip = seq_dist(q->seq, s->next_seq);
        /* Queued ranges start after next_seq when queued and next_seq only
         * moves onto them, so skip is 0; the trim is there so that a range
         * next_seq jumped into can never be delivered twice. */
        if (skip < q->wire) {
            size_t from = min_size(skip, q->len);
            deliver(s, q->data + from, q->len - from, q->wire - skip, sink, ctx);
        }
        drop_head(s);
    }
}

/* Declares [next_seq, target) lost: reports the gap, moves next_seq to
 * target and delivers whatever queued data that makes contiguous. */
static void skip_to(tcp_stream *s, uint32_t target, const tcp_stream_sink *sink, void *ctx)
{
    if (seq_lt(s->next_seq, target)) {
        emit_gap(sink, ctx, seq_dist(s->next_seq, target));
        s->next_seq = target;
    }
    drain(s, sink, ctx);
}

/* Finds the next part of [*pos, end) that no queued range covers, starting
 * the walk at *link. Returns its length (0 when there is none left); *pos is
 * its start and *link the place to insert it so the queue stays sorted. */
static size_t next_uncovered(tcp_ooo_segment ***link, uint32_t *pos, uint32_t end)
{
    for (;;) {
        if (!seq_lt(*pos, end))
            return 0;
        tcp_ooo_segment *q = **link;
        if (!q || !seq_lt(q->seq, end))
            return seq_dist(*pos, end);
        if (seq_lt(*pos, q->seq))
            return seq_dist(*pos, q->seq);
        uint32_t q_end = q->seq + (uint32_t)q->wire;
        if (seq_lt(*pos, q_end))
            *pos = q_end; /* covered by a copy captured earlier: it wins */
        *link = &q->next;
    }
}

/* Captured bytes of the segment [seg_seq, ...) that fall in [pos, pos + n):
 * the capture keeps a prefix, so they are a prefix of that piece too. */
static size_t captured_in(uint32_t seg_seq, size_t captured, uint32_t pos, size_t n)
{
    size_t offset = seq_dist(seg_seq, pos);
    return offset >= captured ? 0 : min_size(n, captured - offset);
}

/* Queues the parts of a segment that lie ahead of next_seq and that no
 * queued range already covers (the earlier copy wins). Returns
 * TCP_PUSH_LIMIT, without queuing anything, when that would break a cap;
 * TCP_PUSH_NOMEM when an allocation fails (the pieces queued before it
 * stay queued and accounted). */
static tcp_push_result enqueue(tcp_stream *s, const tcp_stream_limits *lim, uint32_t seq,
                               const uint8_t *payload, size_t captured, size_t wire)
{
    uint32_t end = seq + (uint32_t)wire;
    size_t pieces = 0, bytes = 0, n;

    tcp_ooo_segment **link = &s->ooo;
    uint32_t pos = seq;
    while ((n = next_uncovered(&link, &pos, end)) > 0) {
        pieces++;
        bytes += captured_in(seq, captured, pos, n);
        pos += (uint32_t)n;
    }
    if (pieces == 0)
        return TCP_PUSH_OK; /* every byte is already queued */

    /* No limits means no room: queuing without a cap is what the caps exist
     * to prevent. */
    if (!lim)
        return TCP_PUSH_LIMIT;
    size_t max_segments = min_size(lim->max_ooo_segments, TCP_OOO_SEGMENTS_MAX);
    size_t max_bytes = min_size(lim->max_ooo_bytes, TCP_OOO_BYTES_MAX);
    if (s->ooo_count > max_segments || pieces > max_segments - s->ooo_count)
        return TCP_PUSH_LIMIT;
    if (s->ooo_bytes > max_bytes || bytes > max_bytes - s->ooo_bytes)
        return TCP_PUSH_LIMIT;
    size_t *total = lim->total_bytes;
    if (total && (*total > lim->max_total_bytes || bytes > lim->max_total_bytes - *total))
        return TCP_PUSH_LIMIT;

    link = &s->ooo;
    pos = seq;
    while ((n = next_uncovered(&link, &pos, end)) > 0) {
        size_t len = captured_in(seq, captured, pos, n);
        tcp_ooo_segment *q = malloc(sizeof *q + len); /* len < 2^30: cannot overflow */
        if (!q)
            return TCP_PUSH_NOMEM;
        q->seq = pos;
        q->wire = n;
        q->len = len;
        /* Remembered per range because tcp_stream_acked() frees ranges and
         * is not given the limits. */
        q->charged_to = total;
        if (len > 0)
            memcpy(q->data, payload + seq_dist(seq, pos), len);
        q->next = *link;
        *link = q;
        link = &q->next;
        s->ooo_count++;
        s->ooo_bytes += (uint32_t)len; /* within max_bytes, checked above */
        if (total)
            *total += len;
        pos += (uint32_t)n;
    }
    return TCP_PUSH_OK;
}

/* Frees queued ranges that start at or after the FIN: they can never be
 * data. A range that straddles it is clipped when delivered. */
static void drop_beyond_fin(tcp_stream *s)
{
    tcp_ooo_segment **link = &s->ooo;
    while (*link && seq_lt((*link)->seq, s->fin_seq))
        link = &(*link)->next;
    while (*link) {
        tcp_ooo_segment *q = *link;
        *link = q->next;
        s->ooo_count--;
        s->ooo_bytes -= (uint32_t)q->len;
        if (q->charged_to)
            *q->charged_to -= q->len;
        free(q);
    }
}

void tcp_stream_init(tcp_stream *s)
{
    *s = (tcp_stream){0};
}

void tcp_stream_expect(tcp_stream *s, uint32_t seq)
{
    if (s->started)
        return;
    s->started = true;
    s->next_seq = seq;
}

static tcp_push_result push_any(tcp_stream *s, const tcp_stream_limits *lim, uint32_t seq,
                                bool syn, bool fin, const uint8_t *payload, size_t captured,
                                size_t wire, const tcp_stream_sink *sink, void *ctx);

tcp_push_result tcp_stream_push(tcp_stream *s, const tcp_stream_limits *lim,
                                uint32_t seq, bool syn, bool fin,
                                const uint8_t *payload, size_t captured, size_t wire,
                                const tcp_stream_sink *sink, void *ctx)
{
    /* The commonest segment: the next bytes of a started stream, nothing
     * queued, no SYN or FIN, none known. push_any would deliver it whole
     * from the caller's buffer too, after the tests this shape passes. */
    if (FAST_PATHS && seq == s->next_seq && s->started && !s->ooo && !s->fin_seen && !syn && !fin &&
        wire < TCP_SEQ_MAX_AHEAD) {
        deliver(s, payload, min_size(captured, wire), wire, sink, ctx);
        if (s->ooo)
            drain(s, sink, ctx);
        return TCP_PUSH_OK;
    }
    return push_any(s, lim, seq, syn, fin, payload, captured, wire, sink, ctx);
}

/* tcp_stream_push for any segment (out of line: its queueing makes it a
 * large function, with a large prologue, that few segments need). */
static OUT_OF_LINE tcp_push_result push_any(tcp_stream *s, const tcp_stream_limits *lim,
                                            uint32_t seq, bool syn, bool fin,
                                            const uint8_t *payload, size_t captured, size_t wire,
                                            const tcp_stream_sink *sink, void *ctx)
{
    tcp_push_result result = TCP_PUSH_OK;

    /* Bytes captured beyond the TCP length are not stream data (Ethernet
     * pads short frames to 60 bytes): the wire length is authoritative. */
    captured = min_size(captured, wire);
    if (wire >= TCP_SEQ_MAX_AHEAD)
        return TCP_PUSH_OK; /* no TCP segment is that long: garbage */

    /* The SYN's own sequence number carries no data. */
    uint32_t data_seq = syn ? seq + 1 : seq;
    if (!s->started) {
        if (!syn && wire == 0 && !fin)
            return TCP_PUSH_OK; /* a bare ACK says nothing about our sequence space */
        s->started = true;
        s->next_seq = data_seq;
    }
    /* A retransmitted SYN (or one from a reused port) after the stream
     * started only matters for any data it carries, trimmed like any other. */

    if (!seq_lt(data_seq, s->next_seq) &&
        seq_dist(s->next_seq, data_seq) >= TCP_SEQ_MAX_AHEAD)
        return TCP_PUSH_OK; /* beyond any window the receiver can offer */

    if (fin && !s->fin_seen) {
        s->fin_seen = true;
        s->fin_seq = data_seq + (uint32_t)wire;
        drop_beyond_fin(s);
    }
    if (s->fin_seen) {
        if (!seq_lt(data_seq, s->fin_seq))
            return TCP_PUSH_OK; /* after the FIN: not data */
        wire = min_size(wire, seq_dist(data_seq, s->fin_seq));
        captured = min_size(captured, wire);
    }

    for (;;) {
        /* Trim what was already delivered: a retransmission, or the
         * remainder of this segment after queued data took over. */
        if (seq_lt(data_seq, s->next_seq)) {
            size_t old = seq_dist(data_seq, s->next_seq);
            if (old >= wire)
                return result;
            size_t old_captured = min_size(old, captured);
            if (old_captured > 0)
                payload += old_captured;
            captured -= old_captured;
            wire -= old;
            data_seq = s->next_seq;
        }
        if (wire == 0)
            return result;

        if (data_seq == s->next_seq) {
            /* In order: deliver from the caller's buffer, up to the first
             * queued range, whose earlier copy wins over ours. */
            size_t now = wire;
            if (s->ooo && seq_lt(s->ooo->seq, data_seq + (uint32_t)wire))
                now = seq_dist(data_seq, s->ooo->seq);
            deliver(s, payload, min_size(captured, now), now, sink, ctx);
            if (s->ooo) /* nearly always empty: no call then */
                drain(s, sink, ctx);
            continue; /* the part after the queued data, if any */
        }

        tcp_push_result queued = enqueue(s, lim, data_seq, payload, captured, wire);
        if (queued == TCP_PUSH_OK)
            return result;
        if (result != TCP_PUSH_NOMEM)
            result = queued;
        /* No room: the hole before the first thing we hold will never be
         * filled, declare it lost. This moves next_seq strictly forward, so
         * the loop ends: either this segment becomes in order or the queue
         * shrinks enough to take it. */
        uint32_t target = data_seq;
        if (s->ooo && seq_lt(s->ooo->seq, target))
            target = s->ooo->seq;
        skip_to(s, target, sink, ctx);
    }
}

bool tcp_stream_ack_ahead(const tcp_stream *s, uint32_t ack)
{
    return s->started && seq_lt(s->next_seq, ack) &&
           seq_dist(s->next_seq, ack) <= TCP_SEQ_MAX_AHEAD;
}

void tcp_stream_acked(tcp_stream *s, uint32_t ack, const tcp_stream_sink *sink, void *ctx)
{
    if (!s->started || !seq_lt(s->next_seq, ack))
        return;
    if (seq_dist(s->next_seq, ack) > TCP_SEQ_MAX_AHEAD)
        return; /* further than any window: a corrupt or foreign ACK */

    /* The ACK of a FIN is fin_seq + 1; the FIN is not a data byte. */
    uint32_t limit = ack;
    if (s->fin_seen && seq_lt(s->fin_seq, limit))
        limit = s->fin_seq;

    while (seq_lt(s->next_seq, limit)) {
        uint32_t target = limit;
        if (s->ooo && seq_lt(s->ooo->seq, target))
            target = s->ooo->seq;
        skip_to(s, target, sink, ctx);
    }
}

void tcp_stream_flush(tcp_stream *s, const tcp_stream_sink *sink, void *ctx,
                      const tcp_stream_limits *lim)
{
    /* Each range releases the counter it was charged to (see enqueue), which
     * is lim->total_bytes when the caller is consistent. */
    (void)lim;
    while (s->ooo)
        skip_to(s, s->ooo->seq, sink, ctx);
    /* Bytes between the last data and a FIN we saw were sent but never
     * captured: that is a gap too, not a clean end of stream. */
    if (s->fin_seen && s->started)
        skip_to(s, s->fin_seq, sink, ctx);
}

bool tcp_stream_complete(const tcp_stream *s)
{
    return s->started && s->fin_seen && s->next_seq == s->fin_seq;
}

bool tcp_stream_data_end(const tcp_stream *s, uint32_t *end)
{
    if (!s->started || s->ooo)
        return false;
    *end = s->next_seq;
    return true;
}

void tcp_stream_fin_at(tcp_stream *s, uint32_t seq)
{
    if (s->fin_seen)
        return;
    s->fin_seen = true;
    s->fin_seq = seq;
    drop_beyond_fin(s);
}

void tcp_stream_free(tcp_stream *s, const tcp_stream_limits *lim)
{
    (void)lim; /* as in tcp_stream_flush */
    while (s->ooo)
        drop_head(s);
}

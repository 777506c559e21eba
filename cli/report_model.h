/*
 * report_model.h - what the HTML report keeps of the core's events, and no
 * more than it draws (--report, cli/report_html.h).
 *
 * The report is built from the very events the text and JSON outputs write
 * (analysis_on_event hands each one to report_event), never from a second
 * analysis. While a connection is open it collects what its timeline needs:
 * its MQTT packets and WebSocket control frames (the first
 * REPORT_HEAD_ITEMS and the last REPORT_TAIL_ITEMS; the middle of a very
 * busy connection is counted, not kept) and its findings with their text
 * (the first REPORT_FINDINGS_MAX; per-ping pingresp_rtt findings are drawn
 * as the ping pairs they describe). At its summary the connection becomes a
 * row; the `limits.rows` most troubled rows are kept, and the `limits.detail`
 * most troubled of those keep their timelines; everything else is freed,
 * leaving only counts (verdicts, finding kinds, the strip chart's time bins,
 * the RTT histogram, the per-client table, whose size is capped too).
 *
 * Memory, with the defaults: about 300 bytes per open connection (its
 * report_conn and table slot), plus its items and findings, all of which
 * come out of one budget (limits.item_budget, 64 MiB): a connection that
 * would grow past it keeps recording into the tail it already has, and a
 * connection that has none when the budget is spent keeps no timeline (the
 * page says how many). Closed connections: at most `rows` report_conns and
 * `rows` client entries (10 000 each: a few MiB).
 */
#ifndef MQTTKA_CLI_REPORT_MODEL_H
#define MQTTKA_CLI_REPORT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqttka.h"

/* Items kept from a connection's start, and before its end. A timeline is
 * about 1 000 pixels wide: more marks than this are a smear, and what
 * matters most (the first pings, the last ones and the close) is kept. */
#define REPORT_HEAD_ITEMS 256u
#define REPORT_TAIL_ITEMS 1024u
/* Findings kept with their text per connection (the summary's own cap is
 * 32 by default). A connection that repeats a finding thousands of times
 * is told by its counts; its first findings are the ones that explain. */
#define REPORT_FINDINGS_MAX 32u
/* Bytes of items and findings all connections may hold at once. */
#define REPORT_ITEM_BUDGET_DEFAULT ((size_t)64 << 20)
/* Defaults of --report-detail and --report-rows, and their largest values:
 * a page past ~100 000 table rows no longer opens in a browser. */
#define REPORT_DETAIL_DEFAULT 25u
#define REPORT_ROWS_DEFAULT 10000u
#define REPORT_DETAIL_MAX 1000u
#define REPORT_ROWS_MAX 100000u

/* The strip chart's time bins (one per 2 pixels). Their width starts at
 * REPORT_STRIP_FIRST_WIDTH and doubles, merging neighbours, whenever a
 * connection ends past the last bin, so the bins always cover the capture,
 * however long, with no knowledge of its end. */
#define REPORT_STRIP_BINS 512u
#define REPORT_STRIP_FIRST_WIDTH 10000 /* microseconds */

/* The RTT histogram: 4 bins per decade from 1 us to 100 s, plus one below
 * and one above. */
#define REPORT_RTT_PER_DECADE 4u
#define REPORT_RTT_DECADES 8u
#define REPORT_RTT_BINS (REPORT_RTT_PER_DECADE * REPORT_RTT_DECADES + 2u)

typedef enum report_item_kind {
    REPORT_ITEM_MQTT = 0,
    REPORT_ITEM_WS_CONTROL,
    REPORT_ITEM_HANDSHAKE,
} report_item_kind;

/* One mark on a timeline: 32 bytes. */
typedef struct report_item {
    mqttka_time ts;
    uint64_t frame;
    uint64_t pair_frame;  /* PINGRESP: its PINGREQ's frame; else 0 */
    int32_t value;        /* PINGRESP: RTT in us (saturated); WS Close: its code
                             or -1; handshake: the HTTP status */
    uint8_t kind;         /* report_item_kind */
    uint8_t dir;          /* mqttka_direction */
    uint8_t type;         /* MQTT packet type, WS opcode */
    uint8_t flags;        /* MQTT: the fixed header's low nibble; handshake: upgraded */
} report_item;

typedef struct report_finding {
    mqttka_time ts;
    uint64_t frame;
    uint64_t reported_frame;
    uint16_t kind;        /* mqttka_finding_kind */
    uint8_t severity;
    uint8_t dir;
    char *detail;         /* owned, NUL-terminated */
} report_finding;

enum { REPORT_CLIENT_OTHER = -1, REPORT_CLIENT_NONE = -2 };

/* One connection: open (collecting), or closed (a row, perhaps with its
 * timeline). */
typedef struct report_conn {
    uint64_t id;
    /* Who it is, refreshed from the events' mqttka_connection. */
    mqttka_endpoint client, server;
    uint8_t transport;
    uint8_t mqtt_level;
    bool ws_upgraded;
    /* False for a connection the capture joined after its start (issue 13
     * adds start_seen to the core's summary; until then every connection
     * was seen from its start). Its timeline then opens on a torn edge. */
    bool start_seen;
    int32_t keepalive, server_keepalive, effective_keepalive;
    mqttka_time start, end;
    uint64_t first_frame, last_frame;
    char client_id[MQTTKA_CLIENT_ID_SIZE];
    char ws_subprotocol[MQTTKA_WS_SUBPROTOCOL_SIZE];

    /* The timeline: head[0..n_head) then the ring tail (oldest at
     * tail_start when full). items_dropped counts what fell between the
     * two, from dropped_from to dropped_to. */
    report_item *head;
    report_item *tail;
    uint32_t n_head, cap_head;
    uint32_t n_tail, cap_tail, tail_start;
    bool detail_starved;      /* the budget refused this connection items */
    uint64_t items_dropped;
    mqttka_time dropped_from, dropped_to;
    report_finding *findings;
    uint32_t n_findings, cap_findings;
    uint32_t findings_dropped;  /* not kept (over REPORT_FINDINGS_MAX or the budget) */
    uint32_t severity_count[3]; /* every finding but pingresp_rtt, kept or not */
    size_t bytes;               /* of items and findings, charged to the budget */

    /* From the summary (closed), or so far (open). */
    bool closed;
    uint32_t packets[2];        /* MQTT packets per direction */
    uint32_t pingreq, pingresp, unanswered;
    uint32_t rtt_count;
    mqttka_time rtt_min, rtt_median, rtt_p95, rtt_max;
    mqttka_time max_client_silence;
    uint8_t close_initiator;    /* mqttka_side */
    uint8_t close_mechanism;    /* mqttka_close_mechanism */
    uint8_t verdict;            /* mqttka_verdict */
    int32_t ws_close_code;
    int32_t disconnect_reason;
    mqttka_time close_ts;
    uint64_t close_frame;
    char *verdict_detail;       /* owned; NULL while open */
    mqttka_time last_client_packet; /* open: silence so far */

    uint64_t score;             /* report_conn_score; higher is worse */
    int32_t client_index;       /* in the clients table; REPORT_CLIENT_OTHER the
                                   "other" row; REPORT_CLIENT_NONE not yet counted */
    int32_t heap_pos[2];        /* in the rows and detail heaps; -1 outside */
} report_conn;

/* An indexed binary min-heap of connections, least troubled on top. */
typedef struct report_heap {
    report_conn **a;
    size_t n, cap;
    int which;                  /* the heap_pos slot it maintains */
} report_heap;

/* One client: a client id, or the client's address when the id is empty
 * or unknown (then `by_address`). */
typedef struct report_client {
    char key[MQTTKA_CLIENT_ID_SIZE];
    bool by_address;
    uint32_t connections;
    uint32_t open;
    uint32_t verdicts[MQTTKA_V_COUNT];
    uint32_t unanswered;
    uint32_t warn, error;
    mqttka_time first, last;    /* first and last connection start */
    uint64_t worst_score;
    uint64_t worst_conn;
} report_client;

typedef struct report_limits {
    size_t detail;       /* connections drawn in detail (--report-detail) */
    size_t rows;         /* connections and clients listed (--report-rows) */
    size_t item_budget;  /* bytes of items and findings at once */
} report_limits;

typedef struct report_model {
    report_limits limits;

    /* Open connections by id: open addressing, linear probing. */
    report_conn **open;
    size_t open_cap, n_open;

    report_heap rows;    /* closed connections listed */
    report_heap detail;  /* of those, the ones with their timeline */
    uint64_t closed;     /* connections closed in all */
    uint64_t unlisted;   /* closed and freed: counted only */

    size_t item_bytes;   /* charged to the budget now */
    size_t item_bytes_peak;
    uint64_t starved;    /* connections the budget refused items */

    /* Clients: entries[0..n_clients) and a hash index of them. */
    report_client *clients;
    size_t n_clients, cap_clients;
    uint32_t *client_index;     /* slot -> entry + 1; 0 empty */
    size_t client_index_cap;
    report_client other;        /* the connections of every client past limits.rows */

    /* Counts over every connection. */
    uint64_t verdicts[MQTTKA_V_COUNT];
    uint64_t kinds[MQTTKA_F_COUNT];
    uint64_t severities[3];
    uint64_t pingreq, pingresp, unanswered;

    /* The strip chart: connections by verdict started and ended per bin. */
    mqttka_time strip_origin;   /* MQTTKA_TIME_NONE until the first */
    mqttka_time strip_width;
    uint32_t (*strip_starts)[MQTTKA_V_COUNT];
    uint32_t (*strip_ends)[MQTTKA_V_COUNT];

    /* Every ping pair's RTT. */
    uint64_t rtt[REPORT_RTT_BINS];
    uint64_t rtt_pairs;
    mqttka_time rtt_min, rtt_max;

    mqttka_time first_ts, last_ts; /* of the events seen */
    bool out_of_memory;            /* something was not kept for want of memory */
} report_model;

/* a - b and a + b saturated short of the ends of mqttka_time: a hostile
 * capture can hold any 64-bit timestamp, and the pictures subtract them. */
static inline mqttka_time report_time_sub(mqttka_time a, mqttka_time b)
{
    if (b > 0 && a < INT64_MIN + 1 + b)
        return INT64_MIN + 1;
    if (b < 0 && a > INT64_MAX + b)
        return INT64_MAX;
    return a - b;
}

static inline mqttka_time report_time_add(mqttka_time a, mqttka_time b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN + 1 - b)
        return INT64_MIN + 1;
    return a + b;
}

/* Starts an empty model. False when out of memory. */
bool report_model_init(report_model *m, const report_limits *limits);
void report_model_release(report_model *m);

/* Takes one core event (pointers borrowed for the call only). */
void report_model_event(report_model *m, const mqttka_event *ev);

/* How troubled a connection is: the worst severity of its findings, then
 * its verdict's rank (report_verdict_rank), then its warn and error
 * findings and unanswered pings. */
uint64_t report_conn_score(const report_conn *c);
/* Ranks connections: true when a should be listed before b (worse, or as
 * bad and older). */
bool report_conn_worse(const report_conn *a, const report_conn *b);
/* How much a verdict says about a keepalive problem: 0 (open) to 15. */
unsigned report_verdict_rank(unsigned verdict, int32_t disconnect_reason);

/* The open connections, in no order: out[0..n). Returns n. */
size_t report_model_open(const report_model *m, report_conn **out, size_t max);

/* A connection's timeline items in order, head then tail, into `out`
 * (room for n_head + n_tail). Returns how many. */
size_t report_conn_items(const report_conn *c, report_item *out);

/* Widens the strip chart's bins until they reach `t`. */
void report_model_extend(report_model *m, mqttka_time t);

/* The strip chart bin of a time, and the time a bin starts at. */
size_t report_strip_bin(const report_model *m, mqttka_time t);
mqttka_time report_strip_bin_start(const report_model *m, size_t bin);

/* The RTT histogram's bin of an RTT in us, and a bin's lower edge in us
 * (bin 0 is below 1 us, the last one from 100 s). */
size_t report_rtt_bin(mqttka_time rtt);
double report_rtt_bin_low(size_t bin);

#endif

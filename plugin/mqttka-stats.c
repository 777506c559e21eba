/*
 * mqttka-stats.c - the statistics tree "mqttka" (tshark -z mqttka,tree;
 * Statistics > MQTT Keepalive in the GUI).
 *
 * Fed by the tap "mqttka": the postdissector queues each frame's MQTT
 * packets and each connection summary the core produced (packet-mqttka.c).
 * Every figure is in the columns, as stats trees show them: Count, and for
 * the value items Average, Min Val and Max Val; the item names only name.
 *
 *   MQTT packets by connection              Count: MQTT packets
 *     #1 10.0.0.1:40001 -> 10.0.0.2:1882 websocket "client-id"
 *                                           Count: its MQTT packets (Percent:
 *                                           its share of them all)
 *       PINGREQ                             Count: PINGREQs
 *         unanswered                        Count (and Percent of the PINGREQs)
 *       Ping RTT (ms)                       one value per ping pair
 *       Client silence (s)                  one value per client packet: the
 *                                           time since its previous one
 *       Longest client silence (s)          the summary's, up to the close
 *       Effective keepalive (s)             the summary's
 *       Verdict: client_closed_missing_pingresp
 *   Verdicts                                Count: connections with a verdict
 *     client_closed_missing_pingresp        Count
 *   TCP connections                         Count: every TCP connection the
 *                                           core saw (the CLI's "connections:"
 *                                           line, its JSON capture object)
 *     analysed as MQTT                      Count (Percent: of them all)
 *     not analysed                          Count: the others
 *       close_only                          Count, one node per reason that
 *                                           occurred, named as the CLI names it
 *
 * The packets' items are counted as the frames are tapped; what the
 * summary says (unanswered, longest silence, keepalive, verdict) on the
 * frame the summary is shown on: the closing frame on revisits (tshark -2,
 * the GUI), the frame where the connection ended in single-pass tshark. A
 * connection still open at the end of the capture is summarised only after
 * the first pass: single-pass tshark shows its packets' items, not its
 * verdict.
 *
 * The core counts a TCP connection when it ends, and those still open at
 * the end of the capture when it finishes (after the first pass): each
 * tapped frame carries the counts as they stand after it, and the tree
 * keeps the last ones. On revisits they are final and the node is "TCP
 * connections"; on the first pass (single-pass tshark, a live capture in
 * the GUI) they leave out the connections still open, and the node says
 * so in its name (str_counted_so_far).
 *
 * RTTs are in milliseconds so that a broker on the same host (RTTs of a few
 * tenths of a millisecond) keeps its digits: stats trees print averages
 * with two decimals, minima and maxima with six.
 */
#include "mqttka-plugin.h"

#include <limits.h>
#include <stdio.h>

#include <epan/stats_tree.h>

static const char str_connections[] = "MQTT packets by connection";
static const char str_verdicts[] = "Verdicts";
static const char str_pingreq[] = "PINGREQ";
static const char str_unanswered[] = "unanswered";
static const char str_rtt[] = "Ping RTT (ms)";
static const char str_silence[] = "Client silence (s)";
static const char str_max_silence[] = "Longest client silence (s)";
static const char str_keepalive[] = "Effective keepalive (s)";
static const char str_clients[] = "Connections by client";
static const char str_counted[] = "TCP connections";
static const char str_counted_so_far[] = "TCP connections ended so far (open ones not yet counted)";
static const char str_mqtt[] = "analysed as MQTT";
static const char str_not_analysed[] = "not analysed";

static int node_connections = -1;
static int node_verdicts = -1;
static int node_clients = -1;

static void stats_init(stats_tree *st)
{
    node_connections = stats_tree_create_node(st, str_connections, 0, STAT_DT_INT, TRUE);
    node_verdicts = stats_tree_create_node(st, str_verdicts, 0, STAT_DT_INT, TRUE);
    node_clients = stats_tree_create_node(st, str_clients, 0, STAT_DT_INT, TRUE);
}

/* The per-client view, as the CLI's "client" objects: a client is its
 * client id, quoted, or its address when the id is empty (its port left
 * out: each reconnect has another). */
static void client_name(const char *client_id, const mqttka_endpoint *client, char *out,
                        size_t size)
{
    if (client_id[0]) {
        snprintf(out, size, "\"%s\"", client_id);
        return;
    }
    mqttka_endpoint_format(client, out, size);
    char *colon = strrchr(out, ':');
    if (colon && (colon == out || colon[-1] != ':'))
        *colon = '\0'; /* "1.2.3.4:5" -> "1.2.3.4"; "[::1]:5" -> "[::1]" */
}

/* The node of connection `id` (created the first time), its count and the
 * count of all connections' packets increased by `packets`. The rest names
 * it. */
static int conn_node(stats_tree *st, int packets, uint64_t id, const mqttka_endpoint *client,
                     const mqttka_endpoint *server, uint8_t transport, const char *client_id)
{
    char cl[64], sv[64], name[256];
    mqttka_endpoint_format(client, cl, sizeof cl);
    mqttka_endpoint_format(server, sv, sizeof sv);
    snprintf(name, sizeof name, "#%" PRIu64 " %s -> %s %s%s%s%s", id, cl, sv,
             transport == MQTTKA_TRANSPORT_WEBSOCKET ? "websocket" : "tcp",
             client_id[0] ? " \"" : "", client_id, client_id[0] ? "\"" : "");
    increase_stat_node(st, str_connections, 0, TRUE, packets);
    return increase_stat_node(st, name, node_connections, TRUE, packets);
}

static void tap_packets(stats_tree *st, const mqttka_pkt_rec *pkts, uint32_t n_pkts)
{
    for (uint32_t i = 0; i < n_pkts; i++) {
        const mqttka_pkt_rec *p = &pkts[i];
        const mqttka_conn_rec *c = mqttka_store_conn(p->conn_id);
        if (!c)
            continue;
        int node = conn_node(st, 1, p->conn_id, &c->client, &c->server, c->transport,
                             c->client_id);
        if (p->type == MQTTKA_MQTT_PINGREQ && p->dir == MQTTKA_C2S)
            tick_stat_node(st, str_pingreq, node, TRUE);
        if (p->type == MQTTKA_MQTT_PINGRESP && p->rtt != MQTTKA_TIME_NONE)
            avg_stat_node_add_value_float(st, str_rtt, node, FALSE, (float)((double)p->rtt / 1e3));
        if (p->dir == MQTTKA_C2S && p->silence != MQTTKA_TIME_NONE)
            avg_stat_node_add_value_float(st, str_silence, node, FALSE,
                                          (float)((double)p->silence / 1e6));
    }
}

static void tap_summary(stats_tree *st, const mqttka_summary_rec *s)
{
    /* Named as its packets named it, if it had any. */
    const mqttka_conn_rec *c = s->conn_id <= UINT32_MAX ? mqttka_store_conn((uint32_t)s->conn_id)
                                                        : NULL;
    int node = c ? conn_node(st, 0, s->conn_id, &c->client, &c->server, c->transport,
                             c->client_id)
                 : conn_node(st, 0, s->conn_id, &s->client, &s->server, s->transport,
                             s->client_id);
    const char *verdict = mqttka_verdict_name((mqttka_verdict)s->verdict);

    int pingreq = increase_stat_node(st, str_pingreq, node, TRUE, 0);
    increase_stat_node(st, str_unanswered, pingreq, FALSE, (int)s->pingreq_unanswered);
    if (s->max_client_silence != MQTTKA_TIME_NONE)
        avg_stat_node_add_value_float(st, str_max_silence, node, FALSE,
                                      (float)((double)s->max_client_silence / 1e6));
    if (s->effective_keepalive >= 0)
        avg_stat_node_add_value_int(st, str_keepalive, node, FALSE, s->effective_keepalive);
    char item[96];
    snprintf(item, sizeof item, "Verdict: %s", verdict);
    tick_stat_node(st, item, node, FALSE);

    tick_stat_node(st, str_verdicts, 0, TRUE);
    tick_stat_node(st, verdict, node_verdicts, FALSE);

    char who[160];
    client_name(c ? c->client_id : s->client_id, c ? &c->client : &s->client, who, sizeof who);
    tick_stat_node(st, str_clients, 0, TRUE);
    int client = tick_stat_node(st, who, node_clients, TRUE);
    tick_stat_node(st, item, client, FALSE);
}

/* Stats tree counters are ints. */
static int clamp_count(uint64_t n)
{
    return n > INT_MAX ? INT_MAX : (int)n;
}

/* The capture's accounting, set to the counts of the frame tapped last (they
 * only grow). Nodes are created as the counts come: a tree that gets none
 * (no analyzer) shows none rather than zeros. */
static void tap_counts(stats_tree *st, const mqttka_counts *c, bool final)
{
    const char *top = final ? str_counted : str_counted_so_far;
    int node = set_stat_node(st, top, 0, TRUE, clamp_count(c->tcp_connections));
    set_stat_node(st, str_mqtt, node, FALSE, clamp_count(c->mqtt_connections));
    uint64_t not_analysed = 0;
    for (int r = 0; r < MQTTKA_NA_COUNT; r++)
        not_analysed += c->not_analysed[r];
    int others = set_stat_node(st, str_not_analysed, node, TRUE, clamp_count(not_analysed));
    for (int r = 0; r < MQTTKA_NA_COUNT; r++) {
        if (c->not_analysed[r])
            set_stat_node(st, mqttka_not_analysed_name((mqttka_not_analysed)r), others, FALSE,
                          clamp_count(c->not_analysed[r]));
    }
}

static tap_packet_status stats_packet(stats_tree *st, packet_info *pinfo, epan_dissect_t *edt,
                                      const void *data, tap_flags_t flags)
{
    (void)pinfo;
    (void)edt;
    (void)flags;
    const mqttka_tap_data *d = (const mqttka_tap_data *)data;
    if (d->pkts)
        tap_packets(st, d->pkts, d->n_pkts);
    if (d->summary)
        tap_summary(st, d->summary);
    if (d->counts)
        tap_counts(st, d->counts, d->counts_final);
    return TAP_PACKET_REDRAW;
}

void mqttka_stats_register(void)
{
    stats_tree_register_plugin("mqttka", "mqttka", "MQTT Keepalive", 0, stats_packet,
                               stats_init, NULL);
}

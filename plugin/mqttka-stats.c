/*
 * mqttka-stats.c - the statistics tree "mqttka" (tshark -z mqttka,tree;
 * Statistics > MQTT Keepalive in the GUI).
 *
 * It is fed by the tap "mqttka", to which the postdissector queues each
 * connection summary the core produced: on the frame that closed the
 * connection when frames are revisited (tshark -2, the GUI), on the frame
 * where the summary was emitted in single-pass tshark. A connection still
 * open at the end of the capture is summarised only by mqttka_finish, after
 * the first pass: single-pass tshark cannot show it, tshark -2 and the GUI do.
 *
 *   MQTT keepalive connections                                   2
 *     #1 10.0.0.1:40001 -> 10.0.0.2:1882 websocket "client-id"   1
 *       verdict: client_closed_missing_pingresp                    1
 *       longest client silence: 12.000 s                           1
 *       effective keepalive: 10 s                                  1
 *       RTT min / median / max: 0.124 / 0.150 / 0.199 ms           1
 *       PINGREQ: 3, unanswered: 1                                  1
 *   Verdicts                                                     2
 *     client_closed_missing_pingresp                               1
 *
 * The figures are in the item names: stats_tree counts are integers, and
 * sub-millisecond RTTs (a broker on the same host) would read as 0.
 */
#include "mqttka-plugin.h"

#include <stdio.h>

#include <epan/stats_tree.h>

static const char str_connections[] = "MQTT keepalive connections";
static const char str_verdicts[] = "Verdicts";
static int node_connections = -1;
static int node_verdicts = -1;

static void stats_init(stats_tree *st)
{
    node_connections = stats_tree_create_node(st, str_connections, 0, STAT_DT_INT, TRUE);
    node_verdicts = stats_tree_create_node(st, str_verdicts, 0, STAT_DT_INT, TRUE);
}

static tap_packet_status stats_packet(stats_tree *st, packet_info *pinfo, epan_dissect_t *edt,
                                      const void *data, tap_flags_t flags)
{
    (void)pinfo;
    (void)edt;
    (void)flags;
    const mqttka_summary_rec *s = (const mqttka_summary_rec *)data;
    const char *verdict = mqttka_verdict_name((mqttka_verdict)s->verdict);
    char client[64], server[64], name[256];

    mqttka_endpoint_format(&s->client, client, sizeof client);
    mqttka_endpoint_format(&s->server, server, sizeof server);
    snprintf(name, sizeof name, "#%" PRIu64 " %s -> %s %s%s%s%s", s->conn_id, client, server,
             s->transport == MQTTKA_TRANSPORT_WEBSOCKET ? "websocket" : "tcp",
             s->client_id[0] ? " \"" : "", s->client_id, s->client_id[0] ? "\"" : "");

    tick_stat_node(st, str_connections, 0, TRUE);
    int conn = tick_stat_node(st, name, node_connections, TRUE);
    /* (tshark lists items of equal count by name, descending.) */
    char item[160];
    snprintf(item, sizeof item, "verdict: %s", verdict);
    tick_stat_node(st, item, conn, FALSE);
    if (s->max_client_silence != MQTTKA_TIME_NONE) {
        snprintf(item, sizeof item, "longest client silence: %.3f s",
                 (double)s->max_client_silence / 1e6);
        tick_stat_node(st, item, conn, FALSE);
    }
    if (s->rtt_count > 0) {
        snprintf(item, sizeof item, "RTT min / median / max: %.3f / %.3f / %.3f ms",
                 (double)s->rtt_min / 1e3, (double)s->rtt_median / 1e3, (double)s->rtt_max / 1e3);
        tick_stat_node(st, item, conn, FALSE);
    }
    snprintf(item, sizeof item, "PINGREQ: %" PRIu32 ", unanswered: %" PRIu32, s->pingreq,
             s->pingreq_unanswered);
    tick_stat_node(st, item, conn, FALSE);
    if (s->effective_keepalive >= 0) {
        snprintf(item, sizeof item, "effective keepalive: %" PRId32 " s", s->effective_keepalive);
        tick_stat_node(st, item, conn, FALSE);
    }

    tick_stat_node(st, str_verdicts, 0, TRUE);
    tick_stat_node(st, verdict, node_verdicts, FALSE);
    return TAP_PACKET_REDRAW;
}

void mqttka_stats_register(void)
{
    stats_tree_register_plugin("mqttka", "mqttka", "MQTT Keepalive", 0, stats_packet,
                               stats_init, NULL);
}

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
 *   MQTT keepalive connections
 *     #1 10.0.0.1:40001 -> 10.0.0.2:1882 websocket "client-id"
 *       effective keepalive (s)       10
 *       PINGREQ                        3
 *       PINGREQ unanswered             1
 *       RTT min / median / max (ms)    ...
 *       longest client silence (ms)    ...
 *       verdict: client_closed_missing_pingresp
 *   Verdicts
 *     client_closed_missing_pingresp   1
 *
 * Counts are integers (stats_tree), so times are in milliseconds.
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

static gint ms(mqttka_time t)
{
    mqttka_time v = t / 1000;
    return v > G_MAXINT ? G_MAXINT : (gint)v;
}

static tap_packet_status stats_packet(stats_tree *st, packet_info *pinfo, epan_dissect_t *edt,
                                      const void *data, tap_flags_t flags)
{
    (void)pinfo;
    (void)edt;
    (void)flags;
    const mqttka_summary_rec *r = (const mqttka_summary_rec *)data;
    const mqttka_summary *s = &r->s;
    char client[64], server[64], name[256];

    mqttka_endpoint_format(&r->conn.client, client, sizeof client);
    mqttka_endpoint_format(&r->conn.server, server, sizeof server);
    snprintf(name, sizeof name, "#%" PRIu64 " %s -> %s %s%s%s%s", r->conn.id, client, server,
             r->conn.transport == MQTTKA_TRANSPORT_WEBSOCKET ? "websocket" : "tcp",
             r->conn.client_id[0] ? " \"" : "", r->conn.client_id,
             r->conn.client_id[0] ? "\"" : "");

    tick_stat_node(st, str_connections, 0, TRUE);
    int conn = tick_stat_node(st, name, node_connections, TRUE);
    if (r->conn.effective_keepalive >= 0)
        set_stat_node(st, "effective keepalive (s)", conn, FALSE, r->conn.effective_keepalive);
    set_stat_node(st, "PINGREQ", conn, FALSE, (gint)s->pingreq);
    set_stat_node(st, "PINGREQ unanswered", conn, FALSE, (gint)s->pingreq_unanswered);
    if (s->rtt_count > 0) {
        set_stat_node(st, "RTT min (ms)", conn, FALSE, ms(s->rtt_min));
        set_stat_node(st, "RTT median (ms)", conn, FALSE, ms(s->rtt_median));
        set_stat_node(st, "RTT max (ms)", conn, FALSE, ms(s->rtt_max));
    }
    if (s->max_client_silence != MQTTKA_TIME_NONE)
        set_stat_node(st, "longest client silence (ms)", conn, FALSE, ms(s->max_client_silence));

    char verdict[96];
    snprintf(verdict, sizeof verdict, "verdict: %s", mqttka_verdict_name(s->verdict));
    tick_stat_node(st, verdict, conn, FALSE);

    tick_stat_node(st, str_verdicts, 0, TRUE);
    tick_stat_node(st, mqttka_verdict_name(s->verdict), node_verdicts, FALSE);
    return TAP_PACKET_REDRAW;
}

void mqttka_stats_register(void)
{
    stats_tree_register_plugin("mqttka", "mqttka", "MQTT Keepalive", 0, stats_packet,
                               stats_init, NULL);
}

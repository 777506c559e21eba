/*
 * ping_timeouts.c - the client libraries' ping timeouts (ping_timeouts.h).
 *
 * Each window is the tightest that held every close measured on real runs
 * at a load average of 13-40 (docs/ping-timeouts.md); rows marked "source
 * only" come from reading the library, not from a run. Two libraries whose
 * windows overlap for a keepalive single out neither.
 */
#include "ping_timeouts.h"

#include <string.h>

#include "core_time.h"

#define KA_ANY 1, 65535

static const ping_timeout timeouts[] = {
    {"paho python", "paho-python", "on_disconnect rc 16", false,
     KA_ANY, 1000, -20, 1070, 150},
    /* its whole-second clock closes up to a second early */
    {"libmosquitto 1.6.9+", "libmosquitto", "MOSQ_ERR_KEEPALIVE",
     false, 5, 65535, 1000, -1000, 1000, 500},
    {"MQTT.js < 5.6", "mqttjs", "a close on its ping timer",
     false, KA_ANY, 1000, -60, 1000, 350},
    {"MQTT.js 5.6+", "mqttjs", "'Keepalive timeout'", false, KA_ANY, 500, -60,
     500, 350},
    /* PingTimeout, 10 s whatever the keepalive, seen on a ticker of KA/2
     * (at most 5 s) */
    {"paho.mqtt.golang", "paho-golang", "'pingresp not received'", false,
     1, 10, 0, 9980, 500, 10050},
    {"paho.mqtt.golang", "paho-golang", "'pingresp not received'", false,
     11, 65535, 0, 9980, 0, 15050},
    {"paho C 1.3.11+", "paho-c",
     "connectionLost", true, KA_ANY, 1500, -20, 1500, 1400},
    /* source only */
    {"paho C < 1.3.11", "paho-c", "connectionLost", true, KA_ANY, 1000, -20,
     1000, 1400},
    {"Paho Java", "paho-java", "connectionLost 32000", false, KA_ANY,
     1000, -20, 1000, 350},
    {"HiveMQ client", "hivemq", "a PINGRESP timeout", false, KA_ANY,
     1000, -120, 1000, 250},
};

static mqttka_time window_edge(int32_t kae, int32_t permille, int32_t ms)
{
    return (mqttka_time)kae * SECOND * permille / 1000 + (mqttka_time)ms * 1000;
}

ping_timeout_match ping_timeout_find(mqttka_time since_pingreq, int32_t kae,
                                     bool disconnect_first)
{
    ping_timeout_match m = {0, NULL, 0, 0};
    const char *seen[sizeof timeouts / sizeof timeouts[0]];
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
        const ping_timeout *t = &timeouts[i];
        if (t->disconnect_first != disconnect_first || kae < t->ka_min || kae > t->ka_max)
            continue;
        mqttka_time lo = window_edge(kae, t->lo_permille, t->lo_ms);
        mqttka_time hi = window_edge(kae, t->hi_permille, t->hi_ms);
        if (since_pingreq < lo || since_pingreq > hi)
            continue;
        bool again = false;
        for (unsigned j = 0; j < m.libraries; j++)
            again = again || strcmp(seen[j], t->family) == 0;
        if (!again) {
            seen[m.libraries++] = t->family;
            m.only = t;
            m.lo = lo;
            m.hi = hi;
        }
    }
    if (m.libraries != 1)
        m.only = NULL;
    return m;
}

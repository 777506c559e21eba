/*
 * ping_timeouts.c - the client libraries' ping timeouts (ping_timeouts.h).
 *
 * The windows are the tightest that held every close measured on real
 * runs (docs/ping-timeouts.md); two libraries whose windows overlap for a
 * keepalive single out neither.
 */
#include "ping_timeouts.h"

#include "core_time.h"

#define MS(n) ((mqttka_time)(n) * 1000)

static const ping_timeout timeouts[] = {
    {"paho python 1.x", "no packet from the server for one keepalive after its PINGREQ",
     "its log (on_disconnect rc=16)", 100, 0, MS(0), MS(100)},
    {"paho.mqtt.golang", "PingTimeout (10 s) after its PINGREQ",
     "its log (pingresp not received)", 0, SECONDS(10), MS(0), MS(250)},
};

static mqttka_time timeout_for(const ping_timeout *t, int32_t kae)
{
    return (mqttka_time)kae * SECOND * t->ka_percent / 100 + t->constant;
}

const ping_timeout *ping_timeout_match(mqttka_time since_pingreq, int32_t kae)
{
    const ping_timeout *found = NULL;
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
        const ping_timeout *t = &timeouts[i];
        mqttka_time at = timeout_for(t, kae);
        if (at <= 0 || since_pingreq < at - t->early || since_pingreq > at + t->late)
            continue;
        if (found)
            return NULL; /* two libraries fit: the close singles out neither */
        found = t;
    }
    return found;
}

/*
 * keepalive_limits.h - the tolerances of docs/FINDINGS.md "Definitions"
 * for an effective keepalive, from the configuration: what the keepalive
 * rules and the verdict both measure silences and pings against.
 */
#ifndef MQTTKA_KEEPALIVE_LIMITS_H
#define MQTTKA_KEEPALIVE_LIMITS_H

#include "core_time.h"
#include "mqttka.h"

typedef struct keepalive_limits {
    mqttka_time tol;    /* max(tol_min, tol_percent % of KAe) */
    mqttka_time grace;  /* broker grace G = max(grace_min, grace_percent % of KAe) */
    mqttka_time t_resp; /* PINGRESP deadline = min(resp_max, resp_percent % of KAe) */
} keepalive_limits;

/* `kae` in seconds; 0 or less: no keepalive (the floors and T_resp's cap). */
static inline keepalive_limits keepalive_limits_for(const mqttka_config *cfg, int32_t kae)
{
    mqttka_time ka = kae > 0 ? (mqttka_time)kae * SECOND : 0;
    keepalive_limits l;
    l.tol = time_max(cfg->tol_min, ka * (mqttka_time)cfg->tol_percent / 100);
    l.grace = time_max(cfg->grace_min, ka * (mqttka_time)cfg->grace_percent / 100);
    l.t_resp = ka > 0 ? time_min(cfg->resp_max, ka * (mqttka_time)cfg->resp_percent / 100)
                      : cfg->resp_max;
    return l;
}

#endif

/*
 * proven_servers.c - server endpoints that carried MQTT (proven_servers.h).
 */
#include "proven_servers.h"

#include <stdbool.h>
#include <string.h>

static bool same_endpoint(const mqttka_endpoint *x, const mqttka_endpoint *y)
{
    return x->family == y->family && x->port == y->port &&
           memcmp(x->addr, y->addr, sizeof x->addr) == 0;
}

int proven_servers_find(const proven_servers *t, const mqttka_endpoint *ep)
{
    for (unsigned i = 0; i < t->n; i++)
        if (same_endpoint(&t->ep[i], ep))
            return t->transport[i];
    return -1;
}

void proven_servers_add(proven_servers *t, const mqttka_endpoint *server,
                        mqttka_transport transport)
{
    if (t->n >= PROVEN_SERVERS_MAX || proven_servers_find(t, server) >= 0)
        return;
    t->ep[t->n] = *server;
    t->transport[t->n] = (uint8_t)transport;
    t->n++;
}

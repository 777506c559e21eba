/*
 * analyzer.h - what tests and fuzz targets may read of an analyzer besides
 * its events: the figures its caps bound. (The analyzer's state is its own:
 * mqttka.h is the API.)
 */
#ifndef MQTTKA_ANALYZER_H
#define MQTTKA_ANALYZER_H

#include <stddef.h>

#include "mqttka.h"

/* Flows tracked now (at most mqttka_config.max_flows). */
size_t analyzer_flow_count(const mqttka_analyzer *a);

/* Out-of-order bytes queued now, in all flows (at most
 * mqttka_config.max_total_buffered_bytes). */
size_t analyzer_buffered_bytes(const mqttka_analyzer *a);

#endif

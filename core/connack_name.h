/*
 * connack_name.h - a CONNACK's code by its name, for the refusal finding
 * (negotiation) and the verdict's detail (verdict), which must say the
 * same: a leaf, so that the verdict need not call back up into the stage
 * that feeds it.
 */
#ifndef MQTTKA_CONNACK_NAME_H
#define MQTTKA_CONNACK_NAME_H

#include <stdint.h>

#include "mqttka.h"

/* 3.x return codes, MQTT 5 reason codes (names.c); a 3.1.1-style code
 * below 0x80 answering an MQTT 5 CONNECT (aedes does so) by its 3.1.1 name.
 * "undefined code" for others. */
static inline const char *connack_code_name(uint8_t level, uint8_t code)
{
    const char *name = level == 5 && code >= 0x80
                           ? mqttka_reason_code_name(MQTTKA_MQTT_CONNACK, code)
                           : mqttka_connack_return_code_name(code);
    return name ? name : "undefined code";
}

#endif

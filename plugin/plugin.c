/*
 * plugin.c - the entry points Wireshark looks up when it loads mqttka.so.
 *
 * Wireshark loads an epan plugin only if it exports `plugin_version`,
 * `plugin_want_major` and `plugin_want_minor` equal to its own major and
 * minor version, and `plugin_register`, which hands it the protocol's
 * register and handoff functions; 4.4 also looks up `plugin_describe`
 * (MQTTKA_PLUGIN_DESCRIBE, mqttka-compat.h). The numbers
 * come from the ws_version.h we are built against, so a build serves the
 * release it was built for and no other.
 */
#include "mqttka-plugin.h"

WS_DLL_PUBLIC_DEF const char plugin_version[] = MQTTKA_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

WS_DLL_PUBLIC void plugin_register(void);

void plugin_register(void)
{
    static proto_plugin plug;

    plug.register_protoinfo = proto_register_mqttka;
    plug.register_handoff = proto_reg_handoff_mqttka;
    proto_register_plugin(&plug);
}

MQTTKA_PLUGIN_DESCRIBE;

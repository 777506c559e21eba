/*
 * mqttka-compat.h - every difference between the Wireshark releases the
 * plugin builds against, in one place.
 *
 * Built and tested against Wireshark 4.0 (Debian 12) and 4.4 (Debian 13);
 * plugin/meson.build accepts 4.0 up to 4.4. The rest of the plugin is written
 * once, to the API the releases share, plus the names this file defines.
 * Where a difference can be detected from the headers themselves it is
 * (a typedef's own return type, a header that exists or not); release
 * numbers are tested only where nothing else tells.
 *
 *   what                      4.0                  4.4
 *   ------------------------  -------------------  ---------------------------------
 *   heuristic dissectors      return gboolean      return bool
 *   plugin_describe()         not looked up        says what the plugin registers,
 *                                                  with flags from wsutil/plugins.h
 *   TLS's decrypted records   per frame, under     under a layer number
 *   (p_get_proto_data key)    key 0
 *
 * Both are detected from the headers, so 4.2 (untested) gets whichever it
 * has. Releases after 4.4 are refused until they are tested.
 *
 * Wireshark refuses a plugin built for another minor release
 * (plugin_want_major/minor, plugin.c), so one build serves one release.
 */
#ifndef MQTTKA_COMPAT_H
#define MQTTKA_COMPAT_H

#include <wireshark.h>
#include <epan/packet.h>

#if WIRESHARK_VERSION_MAJOR != 4 || WIRESHARK_VERSION_MINOR > 4
#error "mqttka's plugin is built for Wireshark 4.0 to 4.4 (plugin/mqttka-compat.h)"
#endif

/* What a heuristic dissector returns: gboolean in 4.0, bool in 4.4. Taken
 * from the type of Wireshark's own heur_dissector_t (the call is not
 * evaluated), so no release number has to say when it changed. */
typedef __typeof__(((heur_dissector_t)0)(NULL, NULL, NULL, NULL)) mqttka_heur_result;

/* plugin_describe(), which tells the plugin loader of 4.4 what kinds of
 * things a plugin registers, with the flags wsutil/plugins.h defines there.
 * 4.0 neither looks it up nor installs that header.
 * MQTTKA_PLUGIN_DESCRIBE defines it where it exists (plugin.c). */
#if __has_include(<wsutil/plugins.h>)
#include <wsutil/plugins.h>
#endif
#ifdef WS_PLUGIN_DESC_DISSECTOR
#define MQTTKA_PLUGIN_DESCRIBE                                                                    \
    WS_DLL_PUBLIC uint32_t plugin_describe(void);                                                  \
    uint32_t plugin_describe(void)                                                                 \
    {                                                                                              \
        return WS_PLUGIN_DESC_DISSECTOR;                                                           \
    }                                                                                              \
    extern int mqttka_compat_no_stray_semicolon
#else
#define MQTTKA_PLUGIN_DESCRIBE extern int mqttka_compat_no_stray_semicolon
#endif

/* The keys under which the TLS dissector may keep a frame's decrypted
 * records (SslPacketInfo, p_add_proto_data(proto_tls, key)): 4.0 uses 0
 * ("curr_layer_num_ssl = 0"); later releases a layer number (the TLS
 * layer's own count, or the frame's layer count, depending on the release).
 * The plugin looks under 0 and then under each layer number the frame has,
 * lowest first, up to this many (mqttka-tls.c), so no release number has to
 * say which; the first found is the outermost TLS, TLS inside TLS is not
 * followed. */
#define MQTTKA_TLS_LAYER_KEYS_MAX 32u

#endif

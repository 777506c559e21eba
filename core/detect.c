/*
 * detect.c - the first bytes of a flow decide what it carries (detect.h).
 * No port is special: a broker may listen anywhere.
 */
#include "detect.h"

#include <stdlib.h>
#include <string.h>

#include "mqtt_decoder.h"

/* A side's first bytes are decided: they are no longer held. */
static void prefix_done(detect_prefix **prefix, int side)
{
    detect_prefix *p = *prefix;
    if (!p)
        return;
    p->side[side].len = 0;
    if (!p->side[1 - side].len)
        detect_prefix_free(prefix);
}

void detect_prefix_free(detect_prefix **prefix)
{
    free(*prefix);
    *prefix = NULL;
}

detect_result detect_push(detect_prefix **prefix, int side, const uint8_t *bytes, size_t len,
                          first_bytes_view *view)
{
    first_bytes_collect(*prefix ? &(*prefix)->side[side] : NULL, bytes, len, view);
    static const char get[] = "GET ";
    size_t cmp = view->len < 4 ? view->len : 4;
    bool http_maybe = memcmp(view->bytes, get, cmp) == 0;
    int mqtt = mqtt_looks_like_connect(view->bytes, view->len);

    detect_result r;
    if (http_maybe && view->len >= 4) {
        r = DETECT_HTTP;
    } else if (mqtt == 1) {
        r = DETECT_MQTT;
    } else if ((http_maybe || mqtt < 0) && view->len < FIRST_BYTES_MAX) {
        /* not decided yet: wait for more bytes */
        if (!*prefix && !(*prefix = calloc(1, sizeof **prefix)))
            return DETECT_NONE;
        first_bytes_hold(&(*prefix)->side[side], view);
        return DETECT_WAIT;
    } else {
        return DETECT_NONE;
    }
    prefix_done(prefix, side);
    return r;
}

/*
 * microhttpd_loader.c - dlopen() of libmicrohttpd (microhttpd_loader.h).
 */
#include "microhttpd_loader.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* The soname is the ABI the headers we compile against belong to; meson
 * passes it from the option `microhttpd_soname` (libmicrohttpd.so.12 on
 * Debian 12 and 13), as the headers do not say it. */
#ifndef MQTTKA_MICROHTTPD_SONAME
#error "MQTTKA_MICROHTTPD_SONAME: the soname of libmicrohttpd, set by cli/meson.build"
#endif

/* Redeclarations: a type here that disagrees with microhttpd.h is a
 * compile error, so the table's types cannot drift from the library's. */
extern microhttpd_start_daemon_fn MHD_start_daemon;
extern microhttpd_stop_daemon_fn MHD_stop_daemon;
extern microhttpd_get_daemon_info_fn MHD_get_daemon_info;
extern microhttpd_create_response_from_buffer_fn MHD_create_response_from_buffer;
extern microhttpd_add_response_header_fn MHD_add_response_header;
extern microhttpd_queue_response_fn MHD_queue_response;
extern microhttpd_destroy_response_fn MHD_destroy_response;

_Static_assert(sizeof(void *) == sizeof(microhttpd_stop_daemon_fn *),
               "dlsym's pointers are copied into function pointers");

static const struct {
    const char *name;
    size_t offset;
} symbols[] = {
    {"MHD_start_daemon", offsetof(microhttpd_api, start_daemon)},
    {"MHD_stop_daemon", offsetof(microhttpd_api, stop_daemon)},
    {"MHD_get_daemon_info", offsetof(microhttpd_api, get_daemon_info)},
    {"MHD_create_response_from_buffer", offsetof(microhttpd_api, create_response_from_buffer)},
    {"MHD_add_response_header", offsetof(microhttpd_api, add_response_header)},
    {"MHD_queue_response", offsetof(microhttpd_api, queue_response)},
    {"MHD_destroy_response", offsetof(microhttpd_api, destroy_response)},
};

const microhttpd_api *microhttpd_load(char *err, size_t err_size)
{
    static microhttpd_api api;
    static int loaded;
    if (loaded)
        return &api;
    void *lib = dlopen(MQTTKA_MICROHTTPD_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *why = dlerror();
        snprintf(err, err_size, "cannot load %s: %s", MQTTKA_MICROHTTPD_SONAME,
                 why ? why : "unknown reason");
        return NULL;
    }
    microhttpd_api found;
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        void *sym = dlsym(lib, symbols[i].name);
        if (!sym) {
            snprintf(err, err_size, "cannot load %s: it has no %s", MQTTKA_MICROHTTPD_SONAME,
                     symbols[i].name);
            dlclose(lib);
            return NULL;
        }
        /* POSIX makes dlsym's object pointer a function pointer of the same
         * representation; ISO C has no cast between them, a copy does it. */
        memcpy((char *)&found + symbols[i].offset, &sym, sizeof sym);
    }
    api = found;
    loaded = 1;
    return &api;
}

/*
 * microhttpd_loader.h - libmicrohttpd, loaded with dlopen() when --metrics
 * asks for it.
 *
 * Only --metrics (live mode) serves HTTP, yet a binary linked with
 * libmicrohttpd makes the dynamic linker load and relocate it and its
 * dependencies (gnutls, p11-kit, nettle, gmp, idn2, ...) at every start, a
 * cost that dominates a short -r run. So mqttka compiles against
 * microhttpd.h but does not link the library: metrics.c calls it through
 * the table below, filled on first use.
 */
#ifndef MQTTKA_CLI_MICROHTTPD_LOADER_H
#define MQTTKA_CLI_MICROHTTPD_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

/* The functions of microhttpd.h that metrics.c calls, with their types
 * (microhttpd_loader.c redeclares each MHD_* with its type, so the compiler
 * checks these against the header). */
typedef struct MHD_Daemon *microhttpd_start_daemon_fn(unsigned int flags, uint16_t port,
                                                      MHD_AcceptPolicyCallback apc,
                                                      void *apc_cls,
                                                      MHD_AccessHandlerCallback dh,
                                                      void *dh_cls, ...);
typedef void microhttpd_stop_daemon_fn(struct MHD_Daemon *daemon);
typedef const union MHD_DaemonInfo *microhttpd_get_daemon_info_fn(
    struct MHD_Daemon *daemon, enum MHD_DaemonInfoType info_type, ...);
typedef struct MHD_Response *microhttpd_create_response_from_buffer_fn(
    size_t size, void *buffer, enum MHD_ResponseMemoryMode mode);
typedef enum MHD_Result microhttpd_add_response_header_fn(struct MHD_Response *response,
                                                          const char *header,
                                                          const char *content);
typedef enum MHD_Result microhttpd_queue_response_fn(struct MHD_Connection *connection,
                                                     unsigned int status_code,
                                                     struct MHD_Response *response);
typedef void microhttpd_destroy_response_fn(struct MHD_Response *response);

typedef struct microhttpd_api {
    microhttpd_start_daemon_fn *start_daemon;
    microhttpd_stop_daemon_fn *stop_daemon;
    microhttpd_get_daemon_info_fn *get_daemon_info;
    microhttpd_create_response_from_buffer_fn *create_response_from_buffer;
    microhttpd_add_response_header_fn *add_response_header;
    microhttpd_queue_response_fn *queue_response;
    microhttpd_destroy_response_fn *destroy_response;
} microhttpd_api;

/* Loads libmicrohttpd (by the soname the build was configured with) and
 * returns its functions; the library stays loaded until the process ends,
 * and later calls return the same table. Returns NULL with a message in
 * `err` (the soname and the loader's reason) when the library or one of
 * its functions is missing. Not thread-safe: call it from the main thread
 * before any daemon runs. */
const microhttpd_api *microhttpd_load(char *err, size_t err_size);

#endif

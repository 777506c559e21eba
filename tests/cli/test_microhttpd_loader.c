/*
 * test_microhttpd_loader.c - libmicrohttpd loaded with dlopen() for
 * --metrics. Built twice: with the soname the build is configured with
 * (the library loads, every function is there, a daemon starts on a free
 * loopback port and says which), and with a soname no system has (the load
 * fails with a message that names it, which mqttka --metrics prints).
 */
#include <stdio.h>
#include <string.h>

#include "../unit/test_harness.h"
#include "microhttpd_loader.h"

static enum MHD_Result no_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    (void)cls, (void)conn, (void)url, (void)method, (void)version, (void)upload_data;
    (void)upload_data_size, (void)req_cls;
    return MHD_NO;
}

#ifdef EXPECT_MISSING
static void test_missing(void)
{
    char err[256] = "";
    CHECK(microhttpd_load(err, sizeof err) == NULL);
    const char *want = "cannot load " MQTTKA_MICROHTTPD_SONAME ": ";
    CHECK(strncmp(err, want, strlen(want)) == 0);
    CHECK(strchr(err, '\n') == NULL);
    (void)no_request;
}
#else
static void test_loads(void)
{
    char err[256] = "";
    const microhttpd_api *mhd = microhttpd_load(err, sizeof err);
    CHECK(mhd != NULL);
    if (!mhd) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK(microhttpd_load(err, sizeof err) == mhd);
    struct MHD_Daemon *d = mhd->start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                                             no_request, NULL, MHD_OPTION_END);
    CHECK(d != NULL);
    if (!d)
        return;
    const union MHD_DaemonInfo *info = mhd->get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    CHECK(info != NULL && info->port != 0);
    mhd->stop_daemon(d);
}
#endif

int main(void)
{
#ifdef EXPECT_MISSING
    test_missing();
#else
    test_loads();
#endif
    return th_report();
}

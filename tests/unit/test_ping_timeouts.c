/*
 * test_ping_timeouts.c - the core's table of client libraries' ping
 * timeouts (core/ping_timeouts.c) says what
 * tests/heldout/ping-timeouts/windows.tsv says (docs/ping-timeouts.md):
 * for every keepalive tried and both kinds of close, at each window's edges
 * and on a grid of times, the same libraries hold the close, and where one
 * alone does, the same one with the same window.
 *
 * Usage: test_ping_timeouts WINDOWS_TSV
 */
#include "ping_timeouts.h"
#include "test_harness.h"

#include <math.h>
#include <stdbool.h>

enum { ROWS_MAX = 64 };

typedef struct tsv_row {
    char family[32];
    bool disconnect;
    long ka_min, ka_max;
    double lo_ka, lo_s, hi_ka, hi_s;
} tsv_row;

static tsv_row rows[ROWS_MAX];
static size_t n_rows;

static bool read_windows(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return false;
    }
    char line[512];
    bool header = true;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (header) { /* the column names */
            header = false;
            continue;
        }
        tsv_row r;
        char id[32], versions[32], close[16];
        if (n_rows == ROWS_MAX ||
            sscanf(line, "%31s %31s %31s %15s %ld %ld %lf %lf %lf %lf", id, r.family, versions,
                   close, &r.ka_min, &r.ka_max, &r.lo_ka, &r.lo_s, &r.hi_ka, &r.hi_s) != 10) {
            fprintf(stderr, "%s: cannot read: %s", path, line);
            fclose(f);
            return false;
        }
        r.disconnect = strcmp(close, "disconnect") == 0;
        rows[n_rows++] = r;
    }
    fclose(f);
    return n_rows > 0;
}

/* A window edge in microseconds, as the core computes it: permille of the
 * keepalive plus milliseconds. */
static mqttka_time edge(long ka, double per_ka, double s)
{
    long permille = lround(per_ka * 1000), ms = lround(s * 1000);
    return (mqttka_time)ka * 1000000 * permille / 1000 + (mqttka_time)ms * 1000;
}

/* What the file says of a close `t` after the PINGREQ. */
static ping_timeout_match expected(mqttka_time t, long ka, bool disconnect,
                                   const char **family)
{
    ping_timeout_match m = {0, NULL, 0, 0};
    const char *seen[ROWS_MAX];
    *family = NULL;
    for (size_t i = 0; i < n_rows; i++) {
        const tsv_row *r = &rows[i];
        if (r->disconnect != disconnect || ka < r->ka_min || ka > r->ka_max)
            continue;
        mqttka_time lo = edge(ka, r->lo_ka, r->lo_s), hi = edge(ka, r->hi_ka, r->hi_s);
        if (t < lo || t > hi)
            continue;
        bool again = false;
        for (unsigned j = 0; j < m.libraries; j++)
            again = again || strcmp(seen[j], r->family) == 0;
        if (!again) {
            seen[m.libraries++] = r->family;
            *family = r->family;
            m.lo = lo;
            m.hi = hi;
        }
    }
    if (m.libraries != 1)
        *family = NULL;
    return m;
}

static unsigned mismatches;

static void compare(mqttka_time t, long ka, bool disconnect)
{
    const char *family;
    ping_timeout_match want = expected(t, ka, disconnect, &family);
    ping_timeout_match got = ping_timeout_find(t, (int32_t)ka, disconnect);
    bool same = got.libraries == want.libraries &&
                (want.libraries != 1 || (got.only && strcmp(got.only->family, family) == 0 &&
                                         got.lo == want.lo && got.hi == want.hi));
    if (!same && ++mismatches <= 10)
        fprintf(stderr, "KA %ld, %s %.6f s after the PINGREQ: core %u libraries (%s), file %u (%s)\n",
                ka, disconnect ? "DISCONNECT" : "close", (double)t / 1e6, got.libraries,
                got.only ? got.only->family : "-", want.libraries, family ? family : "-");
}

static void check_keepalive(long ka)
{
    for (int d = 0; d < 2; d++) {
        bool disconnect = d == 1;
        mqttka_time last = 0;
        for (size_t i = 0; i < n_rows; i++) {
            const tsv_row *r = &rows[i];
            mqttka_time lo = edge(ka, r->lo_ka, r->lo_s), hi = edge(ka, r->hi_ka, r->hi_s);
            const mqttka_time near[] = {-1000, -1, 0, 1, 1000};
            for (size_t k = 0; k < sizeof near / sizeof near[0]; k++) {
                compare(lo + near[k], ka, disconnect);
                compare(hi + near[k], ka, disconnect);
            }
            if (hi > last)
                last = hi;
        }
        for (mqttka_time t = 0; t <= last + 1000000; t += 5000)
            compare(t, ka, disconnect);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2 || !read_windows(argv[1])) {
        fprintf(stderr, "usage: test_ping_timeouts WINDOWS_TSV\n");
        return 2;
    }
    for (long ka = 1; ka <= 40; ka++)
        check_keepalive(ka);
    const long large[] = {60, 120, 300, 1200, 65535};
    for (size_t i = 0; i < sizeof large / sizeof large[0]; i++)
        check_keepalive(large[i]);
    CHECK_EQ_INT(mismatches, 0);
    /* Not a table that never matches: each close kind singles out someone. */
    CHECK(ping_timeout_find(2500000, 5, false).only != NULL);
    CHECK(ping_timeout_find(7500000, 5, true).only != NULL);
    return th_report();
}

/*
 * test_flow_ids.c - SHA-1 against the examples of FIPS 180-4 (via its
 * "Examples with intermediate values"), the Community ID against the TCP
 * vectors the spec publishes (community-id-spec, baseline/README.md and
 * baseline_deflt.json, and pycommunityid's README), and the uid's shape and
 * stability.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "../unit/test_harness.h"
#include "flow_ids.h"
#include "../../core/sha1.h"

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void check_sha1(const char *msg, size_t repeat, const char *want)
{
    sha1_ctx s;
    sha1_init(&s);
    for (size_t i = 0; i < repeat; i++)
        sha1_update(&s, (const uint8_t *)msg, strlen(msg));
    uint8_t d[SHA1_DIGEST_LEN];
    sha1_final(&s, d);
    char got[2 * SHA1_DIGEST_LEN + 1];
    hex(d, sizeof d, got);
    CHECK_EQ_STR(got, want);
}

static void test_sha1(void)
{
    check_sha1("abc", 1, "a9993e364706816aba3e25717850c26c9cd0d89d");
    check_sha1("", 1, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    check_sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
               "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    check_sha1("a", 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    /* Lengths whose padding needs a second block (63 and 56 bytes); the
     * digests are coreutils' sha1sum's. */
    check_sha1("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!", 1,
               "630bfa3f481b13ae8399556e067849cc5d348249");
    check_sha1("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST", 1,
               "c36256841f28695b1a551b7f3d20cc45f1b613e4");
}

static mqttka_endpoint ep(const char *addr, uint16_t port)
{
    mqttka_endpoint e;
    memset(&e, 0, sizeof e);
    if (inet_pton(AF_INET, addr, e.addr) == 1) {
        e.family = 4;
    } else {
        CHECK(inet_pton(AF_INET6, addr, e.addr) == 1);
        e.family = 6;
    }
    e.port = port;
    return e;
}

static void check_cid(const char *sa, uint16_t sp, const char *da, uint16_t dp, uint16_t seed,
                      const char *want)
{
    mqttka_endpoint a = ep(sa, sp), b = ep(da, dp);
    char got[COMMUNITY_ID_LEN + 1];
    flow_community_id(&a, &b, seed, got);
    CHECK_EQ_STR(got, want);
    CHECK_EQ_INT(strlen(got), COMMUNITY_ID_LEN);
    flow_community_id(&b, &a, seed, got); /* the other direction */
    CHECK_EQ_STR(got, want);
}

static void test_community_id(void)
{
    /* baseline/README.md, default settings and seed 1 */
    check_cid("1.2.3.4", 1122, "5.6.7.8", 3344, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM=");
    check_cid("1.2.3.4", 1122, "5.6.7.8", 3344, 1, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=");
    /* baseline_deflt.json (TCP flows of pcaps/combined.pcap) */
    check_cid("128.232.110.120", 34855, "66.35.250.204", 80, 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    check_cid("2001:470:e5bf:dead:4957:2174:e82c:4887", 63943, "2607:f8b0:400c:c03::1a", 25, 0,
              "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");
    /* pycommunityid's README */
    check_cid("127.0.0.1", 1234, "10.0.0.1", 80, 0, "1:mgRgpIZSu0KHDp/QrtcWZpkJpMU=");
    check_cid("10.0.0.1", 10, "10.0.0.2", 20, 0, "1:9j2Dzwrw7T9E+IZi4b4IVT66HBI=");
}

static int is_base62(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static void test_uid(void)
{
    mqttka_endpoint c = ep("127.0.0.1", 41991), s = ep("127.0.0.1", 1882);
    char u1[FLOW_UID_LEN + 1], u2[FLOW_UID_LEN + 1], u3[FLOW_UID_LEN + 1];
    flow_uid(&c, &s, 1795690476855922, u1);
    CHECK_EQ_INT(strlen(u1), FLOW_UID_LEN);
    CHECK(u1[0] == 'C');
    int ok = 1;
    for (int i = 1; i < FLOW_UID_LEN; i++)
        ok = ok && is_base62(u1[i]);
    CHECK(ok);
    flow_uid(&s, &c, 1795690476855922, u2); /* either order */
    CHECK_EQ_STR(u1, u2);
    flow_uid(&c, &s, 1795690476855923, u3); /* a microsecond later */
    CHECK(strcmp(u1, u3) != 0);
    mqttka_endpoint c2 = ep("127.0.0.1", 41992);
    flow_uid(&c2, &s, 1795690476855922, u3); /* another port */
    CHECK(strcmp(u1, u3) != 0);
    mqttka_endpoint c6 = ep("::1", 41991), s6 = ep("::1", 1882);
    flow_uid(&c6, &s6, 1795690476855922, u3); /* IPv6 */
    CHECK(strcmp(u1, u3) != 0);
    flow_uid(&c, &s, 1795690476855922, u2); /* the same input, the same uid */
    CHECK_EQ_STR(u1, u2);
    /* No two of a few thousand neighbouring connections collide. */
    enum { N = 4096 };
    static char seen[N][FLOW_UID_LEN + 1];
    for (int i = 0; i < N; i++) {
        mqttka_endpoint ci = ep("10.0.0.1", (uint16_t)(40000 + i % 64));
        flow_uid(&ci, &s, 1795690476000000 + i / 64, seen[i]);
    }
    int collisions = 0;
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            collisions += strcmp(seen[i], seen[j]) == 0;
    CHECK_EQ_INT(collisions, 0);
}

int main(void)
{
    test_sha1();
    test_community_id();
    test_uid();
    return th_report();
}

/*
 * test_flow_rare.c - a flow whose rare part (flow.h's flow_rare: the wait
 * of a bare ACK that runs ahead of the data, the TLS states) cannot be
 * allocated.
 *
 * calloc is wrapped at link time (-Wl,--wrap=calloc): while `fail_rare` is
 * set, every calloc of sizeof(flow_rare) bytes fails, and is counted, so a
 * case shows that the allocation was asked for. What flow.c documents for
 * that failure is checked: a bare ACK declares its gap at once (as an ACK
 * with data would) instead of waiting for the data; a TLS flow is not
 * analysed TLS, as when its inference cannot be made. Either way the
 * connection still ends with its summary and nothing leaks (the sanitizer
 * build runs this too).
 */
#include "flow.h"
#include "segment_script.h"
#include "test_harness.h"
#include "tls_builder.h"

#include <stdint.h>

void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);

static bool fail_rare;
static unsigned rare_failed;

void *__wrap_calloc(size_t n, size_t size)
{
    if (fail_rare && n == 1 && size == sizeof(flow_rare)) {
        rare_failed++;
        return NULL;
    }
    return __real_calloc(n, size);
}

enum { C = SCRIPT_C, S = SCRIPT_S };

/* MQTT 3.1.1 over TCP, keepalive 5 s, empty client id. */
static const uint8_t connect_ka5[] = {0x10, 0x0c, 0x00, 0x04, 'M', 'Q', 'T', 'T',
                                      0x04, 0x02, 0x00, 0x05, 0x00, 0x00};
static const uint8_t connack_ok[] = {0x20, 0x02, 0x00, 0x00};
static const uint8_t pingreq[] = {0xc0, 0x00};
static const uint8_t pingresp[] = {0xd0, 0x00};

/* The server's bare ACK of the PINGREQ (frame 5) captured 0.2 ms before
 * the PINGREQ itself (frame 6). */
static void ack_before_data(script *sc)
{
    script_reset(sc);
    sc->segment_starts_matter = true;
    script_tcp_open(sc);
    script_add(sc, C, 0.010, connect_ka5, sizeof connect_ka5);
    script_add(sc, S, 0.011, connack_ok, sizeof connack_ok);
    script_add(sc, S, 5.0098, NULL, 0)->ack_ahead = sizeof pingreq;
    script_add(sc, C, 5.010, pingreq, sizeof pingreq);
    script_add(sc, S, 5.011, pingresp, sizeof pingresp);
    script_add_flags(sc, C, 6.010, MQTTKA_TCP_FIN);
    script_add_flags(sc, S, 6.011, MQTTKA_TCP_FIN);
}

static void test_bare_ack_without_memory(void)
{
    static script sc;
    static event_log log;
    ack_before_data(&sc);

    /* With memory the ACK waits and its data comes: no gap (the control). */
    rare_failed = 0;
    CHECK(script_run_all_ways("bare ACK, memory", &sc, &log, NULL));
    CHECK(strstr(log.text, "capture_gap") == NULL);
    CHECK(strstr(log.text, "C>S PINGREQ") != NULL);
    CHECK_EQ_INT(rare_failed, 0);

    /* Without: the gap is declared at the ACK's frame (about=5: what it
     * acknowledged is lost, its late data read as a retransmission), and
     * the connection still gets its summary. */
    fail_rare = true;
    CHECK(script_run_all_ways("bare ACK, no memory", &sc, &log, NULL));
    fail_rare = false;
    CHECK(rare_failed > 0);
    CHECK(strstr(log.text, "finding capture_gap info about=5 ") != NULL);
    CHECK(strstr(log.text, " summary ") != NULL);
}

/* A client that opens with a TLS ClientHello, the server answering. */
static void tls_open(script *sc)
{
    static uint8_t hello[1024];
    size_t n = tlsb_client_hello(hello);
    script_reset(sc);
    sc->segment_starts_matter = true;
    script_tcp_open(sc);
    script_add(sc, C, 0.010, hello, n);
    script_add(sc, S, 0.011, connack_ok, sizeof connack_ok);
    script_add_flags(sc, C, 1.0, MQTTKA_TCP_FIN);
    script_add_flags(sc, S, 1.001, MQTTKA_TCP_FIN);
}

static void check_tls_counts(const script *sc, bool fail)
{
    mqttka_counts c;
    rare_failed = 0;
    fail_rare = fail;
    CHECK(script_counts(sc, NULL, &c));
    fail_rare = false;
    CHECK_EQ_INT(c.tcp_connections, 1);
    CHECK_EQ_INT(c.not_analysed[MQTTKA_NA_TLS], 1);
    CHECK(fail ? rare_failed > 0 : rare_failed == 0);
}

static void test_tls_without_memory(void)
{
    static script sc;
    tls_open(&sc);
    check_tls_counts(&sc, false);
    check_tls_counts(&sc, true);
    /* With a key log the decryption is tried first: it needs the rare part
     * too, and so does the keyless inference tried after it. */
    sc.keylog = tlsb_keylog();
    check_tls_counts(&sc, true);
}

int main(void)
{
    test_bare_ack_without_memory();
    test_tls_without_memory();
    return th_report();
}

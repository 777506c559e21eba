/*
 * live_capture.c - a network interface as a capture_reader source.
 *
 * libpcap is asked for what a keepalive analyzer needs: every packet as soon
 * as it is captured (immediate mode: with buffering, a PINGREQ could sit in
 * the kernel for the whole buffer timeout and its PINGRESP look late), whole
 * packets (CAPTURE_LIVE_SNAPLEN), and a non-blocking handle, so that the
 * caller can wait for packets and for the analyzer's next deadline at once.
 * Promiscuous mode is on unless -p, as tcpdump does: a SPAN or mirror port
 * delivers traffic that is addressed to other machines.
 */
#include "capture_reader.h"

#include <stdio.h>
#include <string.h>

/* The kernel buffer: 2 MiB as tcpdump takes by default, room for bursts
 * while the output is written (-B changes it). */
#define LIVE_BUFFER_BYTES (2 * 1024 * 1024)

/* What to do about an activation failure, in one line. */
static void describe_activate_error(pcap_t *p, int rc, const char *name, char *err,
                                    size_t err_size)
{
    const char *detail = pcap_geterr(p);
    switch (rc) {
    case PCAP_ERROR_NO_SUCH_DEVICE:
        snprintf(err, err_size, "%s: no such interface (mqttka -D lists them)", name);
        break;
    case PCAP_ERROR_PERM_DENIED:
        snprintf(err, err_size,
                 "%s: no permission to capture: run as root, or give the binary "
                 "cap_net_raw,cap_net_admin with setcap (see the README)",
                 name);
        break;
    case PCAP_ERROR_IFACE_NOT_UP:
        snprintf(err, err_size, "%s: the interface is down: bring it up first", name);
        break;
    default:
        snprintf(err, err_size, "%s: cannot capture: %s", name,
                 detail && *detail ? detail : pcap_statustostr(rc));
        break;
    }
}

/* On "any", LINUX_SLL2 names the interface of each packet; keep LINUX_SLL
 * (also decoded) when this libpcap does not offer it. */
static void prefer_sll2(pcap_t *p)
{
    if (pcap_datalink(p) != DLT_LINUX_SLL)
        return;
    int *links = NULL;
    int n = pcap_list_datalinks(p, &links);
    for (int i = 0; i < n; i++) {
        if (links[i] == DLT_LINUX_SLL2) {
            (void)pcap_set_datalink(p, DLT_LINUX_SLL2);
            break;
        }
    }
    if (n >= 0)
        pcap_free_datalinks(links);
}

bool capture_reader_open_live(capture_reader *r, const char *name,
                              const capture_live_options *opts, char *err, size_t err_size,
                              char *warning, size_t warning_size)
{
    warning[0] = '\0';
    char pcap_err[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_create(name, pcap_err);
    if (!p) {
        snprintf(err, err_size, "%s: cannot capture: %s", name, pcap_err);
        return false;
    }
    /* These only fail on an activated handle, which this one is not. */
    uint64_t buffer = opts->buffer_bytes ? opts->buffer_bytes : LIVE_BUFFER_BYTES;
    (void)pcap_set_snaplen(p, opts->snaplen ? (int)opts->snaplen : CAPTURE_LIVE_SNAPLEN);
    (void)pcap_set_immediate_mode(p, 1);
    (void)pcap_set_promisc(p, opts->promiscuous ? 1 : 0);
    (void)pcap_set_buffer_size(p, buffer > INT32_MAX ? INT32_MAX : (int)buffer);
    (void)pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_MICRO);
    int rc = pcap_activate(p);
    if (rc < 0) {
        describe_activate_error(p, rc, name, err, err_size);
        pcap_close(p);
        return false;
    }
    /* rc > 0 is a warning (such as promiscuous mode not supported): go on,
     * and say it, as tcpdump does. */
    if (rc > 0) {
        const char *detail = pcap_geterr(p);
        snprintf(warning, warning_size, "%s: %s", name,
                 rc == PCAP_WARNING && detail && *detail ? detail : pcap_statustostr(rc));
    }
    prefer_sll2(p);
    if (pcap_setnonblock(p, 1, pcap_err) != 0) {
        snprintf(err, err_size, "%s: cannot capture without blocking: %s", name, pcap_err);
        pcap_close(p);
        return false;
    }
    memset(r, 0, sizeof *r);
    r->kind = CAPTURE_SOURCE_LIVE;
    r->pcap = p;
    r->interface = name;
    r->linktype = pcap_datalink(p);
    r->has_filter = false;
    r->records = 0;
    r->first_ts = MQTTKA_TIME_NONE;
    r->last_ts = MQTTKA_TIME_NONE;
    return true;
}

int capture_reader_selectable_fd(const capture_reader *r)
{
    return r->pcap ? pcap_get_selectable_fd(r->pcap) : -1;
}

bool capture_reader_live_stats(capture_reader *r, uint64_t *received, uint64_t *dropped,
                               uint64_t *if_dropped)
{
    struct pcap_stat st;
    if (!r->pcap || r->kind != CAPTURE_SOURCE_LIVE || pcap_stats(r->pcap, &st) != 0)
        return false;
    *received = st.ps_recv;
    *dropped = st.ps_drop;
    *if_dropped = st.ps_ifdrop;
    return true;
}

/* "[Up, Running, Loopback]" as tcpdump -D prints the flags. */
static void put_interface_flags(FILE *out, bpf_u_int32 flags)
{
    const char *sep = "";
    fputs(" [", out);
    if (flags & PCAP_IF_UP) {
        fputs("Up", out);
        sep = ", ";
    }
    if (flags & PCAP_IF_RUNNING) {
        fprintf(out, "%sRunning", sep);
        sep = ", ";
    }
    if (flags & PCAP_IF_WIRELESS) {
        fprintf(out, "%sWireless", sep);
        sep = ", ";
    }
    if (flags & PCAP_IF_LOOPBACK) {
        fprintf(out, "%sLoopback", sep);
        sep = ", ";
    }
    switch (flags & PCAP_IF_CONNECTION_STATUS) {
    case PCAP_IF_CONNECTION_STATUS_CONNECTED: fprintf(out, "%sConnected", sep); break;
    case PCAP_IF_CONNECTION_STATUS_DISCONNECTED: fprintf(out, "%sDisconnected", sep); break;
    default: break;
    }
    fputs("]\n", out);
}

bool capture_list_interfaces(FILE *out, char *err, size_t err_size)
{
    char pcap_err[PCAP_ERRBUF_SIZE] = "";
    pcap_if_t *all = NULL;
    if (pcap_findalldevs(&all, pcap_err) != 0) {
        snprintf(err, err_size, "cannot list the interfaces: %s", pcap_err);
        return false;
    }
    unsigned n = 0;
    for (pcap_if_t *d = all; d; d = d->next) {
        fprintf(out, "%u.%s", ++n, d->name);
        if (d->description)
            fprintf(out, " (%s)", d->description);
        put_interface_flags(out, d->flags);
    }
    pcap_freealldevs(all);
    if (n == 0) {
        snprintf(err, err_size,
                 "no interface to capture on: run as root, or give the binary "
                 "cap_net_raw,cap_net_admin with setcap (see the README)");
        return false;
    }
    return true;
}

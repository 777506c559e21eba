/*
 * read_floor.c - the floor of the benchmark: libpcap reads the capture and
 * every captured byte is touched (summed), nothing else.
 *
 *   read_floor FILE
 *
 * Prints "records bytes sum" so that the compiler cannot drop the loop and a
 * run can be checked against another. mqttka cannot read a capture faster
 * than this: bench/run.sh reports mqttka's CPU time as a ratio to it.
 */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: read_floor FILE\n");
        return 2;
    }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_MICRO,
                                                        err);
    if (!p) {
        fprintf(stderr, "read_floor: %s\n", err);
        return 2;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t records = 0, bytes = 0, sum = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        records++;
        bytes += h->caplen;
        uint64_t s = 0;
        for (uint32_t i = 0; i < h->caplen; i++)
            s += data[i];
        sum += s;
    }
    if (rc != PCAP_ERROR_BREAK) {
        fprintf(stderr, "read_floor: %s\n", pcap_geterr(p));
        pcap_close(p);
        return 2;
    }
    pcap_close(p);
    printf("%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", records, bytes, sum);
    return 0;
}

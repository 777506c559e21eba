/*
 * read_floor.c - the floor of the benchmark: libpcap reads the capture and
 * every captured byte is touched (summed), nothing else.
 *
 *   read_floor [-b BYTES] FILE
 *
 * Prints "records bytes sum" so that the compiler cannot drop the loop and a
 * run can be checked against another. bench/run.sh reports mqttka's CPU time
 * as a ratio to it. As libpcap opens a file (pcap_open_offline), stdio reads
 * it in blocks of the file system's size (4 KiB); -b BYTES gives the stream
 * a buffer of that size first, as mqttka does (64 KiB), so that the bench
 * can also show how much of mqttka's ratio is the larger buffer's.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    size_t buffer_size = 0;
    bool sized = argc == 4 && strcmp(argv[1], "-b") == 0;
    if (sized) {
        buffer_size = strtoul(argv[2], NULL, 10);
        argv += 2; /* argv[1] is FILE */
        argc -= 2;
    }
    if (argc != 2 || (sized && buffer_size == 0)) {
        fprintf(stderr, "usage: read_floor [-b BYTES] FILE\n");
        return 2;
    }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p;
    char *buffer = NULL;
    if (buffer_size) {
        FILE *fp = fopen(argv[1], "rb");
        buffer = malloc(buffer_size);
        if (!fp || !buffer || setvbuf(fp, buffer, _IOFBF, buffer_size) != 0) {
            fprintf(stderr, "read_floor: cannot open %s with a %zu-byte buffer\n", argv[1],
                    buffer_size);
            return 2;
        }
        p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, err);
    } else {
        p = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_MICRO, err);
    }
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
    free(buffer);
    printf("%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", records, bytes, sum);
    return 0;
}

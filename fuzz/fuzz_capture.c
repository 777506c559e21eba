/*
 * fuzz_capture.c - a whole capture file through the CLI's reading path:
 * cli/capture_reader.c (libpcap, pcap and pcapng), the core's link-layer
 * parser (mqttka_frame_to_segment, every link type a file header can name),
 * the analyzer, and the CLI's text or JSON output of every event.
 *
 * Input: a capture file, plain or compressed. It is written to a memfd and
 * opened by its /proc/self/fd path through capture_reader_open_files(),
 * exactly as `mqttka -r FILE` opens a file (the regular-file checks and the
 * decompression included), so the CLI needs no in-memory variant of its
 * reader. pcap goes through libpcap, pcapng through cli/pcapng_reader.c.
 *
 * Output goes to /dev/null: text for inputs of odd size, JSON for even
 * ones, so that both formatters meet every kind of event.
 *
 * The record loop is cli/main.c's analyse() with its printing to stderr
 * left out: the same reader, the same segment batching (segment_batch.c,
 * mqttka_push_batch) and analysis_on_event() (cli/analysis.c). Keep the two
 * in step.
 */
#define _GNU_SOURCE /* memfd_create */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "analysis.h"
#include "capture_reader.h"
#include "fuzz_target.h"
#include "mqttka.h"
#include "output.h"
#include "segment_batch.h"

/* Created once: a memfd per input would cost a system call pair each. */
static int input_fd = -1;
static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (input_fd < 0) {
        input_fd = memfd_create("fuzz_capture", 0);
        devnull = fopen("/dev/null", "w");
        if (input_fd < 0 || !devnull)
            abort();
    }
    if (ftruncate(input_fd, 0) != 0)
        abort();
    for (size_t done = 0; done < size;) {
        ssize_t n = pwrite(input_fd, data + done, size - done, (off_t)done);
        if (n <= 0)
            abort();
        done += (size_t)n;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", input_fd);

    char err[CAPTURE_ERROR_MAX];
    capture_reader reader;
    const char *paths[1] = {path};
    const char *bad_path = NULL;
    if (!capture_reader_open_files(&reader, paths, 1, err, sizeof err, &bad_path)) {
        FUZZ_ASSERT(memchr(err, '\0', sizeof err) != NULL && err[0] != '\0');
        capture_reader_close(&reader);
        return 0;
    }

    cli_options opts;
    memset(&opts, 0, sizeof opts);
    /* Text, JSON or CSV by the input's length; -v with every fourth. */
    opts.format = size % 3 == 0 ? OUTPUT_JSON : size % 3 == 1 ? OUTPUT_TEXT : OUTPUT_CSV;
    opts.verbose = (size & 4) != 0;
    output_state out;
    memset(&out, 0, sizeof out);
    output_start(&out, devnull, false, &opts);
    mqttka_analyzer *a = NULL;
    FUZZ_ASSERT(mqttka_new(&a, NULL, analysis_on_event, &out) == MQTTKA_OK);

    capture_stats stats;
    memset(&stats, 0, sizeof stats);
    capture_status cs;
    capture_record rec;
    segment_batch batch;
    segment_batch_init(&batch, a);
    uint64_t last_frame = 0;
    for (;;) {
        /* As cli/main.c reads: records lent in place, queued uncopied
         * until the reader reads on (a use after the refill is what the
         * sanitizers would catch here). */
        bool lent;
        if ((cs = segment_batch_next(&batch, &reader, &rec, &lent, err, sizeof err)) !=
            CAPTURE_RECORD)
            break;
        FUZZ_ASSERT(rec.frame == last_frame + 1);
        last_frame = rec.frame;
        if (out.capture_start == MQTTKA_TIME_NONE)
            out.capture_start = reader.first_ts;
        /* The link-layer parser's promise: the payload lies inside the record. */
        mqttka_segment seg;
        if (mqttka_frame_to_segment((uint32_t)rec.linktype, rec.data, rec.captured_len,
                                    rec.wire_len, &seg) == MQTTKA_FRAME_TCP)
            FUZZ_ASSERT(seg.captured_len == 0 ||
                        (seg.payload >= rec.data &&
                         seg.payload + seg.captured_len <= rec.data + rec.captured_len));
        uint64_t pushed = stats.tcp_segments;
        segment_batch_add(&batch, rec.linktype, &rec, lent, &stats);
        FUZZ_ASSERT(stats.matched == rec.frame);
        FUZZ_ASSERT(stats.tcp_segments - pushed <= 1);
    }
    segment_batch_free(&batch);
    if (out.capture_start == MQTTKA_TIME_NONE)
        out.capture_start = reader.first_ts;
    char link_names[128];
    capture_reader_link_names(&reader, link_names, sizeof link_names);
    stats.link_name = link_names;
    stats.records = reader.records;
    stats.first_ts = reader.first_ts;
    stats.last_ts = reader.last_ts;
    stats.complete = cs == CAPTURE_END;
    FUZZ_ASSERT(cs != CAPTURE_RECORD);

    mqttka_finish(a, reader.last_ts != MQTTKA_TIME_NONE ? reader.last_ts : 0);
    mqttka_free(&a);
    output_run_end(&out, &stats);
    output_flush(&out);
    output_release(&out);
    capture_reader_close(&reader);
    return 0;
}

/*
 * input_stream.h - the bytes of a capture file, decompressed when they are
 * gzip, zstd or lz4, as one stdio stream that libpcap or the pcapng reader
 * reads from the start.
 *
 * Compression is told by the first bytes (RFC 1952 gzip member, RFC 8878
 * zstd frame, lz4 frame format), never by the name. The data is inflated as
 * it is read, through zlib, libzstd and liblz4 behind a stream made with
 * fopencookie(3): memory stays that of one input chunk, the library's own
 * state (its window) and stdio's buffer, whatever the file's size.
 *
 * A plain regular file is handed over as it is opened (stdio with a 64 KiB
 * buffer): reading it costs nothing more than before. A pipe (standard
 * input) is read through a cookie that first returns the bytes looked at to
 * tell its format.
 *
 * Damage inside compressed data (a stream cut short, a bad checksum, bytes
 * that do not decode) makes the stream's next read fail with EIO after
 * every byte decoded before it was returned; input_stream_error() then says
 * what it was, and whether the data was cut short or damaged.
 */
#ifndef MQTTKA_CLI_INPUT_STREAM_H
#define MQTTKA_CLI_INPUT_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum input_compression {
    INPUT_PLAIN = 0,
    INPUT_GZIP,
    INPUT_ZSTD,
    INPUT_LZ4,
} input_compression;

/* What stopped a compressed stream early. */
typedef enum input_failure {
    INPUT_OK = 0,
    INPUT_CUT_SHORT, /* the compressed data ends inside a frame or member */
    INPUT_DAMAGED,   /* it does not decode, or its checksum is wrong */
    INPUT_IO_ERROR,  /* reading the file failed */
} input_failure;

typedef struct input_cookie input_cookie;

typedef struct input_file {
    FILE *fp;                   /* the decompressed bytes, from the first */
    input_compression compression;
    bool regular;               /* from a regular file (not a pipe): reads never wait */
    uint8_t magic[4];           /* the first four decompressed bytes */
    char *buffer;               /* fp's stdio buffer; free after fclose(fp) */
    input_cookie *cookie;       /* NULL for a plain regular file; freed by fclose(fp) */
} input_file;

/*
 * Opens `path` ("-": standard input) and looks at its first bytes. Returns
 * true with *in ready when the (decompressed) content starts like a pcap or
 * pcapng file; false with a reason for people in `err` (without the path):
 * "No such file or directory", "is a directory", "empty file, not a pcap or
 * pcapng capture", "gzip-compressed, but mqttka was built without zlib",
 * "zstd-compressed data is damaged (...)", ... On success the caller owns
 * in->fp (fclose it, or let pcap_close do it) and then frees in->buffer.
 */
bool input_open(const char *path, input_file *in, char *err, size_t err_size);

/* "gzip", "zstd", "lz4", or NULL for plain data. */
const char *input_compression_name(input_compression c);

/*
 * Why the stream's reads stopped early: INPUT_OK when they did not (or the
 * file is plain), else the kind, with a message in `err`. Valid while
 * in->fp is open.
 */
input_failure input_stream_error(const input_file *in, char *err, size_t err_size);

/* The libraries compiled in, for --version: "zlib 1.2.13, zstd 1.5.4, lz4
 * 1.9.4", or "none". */
void input_describe_libraries(char *out, size_t size);

#endif

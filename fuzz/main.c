/*
 * main.c - replays inputs through a fuzz target without libFuzzer.
 *
 * Every target defines LLVMFuzzerTestOneInput(). Built with
 * -Dfuzzing=libfuzzer, libFuzzer supplies main() and mutates inputs; built
 * without it (the default), this main() feeds the target each file named on
 * the command line, or every regular file in each folder named, so that
 * `meson test --suite fuzz-regress` replays the seed corpora and every input
 * that once crashed, in the ordinary and the sanitizer builds (dav1d's
 * tools/dav1d_fuzzer.c habit).
 *
 * Each input is copied into a heap block of exactly its size, so that a read
 * one byte past the end is caught by AddressSanitizer as libFuzzer would.
 *
 * Exit status: 0 when every input ran (a crash aborts before that), 1 when
 * a path could not be read or no input was found at all: an empty corpus
 * would make the test pass without testing anything.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_target.h"

/* Larger inputs are not ours: libFuzzer's -max_len for the biggest target
 * (whole captures) is 1 MiB. The cap keeps a stray big file from being read
 * into memory whole. */
#define REPLAY_MAX_INPUT (16u * 1024 * 1024)

static int run_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || st.st_size < 0 || (uintmax_t)st.st_size > REPLAY_MAX_INPUT) {
        fprintf(stderr, "%s: cannot size it, or larger than %u bytes\n", path, REPLAY_MAX_INPUT);
        fclose(fp);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) {
        fclose(fp);
        fprintf(stderr, "%s: out of memory\n", path);
        return -1;
    }
    size_t got = size ? fread(buf, 1, size, fp) : 0;
    fclose(fp);
    if (got != size) {
        fprintf(stderr, "%s: short read\n", path);
        free(buf);
        return -1;
    }
    /* Tells which input is running when one crashes. */
    fprintf(stderr, "%s (%zu bytes)\n", path, size);
    LLVMFuzzerTestOneInput(buf, size);
    free(buf);
    return 0;
}

static int by_name(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Runs every regular file of `dir`, in name order so runs are repeatable.
 * Returns the number run, or -1 on an error. */
static long run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "%s: %s\n", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    long result = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue; /* ".", "..", and hidden files such as .gitkeep */
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **nn = realloc(names, ncap * sizeof *nn);
            if (!nn) {
                result = -1;
                break;
            }
            names = nn;
            cap = ncap;
        }
        size_t len = strlen(dir) + 1 + strlen(e->d_name) + 1;
        names[n] = malloc(len);
        if (!names[n]) {
            result = -1;
            break;
        }
        snprintf(names[n], len, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (result >= 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (run_file(names[i]) != 0)
                result = -1;
            else
                result++;
        }
        free(names[i]);
    }
    free(names);
    return result;
}

int main(int argc, char **argv)
{
    long inputs = 0;
    int status = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
            status = 1;
            continue;
        }
        long r = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : (run_file(argv[i]) == 0 ? 1 : -1);
        if (r < 0)
            status = 1;
        else
            inputs += r;
    }
    if (inputs == 0) {
        fprintf(stderr, "no input replayed: give files or folders of inputs\n");
        status = 1;
    }
    printf("%ld inputs replayed\n", inputs);
    return status;
}

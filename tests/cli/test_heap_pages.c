/*
 * test_heap_pages.c - heap_pages asks for huge pages for what the heap grows
 * by: after heap_pages_start and 48 MiB of small blocks (each followed by
 * heap_pages_follow, as the read loop does), the heap from its first
 * huge-page boundary to the last one below the break is in mappings that
 * /proc/self/smaps marks "hg" (madvised MADV_HUGEPAGE), and so are the
 * blocks allocated there. Whether the kernel then gives huge pages depends
 * on the machine (its THP mode, free memory), so that is not asserted; the
 * request is. Skipped (77) where the system refuses it (a kernel without
 * THP: madvise fails) or cannot show it (no /proc, no VmFlags in smaps).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/test_harness.h"
#include "heap_pages.h"

#define BLOCK (32u << 10) /* under malloc's mmap threshold: from the heap */
#define BLOCKS 1536       /* 48 MiB, more than one HEAP_PAGES_STEP */
#define MAPPINGS_MAX 512

typedef struct mapping {
    uintptr_t start, end;
    bool hg;
} mapping;

/* The process's mappings and whether each is madvised huge: how many, or
 * -1 when smaps cannot tell (no /proc, no VmFlags lines, too many
 * mappings). A mapping's line is "START-END PERMS ...": hexadecimal
 * addresses, a dash, a space; a field's line is "Name: value". Lines
 * longer than the buffer (a long path) are read on to their end. */
static int read_mappings(mapping *m, int max)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f)
        return -1;
    char line[256];
    int n = 0;
    bool flags_seen = false, line_start = true, too_many = false;
    while (fgets(line, sizeof line, f)) {
        bool starts = line_start;
        line_start = strchr(line, '\n') != NULL;
        if (!starts)
            continue; /* the rest of a long line */
        unsigned long long start, end;
        int used = 0;
        if (sscanf(line, "%llx-%llx%n", &start, &end, &used) == 2 && line[used] == ' ') {
            if (n == max)
                too_many = true;
            else
                m[n++] = (mapping){(uintptr_t)start, (uintptr_t)end, false};
        } else if (strncmp(line, "VmFlags:", 8) == 0 && n > 0) {
            flags_seen = true;
            m[n - 1].hg = strstr(line, " hg") != NULL;
        }
    }
    fclose(f);
    return flags_seen && !too_many ? n : -1;
}

/* Every byte of [from, to) lies in a mapping marked hg. */
static bool all_hg(const mapping *m, int n, uintptr_t from, uintptr_t to)
{
    while (from < to) {
        int i = 0;
        while (i < n && !(m[i].start <= from && from < m[i].end))
            i++;
        if (i == n || !m[i].hg)
            return false;
        from = m[i].end;
    }
    return true;
}

int main(void)
{
    heap_pages h;
    heap_pages_start(&h);
    if (h.off) {
        printf("SKIP: no transparent huge pages on this system\n");
        return 77;
    }
    char **blocks = calloc(BLOCKS, sizeof *blocks);
    CHECK(blocks != NULL);
    if (!blocks)
        return th_report();
    for (size_t i = 0; i < BLOCKS; i++) {
        blocks[i] = malloc(BLOCK);
        CHECK(blocks[i] != NULL);
        heap_pages_follow(&h);
    }
    if (h.off) {
        printf("SKIP: the kernel refuses MADV_HUGEPAGE (no transparent huge pages)\n");
        return 77;
    }
    /* The heap grew by the blocks, and was asked for as it grew. */
    CHECK(h.advised_end >= h.start + (uintptr_t)(BLOCKS - 64) * BLOCK);

    static mapping m[MAPPINGS_MAX];
    int n = read_mappings(m, MAPPINGS_MAX);
    if (n < 0) {
        printf("SKIP: /proc/self/smaps does not show each mapping's flags\n");
        return 77;
    }
    CHECK(all_hg(m, n, h.start, h.advised_end));
    /* The blocks past the first boundary are in that stretch. */
    size_t inside = 0, inside_not_hg = 0;
    for (size_t i = 0; i < BLOCKS; i++) {
        uintptr_t b = (uintptr_t)blocks[i];
        if (b >= h.start && b + BLOCK <= h.advised_end) {
            inside++;
            inside_not_hg += !all_hg(m, n, b, b + BLOCK);
        }
    }
    CHECK(inside >= BLOCKS - 128);
    CHECK_EQ_INT(inside_not_hg, 0);
    for (size_t i = 0; i < BLOCKS; i++)
        free(blocks[i]);
    free(blocks);
    return th_report();
}

/*
 * heap_pages.h - the heap in transparent huge pages while capture files are
 * read.
 *
 * A capture with tens of thousands of connections open at once keeps their
 * state (about a kilobyte each: flow, session, the CLI's entry) spread over
 * the heap, and each packet reads lines of one connection's. In 4 KiB pages
 * those reads also miss the TLB, whose refill walks the page tables (two
 * levels of them on a virtual machine), and the heap grows by a page fault
 * every 4 KiB. In 2 MiB pages the TLB covers the whole state and the heap
 * faults once per 2 MiB (BENCHMARKS.md, "Small packets", has what that
 * saves). The look-ahead (core/lookahead.h) starts the loads early; it
 * cannot hide the walks as well.
 *
 * Linux backs memory with huge pages where the process asks for them
 * (madvise MADV_HUGEPAGE) when /sys/kernel/mm/transparent_hugepage/enabled
 * says "madvise", and everywhere when it says "always". glibc's malloc takes
 * the connections' memory from its heap, which grows with brk; it does not
 * ask (unless GLIBC_TUNABLES=glibc.malloc.hugetlb=1 is set before start),
 * so mqttka does: heap_pages_start makes the heap grow in steps of
 * HEAP_PAGES_STEP, and heap_pages_follow, called as records are read, asks
 * for each new stretch as soon as the heap has grown, before most of it is
 * touched (a page is made huge when it is first touched). The cost in
 * memory: the resident size rounds up to whole 2 MiB pages, at most one
 * partly used page per stretch of the heap. The step, once set, stays for
 * the rest of the process; setting it also fixes glibc's threshold for
 * taking a block from mmap instead of the heap at its default (128 KiB),
 * where freeing such blocks would otherwise raise it. Where the kernel or
 * the C library does not have it, nothing changes.
 */
#ifndef MQTTKA_CLI_HEAP_PAGES_H
#define MQTTKA_CLI_HEAP_PAGES_H

#include <stdbool.h>
#include <stdint.h>

#define HEAP_PAGES_STEP (32u << 20)
/* Records between calls of heap_pages_follow: a batch's worth or so, in
 * which the analysis touches far less than a huge page. */
#define HEAP_PAGES_EVERY 32

typedef struct heap_pages {
    uintptr_t start;       /* the first huge-page boundary in the heap */
    uintptr_t advised_end; /* the heap is asked for from start up to here */
    bool off;              /* not on this system, or refused: no more asking */
} heap_pages;

/* Sets the heap's growth step and asks for what the heap has now. */
void heap_pages_start(heap_pages *h);

/* Asks for what the heap grew by since the last call: one comparison when
 * it did not grow. */
void heap_pages_follow(heap_pages *h);

#endif

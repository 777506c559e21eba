/*
 * heap_pages.c - the heap in transparent huge pages (heap_pages.h).
 */
#include "heap_pages.h"

#include <sys/mman.h>
#include <unistd.h>

#if defined(__GLIBC__) && defined(MADV_HUGEPAGE)
#include <malloc.h>

#define HUGE_PAGE ((uintptr_t)2 << 20)

/* Only whole huge pages inside the heap can be huge: the stretch asked for
 * runs between huge-page boundaries. */
static uintptr_t huge_page_floor(uintptr_t a)
{
    return a & ~(HUGE_PAGE - 1);
}

static uintptr_t heap_end(void)
{
    /* sbrk(0) only reads the break glibc keeps (no system call). */
    return (uintptr_t)sbrk(0);
}

void heap_pages_start(heap_pages *h)
{
    h->start = h->advised_end = 0;
    h->off = true;
    /* Each growth of the heap a large stretch, so that the heap grows
     * seldom and each new stretch is asked for before most of it is
     * touched. Address space only: pages are given when first touched. */
    if (mallopt(M_TOP_PAD, (int)HEAP_PAGES_STEP) != 1)
        return;
    h->off = false;
    /* From the first boundary past what the heap holds now (the heap's
     * start is not one). */
    h->start = h->advised_end = huge_page_floor(heap_end() + HUGE_PAGE - 1);
    heap_pages_follow(h);
}

void heap_pages_follow(heap_pages *h)
{
    if (h->off)
        return;
    uintptr_t end = huge_page_floor(heap_end());
    if (end < h->start) {
        h->advised_end = h->start; /* no whole huge page in the heap (now) */
        return;
    }
    if (end > h->advised_end &&
        madvise((void *)h->advised_end, end - h->advised_end, MADV_HUGEPAGE) != 0) {
        h->off = true; /* no transparent huge pages here: as without */
        return;
    }
    /* Lower when the heap gave memory back: the stretch it grows by again
     * is a new mapping, without the advice, and is asked for again. */
    h->advised_end = end;
}

#else /* not glibc's malloc, or no transparent huge pages: nothing to ask */

void heap_pages_start(heap_pages *h)
{
    h->start = h->advised_end = 0;
    h->off = true;
}

void heap_pages_follow(heap_pages *h)
{
    (void)h;
}

#endif

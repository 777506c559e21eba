/*
 * compiler.h - the compiler attributes the core uses, in one place.
 *
 * Each has a plain fallback, so the core stays C11 for any compiler; none
 * changes what the code computes.
 */
#ifndef MQTTKA_COMPILER_H
#define MQTTKA_COMPILER_H

/* The entry points that push segments and finish: each stays a function of
 * its own under link-time optimisation (neither inlined into the front end
 * nor cloned under another name), so that a profile of the CLI can tell the
 * core's share (bench/run.sh reads callgrind's inclusive cost of them). */
#if defined(__GNUC__) && !defined(__clang__)
#define ENTRY_POINT __attribute__((noinline, noclone))
#elif defined(__GNUC__)
#define ENTRY_POINT __attribute__((noinline))
#else
#define ENTRY_POINT
#endif

/* A function kept out of line: its caller, on the packet path, stays small
 * enough to be inlined where it is called for every frame or packet. */
#if defined(__GNUC__)
#define OUT_OF_LINE __attribute__((noinline))
#else
#define OUT_OF_LINE
#endif

/* A static function defined in a header, kept out of line for its rare
 * cases: inline (so a file that includes the header and does not call it
 * gets no unused-function warning) and cold (so it is not inlined into the
 * packet path, and is laid out away from it). */
#if defined(__GNUC__)
#define RARE_INLINE inline __attribute__((cold))
#else
#define RARE_INLINE inline
#endif

/* A function inlined wherever it is called, where the compiler's own
 * estimate would call it: a small writer on the packet path whose call and
 * the spills around it cost as much as its body. */
#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

/* A cache hint: start loading the line at p. Never faults, changes nothing.
 * With MQTTKA_PREFETCH_AS_LOAD, for a cache simulator (which ignores
 * prefetches), a real load in its place makes the misses that remain on the
 * packet path stand out. */
#if defined(MQTTKA_PREFETCH_AS_LOAD)
#define PREFETCH(p) ((void)*(const volatile char *)(p))
#elif defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch((p))
#else
#define PREFETCH(p) ((void)(p))
#endif

/* FAST_PATHS: whether the packet path's fast paths are taken. They
 * (flow.c's push_steady, tcp_stream.c's next bytes of a started stream)
 * take, for the commonest segments, a subset of their general path's steps
 * in the same order. Built with MQTTKA_GENERAL_PATHS_ONLY, every segment
 * takes the general path: the test `general_paths` (tests/cli, suite
 * `paths`) runs that build and the ordinary one over every capture the
 * tests hold and demands the same output, so that a change made to one
 * path and not the other shows. Never for a product build. */
#if defined(MQTTKA_GENERAL_PATHS_ONLY)
#define FAST_PATHS 0
#else
#define FAST_PATHS 1
#endif

/* printf-style checking of a function's format argument (1-based index of
 * the format, and of the first argument it formats). */
#if defined(__GNUC__)
#define PRINTF_FORMAT(fmt, first) __attribute__((format(printf, fmt, first)))
#else
#define PRINTF_FORMAT(fmt, first)
#endif

#endif

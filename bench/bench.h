/*
 * bench.h - timing, medians, resident memory and the JSON line every
 * benchmark prints: {"name":..., "params":{...}, "median":..., "unit":...}.
 * Header-only so that each bench/NAME.c stays one program.
 */
#ifndef OFB_BENCH_H
#define OFB_BENCH_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of n samples (sorts them). */
static inline double bench_median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Resident memory in bytes, from /proc/self/statm (0 when unavailable). */
static inline size_t bench_rss(void)
{
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    if (fscanf(f, "%lu %lu", &size, &resident) != 2)
        resident = 0;
    fclose(f);
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* One figure: name, params (a JSON object body, e.g. "\"runs\":1000"),
 * the median and its unit. */
static inline void bench_emit(const char *name, const char *params,
                              double median, const char *unit)
{
    printf("{\"name\":\"%s\",\"params\":{%s},\"median\":%.6g,\"unit\":\"%s\"}\n",
           name, params ? params : "", median, unit);
    fflush(stdout);
}

/* Dies with a message: a benchmark that measured the wrong thing must not
 * print a figure. */
static inline void bench_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* Keeps a value alive without the compiler seeing through it. */
#define BENCH_KEEP(x) __asm__ volatile("" : : "g"(x) : "memory")

#endif /* OFB_BENCH_H */

/* bench_common.h -- small helpers shared by the benchmark programs: clocks,
 * peak RSS, directory size, percentiles, and the realistic ObjectEvent they
 * all use (EPC list, bizStep, readPoint, bizLocation, one sensor reading). */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <dirent.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double bench_peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

/* Bytes of regular files directly in dir (LMDB's data.mdb, lock.mdb);
 * st_blocks, so a sparse file counts what it really uses. */
static inline uint64_t bench_dir_bytes(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    uint64_t total = 0;
    char path[8192];
    struct stat sb;
    if (!d || strlen(dir) > 4000)
        return 0;
    while ((de = readdir(d))) {
        snprintf(path, sizeof path, "%.4000s/%.255s", dir, de->d_name);
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
            total += (uint64_t)sb.st_blocks * 512;
    }
    closedir(d);
    return total;
}

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* p in [0,1]; sorts v. */
static inline double bench_percentile(double *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, bench_cmp_double);
    return v[(size_t)(p * (double)(n - 1))];
}

/* Event i of the benchmark ledger: a receiving scan of three items. */
static inline json_t *bench_event(uint64_t i)
{
    char e1[64], e2[64], e3[64], t[40], st[40];
    uint64_t s = i * 3;
    snprintf(e1, sizeof e1, "urn:epc:id:sgtin:5412345.000012.%llu", (unsigned long long)s);
    snprintf(e2, sizeof e2, "urn:epc:id:sgtin:5412345.000012.%llu", (unsigned long long)s + 1);
    snprintf(e3, sizeof e3, "urn:epc:id:sgtin:5412345.000012.%llu", (unsigned long long)s + 2);
    snprintf(t, sizeof t, "2025-12-%02lluT%02llu:%02llu:%02llu.%03lluZ",
             (unsigned long long)(1 + i / 86400000 % 28), (unsigned long long)(i / 3600000 % 24),
             (unsigned long long)(i / 60000 % 60), (unsigned long long)(i / 1000 % 60),
             (unsigned long long)(i % 1000));
    snprintf(st, sizeof st, "%s", t);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[s,s,s], s:{s:s}, s:{s:s}, "
                     "s:[{s:{s:s, s:s}, s:[{s:s, s:f, s:s}]}]}",
                     "type", "ObjectEvent", "action", "OBSERVE", "bizStep", "receiving",
                     "disposition", "in_progress", "eventTime", t, "eventTimeZoneOffset", "+01:00",
                     "epcList", e1, e2, e3, "readPoint", "id", "urn:epc:id:sgln:5412345.00002.1",
                     "bizLocation", "id", "urn:epc:id:sgln:5412345.00002.0", "sensorElementList",
                     "sensorMetadata", "time", st, "deviceID", "urn:epc:id:giai:5412345.TL-77",
                     "sensorReport", "type", "Temperature", "value", 2.5 + (double)(i % 30) / 10.0,
                     "uom", "CEL");
}

#endif

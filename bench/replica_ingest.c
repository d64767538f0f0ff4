/* bench/replica_ingest.c -- how fast a store takes in a partner's entries
 * (ledger_replica.h), without the network: the ledger half of a sync.
 *
 *   build/bench/replica_ingest [SRC_DIR [N [RUNS_PER_COMMIT [SMALL]]]]
 *
 * SRC_DIR (default /tmp/keten-bench-src) is a source store of N (default
 * 1,000,000) signed events; it is made when it does not exist and kept for
 * the next run. Its feed is read out with ledger_replica_range in runs of at
 * most 3,000 entries or 1 MiB (as node/ sends them) into memory, and then
 * ingested into a fresh store: every entry decoded, hash-linked, payload-
 * hashed and indexed, one Ed25519 check per run, RUNS_PER_COMMIT runs
 * (default 1) per durable commit. SMALL=1 makes the source events small
 * (~300-byte payloads: one EPC, no sensor data) instead of bench_event's
 * realistic ~700-byte ones. Prints entries/s, CPU time and peak RSS. Not a
 * test. */
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "bench_common.h"
#include "ledger_identity.h"
#include "ledger_replica.h"
#include "ledger_store.h"

#define RUN_MAX 3000
#define RUN_BYTES (1 << 20)

/* Bytes this process handed to write calls so far (/proc/self/io wchar). */
static double written_mb(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    char line[128];
    unsigned long long v = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "wchar: %llu", &v) == 1)
            break;
    fclose(f);
    return (double)v / 1e6;
}

static json_t *small_event(uint64_t i)
{
    char epc[64], t[40];
    snprintf(epc, sizeof epc, "urn:epc:id:sgtin:5412345.000012.%llu", (unsigned long long)i);
    snprintf(t, sizeof t, "2025-12-%02lluT%02llu:%02llu:%02llu.%03lluZ",
             (unsigned long long)(1 + i / 86400000 % 28), (unsigned long long)(i / 3600000 % 24),
             (unsigned long long)(i / 60000 % 60), (unsigned long long)(i / 1000 % 60),
             (unsigned long long)(i % 1000));
    return json_pack("{s:s, s:s, s:s, s:s, s:[s], s:{s:s}}", "type", "ObjectEvent", "action",
                     "OBSERVE", "eventTime", t, "eventTimeZoneOffset", "+01:00", "epcList", epc,
                     "bizLocation", "id", "urn:epc:id:sgln:5412345.00002.0");
}

static int make_source(const char *dir, uint64_t n, int small)
{
    ledger_identity_t *id;
    ledger_store_t *st;
    ledger_err_t err;
    json_t *evs[10000];
    double t0 = bench_now();

    if (ledger_identity_generate(&id, &err) ||
        ledger_store_open(dir, LEDGER_STORE_CREATE, ledger_identity_public(id), &st, &err)) {
        fprintf(stderr, "replica_ingest: %s\n", err.msg);
        return 1;
    }
    for (uint64_t done = 0; done < n;) {
        size_t k = n - done < 10000 ? (size_t)(n - done) : 10000;
        for (size_t i = 0; i < k; i++)
            evs[i] = small ? small_event(done + i) : bench_event(done + i);
        if (ledger_store_append_events(st, id, evs, k, 0, NULL, &err)) {
            fprintf(stderr, "replica_ingest: %s\n", err.msg);
            return 1;
        }
        for (size_t i = 0; i < k; i++)
            json_decref(evs[i]);
        done += k;
        if (isatty(2))
            fprintf(stderr, "\rsource: %llu entries", (unsigned long long)done);
    }
    fprintf(stderr, "%ssource: %llu entries made in %.1f s\n", isatty(2) ? "\r" : "",
            (unsigned long long)n, bench_now() - t0);
    ledger_store_close(st);
    ledger_identity_free(id);
    return 0;
}

/* All runs of the feed, in memory: entry i is at data + off[i]. */
typedef struct runs {
    uint8_t *data;
    size_t len, cap;
    size_t *off, *elen;
    size_t n, ncap;
    size_t *run_start; /* entry index where each run begins */
    size_t nruns, rcap;
} runs_t;

static int keep_cb(const uint8_t *bytes, size_t len, uint64_t seq, void *ctx)
{
    runs_t *r = ctx;
    (void)seq;
    if (r->len + len > r->cap) {
        r->cap = (r->cap + len) * 2;
        if (!(r->data = realloc(r->data, r->cap)))
            return LEDGER_ENOMEM;
    }
    if (r->n == r->ncap) {
        r->ncap = r->ncap ? 2 * r->ncap : 1024;
        r->off = realloc(r->off, r->ncap * sizeof *r->off);
        r->elen = realloc(r->elen, r->ncap * sizeof *r->elen);
        if (!r->off || !r->elen)
            return LEDGER_ENOMEM;
    }
    memcpy(r->data + r->len, bytes, len);
    r->off[r->n] = r->len;
    r->elen[r->n++] = len;
    r->len += len;
    return 0;
}

int main(int argc, char **argv)
{
    const char *src = argc > 1 ? argv[1] : "/tmp/keten-bench-src";
    uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
    size_t per_commit = argc > 3 ? strtoul(argv[3], NULL, 10) : 1;
    int small = argc > 4 && atoi(argv[4]) != 0;
    ledger_store_t *st, *dst;
    ledger_feed_head_t head;
    ledger_err_t err;
    runs_t r = {0};
    char path[4200], dir[4096];
    const uint8_t **ptrs;
    struct stat sb;
    double t0, wall, cpu0, cpu, tc, in_commit = 0, w0;
    uint64_t from = 1, accepted = 0, bytes;
    struct rusage ru;
    int rc;

    if (sodium_init() < 0 || per_commit == 0)
        return 1;
#ifdef __GLIBC__
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
#endif
    snprintf(path, sizeof path, "%s/data.mdb", src);
    if (stat(path, &sb) != 0 && make_source(src, n, small))
        return 1;
    if (ledger_store_open(src, LEDGER_STORE_RDONLY, NULL, &st, &err)) {
        fprintf(stderr, "replica_ingest: %s\n", err.msg);
        return 1;
    }
    if (ledger_store_head(st, ledger_store_self(st), &head, &err)) {
        fprintf(stderr, "replica_ingest: %s\n", err.msg);
        return 1;
    }
    if (head.seq < n)
        n = head.seq;
    t0 = bench_now();
    while (from <= n) {
        uint64_t next;
        if (r.nruns == r.rcap) {
            r.rcap = r.rcap ? 2 * r.rcap : 1024;
            r.run_start = realloc(r.run_start, (r.rcap + 1) * sizeof *r.run_start);
        }
        r.run_start[r.nruns++] = r.n;
        if (ledger_replica_range(st, head.feed, from, n, RUN_MAX, RUN_BYTES, 0, keep_cb, &r, &next,
                                 &err)) {
            fprintf(stderr, "replica_ingest: %s\n", err.msg);
            return 1;
        }
        from = next;
    }
    r.run_start[r.nruns] = r.n;
    ledger_store_close(st);
    fprintf(stderr, "replica_ingest: %zu entries read out in %.2f s\n", r.n, bench_now() - t0);
    if (!(ptrs = malloc(r.n * sizeof *ptrs)))
        return 1;
    for (size_t i = 0; i < r.n; i++)
        ptrs[i] = r.data + r.off[i];

    snprintf(dir, sizeof dir, "%s/keten-ingest-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir) ||
        ledger_store_open(dir, LEDGER_STORE_CREATE,
                          (const uint8_t *)"0123456789abcdef0123456789abcdef", &dst, &err)) {
        fprintf(stderr, "replica_ingest: cannot make %s\n", dir);
        return 1;
    }
    getrusage(RUSAGE_SELF, &ru);
    cpu0 = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    w0 = written_mb();
    t0 = bench_now();
    for (size_t run = 0; run < r.nruns;) {
        ledger_ingest_t *in;
        if ((rc = ledger_ingest_begin(dst, &in, &err)))
            break;
        for (size_t k = 0; k < per_commit && run < r.nruns; k++, run++) {
            ledger_ingest_report_t rep;
            size_t a = r.run_start[run], b = r.run_start[run + 1];
            if ((rc = ledger_ingest_add(in, head.feed, ptrs + a, r.elen + a, b - a, &rep, &err))) {
                fprintf(stderr, "replica_ingest: %s\n", err.msg);
                ledger_ingest_abort(in);
                return 1;
            }
            accepted += rep.accepted;
        }
        tc = bench_now();
        rc = ledger_ingest_commit(in, &err);
        in_commit += bench_now() - tc;
        if (rc)
            break;
        if (isatty(2))
            fprintf(stderr, "\r%llu entries", (unsigned long long)accepted);
    }
    wall = bench_now() - t0;
    w0 = written_mb() - w0;
    if (rc) {
        fprintf(stderr, "replica_ingest: %s\n", err.msg);
        return 1;
    }
    getrusage(RUSAGE_SELF, &ru);
    cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
          (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6 - cpu0;
    ledger_store_close(dst);
    bytes = bench_dir_bytes(dir);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    if (system(path) != 0)
        fprintf(stderr, "replica_ingest: could not remove %s\n", dir);
    if (isatty(2))
        fprintf(stderr, "\r");
    printf("replica_ingest: %llu entries (%.0f bytes each on the wire) in %zu runs, %zu run(s) "
           "per commit\n",
           (unsigned long long)accepted, (double)r.len / (double)r.n, r.nruns, per_commit);
    printf("  %.0f entries/s (%.2f s wall, %.2f s CPU, %.2f cores)  goal >= 100,000/s\n",
           (double)accepted / wall, wall, cpu, cpu / wall);
    printf("  of the wall time %.2f s in commits (%.1f ms each); %.0f MB written (%.0f bytes per "
           "entry)\n",
           in_commit, 1e3 * in_commit / (double)((r.nruns + per_commit - 1) / per_commit), w0,
           w0 * 1e6 / (double)accepted);
    printf("  %.0f bytes on disk per entry, peak RSS %.0f MB (the source runs held in memory: "
           "%.0f MB)\n",
           (double)bytes / (double)accepted, bench_peak_rss_mb(), (double)r.len / 1e6);
    free(ptrs);
    free(r.data);
    free(r.off);
    free(r.elen);
    free(r.run_start);
    return 0;
}

/* bench/ingest.c -- how fast the library appends events: N realistic
 * ObjectEvents (default 1,000,000) through ledger_store_append_events in
 * durable batches (default 1,000 events per LMDB commit), every entry
 * signed. Prints events/s, the ratio to libsodium's single-core Ed25519
 * sign rate measured in the same run, bytes on disk per event and peak RSS.
 *
 *   build/bench/ingest [HOME_DIR [N [BATCH]]]
 *
 * The home is left in place for bench/query. Not a test: it prints figures
 * and the DESIGN.md goal next to them. */
#include <sodium.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "bench_common.h"
#include "ledger_home.h"
#include "ledger_store.h"

static double sign_rate(void)
{
    uint8_t pk[32], sk[64], sig[64], msg[120];
    int n = 20000;
    double t0;
    crypto_sign_keypair(pk, sk);
    memset(msg, 7, sizeof msg);
    t0 = bench_now();
    for (int i = 0; i < n; i++) {
        msg[0] = (uint8_t)i;
        crypto_sign_detached(sig, NULL, msg, sizeof msg, sk);
    }
    return n / (bench_now() - t0);
}

int main(int argc, char **argv)
{
    const char *home_dir = argc > 1 ? argv[1] : "/tmp/keten-bench-home";
    uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
    size_t batch = argc > 3 ? strtoul(argv[3], NULL, 10) : 1000;
    ledger_home_t *home;
    const ledger_identity_t *id;
    ledger_err_t err;
    json_t **evs = calloc(batch, sizeof *evs);
    double t0, build = 0, append = 0, srate;
    char db[4096];
    uint64_t bytes, jsize = 0, jcount = 0;

    if (sodium_init() < 0 || !evs)
        return 1;
        /* as the keten program does: keep freed memory instead of handing it back
         * to the kernel after every batch (page faults cost more than the work) */
#ifdef __GLIBC__
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
#endif
    if (ledger_home_create(home_dir, "Bench", NULL, NULL, 0, &home, &err) ||
        ledger_home_identity(home, NULL, 0, &id, &err)) {
        fprintf(stderr, "ingest: %s\n", err.msg);
        return 1;
    }
    srate = sign_rate();
    for (uint64_t done = 0; done < n;) {
        size_t k = (size_t)(n - done < batch ? n - done : batch);
        double b0 = bench_now();
        for (size_t i = 0; i < k; i++) {
            evs[i] = bench_event(done + i);
            if ((done + i) % 997 == 0) { /* a sample, for the comparison's entry size */
                char *s = json_dumps(evs[i], JSON_COMPACT);
                jsize += s ? strlen(s) : 0;
                jcount++;
                free(s);
            }
        }
        t0 = bench_now();
        build += t0 - b0;
        if (ledger_store_append_events(ledger_home_store(home), id, evs, k, 0, NULL, &err)) {
            fprintf(stderr, "ingest: %s\n", err.msg);
            return 1;
        }
        append += bench_now() - t0;
        for (size_t i = 0; i < k; i++)
            json_decref(evs[i]);
        done += k;
        if (isatty(2))
            fprintf(stderr, "\r%llu events", (unsigned long long)done);
    }
    if (isatty(2))
        fprintf(stderr, "\r");
    snprintf(db, sizeof db, "%s/db", home_dir);
    bytes = bench_dir_bytes(db);
    printf("bench/ingest: %llu events in batches of %zu, one durable commit per batch\n",
           (unsigned long long)n, batch);
    printf("  append (hash, encode, sign, store, index, fsync): %.0f events/s (%.2f s)\n",
           (double)n / append, append);
    printf("  Ed25519 sign, libsodium, one core:                 %.0f signatures/s\n", srate);
    printf("  ratio append / sign rate:                          %.2f\n",
           (double)n / append / srate);
    printf("  bytes on disk per event:                           %.0f (%.1f MB in all)\n",
           (double)bytes / (double)n, (double)bytes / 1e6);
    printf("  peak RSS:                                          %.1f MB\n", bench_peak_rss_mb());
    printf("  event size (compact JSON, mean of a sample):       %.0f bytes\n",
           jcount ? (double)jsize / (double)jcount : 0.0);
    printf("  (building the JSON events in the benchmark itself: %.2f s, not counted)\n", build);
    printf("  goal (issue 2): >= 100,000 events/s\n");
    printf("  reproduce: make bench   or   build/bench/ingest %s %llu %zu\n", home_dir,
           (unsigned long long)n, batch);
    ledger_home_close(home);
    free(evs);
    return 0;
}

/* bench/query.c -- look-up latency on a ledger made by bench/ingest: by
 * event ID (ledger_store_find_event) and by EPC (ledger_store_find_ident),
 * each returning the decoded entry. Prints p50 and p99 in microseconds over
 * random keys.
 *
 *   build/bench/query [HOME_DIR [LOOKUPS]]
 */
#include "bench_common.h"
#include "ledger_entry.h"
#include "ledger_home.h"
#include "ledger_store.h"

static int count_entry(const ledger_stored_t *s, void *ctx)
{
    (void)s;
    (*(int *)ctx)++;
    return 0;
}

static int count_ident(const ledger_stored_t *s, int role, void *ctx)
{
    (void)s;
    (void)role;
    (*(int *)ctx)++;
    return 0;
}

typedef struct ids {
    char (*id)[100];
    size_t n, cap;
} ids_t;

static int collect_id(const ledger_stored_t *s, void *ctx)
{
    ids_t *ids = ctx;
    json_t *ev;
    if (ids->n < ids->cap && s->e.payload &&
        ledger_event_payload_decode(s->e.payload, s->e.plen, &ev, ids->id[ids->n],
                                    sizeof ids->id[0], NULL) == 0) {
        json_decref(ev);
        ids->n++;
    }
    return ids->n < ids->cap ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *home_dir = argc > 1 ? argv[1] : "/tmp/keten-bench-home";
    size_t lookups = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
    ledger_home_t *home;
    ledger_store_stats_t stats;
    ledger_err_t err;
    ids_t ids = {0};
    double *lat = calloc(lookups, sizeof *lat), t0;
    uint64_t x = 88172645463325252ULL;

    if (ledger_home_open(home_dir, LEDGER_STORE_RDONLY, &home, &err) ||
        ledger_store_stats(ledger_home_store(home), &stats, &err)) {
        fprintf(stderr, "query: %s (run bench/ingest first)\n", err.msg);
        return 1;
    }
    /* event IDs: a sample spread over the whole log */
    ids.cap = 20000;
    ids.id = calloc(ids.cap, sizeof *ids.id);
    for (uint64_t from = 1; ids.n < ids.cap && from <= stats.entries;
         from += stats.entries / ids.cap + 1) {
        size_t before = ids.n;
        ids.cap = before + 1;
        ledger_store_scan(ledger_home_store(home), from, collect_id, &ids, &err);
        ids.cap = 20000;
    }
    printf("bench/query: %llu entries, %zu look-ups each\n", (unsigned long long)stats.entries,
           lookups);
    /* Two passes over the same random keys: the first touches most leaf
     * pages of the 1.6 GB map for the first time in this process (a page
     * fault each, although the file is in the page cache); the second is
     * what a node that has been running for a while sees. */
    for (int pass = 0; pass < 2; pass++) {
        uint64_t y = x;
        for (size_t i = 0; i < lookups; i++) {
            int hits = 0;
            y ^= y << 13, y ^= y >> 7, y ^= y << 17;
            t0 = bench_now();
            if (ledger_store_find_event(ledger_home_store(home), ids.id[y % ids.n], count_entry,
                                        &hits, &err) ||
                hits != 1) {
                fprintf(stderr, "query: %s\n", err.msg);
                return 1;
            }
            lat[i] = (bench_now() - t0) * 1e6;
        }
        printf("  by event ID, %s: p50 %.1f us, p99 %.1f us\n",
               pass ? "warm       " : "first touch", bench_percentile(lat, lookups, 0.5),
               bench_percentile(lat, lookups, 0.99));
    }
    for (int pass = 0; pass < 2; pass++) {
        uint64_t y = x ^ 0x9e3779b97f4a7c15ULL;
        for (size_t i = 0; i < lookups; i++) {
            char epc[80];
            int hits = 0;
            y ^= y << 13, y ^= y >> 7, y ^= y << 17;
            snprintf(epc, sizeof epc, "urn:epc:id:sgtin:5412345.000012.%llu",
                     (unsigned long long)(y % (stats.entries * 3)));
            t0 = bench_now();
            if (ledger_store_find_ident(ledger_home_store(home), epc, count_ident, &hits, &err) ||
                hits != 1) {
                fprintf(stderr, "query: %s: %s\n", epc, err.msg);
                return 1;
            }
            lat[i] = (bench_now() - t0) * 1e6;
        }
        printf("  by EPC,      %s: p50 %.1f us, p99 %.1f us\n",
               pass ? "warm       " : "first touch", bench_percentile(lat, lookups, 0.5),
               bench_percentile(lat, lookups, 0.99));
    }
    printf("  goal (issue 2): p99 <= 20 us\n");
    printf("  reproduce: make bench   or   build/bench/query %s %zu\n", home_dir, lookups);
    ledger_home_close(home);
    free(ids.id);
    free(lat);
    return 0;
}

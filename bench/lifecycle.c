/* bench/lifecycle.c -- in-process figures on a store bench/lifecycle.sh
 * built (issue 18 item 4; not a test): p50/p99 of one garment's
 * ledger_trace_lifecycle over REPEATS garments spread over the store
 * (after 20 garments not counted: the process maps the indexes' upper
 * levels), then one ledger_trace_due (every garment, at LOCATION) and one
 * ledger_trace_missing (30 days, as of AS_OF), each with its time, the
 * number of garments listed and the peak RSS so far.
 *
 *   build/bench/lifecycle HOME GARMENTS LOCATION AS_OF [REPEATS]
 * Garments are urn:epc:id:sgtin:5412345.000020.K, K from 0 to GARMENTS-1
 * (bench/lifecycle_gen.py). */
#include "bench_common.h"
#include "ledger_epcis.h"
#include "ledger_home.h"
#include "ledger_store.h"
#include "ledger_trace_report.h"

static void die(const char *what, const ledger_err_t *err)
{
    fprintf(stderr, "bench/lifecycle: %s: %s\n", what, err ? err->msg : "");
    exit(1);
}

int main(int argc, char **argv)
{
    ledger_home_t *home;
    ledger_err_t err;
    ledger_key_t *k = malloc(sizeof *k);
    size_t reps = argc > 5 ? strtoul(argv[5], NULL, 10) : 200;
    long n;
    double *lat, t0;
    int64_t asof;
    json_t *r;

    if (argc < 5 || !k || reps < 2) {
        fprintf(stderr, "usage: lifecycle HOME GARMENTS LOCATION AS_OF [REPEATS]\n");
        return 2;
    }
    n = strtol(argv[2], NULL, 10);
    if (n < 1 || ledger_epcis_time_ms(argv[4], &asof, NULL) || !(lat = calloc(reps, sizeof *lat)))
        return 2;
    if (ledger_home_open(argv[1], LEDGER_STORE_RDONLY | LEDGER_STORE_RANDOM, &home, &err))
        die("open", &err);
    for (size_t i = 0; i < reps + 20; i++) {
        char id[80];
        snprintf(id, sizeof id, "urn:epc:id:sgtin:5412345.000020.%ld",
                 (long)((i * 7919 + 13) % (size_t)n));
        if (ledger_key_read(id, k, &err))
            die(id, &err);
        t0 = bench_now();
        if (ledger_trace_lifecycle(ledger_home_store(home), k, NULL, 0, &r, &err))
            die(id, &err);
        if (i >= 20)
            lat[i - 20] = (bench_now() - t0) * 1e6;
        json_decref(r);
    }
    printf("  ledger_trace_lifecycle, %zu garments: p50 %.0f us, p99 %.0f us (goal p99 < 5 ms)\n",
           reps, bench_percentile(lat, reps, 0.5), bench_percentile(lat, reps, 0.99));
    if (ledger_key_read(argv[3], k, &err))
        die(argv[3], &err);
    t0 = bench_now();
    if (ledger_trace_due(ledger_home_store(home), k, NULL, 0, 0, &r, &err))
        die("due", &err);
    printf("  ledger_trace_due --all: %zu garments in %.2f s, peak RSS %.0f MB (goal < 2 s for "
           "200,000)\n",
           json_array_size(json_object_get(r, "garments")), bench_now() - t0, bench_peak_rss_mb());
    json_decref(r);
    t0 = bench_now();
    if (ledger_trace_missing(ledger_home_store(home), k, NULL, 0, 30, asof, &r, &err))
        die("missing", &err);
    printf("  ledger_trace_missing 30 days: %zu garments in %.2f s, peak RSS %.0f MB\n",
           json_array_size(json_object_get(r, "garments")), bench_now() - t0, bench_peak_rss_mb());
    json_decref(r);
    ledger_home_close(home);
    free(lat);
    free(k);
    return 0;
}

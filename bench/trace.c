/* bench/trace.c -- trace and recall latency on a chain-shaped ledger (issue
 * 5 benchmark; not a test). Five partner feeds, each signed by its own key
 * in its own store, replicated into one auditor store the way a node does
 * (ledger_replica ingest), then:
 *   - p50/p99 of a trace back (ledger_trace_run, LEDGER_TRACE_BACK) from a
 *     random retail pack to the farm's animals (after 20 traces of other
 *     packs that are not counted: the process maps the indexes' upper
 *     levels);
 *   - p50/p99 of recall (ledger_trace_recall) of one big lot that reached
 *     SHIPMENTS shipments;
 *   - bytes of the store per event and index rows per event.
 *
 * The chain per ordinary lot (about 84 events): farm commissions 2 animals
 * and ships them; the slaughterhouse receives, slaughters them into a lot
 * (TransformationEvent) and ships it; the processor receives it, cuts it
 * into 200 portions (10 TransformationEvents of 20), packs cases of 10 and
 * pallets of 10 cases and ships 2 pallets; the distributor receives and
 * unpacks the pallets and ships 20 cases to shops; the shops receive them.
 * The big lot: SHIPMENTS cases of 5 portions, each shipped to a shop and
 * received there (cuts of 100 portions).
 *
 *   build/bench/trace [WORKDIR [EVENTS [SHIPMENTS [REPEATS]]]]
 * defaults: a temporary directory, 200000 events, 2000 shipments, 200.
 */
#include "bench_common.h"
#include "ledger_entry.h"
#include "ledger_epcis.h"
#include "ledger_home.h"
#include "ledger_identity.h"
#include "ledger_replica.h"
#include "ledger_store.h"
#include "ledger_trace.h"
#include "ledger_recall.h"

#include <malloc.h>
#include <unistd.h>

enum { FARM, SLAUGHTER, PROC, DIST, SHOP, NP };

typedef struct part {
    char dir[600];
    ledger_identity_t *id;
    ledger_store_t *st;
    ledger_append_t *ap;
    json_t *batch[1000];
    size_t nb;
    uint64_t events;
} part_t;

static void die(const char *what, const ledger_err_t *err)
{
    fprintf(stderr, "bench/trace: %s: %s\n", what, err ? err->msg : "");
    exit(1);
}

static void flush(part_t *p)
{
    ledger_err_t err;
    if (p->nb && ledger_store_append_add(p->ap, p->batch, p->nb, 0, NULL, &err))
        die("append", &err);
    for (size_t i = 0; i < p->nb; i++)
        json_decref(p->batch[i]);
    p->events += p->nb;
    p->nb = 0;
    /* a commit every 250,000 events: one write transaction of millions of
     * events would hold gigabytes of dirty pages */
    if (p->events / 250000 != (p->events - 1000) / 250000 &&
        (ledger_store_append_commit(p->ap, &err) ||
         ledger_store_append_begin(p->st, p->id, 0, &p->ap, &err)))
        die("commit", &err);
}

static void add(part_t *p, json_t *ev)
{
    if (!ev)
        die("json_pack", NULL);
    p->batch[p->nb++] = ev;
    if (p->nb == 1000)
        flush(p);
}

static void tm(char out[40], long t)
{
    /* minutes after 2020-01-01T00:00:00Z as text (t may be negative) */
    time_t s = (time_t)1577836800 + (time_t)t * 60;
    struct tm g;
    gmtime_r(&s, &g);
    strftime(out, 40, "%Y-%m-%dT%H:%M:00Z", &g);
}

static json_t *obj(long t, const char *step, json_t *epcs, const char *loc)
{
    char ts[40];
    tm(ts, t);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:{s:s}}", "type", "ObjectEvent", "action",
                     "OBSERVE", "eventTime", ts, "eventTimeZoneOffset", "+00:00", "bizStep", step,
                     "epcList", epcs, "bizLocation", "id", loc);
}

static json_t *ship(long t, json_t *epcs, const char *from, const char *to)
{
    json_t *e = obj(t, "shipping", epcs, from);
    json_object_set_new(e, "destinationList",
                        json_pack("[{s:s, s:s}]", "type", "location", "destination", to));
    json_object_set_new(e, "sensorElementList",
                        json_pack("[{s:[{s:s, s:f, s:s}]}]", "sensorReport", "type", "Temperature",
                                  "value", (t % 97) == 0 ? 7.5 : 3.0, "uom", "CEL"));
    return e;
}

static json_t *cls_list(const char *cls, double q)
{
    return json_pack("[{s:s, s:f}]", "epcClass", cls, "quantity", q);
}

static json_t *agg(long t, const char *action, const char *parent, json_t *children,
                   const char *loc)
{
    char ts[40];
    tm(ts, t);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:{s:s}}", "type", "AggregationEvent",
                     "action", action, "eventTime", ts, "eventTimeZoneOffset", "+00:00", "parentID",
                     parent, "bizStep", strcmp(action, "ADD") == 0 ? "packing" : "unpacking",
                     "childEPCs", children, "bizLocation", "id", loc);
}

#define LOC_F "urn:epc:id:sgln:5412345.00009.0"
#define LOC_S "urn:epc:id:sgln:5412345.00001.0"
#define LOC_P "urn:epc:id:sgln:5412345.00000.0"
#define LOC_D "urn:epc:id:sgln:5412345.00003.0"

static void portion(char *out, size_t n, long lot, long k)
{
    snprintf(out, n, "urn:epc:id:sgtin:5412345.000012.L%ldP%ld", lot, k);
}

/* One lot: portions cut in groups of `cut`, cases of `case_n`, pallets of
 * `pal_cases` cases (0: each case shipped straight to a shop). */
static void make_lot(part_t *p, long lot, long t, long portions, long cut, long case_n,
                     long pal_cases)
{
    char a1[80], a2[80], lotc[100], sscc[80], ts[40], pid[80], shop[80];
    long ncases = portions / case_n;
    snprintf(a1, sizeof a1, "urn:epc:id:giai:5412345.A%ldx1", lot);
    snprintf(a2, sizeof a2, "urn:epc:id:giai:5412345.A%ldx2", lot);
    snprintf(lotc, sizeof lotc, "urn:epc:class:lgtin:5412345.000002.LOT%ld", lot);
    {
        json_t *e = obj(t - 400000, "commissioning", json_pack("[s,s]", a1, a2), LOC_F);
        json_object_set_new(e, "action", json_string("ADD"));
        json_object_set_new(e, "ilmd", json_pack("{s:s}", "meat:bornIn", "BE"));
        add(&p[FARM], e);
    }
    add(&p[FARM], ship(t, json_pack("[s,s]", a1, a2), LOC_F, LOC_S));
    add(&p[SLAUGHTER], obj(t + 60, "receiving", json_pack("[s,s]", a1, a2), LOC_S));
    tm(ts, t + 120);
    add(&p[SLAUGHTER],
        json_pack("{s:s, s:s, s:s, s:[s,s], s:o, s:{s:s}}", "type", "TransformationEvent",
                  "eventTime", ts, "eventTimeZoneOffset", "+00:00", "inputEPCList", a1, a2,
                  "outputQuantityList", cls_list(lotc, 2), "bizLocation", "id", LOC_S));
    {
        json_t *e = obj(t + 180, "shipping", json_array(), LOC_S);
        json_object_del(e, "epcList");
        json_object_set_new(e, "quantityList", cls_list(lotc, 2));
        add(&p[SLAUGHTER], e);
        e = obj(t + 240, "receiving", json_array(), LOC_P);
        json_object_del(e, "epcList");
        json_object_set_new(e, "quantityList", cls_list(lotc, 2));
        add(&p[PROC], e);
    }
    for (long c = 0; c < portions / cut; c++) {
        json_t *out = json_array();
        for (long k = c * cut; k < (c + 1) * cut; k++) {
            portion(pid, sizeof pid, lot, k);
            json_array_append_new(out, json_string(pid));
        }
        tm(ts, t + 300 + c);
        add(&p[PROC],
            json_pack("{s:s, s:s, s:s, s:o, s:o, s:{s:s}}", "type", "TransformationEvent",
                      "eventTime", ts, "eventTimeZoneOffset", "+00:00", "inputQuantityList",
                      cls_list(lotc, 0.1), "outputEPCList", out, "bizLocation", "id", LOC_P));
    }
    for (long c = 0; c < ncases; c++) {
        json_t *kids = json_array();
        for (long k = c * case_n; k < (c + 1) * case_n; k++) {
            portion(pid, sizeof pid, lot, k);
            json_array_append_new(kids, json_string(pid));
        }
        snprintf(sscc, sizeof sscc, "urn:epc:id:sscc:541234.%011ld", lot * 100000 + c);
        add(&p[PROC], agg(t + 600, "ADD", sscc, kids, LOC_P));
        if (!pal_cases) {
            snprintf(shop, sizeof shop, "urn:epc:id:sgln:5412345.00100.%ld", c % 500);
            add(&p[PROC], ship(t + 700 + c % 60, json_pack("[s]", sscc), LOC_P, shop));
            add(&p[SHOP], obj(t + 900 + c % 60, "receiving", json_pack("[s]", sscc), shop));
        }
    }
    if (!pal_cases)
        return;
    for (long pl = 0; pl < ncases / pal_cases; pl++) {
        char pal[80];
        json_t *kids = json_array();
        snprintf(pal, sizeof pal, "urn:epc:id:sscc:541234.%011ld", lot * 100000 + 90000 + pl);
        for (long c = pl * pal_cases; c < (pl + 1) * pal_cases; c++) {
            snprintf(sscc, sizeof sscc, "urn:epc:id:sscc:541234.%011ld", lot * 100000 + c);
            json_array_append_new(kids, json_string(sscc));
        }
        add(&p[PROC], agg(t + 620, "ADD", pal, kids, LOC_P));
        add(&p[PROC], ship(t + 700, json_pack("[s]", pal), LOC_P, LOC_D));
        add(&p[DIST], obj(t + 900, "receiving", json_pack("[s]", pal), LOC_D));
        add(&p[DIST], agg(t + 960, "DELETE", pal, json_array(), LOC_D));
        for (long c = pl * pal_cases; c < (pl + 1) * pal_cases; c++) {
            snprintf(sscc, sizeof sscc, "urn:epc:id:sscc:541234.%011ld", lot * 100000 + c);
            snprintf(shop, sizeof shop, "urn:epc:id:sgln:5412345.00100.%ld", (lot + c) % 500);
            add(&p[DIST], ship(t + 1000, json_pack("[s]", sscc), LOC_D, shop));
            add(&p[SHOP], obj(t + 1200, "receiving", json_pack("[s]", sscc), shop));
        }
    }
}

typedef struct run {
    ledger_ingest_t *in;
    const uint8_t *feed;
    const uint8_t *e[512];
    uint8_t *own[512];
    size_t len[512], n;
} run_t;

static void run_flush(run_t *r)
{
    ledger_ingest_report_t rep;
    ledger_err_t err;
    if (r->n &&
        ledger_ingest_add(r->in, r->feed, (const uint8_t *const *)r->e, r->len, r->n, &rep, &err))
        die("ingest", &err);
    for (size_t i = 0; i < r->n; i++)
        free(r->own[i]);
    r->n = 0;
}

static int run_cb(const uint8_t *bytes, size_t len, uint64_t seq, void *ctx)
{
    run_t *r = ctx;
    (void)seq;
    r->own[r->n] = malloc(len);
    memcpy(r->own[r->n], bytes, len);
    r->e[r->n] = r->own[r->n];
    r->len[r->n++] = len;
    if (r->n == 512)
        run_flush(r);
    return 0;
}

int main(int argc, char **argv)
{
    char work[512], cmd[600];
    long events = argc > 2 ? atol(argv[2]) : 200000, ships = argc > 3 ? atol(argv[3]) : 2000;
    long reps = argc > 4 ? atol(argv[4]) : 200, lots, big = 0;
    part_t p[NP];
    ledger_store_t *aud;
    ledger_home_t *home = NULL;
    ledger_err_t err;
    double t0, *lat;
    int tmp = argc < 2 || !argv[1][0], reused = 0;
    uint64_t total = 0;

    memset(p, 0, sizeof p);
    /* as keten's query commands do (cli_common.c, cli_keep_memory) */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    if (tmp) {
        snprintf(work, sizeof work, "%s/keten-bench-trace.XXXXXX",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(work))
            die("mkdtemp", NULL);
    } else {
        snprintf(work, sizeof work, "%s", argv[1]);
        mkdir(work, 0700);
    }
    /* the big lot's events come off the total; ordinary lots fill the rest */
    lots = (events - ships * 3 - ships * 5 / 100 - 10) / 84;
    if (lots < 10)
        lots = 10;
    big = lots;
    /* the auditor is a keten home: `keten --home WORKDIR/auditor recall ...`
     * runs on it too */
    snprintf(cmd, sizeof cmd, "%s/auditor/db/data.mdb", work);
    if (!tmp && getenv("BENCH_TRACE_REUSE") && access(cmd, R_OK) == 0) {
        /* measure again on the ledger a former run of the same size left */
        snprintf(cmd, sizeof cmd, "%s/auditor", work);
        /* trace as `keten trace` opens the store: no read-ahead */
        if (ledger_home_open(cmd, LEDGER_STORE_RDONLY | LEDGER_STORE_RANDOM, &home, &err))
            die("auditor", &err);
        aud = ledger_home_store(home);
        reused = 1;
        printf("trace bench: the ledger in %s (%ld lots + one of %ld shipments)\n", work, lots,
               ships);
        goto measure;
    }
    for (int i = 0; i < NP; i++) {
        snprintf(p[i].dir, sizeof p[i].dir, "%s/p%d", work, i);
        if (ledger_identity_generate(&p[i].id, &err) ||
            ledger_store_open(p[i].dir, LEDGER_STORE_CREATE, ledger_identity_public(p[i].id),
                              &p[i].st, &err) ||
            ledger_store_append_begin(p[i].st, p[i].id, 0, &p[i].ap, &err))
            die("partner store", &err);
    }
    t0 = bench_now();
    for (long l = 0; l < lots; l++)
        make_lot(p, l, 1000 + l * 7, 200, 20, 10, 10);
    make_lot(p, big, 1000 + lots * 7, ships * 5, 100, 5, 0);
    for (int i = 0; i < NP; i++) {
        flush(&p[i]);
        if (ledger_store_append_commit(p[i].ap, &err))
            die("commit", &err);
        total += p[i].events;
    }
    printf("trace bench: %llu events over %d partner feeds (%ld lots of 200 portions + one lot "
           "of %ld portions with %ld shipments), recorded in %.1f s\n",
           (unsigned long long)total, NP, lots, ships * 5, ships, bench_now() - t0);
    /* replicate every feed into the auditor's store */
    t0 = bench_now();
    snprintf(cmd, sizeof cmd, "%s/auditor", work);
    if (ledger_home_create(cmd, "auditor", NULL, NULL, 0, &home, &err))
        die("auditor", &err);
    aud = ledger_home_store(home);
    for (int i = 0; i < NP; i++) {
        run_t r = {.feed = ledger_identity_public(p[i].id)};
        uint64_t next = 1;
        if (ledger_ingest_begin(aud, &r.in, &err))
            die("ingest begin", &err);
        while (1) {
            uint64_t from = next;
            if (ledger_replica_range(p[i].st, r.feed, from, 0, 50000, 0, 0, run_cb, &r, &next,
                                     &err))
                die("range", &err);
            run_flush(&r);
            if (next > p[i].events)
                break;
            if (next / 500000 != from / 500000 && /* commit every 500,000 entries */
                (ledger_ingest_commit(r.in, &err) || ledger_ingest_begin(aud, &r.in, &err)))
                die("ingest commit", &err);
        }
        if (ledger_ingest_commit(r.in, &err))
            die("ingest commit", &err);
        /* the partner's own store is not needed any more: its disk back */
        ledger_store_close(p[i].st);
        p[i].st = NULL;
        snprintf(cmd, sizeof cmd, "rm -rf '%.580s'", p[i].dir);
        if (system(cmd) != 0)
            die("rm partner store", NULL);
    }
    printf("replicated into one store in %.1f s\n", bench_now() - t0);
measure : {
    ledger_store_stats_t s;
    if (ledger_store_stats(aud, &s, &err))
        die("stats", &err);
    printf("store: %.0f bytes/event in all (log + indexes; LMDB map in use %.1f MB); "
           "index rows per event: ident %.2f, evid %.2f, loc %.2f, time %.2f\n",
           (double)s.map_bytes / (double)s.entries, (double)s.map_bytes / 1e6,
           (double)s.ident_rows / (double)s.entries, (double)s.evid_rows / (double)s.entries,
           (double)s.loc_rows / (double)s.entries, (double)s.time_rows / (double)s.entries);
    printf("bytes/event per database: log %.0f, ident %.0f, edge %.0f, evid %.0f, loc %.0f, "
           "time %.0f, fseq %.0f (indexes %.0f)\n",
           (double)s.log_bytes / (double)s.entries, (double)s.ident_bytes / (double)s.entries,
           (double)s.edge_bytes / (double)s.entries, (double)s.evid_bytes / (double)s.entries,
           (double)s.loc_bytes / (double)s.entries, (double)s.time_bytes / (double)s.entries,
           (double)s.fseq_bytes / (double)s.entries,
           (double)(s.ident_bytes + s.edge_bytes + s.evid_bytes + s.loc_bytes + s.time_bytes +
                    s.fseq_bytes) /
               (double)s.entries);
}
    lat = calloc((size_t)reps, sizeof *lat);
    {
        ledger_trace_opts_t o = {.dir = LEDGER_TRACE_BACK};
        size_t nodes = 0;
        uint64_t reads = 0;
        double warm = 0;
        /* 20 traces of other packs first, not counted: a new process has
         * none of the store mapped, and each page it touches first costs a
         * fault; these map the upper levels of the indexes, as any node
         * that has answered a few queries has them */
        srand(4242);
        for (int i = 0; i < 20; i++) {
            char pid[80];
            ledger_trace_t *t;
            portion(pid, sizeof pid, rand() % lots, rand() % 200);
            t0 = bench_now();
            if (ledger_trace_run(aud, pid, &o, &t, &err))
                die("trace", &err);
            warm += (bench_now() - t0) * 1e3 / 20;
            ledger_trace_free(t);
        }
        srand(42);
        for (long i = 0; i < reps; i++) {
            char pid[80];
            ledger_trace_t *t;
            int farm = 0;
            portion(pid, sizeof pid, rand() % lots, rand() % 200);
            t0 = bench_now();
            if (ledger_trace_run(aud, pid, &o, &t, &err))
                die("trace", &err);
            lat[i] = (bench_now() - t0) * 1e3;
            for (size_t k = 0; k < ledger_trace_node_count(t); k++) {
                const ledger_trace_node_t *n = ledger_trace_node(t, k);
                farm |= n->kind == LEDGER_TNODE_EVENT && n->biz_step &&
                        strcmp(n->biz_step, "commissioning") == 0;
            }
            if (!farm)
                die("trace back did not reach the farm", NULL);
            nodes += ledger_trace_node_count(t);
            reads += ledger_trace_reads(t);
            ledger_trace_free(t);
        }
        printf("trace --back pack -> farm: p50 %.3f ms, p99 %.3f ms (%ld traces, %.0f nodes and "
               "%.0f entries read each; after 20 of other packs, mean %.2f ms, not counted)  "
               "[goal p99 < 1 ms]\n",
               bench_percentile(lat, (size_t)reps, 0.5), bench_percentile(lat, (size_t)reps, 0.99),
               reps, (double)nodes / (double)reps, (double)reads / (double)reps, warm);
    }
    if (reused) {
        /* recall as `keten recall` opens the store: with read-ahead (a
         * recall's cards lie together, and the kernel maps pages around
         * each fault) */
        ledger_home_close(home);
        snprintf(cmd, sizeof cmd, "%s/auditor", work);
        if (ledger_home_open(cmd, LEDGER_STORE_RDONLY, &home, &err))
            die("auditor", &err);
        aud = ledger_home_store(home);
    }
    {
        char lotc[100];
        long n = reps < 20 ? reps : 20;
        ledger_recall_t *r = NULL;
        static ledger_key_t lk;
        snprintf(lotc, sizeof lotc, "urn:epc:class:lgtin:5412345.000002.LOT%ld", big);
        for (long i = 0; i < n; i++) {
            ledger_recall_free(r);
            t0 = bench_now();
            /* as keten recall does: the lot read once, then the recall */
            if (ledger_key_read(lotc, &lk, &err) ||
                ledger_recall_run(aud, &lk, NULL, 1, 4.0, &r, &err))
                die("recall", &err);
            lat[i] = (bench_now() - t0) * 1e3;
        }
        {
            /* how much of it is the forward trace (the walk) itself */
            ledger_trace_opts_t o = {.dir = LEDGER_TRACE_FORWARD, .no_sealed = 1};
            ledger_trace_t *t = NULL;
            double *wl = calloc(n > 0 ? (size_t)n : 1, sizeof *wl);
            if (!wl)
                die("calloc", NULL);
            for (long i = 0; i < n; i++) {
                double t1;
                ledger_trace_free(t);
                t1 = bench_now();
                if (ledger_trace_run(aud, lotc, &o, &t, &err))
                    die("trace forward", &err);
                wl[i] = (bench_now() - t1) * 1e3;
            }
            printf("  (of which the forward trace alone: p50 %.1f ms; %zu nodes, %zu edges, %llu "
                   "index entries and cards read)\n",
                   bench_percentile(wl, (size_t)n, 0.5), ledger_trace_node_count(t),
                   ledger_trace_edge_count(t), (unsigned long long)ledger_trace_reads(t));
            ledger_trace_free(t);
            free(wl);
        }
        printf("recall of a lot with %zu shipments (%zu received; a receipt is counted with its "
               "shipment): p50 %.1f ms, p99 %.1f ms (%ld runs; %zu "
               "products, %zu excursions; the answer computed, ready to print)  [goal < 50 ms at "
               "10,000 shipments]\n",
               ledger_recall_shipment_count(r), ledger_recall_received_count(r),
               bench_percentile(lat, (size_t)n, 0.5),
               bench_percentile(lat, (size_t)n, 0.99), n, ledger_recall_nproducts(r),
               ledger_recall_nexcursions(r));
        {
            /* printing it is separate: keten recall --json streams this */
            FILE *devnull = fopen("/dev/null", "w"), *mem;
            char *buf = NULL;
            size_t size = 0;
            if (!devnull || !(mem = open_memstream(&buf, &size)) ||
                ledger_recall_write_json(r, mem, &err))
                die("recall JSON", &err);
            fclose(mem);
            free(buf);
            for (long i = 0; i < n; i++) {
                t0 = bench_now();
                if (ledger_recall_write_json(r, devnull, &err))
                    die("recall JSON", &err);
                lat[i] = (bench_now() - t0) * 1e3;
            }
            fclose(devnull);
            printf("  (writing it as JSON: p50 %.1f ms for %.1f MB)\n",
                   bench_percentile(lat, (size_t)n, 0.5), (double)size / 1e6);
        }
        ledger_recall_free(r);
    }
    free(lat);
    ledger_home_close(home);
    for (int i = 0; i < NP; i++) {
        ledger_store_close(p[i].st);
        ledger_identity_free(p[i].id);
    }
    if (tmp) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", work);
        if (system(cmd) != 0)
            return 1;
    }
    return 0;
}

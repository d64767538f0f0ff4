/* cli_record.c -- `keten record`.
 *
 * Files: each FILE (or "-" for stdin) is read and checked as an EPCIS
 * document (ledger_epcis.h: JSON-LD, or XML when it starts with '<') event
 * by event; the events stream into one open
 * append (ledger_store_append_begin/add/commit) a chunk at a time, so all
 * events of all files are one durable transaction: either every event is
 * recorded or none is, even for a document of millions of events. Only after
 * the commit returned is a line printed per recorded event.
 *
 * Options: with --type (or any event option) and no FILE, one event is built
 * from the options, checked like any other, and recorded. */
#include "cli_record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "ledger_entry.h"
#include "ledger_epcis.h"
#include "ledger_store.h"
#include "gs1_ident.h"

static const char usage[] =
    "usage: keten record [FILE|-]... [--private] [--skip-duplicates] [--commit-every N]\n"
    "                    [--quiet] [--json]\n"
    "       keten record --type TYPE [--action ADD|OBSERVE|DELETE] [event options]\n"
    "\n"
    "Records EPCIS 2.0 events, signed, into this home's feed. A FILE holds an\n"
    "EPCISDocument, an EPCISQueryDocument, an array of events or one event (JSON-LD),\n"
    "or an EPCISDocument or EPCISQueryDocument in EPCIS 2.0 or 1.x XML (told by\n"
    "content: XML starts with '<'); '-' reads stdin. All events of one call are\n"
    "stored in one transaction: all or nothing. A line per event is printed once\n"
    "the commit has reached the disk.\n"
    "\n"
    "Options:\n"
    "  --private              keep the payloads at home: partners receive these\n"
    "                         entries sealed (header and signature, no event)\n"
    "  --skip-duplicates      skip events whose eventID is already recorded\n"
    "                         (default: refuse the whole call)\n"
    "  --commit-every N       commit every N events instead of once for the call:\n"
    "                         memory stays bounded for documents of millions of\n"
    "                         events; every file is checked whole first, but a\n"
    "                         failure later (full disk) keeps the batches before it\n"
    "  --quiet                print only the summary (on stderr)\n"
    "  --json                 one JSON object per recorded event\n"
    "\n"
    "Event options (build one event instead of reading a file):\n"
    "  --type TYPE            ObjectEvent (default), AggregationEvent, TransformationEvent,\n"
    "                         TransactionEvent, AssociationEvent\n"
    "  --action ACTION        ADD, OBSERVE (default) or DELETE\n"
    "  --epc URI              an EPC of epcList (repeat); EPC URN or Digital Link URI\n"
    "  --quantity CLASS=Q[:UOM]  quantityList element, e.g.\n"
    "                         urn:epc:class:lgtin:5412345.000001.LOT42=12.5:KGM (repeat)\n"
    "  --parent URI           parentID (Aggregation, Association, Transaction)\n"
    "  --child URI            childEPCs element (repeat)\n"
    "  --input URI / --output URI   inputEPCList / outputEPCList element (repeat)\n"
    "  --input-quantity C=Q[:UOM] / --output-quantity C=Q[:UOM]\n"
    "  --biz-step STEP        e.g. commissioning, shipping, receiving (CBV)\n"
    "  --disposition DISP     e.g. active, in_transit (CBV)\n"
    "  --read-point URI       readPoint id, e.g. urn:epc:id:sgln:5412345.00000.0\n"
    "  --biz-location URI     bizLocation id\n"
    "  --source TYPE=URI      sourceList element, TYPE owning_party, possessing_party or\n"
    "                         location (repeat)\n"
    "  --destination TYPE=URI destinationList element (repeat)\n"
    "  --biz-transaction TYPE=URI  bizTransactionList element, e.g. po=urn:... (repeat)\n"
    "  --ilmd JSON            the ilmd object, e.g. '{\"cbvmda:lotNumber\":\"LOT42\"}'\n"
    "  --event-time TIME      RFC 3339 time (default: now)\n"
    "\n"
    "Examples:\n"
    "  keten record lot.jsonld\n"
    "  keten record --type ObjectEvent --action ADD --epc urn:epc:id:sgtin:5412345.000001.1001 \\\n"
    "        --biz-step commissioning --disposition active \\\n"
    "        --read-point urn:epc:id:sgln:5412345.00000.0\n";

/* "+hh:mm" of the local time zone at t. */
static void tz_offset(time_t t, char out[7])
{
    struct tm lt;
    int off;
    localtime_r(&t, &lt);
    off = (int)(lt.tm_gmtoff / 60) % (24 * 60); /* minutes, |off| < 24 h */
    snprintf(out, 7, "%c%02d:%02d", off < 0 ? '-' : '+', (abs(off) / 60) % 24, abs(off) % 60);
}

/* Splits "LEFT=RIGHT" at the first '=' after any "scheme:" part is allowed:
 * we split at the last '=' for quantities (URNs hold no '=') and the first
 * for TYPE=URI. */
static int quantity_elem(const char *arg, json_t **out)
{
    const char *eq = strrchr(arg, '=');
    char *cls, *end;
    const char *q, *colon;
    double qty;
    json_t *o;

    if (!eq || eq == arg)
        return -1;
    q = eq + 1;
    colon = strchr(q, ':');
    qty = strtod(q, &end);
    if (end == q || (colon ? end != colon : *end != '\0'))
        return -1;
    if (!(cls = strndup(arg, (size_t)(eq - arg))))
        return -1;
    o = json_pack("{s:s, s:f}", "epcClass", cls, "quantity", qty);
    if (qty == (double)(long long)qty)
        json_object_set_new(o, "quantity", json_integer((long long)qty));
    if (colon)
        json_object_set_new(o, "uom", json_string(colon + 1));
    free(cls);
    *out = o;
    return 0;
}

static int typed_elem(const char *arg, const char *idkey, json_t **out)
{
    const char *eq = strchr(arg, '=');
    char *type;
    if (!eq || eq == arg || !eq[1])
        return -1;
    if (!(type = strndup(arg, (size_t)(eq - arg))))
        return -1;
    *out = json_pack("{s:s, s:s}", "type", type, idkey, eq + 1);
    free(type);
    return *out ? 0 : -1;
}

static void append_to(json_t *ev, const char *key, json_t *item)
{
    json_t *arr = json_object_get(ev, key);
    if (!arr) {
        arr = json_array();
        json_object_set_new(ev, key, arr);
    }
    json_array_append_new(arr, item);
}

/* The event options: each names the member it fills and how. */
enum opt_kind {
    OPT_TYPE,     /* the event type */
    OPT_ACTION,   /* action */
    OPT_TIME,     /* eventTime (and its offset) */
    OPT_LIST,     /* one more element of an identifier list */
    OPT_STRING,   /* a string member */
    OPT_ID,       /* an object {"id": value} (readPoint, bizLocation) */
    OPT_QUANTITY, /* one more quantity element CLASS=Q[:UOM] */
    OPT_TYPED,    /* one more {"type": T, sub: URI} element, from T=URI */
    OPT_ILMD,     /* the ilmd object, as JSON */
};

static const struct event_opt {
    const char *name;
    enum opt_kind kind;
    const char *member, *sub;
} event_opts[] = {
    {"--type", OPT_TYPE, NULL, NULL},
    {"--action", OPT_ACTION, NULL, NULL},
    {"--event-time", OPT_TIME, NULL, NULL},
    {"--epc", OPT_LIST, "epcList", NULL},
    {"--child", OPT_LIST, "childEPCs", NULL},
    {"--input", OPT_LIST, "inputEPCList", NULL},
    {"--output", OPT_LIST, "outputEPCList", NULL},
    {"--parent", OPT_STRING, "parentID", NULL},
    {"--biz-step", OPT_STRING, "bizStep", NULL},
    {"--disposition", OPT_STRING, "disposition", NULL},
    {"--transformation-id", OPT_STRING, "transformationID", NULL},
    {"--read-point", OPT_ID, "readPoint", NULL},
    {"--biz-location", OPT_ID, "bizLocation", NULL},
    {"--quantity", OPT_QUANTITY, "quantityList", NULL},
    {"--child-quantity", OPT_QUANTITY, "childQuantityList", NULL},
    {"--input-quantity", OPT_QUANTITY, "inputQuantityList", NULL},
    {"--output-quantity", OPT_QUANTITY, "outputQuantityList", NULL},
    {"--source", OPT_TYPED, "sourceList", "source"},
    {"--destination", OPT_TYPED, "destinationList", "destination"},
    {"--biz-transaction", OPT_TYPED, "bizTransactionList", "bizTransaction"},
    {"--ilmd", OPT_ILMD, "ilmd", NULL},
};
#define N_EVENT_OPTS (sizeof event_opts / sizeof event_opts[0])

/* The value an EPC option puts in the event: an EPC URN or Digital Link as
 * given; a UHF tag's EPC hex or tag URN as its EPC pure identity URN; an
 * element string (with or without parentheses) as its EPC URN when the EPC
 * says its company prefix length, else its Digital Link. A new reference,
 * or NULL after a message (exit code in *rc). */
static json_t *epc_value(const char *cmd, const char *opt, const char *v, int *rc)
{
    gs1_ident_t id = {0};
    gs1_err_t err;
    json_t *out;
    int as_written;
    if ((*rc = gs1_ident_parse(v, strlen(v), NULL, &id, &err))) {
        if (strchr(v, ':')) {
            *rc = 0; /* a URI that is no GS1 identifier (urn:uuid:...): as written; the
                        event's check decides whether EPCIS takes it */
            return json_string(v);
        }
        fprintf(stderr, "keten %s: %s \"%s\": %s (keten decode shows every form)\n", cmd, opt, v,
                err.msg);
        *rc = CLI_EXIT_INPUT;
        return NULL;
    }
    /* the forms an EPCIS event carries as they are; a tag's EPC (tag URN,
     * hex), an element string or bare digits become the EPC URN */
    as_written = !strcmp(id.kind, "epc-urn") || !strcmp(id.kind, "epc-class-urn") ||
                 !strcmp(id.kind, "epc-idpat-urn") || !strcmp(id.kind, "dl") ||
                 !strcmp(id.kind, "url");
    out = json_string(as_written ? v : id.epc_urn ? id.epc_urn : id.dl ? id.dl : id.key);
    gs1_ident_clear(&id);
    return out;
}

/* Applies one option's value to the event under construction. 0, or an exit
 * code after a message. */
static int apply_opt(const char *cmd, const struct event_opt *o, const char *v, json_t *ev,
                     const char **type, const char **action, const char **when)
{
    json_t *item = NULL;
    switch (o->kind) {
    case OPT_TYPE:
        *type = v;
        return 0;
    case OPT_ACTION:
        *action = v;
        return 0;
    case OPT_TIME:
        *when = v;
        return 0;
    case OPT_LIST: {
        int rc = 0;
        if (!(item = epc_value(cmd, o->name, v, &rc)))
            return rc ? rc : CLI_EXIT_ENV;
        append_to(ev, o->member, item);
        return 0;
    }
    case OPT_STRING:
        if (strcmp(o->member, "parentID") == 0) {
            int rc = 0;
            if (!(item = epc_value(cmd, o->name, v, &rc)))
                return rc ? rc : CLI_EXIT_ENV;
            json_object_set_new(ev, o->member, item);
            return 0;
        }
        json_object_set_new(ev, o->member, json_string(v));
        return 0;
    case OPT_ID:
        json_object_set_new(ev, o->member, json_pack("{s:s}", "id", v));
        return 0;
    case OPT_QUANTITY:
        if (quantity_elem(v, &item))
            return cli_usage(cmd,
                             "%s \"%s\": expected CLASS=QUANTITY[:UOM], e.g. "
                             "urn:epc:class:lgtin:5412345.000001.LOT42=12.5:KGM",
                             o->name, v);
        append_to(ev, o->member, item);
        return 0;
    case OPT_TYPED:
        if (typed_elem(v, o->sub, &item))
            return cli_usage(cmd, "%s \"%s\": expected TYPE=URI", o->name, v);
        append_to(ev, o->member, item);
        return 0;
    case OPT_ILMD: {
        json_error_t je;
        json_t *ilmd = json_loads(v, 0, &je);
        if (!json_is_object(ilmd)) {
            json_decref(ilmd);
            return cli_usage(cmd, "--ilmd: expected a JSON object: %s",
                             ilmd ? "not an object" : je.text);
        }
        json_object_set_new(ev, o->member, ilmd);
        return 0;
    }
    }
    return 0;
}

int cli_record_build_event(const char *cmd, int argc, char **argv, json_t **out)
{
    json_t *ev = json_object();
    const char *type = "ObjectEvent", *action = NULL, *when = NULL, *v;
    char tz[7], buf[64];
    int r;

    for (int i = 1; i < argc; i++) {
        for (size_t k = 0; k < N_EVENT_OPTS; k++) {
            if ((r = cli_opt(argc, argv, &i, event_opts[k].name, &v)) == 0)
                continue;
            if (r < 0 || (r = apply_opt(cmd, &event_opts[k], v, ev, &type, &action, &when))) {
                json_decref(ev);
                return r < 0 ? CLI_EXIT_USAGE : r;
            }
            break;
        }
    }
    json_object_set_new(ev, "type", json_string(type));
    if (!action && strcmp(type, "TransformationEvent") != 0)
        action = "OBSERVE";
    if (action)
        json_object_set_new(ev, "action", json_string(action));
    if (when) {
        const char *tzp = strlen(when) > 10 ? strpbrk(when + 10, "Zz+-") : NULL;
        json_object_set_new(ev, "eventTime", json_string(when));
        if (tzp && (*tzp == 'Z' || *tzp == 'z'))
            json_object_set_new(ev, "eventTimeZoneOffset", json_string("+00:00"));
        else if (tzp)
            json_object_set_new(ev, "eventTimeZoneOffset", json_string(tzp));
    } else {
        struct timespec ts;
        struct tm lt;
        clock_gettime(CLOCK_REALTIME, &ts);
        localtime_r(&ts.tv_sec, &lt);
        tz_offset(ts.tv_sec, tz);
        strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &lt);
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ".%03ld%s", ts.tv_nsec / 1000000, tz);
        json_object_set_new(ev, "eventTime", json_string(buf));
        json_object_set_new(ev, "eventTimeZoneOffset", json_string(tz));
    }
    *out = ev;
    return 0;
}

int cli_record_is_event_option(const char *a)
{
    for (size_t i = 0; i < N_EVENT_OPTS; i++) {
        size_t n = strlen(event_opts[i].name);
        if (strncmp(a, event_opts[i].name, n) == 0 && (a[n] == '\0' || a[n] == '='))
            return 1;
    }
    return 0;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* What is printed for one event once the commit has returned. */
typedef struct outcome {
    uint64_t seq;
    int skipped;
    char *event_id, *event_hash;
} outcome_t;

/* Events stream from the documents into the open append a chunk at a time,
 * so that a document of millions of events never sits in memory whole.
 * What does grow with the call is LMDB's transaction (its dirty pages,
 * about the store's growth: 2 KB per event); --commit-every N bounds it by
 * committing every N events (docs/cli.md). */
#define CHUNK 4096

typedef struct recorder {
    const cli_ctx_t *ctx;
    ledger_store_t *st;
    const ledger_identity_t *id;
    unsigned flags;
    ledger_append_t *append;
    json_t *chunk[CHUNK];
    size_t n, first; /* events in chunk; file index of chunk[0] */
    const char *source;
    ledger_append_result_t *res; /* CHUNK results */
    outcome_t *out;              /* the outcomes not yet printed (NULL: --quiet) */
    size_t nout, capout;
    size_t recorded, skipped;
    size_t commit_every; /* 0: one transaction for the whole call */
    size_t since_commit; /* events added since the last commit */
    size_t committed;    /* events durable in earlier commits of this call */
    int tty;             /* stderr is a terminal: show progress */
    /* the mapped file being stored (NULL: not a mapping), how far it has
     * been read (ledger_epcis_doc_foreach_at) and how much of it was let go */
    const char *map, *at;
    size_t dropped;
    struct timespec t0;  /* when the call started */
    char hex[2 * LEDGER_FEED_LEN + 1];
    ledger_err_t *err;
} recorder_t;

static void print_outcomes(const cli_ctx_t *ctx, const recorder_t *r, const char *hex)
{
    for (size_t i = 0; i < r->nout; i++) {
        const outcome_t *o = &r->out[i];
        if (ctx->json) {
            json_t *j =
                json_pack("{s:s, s:I, s:s, s:s, s:b}", "feed", hex, "seq", (json_int_t)o->seq,
                          "eventID", o->event_id ? o->event_id : "", "eventHash",
                          o->event_hash ? o->event_hash : "", "skipped", o->skipped);
            char *text = json_dumps(j, JSON_COMPACT);
            puts(text);
            free(text);
            json_decref(j);
        } else if (o->skipped) {
            printf("skipped  %s (already recorded)\n", o->event_id);
        } else {
            printf("recorded %.8s:%llu %s\n", hex, (unsigned long long)o->seq, o->event_id);
        }
    }
}

static void free_outcomes(recorder_t *r)
{
    for (size_t i = 0; i < r->nout; i++) {
        free(r->out[i].event_id);
        free(r->out[i].event_hash);
    }
    r->nout = 0;
}

static int keep_outcome(recorder_t *r, const ledger_append_result_t *res)
{
    if (r->nout == r->capout) {
        size_t cap = r->capout ? r->capout * 2 : 1024;
        outcome_t *o = realloc(r->out, cap * sizeof *o);
        if (!o)
            return ledger_err_set(r->err, LEDGER_ENOMEM, "out of memory");
        r->out = o;
        r->capout = cap;
    }
    r->out[r->nout].seq = res->seq;
    r->out[r->nout].skipped = res->skipped;
    r->out[r->nout].event_id = strdup(res->event_id);
    r->out[r->nout].event_hash = strdup(res->event_hash);
    r->nout++;
    return 0;
}

static void clear_line(const recorder_t *r)
{
    if (r->tty)
        fputs("\r\033[K", stderr);
}

/* Commits the open append; only then are its events printed as recorded. */
static int commit(recorder_t *r)
{
    int rc;
    if (r->tty && r->since_commit >= CHUNK)
        fprintf(stderr, "\r\033[Kcommitting %zu events to disk...", r->since_commit);
    rc = ledger_store_append_commit(r->append, r->err);
    r->append = NULL;
    if (rc)
        return rc;
    if (r->tty && r->since_commit >= CHUNK)
        clear_line(r);
    r->committed += r->since_commit;
    r->since_commit = 0;
    if (r->out) {
        print_outcomes(r->ctx, r, r->hex);
        fflush(stdout);
        free_outcomes(r);
    }
    return 0;
}

/* The pages of the mapped document behind what has been read are dropped
 * from memory (MADV_DONTNEED: a private read-only file mapping reads them
 * from the file again if they are touched), so that a document of a million
 * events does not stay resident whole while it is stored. */
static void drop_read_pages(recorder_t *r)
{
    static size_t page;
    size_t upto;
    if (!r->map || !r->at || r->at <= r->map)
        return;
    if (!page)
        page = (size_t)sysconf(_SC_PAGESIZE);
    upto = (size_t)(r->at - r->map) / page * page;
    if (upto > r->dropped + 16 * page) {
        (void)madvise((char *)r->map + r->dropped, upto - r->dropped, MADV_DONTNEED);
        r->dropped = upto;
    }
}

static int flush_chunk(recorder_t *r)
{
    int rc = 0;
    if (r->n == 0)
        return 0;
    rc = ledger_store_append_add(r->append, r->chunk, r->n, r->first, r->res, r->err);
    if (rc && r->source && rc != LEDGER_ENOMEM)
        ledger_err_prefix(r->err, "%s", r->source);
    for (size_t i = 0; !rc && i < r->n; i++) {
        r->skipped += r->res[i].skipped;
        r->recorded += !r->res[i].skipped;
        if (r->out)
            rc = keep_outcome(r, &r->res[i]);
    }
    for (size_t i = 0; i < r->n; i++)
        json_decref(r->chunk[i]);
    drop_read_pages(r);
    r->first += r->n;
    r->since_commit += rc ? 0 : r->n;
    r->n = 0;
    if (!rc && r->tty) {
        double secs = seconds_since(&r->t0);
        size_t done = r->recorded + r->skipped;
        fprintf(stderr, "\r\033[Krecording: %zu events checked, signed and stored, %.0f events/s%s",
                done, secs > 0 ? (double)done / secs : 0.0,
                r->commit_every ? "" : " (not yet committed)");
    }
    if (!rc && r->commit_every && r->since_commit >= r->commit_every && !(rc = commit(r)))
        rc = ledger_store_append_begin(r->st, r->id, r->flags, &r->append, r->err);
    return rc;
}

static int take_event(json_t *event, size_t index, void *ctx)
{
    recorder_t *r = ctx;
    (void)index;
    r->chunk[r->n++] = json_incref(event);
    if (r->n == CHUNK || (r->commit_every && r->since_commit + r->n >= r->commit_every))
        return flush_chunk(r);
    return 0;
}

/* The message for a call that failed with rc: what is stored of it. */
static int failed(recorder_t *r, int rc)
{
    clear_line(r);
    fprintf(stderr, "keten: %s\n", r->err->msg);
    if (r->committed)
        fprintf(stderr,
                "%zu events of this call were committed before it (--commit-every); the rest "
                "was not recorded: run it again with --skip-duplicates to go on.\n",
                r->committed);
    else
        fprintf(stderr, "nothing was recorded.\n");
    return cli_exit_code(rc);
}

/* Records the events of each file. With --commit-every every file is
 * checked whole first, so that bad input still stores nothing; the files
 * stay mapped (stdin read once) for both passes. */
static int record_files(recorder_t *r, const char **files, size_t nfiles)
{
    char **bufs = calloc(nfiles ? nfiles : 1, sizeof *bufs);
    size_t *lens = calloc(nfiles ? nfiles : 1, sizeof *lens);
    int *mapped = calloc(nfiles ? nfiles : 1, sizeof *mapped), rc = 0;
    size_t f, nmapped = 0;
    if (!bufs || !lens || !mapped) {
        rc = CLI_EXIT_ENV;
        goto done;
    }
    for (int pass = r->commit_every ? 0 : 1; pass < 2 && !rc; pass++)
        for (f = 0; f < nfiles && !rc; f++) {
            int prc;
            if (f == nmapped) {
                if ((rc = cli_map_file(files[f], &bufs[f], &lens[f], &mapped[f])))
                    break;
                nmapped++;
            }
            r->source = files[f];
            r->first = 0;
            /* storing: pass 0 checked the events already, or the store checks
             * each (LEDGER_APPEND_CHECK) where it reads its identifiers */
            r->map = pass && mapped[f] ? bufs[f] : NULL;
            r->at = NULL;
            r->dropped = 0;
            prc = ledger_epcis_doc_foreach_at(bufs[f], lens[f], files[f],
                                              pass ? LEDGER_EPCIS_UNCHECKED : 0,
                                              pass ? take_event : NULL, r, NULL, &r->at, r->err);
            if (!prc && pass)
                prc = flush_chunk(r);
            r->map = NULL;
            if (prc)
                rc = failed(r, prc);
        }
done:
    for (f = 0; f < nmapped; f++)
        cli_unmap_file(bufs[f], lens[f], mapped[f]);
    free(bufs);
    free(lens);
    free(mapped);
    return rc;
}

int cli_record_main(cli_ctx_t *ctx, int argc, char **argv)
{
    const char **files = NULL, *every = NULL;
    size_t nfiles = 0;
    json_t *built = NULL;
    ledger_home_t *home = NULL;
    const ledger_identity_t *id;
    unsigned flags = 0;
    int quiet = 0, rc = 0, use_options = 0;
    ledger_err_t err;
    struct timespec t0;
    recorder_t *r = NULL;
    unsigned long long every_n = 0;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (!(files = calloc((size_t)argc, sizeof *files)))
        return CLI_EXIT_ENV;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int o;
        if (cli_is_help(a)) {
            fputs(usage, stdout);
            free(files);
            return 0;
        }
        if ((o = cli_common_option(ctx, argc, argv, &i)) != 0 ||
            (o = cli_opt(argc, argv, &i, "--commit-every", &every)) != 0) {
            if (o < 0) {
                free(files);
                return CLI_EXIT_USAGE;
            }
            continue;
        }
        if (strcmp(a, "--skip-duplicates") == 0)
            flags |= LEDGER_APPEND_SKIP_DUPLICATES;
        else if (strcmp(a, "--private") == 0)
            flags |= LEDGER_APPEND_PRIVATE;
        else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0)
            quiet = 1;
        else if (cli_record_is_event_option(a)) {
            use_options = 1;
            if (!strchr(a, '=') && i + 1 < argc)
                i++;
        } else if (a[0] == '-' && a[1] != '\0') {
            free(files);
            return cli_usage("record", "unknown option %s", a);
        } else
            files[nfiles++] = a;
    }
    if (every) {
        char *end;
        errno = 0;
        every_n = strtoull(every, &end, 10);
        if (errno || *end || !every[0] || every[0] == '-' || every_n == 0) {
            free(files);
            return cli_usage("record", "--commit-every takes a number of events above 0, not %s",
                             every);
        }
    }
    if (use_options && nfiles) {
        free(files);
        return cli_usage("record", "give either FILEs or event options, not both");
    }
    if (!use_options && !nfiles) {
        free(files);
        return cli_usage("record", "nothing to record: give a FILE ('-' for stdin) or --type");
    }
    if ((rc = cli_open_home(ctx, 0, &home)))
        goto done;
    if ((rc = cli_identity(ctx, home, &id)))
        goto done;
    if (!(r = calloc(1, sizeof *r)) || !(r->res = calloc(CHUNK, sizeof *r->res))) {
        rc = CLI_EXIT_ENV;
        goto done;
    }
    if (!use_options && !every_n)
        flags |= LEDGER_APPEND_CHECK; /* --commit-every checks the files first, whole */
    r->ctx = ctx;
    r->st = ledger_home_store(home);
    r->id = id;
    r->flags = flags;
    r->commit_every = (size_t)every_n;
    r->err = &err;
    r->tty = isatty(2);
    r->t0 = t0;
    ledger_hex(ledger_home_id(home), LEDGER_FEED_LEN, r->hex);
    if (!quiet && !(r->out = malloc(1024 * sizeof *r->out))) {
        rc = CLI_EXIT_ENV;
        goto done;
    }
    r->capout = quiet ? 0 : 1024;
    if ((rc = ledger_store_append_begin(r->st, id, flags, &r->append, &err))) {
        rc = cli_fail(ctx, rc, &err);
        goto done;
    }
    if (use_options) {
        if ((rc = cli_record_build_event("record", argc, argv, &built)))
            goto done;
        if (ledger_epcis_event_check(built, "event from the options", &err) != 0) {
            rc = cli_fail(ctx, err.code, &err);
            goto done;
        }
        take_event(built, 0, r);
    }
    if ((rc = record_files(r, files, nfiles)))
        goto done;
    if ((rc = flush_chunk(r)) || (rc = commit(r))) {
        rc = failed(r, rc);
        goto done;
    }
    {
        double secs = seconds_since(&t0);
        size_t total = r->recorded + r->skipped;
        fflush(stdout);
        fprintf(stderr, "keten: recorded %zu event%s", r->recorded, r->recorded == 1 ? "" : "s");
        if (r->skipped)
            fprintf(stderr, ", skipped %zu already recorded", r->skipped);
        if (total >= 1000 && secs > 0)
            fprintf(stderr, " in %.2f s (%.0f events/s)", secs, (double)total / secs);
        fprintf(stderr, "\n");
    }
    rc = 0;
done:
    if (r) {
        ledger_store_append_abort(r->append);
        for (size_t i = 0; i < r->n; i++)
            json_decref(r->chunk[i]);
        free_outcomes(r);
        free(r->out);
        free(r->res);
        free(r);
    }
    json_decref(built);
    free(files);
    ledger_home_close(home);
    return rc;
}

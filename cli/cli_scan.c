/* cli_scan.c -- `keten scan`: from tag reads to recorded events.
 *
 * How it works:
 *  - The event template is built once from `keten record`'s event options
 *    (cli_record_build_event) and checked at start with a sample identifier,
 *    so that a bad --biz-step fails before anyone scans.
 *  - The reader (reader.h) is polled in slices of at most POLL_SLICE_MS, so
 *    that SIGINT/SIGTERM and --timeout are noticed promptly.  When a poll
 *    gives a read, the reader is polled again with timeout 0 until it has
 *    nothing more at once (or BATCH_MAX reads): those reads are one batch,
 *    one write transaction (ledger_store_append_begin/add/commit), and their
 *    lines are printed only after the commit returned.
 *  - Each read: gs1_ident_parse() gives the canonical key (the same
 *    garment as Digital Link QR, element string or SGTIN-96 EPC gives the
 *    same key); a key seen again within the debounce window (sliding: every
 *    sighting renews it) is counted once; otherwise one event is built from
 *    the template: eventTime = the read's time in the local zone, the key in
 *    epcList (instances: serialised items, SSCCs, locations, assets, NFC UIDs,
 *    other URIs) or as a quantityList epcClass (GTIN alone, GTIN + lot, GMN,
 *    GRAI/GDTI/GCN without serial); Aggregation/Association events take the
 *    child lists, Transformation events the input lists.  The event is
 *    checked as `keten record` checks events.  A bad code is reported and
 *    nothing is recorded for it.
 *  - Reader errors: --once exits; otherwise the message is printed (once per
 *    distinct message, then every ERROR_REPEAT_S while it lasts) and polling
 *    goes on: the backends reopen their devices themselves.  A device that
 *    cannot be opened at start is retried every OPEN_RETRY_MS (nfc:, line:).
 *  - The store is opened once; the write transaction is held only while a
 *    batch is written, so `keten node` and other writers can share the home.
 *    libnfc's blocking calls happen in this process, never in the node's
 *    event loop.
 */
#include "cli_scan.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_ident.h"
#include "cli_record.h"
#include "cli_scan_pass.h"
#include "ledger_entry.h"
#include "ledger_epcis.h"
#include "ledger_store.h"
#include "reader.h"

#define POLL_SLICE_MS 200   /* longest single poll: how fast signals are noticed */
#define BATCH_MAX 1024      /* reads per transaction at most */
#define OPEN_RETRY_MS 2000  /* reopen attempts of a device missing at start */
#define ERROR_REPEAT_S 30.0 /* the same reader error is printed again after this */
#define FAST_ERROR_MS 100   /* an error poll quicker than this is followed by a pause */
#define ANTENNA_SPECS_MAX 64 /* --antenna options */

static const char usage[] =
    "usage: keten scan --reader URI [--once] [--count N] [--timeout S] [--debounce S]\n"
    "                  [--dry-run] [--json] [--private] [--verbose]\n"
    "                  [--gcp-length N] [--gcp-table FILE] [event options]\n"
    "\n"
    "Reads tags and codes from a reader and records one EPCIS event per read, signed,\n"
    "into this home's feed. Reads that arrive together are one transaction. One line\n"
    "per read is printed once it is on disk: the identifier and the event ID.\n"
    "\n"
    "Readers (see docs/readers.md):\n"
    "  nfc:                         libnfc's default device\n"
    "  nfc:pn532_uart:/dev/ttyUSB0  a libnfc connstring (also acr122_usb, ...)\n"
    "  qr:label.png[,more.jpg]      QR codes and barcodes in PNG/JPEG files or a directory\n"
    "  line:-                       one code per line on stdin (keyboard-wedge scanner)\n"
    "  line:/dev/ttyACM0[,9600]     one code per line from a serial scanner or file\n"
    "  replay:reads.jsonl[?fast]    recorded reads\n"
    "  llrp:HOST[:PORT][?antennas=1,2]  a fixed UHF reader (LLRP, port 5084)\n"
    "\n"
    "Options:\n"
    "  --reader URI           the reader (required)\n"
    "  --once                 stop after the first good read (exit non-zero if none)\n"
    "  --count N              stop after N reads recorded\n"
    "  --timeout S            stop after S seconds (with --once/--count: exit 1 if\n"
    "                         they were not reached)\n"
    "  --debounce S           the same identifier again within S seconds is one read\n"
    "                         (default 2; 0 records every read)\n"
    "  --dry-run              print what was read and the event; record nothing (no\n"
    "                         home needed)\n"
    "  --json                 one JSON object per read\n"
    "  --private              partners receive these entries sealed\n"
    "  --verbose              libnfc's own log, and reads counted once by --debounce\n"
    "  --window S             tunnel passes: the tags read in one pass (until no new tag\n"
    "                         came for S seconds; 2s, 500ms) are ONE event listing every\n"
    "                         EPC; --count counts passes (see docs/readers.md, LLRP)\n"
    "  --idle S               a pass also ends when none of its tags was read for S\n"
    "                         (default 0: by the window only; see docs/readers.md)\n"
    "  --antenna N[,N]=READPOINT[,BIZSTEP]  with --window: the read point and business\n"
    "                         step of an antenna's passes (repeatable; reads of other\n"
    "                         antennas are ignored); e.g.\n"
    "                         --antenna 1=urn:epc:id:sgln:0614141.00002.0,receiving\n"
    "%s"
    "\n"
    "Event options (the template of every event; as `keten record`):\n"
    "  --type TYPE            ObjectEvent (default), TransactionEvent: the read goes\n"
    "                         into epcList / quantityList; AggregationEvent,\n"
    "                         AssociationEvent: childEPCs / childQuantityList (give\n"
    "                         --parent); TransformationEvent: inputEPCList / ...\n"
    "  --action ACTION        OBSERVE (default), ADD or DELETE\n"
    "  --biz-step STEP  --disposition DISP  --read-point URI  --biz-location URI\n"
    "  --source TYPE=URI  --destination TYPE=URI  --biz-transaction TYPE=URI\n"
    "  --parent URI  --ilmd JSON  --epc URI  --quantity C=Q[:UOM]  (see keten record)\n"
    "eventTime is the time of each read, in the local time zone.\n"
    "\n"
    "Exit codes: 0 done (or stopped by SIGINT/SIGTERM after the current batch);\n"
    "1 --once/--count not reached (nothing read); 2 usage; 3 a read was not a valid\n"
    "code, or an invalid event template; 4 reader or store failure.\n"
    "\n"
    "Examples:\n"
    "  keten --home H scan --reader nfc:pn532_uart:/dev/ttyUSB0 --biz-step receiving \\\n"
    "        --read-point urn:epc:id:sgln:5412345.00000.0\n"
    "  keten --home H scan --reader qr:lot42.png --once --dry-run\n"
    "  keten --home H scan --reader line:- --biz-step shipping\n"
    "  keten --home H scan --reader llrp:192.168.1.20 --window 2s \\\n"
    "        --antenna 1,2=urn:epc:id:sgln:0614141.00002.0,receiving\n";

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL); /* a signal cuts it short: fine */
}

/* ---- debounce: canonical key -> time last seen (ms) ----------------------- */

typedef struct {
    char *key;
    int64_t at;
} seen_t;

typedef struct {
    seen_t *slot;
    size_t cap, n; /* cap is a power of two; n counts used slots */
    int64_t window_ms;
} debounce_t;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int64_t absdiff(int64_t a, int64_t b)
{
    return a > b ? a - b : b - a;
}

/* How long a key is remembered: the window, and at least a second so that
 * two reads of one key never share an eventTime (they would be one event). */
static int64_t keep_ms(const debounce_t *d)
{
    return d->window_ms > 1000 ? d->window_ms : 1000;
}

/* Rebuilds the table with room for more, dropping keys not seen within
 * keep_ms() before now. 0 or -1 (out of memory: the table is unchanged). */
static int debounce_rehash(debounce_t *d, int64_t now)
{
    size_t live = 0, cap;
    seen_t *ns;
    for (size_t i = 0; i < d->cap; i++)
        live += d->slot[i].key && absdiff(now, d->slot[i].at) < keep_ms(d);
    for (cap = 64; cap < live * 4; cap *= 2)
        ;
    if (!(ns = calloc(cap, sizeof *ns)))
        return -1;
    for (size_t i = 0; i < d->cap; i++) {
        seen_t *s = &d->slot[i];
        if (!s->key)
            continue;
        if (absdiff(now, s->at) >= keep_ms(d)) {
            free(s->key);
            continue;
        }
        size_t j = (size_t)hash_str(s->key) & (cap - 1);
        while (ns[j].key)
            j = (j + 1) & (cap - 1);
        ns[j] = *s;
    }
    free(d->slot);
    d->slot = ns;
    d->cap = cap;
    d->n = live;
    return 0;
}

/* 1 when key was seen within the window before *at (the sighting renews
 * it), 0 when not (now remembered), -1 out of memory.  A read of a key in
 * the same millisecond as (or just before) its previous one is moved to the
 * millisecond after it, so that two reads are two events even with a window
 * of 0. */
static int debounce_seen(debounce_t *d, const char *key, int64_t *at)
{
    size_t j;
    if ((d->n + 1) * 2 > d->cap && debounce_rehash(d, *at) < 0)
        return -1;
    j = (size_t)hash_str(key) & (d->cap - 1);
    for (; d->slot[j].key; j = (j + 1) & (d->cap - 1)) {
        if (strcmp(d->slot[j].key, key) == 0) {
            int64_t prev = d->slot[j].at;
            int dup = absdiff(*at, prev) < d->window_ms;
            if (!dup && *at <= prev && prev - *at < 1000)
                *at = prev + 1;
            d->slot[j].at = *at;
            return dup;
        }
    }
    if (!(d->slot[j].key = strdup(key)))
        return -1;
    d->slot[j].at = *at;
    d->n++;
    return 0;
}

static void debounce_free(debounce_t *d)
{
    for (size_t i = 0; i < d->cap; i++)
        free(d->slot[i].key);
    free(d->slot);
}

/* ---- the scan --------------------------------------------------------- */

typedef struct {
    json_t *event;  /* the event to record */
    json_t *report; /* what is printed for it (JSON output); has "key" */
} pending_t;

typedef struct {
    cli_ctx_t *ctx;
    const char *uri;
    int dry_run, verbose;
    long limit;        /* reads to record before stopping, 0 = no limit */
    unsigned flags;    /* LEDGER_APPEND_* */
    json_t *tmpl;      /* the event template */
    const char *list;  /* member for instance identifiers (epcList, ...) */
    const char *qlist; /* member for class identifiers (quantityList, ...) */
    cli_ident_cfg_t idc;
    debounce_t deb;
    ledger_home_t *home;
    const ledger_identity_t *id;
    char feed_hex[2 * LEDGER_FEED_LEN + 1];
    pending_t batch[BATCH_MAX];
    size_t nbatch;
    ledger_append_result_t *res; /* BATCH_MAX */
    /* counts */
    long taken; /* good reads accepted (recorded or, with --dry-run, shown) */
    long bad;   /* reads that were not a valid code */
    long dups;  /* reads counted once by the debounce */
    long reader_errors;
    long batches;
    /* reader error reporting */
    char last_error[sizeof(((ledger_err_t *)0)->msg)];
    double last_error_at;
    /* tunnel passes (--window) */
    cli_pass_set_t *passes; /* NULL without --window */
    long reads;             /* tag reads seen (passes) */
    long rereads;           /* reads of a tag already in its pass */
    long ignored;           /* reads of antennas not in the map */
    long lost_passes, lost_tags;
    long pass_epcs;         /* EPCs in recorded passes */
    int64_t lat_max_ms, lat_sum_ms;   /* last new read -> recorded */
    int64_t lat2_max_ms, lat2_sum_ms; /* last read of any of its tags -> recorded */
    int64_t first_read_mono, last_read_mono;
    unsigned char warned[65536 / 8]; /* antennas already warned about */
} scan_t;

/* "2026-11-24T10:00:00.250+01:00" and "+01:00" for ms since the epoch. */
static void format_time(int64_t ms, char out[40], char tz[8])
{
    time_t secs = (time_t)(ms / 1000);
    struct tm lt;
    long off;
    localtime_r(&secs, &lt);
    off = lt.tm_gmtoff / 60;
    snprintf(tz, 8, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 60 % 24, labs(off) % 60);
    strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &lt);
    snprintf(out + strlen(out), 40 - strlen(out), ".%03d%s", (int)(ms % 1000), tz);
}

/* A copy of the template with the identifier and the time filled in. */
static json_t *make_event(const scan_t *s, const char *key, int cls, const char *when,
                          const char *tz)
{
    json_t *ev = json_deep_copy(s->tmpl), *arr, *item;
    const char *member = cls ? s->qlist : s->list;
    if (!ev)
        return NULL;
    item = cls ? json_pack("{s:s}", "epcClass", key) : json_string(key);
    if (!(arr = json_object_get(ev, member))) {
        arr = json_array();
        json_object_set_new(ev, member, arr);
    }
    if (!item || json_array_append_new(arr, item) ||
        json_object_set_new(ev, "eventTime", json_string(when)) ||
        json_object_set_new(ev, "eventTimeZoneOffset", json_string(tz))) {
        json_decref(ev);
        return NULL;
    }
    return ev;
}

static void print_json(json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (text)
        puts(text);
    free(text);
}

/* A read that is not a valid code (or makes an invalid event). */
static void report_bad(scan_t *s, const reader_read_t *rd, const char *msg)
{
    char shown[256];
    s->bad++;
    if (rd)
        cli_ident_show(rd->code, rd->code_len, shown, sizeof shown);
    fprintf(stderr, "keten scan: %s%s%s: not recorded\n", rd ? shown : "", rd ? ": " : "", msg);
    if (s->ctx->json) {
        json_t *in = rd ? json_stringn(rd->code, rd->code_len) : json_null();
        json_t *j = json_pack("{s:o, s:s, s:b}", "input", in ? in : json_null(), "error", msg,
                              "recorded", 0);
        if (j && rd && rd->source)
            json_object_set_new(j, "source", json_string(rd->source));
        if (j)
            print_json(j);
        json_decref(j);
        fflush(stdout);
    }
}

static int limit_reached(const scan_t *s)
{
    return s->limit > 0 && s->taken >= s->limit;
}

static int64_t mono_ms(void)
{
    return (int64_t)(mono_now() * 1000);
}

/* Where group g's passes are, for messages: the map's read point and step,
 * else the template's, else "-". */
static const char *pass_rp(const scan_t *s, int g)
{
    const char *p = cli_pass_read_point(s->passes, g);
    const char *t = json_string_value(json_object_get(json_object_get(s->tmpl, "readPoint"), "id"));
    return strcmp(p, "-") == 0 && t ? t : p;
}

static const char *pass_step(const scan_t *s, int g)
{
    const char *p = cli_pass_biz_step(s->passes, g);
    const char *t = json_string_value(json_object_get(s->tmpl, "bizStep"));
    return strcmp(p, "-") == 0 && t ? t : p;
}

/* Closes group g's pass: its event goes into the batch.  0 or an exit code. */
static int close_pass(scan_t *s, int g)
{
    cli_pass_info_t info;
    ledger_err_t err;
    char key[512];
    json_t *ev = cli_pass_take(s->passes, g, s->tmpl, s->list, s->qlist, format_time, &info), *rep;
    if (!ev) {
        fprintf(stderr, "keten scan: out of memory\n");
        return CLI_EXIT_ENV;
    }
    snprintf(key, sizeof key, "pass of %zu EPC%s at %s (%s)", info.n, info.n == 1 ? "" : "s",
             pass_rp(s, g), pass_step(s, g));
    if (ledger_epcis_event_check(ev, "the pass's event", &err)) {
        fprintf(stderr, "keten scan: %s: %s: not recorded\n", key, err.msg);
        json_decref(ev);
        s->bad++;
        return 0;
    }
    rep = json_pack("{s:s, s:I, s:s, s:s, s:I, s:I}", "key", key, "pass_epcs", (json_int_t)info.n,
                    "readPoint", pass_rp(s, g), "bizStep",
                    pass_step(s, g), "_last_new", (json_int_t)info.last_new_mono,
                    "_last_read", (json_int_t)info.last_read_mono);
    if (!rep) {
        json_decref(ev);
        fprintf(stderr, "keten scan: out of memory\n");
        return CLI_EXIT_ENV;
    }
    s->batch[s->nbatch].event = ev;
    s->batch[s->nbatch].report = rep;
    s->nbatch++;
    s->taken++;
    s->pass_epcs += (long)info.n;
    return 0;
}

/* Closes the passes that are due (all of them with force).  0 or an exit code. */
static int close_due_passes(scan_t *s, int force)
{
    int g, rc;
    for (;;) {
        if (force) {
            for (g = 0; g < cli_pass_groups(s->passes) && !cli_pass_size(s->passes, g); g++)
                ;
            if (g == cli_pass_groups(s->passes))
                return 0;
        } else if ((g = cli_pass_due(s->passes, mono_ms(), NULL)) < 0) {
            return 0;
        }
        if (s->nbatch == BATCH_MAX || limit_reached(s))
            return 0;
        if ((rc = close_pass(s, g)))
            return rc;
    }
}

/* Drops every open pass, saying so (the reader was lost or the scan stops
 * mid-pass: a pass that may lack tags is never recorded). */
static void drop_passes(scan_t *s, const char *why)
{
    for (int g = 0; s->passes && g < cli_pass_groups(s->passes); g++) {
        size_t n = cli_pass_size(s->passes, g);
        if (n == 0)
            continue;
        fprintf(stderr,
                "keten scan: %s mid-pass: the open pass of %zu EPC%s at %s (%s) was NOT recorded; "
                "nothing of it is on disk (run the cart through again)\n",
                why, n, n == 1 ? "" : "s", pass_rp(s, g),
                pass_step(s, g));
        cli_pass_drop(s->passes, g);
        s->lost_passes++;
        s->lost_tags += (long)n;
    }
}

/* One read in a tunnel pass: identify, put into its antenna's pass.
 * 0, or an exit code on a fatal error. */
static int take_pass_read(scan_t *s, const reader_read_t *rd)
{
    gs1_ident_t id = {0};
    gs1_err_t gerr;
    char raw[160];
    const char *key;
    int64_t at = rd->time_ms > 0 ? rd->time_ms : now_ms(), mono = mono_ms();
    int g = cli_pass_group(s->passes, rd->antenna), cls = 0, rc, dup;

    s->reads++;
    if (!s->first_read_mono)
        s->first_read_mono = mono;
    s->last_read_mono = mono;
    if (g < 0) {
        s->ignored++;
        if (!(s->warned[rd->antenna / 8] & (1u << (rd->antenna % 8)))) {
            s->warned[rd->antenna / 8] |= (unsigned char)(1u << (rd->antenna % 8));
            fprintf(stderr, "keten scan: reads from antenna %u are ignored: the antenna map "
                            "(--antenna) does not name it\n", rd->antenna);
        }
        return 0;
    }
    if (gs1_ident_parse(rd->code, rd->code_len, &s->idc.opts, &id, &gerr) == 0) {
        key = id.key;
        cls = gs1_ident_is_class(&id);
    } else if (rd->epc_bits > 0 && rd->code_len < 130) {
        /* a UHF EPC keten cannot decode (not GS1, or a scheme it does not
         * know): kept as what it is, the EPC raw URI of the Tag Data
         * Standard (urn:epc:raw:BITS.xHEX; gs1_ident reads it) */
        snprintf(raw, sizeof raw, "urn:epc:raw:%u.x%.*s", rd->epc_bits, (int)rd->code_len,
                 rd->code);
        key = raw;
    } else {
        report_bad(s, rd, gerr.msg);
        return 0;
    }
    if (cli_pass_contains(s->passes, g, key)) {
        s->rereads++;
        cli_pass_seen(s->passes, g, mono);
        dup = debounce_seen(&s->deb, key, &at); /* renews its last sighting */
        gs1_ident_clear(&id);
        return dup < 0 ? CLI_EXIT_ENV : 0;
    }
    /* a tag of an earlier pass still in the field (a cart parked in the
     * tunnel) within --debounce of its last sighting is not a new pass */
    if ((dup = debounce_seen(&s->deb, key, &at)) != 0) {
        gs1_ident_clear(&id);
        if (dup < 0)
            return CLI_EXIT_ENV;
        s->dups++;
        return 0;
    }
    rc = cli_pass_add(s->passes, g, key, cls, at, mono);
    gs1_ident_clear(&id);
    if (rc < 0) {
        fprintf(stderr, "keten scan: out of memory\n");
        return CLI_EXIT_ENV;
    }
    if (rc == 2) /* full: one event holds at most CLI_PASS_MAX EPCs */
        return close_pass(s, g);
    return 0;
}

/* One read: identify, debounce, build its event into the batch.
 * 0, or an exit code on a fatal error (out of memory). */
static int take_read(scan_t *s, const reader_read_t *rd)
{
    if (s->passes)
        return take_pass_read(s, rd);
    gs1_ident_t id = {0};
    gs1_err_t gerr;
    ledger_err_t err;
    char when[40], tz[8];
    int64_t at = rd->time_ms > 0 ? rd->time_ms : now_ms();
    int cls, dup;
    json_t *ev, *rep, *input;

    if (!(input = json_stringn(rd->code, rd->code_len))) {
        report_bad(s, rd, "not valid UTF-8 text");
        return 0;
    }
    if (gs1_ident_parse(rd->code, rd->code_len, &s->idc.opts, &id, &gerr)) {
        json_decref(input);
        report_bad(s, rd, gerr.msg);
        return 0;
    }
    if ((dup = debounce_seen(&s->deb, id.key, &at)) != 0) {
        gs1_ident_clear(&id);
        json_decref(input);
        if (dup < 0)
            goto oom;
        s->dups++;
        if (s->verbose)
            fprintf(stderr, "keten scan: %s again within the debounce window: counted once\n",
                    id.key);
        return 0;
    }
    format_time(at, when, tz);
    cls = gs1_ident_is_class(&id);
    if (!(ev = make_event(s, id.key, cls, when, tz))) {
        gs1_ident_clear(&id);
        json_decref(input);
        goto oom;
    }
    if (ledger_epcis_event_check(ev, "event", &err)) {
        json_decref(ev);
        json_decref(input);
        report_bad(s, rd, err.msg);
        gs1_ident_clear(&id);
        return 0;
    }
    rep =
        json_pack("{s:o, s:s, s:s, s:s, s:s, s:s}", "input", input, "key", id.key, "scheme",
                  id.scheme, "kind", id.kind, "list", cls ? s->qlist : s->list, "eventTime", when);
    if (rep && id.epc_urn)
        json_object_set_new(rep, "epc_urn", json_string(id.epc_urn));
    if (rep && rd->uid)
        json_object_set_new(rep, "uid", json_string(rd->uid));
    if (rep && rd->tag_type)
        json_object_set_new(rep, "tag_type", json_string(rd->tag_type));
    if (rep && rd->source)
        json_object_set_new(rep, "source", json_string(rd->source));
    gs1_ident_clear(&id);
    if (!rep) {
        json_decref(ev);
        goto oom;
    }
    s->batch[s->nbatch].event = ev;
    s->batch[s->nbatch].report = rep;
    s->nbatch++;
    s->taken++;
    return 0;
oom:
    fprintf(stderr, "keten scan: out of memory\n");
    return CLI_EXIT_ENV;
}

static void drop_batch(scan_t *s)
{
    for (size_t i = 0; i < s->nbatch; i++) {
        json_decref(s->batch[i].event);
        json_decref(s->batch[i].report);
    }
    s->nbatch = 0;
}

/* Records the batch in one transaction and prints a line per read.
 * 0, or an exit code (nothing of the batch is recorded then). */
static int flush_batch(scan_t *s)
{
    ledger_append_t *a = NULL;
    ledger_err_t err;
    json_t *events[BATCH_MAX];
    int rc;

    if (s->nbatch == 0)
        return 0;
    if (!s->dry_run) {
        for (size_t i = 0; i < s->nbatch; i++)
            events[i] = s->batch[i].event;
        if ((rc = ledger_store_append_begin(ledger_home_store(s->home), s->id, s->flags, &a,
                                            &err)) ||
            (rc = ledger_store_append_add(a, events, s->nbatch, 0, s->res, &err)) ||
            (rc = ledger_store_append_commit(a, &err))) {
            if (a && rc)
                ledger_store_append_abort(a);
            fprintf(stderr,
                    "keten scan: %s\nketen scan: the %zu read%s of this batch %s not "
                    "recorded\n",
                    err.msg, s->nbatch, s->nbatch == 1 ? "" : "s", s->nbatch == 1 ? "was" : "were");
            s->taken -= (long)s->nbatch;
            drop_batch(s);
            return cli_exit_code(rc);
        }
        s->batches++;
    }
    /* Only now, with the commit on disk, is anything reported as recorded. */
    for (size_t i = 0; i < s->nbatch; i++) {
        json_t *rep = s->batch[i].report;
        const char *key = json_string_value(json_object_get(rep, "key"));
        const ledger_append_result_t *r = &s->res[i];
        if (json_object_get(rep, "pass_epcs")) {
            int64_t now = mono_ms();
            int64_t lat = now - json_integer_value(json_object_get(rep, "_last_new"));
            int64_t lat2 = now - json_integer_value(json_object_get(rep, "_last_read"));
            json_object_del(rep, "_last_new");
            json_object_del(rep, "_last_read");
            json_object_set_new(rep, "ms_after_last_new_read", json_integer(lat));
            json_object_set_new(rep, "ms_after_last_read", json_integer(lat2));
            if (lat > s->lat_max_ms)
                s->lat_max_ms = lat;
            s->lat_sum_ms += lat;
            if (lat2 > s->lat2_max_ms)
                s->lat2_max_ms = lat2;
            s->lat2_sum_ms += lat2;
        }
        if (s->dry_run) {
            if (s->ctx->json) {
                json_object_set_new(rep, "recorded", json_false());
                json_object_set(rep, "event", s->batch[i].event);
                print_json(rep);
            } else {
                printf("read %s (dry run: not recorded)\n", key);
            }
        } else if (s->ctx->json) {
            json_object_set_new(rep, "recorded", json_boolean(!r->skipped));
            json_object_set_new(rep, "skipped", json_boolean(r->skipped));
            json_object_set_new(rep, "feed", json_string(s->feed_hex));
            json_object_set_new(rep, "seq", json_integer((json_int_t)r->seq));
            json_object_set_new(rep, "eventID", json_string(r->event_id));
            json_object_set_new(rep, "eventHash", json_string(r->event_hash));
            print_json(rep);
        } else if (r->skipped) {
            printf("skipped %s %s (already recorded)\n", key, r->event_id);
        } else {
            printf("recorded %s %s\n", key, r->event_id);
        }
    }
    if (s->dry_run && !s->ctx->json) {
        /* the event of the first read, so that the template can be checked */
        char *text = json_dumps(s->batch[0].event, JSON_INDENT(2) | JSON_ENSURE_ASCII);
        if (text && s->batches++ == 0)
            printf("%s\n", text);
        free(text);
    }
    fflush(stdout);
    drop_batch(s);
    return 0;
}

/* A reader error: printed once per distinct message (again every
 * ERROR_REPEAT_S while it lasts). */
static void report_reader_error(scan_t *s, const ledger_err_t *err)
{
    double now = mono_now();
    s->reader_errors++;
    if (strcmp(s->last_error, err->msg) == 0 && now - s->last_error_at < ERROR_REPEAT_S)
        return;
    snprintf(s->last_error, sizeof s->last_error, "%s", err->msg);
    s->last_error_at = now;
    fprintf(stderr, "keten scan: %s\n", err->msg);
}

/* Opens the reader; without --once a device missing at start (nfc:, line:)
 * is retried until it appears, the deadline passes or a signal comes.
 * 0 with *r set, or an exit code. */
static int open_reader(scan_t *s, double deadline, int retry, reader_t **r)
{
    ledger_err_t err;
    int rc, said = 0;
    for (;;) {
        if ((rc = reader_open(r, s->uri, &err)) == 0) {
            if (said)
                fprintf(stderr, "keten scan: reader %s is open\n", s->uri);
            return 0;
        }
        if (rc == LEDGER_EINVAL)
            return cli_usage("scan", "%s", err.msg);
        if (!retry || rc != LEDGER_EIO)
            return cli_fail(s->ctx, rc, &err);
        if (!said++)
            fprintf(stderr, "keten scan: %s\nketen scan: retrying every %d s (Ctrl-C to stop)\n",
                    err.msg, OPEN_RETRY_MS / 1000);
        for (int waited = 0; waited < OPEN_RETRY_MS; waited += POLL_SLICE_MS) {
            if (stop_signal || (deadline > 0 && mono_now() >= deadline))
                return -1; /* stopped before it opened */
            sleep_ms(POLL_SLICE_MS);
        }
    }
}

/* The poll loop. Returns 0 or an exit code for a fatal error; *ended is set
 * when the reader has nothing more to give. */
static int run(scan_t *s, reader_t *r, double deadline, int once, int *ended)
{
    reader_read_t rd = {0};
    ledger_err_t err;
    int rc = 0;

    while (!stop_signal && !limit_reached(s)) {
        double now = mono_now(), t0;
        int slice = POLL_SLICE_MS, prc, nread = 0;
        int64_t due_in;
        if (s->passes && (cli_pass_due(s->passes, mono_ms(), &due_in), due_in >= 0) &&
            due_in < slice)
            slice = (int)due_in + 1;
        if (deadline > 0) {
            if (now >= deadline)
                break;
            if ((deadline - now) * 1000 < slice)
                slice = (int)((deadline - now) * 1000) + 1;
        }
        t0 = now;
        prc = reader_poll(r, slice, &rd, &err);
        /* Everything the reader has at once is one batch. */
        while (prc == READER_READ || prc == LEDGER_EINPUT) {
            if (prc == READER_READ) {
                if ((rc = take_read(s, &rd)))
                    goto done;
                s->last_error[0] = '\0';
            } else {
                report_bad(s, NULL, err.msg);
            }
            if (limit_reached(s) || s->nbatch == BATCH_MAX || stop_signal)
                break;
            /* passes: a steady stream of reads must not keep due passes waiting */
            if (s->passes && ++nread >= 256)
                break;
            prc = reader_poll(r, 0, &rd, &err);
        }
        reader_read_clear(&rd);
        if (s->passes && (rc = close_due_passes(s, prc == READER_END)))
            goto done;
        if ((rc = flush_batch(s)))
            goto done;
        if (prc == READER_END) {
            *ended = 1;
            break;
        }
        if (prc < 0 && prc != LEDGER_EINPUT) {
            drop_passes(s, "reader lost");
            report_reader_error(s, &err);
            if (once) {
                rc = cli_exit_code(prc);
                goto done;
            }
            if ((mono_now() - t0) * 1000 < FAST_ERROR_MS)
                sleep_ms(POLL_SLICE_MS); /* no spinning on a backend that fails at once */
        }
    }
done:
    reader_read_clear(&rd);
    drop_batch(s);
    if (!*ended)
        drop_passes(s, rc ? "stopped by an error" : "stopped");
    return rc;
}

/* The reads' list members for the event type. */
static void lists_for(const char *type, const char **list, const char **qlist)
{
    if (strcmp(type, "AggregationEvent") == 0 || strcmp(type, "AssociationEvent") == 0) {
        *list = "childEPCs";
        *qlist = "childQuantityList";
    } else if (strcmp(type, "TransformationEvent") == 0) {
        *list = "inputEPCList";
        *qlist = "inputQuantityList";
    } else {
        *list = "epcList";
        *qlist = "quantityList";
    }
}

/* Checks the template with a sample identifier. 0 or an exit code. */
static int check_template(scan_t *s)
{
    ledger_err_t err;
    char when[40], tz[8];
    json_t *ev;
    int rc = 0;
    format_time(now_ms(), when, tz);
    if (!(ev = make_event(s, "https://id.gs1.org/01/05412345000013/21/1", 0, when, tz)))
        return CLI_EXIT_ENV;
    if (ledger_epcis_event_check(ev, "the event template", &err)) {
        fprintf(stderr,
                "keten scan: %s\n(the event options make an event keten cannot record; "
                "see `keten scan --help`)\n",
                err.msg);
        rc = CLI_EXIT_INPUT;
    }
    json_decref(ev);
    return rc;
}

/* --window: "2s", "500ms", "1.5" (seconds). 0 or an exit code. */
/* "2s", "500ms", "1.5" (seconds) from lo seconds to 3600 s; "0" too when
 * lo is 0. */
static int parse_duration(const char *opt, const char *v, double lo, int64_t *ms)
{
    char *end;
    double d = strtod(v, &end);
    if (end != v && strcmp(end, "ms") == 0)
        d /= 1000;
    else if (end != v && (strcmp(end, "s") == 0 || *end == '\0'))
        ;
    else
        d = -1;
    if (!(d >= lo && d <= 3600))
        return cli_usage("scan", "%s \"%s\": expected a time from %s to 3600s, e.g. 2s", opt, v,
                         lo > 0 ? "50ms" : "0");
    *ms = (int64_t)(d * 1000 + 0.5);
    return 0;
}

static int parse_window(const char *v, int64_t *ms)
{
    return parse_duration("--window", v, 0.05, ms);
}

static int check_pass_event(json_t *ev, char *msg, size_t cap)
{
    ledger_err_t err;
    char when[40], tz[8];
    json_t *arr = json_array();
    format_time(now_ms(), when, tz);
    json_array_append_new(arr, json_string("https://id.gs1.org/01/05412345000013/21/1"));
    json_object_set_new(ev, "epcList", arr);
    json_object_set_new(ev, "eventTime", json_string(when));
    json_object_set_new(ev, "eventTimeZoneOffset", json_string(tz));
    if (ledger_epcis_event_check(ev, "event", &err)) {
        snprintf(msg, cap, "%s", err.msg);
        return -1;
    }
    return 0;
}

static int parse_num(const char *opt, const char *v, double lo, double hi, double *out)
{
    char *end;
    double d = strtod(v, &end);
    if (end == v || *end || !(d >= lo && d <= hi))
        return cli_usage("scan", "%s \"%s\": expected a number from %g to %g", opt, v, lo, hi);
    *out = d;
    return 0;
}

int cli_scan_main(cli_ctx_t *ctx, int argc, char **argv)
{
    scan_t *s;
    reader_t *r = NULL;
    struct sigaction sa, old_int, old_term;
    double timeout = 0, debounce = 2, count = 0, deadline = 0;
    int once = 0, rc = 0, ended = 0, o;
    const char *v, *antennas[ANTENNA_SPECS_MAX];
    size_t nant = 0;
    int64_t window_ms = 0, idle_ms = 0;

    if (!(s = calloc(1, sizeof *s)))
        return CLI_EXIT_ENV;
    s->ctx = ctx;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            printf(usage, cli_ident_options_usage);
            free(s);
            return 0;
        }
        if ((o = cli_common_option(ctx, argc, argv, &i)) != 0 ||
            (o = cli_ident_option(&s->idc, "scan", argc, argv, &i)) != 0) {
            if (o < 0)
                goto usage_fail;
            continue;
        }
        if ((o = cli_opt(argc, argv, &i, "--reader", &v)) != 0) {
            if (o < 0)
                goto usage_fail;
            s->uri = v;
        } else if ((o = cli_opt(argc, argv, &i, "--window", &v)) != 0) {
            if (o < 0 || parse_window(v, &window_ms))
                goto usage_fail;
        } else if ((o = cli_opt(argc, argv, &i, "--idle", &v)) != 0) {
            if (o < 0 || parse_duration("--idle", v, 0, &idle_ms))
                goto usage_fail;
        } else if ((o = cli_opt(argc, argv, &i, "--antenna", &v)) != 0) {
            if (o < 0)
                goto usage_fail;
            if (nant == ANTENNA_SPECS_MAX) {
                free(s);
                return cli_usage("scan", "--antenna: at most %d", ANTENNA_SPECS_MAX);
            }
            antennas[nant++] = v;
        } else if ((o = cli_opt(argc, argv, &i, "--count", &v)) != 0) {
            if (o < 0 || parse_num("--count", v, 1, 1e12, &count))
                goto usage_fail;
        } else if ((o = cli_opt(argc, argv, &i, "--timeout", &v)) != 0) {
            if (o < 0 || parse_num("--timeout", v, 0.001, 1e9, &timeout))
                goto usage_fail;
        } else if ((o = cli_opt(argc, argv, &i, "--debounce", &v)) != 0) {
            if (o < 0 || parse_num("--debounce", v, 0, 1e6, &debounce))
                goto usage_fail;
        } else if (strcmp(a, "--once") == 0) {
            once = 1;
        } else if (strcmp(a, "--dry-run") == 0 || strcmp(a, "-n") == 0) {
            s->dry_run = 1;
        } else if (strcmp(a, "--private") == 0) {
            s->flags |= LEDGER_APPEND_PRIVATE;
        } else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
            s->verbose = 1;
        } else if (strncmp(a, "--event-time", 12) == 0) {
            free(s);
            return cli_usage("scan", "--event-time: each event's time is the time of its read");
        } else if (cli_record_is_event_option(a)) {
            if (!strchr(a, '=') && ++i >= argc) {
                free(s);
                return cli_usage("scan", "%s needs a value", a);
            }
        } else {
            free(s);
            return cli_usage("scan", "unexpected argument %s", a);
        }
    }
    if (!s->uri) {
        free(s);
        return cli_usage("scan", "which reader? give --reader URI, e.g. nfc:, qr:label.png, "
                                 "line:- or replay:reads.jsonl");
    }
    s->limit = once ? 1 : (long)count;
    s->deb.window_ms = (int64_t)(debounce * 1000 + 0.5);
    s->flags |= LEDGER_APPEND_SKIP_DUPLICATES;
    if ((rc = cli_record_build_event("scan", argc, argv, &s->tmpl)))
        goto done;
    json_object_del(s->tmpl, "eventTime");
    json_object_del(s->tmpl, "eventTimeZoneOffset");
    lists_for(json_string_value(json_object_get(s->tmpl, "type")), &s->list, &s->qlist);
    if (nant > 0 && window_ms == 0) {
        rc = cli_usage("scan", "--antenna maps antennas to the read points of tunnel passes: "
                               "give --window too, e.g. --window 2s");
        goto done;
    }
    if (window_ms > 0) {
        char msg[768];
        if (cli_pass_set_create(&s->passes, window_ms, idle_ms)) {
            rc = CLI_EXIT_ENV;
            goto done;
        }
        for (size_t k = 0; k < nant; k++)
            if (cli_pass_map_add(s->passes, antennas[k], msg, sizeof msg)) {
                rc = cli_usage("scan", "%s", msg);
                goto done;
            }
        if (cli_pass_check(s->passes, s->tmpl, check_pass_event, msg, sizeof msg)) {
            rc = cli_usage("scan", "%s", msg);
            goto done;
        }
    }
    if ((rc = check_template(s)) || (rc = cli_ident_load(&s->idc)))
        goto done;
    if (!(s->res = calloc(BATCH_MAX, sizeof *s->res))) {
        rc = CLI_EXIT_ENV;
        goto done;
    }
    if (!s->dry_run) {
        if ((rc = cli_open_home(ctx, 0, &s->home)) || (rc = cli_identity(ctx, s->home, &s->id)))
            goto done;
        ledger_hex(ledger_home_id(s->home), LEDGER_FEED_LEN, s->feed_hex);
    }
    /* libnfc logs to stderr by itself; a scanner terminal wants our lines only. */
    if (!s->verbose && !getenv("LIBNFC_LOG_LEVEL"))
        setenv("LIBNFC_LOG_LEVEL", "0", 1);

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C ends at once (the batch is one transaction) */
    stop_signal = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    if (timeout > 0)
        deadline = mono_now() + timeout;
    rc = open_reader(s, deadline,
                     !once && (strncmp(s->uri, "nfc:", 4) == 0 || strncmp(s->uri, "line:", 5) == 0),
                     &r);
    if (rc == 0)
        rc = run(s, r, deadline, once, &ended);
    else if (rc < 0 && stop_signal)
        rc = 0; /* stopped while waiting for the device */
    else if (rc < 0) {
        fprintf(stderr, "keten scan: the reader did not open before the time-out\n");
        rc = CLI_EXIT_ENV;
    }
    reader_close(r);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);

    if (rc == 0 && !stop_signal && s->limit > 0 && !limit_reached(s)) {
        if (s->bad > 0) {
            rc = CLI_EXIT_INPUT;
        } else if (s->reader_errors > 0) {
            rc = CLI_EXIT_ENV;
        } else {
            fprintf(stderr, "keten scan: %s %s\n",
                    s->taken ? "fewer reads than --count" : "nothing read",
                    ended ? "before the reader's end" : "before the time-out");
            rc = CLI_EXIT_FAILED;
        }
    } else if (rc == 0 && !stop_signal && s->bad > 0 && s->limit == 0) {
        rc = CLI_EXIT_INPUT;
    }
    if (s->passes)
        fprintf(stderr, "keten scan: %ld tag read%s: %ld pass%s (%ld EPCs) %s", s->reads,
                s->reads == 1 ? "" : "s", s->taken, s->taken == 1 ? "" : "es", s->pass_epcs,
                s->dry_run ? "(dry run: nothing recorded)" : "recorded");
    else
        fprintf(stderr, "keten scan: %ld read%s %s", s->taken, s->taken == 1 ? "" : "s",
                s->dry_run ? "(dry run: nothing recorded)" : "recorded");
    if (!s->dry_run && s->batches)
        fprintf(stderr, " in %ld transaction%s", s->batches, s->batches == 1 ? "" : "s");
    if (s->dups)
        fprintf(stderr, ", %ld counted once (debounce)", s->dups);
    if (s->bad)
        fprintf(stderr, ", %ld bad (not recorded)", s->bad);
    if (s->lost_passes)
        fprintf(stderr, ", %ld pass%s (%ld EPCs) not recorded (reader lost or stopped mid-pass)",
                s->lost_passes, s->lost_passes == 1 ? "" : "es", s->lost_tags);
    if (s->ignored)
        fprintf(stderr, ", %ld read%s of unmapped antennas ignored", s->ignored,
                s->ignored == 1 ? "" : "s");
    if (stop_signal)
        fprintf(stderr, "; stopped by signal %d", (int)stop_signal);
    fprintf(stderr, "\n");
    if (s->passes && s->taken > 0 && s->reads > 1 && s->last_read_mono > s->first_read_mono)
        fprintf(stderr,
                "keten scan: %.0f tag reads/s while reading; from a pass's last new read to its "
                "event on disk: max %lld ms, mean %lld ms (the window is %lld ms of it); from "
                "its last read: max %lld ms, mean %lld ms\n",
                (double)s->reads * 1000.0 / (double)(s->last_read_mono - s->first_read_mono),
                (long long)s->lat_max_ms, (long long)(s->lat_sum_ms / s->taken),
                (long long)window_ms, (long long)s->lat2_max_ms,
                (long long)(s->lat2_sum_ms / s->taken));
done:
    cli_pass_set_free(s->passes);
    json_decref(s->tmpl);
    debounce_free(&s->deb);
    cli_ident_free(&s->idc);
    ledger_home_close(s->home);
    free(s->res);
    free(s);
    return rc;
usage_fail:
    free(s);
    return CLI_EXIT_USAGE;
}

/* cli_read.c -- `keten log`, `keten show`, `keten export`: walk the store
 * (ledger_store_scan / _get / _find_event) and print entries for people or,
 * with --json, for programs. */
#include "cli_read.h"

#include "cli_ident.h"
#include "cli_node.h"
#include "ledger_replica.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ledger_entry.h"
#include "ledger_stmt.h"
#include "ledger_epcis.h"
#include "ledger_epcis_export.h"
#include "ledger_epcis_xmlw.h"
#include "ledger_json.h"
#include "ledger_store.h"

static const char log_usage[] =
    "usage: keten log [--json] [--feed FEED]\n"
    "\n"
    "Lists every entry the home holds, in the order they reached it: feed:seq,\n"
    "event time, type, bizStep and eventID. --json prints one object per line:\n"
    "{\"feed\", \"seq\", \"eventID\", \"eventHash\", \"type\", \"eventTime\", \"bizStep\",\n"
    " \"recordTime\", \"sealed\"}.\n"
    "\n"
    "Example:\n"
    "  keten --home /tmp/a log --json | head\n";

static const char show_usage[] =
    "usage: keten show EVENTID|FEED:SEQ|IDENTIFIER [--json]\n"
    "\n"
    "Shows one event with its signed entry (feed, seq, entry hash, signature).\n"
    "EVENTID is an eventID or an event hash (ni:///sha-256;...); FEED:SEQ names an\n"
    "entry by its feed ID (or a unique prefix of it, as `log` prints) and seq.\n"
    "An IDENTIFIER in any form `keten decode` reads (EPC URN, Digital Link, EPC\n"
    "hex, element string) shows every event that names it.\n"
    "An event corrected by an errorDeclaration shows both entries.\n"
    "\n"
    "Examples:\n"
    "  keten show 'ni:///sha-256;2a4c...?ver=CBV2.0' --json\n"
    "  keten show 3f9a1c07:12\n"
    "  keten show 303613C2640C0E40000003E9\n";

static const char export_usage[] =
    "usage: keten export [--xml [--namespace PREFIX=URI]...] [--out FILE]\n"
    "\n"
    "Writes every event the home holds as one EPCIS 2.0 EPCISDocument (JSON-LD,\n"
    "or with --xml EPCIS 2.0 XML, valid against GS1's XSD, in one streaming pass),\n"
    "to stdout or FILE (written whole, then renamed into place). Sealed entries\n"
    "have no payload to export and are left out (counted on stderr).\n"
    "--namespace gives the XML namespace of an extension prefix that an event's\n"
    "own @context does not bind (it came from a remote context, never fetched).\n"
    "\n"
    "Example:\n"
    "  keten --home /tmp/a export > out.jsonld\n"
    "  keten --home /tmp/a export --xml --out out.xml\n";

/* ISO 8601 UTC text of a record time in ms. */
static void fmt_ms(uint64_t ms, char out[32])
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + strlen(out), 32 - strlen(out), ".%03uZ", (unsigned)(ms % 1000));
}

/* ---- log -------------------------------------------------------------- */

typedef struct log_ctx {
    const cli_ctx_t *cli;
    const uint8_t *feed; /* only this feed, or NULL */
    uint64_t count;
} log_ctx_t;

static int log_entry(const ledger_stored_t *s, void *vctx)
{
    log_ctx_t *lc = vctx;
    char feed[2 * LEDGER_FEED_LEN + 1], hash[96] = "", rtime[32], bs[128] = "";
    json_t *ev = NULL;
    const char *type = NULL, *etime = NULL, *eid = NULL, *step = NULL;
    ledger_err_t err;
    ledger_stmt_t stmt;

    if (lc->feed && memcmp(lc->feed, s->e.h.feed, LEDGER_FEED_LEN) != 0)
        return 0;
    ledger_hex(s->e.h.feed, LEDGER_FEED_LEN, feed);
    fmt_ms(s->e.h.record_time_ms, rtime);
    if (s->e.payload && s->e.h.ptype == LEDGER_PT_EVENT) {
        if (ledger_event_payload_decode(s->e.payload, s->e.plen, &ev, hash, sizeof hash, &err)) {
            fprintf(stderr, "keten: feed %s seq %llu: %s (run keten verify)\n", feed,
                    (unsigned long long)s->e.h.seq, err.msg);
            return LEDGER_EVERIFY;
        }
        type = json_string_value(json_object_get(ev, "type"));
        etime = json_string_value(json_object_get(ev, "eventTime"));
        eid = json_string_value(json_object_get(ev, "eventID"));
        step = json_string_value(json_object_get(ev, "bizStep"));
        if (step)
            ledger_epcis_cbv_short(step, bs, sizeof bs);
    }
    if (lc->cli->json) {
        json_t *o = json_pack("{s:s, s:I, s:s, s:b}", "feed", feed, "seq", (json_int_t)s->e.h.seq,
                              "recordTime", rtime, "sealed", s->e.payload == NULL);
        char *text;
        if (ev) {
            json_object_set_new(o, "eventID", json_string(eid ? eid : hash));
            json_object_set_new(o, "eventHash", json_string(hash));
            json_object_set_new(o, "type", type ? json_string(type) : json_null());
            json_object_set_new(o, "eventTime", etime ? json_string(etime) : json_null());
            json_object_set_new(o, "bizStep", step ? json_string(bs) : json_null());
            if (json_object_get(ev, "errorDeclaration"))
                json_object_set_new(o, "errorDeclaration", json_true());
        }
        if (s->e.h.ptype == LEDGER_PT_STATEMENT && s->e.payload &&
            !ledger_stmt_from_entry(&s->e, &stmt, &err)) {
            char sub[2 * LEDGER_FEED_LEN + 1];
            json_object_set_new(o, "type", json_string(ledger_stmt_kind_name(stmt.kind)));
            json_object_set_new(o, "subject",
                                json_string(ledger_hex(stmt.subject, LEDGER_FEED_LEN, sub)));
            json_object_set_new(o, "name", json_string(stmt.name));
        }
        text = json_dumps(o, JSON_COMPACT);
        puts(text);
        free(text);
        json_decref(o);
    } else if (s->e.h.ptype == LEDGER_PT_STATEMENT && s->e.payload) {
        char sub[2 * LEDGER_FEED_LEN + 1];
        int bad = ledger_stmt_from_entry(&s->e, &stmt, &err);
        printf("%.8s:%-6llu %-29s %-20s %-14s %s%s%s\n", feed, (unsigned long long)s->e.h.seq, rtime,
               bad ? "(statement)" : ledger_stmt_kind_name(stmt.kind), "-",
               bad ? "does not decode: " : stmt.name, bad ? err.msg : " of ",
               bad ? "" : ledger_hex(stmt.subject, 4, sub));
    } else if (ev) {
        printf("%.8s:%-6llu %-29s %-20s %-14s %s%s\n", feed, (unsigned long long)s->e.h.seq,
               etime ? etime : "-", type ? type : "-", step ? bs : "-", eid ? eid : hash,
               json_object_get(ev, "errorDeclaration") ? "  [errorDeclaration]" : "");
    } else {
        printf("%.8s:%-6llu %-29s %-20s %-14s %s\n", feed, (unsigned long long)s->e.h.seq, rtime,
               "(sealed)", "-", "payload kept by its feed");
    }
    json_decref(ev);
    lc->count++;
    return 0;
}

/* Resolves a feed given as 64 hex digits or a unique prefix of a known feed. */
typedef struct prefix_ctx {
    const char *prefix;
    size_t len;
    int matches;
    uint8_t feed[LEDGER_FEED_LEN];
} prefix_ctx_t;

static int prefix_cb(const ledger_feed_head_t *h, void *vctx)
{
    prefix_ctx_t *pc = vctx;
    char hex[2 * LEDGER_FEED_LEN + 1];
    ledger_hex(h->feed, LEDGER_FEED_LEN, hex);
    if (strncmp(hex, pc->prefix, pc->len) == 0) {
        pc->matches++;
        memcpy(pc->feed, h->feed, LEDGER_FEED_LEN);
    }
    return 0;
}

int cli_resolve_feed(ledger_home_t *home, const char *s, size_t len, uint8_t out[32],
                     ledger_err_t *err)
{
    prefix_ctx_t pc = {.prefix = s, .len = len};
    char buf[2 * LEDGER_FEED_LEN + 1];
    int rc;
    if (len == 0 || len > 2 * LEDGER_FEED_LEN || strspn(s, "0123456789abcdef") < len)
        return ledger_err_set(err, LEDGER_EINVAL,
                              "\"%.*s\" is not a feed ID (64 lowercase hex digits or a prefix)",
                              (int)len, s);
    if (len == 2 * LEDGER_FEED_LEN) {
        memcpy(buf, s, len);
        buf[len] = '\0';
        ledger_unhex(buf, out, LEDGER_FEED_LEN);
        return 0;
    }
    if ((rc = ledger_store_feeds(ledger_home_store(home), prefix_cb, &pc, err)))
        return rc;
    if (pc.matches == 0)
        return ledger_err_set(err, LEDGER_ENOTFOUND, "no feed starting with %.*s in this home",
                              (int)len, s);
    if (pc.matches > 1)
        return ledger_err_set(err, LEDGER_EINVAL, "feed prefix %.*s is ambiguous: give more digits",
                              (int)len, s);
    memcpy(out, pc.feed, LEDGER_FEED_LEN);
    return 0;
}

int cli_log_main(cli_ctx_t *ctx, int argc, char **argv)
{
    ledger_home_t *home = NULL;
    log_ctx_t lc = {.cli = ctx};
    const char *feedarg = NULL;
    uint8_t feed[LEDGER_FEED_LEN];
    ledger_err_t err;
    int rc;

    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) {
            fputs(log_usage, stdout);
            return 0;
        }
        if ((r = cli_common_option(ctx, argc, argv, &i)) ||
            (r = cli_opt(argc, argv, &i, "--feed", &feedarg))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        return cli_usage("log", "unexpected argument %s", argv[i]);
    }
    if ((rc = cli_open_home(ctx, LEDGER_STORE_RDONLY, &home)))
        return rc;
    if (feedarg) {
        if ((rc = cli_resolve_feed(home, feedarg, strlen(feedarg), feed, &err))) {
            rc = cli_fail(ctx, rc, &err);
            goto done;
        }
        lc.feed = feed;
    }
    rc = ledger_store_scan(ledger_home_store(home), 1, log_entry, &lc, &err);
    if (rc == LEDGER_EVERIFY)
        rc = CLI_EXIT_FAILED;
    else if (rc)
        rc = cli_fail(ctx, rc, &err);
done:
    ledger_home_close(home);
    return rc;
}

/* ---- show ------------------------------------------------------------- */

typedef struct show_ctx {
    const cli_ctx_t *cli;
    ledger_home_t *home;
    int shown;
    uint64_t last_lseq; /* show_ident: the entry shown last */
} show_ctx_t;

static int show_entry(const ledger_stored_t *s, void *vctx)
{
    show_ctx_t *sc = vctx;
    char feed[2 * LEDGER_FEED_LEN + 1], hash[96] = "", ehex[2 * LEDGER_HASH_LEN + 1],
                                        sig[2 * LEDGER_SIG_LEN + 1], prev[2 * LEDGER_HASH_LEN + 1],
                                        phash[2 * LEDGER_HASH_LEN + 1], rtime[32];
    uint8_t eh[LEDGER_HASH_LEN];
    json_t *ev = NULL, *entry, *out;
    ledger_err_t err;
    int own = memcmp(s->e.h.feed, ledger_home_id(sc->home), LEDGER_FEED_LEN) == 0;
    int priv = own && ledger_replica_is_private(ledger_home_store(sc->home), s->e.h.feed,
                                                s->e.h.seq, NULL) == 1;
    char fname[256];

    ledger_hex(s->e.h.feed, LEDGER_FEED_LEN, feed);
    ledger_entry_hash(&s->e, eh);
    ledger_hex(eh, LEDGER_HASH_LEN, ehex);
    ledger_hex(s->e.sig, LEDGER_SIG_LEN, sig);
    ledger_hex(s->e.h.prev, LEDGER_HASH_LEN, prev);
    ledger_hex(s->e.h.phash, LEDGER_HASH_LEN, phash);
    fmt_ms(s->e.h.record_time_ms, rtime);
    if (s->e.payload && s->e.h.ptype == LEDGER_PT_EVENT &&
        ledger_event_payload_decode(s->e.payload, s->e.plen, &ev, hash, sizeof hash, &err)) {
        fprintf(stderr, "keten: %s:%llu: %s (run keten verify)\n", feed,
                (unsigned long long)s->e.h.seq, err.msg);
        return LEDGER_EVERIFY;
    }
    if (ev) { /* stored maps come back sorted by key length: show the standard order */
        json_t *ordered = ledger_epcis_ordered(ev);
        if (ordered) {
            json_decref(ev);
            ev = ordered;
        }
    }
    entry =
        json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:i, s:I, s:s, s:b}", "feed", feed, "seq",
                  (json_int_t)s->e.h.seq, "hash", ehex, "prev", prev, "signature", sig,
                  "recordTime", rtime, "payloadType", (int)s->e.h.ptype, "payloadLength",
                  (json_int_t)s->e.h.plen, "payloadHash", phash, "sealed", s->e.payload == NULL);
    cli_feed_name(sc->home, s->e.h.feed, fname, sizeof fname);
    if (fname[0])
        json_object_set_new(entry, "feedName", json_string(fname));
    if (own)
        json_object_set_new(entry, "private", json_boolean(priv));
    out = json_object();
    if (ev) {
        const char *eid = json_string_value(json_object_get(ev, "eventID"));
        json_object_set_new(out, "eventID", json_string(eid ? eid : hash));
        json_object_set_new(out, "eventHash", json_string(hash));
        json_object_set(out, "event", ev);
    }
    json_object_set_new(out, "entry", entry);
    if (sc->cli->json) {
        char *text =
            json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(ledger_json_real_digits(out)));
        puts(text);
        free(text);
    } else {
        char *text =
            ev ? json_dumps(ev, JSON_INDENT(2) | JSON_REAL_PRECISION(ledger_json_real_digits(ev)))
               : NULL;
        if (sc->shown)
            printf("\n");
        printf("entry     %s:%llu%s%s%s\n", feed, (unsigned long long)s->e.h.seq,
               fname[0] ? " (" : "", fname, fname[0] ? ")" : "");
        if (priv)
            printf("private   recorded with --private: partners receive this entry sealed\n");
        printf("hash      %s\nprev      %s\nsignature %s\nrecorded  %s\n", ehex, prev, sig, rtime);
        if (ev) {
            printf("eventID   %s\neventHash %s\n%s\n",
                   json_string_value(json_object_get(out, "eventID")), hash, text);
        } else {
            printf("sealed    the payload (%llu bytes, SHA-256 %s) stays with its feed; the "
                   "entry is signed by %s%s%s%s\n",
                   (unsigned long long)s->e.h.plen, phash, fname[0] ? fname : feed,
                   fname[0] ? " (" : "", fname[0] ? feed : "", fname[0] ? ")" : "");
        }
        free(text);
    }
    json_decref(out);
    json_decref(ev);
    sc->shown++;
    return 0;
}

/* Each event naming the identifier, once (an event names one identifier
 * in several roles). */
static int show_ident(const ledger_stored_t *s, int role, void *vctx)
{
    show_ctx_t *sc = vctx;
    (void)role;
    if (sc->shown && s->lseq == sc->last_lseq)
        return 0;
    sc->last_lseq = s->lseq;
    return show_entry(s, vctx);
}

int cli_show_main(cli_ctx_t *ctx, int argc, char **argv)
{
    ledger_home_t *home = NULL;
    show_ctx_t sc = {.cli = ctx};
    const char *what = NULL;
    ledger_err_t err;
    int rc;

    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) {
            fputs(show_usage, stdout);
            return 0;
        }
        if ((r = cli_common_option(ctx, argc, argv, &i))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        if (what)
            return cli_usage("show", "one EVENTID or FEED:SEQ at a time");
        what = argv[i];
    }
    if (!what)
        return cli_usage("show", "which event? give an EVENTID or FEED:SEQ");
    if ((rc = cli_open_home(ctx, LEDGER_STORE_RDONLY, &home)))
        return rc;
    sc.home = home;
    {
        const char *colon = strchr(what, ':');
        size_t flen = colon ? (size_t)(colon - what) : 0;
        if (colon && flen <= 2 * LEDGER_FEED_LEN && strspn(what, "0123456789abcdef") == flen &&
            colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
            uint8_t feed[LEDGER_FEED_LEN];
            uint64_t seq = strtoull(colon + 1, NULL, 10);
            if ((rc = cli_resolve_feed(home, what, flen, feed, &err)) ||
                (rc = ledger_store_get(ledger_home_store(home), feed, seq, show_entry, &sc, &err)))
                goto fail;
        } else {
            /* an eventID or event hash, else an identifier in any form: its events */
            ledger_key_t *key = NULL;
            if ((rc = ledger_store_find_event(ledger_home_store(home), what, show_entry, &sc,
                                              &err)) != LEDGER_ENOTFOUND) {
                if (rc)
                    goto fail;
            } else if ((rc = cli_ident_arg("show", what, &key))) {
                ledger_home_close(home);
                return rc;
            } else if (!key->gs1) {
                free(key);
                rc = LEDGER_ENOTFOUND; /* the message of ledger_store_find_event */
                goto fail;
            } else {
                rc = ledger_store_find_ident_key(ledger_home_store(home), key, show_ident, &sc,
                                                 &err);
                free(key);
                if (rc)
                    goto fail;
            }
        }
    }
    ledger_home_close(home);
    return 0;
fail:
    ledger_home_close(home);
    if (rc == LEDGER_EVERIFY && !err.msg[0])
        return CLI_EXIT_FAILED;
    return cli_fail(ctx, rc, &err);
}

/* ---- export ----------------------------------------------------------- */

typedef struct export_ctx {
    ledger_epcis_export_t *ex;
    ledger_epcis_xmlw_t *xw; /* --xml */
    int pass;
    uint64_t events, sealed;
    ledger_err_t *err;
} export_ctx_t;

static int export_entry(const ledger_stored_t *s, void *vctx)
{
    export_ctx_t *xc = vctx;
    json_t *ev;
    int rc;
    if (!s->e.payload || s->e.h.ptype != LEDGER_PT_EVENT) {
        xc->sealed += xc->pass == 2 && !s->e.payload;
        return 0;
    }
    if ((rc = ledger_event_payload_decode(s->e.payload, s->e.plen, &ev, NULL, 0, xc->err)))
        return rc;
    rc = xc->xw          ? ledger_epcis_xmlw_event(xc->xw, ev, xc->err)
         : xc->pass == 1 ? ledger_epcis_export_scan(xc->ex, ev, xc->err)
                         : ledger_epcis_export_event(xc->ex, ev, xc->err);
    if (rc < 0) { /* name the event: the export stops at it */
        char hex[2 * LEDGER_FEED_LEN + 1];
        const char *id = json_string_value(json_object_get(ev, "eventID"));
        ledger_hex(s->e.h.feed, LEDGER_FEED_LEN, hex);
        ledger_err_prefix(xc->err, "event %.16s:%llu%s%s", hex, (unsigned long long)s->e.h.seq,
                          id ? " " : "", id ? id : "");
    }
    json_decref(ev);
    xc->events += xc->pass == 2;
    return rc;
}

int cli_export_main(cli_ctx_t *ctx, int argc, char **argv)
{
    ledger_home_t *home = NULL;
    const char *outpath = NULL;
    char *tmp = NULL;
    FILE *out = stdout;
    export_ctx_t xc = {0};
    cli_xml_ns_t ns = {.n = 0};
    ledger_err_t err;
    int rc, xml = 0;

    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) {
            fputs(export_usage, stdout);
            return 0;
        }
        if ((r = cli_common_option(ctx, argc, argv, &i)) ||
            (r = cli_opt(argc, argv, &i, "--out", &outpath)) ||
            (r = cli_xml_ns_opt(&ns, argc, argv, &i))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        if (strcmp(argv[i], "--xml") == 0) {
            xml = 1;
            continue;
        }
        return cli_usage("export", "unexpected argument %s", argv[i]);
    }
    if (ns.n && !xml)
        return cli_usage("export", "--namespace is for --xml (JSON-LD keeps each event's @context)");
    if ((rc = cli_open_home(ctx, LEDGER_STORE_RDONLY, &home)))
        return rc;
    if (outpath && strcmp(outpath, "-") != 0) {
        size_t n = strlen(outpath) + 16;
        if (!(tmp = malloc(n))) {
            rc = CLI_EXIT_ENV;
            goto done;
        }
        snprintf(tmp, n, "%s.tmp.%ld", outpath, (long)getpid());
        if (!(out = fopen(tmp, "wx"))) {
            fprintf(stderr, "keten: cannot create %s: %s\n", tmp, strerror(errno));
            rc = CLI_EXIT_ENV;
            goto done;
        }
    }
    xc.err = &err;
    if (xml) { /* one pass: the XML writer declares namespaces per event */
        xc.pass = 2;
        if ((rc = ledger_epcis_xmlw_new(out, LEDGER_EPCIS_XMLW_DOCUMENT, &xc.xw, &err)) ||
            (rc = cli_xml_ns_apply(&ns, xc.xw, &err)) || (rc = ledger_epcis_xmlw_begin(xc.xw, &err)) ||
            (rc = ledger_store_scan(ledger_home_store(home), 1, export_entry, &xc, &err)))
            goto fail;
        rc = ledger_epcis_xmlw_end(xc.xw, &err);
        xc.xw = NULL;
    } else {
        if ((rc = ledger_epcis_export_new(out, &xc.ex, &err)))
            goto fail;
        xc.pass = 1;
        if ((rc = ledger_store_scan(ledger_home_store(home), 1, export_entry, &xc, &err)) ||
            (rc = ledger_epcis_export_begin(xc.ex, &err)))
            goto fail;
        xc.pass = 2;
        if ((rc = ledger_store_scan(ledger_home_store(home), 1, export_entry, &xc, &err)))
            goto fail;
        rc = ledger_epcis_export_end(xc.ex, &err);
        xc.ex = NULL;
    }
    if (rc)
        goto fail;
    if (fflush(out) != 0 || (out != stdout && (fsync(fileno(out)) != 0 || fclose(out) != 0))) {
        if (out != stdout)
            out = NULL;
        rc = ledger_err_set(&err, LEDGER_EIO, "cannot write %s: %s", outpath ? outpath : "stdout",
                            strerror(errno));
        goto fail;
    }
    if (out != stdout) {
        out = stdout;
        if (rename(tmp, outpath) != 0) {
            rc = ledger_err_set(&err, LEDGER_EIO, "cannot rename %s to %s: %s", tmp, outpath,
                                strerror(errno));
            goto fail;
        }
    }
    fprintf(stderr, "keten: exported %llu events", (unsigned long long)xc.events);
    if (xc.sealed)
        fprintf(stderr, " (%llu sealed entries have no payload here and were left out)",
                (unsigned long long)xc.sealed);
    fprintf(stderr, "\n");
    rc = 0;
    goto done;
fail:
    ledger_epcis_export_free(xc.ex);
    ledger_epcis_xmlw_free(xc.xw);
    rc = cli_fail(ctx, rc, &err);
    if (out && out != stdout)
        fclose(out);
    if (tmp)
        unlink(tmp);
done:
    free(tmp);
    ledger_home_close(home);
    return rc;
}

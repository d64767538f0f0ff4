/* cli_trace.c -- `keten trace`, `keten recall`, `keten lifecycle`: run a
 * trace or a report (ledger_trace.h, ledger_trace_report.h) on the home's
 * store and print it for people (an indented story with partner names, a
 * table), for programs (--json; recall also --csv) or for Graphviz (--dot).
 * Partner names come from cli_feed_name (own name, peer list, node.json). */
#include "cli_trace.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_ident.h"
#include "cli_node.h"
#include "gs1_key.h"
#include "ledger_entry.h"
#include "ledger_epcis.h"
#include "ledger_json.h"
#include "ledger_store.h"
#include "ledger_trace.h"
#include "ledger_recall.h"
#include "ledger_uom.h"
#include "ledger_trace_report.h"

static const char trace_usage[] =
    "usage: keten trace ID [--back|--forward] [--json|--dot] [--oldest-first]\n"
    "                      [--origin] [--max-nodes N] [--max-depth N] [--no-sealed]\n"
    "\n"
    "Follows a product through every feed this home holds (its own and its\n"
    "partners'): where it came from (--back: inputs of transformations, the\n"
    "contents of a pallet, the lot of an item) and where it went (--forward:\n"
    "outputs, the pallets it travelled in, shipments). Without either, both.\n"
    "ID is an EPC URN, a class/lot URN (urn:epc:class:lgtin:...), a Digital Link\n"
    "URI, an eventID or event hash, or FEED:SEQ (64 hex digits).\n"
    "\n"
    "The story is printed newest first (--oldest-first for the other way), one\n"
    "event a line with its partner, indented by the number of hops from ID.\n"
    "Events declared erroneous are marked and not followed; entries a partner\n"
    "kept private appear as sealed steps. --json prints the graph (schema\n"
    "keten.trace/1, docs/trace.md); --dot a Graphviz picture; --origin the\n"
    "meat origin found along the trace back (born, reared, slaughtered, cut,\n"
    "approval numbers, lot reference). The walk stops at --max-nodes (200000)\n"
    "nodes or --max-depth (64) hops and says so.\n"
    "\n"
    "Examples:\n"
    "  keten trace urn:epc:id:sgtin:5412345.000012.P1001 --back\n"
    "  keten trace https://id.gs1.org/01/05412345000129/21/P1001 --origin\n"
    "  keten trace urn:epc:class:lgtin:5412345.000002.LOT42 --dot | dot -Tsvg > trace.svg\n";

static const char recall_usage[] =
    "usage: keten recall LOT [--max-temp T] [--json|--csv]\n"
    "\n"
    "Everything made from LOT (through transformations and the pallets and\n"
    "cases it was packed in), every shipment of any of it (date, from, to,\n"
    "what of the lot it moved, and its receipt), where each product was last\n"
    "seen, and with --max-temp every temperature reading above T on the way.\n"
    "T is in degrees Celsius, or a number with its UN/CEFACT unit: 4CEL,\n"
    "39.2FAH, 277.15KEL. Readings are converted to Celsius first; one in a\n"
    "unit keten cannot convert, or with none, is listed as not compared.\n"
    "Shipments declared erroneous are listed as such and not counted.\n"
    "\n"
    "Example:\n"
    "  keten recall urn:epc:class:lgtin:5412345.000002.LOT42 --max-temp 4 --csv\n"
    "  keten recall urn:epc:class:lgtin:5412345.000002.LOT42 --max-temp 39.2FAH\n";

static const char lifecycle_usage[] =
    "usage: keten lifecycle ID [--laundry SGLN]... [--json]\n"
    "       keten lifecycle --due --location SGLN [--all] [--laundry SGLN]... [--json|--csv]\n"
    "       keten lifecycle --missing --days N --location SGLN [--as-of TIME] [--json|--csv]\n"
    "\n"
    "A garment's life: commissioning with its materials (ILMD\n"
    "garment:fibreComposition, recycledContent, maxWashCycles, madeIn), every\n"
    "wash cycle counted against its rated maximum, repairs, who holds it now,\n"
    "and its end of life. A wash is a laundering step (bizStep\n"
    "https://keten.dev/voc/bizstep/laundering) or a receiving of the garment\n"
    "back from use followed by its shipping from the same location; with\n"
    "--laundry only at those locations (docs/trace.md); the first issue of a new garment, a repairer's stay and\n"
    "the shipment to its end of life are not washes. Warns within 10% of the\n"
    "maximum, at it and past it. An identifier that is no garment (a carton, a\n"
    "pack of meat) exits 1.\n"
    "--due lists the garments last seen at --location that are due for\n"
    "replacement, at or past their maximum (--all: every garment there).\n"
    "--missing lists the garments checked out (their last event a shipping\n"
    "from or to --location) and not back within N days of now (--as-of: of\n"
    "that RFC 3339 time), retired ones left out: the loss a laundry bills.\n"
    "--csv prints either list as CSV with a header line, for billing.\n"
    "\n"
    "Examples:\n"
    "  keten lifecycle urn:epc:id:sgtin:5412345.000002.G1001\n"
    "  keten lifecycle --due --location urn:epc:id:sgln:5412345.00007.0\n"
    "  keten lifecycle --missing --days 30 --location urn:epc:id:sgln:5412345.00007.0 --csv\n";

/* ---- partner names ---------------------------------------------------------- */

typedef struct names {
    ledger_home_t *home;
    uint8_t feed[64][LEDGER_FEED_LEN];
    char name[64][128];
    size_t n;
} names_t;

/* The partner's name, else the first 8 hex digits of its feed. */
static const char *feed_name(names_t *nm, const uint8_t feed[LEDGER_FEED_LEN], char *buf,
                             size_t len)
{
    char hex[2 * LEDGER_FEED_LEN + 1];
    for (size_t i = 0; i < nm->n; i++)
        if (memcmp(nm->feed[i], feed, LEDGER_FEED_LEN) == 0) {
            snprintf(buf, len, "%s", nm->name[i]);
            return buf;
        }
    cli_feed_name(nm->home, feed, buf, len);
    if (!buf[0]) {
        ledger_hex(feed, LEDGER_FEED_LEN, hex);
        snprintf(buf, len, "%.8s", hex);
    }
    if (nm->n < 64) {
        memcpy(nm->feed[nm->n], feed, LEDGER_FEED_LEN);
        snprintf(nm->name[nm->n++], sizeof nm->name[0], "%s", buf);
    }
    return buf;
}

/* " [DISPUTED by NAME: reason; by NAME2: reason2]" for the errorDeclarations
 * other partners made of event n (they do not correct it: only its own
 * feed can), "" when none. Written into buf. */
static const char *dispute_text(names_t *nm, const ledger_trace_node_t *n, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < n->ndisputes && at < len; k++) {
        char who[128], why[128];
        ledger_epcis_cbv_short(json_string_value(json_object_get(n->disputes[k].declaration,
                                                                 "reason")),
                               why, sizeof why);
        feed_name(nm, n->disputes[k].feed, who, sizeof who);
        at += (size_t)snprintf(buf + at, len - at, "%s%s%s%s%s", k ? "; by " : " [DISPUTED by ",
                               who, why[0] ? ": " : "", why, k + 1 == n->ndisputes ? "]" : "");
    }
    return buf;
}

/* Adds the feed's name to p ({feedhex: name}) when it is not there. */
static void add_partner(names_t *nm, json_t *p, const uint8_t feed[LEDGER_FEED_LEN])
{
    char hex[2 * LEDGER_FEED_LEN + 1], name[128];
    ledger_hex(feed, LEDGER_FEED_LEN, hex);
    if (json_object_get(p, hex))
        return;
    name[0] = '\0';
    cli_feed_name(nm->home, feed, name, sizeof name);
    json_object_set_new(p, hex, name[0] ? json_string(name) : json_null());
}

/* Adds "partners": {feedhex: name} for every feed named in nodes. */
static void add_partners(names_t *nm, json_t *j, const ledger_trace_t *t)
{
    json_t *p = json_object();
    for (size_t i = 0; i < ledger_trace_node_count(t); i++) {
        const ledger_trace_node_t *n = ledger_trace_node(t, i);
        if (n->kind == LEDGER_TNODE_IDENT)
            continue;
        add_partner(nm, p, n->feed);
        for (size_t k = 0; k < n->ndisputes; k++)
            add_partner(nm, p, n->disputes[k].feed);
    }
    json_object_set_new(j, "partners", p);
}

/* Writes j to stdout as it goes (a recall of thousands of shipments is tens
 * of MB of text: no copy of it in memory). */
static void print_json(const json_t *j)
{
    if (json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(ledger_json_real_digits(j))) ==
        0)
        putchar('\n');
}

static const char *short_time(int64_t ms, char out[32])
{
    ledger_trace_fmt_ms(ms, out);
    out[16] = '\0'; /* YYYY-MM-DDTHH:MM */
    out[10] = ' ';
    return out;
}

/* ---- trace: the story ------------------------------------------------------- */

static const char *where_text(const ledger_trace_node_t *n)
{
    return n->biz_location ? n->biz_location : n->read_point;
}

static void story_line(names_t *nm, const ledger_trace_t *t, size_t i)
{
    const ledger_trace_node_t *n = ledger_trace_node(t, i);
    char tm[32], name[128], hex[2 * LEDGER_FEED_LEN + 1], dis[512];
    unsigned ind = n->depth > 12 ? 12 : n->depth;
    ledger_hex(n->feed, LEDGER_FEED_LEN, hex);
    feed_name(nm, n->feed, name, sizeof name);
    if (n->kind == LEDGER_TNODE_SEALED) {
        char rt[32];
        printf("%s UTC %*s[sealed] %s (%.8s:%llu): a step whose payload %s keeps private "
               "(recorded %s UTC)\n",
               short_time(n->time_ms, tm), (int)(2 * ind), "", name, hex,
               (unsigned long long)n->seq, name, short_time((int64_t)n->record_time_ms, rt));
        return;
    }
    printf("%s UTC %*s%s %s%s%s%s%s %s (%.8s:%llu)%s%s\n", short_time(n->time_ms, tm),
           (int)(2 * ind), "", n->biz_step ? n->biz_step : "-", n->type, n->action ? " " : "",
           n->action ? n->action : "",
           n->erroneous ? " [ERRONEOUS: declared in error, not followed]" : "",
           dispute_text(nm, n, dis, sizeof dis), name, hex, (unsigned long long)n->seq,
           where_text(n) ? " at " : "", where_text(n) ? where_text(n) : "");
    for (size_t k = 0; k < ledger_trace_edge_count(t); k++) {
        const ledger_trace_edge_t *e = ledger_trace_edge(t, k);
        size_t other = e->from == i ? e->to : e->to == i ? e->from : (size_t)-1;
        const ledger_trace_node_t *o;
        if (other == (size_t)-1)
            continue;
        o = ledger_trace_node(t, other);
        if (o->kind == LEDGER_TNODE_IDENT)
            printf("%*s      %-8s %s\n", (int)(2 * ind + 17), "",
                   e->role ? ledger_trace_role_name(e->role) : ledger_trace_edge_name(e->kind),
                   o->id);
        else if (e->kind == LEDGER_TEDGE_CORRECTION && e->from == i)
            printf("%*s      corrected by %s\n", (int)(2 * ind + 17), "", o->id);
    }
    {
        const json_t *d = json_object_get(ledger_trace_node_event(t, n), "destinationList"), *v;
        size_t k;
        json_array_foreach(d, k, v)
        {
            char ty[64];
            const char *s = json_string_value(json_object_get(v, "type"));
            ledger_epcis_cbv_short(s ? s : "", ty, sizeof ty);
            printf("%*s      to       %s (%s)\n", (int)(2 * ind + 17), "",
                   json_string_value(json_object_get(v, "destination")), ty);
        }
    }
}

static void print_story(names_t *nm, const ledger_trace_t *t, const char *start, int oldest)
{
    size_t n = ledger_trace_node_count(t), events = 0;
    for (size_t i = 0; i < n; i++)
        events += ledger_trace_node(t, i)->kind != LEDGER_TNODE_IDENT;
    printf("trace of %s: %zu events and steps, %zu identifiers%s\n", start, events, n - events,
           ledger_trace_truncated(t) ? " (cut short by --max-nodes/--max-depth)" : "");
    for (size_t k = 0; k < n; k++) {
        size_t i = oldest ? k : n - 1 - k;
        if (ledger_trace_node(t, i)->kind != LEDGER_TNODE_IDENT)
            story_line(nm, t, i);
    }
}

static void dot_str(const char *s)
{
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            putchar('\\');
        putchar(*s);
    }
}

static void print_dot(names_t *nm, const ledger_trace_t *t)
{
    printf("digraph trace {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n");
    for (size_t i = 0; i < ledger_trace_node_count(t); i++) {
        const ledger_trace_node_t *n = ledger_trace_node(t, i);
        char tm[32], name[128];
        printf("  n%zu [", i);
        if (n->kind == LEDGER_TNODE_IDENT) {
            printf("shape=box, label=\"");
            dot_str(n->id);
            printf("\"%s];\n", i == ledger_trace_start(t) ? ", style=bold" : "");
            continue;
        }
        feed_name(nm, n->feed, name, sizeof name);
        short_time(n->time_ms, tm);
        if (n->kind == LEDGER_TNODE_SEALED) {
            printf("shape=ellipse, style=filled, fillcolor=gray85, label=\"sealed step\\n");
            dot_str(name);
            printf("\\n%s\"];\n", tm);
            continue;
        }
        printf("shape=ellipse, label=\"");
        dot_str(n->biz_step ? n->biz_step : n->type);
        printf("\\n");
        dot_str(name);
        printf("\\n%s\"%s];\n", tm, n->erroneous ? ", color=red, style=dashed" : "");
    }
    for (size_t i = 0; i < ledger_trace_edge_count(t); i++) {
        const ledger_trace_edge_t *e = ledger_trace_edge(t, i);
        printf("  n%zu -> n%zu [label=\"%s\"%s];\n", e->from, e->to,
               e->role ? ledger_trace_role_name(e->role) : ledger_trace_edge_name(e->kind),
               e->kind == LEDGER_TEDGE_NEIGHBOUR || e->kind == LEDGER_TEDGE_CORRECTION
                   ? ", style=dotted"
                   : "");
    }
    printf("}\n");
}

static void print_origin(const json_t *r)
{
    static const char *const keys[][2] = {{"species", "species"},
                                          {"bornIn", "born in"},
                                          {"rearedIn", "reared in"},
                                          {"slaughteredIn", "slaughtered in"},
                                          {"slaughterhouseApproval", "slaughterhouse"},
                                          {"slaughterDate", "slaughtered on"},
                                          {"cutIn", "cut in"},
                                          {"cuttingPlantApproval", "cutting plant"},
                                          {"referenceCode", "lot reference"},
                                          {"animalIds", "animals"}};
    const json_t *o = json_object_get(r, "origin");
    printf("origin of %s\n", json_string_value(json_object_get(r, "pack")));
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const json_t *a = json_object_get(o, keys[k][0]), *v;
        size_t i;
        printf("  %-15s", keys[k][1]);
        if (!json_array_size(a))
            printf("(not stated)");
        json_array_foreach(a, i, v)
        {
            char *s = json_dumps(json_object_get(v, "value"), JSON_ENCODE_ANY | JSON_COMPACT);
            const char *txt = json_string_value(json_object_get(v, "value"));
            printf("%s%s (%.8s:%lld, %s)", i ? "; " : "", txt ? txt : s,
                   json_string_value(json_object_get(v, "feed")),
                   (long long)json_integer_value(json_object_get(v, "seq")),
                   json_string_value(json_object_get(v, "eventTimeUTC")));
            free(s);
        }
        printf("\n");
    }
}

/* Parses a positive count option value. */
static int count_opt(const char *opt, const char *v, size_t *out)
{
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (!*v || *end || n == 0)
        return cli_usage(opt + 2, "%s needs a positive number, not \"%s\"", opt, v);
    *out = (size_t)n;
    return 0;
}

int cli_trace_main(cli_ctx_t *ctx, int argc, char **argv)
{
    ledger_home_t *home = NULL;
    ledger_trace_opts_t o = {0};
    ledger_trace_t *t = NULL;
    const char *id = NULL, *v;
    ledger_key_t *key = NULL;
    int dot = 0, oldest = 0, origin = 0, rc;
    size_t num;
    ledger_err_t err;
    names_t *nm = NULL;

    cli_keep_memory();
    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) {
            fputs(trace_usage, stdout);
            return 0;
        }
        if ((r = cli_common_option(ctx, argc, argv, &i))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        if (strcmp(argv[i], "--back") == 0)
            o.dir |= LEDGER_TRACE_BACK;
        else if (strcmp(argv[i], "--forward") == 0)
            o.dir |= LEDGER_TRACE_FORWARD;
        else if (strcmp(argv[i], "--dot") == 0)
            dot = 1;
        else if (strcmp(argv[i], "--oldest-first") == 0)
            oldest = 1;
        else if (strcmp(argv[i], "--origin") == 0)
            origin = 1;
        else if (strcmp(argv[i], "--no-sealed") == 0)
            o.no_sealed = 1;
        else if ((r = cli_opt(argc, argv, &i, "--max-nodes", &v))) {
            if (r < 0 || count_opt("--max-nodes", v, &o.max_nodes))
                return CLI_EXIT_USAGE;
        } else if ((r = cli_opt(argc, argv, &i, "--max-depth", &v))) {
            if (r < 0 || count_opt("--max-depth", v, &num))
                return CLI_EXIT_USAGE;
            o.max_depth = num > 100000 ? 100000 : (unsigned)num;
        } else if (argv[i][0] == '-' && argv[i][1] == '-')
            return cli_usage("trace", "unknown option %s", argv[i]);
        else if (id)
            return cli_usage("trace", "one ID at a time (%s and %s)", id, argv[i]);
        else
            id = argv[i];
    }
    if (!id)
        return cli_usage("trace", "what to trace? give an identifier or event ID");
    if (dot && ctx->json)
        return cli_usage("trace", "--json or --dot, not both");
    if ((rc = cli_ident_arg("trace", id, &key)))
        return rc;
    if ((rc = cli_open_home(ctx, LEDGER_STORE_RDONLY | LEDGER_STORE_RANDOM, &home))) {
        free(key);
        return rc;
    }
    if (!(nm = calloc(1, sizeof *nm))) {
        rc = CLI_EXIT_ENV;
        goto done;
    }
    nm->home = home;
    if (origin) {
        json_t *r = NULL;
        if ((rc = ledger_trace_origin(ledger_home_store(home), key, &r, &err))) {
            rc = cli_fail(ctx, rc, &err);
            goto done;
        }
        if (ctx->json)
            print_json(r);
        else
            print_origin(r);
        json_decref(r);
        goto done;
    }
    if ((rc = ledger_trace_run_key(ledger_home_store(home), key, &o, &t, &err))) {
        rc = cli_fail(ctx, rc, &err);
        goto done;
    }
    if (ctx->json) {
        json_t *j = ledger_trace_json(t);
        if (!j) {
            rc = CLI_EXIT_ENV;
            goto done;
        }
        add_partners(nm, j, t);
        print_json(j);
        json_decref(j);
    } else if (dot) {
        print_dot(nm, t);
    } else {
        print_story(nm, t, id, oldest);
    }
    if (ledger_trace_truncated(t))
        fprintf(stderr, "keten: the trace was cut short by its bounds (--max-nodes, "
                        "--max-depth): raise them to see more\n");
done:
    ledger_trace_free(t);
    free(nm);
    free(key);
    ledger_home_close(home);
    return rc;
}

/* ---- recall ------------------------------------------------------------------ */

static void csv_field(const char *s)
{
    if (!s)
        return;
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

static const char *party_text(const ledger_card_t *c, int role, char *out, size_t len)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; c && i < c->nids && o < len; i++)
        if (c->ids[i].role == role)
            o += (size_t)snprintf(out + o, len - o, "%s%s", o ? " " : "", c->ids[i].written);
    return out;
}

/* The receipts of shipment s: their times, partners, feeds, seqs and
 * locations, each space-separated, into the five texts. */
static void receipt_texts(names_t *nm, const ledger_recall_shipment_t *s, char t[5][1024])
{
    size_t o[5] = {0};
    const ledger_recall_shipment_t *self[1] = {s};
    const ledger_recall_shipment_t *const *v = s->receipt ? self : s->receipts;
    size_t n = s->receipt ? 1 : s->nreceipts;
    for (int k = 0; k < 5; k++)
        t[k][0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const ledger_trace_node_t *e = v[i]->event;
        char name[128], hex[2 * LEDGER_FEED_LEN + 1];
        const char *loc = ledger_trace_after(e);
        const char *f[5] = {e->card && e->card->event_time ? e->card->event_time : "",
                            feed_name(nm, e->feed, name, sizeof name),
                            ledger_hex(e->feed, LEDGER_FEED_LEN, hex), NULL, loc ? loc : "-"};
        char seq[24];
        snprintf(seq, sizeof seq, "%llu", (unsigned long long)e->seq);
        f[3] = seq;
        for (int k = 0; k < 5; k++)
            if (o[k] < 1024)
                o[k] += (size_t)snprintf(t[k] + o[k], 1024 - o[k], "%s%s", i ? " " : "",
                                         f[k] ? f[k] : "");
    }
}

static void print_recall_csv(names_t *nm, const ledger_recall_t *r)
{
    char q[512], eq[512], to[512], from[512], name[128], hex[2 * LEDGER_FEED_LEN + 1];
    char rt[5][1024];
    printf("eventTime,partner,feed,seq,bizStep,from,to,location,quantity,eventQuantity,items,"
           "erroneous,receivedTime,receivedBy,receivedFeed,receivedSeq,receivedAt\n");
    for (size_t i = 0; i < ledger_recall_nshipments(r); i++) {
        const ledger_recall_shipment_t *s = ledger_recall_shipment(r, i);
        const ledger_trace_node_t *n = s->event;
        char items[4096];
        size_t o = 0;
        ledger_recall_quantity_text(s, q, sizeof q);
        ledger_recall_event_quantity_text(s, eq, sizeof eq);
        receipt_texts(nm, s, rt);
        items[0] = '\0';
        for (size_t k = 0; k < s->nitems && o < sizeof items; k++)
            o += (size_t)snprintf(items + o, sizeof items - o, "%s%s", o ? " " : "", s->items[k]);
        csv_field(s->receipt ? NULL : n->card ? n->card->event_time : NULL);
        putchar(',');
        csv_field(feed_name(nm, n->feed, name, sizeof name));
        printf(",%s,%llu,", ledger_hex(n->feed, LEDGER_FEED_LEN, hex), (unsigned long long)n->seq);
        csv_field(n->biz_step);
        putchar(',');
        csv_field(party_text(n->card, LEDGER_ROLE_SOURCE, from, sizeof from));
        putchar(',');
        csv_field(party_text(n->card, LEDGER_ROLE_DEST, to, sizeof to));
        putchar(',');
        csv_field(ledger_trace_after(n));
        putchar(',');
        csv_field(q);
        putchar(',');
        csv_field(eq);
        putchar(',');
        csv_field(items);
        printf(",%s", n->erroneous ? "true" : "false");
        for (int k = 0; k < 5; k++) {
            putchar(',');
            csv_field(rt[k]);
        }
        putchar('\n');
    }
}

/* Whether canonical key id names one trade item: an SGTIN or a TPX
 * (read as a key by gs1_key_gtin, not by looking at its text here). */
static int trade_item(const char *id)
{
    enum gs1_key_level k = gs1_key_gtin(id, NULL);
    return k == GS1_KEY_SERIAL || k == GS1_KEY_TPX;
}

/* "5 items of 15" when the event moved more trade items than came from the
 * lot (the card's identifiers are canonical keys). */
static void lot_quantity(const ledger_recall_shipment_t *s, char *out, size_t len)
{
    const ledger_card_t *c = s->event->card;
    size_t n = 0;
    ledger_recall_quantity_text(s, out, len);
    for (size_t i = 0; c && i < c->nids; i++) {
        const ledger_card_ident_t *d = &c->ids[i];
        n += !d->listed && trade_item(d->id) &&
             (d->role == LEDGER_ROLE_EPC || d->role == LEDGER_ROLE_CHILD ||
              d->role == LEDGER_ROLE_OUTPUT);
    }
    if (!s->containers && n > s->from_lot && strlen(out) + 16 < len)
        snprintf(out + strlen(out), len - strlen(out), " of %zu", n);
}

static void print_receipt(names_t *nm, const ledger_recall_shipment_t *x, const char *lead)
{
    char tm[32], name[128];
    const char *loc = ledger_trace_after(x->event);
    ledger_trace_fmt_ms(x->event->time_ms, tm);
    printf("%s%.16s %s%s%s%s", lead, tm, feed_name(nm, x->event->feed, name, sizeof name),
           loc ? " at " : "", loc ? loc : "", x->event->erroneous ? " [ERRONEOUS]" : "");
}

static void print_temps(names_t *nm, const ledger_recall_t *r, double max)
{
    char tm[32], name[128];
    printf("\ntemperature above %g °C\n", max);
    if (!ledger_recall_nexcursions(r))
        printf("  none\n");
    for (size_t i = 0; i < ledger_recall_nexcursions(r); i++) {
        const ledger_recall_excursion_t *x = ledger_recall_excursion(r, i);
        const char *loc = ledger_trace_after(x->event);
        const char *u = json_string_value(x->uom);
        char c[48] = "";
        if (!u || strcmp(u, "CEL") != 0)
            snprintf(c, sizeof c, " (%g °C)", x->celsius);
        ledger_trace_fmt_ms(x->event->time_ms, tm);
        printf("  %.16s %-22.22s %g %s%s at %s\n", tm,
               feed_name(nm, x->event->feed, name, sizeof name), json_number_value(x->value),
               u ? u : "", c, loc ? loc : "-");
    }
    for (size_t i = 0; i < ledger_recall_nnot_compared(r); i++) {
        const ledger_recall_excursion_t *x = ledger_recall_not_compared(r, i);
        const char *loc = ledger_trace_after(x->event), *u = json_string_value(x->uom);
        char unit[64];
        if (u)
            snprintf(unit, sizeof unit, "unit %s", u);
        else
            snprintf(unit, sizeof unit, "%s", x->uom ? "unit not a text" : "no unit");
        ledger_trace_fmt_ms(x->event->time_ms, tm);
        printf("  %.16s %-22.22s %g%s%s not compared (%s) at %s\n", tm,
               feed_name(nm, x->event->feed, name, sizeof name), json_number_value(x->value),
               u ? " " : "", u ? u : "", unit, loc ? loc : "-");
    }
}

static void print_recall(names_t *nm, const ledger_recall_t *r)
{
    char q[512], to[512], name[128], tm[32], dis[512];
    double max;
    printf("recall of %s: %zu shipment%s (%zu received), %zu products and containers%s\n",
           ledger_recall_lot(r), ledger_recall_shipment_count(r),
           ledger_recall_shipment_count(r) == 1 ? "" : "s", ledger_recall_received_count(r),
           ledger_recall_nproducts(r),
           ledger_recall_truncated(r) ? " (cut short: see --help)" : "");
    printf("\nshipments\n  %-16s %-22s %-10s %-34s %-22s %s\n", "when (UTC)", "partner", "step",
           "to", "from the lot", "received (UTC)");
    for (size_t i = 0; i < ledger_recall_nshipments(r); i++) {
        const ledger_recall_shipment_t *s = ledger_recall_shipment(r, i);
        const ledger_trace_node_t *n = s->event;
        const char *loc = ledger_trace_after(n);
        lot_quantity(s, q, sizeof q);
        party_text(n->card, LEDGER_ROLE_DEST, to, sizeof to);
        ledger_trace_fmt_ms(n->time_ms, tm);
        printf("  %.16s %-22.22s %-10.10s %-34s %-22s ", s->receipt ? "-" : tm,
               feed_name(nm, n->feed, name, sizeof name), n->biz_step ? n->biz_step : "-",
               to[0] ? to
               : loc ? loc
                     : "-",
               q);
        if (s->receipt)
            print_receipt(nm, s, "received ");
        else if (s->nreceipts)
            print_receipt(nm, s->receipts[0], "received ");
        else
            fputs("not received", stdout);
        if (s->receipt)
            fputs(" (its shipment is not recorded)", stdout);
        printf("%s%s\n", n->erroneous ? "  [ERRONEOUS, not counted]" : "",
               dispute_text(nm, n, dis, sizeof dis));
        for (size_t k = 1; !s->receipt && k < s->nreceipts; k++) {
            print_receipt(nm, s->receipts[k], "      also received ");
            putchar('\n');
        }
    }
    printf("\nproducts (last seen)\n");
    for (size_t i = 0; i < ledger_recall_nproducts(r); i++) {
        const ledger_recall_product_t *p = ledger_recall_product(r, i);
        const char *loc = p->last ? ledger_trace_after(p->last) : NULL;
        if (p->last)
            ledger_trace_fmt_ms(p->last->time_ms, tm);
        printf("  %-58s %.16s %s %s\n", p->id, p->last ? tm : "-",
               p->last && p->last->biz_step ? p->last->biz_step : "-", loc ? loc : "");
    }
    if (ledger_recall_has_max_temp(r, &max))
        print_temps(nm, r, max);
}

int cli_recall_main(cli_ctx_t *ctx, int argc, char **argv)
{
    ledger_home_t *home = NULL;
    const char *lot = NULL, *v, *maxt = NULL;
    ledger_key_t *key = NULL;
    int csv = 0, rc;
    double max = 0;
    ledger_recall_t *r = NULL;
    ledger_err_t err;
    names_t *nm = NULL;

    cli_keep_memory();
    for (int i = 1; i < argc; i++) {
        int x;
        if (cli_is_help(argv[i])) {
            fputs(recall_usage, stdout);
            return 0;
        }
        if ((x = cli_common_option(ctx, argc, argv, &i))) {
            if (x < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        if (strcmp(argv[i], "--csv") == 0)
            csv = 1;
        else if ((x = cli_opt(argc, argv, &i, "--max-temp", &v))) {
            if (x < 0)
                return CLI_EXIT_USAGE;
            if (ledger_uom_parse(LEDGER_UOM_TEMPERATURE, v, &max))
                return cli_usage("recall",
                                 "--max-temp needs a temperature: degrees Celsius, or a number "
                                 "with its unit (4CEL, 39.2FAH, 277.15KEL), not \"%s\"",
                                 v);
            maxt = v;
        } else if (argv[i][0] == '-' && argv[i][1] == '-')
            return cli_usage("recall", "unknown option %s", argv[i]);
        else if (lot)
            return cli_usage("recall", "one lot at a time");
        else
            lot = argv[i];
    }
    if (!lot)
        return cli_usage("recall", "which lot? give e.g. urn:epc:class:lgtin:...");
    if (csv && ctx->json)
        return cli_usage("recall", "--json or --csv, not both");
    if ((rc = cli_ident_arg("recall", lot, &key)))
        return rc;
    /* with read-ahead: a recall reads thousands of cards that lie together */
    if ((rc = cli_open_home(ctx, LEDGER_STORE_RDONLY, &home))) {
        free(key);
        return rc;
    }
    if ((rc = ledger_recall_run(ledger_home_store(home), key, NULL, maxt != NULL, max, &r, &err))) {
        rc = cli_fail(ctx, rc, &err);
        goto done;
    }
    if (ctx->json) {
        /* streamed: a recall of thousands of shipments is tens of MB */
        if (ledger_recall_write_json(r, stdout, &err))
            rc = cli_fail(ctx, LEDGER_EIO, &err);
    } else if ((nm = calloc(1, sizeof *nm))) {
        nm->home = home;
        if (csv)
            print_recall_csv(nm, r);
        else
            print_recall(nm, r);
    } else {
        rc = CLI_EXIT_ENV;
    }
done:
    ledger_recall_free(r);
    free(nm);
    free(key);
    ledger_home_close(home);
    return rc;
}

/* ---- lifecycle ---------------------------------------------------------------- */

/* The fibre composition as the table shows it: text as written, an object
 * as "polyester 65%, cotton 35%", nothing as "not recorded". */
static void print_materials(const json_t *comp)
{
    const char *k, *sep = "";
    const json_t *v;
    if (json_is_string(comp)) {
        printf("  materials    %s\n", json_string_value(comp));
        return;
    }
    if (!json_is_object(comp) || json_object_size(comp) == 0) {
        printf("  materials    not recorded\n");
        return;
    }
    printf("  materials    ");
    json_object_foreach((json_t *)comp, k, v)
    {
        printf("%s%s %g%%", sep, k, json_number_value(v));
        sep = ", ";
    }
    printf("\n");
}

/* "washes" and "status" lines of the table: the count against the rated
 * maximum, and what it means for the garment. */
static void print_wash_status(const json_t *r)
{
    const char *status = json_string_value(json_object_get(r, "status"));
    long long washes = (long long)json_integer_value(json_object_get(r, "washes"));
    const json_t *max = json_object_get(r, "maxWashCycles");
    long long m = json_is_integer(max) ? (long long)json_integer_value(max) : 0;
    const char *limit = "";

    if (m > 0 && washes > m)
        printf("  washes       %lld of %lld (%lld past the maximum)\n", washes, m, washes - m);
    else if (m > 0 && washes == m)
        printf("  washes       %lld of %lld (at its maximum)\n", washes, m);
    else if (m > 0)
        printf("  washes       %lld of %lld (%lld left)\n", washes, m, m - washes);
    else
        printf("  washes       %lld (no rated maximum: ILMD garment:maxWashCycles)\n", washes);
    if (m > 0 && washes > m)
        limit = "past its rated maximum of wash cycles";
    else if (m > 0 && washes == m)
        limit = "at its rated maximum of wash cycles";
    if (!status)
        return;
    if (strcmp(status, "retired") == 0)
        printf("  status       retired%s%s\n", *limit ? ", " : "", limit);
    else if (strcmp(status, "due") == 0)
        printf("  status       due: within 10%% of its rated maximum of wash cycles\n");
    else if (strcmp(status, "at_maximum") == 0 || strcmp(status, "over") == 0)
        printf("  status       %s\n", limit);
    else
        printf("  status       %s\n", status);
}

static void print_lifecycle(const json_t *r)
{
    const json_t *c = json_object_get(r, "commissioned"), *il = json_object_get(c, "ilmd");
    const json_t *h = json_object_get(r, "holder"), *e = json_object_get(r, "endOfLife"), *v;
    const char *status = json_string_value(json_object_get(r, "status"));
    size_t i;
    printf("garment %s\n", json_string_value(json_object_get(r, "garment")));
    if (json_is_object(c)) {
        printf("  made         %.16s at %s\n",
               json_string_value(json_object_get(c, "eventTimeUTC")),
               json_string_value(json_object_get(c, "location"))
                   ? json_string_value(json_object_get(c, "location"))
                   : "-");
        print_materials(json_object_get(il, "fibreComposition"));
        if (json_is_number(json_object_get(il, "recycledContent")))
            printf("  recycled     %g%%\n",
                   json_number_value(json_object_get(il, "recycledContent")));
        if (json_string_value(json_object_get(il, "madeIn")))
            printf("  made in      %s\n", json_string_value(json_object_get(il, "madeIn")));
    } else {
        printf("  made         (no commissioning event found)\n");
    }
    print_wash_status(r);
    printf("  repairs      %zu\n", json_array_size(json_object_get(r, "repairs")));
    json_array_foreach(json_object_get(r, "repairs"), i, v) printf(
        "               %.16s at %s\n", json_string_value(json_object_get(v, "eventTimeUTC")),
        json_string_value(json_object_get(v, "location"))
            ? json_string_value(json_object_get(v, "location"))
            : "-");
    if (json_is_object(h))
        printf("  now          %s since %.16s (%s)\n",
               json_string_value(json_object_get(h, "location"))
                   ? json_string_value(json_object_get(h, "location"))
                   : "unknown location",
               json_string_value(json_object_get(h, "eventTimeUTC")),
               json_string_value(json_object_get(h, "bizStep"))
                   ? json_string_value(json_object_get(h, "bizStep"))
                   : "-");
    if (json_is_object(e)) {
        printf("  end of life  %.16s %s at %s\n",
               json_string_value(json_object_get(e, "eventTimeUTC")),
               json_string_value(json_object_get(e, "bizStep"))
                   ? json_string_value(json_object_get(e, "bizStep"))
                   : "-",
               json_string_value(json_object_get(e, "location"))
                   ? json_string_value(json_object_get(e, "location"))
                   : "-");
        json_array_foreach(json_object_get(e, "outputs"), i, v)
            printf("               became %s\n", json_string_value(v));
    }
    if (status && strcmp(status, "due") == 0)
        printf("WARNING: within 10%% of its rated maximum of wash cycles: due for replacement\n");
    else if (status && strcmp(status, "at_maximum") == 0)
        printf("WARNING: at its rated maximum of wash cycles: replace it before the next wash\n");
    else if (status && strcmp(status, "over") == 0)
        printf("WARNING: past its rated maximum of wash cycles: replace it\n");
}

/* --due / --missing as a table or (csv) CSV with a header line. */
static void print_garment_list(const json_t *r, const char *location, int all, int missing,
                               int csv)
{
    const json_t *g, *list = json_object_get(r, "garments");
    size_t i;
    if (csv)
        printf("garment,washes,maxWashCycles,status,repairs,location,since,bizStep%s\n",
               missing ? ",checkedOutFrom,daysOut" : "");
    else if (missing)
        printf("garments checked out at or to %s and not back within %lld days (as of %s): %zu\n",
               location, (long long)json_integer_value(json_object_get(r, "days")),
               json_string_value(json_object_get(r, "asOfUTC")), json_array_size(list));
    else
        printf("garments last seen at %s%s: %zu\n", location, all ? "" : " and due for replacement",
               json_array_size(list));
    json_array_foreach(list, i, g)
    {
        const json_t *m = json_object_get(g, "maxWashCycles"), *h = json_object_get(g, "holder");
        long long washes = (long long)json_integer_value(json_object_get(g, "washes"));
        char maxs[32] = "";
        if (json_is_integer(m))
            snprintf(maxs, sizeof maxs, "%lld", (long long)json_integer_value(m));
        if (!csv) {
            printf("  %-58s %4lld/%-5s washes  %s", json_string_value(json_object_get(g, "garment")),
                   washes, maxs[0] ? maxs : "?", json_string_value(json_object_get(g, "status")));
            if (missing)
                printf("  out %lld days, to %s",
                       (long long)json_integer_value(json_object_get(g, "daysOut")),
                       json_string_value(json_object_get(h, "location"))
                           ? json_string_value(json_object_get(h, "location"))
                           : "-");
            printf("\n");
            continue;
        }
        csv_field(json_string_value(json_object_get(g, "garment")));
        printf(",%lld,%s,", washes, maxs);
        csv_field(json_string_value(json_object_get(g, "status")));
        printf(",%lld,", (long long)json_integer_value(json_object_get(g, "repairs")));
        csv_field(json_string_value(json_object_get(h, "location")));
        putchar(',');
        csv_field(json_string_value(json_object_get(h, "eventTimeUTC")));
        putchar(',');
        csv_field(json_string_value(json_object_get(h, "bizStep")));
        if (missing) {
            putchar(',');
            csv_field(json_string_value(json_object_get(g, "checkedOutFrom")));
            printf(",%lld", (long long)json_integer_value(json_object_get(g, "daysOut")));
        }
        putchar('\n');
    }
}

/* --days N: a whole number of days from 1 to 36500, else -1. */
static long long parse_days(const char *s)
{
    char *end;
    long long d;
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    d = strtoll(s, &end, 10);
    return *end || d < 1 || d > 36500 ? -1 : d;
}

int cli_lifecycle_main(cli_ctx_t *ctx, int argc, char **argv)
{
    ledger_home_t *home = NULL;
    const char *id = NULL, *v, *location = NULL, *days_s = NULL, *as_of = NULL;
    ledger_key_t *key = NULL;
    const char **laundries = NULL;
    size_t nl = 0;
    int due = 0, all = 0, missing = 0, csv = 0, rc;
    long long days = 0;
    int64_t now_ms = 0;
    json_t *r = NULL;
    ledger_err_t err;

    cli_keep_memory();
    if (!(laundries = calloc((size_t)argc, sizeof *laundries)))
        return CLI_EXIT_ENV;
    for (int i = 1; i < argc; i++) {
        int x;
        if (cli_is_help(argv[i])) {
            fputs(lifecycle_usage, stdout);
            free(laundries);
            return 0;
        }
        if ((x = cli_common_option(ctx, argc, argv, &i)) ||
            (x = cli_opt(argc, argv, &i, "--location", &location)) ||
            (x = cli_opt(argc, argv, &i, "--days", &days_s)) ||
            (x = cli_opt(argc, argv, &i, "--as-of", &as_of))) {
            if (x < 0)
                goto usage;
            continue;
        }
        if ((x = cli_opt(argc, argv, &i, "--laundry", &v))) {
            if (x < 0)
                goto usage;
            laundries[nl++] = v;
        } else if (strcmp(argv[i], "--due") == 0)
            due = 1;
        else if (strcmp(argv[i], "--all") == 0)
            all = 1;
        else if (strcmp(argv[i], "--missing") == 0)
            missing = 1;
        else if (strcmp(argv[i], "--csv") == 0)
            csv = 1;
        else if (argv[i][0] == '-' && argv[i][1] == '-') {
            free(laundries);
            return cli_usage("lifecycle", "unknown option %s", argv[i]);
        } else if (id) {
            free(laundries);
            return cli_usage("lifecycle", "one garment at a time");
        } else
            id = argv[i];
    }
    if (due && missing) {
        free(laundries);
        return cli_usage("lifecycle", "--due or --missing, not both");
    }
    if (missing) {
        const char *why = NULL;
        if (!location || id || !days_s) {
            free(laundries);
            return cli_usage("lifecycle", "--missing needs --days N, --location SGLN and no garment");
        }
        if ((days = parse_days(days_s)) < 0) {
            free(laundries);
            return cli_usage("lifecycle", "--days %s: expected a whole number of days from 1 to "
                                          "36500", days_s);
        }
        if (as_of && ledger_epcis_time_ms(as_of, &now_ms, &why)) {
            free(laundries);
            return cli_usage("lifecycle", "--as-of %s: %s (e.g. 2024-06-01T00:00:00Z)", as_of,
                             why ? why : "not an RFC 3339 time");
        }
        if (!as_of)
            now_ms = (int64_t)time(NULL) * 1000;
        due = 1; /* a list at a location, like --due */
    } else if (days_s || as_of) {
        free(laundries);
        return cli_usage("lifecycle", "%s goes with --missing", days_s ? "--days" : "--as-of");
    }
    if ((csv && !due) || (csv && ctx->json)) {
        free(laundries);
        return cli_usage("lifecycle", csv && ctx->json ? "--json or --csv, not both"
                                                       : "--csv goes with --due or --missing");
    }
    if (due ? (!location || id) : (!id || location)) {
        free(laundries);
        return cli_usage("lifecycle", due ? "--due needs --location SGLN and no garment"
                                          : "which garment? give its EPC or Digital Link");
    }
    if ((rc = cli_ident_arg("lifecycle", due ? location : id, &key))) {
        free(laundries);
        return rc;
    }
    if ((rc = cli_open_home(ctx, LEDGER_STORE_RDONLY | LEDGER_STORE_RANDOM, &home))) {
        free(laundries);
        free(key);
        return rc;
    }
    if (missing)
        rc = ledger_trace_missing(ledger_home_store(home), key, laundries, nl, (int64_t)days,
                                  now_ms, &r, &err);
    else
        rc = due ? ledger_trace_due(ledger_home_store(home), key, laundries, nl, !all, &r, &err)
                 : ledger_trace_lifecycle(ledger_home_store(home), key, laundries, nl, &r, &err);
    if (rc) {
        rc = cli_fail(ctx, rc, &err);
        goto done;
    }
    if (ctx->json) {
        print_json(r);
    } else if (!due) {
        print_lifecycle(r);
    } else {
        print_garment_list(r, location, all, missing, csv);
    }
done:
    json_decref(r);
    free(laundries);
    free(key);
    ledger_home_close(home);
    return rc;
usage:
    free(laundries);
    return CLI_EXIT_USAGE;
}

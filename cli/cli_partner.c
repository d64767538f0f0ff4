/* cli_partner.c -- `keten identity`, `keten peer endorse` and the identity
 * lines of status and peer list (see cli_partner.h).
 *
 * identity set: the fields (name and GLN default to the home's) become an
 * identity statement (ledger_stmt.h, kind 1) about the own feed, appended
 * as a signed entry of payload type 4 (ledger_store_append_payload); it
 * replicates to partners like any entry.  A newer statement replaces an
 * older one (the highest seq counts).  identity show: a feed's newest
 * statement and who endorses it, from the statements the store holds
 * (ledger_stmts.h: one pass over the log).
 *
 * peer endorse: the same statement, kind 2, about the partner's feed: the
 * endorser says it has checked, out of band, that the key belongs to the
 * company named.  Endorsing the own key is refused before anything is
 * written (exit 3), as the statement decoder refuses such an entry from a
 * partner.
 *
 * Names are what the user typed; the decoder is the one that checks them
 * (ledger_stmt_check: GLN by GS1 AI (417) rules, GCP, domain). */
#include "cli_partner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_entry.h"
#include "ledger_stmt.h"
#include "ledger_stmts.h"
#include "ledger_store.h"

static const char identity_usage[] =
    "usage: keten identity set [--name NAME] [--gln GLN] [--gcp PREFIX] [--domain DOMAIN]\n"
    "       keten identity [show] [ID] [--json]\n"
    "\n"
    "set: appends to this node's own feed a signed statement of who holds its key:\n"
    "the company's name (default: the home's name), its GLN (default: the home's) or\n"
    "GS1 Company Prefix, and optionally the web domain that publishes the feed key at\n"
    "https://DOMAIN/.well-known/keten.json (docs/format.md). The statement travels to\n"
    "the partners with the feed; a newer one replaces an older one.\n"
    "show: a feed's newest statement (default: this node's) and who endorses it\n"
    "(keten peer endorse).\n"
    "\n"
    "Exit codes: 0 ok, 1 the feed has stated no identity (show), 2 usage, 3 a field\n"
    "is not valid (the message names it), 4 environment.\n"
    "\n"
    "Examples:\n"
    "  keten --home /tmp/a identity set --name \"Vleesverwerker Demo\" --gln 5412345000006\n"
    "  keten --home /tmp/a identity show --json\n";

static const char endorse_usage[] =
    "usage: keten peer endorse ID --name NAME (--gln GLN | --gcp PREFIX) [--domain DOMAIN]\n"
    "\n"
    "Appends to this node's own feed a signed endorsement of the partner feed ID: you\n"
    "have checked out of band (a phone call, a signed contract, a visit) that the key\n"
    "belongs to the company with this name and GLN or GS1 Company Prefix. Partners,\n"
    "status, peer list and bundles show who endorses a key; an endorsement that does\n"
    "not match the feed's own statement is shown as not agreeing. Your own key cannot\n"
    "be endorsed by you (exit 3).\n"
    "\n"
    "Example:\n"
    "  keten --home /tmp/a peer endorse 3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29 \\\n"
    "        --name \"Slachthuis Demo\" --gln 5412345000013\n";

typedef struct fields {
    const char *name, *gln, *gcp, *domain;
} fields_t;

/* Reads --name --gln --gcp --domain and the common options; positional
 * arguments go to pos (up to npos). 0, or an exit code. */
static int parse(cli_ctx_t *ctx, const char *cmd, const char *usage, int argc, char **argv,
                 int first, fields_t *f, const char **pos, int npos, int *got)
{
    *got = 0;
    for (int i = first; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) {
            fputs(usage, stdout);
            return -1;
        }
        if ((r = cli_common_option(ctx, argc, argv, &i)) ||
            (r = cli_opt(argc, argv, &i, "--name", &f->name)) ||
            (r = cli_opt(argc, argv, &i, "--gln", &f->gln)) ||
            (r = cli_opt(argc, argv, &i, "--gcp", &f->gcp)) ||
            (r = cli_opt(argc, argv, &i, "--domain", &f->domain))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1])
            return cli_usage(cmd, "unknown option %s", argv[i]);
        if (*got >= npos)
            return cli_usage(cmd, "unexpected argument %s", argv[i]);
        pos[(*got)++] = argv[i];
    }
    return 0;
}

static int copy_field(const char *cmd, const char *what, const char *v, char *out, size_t cap)
{
    if (!v)
        return 0;
    if (strlen(v) >= cap)
        return cli_usage(cmd, "%s is longer than %zu bytes", what, cap - 1);
    memcpy(out, v, strlen(v) + 1);
    return 0;
}

static int fill(const char *cmd, const fields_t *f, ledger_stmt_t *s)
{
    int rc;
    if ((rc = copy_field(cmd, "--name", f->name, s->name, sizeof s->name)) ||
        (rc = copy_field(cmd, "--gln", f->gln, s->gln, sizeof s->gln)) ||
        (rc = copy_field(cmd, "--gcp", f->gcp, s->gcp, sizeof s->gcp)) ||
        (rc = copy_field(cmd, "--domain", f->domain, s->domain, sizeof s->domain)))
        return rc;
    return 0;
}

static int parse_feed(const char *cmd, const char *s, uint8_t id[32])
{
    if (!s || strlen(s) != 64 || strspn(s, "0123456789abcdef") != 64 || ledger_unhex(s, id, 32))
        return cli_usage(cmd, "\"%s\" is not a feed ID (64 lowercase hex digits: keten id)",
                         s ? s : "");
    return 0;
}

static void print_stmt(const ledger_stmt_t *s)
{
    printf("%s", s->name);
    if (s->gln[0])
        printf(", GLN %s", s->gln);
    if (s->gcp[0])
        printf(", GS1 Company Prefix %s", s->gcp);
    if (s->domain[0])
        printf(", domain %s", s->domain);
}

/* Checks, signs and appends s; prints what was written. */
static int append_stmt(const cli_ctx_t *ctx, ledger_home_t *home, ledger_stmt_t *s)
{
    const ledger_identity_t *id;
    ledger_buf_t b = LEDGER_BUF_INIT;
    ledger_err_t err;
    uint64_t seq = 0;
    char hex[65], sub[65];
    int rc;

    if ((rc = ledger_stmt_encode(s, &b, &err)) ||
        (rc = ledger_stmt_check_author(s, ledger_home_id(home), &err))) {
        rc = cli_fail(ctx, rc, &err);
        goto done;
    }
    if ((rc = cli_identity(ctx, home, &id)))
        goto done;
    if ((rc = ledger_store_append_payload(ledger_home_store(home), id, LEDGER_PT_STATEMENT, b.data,
                                          b.len, &seq, &err))) {
        rc = cli_fail(ctx, rc, &err);
        goto done;
    }
    if (ctx->json) {
        printf("{\"feed\":\"%s\",\"seq\":%llu,\"kind\":\"%s\"}\n",
               ledger_hex(ledger_home_id(home), 32, hex), (unsigned long long)seq,
               ledger_stmt_kind_name(s->kind));
    } else {
        printf("%s:%llu %s of %s: ", ledger_hex(ledger_home_id(home), 32, hex),
               (unsigned long long)seq,
               s->kind == LEDGER_STMT_IDENTITY ? "identity statement" : "endorsement",
               s->kind == LEDGER_STMT_IDENTITY ? "this feed" : ledger_hex(s->subject, 32, sub));
        print_stmt(s);
        printf("\n");
    }
done:
    ledger_buf_free(&b);
    return rc;
}

static int identity_show(const cli_ctx_t *ctx, ledger_home_t *home, const uint8_t feed[32])
{
    ledger_stmts_t all;
    ledger_err_t err;
    json_t *o;
    int rc;
    if ((rc = ledger_stmts_load(ledger_home_store(home), &all, &err)))
        return cli_fail(ctx, rc, &err);
    if (!(o = ledger_stmts_feed_json(&all, feed))) {
        ledger_stmts_free(&all);
        return CLI_EXIT_ENV;
    }
    rc = json_is_null(json_object_get(o, "identity")) ? CLI_EXIT_FAILED : 0;
    if (ctx->json) {
        char *s = json_dumps(o, JSON_COMPACT);
        puts(s);
        free(s);
    } else {
        char hex[65];
        printf("%s\n", ledger_hex(feed, 32, hex));
        if (rc)
            printf("  states no identity (keten identity set)\n");
        cli_partner_print(o, "  ");
    }
    json_decref(o);
    ledger_stmts_free(&all);
    return rc;
}

int cli_identity_main(cli_ctx_t *ctx, int argc, char **argv)
{
    fields_t f = {0};
    const char *pos[2] = {0};
    ledger_home_t *home = NULL;
    ledger_stmt_t s;
    uint8_t feed[32];
    int got, rc, set;

    if ((rc = parse(ctx, "identity", identity_usage, argc, argv, 1, &f, pos, 2, &got)))
        return rc < 0 ? 0 : rc;
    set = got > 0 && !strcmp(pos[0], "set");
    if (got > 0 && !set && strcmp(pos[0], "show") && got == 2)
        return cli_usage("identity", "unknown subcommand %s (set, show)", pos[0]);
    if (set) {
        if (got > 1)
            return cli_usage("identity", "set states the own feed's identity: no ID");
        memset(&s, 0, sizeof s);
        s.kind = LEDGER_STMT_IDENTITY;
        if ((rc = fill("identity", &f, &s)))
            return rc;
        if ((rc = cli_open_home(ctx, 0, &home)))
            return rc;
        if (!f.name)
            snprintf(s.name, sizeof s.name, "%s", ledger_home_name(home));
        if (!f.gln && !f.gcp && ledger_home_gln(home))
            snprintf(s.gln, sizeof s.gln, "%s", ledger_home_gln(home));
        memcpy(s.subject, ledger_home_id(home), 32);
        rc = append_stmt(ctx, home, &s);
        ledger_home_close(home);
        return rc;
    }
    if (f.name || f.gln || f.gcp || f.domain)
        return cli_usage("identity", "--name, --gln, --gcp and --domain belong to set");
    {
        const char *idtext = got == 2 ? pos[1] : got == 1 && strcmp(pos[0], "show") ? pos[0] : NULL;
        if ((rc = cli_open_home(ctx, LEDGER_STORE_RDONLY, &home)))
            return rc;
        memcpy(feed, ledger_home_id(home), 32);
        if (idtext && (rc = parse_feed("identity", idtext, feed))) {
            ledger_home_close(home);
            return rc;
        }
        rc = identity_show(ctx, home, feed);
        ledger_home_close(home);
        return rc;
    }
}

int cli_peer_endorse_main(cli_ctx_t *ctx, int argc, char **argv)
{
    fields_t f = {0};
    const char *pos[1] = {0};
    ledger_home_t *home = NULL;
    ledger_stmt_t s;
    int got, rc;

    if ((rc = parse(ctx, "peer endorse", endorse_usage, argc, argv, 1, &f, pos, 1, &got)))
        return rc < 0 ? 0 : rc;
    if (got < 1)
        return cli_usage("peer endorse", "needs the partner's feed ID");
    if (!f.name)
        return cli_usage("peer endorse", "--name NAME: the company you checked the key of");
    if (!f.gln && !f.gcp)
        return cli_usage("peer endorse", "--gln GLN or --gcp PREFIX: the company you checked");
    memset(&s, 0, sizeof s);
    s.kind = LEDGER_STMT_ENDORSEMENT;
    if ((rc = parse_feed("peer endorse", pos[0], s.subject)) || (rc = fill("peer endorse", &f, &s)))
        return rc;
    if ((rc = cli_open_home(ctx, 0, &home)))
        return rc;
    if (!memcmp(s.subject, ledger_home_id(home), 32)) {
        fprintf(stderr, "keten peer endorse: %s is this node's own key: a feed cannot endorse its "
                        "own key (partners endorse it; state your identity with keten identity "
                        "set); nothing written\n",
                pos[0]);
        ledger_home_close(home);
        return CLI_EXIT_INPUT;
    }
    rc = append_stmt(ctx, home, &s);
    ledger_home_close(home);
    return rc;
}

void cli_partner_annotate(ledger_home_t *home, json_t *arr, const char *key)
{
    ledger_stmts_t all;
    ledger_err_t err;
    size_t i;
    json_t *v;
    if (ledger_stmts_load(ledger_home_store(home), &all, &err)) {
        fprintf(stderr, "keten: cannot read the identity statements: %s\n", err.msg);
        return;
    }
    json_array_foreach(arr, i, v)
    {
        uint8_t feed[32];
        const char *hex = json_string_value(json_object_get(v, key));
        json_t *o;
        if (!hex || ledger_unhex(hex, feed, 32) || !(o = ledger_stmts_feed_json(&all, feed)))
            continue;
        json_object_update(v, o);
        json_decref(o);
    }
    ledger_stmts_free(&all);
}

void cli_partner_print_fields(const json_t *st)
{
    if (json_object_get(st, "gln"))
        printf(", GLN %s", json_string_value(json_object_get(st, "gln")));
    if (json_object_get(st, "gcp"))
        printf(", GS1 Company Prefix %s", json_string_value(json_object_get(st, "gcp")));
    if (json_object_get(st, "domain"))
        printf(", domain %s", json_string_value(json_object_get(st, "domain")));
}

void cli_partner_print(const json_t *o, const char *indent)
{
    const json_t *id = json_object_get(o, "identity"), *e;
    size_t i;
    if (json_is_object(id)) {
        printf("%sidentity: %s", indent, json_string_value(json_object_get(id, "name")));
        cli_partner_print_fields(id);
        printf(" (stated at seq %lld)\n", (long long)json_integer_value(json_object_get(id, "seq")));
    }
    json_array_foreach(json_object_get(o, "endorsedBy"), i, e)
    {
        const char *n = json_string_value(json_object_get(e, "name"));
        const json_t *d = json_object_get(e, "endorsed");
        printf("%sendorsed by %s (%.16s…) as %s", indent, n ? n : "-",
               json_string_value(json_object_get(e, "feed")),
               json_string_value(json_object_get(d, "name")));
        if (json_object_get(d, "gln"))
            printf(", GLN %s", json_string_value(json_object_get(d, "gln")));
        if (json_object_get(d, "gcp"))
            printf(", GCP %s", json_string_value(json_object_get(d, "gcp")));
        printf("%s\n", json_is_true(json_object_get(e, "agrees"))
                           ? ""
                           : "  DOES NOT MATCH its stated identity");
    }
}

/* cli_bundle.c -- `keten bundle create IDENT --out FILE [--only-own]` and
 * `keten bundle verify FILE [--json]`.
 *
 * create picks the steps of the product's history (ledger_bundle_steps: the
 * trace of ledger_trace.h, both directions, with the errorDeclarations of
 * its events and the sealed steps the trace places), names every partner as
 * this home knows it (cli_feed_name: own name, peers.json, names learned by
 * the node), signs the bundle with the home's key (ledger_bundle_create),
 * checks it once more as a buyer would, and writes it atomically.
 * verify needs no home: it reads the file, runs ledger_bundle_verify and
 * prints the story and what it proves, or the claim that fails (exit 1).
 */
#include "cli_bundle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_bundle_trust.h"
#include "cli_ident.h"
#include "cli_node.h"
#include "ledger_bundle.h"
#include "ledger_entry.h"
#include "ledger_epcis.h"
#include "ledger_store.h"

static const char usage[] =
    "usage: keten bundle create IDENTIFIER --out FILE [--only-own] [--version 2|3]\n"
    "       keten bundle verify FILE [--json] [--trust FILE] [--require-witnesses N]\n"
    "\n"
    "create writes one file that proves the history of a product: every event of\n"
    "its trace (back and forward, across every feed this home holds) with its\n"
    "signed entry, the entries in between (sealed) that chain the steps of each\n"
    "partner together, the partners' public keys and names, signed by this home.\n"
    "Private entries stay sealed (their payload is not disclosed). --only-own\n"
    "discloses only this home's own events; partners' steps appear sealed.\n"
    "The bundle also carries every partner's identity statement and endorsements\n"
    "and the witnesses' cosignatures of its checkpoint (bundle version 3) when this\n"
    "home holds any; --version 2 leaves them out, for a buyer's tool that reads\n"
    "versions 1 and 2 only (--identities, the former opt-in, is --version 3).\n"
    "IDENTIFIER is an EPC URN, a class/lot URN, a Digital Link URI or an eventID.\n"
    "\n"
    "verify checks a bundle with no home and no network: every signature, chain\n"
    "link and payload hash, and the creator's signature. Exit 0 and the story of\n"
    "what is proven, or exit 1 naming the claim that fails. The format is in\n"
    "docs/bundle.md, so that any other tool can check it too.\n"
    "It shows per partner the identity its key states, who endorses that key and\n"
    "who witnessed its checkpoint, as the bundle carries them (each checked).\n"
    "--trust FILE: the keys you know, one \"FEED-ID [label]\" per line ('#' comments):\n"
    "every partner's key must be in it or be endorsed by a key in it, else exit 1.\n"
    "--require-witnesses N: every partner's checkpoint must be cosigned by N\n"
    "witnesses other than itself (with --trust: keys vouched for; without: partners\n"
    "of the bundle), else exit 1.\n"
    "\n"
    "Examples:\n"
    "  keten --home /tmp/p bundle create urn:epc:id:sgtin:5412345.000001.1001 --out proof.keten\n"
    "  keten bundle verify proof.keten\n"
    "  keten bundle verify proof.keten --json\n"
    "  keten bundle verify proof.keten --trust known-keys.txt --require-witnesses 2\n";

/* ---- create ------------------------------------------------------------- */

static int create_main(cli_ctx_t *ctx, int argc, char **argv)
{
    const char *ident = NULL, *outpath = NULL;
    ledger_key_t *key = NULL;
    int only_own = 0, identities = 1, rc;
    const char *version = NULL;
    ledger_home_t *home = NULL;
    const ledger_identity_t *id;
    ledger_bundle_step_t *steps = NULL;
    size_t nsteps = 0;
    ledger_bundle_partner_t *parts = NULL;
    char(*names)[256] = NULL;
    size_t np = 0;
    ledger_bundle_spec_t spec = {0};
    ledger_buf_t out = LEDGER_BUF_INIT;
    ledger_err_t err;
    json_t *story = NULL;
    struct timespec ts;

    for (int i = 2; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) {
            fputs(usage, stdout);
            return 0;
        }
        if ((r = cli_common_option(ctx, argc, argv, &i)) ||
            (r = cli_opt(argc, argv, &i, "--out", &outpath)) ||
            (r = cli_opt(argc, argv, &i, "--version", &version))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        if (!strcmp(argv[i], "--only-own")) {
            only_own = 1;
            continue;
        }
        if (!strcmp(argv[i], "--identities")) {
            identities = 1;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1] == '-')
            return cli_usage("bundle create", "unknown option %s", argv[i]);
        if (ident)
            return cli_usage("bundle create", "unexpected argument %s", argv[i]);
        ident = argv[i];
    }
    if (version && strcmp(version, "2") && strcmp(version, "3"))
        return cli_usage("bundle create", "--version %s: give 2 or 3 (3 writes version 2 when there "
                         "is nothing of version 3 to carry)", version);
    if (version)
        identities = !strcmp(version, "3");
    if (!ident)
        return cli_usage("bundle create", "give the identifier the bundle is about");
    if (!outpath)
        return cli_usage("bundle create", "give the file to write with --out FILE");
    if ((rc = cli_ident_arg("bundle create", ident, &key)))
        return rc;
    if ((rc = cli_open_home(ctx, LEDGER_STORE_RDONLY | LEDGER_STORE_RANDOM, &home))) {
        free(key);
        return rc;
    }
    if ((rc = ledger_bundle_steps(ledger_home_store(home), key, 0, &steps, &nsteps, &err))) {
        rc = cli_fail(ctx, rc, &err);
        goto done;
    }
    /* a name for every feed of a step, and for this home */
    if (!(parts = calloc(nsteps + 1, sizeof *parts)) ||
        !(names = calloc(nsteps + 1, sizeof *names))) {
        rc = cli_fail(ctx, ledger_err_set(&err, LEDGER_ENOMEM, "out of memory"), &err);
        goto done;
    }
    for (size_t i = 0; i <= nsteps; i++) {
        const uint8_t *feed = i < nsteps ? steps[i].feed : ledger_home_id(home);
        size_t k;
        for (k = 0; k < np && memcmp(parts[k].feed, feed, LEDGER_FEED_LEN); k++)
            ;
        if (k < np)
            continue;
        memcpy(parts[np].feed, feed, LEDGER_FEED_LEN);
        cli_feed_name(home, feed, names[np], sizeof names[np]);
        parts[np].name = names[np];
        np++;
    }
    if ((rc = cli_identity(ctx, home, &id)))
        goto done;
    clock_gettime(CLOCK_REALTIME, &ts);
    spec.subject = ident;
    spec.created_ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)(ts.tv_nsec / 1000000);
    spec.partners = parts;
    spec.npartners = np;
    spec.steps = steps;
    spec.nsteps = nsteps;
    spec.flags = (only_own ? LEDGER_BUNDLE_ONLY_OWN : 0) | (identities ? LEDGER_BUNDLE_TRUST : 0);
    if ((rc = ledger_bundle_create(ledger_home_store(home), id, &spec, &out, &err)) ||
        (rc = ledger_bundle_verify(out.data, out.len, &story, &err)) ||
        (rc = ledger_bundle_save(outpath, out.data, out.len, &err))) {
        rc = cli_fail(ctx, rc, &err);
        goto done;
    }
    {
        json_t *st = json_object_get(story, "steps"), *s;
        size_t i, sealed = 0, entries = 0;
        json_array_foreach(st, i, s) sealed += json_is_true(json_object_get(s, "sealed"));
        json_array_foreach(json_object_get(story, "feeds"), i, s) entries +=
            (size_t)json_integer_value(json_object_get(s, "entries"));
        if (ctx->json) {
            json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "file", outpath, "bytes",
                                  (json_int_t)out.len, "steps", (json_int_t)json_array_size(st),
                                  "disclosed", (json_int_t)(json_array_size(st) - sealed), "sealed",
                                  (json_int_t)sealed, "entries", (json_int_t)entries, "partners",
                                  (json_int_t)json_array_size(json_object_get(story, "feeds")));
            char *text = json_dumps(o, JSON_COMPACT);
            puts(text);
            free(text);
            json_decref(o);
        } else {
            size_t np = json_array_size(json_object_get(story, "feeds"));
            printf("bundle %s: %zu steps (%zu disclosed, %zu sealed) from %zu partner%s, %zu "
                   "entries, %zu bytes\n",
                   outpath, json_array_size(st), json_array_size(st) - sealed, sealed, np,
                   np == 1 ? "" : "s", entries, out.len);
            printf("check it with: keten bundle verify %s\n", outpath);
        }
    }
    rc = 0;
done:
    json_decref(story);
    ledger_buf_free(&out);
    free(key);
    free(steps);
    free(parts);
    free(names);
    ledger_home_close(home);
    return rc;
}

/* ---- verify ------------------------------------------------------------- */

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static void print_story(const char *path, const json_t *story)
{
    const json_t *c = json_object_get(story, "creator"), *s;
    size_t i, ntree = 0, nchain = 0;
    printf("VERIFIED %s\n\n", path);
    printf("subject   %s\n", jstr(story, "subject"));
    printf("created   %s by %s\n", jstr(story, "created"),
           *jstr(c, "name") ? jstr(c, "name") : "(no name)");
    printf("          key %s\n\n", jstr(c, "feed"));
    printf("partners (name as the creator gives it, key, entries in this bundle):\n");
    json_array_foreach(json_object_get(story, "feeds"), i, s)
    {
        int tree = !strcmp(jstr(s, "proof"), "tree");
        ntree += tree;
        nchain += !tree;
        long long nsteps = (long long)json_integer_value(json_object_get(s, "steps"));
        long long size = (long long)json_integer_value(json_object_get(s, "treeSize"));
        printf("  %-24s %s  seq %lld..%lld: %lld step%s, %lld disclosed, %lld sealed",
               *jstr(s, "name") ? jstr(s, "name") : "(no name)", jstr(s, "feed"),
               (long long)json_integer_value(json_object_get(s, "from")),
               (long long)json_integer_value(json_object_get(s, "to")), nsteps,
               nsteps == 1 ? "" : "s",
               (long long)json_integer_value(json_object_get(s, "disclosed")),
               (long long)json_integer_value(json_object_get(s, "sealed")));
        if (tree)
            printf(", proven in its signed log of %lld entr%s\n", size, size == 1 ? "y" : "ies");
        else
            printf(", entries linked from the first to the last\n");
        cli_trust_print_feed(s);
    }
    printf("\nsteps, oldest first (each signed by the partner named):\n");
    json_array_foreach(json_object_get(story, "steps"), i, s)
    {
        const char *name = *jstr(s, "name") ? jstr(s, "name") : "(no name)";
        if (json_is_true(json_object_get(s, "sealed"))) {
            printf("  %-29s sealed: payload withheld (%lld bytes)\n", jstr(s, "recordTime"),
                   (long long)json_integer_value(json_object_get(s, "payloadLength")));
        } else {
            char mark[300] = "";
            if (json_is_true(json_object_get(s, "disputes")))
                snprintf(mark, sizeof mark, "  [DISPUTE by %s of an event of %s: not a correction]",
                         name, *jstr(s, "declaredName") ? jstr(s, "declaredName") : "(no name)");
            else if (json_is_true(json_object_get(s, "errorDeclaration")))
                snprintf(mark, sizeof mark, "  [DECLARED ERRONEOUS: errorDeclaration]");
            printf("  %-29s %s %s%s%s%s\n", jstr(s, "eventTime"), jstr(s, "type"),
                   jstr(s, "action"), *jstr(s, "bizStep") ? " " : "", jstr(s, "bizStep"), mark);
            if (*jstr(s, "bizLocation"))
                printf("  %-29s at %s\n", "", jstr(s, "bizLocation"));
            printf("  %-29s eventID %s\n", "", jstr(s, "eventID"));
        }
        printf("  %-29s signed by %s, %.8s:%lld, recorded %s\n", "", name, jstr(s, "feed"),
               (long long)json_integer_value(json_object_get(s, "seq")), jstr(s, "recordTime"));
    }
    printf("\nproven: each step is signed by the key shown for its partner.\n");
    if (ntree)
        printf("A partner's step \"proven in its signed log\" is entry seq S of that log, whose\n"
               "tree of N entries the partner's key signed (a checkpoint and an inclusion\n"
               "proof): the partner cannot show another entry there without signing two\n"
               "histories.\n");
    if (nchain)
        printf("For a partner whose entries are linked, no entry between its first and last\n"
               "step is missing or out of order (prev links).\n");
    printf("Every disclosed event matches the payload hash its signer committed to, and\n"
           "its EPCIS event hash; the creator's key signed this selection, the names and\n"
           "the subject.\n"
           "A key's stated identity and endorsements are entries signed by the keys\n"
           "shown; a witness's cosignature says that its node saw that checkpoint and no\n"
           "other history of the feed.\n"
           "not proven: that a key belongs to the named company unless a key you know\n"
           "(--trust) endorses it, what a sealed step contains, that no other event of the item\n"
           "exists (a later correction, a step the creator left out), or that the events\n"
           "tell the truth.\n");
}

static int verify_main(cli_ctx_t *ctx, int argc, char **argv)
{
    const char *path = NULL, *trust_path = NULL, *req_text = NULL;
    cli_trust_t trust = {0};
    long require = 0;
    size_t nfail;
    char *buf = NULL;
    size_t len = 0;
    json_t *story = NULL;
    ledger_err_t err;
    int rc;

    for (int i = 2; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) {
            fputs(usage, stdout);
            return 0;
        }
        if ((r = cli_common_option(ctx, argc, argv, &i)) ||
            (r = cli_opt(argc, argv, &i, "--trust", &trust_path)) ||
            (r = cli_opt(argc, argv, &i, "--require-witnesses", &req_text))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1] == '-')
            return cli_usage("bundle verify", "unknown option %s", argv[i]);
        if (path)
            return cli_usage("bundle verify", "unexpected argument %s", argv[i]);
        path = argv[i];
    }
    if (!path)
        return cli_usage("bundle verify", "give the bundle file to verify");
    if (req_text) {
        char *end;
        require = strtol(req_text, &end, 10);
        if (*end || end == req_text || require < 0 || require > 1000)
            return cli_usage("bundle verify", "--require-witnesses takes a number 0..1000");
    }
    if (trust_path && (rc = cli_trust_load(trust_path, &trust)))
        return rc;
    if ((rc = cli_read_file(path, &buf, &len))) {
        cli_trust_free(&trust);
        return rc;
    }
    rc = ledger_bundle_verify((const uint8_t *)buf, len, &story, &err);
    free(buf);
    if (rc) {
        ledger_err_prefix(&err, "bundle %s does not verify", path);
        if (ctx->json && rc == LEDGER_EVERIFY) {
            json_t *o = json_pack("{s:b, s:s}", "verified", 0, "error", err.msg);
            char *text = json_dumps(o, JSON_COMPACT);
            puts(text);
            free(text);
            json_decref(o);
        }
        cli_trust_free(&trust);
        return cli_fail(ctx, rc, &err);
    }
    nfail = cli_trust_eval(story, trust_path ? &trust : NULL, require);
    cli_trust_free(&trust);
    if (ctx->json) {
        char *text;
        json_object_set_new(story, "verified", json_boolean(nfail == 0));
        text = json_dumps(story, JSON_INDENT(2));
        puts(text);
        free(text);
    } else {
        print_story(path, story);
    }
    if (nfail) {
        size_t i;
        json_t *m;
        json_array_foreach(json_object_get(json_object_get(story, "demands"), "failures"), i, m)
            fprintf(stderr, "keten: bundle %s: demand not met: %s\n", path, json_string_value(m));
    }
    json_decref(story);
    return nfail ? CLI_EXIT_FAILED : 0;
}

int cli_bundle_main(cli_ctx_t *ctx, int argc, char **argv)
{
    cli_keep_memory();
    if (argc < 2 || cli_is_help(argv[1])) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : 0;
    }
    if (!strcmp(argv[1], "create"))
        return create_main(ctx, argc, argv);
    if (!strcmp(argv[1], "verify"))
        return verify_main(ctx, argc, argv);
    return cli_usage("bundle", "unknown subcommand %s (create or verify)", argv[1]);
}

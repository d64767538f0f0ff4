/* cli_admin.c -- `keten init` (a new home with a new key), `keten id` (the
 * feed ID), `keten verify` (re-check everything stored), `keten backup` (a
 * consistent copy of the home). */
#include "cli_admin.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ledger_backup.h"
#include "ledger_entry.h"
#include "ledger_store.h"
#include "node_conf.h"

static const char init_usage[] =
    "usage: keten --home DIR init --name NAME [--gln GLN] [--network KEY]\n"
    "                              [--passphrase-file FILE]\n"
    "\n"
    "Creates a new keten home in DIR (which must not exist, or be empty): a new\n"
    "Ed25519 key pair (the public key is this node's feed ID), its settings and an\n"
    "empty store. With --passphrase-file the secret key is sealed with the first\n"
    "line of FILE (Argon2id + XSalsa20-Poly1305); commands that sign then need the\n"
    "same option or KETEN_PASSPHRASE_FILE. Never overwrites an existing home.\n"
    "\n"
    "The network key (64 hex digits) is shared by every node of one chain: nodes\n"
    "with another key cannot connect. The first node makes a new one (init without\n"
    "--network prints it; `keten network` prints it again); every other partner\n"
    "joins with --network KEY.\n"
    "\n"
    "Example:\n"
    "  keten --home /tmp/a init --name \"Vleesverwerker Demo\" --gln 5412345000006\n"
    "  keten --home /tmp/b init --name Keuken --network $(keten --home /tmp/a network)\n";

static const char id_usage[] =
    "usage: keten id [--json]\n"
    "\n"
    "Prints this home's feed ID: its Ed25519 public key, 64 lowercase hex digits.\n"
    "--json adds the name and GLN.\n";

static const char verify_usage[] =
    "usage: keten verify [--signatures] [--json]\n"
    "\n"
    "Re-checks everything the home stores: each feed's Merkle tree, recomputed\n"
    "from the entries' headers, against its stored rows and the signature and\n"
    "root of its newest signed checkpoint; every chain link (each entry names\n"
    "the hash of the one before), every payload hash, seq continuity, every\n"
    "stored event hash and every index row. An entry under a verified\n"
    "checkpoint is proven by that one signature; entries after it, and feeds\n"
    "with no checkpoint, have their own Ed25519 signatures checked.\n"
    "--signatures checks every entry's own signature as well (slower).\n"
    "Exit 0 and a summary per feed when all is well; exit 1 naming the feed,\n"
    "seq and what is wrong otherwise.\n";

int cli_init_main(cli_ctx_t *ctx, int argc, char **argv)
{
    const char *name = NULL, *gln = NULL, *network = NULL;
    char *pass = NULL, hex[2 * LEDGER_FEED_LEN + 1], nethex[65];
    uint8_t netkey[32];
    int newkey = 0;
    size_t plen = 0;
    ledger_home_t *home = NULL;
    ledger_err_t err;
    int rc;

    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) {
            fputs(init_usage, stdout);
            return 0;
        }
        if ((r = cli_common_option(ctx, argc, argv, &i)) ||
            (r = cli_opt(argc, argv, &i, "--name", &name)) ||
            (r = cli_opt(argc, argv, &i, "--gln", &gln)) ||
            (r = cli_opt(argc, argv, &i, "--network", &network))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        return cli_usage("init", "unexpected argument %s", argv[i]);
    }
    if (!ctx->home)
        return cli_usage("init", "where? give --home DIR (or set KETEN_HOME)");
    if (!name || !*name)
        return cli_usage("init", "give the partner's name: --name \"Slachthuis Demo\"");
    if (network && node_netkey_parse(network, netkey, &err))
        return cli_usage("init", "--network: %s", err.msg);
    if (!network) {
        randombytes_buf(netkey, sizeof netkey);
        newkey = 1;
    }
    ledger_hex(netkey, 32, nethex);
    if (ctx->passfile && (rc = cli_read_passphrase(ctx->passfile, &pass, &plen)))
        return rc;
    rc = ledger_home_create(ctx->home, name, gln, pass, plen, &home, &err);
    if (pass)
        sodium_free(pass);
    if (rc == LEDGER_EEXIST) {
        cli_fail(ctx, rc, &err);
        return CLI_EXIT_ENV; /* an existing home is the environment, not bad input */
    }
    if (rc)
        return cli_fail(ctx, rc, &err);
    if ((rc = node_netkey_write(ctx->home, netkey, &err))) {
        ledger_home_close(home);
        return cli_fail(ctx, rc, &err);
    }
    sodium_memzero(netkey, sizeof netkey);
    ledger_hex(ledger_home_id(home), LEDGER_FEED_LEN, hex);
    if (ctx->json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "id", hex, "name", name, "home", ctx->home,
                              "network", nethex);
        char *s;
        if (gln)
            json_object_set_new(o, "gln", json_string(gln));
        s = json_dumps(o, JSON_COMPACT);
        puts(s);
        free(s);
        json_decref(o);
    } else {
        printf("created home %s for %s\nid %s\n", ctx->home, name, hex);
        if (newkey)
            printf("network %s\n(a new chain: give this network key to every partner: keten init "
                   "--network KEY)\n",
                   nethex);
        else
            printf("network %s\n", nethex);
        if (plen)
            printf("the secret key is sealed with the passphrase in %s\n", ctx->passfile);
    }
    ledger_home_close(home);
    return 0;
}

int cli_id_main(cli_ctx_t *ctx, int argc, char **argv)
{
    ledger_home_t *home;
    char hex[2 * LEDGER_FEED_LEN + 1];
    int rc;

    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) {
            fputs(id_usage, stdout);
            return 0;
        }
        if ((r = cli_common_option(ctx, argc, argv, &i))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        return cli_usage("id", "unexpected argument %s", argv[i]);
    }
    if ((rc = cli_open_home(ctx, LEDGER_STORE_RDONLY, &home)))
        return rc;
    ledger_hex(ledger_home_id(home), LEDGER_FEED_LEN, hex);
    if (ctx->json) {
        json_t *o = json_pack("{s:s, s:s}", "id", hex, "name", ledger_home_name(home));
        char *s;
        if (ledger_home_gln(home))
            json_object_set_new(o, "gln", json_string(ledger_home_gln(home)));
        s = json_dumps(o, JSON_COMPACT);
        puts(s);
        free(s);
        json_decref(o);
    } else {
        puts(hex);
    }
    ledger_home_close(home);
    return 0;
}

static void verify_progress(uint64_t done, uint64_t total, void *ctx)
{
    (void)ctx;
    if (isatty(2) && total)
        fprintf(stderr, "\rverifying: %llu of %llu entries (%.0f%%)", (unsigned long long)done,
                (unsigned long long)total, 100.0 * (double)done / (double)total);
}

/* "1,000,000": n with thousands separators. */
static const char *grouped(uint64_t n, char out[32])
{
    char d[24];
    int len = snprintf(d, sizeof d, "%llu", (unsigned long long)n), o = 0;
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = d[i];
    }
    out[o] = '\0';
    return out;
}

/* How each feed was proven, one line a feed. */
static void print_feeds(const ledger_verify_report_t *r, int all_sigs)
{
    for (size_t i = 0; i < r->nfeeds; i++) {
        const ledger_verify_feed_t *f = &r->feeds[i];
        char hex[2 * LEDGER_FEED_LEN + 1], a[32], b[32], c[32];
        uint64_t under = f->checkpoint_size, after = f->entries - under;
        ledger_hex(f->feed, LEDGER_FEED_LEN, hex);
        printf("  feed %.16s: ", hex);
        if (!under)
            printf("%s entries, no checkpoint: %s signatures checked\n", grouped(f->entries, a),
                   grouped(f->signatures, b));
        else if (all_sigs)
            printf("%s entries under checkpoint of size %s, 1 signature, and every entry "
                   "signature checked (%s)\n",
                   grouped(under, a), grouped(under, b), grouped(f->signatures, c));
        else if (after)
            printf("%s entries under checkpoint of size %s, 1 signature; %s entr%s after it, "
                   "signatures checked\n",
                   grouped(under, a), grouped(under, b), grouped(after, c),
                   after == 1 ? "y" : "ies");
        else
            printf("%s entries under checkpoint of size %s, 1 signature\n", grouped(under, a),
                   grouped(under, b));
    }
}

static json_t *feeds_json(const ledger_verify_report_t *r)
{
    json_t *a = json_array();
    for (size_t i = 0; i < r->nfeeds; i++) {
        const ledger_verify_feed_t *f = &r->feeds[i];
        char hex[2 * LEDGER_FEED_LEN + 1];
        ledger_hex(f->feed, LEDGER_FEED_LEN, hex);
        json_array_append_new(a, json_pack("{s:s, s:I, s:I, s:I}", "feed", hex, "entries",
                                           (json_int_t)f->entries, "checkpointSize",
                                           (json_int_t)f->checkpoint_size, "signaturesChecked",
                                           (json_int_t)f->signatures));
    }
    return a;
}

int cli_verify_main(cli_ctx_t *ctx, int argc, char **argv)
{
    ledger_home_t *home;
    ledger_verify_report_t rep;
    ledger_err_t err;
    struct timespec t0, t1;
    double secs;
    unsigned flags = 0;
    int rc;

    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) {
            fputs(verify_usage, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--signatures") == 0) {
            flags |= LEDGER_VERIFY_SIGNATURES;
            continue;
        }
        if ((r = cli_common_option(ctx, argc, argv, &i))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        return cli_usage("verify", "unexpected argument %s", argv[i]);
    }
    if ((rc = cli_open_home(ctx, LEDGER_STORE_RDONLY, &home)))
        return rc;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = ledger_store_verify_ex(ledger_home_store(home), flags, verify_progress, NULL, &rep, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (isatty(2))
        fprintf(stderr, "\r\033[K");
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (rc) {
        if (ctx->json) {
            json_t *o = json_pack("{s:b, s:s}", "ok", 0, "error", err.msg);
            char *s = json_dumps(o, JSON_COMPACT);
            puts(s);
            free(s);
            json_decref(o);
        }
        fprintf(stderr, "keten: verify FAILED: %s\n", err.msg);
        ledger_home_close(home);
        return cli_exit_code(rc) == CLI_EXIT_FAILED ? CLI_EXIT_FAILED : cli_exit_code(rc);
    }
    if (ctx->json) {
        json_t *o = json_pack(
            "{s:b, s:I, s:I, s:I, s:I, s:b, s:o, s:f}", "ok", 1, "entries", (json_int_t)rep.entries,
            "feeds", (json_int_t)rep.nfeeds, "signatures", (json_int_t)rep.signatures, "indexRows",
            (json_int_t)rep.index_rows, "allSignatures", (flags & LEDGER_VERIFY_SIGNATURES) != 0,
            "perFeed", feeds_json(&rep), "seconds", secs);
        char *s = json_dumps(o, JSON_COMPACT);
        puts(s);
        free(s);
        json_decref(o);
    } else {
        printf("ok: %llu entries in %llu feed%s verified (tree, checkpoints, chain links, "
               "payload hashes, event hashes, %llu index rows; %llu signature%s) in %.2f s\n",
               (unsigned long long)rep.entries, (unsigned long long)rep.nfeeds,
               rep.nfeeds == 1 ? "" : "s", (unsigned long long)rep.index_rows,
               (unsigned long long)rep.signatures, rep.signatures == 1 ? "" : "s", secs);
        print_feeds(&rep, (flags & LEDGER_VERIFY_SIGNATURES) != 0);
        if (!(flags & LEDGER_VERIFY_SIGNATURES)) {
            int skipped = 0;
            for (size_t i = 0; i < rep.nfeeds; i++)
                skipped |= rep.feeds[i].checkpoint_size != 0;
            if (skipped)
                printf("Entries under a checkpoint are proven by its signature; their own "
                       "signatures were not checked one by one (keten verify --signatures does "
                       "that too).\n");
        }
    }
    ledger_verify_report_free(&rep);
    ledger_home_close(home);
    return 0;
}

static const char backup_usage[] =
    "usage: keten backup DIR [--json]\n"
    "\n"
    "Writes a consistent copy of this home to DIR, which must not exist: the\n"
    "home's files (settings, secret key, network key, peers, tokens, named\n"
    "queries, capture jobs) and a compacted copy of the store, taken from one\n"
    "snapshot. The node may be running and recording meanwhile: the copy holds\n"
    "everything committed before the snapshot, nothing half-written. DIR appears\n"
    "only when the copy is complete and on disk. DIR is itself a home: check it\n"
    "with `keten --home DIR verify`; restore by moving it into place while no node\n"
    "runs (docs/operations.md, \"Backup and restore\"). It holds the secret key:\n"
    "keep it as safe as the home.\n"
    "\n"
    "Example:\n"
    "  keten --home /var/lib/keten backup /var/backups/keten-$(date +%Y%m%d-%H%M%S)\n";

int cli_backup_main(cli_ctx_t *ctx, int argc, char **argv)
{
    ledger_home_t *home;
    ledger_backup_report_t rep;
    ledger_err_t err;
    const char *dst = NULL;
    int rc;

    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) {
            fputs(backup_usage, stdout);
            return 0;
        }
        if ((r = cli_common_option(ctx, argc, argv, &i))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        if (argv[i][0] == '-' || dst)
            return cli_usage("backup", "unexpected argument %s", argv[i]);
        dst = argv[i];
    }
    if (!dst)
        return cli_usage("backup", "give the directory to write the backup to");
    if ((rc = cli_open_home(ctx, LEDGER_STORE_RDONLY, &home)))
        return rc;
    rc = ledger_backup_home(home, dst, &rep, &err);
    ledger_home_close(home);
    if (rc) {
        fprintf(stderr, "keten: backup: %s\n", err.msg);
        return cli_exit_code(rc);
    }
    if (ctx->json) {
        json_t *o = json_pack("{s:b, s:s, s:I, s:I}", "ok", 1, "dir", dst, "files",
                              (json_int_t)rep.files, "storeBytes", (json_int_t)rep.db_bytes);
        char *s = json_dumps(o, JSON_COMPACT);
        puts(s);
        free(s);
        json_decref(o);
    } else {
        printf("backup written to %s: %llu files and the store (%.1f MB, compacted)\n", dst,
               (unsigned long long)rep.files, (double)rep.db_bytes / 1e6);
        printf("check it with: keten --home %s verify\n", dst);
    }
    return 0;
}

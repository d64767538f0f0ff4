/* cli_admin.c -- `keten init` (a new home with a new key), `keten id` (the
 * feed ID), `keten verify` (re-check everything stored). */
#include "cli_admin.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
    "usage: keten verify [--json]\n"
    "\n"
    "Re-checks everything the home stores: every Ed25519 signature, every chain\n"
    "link (each entry names the hash of the one before), every payload hash, seq\n"
    "continuity, every stored event hash and every index row. Exit 0 and a\n"
    "one-line summary when all is well; exit 1 naming the feed, seq and what is\n"
    "wrong otherwise.\n";

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

int cli_verify_main(cli_ctx_t *ctx, int argc, char **argv)
{
    ledger_home_t *home;
    ledger_store_stats_t stats;
    ledger_err_t err;
    struct timespec t0, t1;
    double secs;
    int rc;

    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) {
            fputs(verify_usage, stdout);
            return 0;
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
    rc = ledger_store_verify(ledger_home_store(home), verify_progress, NULL, &err);
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
    if ((rc = ledger_store_stats(ledger_home_store(home), &stats, &err))) {
        ledger_home_close(home);
        return cli_fail(ctx, rc, &err);
    }
    if (ctx->json) {
        json_t *o = json_pack("{s:b, s:I, s:I, s:f}", "ok", 1, "entries", (json_int_t)stats.entries,
                              "feeds", (json_int_t)stats.feeds, "seconds", secs);
        char *s = json_dumps(o, JSON_COMPACT);
        puts(s);
        free(s);
        json_decref(o);
    } else {
        printf("ok: %llu entries in %llu feed%s verified (signatures, chain links, payload "
               "hashes, event hashes, %llu index rows) in %.2f s\n",
               (unsigned long long)stats.entries, (unsigned long long)stats.feeds,
               stats.feeds == 1 ? "" : "s",
               (unsigned long long)(stats.evid_rows + stats.ident_rows + stats.loc_rows +
                                    stats.time_rows),
               secs);
    }
    ledger_home_close(home);
    return 0;
}

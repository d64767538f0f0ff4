/* keten.c -- the `keten` program: parses the options every command shares
 * (--home, --passphrase-file, --json), then hands over to the command.
 * Commands live in cli_admin.c (init, id, verify), cli_record.c (record)
 * cli_read.c (log, show, export), cli_node.c (network, peer, node,
 * status), cli_ident.c (decode, label), cli_scan.c (scan) and cli_token.c (token). Only this
 * layer exits the process;
 * the exit codes are in cli_common.h. */
#include <stdio.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>
#include <unistd.h>

#include "cli_admin.h"
#include "cli_bundle.h"
#include "cli_common.h"
#include "cli_convert.h"
#include "cli_ident.h"
#include "cli_node.h"
#include "cli_partner.h"
#include "cli_proof.h"
#include "cli_read.h"
#include "cli_record.h"
#include "cli_scan.h"
#include "cli_stream.h"
#include "cli_token.h"
#include "cli_trace.h"
#include "ledger_store.h"

#define KETEN_VERSION "0.1.0"

typedef struct command {
    const char *name;
    int (*main)(cli_ctx_t *ctx, int argc, char **argv);
    const char *summary;
} command_t;

static const command_t commands[] = {
    {"init", cli_init_main, "create a new home: key pair, settings, empty store"},
    {"id", cli_id_main, "print this home's feed ID (its public key)"},
    {"record", cli_record_main, "record EPCIS events (files, stdin or options), signed"},
    {"scan", cli_scan_main, "record what a reader sees (NFC, QR images, scanners, replays)"},
    {"log", cli_log_main, "list the stored entries"},
    {"show", cli_show_main, "show one event and its signed entry"},
    {"verify", cli_verify_main, "re-check every signature, chain link, hash and index"},
    {"backup", cli_backup_main, "a consistent copy of this home, also while its node runs"},
    {"checkpoint", cli_checkpoint_main, "a feed's signed checkpoint (its Merkle tree's size and root)"},
    {"proof", cli_proof_main, "inclusion and consistency proofs of a feed's Merkle tree"},
    {"export", cli_export_main, "write everything stored as an EPCIS 2.0 document (JSON-LD or XML)"},
    {"convert", cli_convert_main, "an EPCIS document (JSON-LD, 2.0 or 1.x XML) as EPCIS 2.0 JSON-LD or XML"},
    {"trace", cli_trace_main, "where a product came from and went, across every partner's feed"},
    {"recall", cli_recall_main, "everything made from a lot, every shipment of it, where it is"},
    {"lifecycle", cli_lifecycle_main, "a garment's materials, wash cycles, repairs, holder, end"},
    {"bundle", cli_bundle_main, "write or check a provenance bundle (offline proof of a history)"},
    {"network", cli_network_main, "print the chain's network key (for new partners)"},
    {"peer", cli_peer_main, "list, add, remove, endorse or check the partners this node talks to"},
    {"identity", cli_identity_main, "state who holds this feed's key (signed), or show a feed's"},
    {"token", cli_token_main, "make, list or revoke the HTTP server's bearer tokens"},
    {"node", cli_node_main, "run the node: replicate with the partners (foreground)"},
    {"stop", cli_stop_main, "stop the node running on this home (SIGTERM, waits for it)"},
    {"status", cli_status_main, "feeds with their heads, peers with their state"},
    {"stream", cli_stream_main, "replay: publish a feed to the NATS stream again from a seq"},
    {"decode", cli_decode_main, "every normal form of an identifier (Digital Link, EPC, ...)"},
    {"label", cli_label_main, "draw a QR code label (PNG or SVG)"},
};

static void help(FILE *f)
{
    fprintf(f,
            "keten %s -- a signed, replicated traceability ledger for EPCIS 2.0 events\n\n"
            "usage: keten [--home DIR] [--passphrase-file FILE] [--json] COMMAND [ARGS]\n\n"
            "commands:\n",
            KETEN_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "  %-8s %s\n", "help", "this text; `keten help COMMAND` or `keten COMMAND --help`");
    fprintf(f, "\nThe home is --home DIR or $KETEN_HOME. A sealed key needs --passphrase-file\n"
               "or $KETEN_PASSPHRASE_FILE. Exit codes: 0 ok, 1 verification failed or not\n"
               "found, 2 usage, 3 bad input, 4 environment (I/O, no home, locked, key).\n\n"
               "example:\n"
               "  keten --home /tmp/a init --name \"Vleesverwerker Demo\" --gln 5412345000006\n"
               "  keten --home /tmp/a record doc.jsonld\n"
               "  keten --home /tmp/a log\n"
               "  keten --home /tmp/a verify\n");
}

static const command_t *find(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* Store upgrades (ledger_store_on_upgrade): on a terminal a line that
 * counts up; otherwise (a log) a line when it starts and when it ends. */
static void upgrade_progress(void *ctx, uint64_t done, uint64_t total)
{
    int tty = isatty(STDERR_FILENO);
    (void)ctx;
    if (done == 0)
        fprintf(stderr, "keten: upgrading the store to the current format: %llu entries to read\n",
                (unsigned long long)total);
    else if (done < total && tty)
        fprintf(stderr, "\rketen: upgrading: %llu of %llu entries (%llu%%)", (unsigned long long)done,
                (unsigned long long)total, (unsigned long long)(done * 100 / total));
    else if (done == total)
        fprintf(stderr, "%sketen: upgrade done: %llu entries read, indexes and trees rebuilt\n",
                tty && total >= LEDGER_UPGRADE_STEP ? "\n" : "", (unsigned long long)total);
}

int main(int argc, char **argv)
{
    cli_ctx_t ctx = {0};
    const command_t *cmd;
    int i;

#ifdef __GLIBC__
    /* Keep freed memory for the next batch instead of returning it to the
     * kernel each time: recording streams millions of small JSON values
     * through two threads, and the page faults of a trimmed heap cost more
     * than the work itself (measured: 14k -> 24k events/s in bench/ingest). */
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
#endif
    ledger_store_on_upgrade(upgrade_progress, NULL);
    ctx.prog = "keten";
    ctx.home = getenv("KETEN_HOME");
    ctx.passfile = getenv("KETEN_PASSPHRASE_FILE");
    if (ctx.home && !*ctx.home)
        ctx.home = NULL;
    if (ctx.passfile && !*ctx.passfile)
        ctx.passfile = NULL;
    for (i = 1; i < argc; i++) {
        int r = cli_common_option(&ctx, argc, argv, &i);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r == 0)
            break;
    }
    if (i >= argc) {
        help(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[i], "help") == 0 || cli_is_help(argv[i])) {
        if (i + 1 < argc && (cmd = find(argv[i + 1]))) {
            char *hargv[] = {(char *)cmd->name, "--help", NULL};
            return cmd->main(&ctx, 2, hargv);
        }
        help(stdout);
        return 0;
    }
    if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "version") == 0) {
        printf("keten %s\n", KETEN_VERSION);
        return 0;
    }
    if (!(cmd = find(argv[i]))) {
        fprintf(stderr, "keten: unknown command \"%s\" (see `keten help`)\n", argv[i]);
        return CLI_EXIT_USAGE;
    }
    return cmd->main(&ctx, argc - i, argv + i);
}

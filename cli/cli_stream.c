/* cli_stream.c -- `keten stream replay --from FEED:SEQ`: rebuild a NATS
 * JetStream stream from the ledger (docs/stream.md "Replay").
 *
 * How it works.  The node keeps, per feed, the last seq JetStream
 * acknowledged (ledger_streampos.h); at its start it publishes every entry
 * after it.  replay lowers that position of FEED to SEQ - 1, so the next
 * node start publishes FEED's entries from SEQ on again; JetStream's
 * duplicate window (Nats-Msg-Id = feed:seq) drops those it holds already,
 * and a stream emptied or lost gets them back.
 *
 * It edits the store of a stopped node only: the running node holds its
 * positions in memory and would write its own back over ours.  So replay
 * takes <home>/node.lock itself for the edit (node_lock_take): while a node
 * runs it refuses, saying to stop it first; while replay runs no node can
 * start.  A SEQ past the kept position is refused too (lowering only:
 * raising it would skip entries the stream never got).
 */
#include "cli_stream.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_streampos.h"
#include "node_conf.h"

static const char stream_usage[] =
    "usage: keten stream replay --from FEED:SEQ\n"
    "\n"
    "Rebuilds the NATS JetStream stream (docs/stream.md) from the ledger: the\n"
    "position the node keeps for feed FEED (64 hex digits, as `keten status`\n"
    "prints; `own` for this home's feed) goes back to SEQ - 1, so that the node,\n"
    "when it starts next, publishes FEED's entries from SEQ on again. JetStream\n"
    "drops a message it holds already within its duplicate window (Nats-Msg-Id);\n"
    "a stream that was deleted or lost gets them all back.\n"
    "\n"
    "The node must be stopped (`keten stop`): a running node keeps its positions\n"
    "in memory. SEQ runs from 1 to one past what the stream acknowledged.\n"
    "\n"
    "Example:\n"
    "  keten stop; keten stream replay --from own:1; keten node --stream nats://127.0.0.1:4222\n";

typedef struct pos_ctx {
    ledger_streampos_t *v;
    size_t n, cap;
} pos_ctx_t;

static int keep_pos(const ledger_streampos_t *p, void *vctx)
{
    pos_ctx_t *pc = vctx;
    if (pc->n == pc->cap) {
        size_t cap = pc->cap ? pc->cap * 2 : 16;
        ledger_streampos_t *v = realloc(pc->v, cap * sizeof *v);
        if (!v)
            return LEDGER_ENOMEM;
        pc->v = v;
        pc->cap = cap;
    }
    pc->v[pc->n++] = *p;
    return 0;
}

/* FEED:SEQ into feed and *seq; own is the home's feed.  0 or -1. */
static int parse_from(const char *s, const uint8_t *own, uint8_t feed[32], uint64_t *seq)
{
    const char *colon = strrchr(s, ':');
    char *end;
    if (!colon)
        return -1;
    if (colon - s == 3 && !strncmp(s, "own", 3))
        memcpy(feed, own, 32);
    else {
        char hex[65];
        if (colon - s != 64)
            return -1;
        memcpy(hex, s, 64);
        hex[64] = 0;
        if (ledger_unhex(hex, feed, 32))
            return -1;
    }
    if (!colon[1] || colon[1] == '-')
        return -1;
    *seq = strtoull(colon + 1, &end, 10);
    return *end || *seq == 0 ? -1 : 0;
}

static int replay(cli_ctx_t *ctx, const char *from)
{
    ledger_home_t *home = NULL;
    node_stream_conf_t sc;
    pos_ctx_t pc = {0};
    ledger_feed_head_t head;
    ledger_err_t err;
    uint8_t feed[32];
    uint64_t seq, kept = 0;
    long holder = 0;
    int rc, lockfd = -1;
    size_t i;
    char hex[65];

    if ((rc = cli_open_home(ctx, 0, &home)))
        return rc;
    if (parse_from(from, ledger_home_id(home), feed, &seq)) {
        rc = cli_usage("stream", "--from %s: FEED:SEQ (FEED 64 hex digits or own, SEQ 1 or more)",
                       from);
        goto out;
    }
    ledger_hex(feed, 32, hex);
    if (node_lock_holder(ledger_home_path(home), &holder, NULL) == 0 && holder != 0) {
        fprintf(stderr,
                "keten: a node runs on the home %s (pid %ld): stop it first (keten stop), "
                "replay, then start it again\n",
                ledger_home_path(home), holder);
        rc = CLI_EXIT_ENV;
        goto out;
    }
    if ((rc = node_lock_take(ledger_home_path(home), &lockfd, &err)) ||
        (rc = node_stream_conf_load(ledger_home_path(home), &sc, &err)) ||
        (rc = ledger_streampos_load(ledger_home_store(home), sc.name, keep_pos, &pc, &err))) {
        rc = cli_fail(ctx, rc, &err);
        goto out;
    }
    if (ledger_store_head(ledger_home_store(home), feed, &head, &err) != 0) {
        fprintf(stderr, "keten: stream replay: the store holds no feed %s\n", hex);
        rc = CLI_EXIT_INPUT;
        goto out;
    }
    for (i = 0; i < pc.n && memcmp(pc.v[i].feed, feed, 32); i++)
        ;
    kept = i < pc.n ? pc.v[i].seq : 0;
    if (seq - 1 > kept) {
        fprintf(stderr,
                "keten: stream replay: stream %s acknowledged feed %s up to seq %" PRIu64
                " only: the node publishes from %" PRIu64 " anyway (--from %.16s…:%" PRIu64
                " or lower)\n",
                sc.name, hex, kept, kept + 1, hex, kept + 1);
        rc = CLI_EXIT_INPUT;
        goto out;
    }
    {
        ledger_streampos_t p;
        memcpy(p.feed, feed, 32);
        p.seq = seq - 1;
        if ((rc = ledger_streampos_save(ledger_home_store(home), sc.name, &p, 1, &err))) {
            rc = cli_fail(ctx, rc, &err);
            goto out;
        }
    }
    printf("stream %s: feed %s is published again from seq %" PRIu64 " (%" PRIu64
           " entries, head %" PRIu64 ") when the node starts\n",
           sc.name, hex, seq, head.seq >= seq ? head.seq - seq + 1 : 0, head.seq);
    rc = 0;
out:
    if (lockfd >= 0)
        node_lock_release(lockfd);
    free(pc.v);
    ledger_home_close(home);
    return rc;
}

int cli_stream_main(cli_ctx_t *ctx, int argc, char **argv)
{
    const char *from = NULL;
    int i = 1;
    if (argc < 2 || cli_is_help(argv[1])) {
        fputs(stream_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "replay"))
        return cli_usage("stream", "unknown subcommand %s (replay)", argv[1]);
    for (i = 2; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) {
            fputs(stream_usage, stdout);
            return 0;
        }
        if ((r = cli_opt(argc, argv, &i, "--from", &from))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        if ((r = cli_common_option(ctx, argc, argv, &i))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        return cli_usage("stream", "unexpected argument %s", argv[i]);
    }
    if (!from)
        return cli_usage("stream", "replay needs --from FEED:SEQ");
    return replay(ctx, from);
}

/* cli_node.c -- the commands of a node in a chain: `keten network` (the
 * chain's network key), `keten peer list|add|remove` (the allowlist and
 * where to dial), `keten node` (run the node: node.h), `keten stop` (stop
 * the node of a home: SIGTERM to the holder of node.lock) and `keten status`
 * (feeds, peers and their state, from the store, peers.json and the
 * node.json a running node keeps up to date). */
#include "cli_node.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "ledger_entry.h"
#include "ledger_note.h"
#include "ledger_store.h"
#include "ledger_streampos.h"
#include "ledger_witness.h"
#include "node.h"
#include "node_capture_nats.h"
#include "node_conf.h"
#include "cli_partner.h"

static const char network_usage[] =
    "usage: keten network\n"
    "\n"
    "Prints this home's network key: 64 lowercase hex digits shared by every node\n"
    "of one chain (nodes with another key cannot connect). Give it to a new\n"
    "partner for `keten init --network KEY`. Keep it within the chain.\n";

static const char peer_usage[] =
    "usage: keten peer list [--json]\n"
    "       keten peer add ID [HOST:PORT] [--name NAME] [--sealed] [--witness|--no-witness]\n"
    "       keten peer remove ID\n"
    "       keten peer endorse ID --name NAME (--gln GLN | --gcp PREFIX) [--domain DOMAIN]\n"

    "\n"
    "The peer list is who may connect to this node (by feed ID, the partner's\n"
    "`keten id`) and, with HOST:PORT, where this node dials them. Without an\n"
    "address the partner may only connect in. --sealed makes this node's own\n"
    "entries travel to that partner sealed: header and signature, no payload.\n"
    "--witness (the default within a chain) makes this node witness that\n"
    "partner's checkpoints, whoever relays them: it checks each against the\n"
    "entries it holds and the one it cosigned before, and cosigns it (C2SP\n"
    "tlog-cosignature); --no-witness only checks them.\n"
    "endorse binds a partner's key to its company: keten peer endorse --help.\n"
    "list shows each partner's stated identity (keten identity) and who\n"
    "endorses it.\n"
    "Adding an ID that is listed replaces its entry. A running node picks up\n"
    "changes within a second. HOST is an IPv4 address, [an IPv6 address] or a\n"
    "host name (resolved by the node at each connection attempt); an address no\n"
    "node can dial (999.1.1.1:7401, no port, port 0) is refused, exit 3.\n"
    "\n"
    "Example:\n"
    "  keten --home /tmp/p peer add 3b6a27bc...e1 127.0.0.1:7401 --name Slachthuis\n";

static const char node_usage[] =
    "usage: keten node [--listen HOST:PORT] [--http IP:PORT [--http-expose]]\n"
    "                  [--stream nats://HOST:PORT[,nats://...]]\n"
    "                  [--progress | --no-progress]\n"
    "\n"
    "Runs this home's node in the foreground until SIGINT, SIGTERM or `keten stop`:\n"
    "listens for the partners on the peer list, dials those with an address\n"
    "(retrying with backoff), and keeps every feed in step with them over\n"
    "authenticated, encrypted connections; relays the feeds of others. One node\n"
    "per home: a second one exits 4 naming the running one's pid. Logs to stderr.\n"
    "Events recorded meanwhile (keten record, from another process) reach\n"
    "connected partners within a second. Progress of a long sync is shown when\n"
    "stderr is a terminal. A sealed key needs --passphrase-file.\n"
    "--http IP:PORT also serves HTTP there (the GS1 Digital Link resolver,\n"
    "docs/http.md; or \"http\" in keten.json); a non-loopback address needs\n"
    "--http-expose. Default: no HTTP.\n"
    "--stream nats://HOST:PORT[,...] publishes every event the node holds,\n"
    "its own and its partners', to a NATS JetStream stream (docs/stream.md;\n"
    "or \"stream\" in keten.json). Default: none.\n"
    "--capture-from nats://HOST:PORT[,...]/SUBJECT records the EPCIS documents\n"
    "other systems publish to SUBJECT (a durable JetStream pull consumer), as\n"
    "keten record --skip-duplicates would; a refused one goes to the subject\n"
    "keten.capture.errors with its error (docs/stream.md; or \"captureFrom\" in\n"
    "keten.json). Default: none.\n"
    "\n"
    "Example:\n"
    "  keten --home /tmp/s node --listen 127.0.0.1:7401 --http 127.0.0.1:8080\n";

static const char stop_usage[] =
    "usage: keten stop [--wait SECONDS]\n"
    "\n"
    "Stops the node running on this home (the pid in <home>/node.lock): sends it\n"
    "SIGTERM and waits until it has exited (at most --wait seconds, default 15).\n"
    "The node stores what it received and closes its sessions first. Exit 0 when\n"
    "it stopped, 1 when no node runs on this home, 4 when it could not be stopped.\n"
    "\n"
    "Example:\n"
    "  keten --home /tmp/s stop\n";

static const char status_usage[] =
    "usage: keten status [--identities] [--json]\n"
    "\n"
    "Prints this node's feeds (each with its head seq and hash, and whether it is\n"
    "forked) and peers (address, state, last sync, entries behind). Works whether\n"
    "or not the node runs; peer states come from the running node.\n"
    "  --identities   each feed's stated identity and who endorses it (reads the\n"
    "                 whole log: about 10 s per million entries)\n";

static int parse_id(const char *cmd, const char *s, uint8_t id[32])
{
    if (!s || strlen(s) != 64 || strspn(s, "0123456789abcdef") != 64 || ledger_unhex(s, id, 32))
        return cli_usage(cmd, "\"%s\" is not a feed ID (64 lowercase hex digits: keten id)",
                         s ? s : "");
    return 0;
}

int cli_network_main(cli_ctx_t *ctx, int argc, char **argv)
{
    uint8_t key[32];
    char hex[65];
    ledger_home_t *home;
    ledger_err_t err;
    int rc;
    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) {
            fputs(network_usage, stdout);
            return 0;
        }
        if ((r = cli_common_option(ctx, argc, argv, &i))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        return cli_usage("network", "unexpected argument %s", argv[i]);
    }
    if ((rc = cli_open_home(ctx, LEDGER_STORE_RDONLY, &home)))
        return rc;
    rc = node_netkey_read(ledger_home_path(home), key, &err);
    ledger_home_close(home);
    if (rc)
        return cli_fail(ctx, rc, &err);
    ledger_hex(key, 32, hex);
    sodium_memzero(key, sizeof key);
    if (ctx->json)
        printf("{\"network\":\"%s\"}\n", hex);
    else
        printf("%s\n", hex);
    return 0;
}

/* ---- peer ------------------------------------------------------------------ */

static int peer_list(cli_ctx_t *ctx, ledger_home_t *home, const node_peers_t *p)
{
    char hex[65];
    json_t *arr = json_array(), *v;
    size_t k;
    for (size_t i = 0; i < p->n; i++)
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:o, s:b, s:b}", "id", ledger_hex(p->v[i].id, 32, hex),
                           "name", p->v[i].name, "address",
                           p->v[i].address[0] ? json_string(p->v[i].address) : json_null(),
                           "sealed", p->v[i].sealed, "witness", p->v[i].witness));
    cli_partner_annotate(home, arr, "id"); /* identity, endorsedBy */
    if (ctx->json) {
        char *s = json_dumps(arr, JSON_COMPACT);
        puts(s);
        free(s);
        json_decref(arr);
        return 0;
    }
    if (p->n == 0)
        printf("no peers yet: keten peer add ID [HOST:PORT] --name NAME\n");
    json_array_foreach(arr, k, v)
    {
        const node_peer_t *pv = &p->v[k];
        printf("%s  %-20s %-22s%s%s\n", ledger_hex(pv->id, 32, hex), pv->name[0] ? pv->name : "-",
               pv->address[0] ? pv->address : "(connects in)", pv->sealed ? "  sealed" : "",
               pv->witness ? "  witness" : "");
        cli_partner_print(v, "    ");
    }
    json_decref(arr);
    return 0;
}

int cli_peer_main(cli_ctx_t *ctx, int argc, char **argv)
{
    const char *sub = NULL, *idtext = NULL, *addr = NULL, *name = NULL;
    int sealed = 0, witness = 1, witness_set = 0, rc, replaced = 0;
    node_peer_t peer;
    node_peers_t peers = {0};
    ledger_home_t *home = NULL;
    ledger_err_t err;
    char hex[65];

    memset(&peer, 0, sizeof peer);
    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) {
            fputs(peer_usage, stdout);
            return 0;
        }
        if ((r = cli_common_option(ctx, argc, argv, &i)) ||
            (r = cli_opt(argc, argv, &i, "--name", &name))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        if (!strcmp(argv[i], "--sealed")) {
            sealed = 1;
            continue;
        }
        if (!strcmp(argv[i], "--witness") || !strcmp(argv[i], "--no-witness")) {
            witness = argv[i][2] == 'w';
            witness_set = 1;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1])
            return cli_usage("peer", "unknown option %s", argv[i]);
        if (!sub && !strcmp(argv[i], "endorse"))
            return cli_peer_endorse_main(ctx, argc - i, argv + i);
        if (!sub)
            sub = argv[i];
        else if (!idtext)
            idtext = argv[i];
        else if (!addr)
            addr = argv[i];
        else
            return cli_usage("peer", "unexpected argument %s", argv[i]);
    }
    if (!sub)
        sub = "list";
    if (strcmp(sub, "list") && strcmp(sub, "add") && strcmp(sub, "remove"))
        return cli_usage("peer", "unknown subcommand %s (list, add, remove, endorse)", sub);
    if (strcmp(sub, "list") && !idtext)
        return cli_usage("peer", "%s needs the partner's feed ID", sub);
    if (idtext && (rc = parse_id("peer", idtext, peer.id)))
        return rc;
    if (addr && node_addr_check(addr, NULL, &err)) { /* bad input: nothing stored */
        fprintf(stderr, "keten peer: %s\n", err.msg);
        return CLI_EXIT_INPUT;
    }
    if (name && strlen(name) > 200)
        return cli_usage("peer", "--name is longer than 200 bytes");
    if (!strcmp(sub, "list") && (addr || name || sealed || witness_set))
        return cli_usage("peer", "list takes no address or options");
    if (!strcmp(sub, "remove") && (addr || name || sealed || witness_set))
        return cli_usage("peer", "remove takes only the ID");
    if ((rc = cli_open_home(ctx, LEDGER_STORE_RDONLY, &home)))
        return rc;
    if ((rc = node_peers_load(ledger_home_path(home), &peers, &err)))
        goto fail;
    if (!strcmp(sub, "list")) {
        rc = peer_list(ctx, home, &peers);
        goto out;
    }
    if (!strcmp(sub, "remove")) {
        if ((rc = node_peers_remove(&peers, peer.id, &err)) ||
            (rc = node_peers_save(ledger_home_path(home), &peers, &err)))
            goto fail;
        printf("removed peer %s\n", ledger_hex(peer.id, 32, hex));
        goto out;
    }
    if (!memcmp(peer.id, ledger_home_id(home), 32)) {
        rc = cli_usage("peer", "that is this node's own ID");
        goto out;
    }
    if (name)
        snprintf(peer.name, sizeof peer.name, "%s", name);
    if (addr)
        snprintf(peer.address, sizeof peer.address, "%s", addr);
    peer.sealed = sealed;
    peer.witness = witness;
    if ((rc = node_peers_put(&peers, &peer, &replaced, &err)) ||
        (rc = node_peers_save(ledger_home_path(home), &peers, &err)))
        goto fail;
    printf("%s peer %s%s%s%s%s%s%s\n", replaced ? "updated" : "added",
           ledger_hex(peer.id, 32, hex), name ? " " : "", name ? name : "",
           addr ? " at " : " (connects in)", addr ? addr : "", sealed ? ", sealed" : "",
           witness ? ", witness" : ", not witnessed");
out:
    node_peers_free(&peers);
    ledger_home_close(home);
    return rc;
fail:
    rc = cli_fail(ctx, rc, &err);
    goto out;
}

/* ---- node ------------------------------------------------------------------- */

int cli_node_main(cli_ctx_t *ctx, int argc, char **argv)
{
    const char *listen = NULL, *http = NULL, *stream = NULL, *capture_from = NULL;
    int progress = isatty(2), http_expose = 0, rc;
    ledger_home_t *home = NULL;
    const ledger_identity_t *id;
    node_options_t opt;
    ledger_err_t err;
    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) {
            fputs(node_usage, stdout);
            return 0;
        }
        if ((r = cli_common_option(ctx, argc, argv, &i)) ||
            (r = cli_opt(argc, argv, &i, "--listen", &listen)) ||
            (r = cli_opt(argc, argv, &i, "--http", &http)) ||
            (r = cli_opt(argc, argv, &i, "--stream", &stream)) ||
            (r = cli_opt(argc, argv, &i, "--capture-from", &capture_from))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        if (!strcmp(argv[i], "--progress")) {
            progress = 1;
            continue;
        }
        if (!strcmp(argv[i], "--no-progress")) {
            progress = 0;
            continue;
        }
        if (!strcmp(argv[i], "--http-expose")) {
            http_expose = 1;
            continue;
        }
        return cli_usage("node", "unexpected argument %s", argv[i]);
    }
    if (listen) {
        int kind;
        if (node_addr_check(listen, &kind, &err)) {
            fprintf(stderr, "keten node: --listen: %s\n", err.msg);
            return CLI_EXIT_INPUT;
        }
        if (kind == NODE_HOST_NAME) {
            fprintf(stderr,
                    "keten node: --listen %s: give the IP address to listen on "
                    "(0.0.0.0:PORT for every interface), not a host name\n",
                    listen);
            return CLI_EXIT_INPUT;
        }
    }
    if (stream) {
        ledger_err_t serr;
        if (node_stream_servers_ok(stream, &serr))
            return cli_usage("node", "--stream: %s", serr.msg);
    }
    if (capture_from) {
        node_cnats_conf_t cc;
        ledger_err_t cerr;
        node_cnats_conf_init(&cc);
        if (node_cnats_url_parse(capture_from, &cc, &cerr))
            return cli_usage("node", "--%s", cerr.msg);
    }
    if ((rc = cli_open_home(ctx, 0, &home)))
        return rc;
    if ((rc = cli_identity(ctx, home, &id)))
        goto out;
    memset(&opt, 0, sizeof opt);
    opt.listen = listen;
    opt.progress = progress;
    opt.log = stderr;
    opt.http = http;
    opt.http_expose = http_expose;
    opt.stream = stream;
    opt.capture_from = capture_from;
    if ((rc = node_run(home, id, &opt, &err)))
        rc = cli_fail(ctx, rc, &err);
out:
    ledger_home_close(home);
    return rc;
}

const char *cli_feed_name(ledger_home_t *home, const uint8_t feed[32], char *out, size_t n)
{
    node_peers_t peers = {0};
    const node_peer_t *p;
    json_t *state;
    char hex[65];
    out[0] = '\0';
    if (!memcmp(feed, ledger_home_id(home), 32)) {
        snprintf(out, n, "%s", ledger_home_name(home));
        return out;
    }
    if (!node_peers_load(ledger_home_path(home), &peers, NULL) &&
        (p = node_peers_find(&peers, feed)) && p->name[0]) {
        snprintf(out, n, "%s", p->name);
        node_peers_free(&peers);
        return out;
    }
    node_peers_free(&peers);
    if ((state = node_state_read(ledger_home_path(home)))) {
        const char *s = json_string_value(
            json_object_get(json_object_get(state, "names"), ledger_hex(feed, 32, hex)));
        if (s)
            snprintf(out, n, "%s", s);
        json_decref(state);
    }
    return out;
}

/* ---- stop ------------------------------------------------------------------- */

int cli_stop_main(cli_ctx_t *ctx, int argc, char **argv)
{
    const char *wait_s = NULL;
    ledger_home_t *home = NULL;
    ledger_err_t err;
    long pid = 0, waited_ms = 0, limit_ms = 15000;
    int rc;
    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) {
            fputs(stop_usage, stdout);
            return 0;
        }
        if ((r = cli_common_option(ctx, argc, argv, &i)) ||
            (r = cli_opt(argc, argv, &i, "--wait", &wait_s))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        return cli_usage("stop", "unexpected argument %s", argv[i]);
    }
    if (wait_s) {
        char *end;
        long v = strtol(wait_s, &end, 10);
        if (*end || end == wait_s || v < 1 || v > 3600)
            return cli_usage("stop", "--wait takes 1..3600 seconds, not %s", wait_s);
        limit_ms = v * 1000;
    }
    if ((rc = cli_open_home(ctx, LEDGER_STORE_RDONLY, &home)))
        return rc;
    if ((rc = node_lock_holder(ledger_home_path(home), &pid, &err))) {
        rc = cli_fail(ctx, rc, &err);
        goto out;
    }
    if (pid == 0) {
        fprintf(stderr, "keten: no node runs on the home %s\n", ledger_home_path(home));
        rc = CLI_EXIT_FAILED;
        goto out;
    }
    if (pid < 0) {
        fprintf(stderr,
                "keten: a node runs on the home %s, but its pid is not visible here "
                "(another PID namespace): stop it where it runs\n",
                ledger_home_path(home));
        rc = CLI_EXIT_ENV;
        goto out;
    }
    if (kill((pid_t)pid, SIGTERM) != 0) {
        fprintf(stderr, "keten: cannot signal the node (pid %ld): %s\n", pid, strerror(errno));
        rc = CLI_EXIT_ENV;
        goto out;
    }
    for (;;) {
        long now_pid = 0;
        struct timespec ts = {0, 50 * 1000 * 1000};
        if (node_lock_holder(ledger_home_path(home), &now_pid, NULL) == 0 && now_pid != pid)
            break;
        if (waited_ms >= limit_ms) {
            fprintf(stderr, "keten: the node (pid %ld) has not stopped within %ld s\n", pid,
                    limit_ms / 1000);
            rc = CLI_EXIT_ENV;
            goto out;
        }
        nanosleep(&ts, NULL);
        waited_ms += 50;
    }
    printf("stopped the node (pid %ld)\n", pid);
    rc = 0;
out:
    ledger_home_close(home);
    return rc;
}

/* ---- status ----------------------------------------------------------------- */

typedef struct {
    json_t *feeds;
    json_t *names;
    const uint8_t *self;
    const char *self_name;
    const node_peers_t *peers;
} feeds_ctx_t;

static const char *feed_name(const feeds_ctx_t *fc, const uint8_t *feed)
{
    char hex[65];
    const node_peer_t *p;
    const char *s;
    if (!memcmp(feed, fc->self, 32))
        return fc->self_name;
    if ((p = node_peers_find(fc->peers, feed)) && p->name[0])
        return p->name;
    s = json_string_value(json_object_get(fc->names, ledger_hex(feed, 32, hex)));
    return s ? s : "";
}

static int add_feed(const ledger_feed_head_t *h, void *ctx)
{
    feeds_ctx_t *fc = ctx;
    char hex[65], hhex[65];
    json_array_append_new(fc->feeds, json_pack("{s:s, s:s, s:I, s:s, s:b, s:b}", "feed",
                                               ledger_hex(h->feed, 32, hex), "name",
                                               feed_name(fc, h->feed), "seq", (json_int_t)h->seq,
                                               "head", ledger_hex(h->hash, 32, hhex), "forked",
                                               (h->flags & LEDGER_FEED_FORKED) != 0, "own",
                                               !memcmp(h->feed, fc->self, 32)));
    return 0;
}

/* UTC ISO 8601 of POSIX seconds t. */
static void utc_text(uint64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, 32, "%llu", (unsigned long long)t);
}

typedef struct wit_ctx {
    const feeds_ctx_t *fc;
    json_t *arr;
} wit_ctx_t;

static int add_witness(const ledger_cosig_row_t *row, void *ctx)
{
    wit_ctx_t *w = ctx;
    char hex[65], when[32];
    utc_text(row->time, when);
    json_array_append_new(w->arr, json_pack("{s:s, s:s, s:I, s:I, s:s}", "witness",
                                            ledger_hex(row->witness, 32, hex), "name",
                                            feed_name(w->fc, row->witness), "size",
                                            (json_int_t)row->size, "time", (json_int_t)row->time,
                                            "timeText", when));
    return 0;
}

static int last_time(const ledger_stored_t *s, void *ctx)
{
    *(uint64_t *)ctx = s->e.h.record_time_ms;
    return 0;
}

/* To each feed of feeds: "checkpointSize" and "checkpoint" (the newest
 * signed checkpoint kept, with every cosignature held for it),
 * "checkpointTime" (the record time of its last entry), "witnesses" (each
 * witness's newest cosignature of the feed: who, of which size, when),
 * and for a forked feed with a checkpoint of another history,
 * "forkCheckpoint": the evidence. */
static int add_checkpoints(ledger_store_t *st, const feeds_ctx_t *fc, ledger_err_t *err)
{
    ledger_buf_t note = LEDGER_BUF_INIT;
    json_t *feeds = fc->feeds;
    size_t i;
    json_t *v;
    int rc = 0;
    json_array_foreach(feeds, i, v)
    {
        uint8_t feed[32];
        size_t nsigs;
        if (ledger_unhex(json_string_value(json_object_get(v, "feed")), feed, 32))
            continue;
        ledger_buf_reset(&note);
        rc = ledger_store_cosigned(st, feed, &note, &nsigs, err);
        if (rc == 0) {
            uint64_t size = ledger_checkpoint_size_of(feed, (const char *)note.data, note.len);
            uint64_t ms = 0;
            char when[32];
            json_object_set_new(v, "checkpointSize", json_integer((json_int_t)size));
            json_object_set_new(v, "checkpoint",
                                json_stringn((const char *)note.data, note.len));
            if (size && ledger_store_get(st, feed, size, last_time, &ms, NULL) == 0 && ms) {
                utc_text(ms / 1000, when);
                json_object_set_new(v, "checkpointTime", json_string(when));
            }
        } else if (rc != LEDGER_ENOTFOUND) {
            break;
        }
        wit_ctx_t w = {fc, json_array()};
        json_object_set_new(v, "witnesses", w.arr);
        if ((rc = ledger_store_cosigs(st, feed, add_witness, &w, err)))
            break;
        ledger_buf_reset(&note);
        rc = ledger_store_fork_checkpoint(st, feed, &note, err);
        if (rc == 0)
            json_object_set_new(v, "forkCheckpoint",
                                json_stringn((const char *)note.data, note.len));
        else if (rc != LEDGER_ENOTFOUND)
            break;
        rc = 0;
    }
    ledger_buf_free(&note);
    return rc;
}

/* The feeds part of `status` as text. */
static void print_feeds(const json_t *feeds)
{
    const json_t *v;
    size_t i;
    printf("\nfeeds:\n");
    json_array_foreach(feeds, i, v)
    {
        json_t *cs = json_object_get(v, "checkpointSize"), *ct = json_object_get(v, "checkpointTime");
        json_t *w;
        size_t k;
        char signed_to[80] = "";
        if (cs)
            snprintf(signed_to, sizeof signed_to, " signed to %lld%s%s",
                     (long long)json_integer_value(cs), ct ? " at " : "",
                     ct ? json_string_value(ct) : "");
        printf("  %.16s…  %-20s seq %-8lld head %.16s…%s%s\n",
               json_string_value(json_object_get(v, "feed")),
               json_string_value(json_object_get(v, "name"))[0]
                   ? json_string_value(json_object_get(v, "name"))
                   : "-",
               (long long)json_integer_value(json_object_get(v, "seq")),
               json_string_value(json_object_get(v, "head")), signed_to,
               json_is_true(json_object_get(v, "forked")) ? "  FORKED: accepts nothing more" : "");
        json_array_foreach(json_object_get(v, "witnesses"), k, w)
        {
            const char *wn = json_string_value(json_object_get(w, "name"));
            printf("    witnessed by %s (%.16s…) at %s: size %lld\n", wn && wn[0] ? wn : "-",
                   json_string_value(json_object_get(w, "witness")),
                   json_string_value(json_object_get(w, "timeText")),
                   (long long)json_integer_value(json_object_get(w, "size")));
        }
        cli_partner_print(v, "    ");
        if (json_object_get(v, "forkCheckpoint"))
            printf("    evidence: its key signed this checkpoint of another history "
                   "(keten status --json: forkCheckpoint)\n%s",
                   json_string_value(json_object_get(v, "forkCheckpoint")));
    }
}

/* ---- the stream's part of status (node_nats.h, docs/stream.md) ---- */

typedef struct spos_ctx {
    json_t *feeds;
    uint64_t lag;
    ledger_store_t *st;
} spos_ctx_t;

static int add_spos(const ledger_streampos_t *p, void *vctx)
{
    spos_ctx_t *sc = vctx;
    ledger_feed_head_t h;
    ledger_err_t err;
    char hex[65];
    uint64_t head = ledger_store_head(sc->st, p->feed, &h, &err) == 0 ? h.seq : 0;
    sc->lag += head > p->seq ? head - p->seq : 0;
    json_array_append_new(sc->feeds, json_pack("{s:s,s:I,s:I}", "feed", ledger_hex(p->feed, 32, hex),
                                               "acked", (json_int_t)p->seq, "head",
                                               (json_int_t)head));
    return 0;
}

/* "stream" of status: the running node's view, or else the positions the
 * store keeps (lag counted against them); nothing when no stream is set
 * and none is running.  0 or an error reading the store. */
static int add_stream(ledger_home_t *home, const json_t *state, int running, json_t *out,
                      ledger_err_t *err)
{
    node_stream_conf_t sc;
    spos_ctx_t pc = {0};
    json_t *s;
    int rc;
    if (running && json_is_object(json_object_get(state, "capture")))
        json_object_set(out, "capture", json_object_get(state, "capture"));
    else if (!running) { /* what is configured; the counts are the running node's */
        node_cnats_conf_t cc;
        ledger_err_t cerr;
        if (node_cnats_conf_load(ledger_home_path(home), &cc, &cerr) == 0 && cc.servers[0])
            json_object_set_new(out, "capture",
                                json_pack("{s:s,s:s,s:s,s:s,s:s}", "servers", cc.servers,
                                          "subject", cc.subject, "durable", cc.durable,
                                          "deadLetter", cc.dead, "state", "node not running"));
    }
    if (running && json_is_object(json_object_get(state, "stream"))) {
        json_object_set(out, "stream", json_object_get(state, "stream"));
        return 0;
    }
    if (node_stream_conf_load(ledger_home_path(home), &sc, err) || !sc.servers[0])
        return 0;
    pc.feeds = json_array();
    pc.st = ledger_home_store(home);
    if ((rc = ledger_streampos_load(pc.st, sc.name, add_spos, &pc, err))) {
        json_decref(pc.feeds);
        return rc;
    }
    s = json_pack("{s:s,s:s,s:s,s:I,s:o}", "servers", sc.servers, "stream", sc.name, "state",
                  "node not running", "lag", (json_int_t)pc.lag, "feeds", pc.feeds);
    json_object_set_new(out, "stream", s);
    return 0;
}

static void print_capture(const json_t *s)
{
    if (!json_is_object(s))
        return;
    printf("capture: %s from %s (%s), %s", json_string_value(json_object_get(s, "durable")),
           json_string_value(json_object_get(s, "subject")),
           json_string_value(json_object_get(s, "servers")),
           json_string_value(json_object_get(s, "state")));
    if (!json_is_integer(json_object_get(s, "recorded"))) {
        printf(", dead letters to %s\n", json_string_value(json_object_get(s, "deadLetter")));
        return;
    }
    printf(", %lld messages recorded (%lld events, %lld duplicates skipped), %lld refused to %s",
           (long long)json_integer_value(json_object_get(s, "recorded")),
           (long long)json_integer_value(json_object_get(s, "events")),
           (long long)json_integer_value(json_object_get(s, "duplicates")),
           (long long)json_integer_value(json_object_get(s, "refused")),
           json_string_value(json_object_get(s, "deadLetter")));
    if (json_string_value(json_object_get(s, "error")))
        printf(" (last error: %s)", json_string_value(json_object_get(s, "error")));
    printf("\n");
    if (json_string_value(json_object_get(s, "lastRefused")))
        printf("  last refused: %s\n", json_string_value(json_object_get(s, "lastRefused")));
}

static void print_stream(const json_t *s)
{
    if (!json_is_object(s))
        return;
    printf("stream: %s (%s), %s", json_string_value(json_object_get(s, "stream")),
           json_string_value(json_object_get(s, "servers")),
           json_string_value(json_object_get(s, "state")));
    if (json_string_value(json_object_get(s, "server")))
        printf(" (%s)", json_string_value(json_object_get(s, "server")));
    printf(", lag %lld", (long long)json_integer_value(json_object_get(s, "lag")));
    if (json_is_integer(json_object_get(s, "acked")))
        printf(", %lld acknowledged since start",
               (long long)json_integer_value(json_object_get(s, "acked")));
    if (json_string_value(json_object_get(s, "error")))
        printf(" (last error: %s)", json_string_value(json_object_get(s, "error")));
    printf("\n");
}

int cli_status_main(cli_ctx_t *ctx, int argc, char **argv)
{
    ledger_home_t *home = NULL;
    node_peers_t peers = {0};
    json_t *state = NULL, *out = NULL, *peer_arr, *live_peers;
    ledger_err_t err;
    char hex[65];
    int rc, running = 0, identities = 0;
    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) {
            fputs(status_usage, stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--identities")) {
            identities = 1;
            continue;
        }
        if ((r = cli_common_option(ctx, argc, argv, &i))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        return cli_usage("status", "unexpected argument %s", argv[i]);
    }
    if ((rc = cli_open_home(ctx, LEDGER_STORE_RDONLY, &home)))
        return rc;
    if ((rc = node_peers_load(ledger_home_path(home), &peers, &err))) {
        rc = cli_fail(ctx, rc, &err);
        goto out;
    }
    state = node_state_read(ledger_home_path(home));
    {
        long holder = 0;
        /* the node holds node.lock for its life; node.json may be stale */
        running =
            node_lock_holder(ledger_home_path(home), &holder, NULL) == 0 && holder != 0 && state &&
            (holder < 0 || json_integer_value(json_object_get(state, "pid")) == (json_int_t)holder);
    }
    out = json_object();
    json_object_set_new(out, "id", json_string(ledger_hex(ledger_home_id(home), 32, hex)));
    json_object_set_new(out, "name", json_string(ledger_home_name(home)));
    {
        json_t *nd = json_object();
        json_object_set_new(nd, "running", json_boolean(running));
        if (running) {
            json_object_set(nd, "pid", json_object_get(state, "pid"));
            json_object_set(nd, "listen", json_object_get(state, "listen"));
        }
        json_object_set_new(out, "node", nd);
    }
    {
        feeds_ctx_t fc = {json_array(), json_object_get(state, "names"), ledger_home_id(home),
                          ledger_home_name(home), &peers};
        json_object_set_new(out, "feeds", fc.feeds);
        if ((rc = ledger_store_feeds(ledger_home_store(home), add_feed, &fc, &err)) ||
            (rc = add_checkpoints(ledger_home_store(home), &fc, &err))) {
            rc = cli_fail(ctx, rc, &err);
            goto out;
        }
        if (identities) /* a pass over the whole log: asked for only */
            cli_partner_annotate(home, fc.feeds, "feed"); /* identity, endorsedBy */
    }
    if ((rc = add_stream(home, state, running, out, &err))) {
        rc = cli_fail(ctx, rc, &err);
        goto out;
    }
    peer_arr = json_array();
    json_object_set_new(out, "peers", peer_arr);
    live_peers = json_object_get(state, "peers");
    for (size_t i = 0; i < peers.n; i++) {
        const node_peer_t *p = &peers.v[i];
        json_t *po = json_object(), *live = NULL, *v;
        size_t k;
        ledger_hex(p->id, 32, hex);
        json_array_foreach(live_peers, k, v)
        {
            const char *vid = json_string_value(json_object_get(v, "id"));
            if (vid && !strcmp(vid, hex))
                live = v;
        }
        json_object_set_new(po, "id", json_string(hex));
        json_object_set_new(po, "name", json_string(p->name));
        json_object_set_new(po, "address", p->address[0] ? json_string(p->address) : json_null());
        json_object_set_new(po, "sealed", json_boolean(p->sealed));
        if (live && running) {
            const char *key;
            json_t *val;
            json_object_foreach(live, key, val) if (strcmp(key, "id"))
                json_object_set(po, key, val);
        } else {
            json_object_set_new(po, "state", json_string("node not running"));
        }
        if (!json_object_get(po, "lastSync")) /* the last one a stopped node saw */
            json_object_set_new(po, "lastSync",
                                json_is_string(json_object_get(live, "lastSync"))
                                    ? json_incref(json_object_get(live, "lastSync"))
                                    : json_null());
        if (!json_object_get(po, "behind"))
            json_object_set_new(po, "behind", json_null());
        json_array_append_new(peer_arr, po);
    }
    if (ctx->json) {
        char *s = json_dumps(out, JSON_COMPACT);
        puts(s);
        free(s);
    } else {
        size_t i;
        json_t *v;
        printf("%s  %s (this node)  node %s", ledger_home_name(home),
               json_string_value(json_object_get(out, "id")), running ? "running" : "not running");
        if (running && json_string_value(json_object_get(state, "listen")))
            printf(", listening on %s", json_string_value(json_object_get(state, "listen")));
        print_feeds(json_object_get(out, "feeds"));
        printf("peers:\n");
        if (peers.n == 0)
            printf("  none (keten peer add)\n");
        json_array_foreach(peer_arr, i, v)
        {
            json_t *b = json_object_get(v, "behind");
            const char *ls = json_string_value(json_object_get(v, "lastSync"));
            printf("  %.16s…  %-20s %-22s %s", json_string_value(json_object_get(v, "id")),
                   json_string_value(json_object_get(v, "name"))[0]
                       ? json_string_value(json_object_get(v, "name"))
                       : "-",
                   json_is_string(json_object_get(v, "address"))
                       ? json_string_value(json_object_get(v, "address"))
                       : "(connects in)",
                   json_string_value(json_object_get(v, "state")));
            if (ls)
                printf(", last sync %s", ls);
            if (json_is_integer(b))
                printf(", behind %lld", (long long)json_integer_value(b));
            if (json_string_value(json_object_get(v, "error")))
                printf(" (%s)", json_string_value(json_object_get(v, "error")));
            printf("\n");
        }
        print_stream(json_object_get(out, "stream"));
        print_capture(json_object_get(out, "capture"));
    }
out:
    json_decref(out);
    json_decref(state);
    node_peers_free(&peers);
    ledger_home_close(home);
    return rc;
}

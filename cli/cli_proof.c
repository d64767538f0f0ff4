/* cli_proof.c -- `keten checkpoint` and `keten proof` (see cli_proof.h).
 *
 * checkpoint prints the newest signed checkpoint the store keeps of a feed,
 * byte for byte as signed; for the own feed it first signs one when the
 * kept one is older than the feed's head (a store upgraded to format 5
 * keeps none until then).  --vkey prints the feed's verifier key instead.
 * proof resolves EVENTID or FEED:SEQ to an entry and prints its inclusion
 * proof, or the consistency proof between two sizes of a feed's tree, with
 * hashes in standard base64 as Go's tlog and the C2SP specs write them. */
#include "cli_proof.h"

#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_read.h"
#include "ledger_cosig.h"
#include "ledger_note.h"
#include "ledger_witness.h"
#include "ledger_store.h"
#include "ledger_tree.h"

static const char checkpoint_usage[] =
    "usage: keten checkpoint [FEED] [--vkey | --witness-vkey]\n"
    "\n"
    "Prints the newest signed checkpoint of a feed's Merkle tree (this home's own\n"
    "feed unless FEED, 64 hex digits or a prefix, names another), exactly as\n"
    "signed: a C2SP signed note of the lines origin, tree size and root hash. The\n"
    "own feed's checkpoint is signed at every commit; when none of its current\n"
    "tree is kept yet, this signs one (with the home's key). The note carries\n"
    "every cosignature this home holds for that checkpoint: one line per witness\n"
    "(C2SP tlog-cosignature), a partner's node that checked it. --vkey prints the\n"
    "feed's note verifier key instead (name+keyID+key, for any signed-note tool);\n"
    "--witness-vkey the feed's key as a witness (cosignature/v1, type 0x04).\n";

static const char proof_usage[] =
    "usage: keten proof inclusion EVENTID|FEED:SEQ [--size N] [--json]\n"
    "       keten proof consistency FEED OLD NEW [--json]\n"
    "\n"
    "inclusion: the proof that an entry is leaf SEQ-1 of its feed's tree of N\n"
    "leaves (default: the whole tree), with its leaf hash, the entry itself and\n"
    "the feed's signed checkpoint when one of that size is kept. consistency: the\n"
    "proof that the tree of OLD leaves is a prefix of the tree of NEW leaves (NEW\n"
    "0: the whole tree). Hashes are base64, as Go's sumdb/tlog and C2SP use them.\n";

static char *b64(const uint8_t *p, size_t n)
{
    size_t cap = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
    char *s = malloc(cap);
    if (s)
        sodium_bin2base64(s, cap, p, n, sodium_base64_VARIANT_ORIGINAL);
    return s;
}

static json_t *json_b64(const uint8_t *p, size_t n)
{
    char *s = b64(p, n);
    json_t *j = s ? json_string(s) : NULL;
    free(s);
    return j;
}

static json_t *json_hashes(const ledger_tree_hash_t *h, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_b64(h[i], LEDGER_TREE_HASH_LEN));
    return a;
}

/* The size of the checkpoint note of feed, or 0 if it is none. */
static uint64_t note_size(const uint8_t *feed, const ledger_buf_t *note)
{
    return ledger_checkpoint_size_of(feed, (const char *)note->data, note->len);
}

/* The kept checkpoint of feed into note; for the own feed one of the
 * current tree is signed first when missing.  Opens *home for writing
 * (and closes the read-only one) when it must sign.  0 or an exit code
 * after a message. */
static int get_checkpoint(cli_ctx_t *ctx, ledger_home_t **home, const uint8_t *feed,
                          ledger_buf_t *note)
{
    ledger_err_t err;
    ledger_feed_head_t head;
    char hex[2 * LEDGER_FEED_LEN + 1];
    int own = memcmp(feed, ledger_home_id(*home), LEDGER_FEED_LEN) == 0, rc;

    if ((rc = ledger_store_head(ledger_home_store(*home), feed, &head, &err)))
        return cli_fail(ctx, rc, &err);
    rc = ledger_store_checkpoint(ledger_home_store(*home), feed, note, &err);
    if (rc && rc != LEDGER_ENOTFOUND)
        return cli_fail(ctx, rc, &err);
    if (rc == 0 && note_size(feed, note) == head.seq)
        return 0;
    if (!own) {
        if (rc == 0)
            return 0; /* a partner's newest kept checkpoint, older than its head */
        fprintf(stderr,
                "keten checkpoint: no signed checkpoint of feed %s is kept here: a home "
                "signs its own feed's; partners' checkpoints will come with replication\n",
                ledger_hex(feed, LEDGER_FEED_LEN, hex));
        return CLI_EXIT_FAILED;
    }
    /* the own feed: sign one of its current tree */
    const ledger_identity_t *id;
    ledger_home_close(*home);
    *home = NULL;
    if ((rc = cli_open_home(ctx, 0, home)) || (rc = cli_identity(ctx, *home, &id)))
        return rc;
    if ((rc = ledger_store_checkpoint_sign(ledger_home_store(*home), id, &err)))
        return cli_fail(ctx, rc, &err);
    note->len = 0;
    if ((rc = ledger_store_checkpoint(ledger_home_store(*home), feed, note, &err)))
        return cli_fail(ctx, rc, &err);
    return 0;
}

int cli_checkpoint_main(cli_ctx_t *ctx, int argc, char **argv)
{
    const char *feedarg = NULL;
    int vkey = 0, rc;
    ledger_home_t *home = NULL;
    ledger_err_t err;
    uint8_t feed[LEDGER_FEED_LEN];
    ledger_buf_t note = LEDGER_BUF_INIT;

    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) {
            fputs(checkpoint_usage, stdout);
            return 0;
        }
        if ((r = cli_common_option(ctx, argc, argv, &i))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        if (strcmp(argv[i], "--vkey") == 0)
            vkey = 1;
        else if (strcmp(argv[i], "--witness-vkey") == 0)
            vkey = 2;
        else if (argv[i][0] == '-')
            return cli_usage("checkpoint", "unknown option %s", argv[i]);
        else if (feedarg)
            return cli_usage("checkpoint", "one FEED at a time");
        else
            feedarg = argv[i];
    }
    if ((rc = cli_open_home(ctx, LEDGER_STORE_RDONLY, &home)))
        return rc;
    if (feedarg) {
        if ((rc = cli_resolve_feed(home, feedarg, strlen(feedarg), feed, &err))) {
            rc = cli_fail(ctx, rc, &err);
            goto done;
        }
    } else {
        memcpy(feed, ledger_home_id(home), LEDGER_FEED_LEN);
    }
    if (vkey) {
        char origin[LEDGER_NOTE_ORIGIN_LEN], out[256];
        ledger_note_feed_origin(feed, origin);
        if ((rc = vkey == 2 ? ledger_cosig_vkey(origin, feed, out, sizeof out, &err)
                            : ledger_note_vkey(origin, feed, out, sizeof out, &err))) {
            rc = cli_fail(ctx, rc, &err);
            goto done;
        }
        printf("%s\n", out);
        rc = 0;
        goto done;
    }
    if ((rc = get_checkpoint(ctx, &home, feed, &note)))
        goto done;
    {
        /* the kept checkpoint with the cosignatures held for it */
        size_t nsigs;
        ledger_buf_reset(&note);
        if ((rc = ledger_store_cosigned(ledger_home_store(home), feed, &note, &nsigs, &err))) {
            rc = cli_fail(ctx, rc, &err);
            goto done;
        }
    }
    fwrite(note.data, 1, note.len, stdout);
    rc = fflush(stdout) ? CLI_EXIT_ENV : 0;
done:
    ledger_buf_free(&note);
    ledger_home_close(home);
    return rc;
}

/* ---- proof inclusion -------------------------------------------------- */

typedef struct found {
    int n;
    uint8_t feed[LEDGER_FEED_LEN];
    uint64_t seq;
    ledger_buf_t entry;
} found_t;

static int found_cb(const ledger_stored_t *s, void *ctx)
{
    found_t *f = ctx;
    if (f->n++ == 0) {
        memcpy(f->feed, s->e.h.feed, LEDGER_FEED_LEN);
        f->seq = s->e.h.seq;
        if (ledger_buf_append(&f->entry, s->bytes, s->len))
            return LEDGER_ENOMEM;
    }
    return 0;
}

/* FEED:SEQ or an eventID / event hash -> the entry (its first, when the
 * event is in more than one feed). */
static int resolve_entry(ledger_home_t *home, const char *what, found_t *f, ledger_err_t *err)
{
    const char *colon = strchr(what, ':');
    size_t flen = colon ? (size_t)(colon - what) : 0;
    int rc;
    if (colon && flen && strspn(what, "0123456789abcdef") == flen && colon[1] &&
        strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
        uint8_t feed[LEDGER_FEED_LEN];
        uint64_t seq = strtoull(colon + 1, NULL, 10);
        if ((rc = cli_resolve_feed(home, what, flen, feed, err)))
            return rc;
        return ledger_store_get(ledger_home_store(home), feed, seq, found_cb, f, err);
    }
    return ledger_store_find_event(ledger_home_store(home), what, found_cb, f, err);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 19)
        return -1;
    *out = strtoull(s, &end, 10);
    return 0;
}

static int print_json(json_t *j)
{
    if (!j)
        return CLI_EXIT_ENV;
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (!s)
        return CLI_EXIT_ENV;
    puts(s);
    free(s);
    return fflush(stdout) ? CLI_EXIT_ENV : 0;
}

static void print_hashes(const char *label, const ledger_tree_hash_t *h, size_t n)
{
    printf("%-11s", label);
    if (n == 0)
        printf("(none)\n");
    for (size_t i = 0; i < n; i++) {
        char *s = b64(h[i], LEDGER_TREE_HASH_LEN);
        printf("%s%s\n", i ? "           " : "", s ? s : "?");
        free(s);
    }
}

static int proof_inclusion(cli_ctx_t *ctx, const char *what, uint64_t size)
{
    ledger_home_t *home = NULL;
    ledger_err_t err;
    found_t f = {0};
    ledger_tree_hash_t leaf, root, hashes[LEDGER_TREE_MAX_PROOF];
    ledger_buf_t note = LEDGER_BUF_INIT;
    char hex[2 * LEDGER_FEED_LEN + 1];
    size_t n;
    int rc;

    if ((rc = cli_open_home(ctx, LEDGER_STORE_RDONLY, &home)))
        return rc;
    if ((rc = resolve_entry(home, what, &f, &err))) {
        rc = cli_fail(ctx, rc, &err);
        goto done;
    }
    if ((rc = ledger_store_prove_inclusion(ledger_home_store(home), f.feed, f.seq, &size, leaf,
                                           hashes, &n, &err)) ||
        (rc = ledger_store_tree_root(ledger_home_store(home), f.feed, &size, root, &err))) {
        rc = cli_fail(ctx, rc, &err);
        goto done;
    }
    /* the checkpoint of this size, when one is kept (or, for the own
     * feed's whole tree, signed now) */
    {
        ledger_feed_head_t head;
        int own = memcmp(f.feed, ledger_home_id(home), LEDGER_FEED_LEN) == 0;
        if (own && ledger_store_head(ledger_home_store(home), f.feed, &head, &err) == 0 &&
            head.seq == size) {
            if ((rc = get_checkpoint(ctx, &home, f.feed, &note)))
                goto done;
        } else if (ledger_store_checkpoint(ledger_home_store(home), f.feed, &note, &err) != 0) {
            note.len = 0;
        }
        if (note.len && note_size(f.feed, &note) != size)
            note.len = 0;
    }
    ledger_entry_t e;
    if (ledger_entry_decode(f.entry.data, f.entry.len, &e, &err)) {
        rc = cli_fail(ctx, LEDGER_EVERIFY, &err);
        goto done;
    }
    if (ctx->json) {
        json_t *j = json_object();
        json_object_set_new(j, "feed", json_string(ledger_hex(f.feed, LEDGER_FEED_LEN, hex)));
        json_object_set_new(j, "seq", json_integer((json_int_t)f.seq));
        json_object_set_new(j, "index", json_integer((json_int_t)(f.seq - 1)));
        json_object_set_new(j, "treeSize", json_integer((json_int_t)size));
        json_object_set_new(j, "leafHash", json_b64(leaf, LEDGER_TREE_HASH_LEN));
        json_object_set_new(j, "hashes", json_hashes(hashes, n));
        json_object_set_new(j, "rootHash", json_b64(root, LEDGER_TREE_HASH_LEN));
        json_object_set_new(j, "checkpoint", note.len ? json_stringn((const char *)note.data,
                                                                     note.len)
                                                      : json_null());
        json_object_set_new(j, "header", json_b64(e.hbytes, e.hlen));
        json_object_set_new(j, "entry", json_b64(f.entry.data, f.entry.len));
        rc = print_json(j);
    } else {
        char *r = b64(root, LEDGER_TREE_HASH_LEN), *l = b64(leaf, LEDGER_TREE_HASH_LEN);
        printf("feed       %s\nseq        %" PRIu64 " (leaf index %" PRIu64 ")\n",
               ledger_hex(f.feed, LEDGER_FEED_LEN, hex), f.seq, f.seq - 1);
        printf("tree       %" PRIu64 " leaves, root %s\nleaf       %s\n", size, r ? r : "?",
               l ? l : "?");
        print_hashes("hashes", hashes, n);
        if (note.len)
            printf("checkpoint\n%.*s", (int)note.len, (const char *)note.data);
        else
            printf("checkpoint (none of size %" PRIu64 " is kept)\n", size);
        free(r);
        free(l);
        rc = fflush(stdout) ? CLI_EXIT_ENV : 0;
    }
done:
    ledger_buf_free(&f.entry);
    ledger_buf_free(&note);
    ledger_home_close(home);
    return rc;
}

static int proof_consistency(cli_ctx_t *ctx, const char *feedarg, uint64_t old_size,
                             uint64_t new_size)
{
    ledger_home_t *home = NULL;
    ledger_err_t err;
    uint8_t feed[LEDGER_FEED_LEN];
    ledger_tree_hash_t old_root, new_root, hashes[LEDGER_TREE_MAX_PROOF];
    char hex[2 * LEDGER_FEED_LEN + 1];
    size_t n;
    int rc;

    if ((rc = cli_open_home(ctx, LEDGER_STORE_RDONLY, &home)))
        return rc;
    if ((rc = cli_resolve_feed(home, feedarg, strlen(feedarg), feed, &err)))
        goto fail;
    if (old_size == 0) {
        rc = ledger_err_set(&err, LEDGER_EINVAL, "OLD must be 1 or more");
        goto fail;
    }
    if ((rc = ledger_store_tree_root(ledger_home_store(home), feed, &new_size, new_root, &err)))
        goto fail;
    if (old_size > new_size) {
        rc = ledger_err_set(&err, LEDGER_EINVAL, "OLD %" PRIu64 " is past NEW %" PRIu64,
                            old_size, new_size);
        goto fail;
    }
    if ((rc = ledger_store_tree_root(ledger_home_store(home), feed, &old_size, old_root, &err)) ||
        (rc = ledger_store_prove_consistency(ledger_home_store(home), feed, old_size, new_size,
                                             hashes, &n, &err)))
        goto fail;
    if (ctx->json) {
        json_t *j = json_object();
        json_object_set_new(j, "feed", json_string(ledger_hex(feed, LEDGER_FEED_LEN, hex)));
        json_object_set_new(j, "oldSize", json_integer((json_int_t)old_size));
        json_object_set_new(j, "newSize", json_integer((json_int_t)new_size));
        json_object_set_new(j, "oldRoot", json_b64(old_root, LEDGER_TREE_HASH_LEN));
        json_object_set_new(j, "newRoot", json_b64(new_root, LEDGER_TREE_HASH_LEN));
        json_object_set_new(j, "hashes", json_hashes(hashes, n));
        rc = print_json(j);
    } else {
        char *o = b64(old_root, LEDGER_TREE_HASH_LEN), *w = b64(new_root, LEDGER_TREE_HASH_LEN);
        printf("feed       %s\nold        %" PRIu64 " leaves, root %s\nnew        %" PRIu64
               " leaves, root %s\n",
               ledger_hex(feed, LEDGER_FEED_LEN, hex), old_size, o ? o : "?", new_size,
               w ? w : "?");
        print_hashes("hashes", hashes, n);
        free(o);
        free(w);
        rc = fflush(stdout) ? CLI_EXIT_ENV : 0;
    }
    ledger_home_close(home);
    return rc;
fail:
    rc = cli_fail(ctx, rc, &err);
    ledger_home_close(home);
    return rc;
}

int cli_proof_main(cli_ctx_t *ctx, int argc, char **argv)
{
    const char *pos[4] = {0}, *size_arg = NULL;
    int npos = 0;
    uint64_t size = 0, a = 0, b = 0;

    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) {
            fputs(proof_usage, stdout);
            return 0;
        }
        if ((r = cli_common_option(ctx, argc, argv, &i))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        if ((r = cli_opt(argc, argv, &i, "--size", &size_arg))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1])
            return cli_usage("proof", "unknown option %s", argv[i]);
        if (npos == 4)
            return cli_usage("proof", "too many arguments");
        pos[npos++] = argv[i];
    }
    if (npos == 0)
        return cli_usage("proof", "inclusion or consistency?");
    if (strcmp(pos[0], "inclusion") == 0) {
        if (npos != 2)
            return cli_usage("proof", "inclusion takes one EVENTID or FEED:SEQ");
        if (size_arg && (parse_u64(size_arg, &size) || size == 0))
            return cli_usage("proof", "--size %s: not a tree size (1 or more)", size_arg);
        return proof_inclusion(ctx, pos[1], size);
    }
    if (strcmp(pos[0], "consistency") == 0) {
        if (npos != 4)
            return cli_usage("proof", "consistency takes FEED OLD NEW");
        if (size_arg)
            return cli_usage("proof", "--size is for inclusion proofs");
        if (parse_u64(pos[2], &a) || parse_u64(pos[3], &b))
            return cli_usage("proof", "OLD and NEW are tree sizes (numbers)");
        return proof_consistency(ctx, pos[1], a, b);
    }
    return cli_usage("proof", "%s: not inclusion or consistency", pos[0]);
}

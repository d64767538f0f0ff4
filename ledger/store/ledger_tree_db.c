/* ledger_tree_db.c -- each feed's Merkle tree (ledger_tree.h) kept in the
 * store's `tree` database, and the roots and proofs read from it, in a
 * transaction the caller holds (ledger__store.h; ledger_tree_read.c gives
 * the public reads of ledger_store.h, "the Merkle tree of a feed").
 *
 * How it is stored.  One row per entry of a feed's main chain:
 *     key   feed (32) | leaf index = seq - 1 (u64 BE)
 *     value leaf hash | the hash of each complete subtree this leaf ends,
 *           bottom-up (level 1, 2, ..., as many as the index has trailing
 *           one bits): 32 bytes each
 * so a feed of n entries has n rows and 2n - popcount(n) hashes, each
 * written once, in the same write transaction as the entry.  The hash of
 * the subtree at (level L, index j) is in the row of its last leaf,
 * ((j + 1) << L) - 1, at offset 32 L.  The leaf bytes are the entry's
 * header bytes, which commit to the payload by its hash: a sealed entry is
 * a leaf like any other.
 *
 * Checkpoints.  The `checkpoint` database keeps, per feed, the newest
 * signed checkpoint (ledger_note.h) of its tree: for the own feed one is
 * signed at every append commit (ledger__checkpoint_own) or on demand
 * (ledger_store_checkpoint_sign); verify checks each against the tree.
 * A partner's checkpoint is kept with the feed's own signature line only:
 * the cosignature lines a relayed note carries are taken apart into the
 * cosignature rows (ledger_witness.c), and ledger_store_cosigned appends
 * them from there, so that no witness is listed twice.
 *
 * A feed held from seq 1 has its tree; a feed held only from a later seq
 * (entries that came in a bundle) has none, and a fork's second entry at a
 * seq adds nothing: the tree is the main chain's.
 */
#include <string.h>

#include "ledger__store.h"
#include "ledger_identity.h"
#include "ledger_note.h"
#include "ledger_tree.h"

#define TREE_KEY_LEN (LEDGER_FEED_LEN + 8)

typedef struct tctx {
    ledger_store_t *st;
    MDB_txn *txn;
    const uint8_t *feed;
    /* while adding leaf `index`: its row, built by put */
    uint64_t index;
    uint8_t row[LEDGER_TREE_HASH_LEN * 65];
    size_t rlen;
} tctx_t;

static void tree_key(uint8_t key[TREE_KEY_LEN], const uint8_t *feed, uint64_t index)
{
    memcpy(key, feed, LEDGER_FEED_LEN);
    ledger__put_be64(key + LEDGER_FEED_LEN, index);
}

static int row_get(MDB_txn *txn, MDB_dbi dbi, const uint8_t *feed, uint64_t index, MDB_val *v)
{
    uint8_t key[TREE_KEY_LEN];
    MDB_val k = {sizeof key, key};
    tree_key(key, feed, index);
    return mdb_get(txn, dbi, &k, v);
}

static int tree_get(void *ctx, unsigned level, uint64_t index, ledger_tree_hash_t out,
                    ledger_err_t *err)
{
    tctx_t *t = ctx;
    char hex[2 * LEDGER_FEED_LEN + 1];
    if (level >= 64 || index >= (UINT64_MAX >> level))
        return ledger_err_set(err, LEDGER_EINVAL, "tree: no subtree %u/%llu", level,
                              (unsigned long long)index);
    uint64_t last = ((index + 1) << level) - 1;
    if (t->rlen && last == t->index) { /* the row being built */
        if ((size_t)(level + 1) * LEDGER_TREE_HASH_LEN > t->rlen)
            goto missing;
        memcpy(out, t->row + (size_t)level * LEDGER_TREE_HASH_LEN, LEDGER_TREE_HASH_LEN);
        return 0;
    }
    MDB_val v;
    int rc = row_get(t->txn, t->st->dbi[DB_TREE], t->feed, last, &v);
    if (rc == MDB_NOTFOUND)
        goto missing;
    if (rc)
        return ledger__lmdb_err(err, rc, "cannot read the tree");
    if (v.mv_size % LEDGER_TREE_HASH_LEN || v.mv_size < (size_t)(level + 1) * LEDGER_TREE_HASH_LEN)
        return ledger_err_set(err, LEDGER_EVERIFY,
                              "tree of feed %s: the row of leaf %llu is damaged (%zu bytes)",
                              ledger__feed_hex(t->feed, hex), (unsigned long long)last,
                              v.mv_size);
    memcpy(out, (const uint8_t *)v.mv_data + (size_t)level * LEDGER_TREE_HASH_LEN,
           LEDGER_TREE_HASH_LEN);
    return 0;
missing:
    return ledger_err_set(err, LEDGER_ENOTFOUND, "tree of feed %s: no hash at level %u index %llu",
                          ledger__feed_hex(t->feed, hex), level, (unsigned long long)index);
}

static int tree_put(void *ctx, unsigned level, uint64_t index, const ledger_tree_hash_t hash,
                    ledger_err_t *err)
{
    tctx_t *t = ctx;
    /* ledger_tree_append puts the leaf, then level 1, 2, ... of this leaf */
    if ((size_t)level * LEDGER_TREE_HASH_LEN != t->rlen || (index << level) >> level != index ||
        ((index + 1) << level) - 1 != t->index || t->rlen + LEDGER_TREE_HASH_LEN > sizeof t->row)
        return ledger_err_set(err, LEDGER_EINVAL, "tree: put out of order (%u/%llu)", level,
                              (unsigned long long)index);
    memcpy(t->row + t->rlen, hash, LEDGER_TREE_HASH_LEN);
    t->rlen += LEDGER_TREE_HASH_LEN;
    return 0;
}

int ledger__tree_add(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, uint64_t seq,
                     const uint8_t *hbytes, size_t hlen, ledger_err_t *err)
{
    MDB_val v;
    int rc;
    if (seq == 0)
        return ledger_err_set(err, LEDGER_EINVAL, "tree: seq 0");
    uint64_t index = seq - 1;
    /* a fork's second entry at this seq: the main chain keeps its leaf */
    if ((rc = row_get(txn, st->dbi[DB_TREE], feed, index, &v)) == 0)
        return 0;
    if (rc != MDB_NOTFOUND)
        return ledger__lmdb_err(err, rc, "cannot read the tree");
    /* a feed held only from a later seq has no tree */
    if (index > 0) {
        rc = row_get(txn, st->dbi[DB_TREE], feed, index - 1, &v);
        if (rc == MDB_NOTFOUND)
            return 0;
        if (rc)
            return ledger__lmdb_err(err, rc, "cannot read the tree");
    }
    tctx_t t = {.st = st, .txn = txn, .feed = feed, .index = index};
    ledger_tree_hash_t leaf;
    ledger_tree_leaf_hash(hbytes, hlen, leaf);
    if ((rc = ledger_tree_append(index, leaf, tree_get, tree_put, &t, err)))
        return rc;
    uint8_t key[TREE_KEY_LEN];
    MDB_val k = {sizeof key, key}, val = {t.rlen, t.row};
    tree_key(key, feed, index);
    if ((rc = mdb_put(txn, st->dbi[DB_TREE], &k, &val, MDB_NOOVERWRITE)))
        return ledger__lmdb_err(err, rc, "cannot write the tree");
    return 0;
}

int ledger__tree_del(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, uint64_t seq,
                     const uint8_t *hbytes, size_t hlen, ledger_err_t *err)
{
    MDB_val v;
    uint8_t key[TREE_KEY_LEN];
    MDB_val k = {sizeof key, key};
    ledger_tree_hash_t leaf;
    int rc;
    if (seq == 0)
        return 0;
    tree_key(key, feed, seq - 1);
    if ((rc = mdb_get(txn, st->dbi[DB_TREE], &k, &v)) == MDB_NOTFOUND)
        return 0;
    if (rc)
        return ledger__lmdb_err(err, rc, "cannot read the tree");
    ledger_tree_leaf_hash(hbytes, hlen, leaf);
    /* only the row of this very entry: not the main chain's under a fork */
    if (v.mv_size < LEDGER_TREE_HASH_LEN || memcmp(v.mv_data, leaf, LEDGER_TREE_HASH_LEN) != 0)
        return 0;
    if ((rc = mdb_del(txn, st->dbi[DB_TREE], &k, NULL)))
        return ledger__lmdb_err(err, rc, "cannot take a tree row back");
    return 0;
}

int ledger__tree_check(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, uint64_t seq,
                       const uint8_t *hbytes, size_t hlen, ledger__tree_walk_t *w,
                       ledger_err_t *err)
{
    uint8_t row[LEDGER_TREE_HASH_LEN * 65];
    size_t rlen = LEDGER_TREE_HASH_LEN;
    char hex[2 * LEDGER_FEED_LEN + 1];
    uint64_t index = seq - 1;
    unsigned level = 0;
    MDB_val v;
    int rc;
    if (seq == 0 || index != w->next)
        return ledger_err_set(err, LEDGER_EINVAL, "tree check: seq %llu out of order",
                              (unsigned long long)seq);
    /* the expected row: the leaf, then each subtree it completes, from the
     * pending left subtrees of the walk (one per set bit of the index) */
    ledger_tree_leaf_hash(hbytes, hlen, row);
    uint8_t *h = row;
    while ((index >> level) & 1) {
        ledger_tree_node_hash(w->edge[level], h, row + rlen);
        h = row + rlen;
        rlen += LEDGER_TREE_HASH_LEN;
        level++;
    }
    memcpy(w->edge[level], h, LEDGER_TREE_HASH_LEN);
    w->next++;
    rc = row_get(txn, st->dbi[DB_TREE], feed, index, &v);
    if (rc == MDB_NOTFOUND)
        return ledger_err_set(err, LEDGER_EVERIFY, "feed %s seq %llu: no leaf in the feed's tree",
                              ledger__feed_hex(feed, hex), (unsigned long long)seq);
    if (rc)
        return ledger__lmdb_err(err, rc, "cannot read the tree");
    if (v.mv_size != rlen || memcmp(v.mv_data, row, rlen) != 0)
        return ledger_err_set(err, LEDGER_EVERIFY,
                              "feed %s seq %llu: the feed's tree does not hold this entry's "
                              "hashes",
                              ledger__feed_hex(feed, hex), (unsigned long long)seq);
    return 0;
}

int ledger__tree_size(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, uint64_t *size,
                     ledger_err_t *err)
{
    feedrec_t f;
    MDB_val v;
    char hex[2 * LEDGER_FEED_LEN + 1];
    int rc = ledger__get_feedrec(st, txn, feed, &f, err);
    if (rc)
        return rc;
    if (f.seq == 0 || (rc = row_get(txn, st->dbi[DB_TREE], feed, 0, &v)) == MDB_NOTFOUND ||
        (rc = row_get(txn, st->dbi[DB_TREE], feed, f.seq - 1, &v)) == MDB_NOTFOUND)
        return ledger_err_set(err, LEDGER_ENOTFOUND,
                              "feed %s: this store does not hold its entries from seq 1, so it "
                              "has no tree of it",
                              ledger__feed_hex(feed, hex));
    if (rc)
        return ledger__lmdb_err(err, rc, "cannot read the tree");
    *size = f.seq;
    return 0;
}

/* size 0 = the whole tree; past the tree: LEDGER_EINVAL. */
static int pick_size(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, uint64_t *size,
                     ledger_err_t *err)
{
    uint64_t have;
    int rc = ledger__tree_size(st, txn, feed, &have, err);
    if (rc)
        return rc;
    if (*size == 0)
        *size = have;
    else if (*size > have)
        return ledger_err_set(err, LEDGER_EINVAL,
                              "tree size %llu is past the %llu entries this store holds of the "
                              "feed",
                              (unsigned long long)*size, (unsigned long long)have);
    return 0;
}

int ledger__tree_root(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, uint64_t *size,
                      ledger_tree_hash_t root, ledger_err_t *err)
{
    tctx_t t = {.st = st, .txn = txn, .feed = feed};
    int rc = pick_size(st, txn, feed, size, err);
    return rc ? rc : ledger_tree_root(*size, tree_get, &t, root, err);
}

int ledger__tree_prove_inclusion(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed,
                                 uint64_t seq, uint64_t *size, ledger_tree_hash_t leaf,
                                 ledger_tree_hash_t hashes[LEDGER_TREE_MAX_PROOF], size_t *n,
                                 ledger_err_t *err)
{
    tctx_t t = {.st = st, .txn = txn, .feed = feed};
    int rc = pick_size(st, txn, feed, size, err);
    if (rc)
        return rc;
    if (seq == 0 || seq > *size)
        return ledger_err_set(err, LEDGER_EINVAL, "seq %llu is not in the tree of size %llu",
                              (unsigned long long)seq, (unsigned long long)*size);
    if ((rc = tree_get(&t, 0, seq - 1, leaf, err)))
        return rc;
    return ledger_tree_prove_inclusion(seq - 1, *size, tree_get, &t, hashes, n, err);
}

int ledger__tree_prove_consistency(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed,
                                   uint64_t old_size, uint64_t new_size,
                                   ledger_tree_hash_t hashes[LEDGER_TREE_MAX_PROOF], size_t *n,
                                   ledger_err_t *err)
{
    tctx_t t = {.st = st, .txn = txn, .feed = feed};
    uint64_t size = new_size;
    int rc = pick_size(st, txn, feed, &size, err);
    return rc ? rc
              : ledger_tree_prove_consistency(old_size, size, tree_get, &t, hashes, n, err);
}

/* ---- checkpoints ------------------------------------------------------ */

static void sign_with_identity(void *ctx, const uint8_t *m, size_t n, uint8_t sig[64])
{
    ledger_identity_sign(ctx, m, n, sig);
}

int ledger__checkpoint_own(ledger_store_t *st, MDB_txn *txn, const ledger_identity_t *id,
                           uint64_t size, ledger_err_t *err)
{
    char origin[LEDGER_NOTE_ORIGIN_LEN];
    ledger_tree_hash_t root;
    ledger_buf_t text = LEDGER_BUF_INIT, note = LEDGER_BUF_INIT;
    tctx_t t = {.st = st, .txn = txn, .feed = st->self};
    ledger_note_signer_t s = {.name = origin, .sign = sign_with_identity, .ctx = (void *)id};
    int rc;

    memcpy(s.pk, st->self, LEDGER_FEED_LEN);
    ledger_note_feed_origin(st->self, origin);
    if ((rc = ledger_tree_root(size, tree_get, &t, root, err)) ||
        (rc = ledger_checkpoint_text(origin, size, root, &text, err)) ||
        (rc = ledger_note_sign((const char *)text.data, text.len, &s, 1, &note, err)))
        goto done;
    MDB_val k = {LEDGER_FEED_LEN, st->self}, v = {note.len, note.data};
    if ((rc = mdb_put(txn, st->dbi[DB_CKPT], &k, &v, 0)))
        rc = ledger__lmdb_err(err, rc, "cannot keep the checkpoint");
done:
    ledger_buf_free(&text);
    ledger_buf_free(&note);
    return rc;
}

/* Opens a kept checkpoint note v of feed (verify): signed by the feed's
 * key, of its origin, of a size within the feed's tree; *cp gets it and
 * root the tree's own root at that size. The message names what (a
 * checkpoint, or fork evidence) and the feed; a malformed note kept here
 * is a damaged store: LEDGER_EVERIFY. */
static int open_kept(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, const MDB_val *v,
                     const char *what, ledger_checkpoint_t *cp, ledger_tree_hash_t root,
                     ledger_err_t *err)
{
    char origin[LEDGER_NOTE_ORIGIN_LEN], hex[2 * LEDGER_FEED_LEN + 1];
    size_t tl;
    uint64_t have;
    tctx_t t = {.st = st, .txn = txn, .feed = feed};
    int rc;
    ledger_note_feed_origin(feed, origin);
    if ((rc = ledger_note_open(v->mv_data, v->mv_size, origin, feed, &tl, err)) ||
        (rc = ledger_checkpoint_parse(v->mv_data, tl, cp, err)))
        goto bad;
    if (strcmp(cp->origin, origin) != 0) {
        rc = ledger_err_set(err, LEDGER_EVERIFY, "its origin is %s", cp->origin);
        goto bad;
    }
    if ((rc = ledger__tree_size(st, txn, feed, &have, err)))
        goto bad;
    if (cp->size == 0 || cp->size > have) {
        rc = ledger_err_set(err, LEDGER_EVERIFY, "its size %llu is not within the %llu entries held",
                            (unsigned long long)cp->size, (unsigned long long)have);
        goto bad;
    }
    if ((rc = ledger_tree_root(cp->size, tree_get, &t, root, err)))
        goto bad;
    return 0;
bad:
    ledger_err_prefix(err, "%s of feed %s", what, ledger__feed_hex(feed, hex));
    if (rc == LEDGER_EINPUT) {
        rc = LEDGER_EVERIFY;
        if (err)
            err->code = rc;
    }
    return rc;
}

/* The kept checkpoint v of feed: its root is the tree's at its size.
 * *size gets its size. */
static int check_checkpoint(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed,
                            const MDB_val *v, uint64_t *size, ledger_err_t *err)
{
    ledger_checkpoint_t cp;
    ledger_tree_hash_t root;
    char hex[2 * LEDGER_FEED_LEN + 1];
    int rc = open_kept(st, txn, feed, v, "the checkpoint", &cp, root, err);
    if (rc)
        return rc;
    if (memcmp(root, cp.root, LEDGER_TREE_HASH_LEN) != 0)
        return ledger_err_set(err, LEDGER_EVERIFY,
                              "the checkpoint of feed %s: its root is not the feed's tree at size "
                              "%llu",
                              ledger__feed_hex(feed, hex), (unsigned long long)cp.size);
    *size = cp.size;
    return 0;
}

/* Fork evidence v of feed: a checkpoint whose root is NOT the tree's at
 * its size, of a feed marked forked. */
static int check_fork_evidence(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed,
                               const MDB_val *v, ledger_err_t *err)
{
    ledger_checkpoint_t cp;
    ledger_tree_hash_t root;
    feedrec_t head;
    char hex[2 * LEDGER_FEED_LEN + 1];
    const char *what = "the fork evidence (a checkpoint)";
    int rc = open_kept(st, txn, feed, v, what, &cp, root, err);
    if (rc)
        return rc;
    if ((rc = ledger__get_feedrec(st, txn, feed, &head, err)))
        return rc;
    if (memcmp(root, cp.root, LEDGER_TREE_HASH_LEN) == 0)
        return ledger_err_set(err, LEDGER_EVERIFY,
                              "%s of feed %s: it is of the tree held here: it proves no fork", what,
                              ledger__feed_hex(feed, hex));
    if (!(head.flags & LEDGER_FEED_FORKED))
        return ledger_err_set(err, LEDGER_EVERIFY, "%s of feed %s: the feed is not marked forked",
                              what, ledger__feed_hex(feed, hex));
    return 0;
}

int ledger__checkpoints_verify(ledger_store_t *st, MDB_txn *txn, uint64_t *count,
                               ledger_err_t *err)
{
    MDB_cursor *c;
    MDB_val k, v;
    int rc, op = MDB_FIRST;
    *count = 0;
    if ((rc = mdb_cursor_open(txn, st->dbi[DB_CKPT], &c)))
        return ledger__lmdb_err(err, rc, "cannot read the checkpoints");
    while ((rc = mdb_cursor_get(c, &k, &v, op)) == 0) {
        uint64_t size;
        op = MDB_NEXT;
        if (k.mv_size == LEDGER_FEED_LEN + 1 && ((uint8_t *)k.mv_data)[LEDGER_FEED_LEN] == 1) {
            if ((rc = check_fork_evidence(st, txn, k.mv_data, &v, err)))
                goto done;
            (*count)++;
            continue;
        }
        if (k.mv_size == 2 * LEDGER_FEED_LEN + 1 && ((uint8_t *)k.mv_data)[LEDGER_FEED_LEN] == 2)
            continue; /* a cosignature: ledger__cosigs_verify (ledger_witness.c) */
        if (k.mv_size != LEDGER_FEED_LEN) {
            rc = ledger_err_set(err, LEDGER_EVERIFY, "a checkpoint row with a damaged key");
            goto done;
        }
        if ((rc = check_checkpoint(st, txn, k.mv_data, &v, &size, err)))
            goto done;
        (*count)++;
    }
    rc = rc == MDB_NOTFOUND ? 0 : ledger__lmdb_err(err, rc, "cannot read the checkpoints");
done:
    mdb_cursor_close(c);
    return rc;
}

/* The key of a feed's fork evidence in DB_CKPT: feed | 0x01. */
static void fork_key(const uint8_t *feed, uint8_t key[LEDGER_FEED_LEN + 1])
{
    memcpy(key, feed, LEDGER_FEED_LEN);
    key[LEDGER_FEED_LEN] = 1;
}

/* A checkpoint signed by the feed's key whose root is not the root of the
 * entries held at its size: the key signed two histories. The note is kept
 * as evidence (feed | 0x01) next to the kept checkpoint, and the feed is
 * marked forked. */
static int keep_fork(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, feedrec_t *head,
                     const char *note, size_t len, uint64_t size, int *kept, ledger_err_t *err)
{
    uint8_t key[LEDGER_FEED_LEN + 1];
    MDB_val k = {sizeof key, key}, v = {len, (void *)note};
    char hex[2 * LEDGER_FEED_LEN + 1];
    int rc;
    fork_key(feed, key);
    if ((rc = mdb_put(txn, st->dbi[DB_CKPT], &k, &v, 0)))
        return ledger__lmdb_err(err, rc, "cannot keep the fork evidence");
    head->flags |= LEDGER_FEED_FORKED;
    if ((rc = ledger__put_feedrec(st, txn, feed, head, err)))
        return rc;
    *kept = LEDGER_CKPT_FORK;
    ledger_err_set(err, 0,
                   "checkpoint of feed %s: the feed's key signed a tree of %llu entries whose "
                   "root is not the root of the %llu entries held here: two histories (a fork); "
                   "the checkpoint is kept as evidence and the feed is marked forked",
                   ledger__feed_hex(feed, hex), (unsigned long long)size,
                   (unsigned long long)size);
    return 0;
}

/* The note's text, its blank line and the first signature line of the
 * feed's own key (ledger_note_open found it and checked it): what is kept
 * of a partner's checkpoint, whatever cosignature lines came with it. */
typedef struct own_line {
    const char *origin;
    uint8_t kid[4];
    ledger_buf_t *out;
    int have;
} own_line_t;

static int own_line_cb(const ledger_note_sig_t *sig, void *ctx, ledger_err_t *err)
{
    own_line_t *o = ctx;
    if (o->have || sig->name_len != strlen(o->origin) ||
        memcmp(sig->name, o->origin, sig->name_len) != 0 || sig->blob_len < 4 ||
        memcmp(sig->blob, o->kid, 4) != 0)
        return 0;
    o->have = 1;
    if (ledger_buf_append(o->out, sig->line, sig->line_len))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory keeping a checkpoint");
    return 0;
}

static int own_note(const char *note, size_t len, size_t tl, const uint8_t *feed,
                    const char *origin, ledger_buf_t *out, ledger_err_t *err)
{
    own_line_t o = {.origin = origin, .out = out};
    size_t t2;
    ledger_note_key_id(origin, feed, o.kid);
    if (ledger_buf_append(out, note, tl + 1)) /* the text and the blank line */
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory keeping a checkpoint");
    return ledger_note_sigs(note, len, &t2, own_line_cb, &o, err);
}

int ledger__checkpoint_keep(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed,
                            const char *note, size_t len, int *kept, ledger_err_t *err)
{
    char origin[LEDGER_NOTE_ORIGIN_LEN], hex[2 * LEDGER_FEED_LEN + 1];
    ledger_checkpoint_t cp;
    ledger_tree_hash_t root;
    tctx_t t = {.st = st, .txn = txn, .feed = feed};
    uint64_t have, old = 0;
    size_t tl;
    MDB_val k = {LEDGER_FEED_LEN, (void *)feed}, v;
    feedrec_t head;
    int rc;

    *kept = 0;
    ledger_note_feed_origin(feed, origin);
    if ((rc = ledger_note_open(note, len, origin, feed, &tl, err)) ||
        (rc = ledger_checkpoint_parse(note, tl, &cp, err)))
        goto bad;
    if (strcmp(cp.origin, origin) != 0) {
        rc = ledger_err_set(err, LEDGER_EVERIFY, "its origin is %s, not %s", cp.origin, origin);
        goto bad;
    }
    if (cp.size == 0)
        return 0;
    if ((rc = ledger__tree_size(st, txn, feed, &have, NULL)) || cp.size > have)
        return 0; /* of entries not (yet) held here: nothing to check it against */
    if ((rc = ledger_tree_root(cp.size, tree_get, &t, root, err)))
        return rc;
    if ((rc = ledger__get_feedrec(st, txn, feed, &head, err)))
        return rc;
    if (head.flags & LEDGER_FEED_FORKED) {
        /* a forked feed takes nothing more; but when its fork was proved
         * by two entries, the first checkpoint of the other history that
         * comes is kept too: the note of each history is then held */
        uint8_t fk[LEDGER_FEED_LEN + 1];
        MDB_val fkv = {sizeof fk, fk}, fv;
        fork_key(feed, fk);
        if (memcmp(root, cp.root, LEDGER_TREE_HASH_LEN) == 0)
            return 0;
        if ((rc = mdb_get(txn, st->dbi[DB_CKPT], &fkv, &fv)) == 0)
            return 0;
        if (rc != MDB_NOTFOUND)
            return ledger__lmdb_err(err, rc, "cannot read the checkpoints");
        return keep_fork(st, txn, feed, &head, note, len, cp.size, kept, err);
    }
    if (memcmp(root, cp.root, LEDGER_TREE_HASH_LEN) != 0)
        return keep_fork(st, txn, feed, &head, note, len, cp.size, kept, err);
    if ((rc = mdb_get(txn, st->dbi[DB_CKPT], &k, &v)) == 0) {
        /* the kept one was checked when it was kept: its size is all we need */
        if (check_checkpoint(st, txn, feed, &v, &old, NULL) == 0 && old >= cp.size)
            return 0;
    } else if (rc != MDB_NOTFOUND) {
        return ledger__lmdb_err(err, rc, "cannot read the checkpoints");
    }
    {
        ledger_buf_t own = LEDGER_BUF_INIT;
        if ((rc = own_note(note, len, tl, feed, origin, &own, err))) {
            ledger_buf_free(&own);
            return rc;
        }
        v.mv_data = own.data;
        v.mv_size = own.len;
        rc = mdb_put(txn, st->dbi[DB_CKPT], &k, &v, 0);
        ledger_buf_free(&own);
        if (rc)
            return ledger__lmdb_err(err, rc, "cannot keep the checkpoint");
    }
    *kept = 1;
    return 0;
bad:
    ledger_err_prefix(err, "checkpoint of feed %s", ledger__feed_hex(feed, hex));
    return rc;
}

/* The note kept under key[0..klen) of DB_CKPT, appended to note;
 * LEDGER_ENOTFOUND "no <what> of feed <hex> is kept here". */
static int get_note(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed, const uint8_t *key,
                    size_t klen, const char *what, ledger_buf_t *note, ledger_err_t *err)
{
    MDB_val k = {klen, (void *)key}, v;
    char hex[2 * LEDGER_FEED_LEN + 1];
    int rc = mdb_get(txn, st->dbi[DB_CKPT], &k, &v);
    if (rc == MDB_NOTFOUND)
        return ledger_err_set(err, LEDGER_ENOTFOUND, "no %s of feed %s is kept here", what,
                              ledger__feed_hex(feed, hex));
    if (rc)
        return ledger__lmdb_err(err, rc, "cannot read the checkpoints");
    if ((rc = ledger_buf_append(note, v.mv_data, v.mv_size)))
        return ledger_err_set(err, rc, "out of memory");
    return 0;
}

int ledger__fork_checkpoint_get(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed,
                                ledger_buf_t *note, ledger_err_t *err)
{
    uint8_t key[LEDGER_FEED_LEN + 1];
    fork_key(feed, key);
    return get_note(st, txn, feed, key, sizeof key, "checkpoint of another history", note, err);
}

int ledger__checkpoint_get(ledger_store_t *st, MDB_txn *txn, const uint8_t *feed,
                           ledger_buf_t *note, ledger_err_t *err)
{
    return get_note(st, txn, feed, feed, LEDGER_FEED_LEN, "signed checkpoint", note, err);
}

int ledger_store_checkpoint_sign(ledger_store_t *st, const ledger_identity_t *id,
                                 ledger_err_t *err)
{
    MDB_txn *txn;
    uint64_t size, kept = 0;
    MDB_val k = {LEDGER_FEED_LEN, st->self}, v;
    int rc;
    if (st->rdonly)
        return ledger_err_set(err, LEDGER_ELOCKED, "the store is open read-only");
    if (memcmp(ledger_identity_public(id), st->self, LEDGER_FEED_LEN) != 0)
        return ledger_err_set(err, LEDGER_EINVAL, "the signing key is not this store's own key");
    if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)))
        return ledger__lmdb_err(err, rc, "cannot begin a transaction");
    if ((rc = ledger__tree_size(st, txn, st->self, &size, err)))
        goto fail;
    if ((rc = mdb_get(txn, st->dbi[DB_CKPT], &k, &v)) == 0 &&
        check_checkpoint(st, txn, st->self, &v, &kept, NULL) == 0 && kept == size) {
        mdb_txn_abort(txn); /* the kept one is of this tree already */
        return 0;
    }
    if ((rc = ledger__checkpoint_own(st, txn, id, size, err)))
        goto fail;
    if ((rc = mdb_txn_commit(txn)))
        return ledger__commit_err(st->env, err, rc, "cannot commit the checkpoint");
    return 0;
fail:
    mdb_txn_abort(txn);
    return rc;
}

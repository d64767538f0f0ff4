/* store_downgrade.c -- turns the store of a keten home back into format 4
 * (the format before the Merkle tree): the version in meta becomes "4" and
 * the tree database is emptied, as a store written by keten before log
 * format 2 was. For tests/e2e/upgrade.sh, which then lets keten upgrade it.
 *
 * usage: store_downgrade HOME   (HOME/db is the LMDB environment)
 * Exits 0, or 2 with a message. Nothing else of the store is touched. */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>

static void die(const char *what, int rc)
{
    fprintf(stderr, "store_downgrade: %s: %s\n", what, mdb_strerror(rc));
    exit(2);
}

int main(int argc, char **argv)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta, tree;
    MDB_val k = {7, "version"}, v = {1, "4"};
    char path[4096];
    int rc;
    if (argc != 2) {
        fprintf(stderr, "usage: store_downgrade HOME\n");
        return 2;
    }
    snprintf(path, sizeof path, "%s/db", argv[1]);
    if ((rc = mdb_env_create(&env)) || (rc = mdb_env_set_maxdbs(env, 32)) ||
        (rc = mdb_env_set_mapsize(env, (size_t)1 << 30)) || (rc = mdb_env_open(env, path, 0, 0600)))
        die(path, rc);
    if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) || (rc = mdb_dbi_open(txn, "meta", 0, &meta)) ||
        (rc = mdb_put(txn, meta, &k, &v, 0)) || (rc = mdb_dbi_open(txn, "tree", 0, &tree)) ||
        (rc = mdb_drop(txn, tree, 0)) || (rc = mdb_txn_commit(txn)))
        die("downgrade", rc);
    mdb_env_close(env);
    return 0;
}

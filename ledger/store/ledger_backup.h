/* ledger_backup.h -- a consistent copy of a live keten home (`keten backup`).
 *
 * A backup is itself a home: a directory with the home's files (keten.json,
 * the secret key, the network key, the peer list, tokens, named queries,
 * capture jobs: every regular file at the top of the home, with its mode)
 * and db/, a compacted copy of the store taken from one read transaction's
 * snapshot (ledger_store_copy). A node may be running on the home and
 * writing meanwhile: the copy holds every entry committed before the
 * snapshot and nothing half-written after it. The lock file of a running
 * node (node.lock) and temporary files (names starting with '.', or ending
 * in ".tmp") are not copied.
 *
 * Nothing half-written: everything is written into a sibling directory
 * "<dst>.partial-<pid>", each file flushed with fsync, and renamed to dst
 * only when complete (then the parent directory is flushed). On failure
 * the partial directory is removed and dst does not exist.
 *
 * Restoring is moving the backup into place while no node runs on it
 * (docs/operations.md, "Backup and restore"); `keten verify` checks it.
 */
#ifndef LEDGER_BACKUP_H
#define LEDGER_BACKUP_H

#include <stdint.h>

#include "ledger_error.h"
#include "ledger_home.h"

/* What a backup holds. */
typedef struct ledger_backup_report {
    uint64_t files;    /* home files copied besides the store */
    uint64_t db_bytes; /* size of the copied store (db/data.mdb) */
} ledger_backup_report_t;

/* Copies the open home h (opened read-only is enough) to dst, which must
 * not exist: LEDGER_EEXIST when it does (nothing is overwritten), LEDGER_EIO
 * naming the file when a copy fails. rep may be NULL. */
int ledger_backup_home(ledger_home_t *h, const char *dst, ledger_backup_report_t *rep,
                       ledger_err_t *err);

#endif

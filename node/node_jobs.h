/* node_jobs.h -- the capture jobs the node keeps (node_capture.h), in the
 * home, so that GET /capture/{captureID} gives the same job after the node
 * restarted.
 *
 * The file: <home>/capture-jobs.jsonl, mode 0600, owned by the node (only
 * a running node writes it; the home's lock keeps it to one).  One JSON
 * object a line: first {"keten":"capture-jobs","version":1}, then one
 * line per change of a job, {"n": its ordinal, "job": the CaptureJob as
 * served}: a job's line when it is accepted (running) and when it is done.
 * The last line of an ordinal wins.  Lines are appended (write(2), no
 * fsync: they survive the node's restart or crash, not the machine's; the
 * events themselves are in the store, durable); when the file holds more
 * than 4 x keep lines it is rewritten with the kept jobs only (tmp file,
 * fsync, rename).  A line that does not read (the torn last line of a
 * crash) is skipped.
 *
 * Why a file and not an LMDB database of the store: a job is the node's
 * bookkeeping about an HTTP request, not ledger data; the store's
 * databases are the signed log and its indexes, written by the writer
 * thread in append transactions of their own, and a database more would
 * change the store's format for something that is allowed to be lost.
 *
 * In memory: the last keep jobs, by ordinal.  Loop thread only. */
#ifndef NODE_JOBS_H
#define NODE_JOBS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger_error.h"

#define NODE_JOBS_FILE "capture-jobs.jsonl"

typedef struct node_jobs node_jobs_t;

/* Reads <home>/capture-jobs.jsonl (none yet: empty) keeping the last keep
 * jobs; a job that was still running when the node stopped (it crashed)
 * is given as finished and failed, saying so.  LEDGER_ENOMEM, LEDGER_EIO
 * (cannot read or open it for appending), LEDGER_EINPUT (the file is not
 * a capture-jobs file of version 1; the message names it). */
int node_jobs_open(const char *home, size_t keep, node_jobs_t **out, ledger_err_t *err);
/* Frees (the file stays).  NULL is fine. */
void node_jobs_close(node_jobs_t *js);

/* A new ordinal for a job about to be put (1, 2, ...; larger than any in
 * the file). */
uint64_t node_jobs_next(node_jobs_t *js);
/* Puts job (a CaptureJob with a "captureID"; a reference is taken) as
 * ordinal n: replaces the job of n, or adds it as the newest, dropping the
 * oldest beyond keep; appends its line to the file.  The job is kept in
 * memory even when the file cannot be written: LEDGER_EIO then. */
int node_jobs_put(node_jobs_t *js, uint64_t n, json_t *job, ledger_err_t *err);
/* The job of captureID id, NULL when not kept.  Borrowed: valid until the
 * next put. */
const json_t *node_jobs_get(const node_jobs_t *js, const char *id);
/* Jobs kept, and the i-th of them newest first (i < count), with its
 * ordinal in *n.  Borrowed as above. */
size_t node_jobs_count(const node_jobs_t *js);
const json_t *node_jobs_at(const node_jobs_t *js, size_t i, uint64_t *n);

#endif

/* store_testlib.h -- helpers shared by the tests that build stores of
 * several partners in one temporary directory (test_replica.c,
 * test_bundle.c, test_trace.c): a node is a store with its own fresh key
 * pair. Included by the tests only. */
#ifndef STORE_TESTLIB_H
#define STORE_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include <jansson.h>

#include "ledger_epcis.h"
#include "ledger_identity.h"
#include "ledger_store.h"

typedef struct tl_node {
    char dir[300];
    ledger_identity_t *id;
    ledger_store_t *st;
} tl_node_t;

/* Makes a new directory $TMPDIR/<prefix>-XXXXXX (or under /tmp) in dir.
 * 0, or -1 when it cannot. */
static __attribute__((unused)) int tl_tmpdir(char *dir, size_t n, const char *prefix)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, n, "%s/%s-XXXXXX", tmp ? tmp : "/tmp", prefix);
    return mkdtemp(dir) ? 0 : -1;
}

/* Removes dir and everything in it. 0, or -1 when that failed. */
static __attribute__((unused)) int tl_rmtree(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A new key pair and a new store in <parent>/<name>; fails the test if
 * either cannot be made. */
static __attribute__((unused)) void tl_node_open(tl_node_t *n, const char *parent, const char *name)
{
    ledger_err_t err;
    snprintf(n->dir, sizeof n->dir, "%s/%s", parent, name);
    if (ledger_identity_generate(&n->id, &err))
        fail_msg("identity: %s", err.msg);
    if (ledger_store_open(n->dir, LEDGER_STORE_CREATE, ledger_identity_public(n->id), &n->st, &err))
        fail_msg("open %s: %s", n->dir, err.msg);
}

/* Closes the store and frees the key (NULL-safe, idempotent). */
static __attribute__((unused)) void tl_node_close(tl_node_t *n)
{
    ledger_store_close(n->st);
    ledger_identity_free(n->id);
    n->st = NULL;
    n->id = NULL;
}

/* Records one event in n: JSON text made from fmt, checked as EPCIS,
 * appended with flags (LEDGER_APPEND_...); its seq. Fails the test when
 * the text is no JSON, no EPCIS event, or the append fails. */
static __attribute__((unused)) uint64_t tl_vrec(tl_node_t *n, unsigned flags, const char *fmt,
                                                va_list ap)
{
    char text[8192];
    json_error_t je;
    json_t *ev;
    ledger_err_t err;
    ledger_append_result_t res;
    vsnprintf(text, sizeof text, fmt, ap);
    if (!(ev = json_loads(text, 0, &je)))
        fail_msg("bad JSON in test: %s: %s", je.text, text);
    if (ledger_epcis_event_check(ev, "test", &err))
        fail_msg("not EPCIS: %s", err.msg);
    if (ledger_store_append_events(n->st, n->id, &ev, 1, flags, &res, &err))
        fail_msg("append: %s", err.msg);
    json_decref(ev);
    return res.seq;
}

#endif

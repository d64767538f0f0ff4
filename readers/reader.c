/* reader.c -- picks a reader backend by URI scheme and forwards to it.
 *
 * The URI is "<scheme>:<argument>"; the backends (reader_nfc.c, reader_qr.c,
 * reader_line.c, reader_replay.c) each export a reader_backend_t.  This file
 * owns the handle (backend + its state + the URI); the small helpers that
 * backends share are reader_backend.c.  See reader.h for the contract.
 */
#include "reader.h"

#include <stdlib.h>
#include <string.h>

#include "reader__backend.h"

struct reader {
    const reader_backend_t *be;
    void *state;
    char *uri;
};

static const reader_backend_t *const backends[] = {
    &reader_backend_nfc,
    &reader_backend_qr,
    &reader_backend_line,
    &reader_backend_replay,
    &reader_backend_llrp,
};

int reader_open(reader_t **out, const char *uri, ledger_err_t *err)
{
    *out = NULL;
    const char *colon = uri ? strchr(uri, ':') : NULL;
    if (colon == NULL)
        return ledger_err_set(err, LEDGER_EINVAL,
                              "reader '%s': expected <kind>:<where>, e.g. nfc:, "
                              "qr:label.png, line:-, replay:reads.jsonl, llrp:reader1",
                              uri ? uri : "(null)");
    size_t slen = (size_t)(colon - uri);
    const reader_backend_t *be = NULL;
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (strlen(backends[i]->scheme) == slen && memcmp(backends[i]->scheme, uri, slen) == 0)
            be = backends[i];
    if (be == NULL)
        return ledger_err_set(err, LEDGER_EINVAL,
                              "reader '%s': unknown kind '%.*s' (known: nfc, qr, line, replay, llrp)",
                              uri, (int)slen, uri);
    reader_t *r = calloc(1, sizeof *r);
    if (r == NULL || (r->uri = strdup(uri)) == NULL) {
        free(r);
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory opening reader '%s'", uri);
    }
    r->be = be;
    int rc = be->open(&r->state, colon + 1, err);
    if (rc < 0) {
        ledger_err_prefix(err, "reader '%s'", uri);
        free(r->uri);
        free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int reader_poll(reader_t *r, int timeout_ms, reader_read_t *out, ledger_err_t *err)
{
    reader_read_clear(out);
    if (timeout_ms < 0)
        timeout_ms = 0;
    int rc = r->be->poll(r->state, timeout_ms, out, err);
    if (rc != READER_READ)
        reader_read_clear(out);
    if (rc < 0)
        ledger_err_prefix(err, "reader '%s'", r->uri);
    return rc;
}

void reader_read_clear(reader_read_t *rd)
{
    if (rd == NULL)
        return;
    free(rd->code);
    free(rd->uid);
    free(rd->tag_type);
    free(rd->source);
    memset(rd, 0, sizeof *rd);
}

const char *reader_uri(const reader_t *r)
{
    return r->uri;
}

void reader_close(reader_t *r)
{
    if (r == NULL)
        return;
    r->be->close(r->state);
    free(r->uri);
    free(r);
}

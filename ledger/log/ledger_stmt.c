/* ledger_stmt.c -- identity statements and endorsements (see ledger_stmt.h).
 *
 * How it works.  Encoding checks the fields first and writes the
 * 7-element array with ledger_cbor's writers, so every value takes its
 * one deterministic form.  Decoding reads the same array with the strict
 * reader (text fields through ledger_cbor_get_json, which refuses
 * non-shortest heads and invalid UTF-8), copies the fields, checks them by
 * the same rules, and requires that nothing follows: a payload that
 * decodes is exactly the encoding of the statement it decodes to, so its
 * hash in the entry header is a hash over the statement.  The GLN is
 * checked as the value of GS1 AI (417), party GLN, by gs1_ai_validate (its
 * length, digits and check digit), not by a check of our own. */
#include "ledger_stmt.h"

#include <string.h>

#include "gs1_ai.h"
#include "ledger_cbor.h"
#include "ledger_json.h"

const char *ledger_stmt_kind_name(unsigned kind)
{
    return kind == LEDGER_STMT_IDENTITY      ? "identity"
           : kind == LEDGER_STMT_ENDORSEMENT ? "endorsement"
                                             : "unknown";
}

static int check_name(const char *s, ledger_err_t *err)
{
    size_t n = strlen(s);
    if (n == 0)
        return ledger_err_set(err, LEDGER_EINPUT, "statement: the name is empty");
    if (n > LEDGER_STMT_NAME_MAX)
        return ledger_err_set(err, LEDGER_EINPUT, "statement: the name is %zu bytes, over %d", n,
                              LEDGER_STMT_NAME_MAX);
    for (size_t i = 0; i < n;) {
        const unsigned char *p = (const unsigned char *)s + i;
        size_t k = ledger_json_utf8_char(p, n - i);
        if (!k)
            return ledger_err_set(err, LEDGER_EINPUT, "statement: the name is not UTF-8 (byte %zu)",
                                  i);
        if (k == 1 && (*p < 0x20 || *p == 0x7f))
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "statement: the name has a control character at byte %zu", i);
        i += k;
    }
    return 0;
}

static int check_gln(const char *gln, ledger_err_t *err)
{
    const gs1_ai_t *ai = gs1_ai_lookup("417", 3, 0);
    gs1_err_t ge;
    if (!ai)
        return ledger_err_set(err, LEDGER_EINVAL, "statement: GS1 AI (417) is not in the table");
    if (gs1_ai_validate("417", ai, gln, strlen(gln), 0, &ge))
        return ledger_err_set(err, LEDGER_EINPUT, "statement: GLN \"%s\": %s", gln, ge.msg);
    return 0;
}

static int check_gcp(const char *gcp, const char *gln, ledger_err_t *err)
{
    size_t n = strlen(gcp);
    if (n < 4 || n > 12 || !gs1_ai_all_digits(gcp, n))
        return ledger_err_set(err, LEDGER_EINPUT,
                              "statement: GS1 Company Prefix \"%s\" is not 4 to 12 digits", gcp);
    if (gln[0] && strncmp(gln, gcp, n) != 0)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "statement: GLN %s does not start with the GS1 Company Prefix %s",
                              gln, gcp);
    return 0;
}

static int check_domain(const char *d, ledger_err_t *err)
{
    size_t n = strlen(d), label = 0;
    if (n > LEDGER_STMT_DOMAIN_MAX)
        return ledger_err_set(err, LEDGER_EINPUT, "statement: the domain is over %d bytes",
                              LEDGER_STMT_DOMAIN_MAX);
    for (size_t i = 0; i <= n; i++) {
        char c = d[i];
        if (c == '.' || c == 0) {
            if (label == 0 || label > 63 || d[i - 1] == '-')
                return ledger_err_set(err, LEDGER_EINPUT,
                                      "statement: domain \"%s\" is not a host name (a label is "
                                      "empty, over 63 bytes or ends in '-')",
                                      d);
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && label > 0)))
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "statement: domain \"%s\": '%c' at %zu (lower-case letters, "
                                  "digits, '-' and '.' only)",
                                  d, c, i);
        label++;
    }
    return 0;
}

int ledger_stmt_check(const ledger_stmt_t *s, ledger_err_t *err)
{
    int rc;
    if (s->kind != LEDGER_STMT_IDENTITY && s->kind != LEDGER_STMT_ENDORSEMENT)
        return ledger_err_set(err, LEDGER_EINPUT, "statement: unknown kind %u", s->kind);
    if ((rc = check_name(s->name, err)))
        return rc;
    if (!s->gln[0] && !s->gcp[0])
        return ledger_err_set(err, LEDGER_EINPUT,
                              "statement: neither a GLN nor a GS1 Company Prefix is given");
    if (s->gln[0] && (rc = check_gln(s->gln, err)))
        return rc;
    if (s->gcp[0] && (rc = check_gcp(s->gcp, s->gln, err)))
        return rc;
    if (s->domain[0] && (rc = check_domain(s->domain, err)))
        return rc;
    return 0;
}

int ledger_stmt_check_author(const ledger_stmt_t *s, const uint8_t author[LEDGER_FEED_LEN],
                             ledger_err_t *err)
{
    int same = memcmp(s->subject, author, LEDGER_FEED_LEN) == 0;
    if (s->kind == LEDGER_STMT_IDENTITY && !same)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "statement: an identity statement names another feed than its own");
    if (s->kind == LEDGER_STMT_ENDORSEMENT && same)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "statement: an endorsement of a feed by itself (a feed cannot "
                              "endorse its own key)");
    return 0;
}

int ledger_stmt_encode(const ledger_stmt_t *s, ledger_buf_t *out, ledger_err_t *err)
{
    int rc;
    if ((rc = ledger_stmt_check(s, err)))
        return rc;
    if (ledger_cbor_put_array(out, 7) || ledger_cbor_put_uint(out, LEDGER_STMT_VERSION) ||
        ledger_cbor_put_uint(out, s->kind) ||
        ledger_cbor_put_bytes(out, s->subject, LEDGER_FEED_LEN) ||
        ledger_cbor_put_text(out, s->name, strlen(s->name)) ||
        ledger_cbor_put_text(out, s->gln, strlen(s->gln)) ||
        ledger_cbor_put_text(out, s->gcp, strlen(s->gcp)) ||
        ledger_cbor_put_text(out, s->domain, strlen(s->domain)))
        return ledger_err_set(err, LEDGER_ENOMEM, "statement: out of memory");
    return 0;
}

/* Reads one text item of at most cap-1 bytes into out. */
static int get_text(ledger_cbor_reader_t *r, const char *what, char *out, size_t cap,
                    ledger_err_t *err)
{
    json_t *v = NULL;
    int rc;
    if ((rc = ledger_cbor_get_json(r, &v, err)))
        return ledger_err_prefix(err, "statement: %s", what);
    if (!json_is_string(v) || json_string_length(v) >= cap ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        json_decref(v);
        return ledger_err_set(err, LEDGER_EINPUT, "statement: %s is not a text of at most %zu bytes",
                              what, cap - 1);
    }
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    json_decref(v);
    return 0;
}

int ledger_stmt_decode(const uint8_t *p, size_t n, ledger_stmt_t *s, ledger_err_t *err)
{
    ledger_cbor_reader_t r;
    const uint8_t *subj;
    size_t len, slen;
    uint64_t version, kind;
    int rc;

    memset(s, 0, sizeof *s);
    ledger_cbor_reader_init(&r, p, n);
    if ((rc = ledger_cbor_get_array(&r, &len, err)))
        return ledger_err_prefix(err, "statement");
    if (len != 7)
        return ledger_err_set(err, LEDGER_EINPUT, "statement: an array of %zu items, not 7", len);
    if ((rc = ledger_cbor_get_uint(&r, &version, err)))
        return ledger_err_prefix(err, "statement: version");
    if (version != LEDGER_STMT_VERSION)
        return ledger_err_set(err, LEDGER_EINPUT, "statement: version %llu (this keten reads 1)",
                              (unsigned long long)version);
    if ((rc = ledger_cbor_get_uint(&r, &kind, err)))
        return ledger_err_prefix(err, "statement: kind");
    if (kind != LEDGER_STMT_IDENTITY && kind != LEDGER_STMT_ENDORSEMENT)
        return ledger_err_set(err, LEDGER_EINPUT, "statement: unknown kind %llu",
                              (unsigned long long)kind);
    s->kind = (unsigned)kind;
    if ((rc = ledger_cbor_get_bytes(&r, &subj, &slen, err)))
        return ledger_err_prefix(err, "statement: subject");
    if (slen != LEDGER_FEED_LEN)
        return ledger_err_set(err, LEDGER_EINPUT, "statement: subject is %zu bytes, not 32", slen);
    memcpy(s->subject, subj, LEDGER_FEED_LEN);
    if ((rc = get_text(&r, "name", s->name, sizeof s->name, err)) ||
        (rc = get_text(&r, "gln", s->gln, sizeof s->gln, err)) ||
        (rc = get_text(&r, "gcp", s->gcp, sizeof s->gcp, err)) ||
        (rc = get_text(&r, "domain", s->domain, sizeof s->domain, err)))
        return rc;
    if (r.off != n)
        return ledger_err_set(err, LEDGER_EINPUT, "statement: %zu bytes after the array",
                              n - r.off);
    return ledger_stmt_check(s, err);
}

int ledger_stmt_from_entry(const ledger_entry_t *e, ledger_stmt_t *s, ledger_err_t *err)
{
    int rc;
    if (e->h.ptype != LEDGER_PT_STATEMENT)
        return ledger_err_set(err, LEDGER_EINPUT, "entry %llu has payload type %u, not a statement",
                              (unsigned long long)e->h.seq, (unsigned)e->h.ptype);
    if (!e->payload)
        return ledger_err_set(err, LEDGER_EINPUT, "entry %llu: a sealed statement",
                              (unsigned long long)e->h.seq);
    if ((rc = ledger_stmt_decode(e->payload, e->plen, s, err)) ||
        (rc = ledger_stmt_check_author(s, e->h.feed, err)))
        return ledger_err_prefix(err, "entry %llu", (unsigned long long)e->h.seq);
    return 0;
}

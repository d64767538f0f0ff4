/* ledger_epcis_garment.c -- the checks of keten's own garment ILMD when an
 * event is recorded (ledger_epcis__check_garment in ledger__epcis.h;
 * the keys are in docs/trace.md, "Garment ILMD keys"). lifecycle reads
 * these members (ledger_trace_report.c); a value it could not read as meant
 * ("30" as a string, 30.5, 0, a composition of 115%) is refused here, with
 * the event and the member named, instead of silently meaning something
 * else later.
 */
#include "ledger__epcis.h"
#include "ledger_epcis.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* keten's garment namespace (LEDGER_NS_GARMENT of ledger_trace_report.h). */
#define GARMENT_NS "https://keten.dev/ns/garment#"

typedef struct gchk {
    const ledger_epcis__where_t *w;
    ledger_err_t *err;
    char path[300]; /* "ilmd.garment:maxWashCycles" */
} gchk_t;

/* The local name of a member name in the garment namespace (the full IRI,
 * a prefix bound to it, or "garment:" unbound), else NULL: the rule of
 * ledger_trace_ilmd, which reads these members. */
static const char *garment_local(const json_t *event, const char *key)
{
    const char *colon = strchr(key, ':'), *ns;
    char pfx[64];
    size_t pl;
    if (strncmp(key, GARMENT_NS, strlen(GARMENT_NS)) == 0)
        return key + strlen(GARMENT_NS);
    if (!colon || (pl = (size_t)(colon - key)) >= sizeof pfx)
        return NULL;
    memcpy(pfx, key, pl);
    pfx[pl] = '\0';
    ns = ledger_epcis_context_ns(event, pfx);
    if ((ns && strcmp(ns, GARMENT_NS) == 0) || (!ns && strcmp(pfx, "garment") == 0))
        return colon + 1;
    return NULL;
}

/* A JSON number, or a message that says what it is instead. */
static int check_number(const gchk_t *c, const char *path, const json_t *v)
{
    char b[200];
    if (json_is_number(v))
        return 0;
    if (json_is_string(v))
        return ledger_epcis__fail_at(c->w, path, c->err,
                                     "%s is a string: write the number as a JSON number, "
                                     "without quotes",
                                     ledger_epcis__quote(json_string_value(v), 96, b, sizeof b));
    return ledger_epcis__fail_at(c->w, path, c->err, "is not a number");
}

/* A percentage: a number from 0 (above 0 unless zero_ok) to 100. */
static int check_percent(const gchk_t *c, const char *path, const json_t *v, int zero_ok)
{
    int rc;
    double d;
    if ((rc = check_number(c, path, v)) < 0)
        return rc;
    d = json_number_value(v);
    if (d < 0 || d > 100 || (!zero_ok && d == 0))
        return ledger_epcis__fail_at(c->w, path, c->err,
                                     "%g is not a percentage: expected a number %s 0 and at "
                                     "most 100",
                                     d, zero_ok ? "of at least" : "above");
    return 0;
}

/* The sum of every "N%" in a text (N a decimal number, spaces before "%"
 * allowed) into *sum; returns how many there were. */
static size_t text_percentages(const char *text, double *sum)
{
    size_t n = 0;
    const char *p = text;
    *sum = 0;
    while (*p) {
        char *end;
        double d;
        if (!isdigit((unsigned char)*p) ||
            (p > text && (isdigit((unsigned char)p[-1]) || p[-1] == '.'))) {
            p++;
            continue;
        }
        d = strtod(p, &end);
        for (p = end; *p == ' '; p++)
            ;
        if (*p == '%')
            *sum += d, n++;
    }
    return n;
}

/* garment:fibreComposition: text ("65% polyester, 35% cotton") or an
 * object {fibre: percent}; the percentages add up to 100 (within 0.5, for
 * rounding as in 33.3 + 33.3 + 33.4). A text without any is words only. */
static int check_composition(const gchk_t *c, const json_t *v)
{
    double sum = 0;
    size_t n = 0;
    int rc;
    if (json_is_string(v)) {
        if ((n = text_percentages(json_string_value(v), &sum)) == 0)
            return 0;
    } else if (json_is_object(v)) {
        const char *k;
        const json_t *m;
        json_object_foreach((json_t *)v, k, m)
        {
            char sub[400];
            snprintf(sub, sizeof sub, "%s.%.80s", c->path, k);
            if ((rc = check_percent(c, sub, m, 0)) < 0)
                return rc;
            sum += json_number_value(m);
            n++;
        }
    } else {
        return ledger_epcis__fail_at(c->w, c->path, c->err,
                                     "expected a text such as \"65%% polyester, 35%% cotton\" "
                                     "or an object such as {\"polyester\": 65, \"cotton\": 35}");
    }
    if (n == 0 || sum < 99.5 || sum > 100.5)
        return ledger_epcis__fail_at(c->w, c->path, c->err,
                                     "adds up to %g%%: the fibres of a composition add up to "
                                     "100%%",
                                     sum);
    return 0;
}

/* One member of the garment namespace, named by c->path. */
static int check_member(const gchk_t *c, const char *local, const json_t *v)
{
    int rc;
    double d;
    if (strcmp(local, "maxWashCycles") == 0) {
        if ((rc = check_number(c, c->path, v)) < 0)
            return rc;
        d = json_number_value(v);
        if (d < 1 || d > 1000000 || d != (double)(long long)d)
            return ledger_epcis__fail_at(c->w, c->path, c->err,
                                         "%g is not a number of wash cycles: the rated maximum "
                                         "is a whole number from 1 to 1000000, e.g. 30",
                                         d);
        return 0;
    }
    if (strcmp(local, "recycledContent") == 0)
        return check_percent(c, c->path, v, 1);
    if (strcmp(local, "fibreComposition") == 0)
        return check_composition(c, v);
    if ((strcmp(local, "madeIn") == 0 || strcmp(local, "manufacturer") == 0) &&
        !json_is_string(v))
        return ledger_epcis__fail_at(c->w, c->path, c->err, "is not a string");
    return 0;
}

int ledger_epcis__check_garment(const json_t *event, const ledger_epcis__where_t *w,
                                ledger_err_t *err)
{
    const json_t *objs[2] = {json_object_get(event, "ilmd"), event};
    gchk_t c = {w, err, ""};
    for (size_t i = 0; i < 2; i++) {
        const char *key, *local;
        const json_t *v;
        int rc;
        if (!json_is_object(objs[i]))
            continue;
        json_object_foreach((json_t *)objs[i], key, v)
        {
            if (!(local = garment_local(event, key)))
                continue;
            snprintf(c.path, sizeof c.path, "%s%.200s", i == 0 ? "ilmd." : "", key);
            if ((rc = check_member(&c, local, v)) < 0)
                return rc;
        }
    }
    return 0;
}

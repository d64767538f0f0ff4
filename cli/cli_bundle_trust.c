/* cli_bundle_trust.c -- the partners' keys in `keten bundle verify` (see
 * cli_bundle_trust.h).
 *
 * How it works.  ledger_bundle_verify has checked every statement entry,
 * endorsement and cosignature the bundle carries (version 3) and put them
 * in the story: partners with "identity" and "endorsedBy", proof-form
 * feeds with "witnesses".  This file only judges them against what the
 * buyer knows: the keys of the trust file.  Nothing here checks a
 * signature; it never counts a claim the verifier has not checked,
 * because the story holds only checked ones. */
#include "cli_bundle_trust.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "cli_partner.h"
#include "ledger_entry.h"

int cli_trust_load(const char *path, cli_trust_t *t)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    unsigned lineno = 0;
    memset(t, 0, sizeof *t);
    if (!f) {
        fprintf(stderr, "keten bundle verify: cannot read the trust file %s\n", path);
        return CLI_EXIT_ENV;
    }
    while (fgets(line, sizeof line, f)) {
        char *p = line, *label;
        size_t n;
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '#')
            continue;
        n = strspn(p, "0123456789abcdef");
        if (n != 64 || (p[64] && p[64] != ' ' && p[64] != '\t')) {
            fprintf(stderr,
                    "keten bundle verify: %s line %u: not \"FEED-ID [label]\" (a feed ID is 64 "
                    "lower-case hex digits: keten id)\n",
                    path, lineno);
            fclose(f);
            cli_trust_free(t);
            return CLI_EXIT_INPUT;
        }
        label = p + 64;
        while (*label == ' ' || *label == '\t')
            label++;
        uint8_t(*k)[32] = realloc(t->keys, (t->n + 1) * sizeof *k);
        char **l = k ? realloc(t->labels, (t->n + 1) * sizeof *l) : NULL;
        if (k)
            t->keys = k;
        if (l)
            t->labels = l;
        if (!k || !l || !(t->labels[t->n] = strdup(label))) {
            fclose(f);
            cli_trust_free(t);
            return CLI_EXIT_ENV;
        }
        char hex[65];
        memcpy(hex, p, 64);
        hex[64] = 0;
        ledger_unhex(hex, t->keys[t->n], 32);
        t->n++;
    }
    fclose(f);
    return 0;
}

void cli_trust_free(cli_trust_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->labels[i]);
    free(t->labels);
    free(t->keys);
    memset(t, 0, sizeof *t);
}

static const char *known(const cli_trust_t *t, const char *hex)
{
    uint8_t k[32];
    if (!t || !hex || ledger_unhex(hex, k, 32))
        return NULL;
    for (size_t i = 0; i < t->n; i++)
        if (!memcmp(t->keys[i], k, 32))
            return t->labels[i];
    return NULL;
}

static json_t *partner_of(const json_t *story, const char *hex)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(story, "partners"), i, p)
    {
        const char *f = json_string_value(json_object_get(p, "feed"));
        if (f && hex && !strcmp(f, hex))
            return p;
    }
    return NULL;
}

/* In t, or endorsed (agreeing) by a key in t: the endorsers in t go to by. */
static int vouched(const json_t *story, const cli_trust_t *t, const char *hex, json_t *by)
{
    const json_t *p = partner_of(story, hex), *e;
    size_t i;
    int yes = known(t, hex) != NULL;
    json_array_foreach(json_object_get(p, "endorsedBy"), i, e)
    {
        const char *ef = json_string_value(json_object_get(e, "feed"));
        if (json_is_true(json_object_get(e, "agrees")) && known(t, ef)) {
            yes = 1;
            if (by)
                json_array_append_new(by, json_string(ef));
        }
    }
    return yes;
}

size_t cli_trust_eval(json_t *story, const cli_trust_t *t, long require)
{
    json_t *fails = json_array(), *f;
    size_t i, nfail;
    /* a version 1 or 2 bundle without demands keeps its story as other
     * verifiers tell it (tests/e2e/bundle_js.sh, bundle_python.sh) */
    if (!t && require <= 0 && json_integer_value(json_object_get(story, "bundle")) < 3) {
        json_decref(fails);
        return 0;
    }
    json_array_foreach(json_object_get(story, "feeds"), i, f)
    {
        const char *hex = json_string_value(json_object_get(f, "feed"));
        const char *name = json_string_value(json_object_get(f, "name"));
        json_t *by = json_array(), *wits = json_array(), *w;
        size_t k, other = 0;
        int v = vouched(story, t, hex, by);
        json_array_foreach(json_object_get(f, "witnesses"), k, w)
        {
            const char *wh = json_string_value(json_object_get(w, "witness"));
            int counts = wh && hex && strcmp(wh, hex) &&
                         (t ? (known(t, wh) || (partner_of(story, wh) && vouched(story, t, wh, NULL)))
                            : partner_of(story, wh) != NULL);
            if (counts)
                json_array_append_new(wits, json_string(wh));
            else
                other++;
        }
        char msg[400];
        if (t && !v) {
            snprintf(msg, sizeof msg,
                     "%s (%.16s…): its key is not in the trust file and no key in it endorses it",
                     name && *name ? name : "(no name)", hex);
            json_array_append_new(fails, json_string(msg));
        }
        if (require > 0 && (long)json_array_size(wits) < require) {
            snprintf(msg, sizeof msg,
                     "%s (%.16s…): its checkpoint is witnessed by %zu of the %ld required%s",
                     name && *name ? name : "(no name)", hex, json_array_size(wits), require,
                     other ? " (other cosignatures are by keys not vouched for)" : "");
            json_array_append_new(fails, json_string(msg));
        }
        json_object_set_new(f, "trust",
                            json_pack("{s:o, s:b, s:o, s:o, s:I}", "known",
                                      known(t, hex) ? json_string(known(t, hex)) : json_null(),
                                      "vouched", v, "vouchedBy", by, "witnesses", wits,
                                      "otherWitnesses", (json_int_t)other));
    }
    nfail = json_array_size(fails);
    if (t || require > 0)
        json_object_set_new(story, "demands",
                            json_pack("{s:b, s:I, s:b, s:o}", "trust", t != NULL,
                                      "requireWitnesses", (json_int_t)(require > 0 ? require : 0),
                                      "met", nfail == 0, "failures", fails));
    else
        json_decref(fails);
    return nfail;
}

void cli_trust_print_feed(const json_t *f)
{
    const json_t *tr = json_object_get(f, "trust"), *id = json_object_get(f, "identity"), *e;
    size_t i;
    if (json_is_object(id)) {
        printf("  %-24s states: %s", "", json_string_value(json_object_get(id, "name")));
        cli_partner_print_fields(id);
        printf("\n");
    }
    json_array_foreach(json_object_get(f, "endorsedBy"), i, e)
    {
        const char *n = json_string_value(json_object_get(e, "name"));
        printf("  %-24s endorsed by %s (%.16s…)%s\n", "", n ? n : "(no stated name)",
               json_string_value(json_object_get(e, "feed")),
               json_is_true(json_object_get(e, "agrees")) ? "" : ", NOT matching its statement");
    }
    json_array_foreach(json_object_get(f, "witnesses"), i, e)
        printf("  %-24s witnessed by %.16s… at %s\n", "",
               json_string_value(json_object_get(e, "witness")),
               json_string_value(json_object_get(e, "timeText")));
    if (json_string_value(json_object_get(tr, "known")))
        printf("  %-24s in your trust file as %s\n", "",
               json_string_value(json_object_get(tr, "known")));
}

/* ledger_cbv.c -- the vocabularies of EPCIS 2.0 event values (contract:
 * ledger_cbv.h).
 *
 * How it works: each vocabulary is a sorted table of its bare words, looked
 * up by bsearch, with the two prefixes of its CBV forms (the term prefix in
 * the CBV namespace, "BizStep-", and the EPCIS 1.x URN prefix). A value with
 * a ":" is first matched against the CBV namespace forms to find which
 * vocabulary it claims and its word. Misspellings are only looked for when a
 * value is wrong: the same word in another case, else a word at most two
 * edits away (Levenshtein distance, ignoring case).
 */
#include "ledger_cbv.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The word lists: ledger__cbv_words.h. */
#include "ledger__cbv_words.h"

/* A vocabulary: its bare words, and for the CBV ones the term prefix in the
 * CBV namespace (https://ref.gs1.org/cbv/BizStep-shipping, compacted
 * cbv:BizStep-shipping) and the EPCIS 1.x URN prefix. */
struct ledger_cbv_vocab {
    const char *what; /* "business step", for messages */
    const char *web;  /* "BizStep-", NULL: not a CBV vocabulary */
    const char *urn;  /* "urn:epcglobal:cbv:bizstep:", or NULL */
    const char *const *words;
    size_t n;
};

#define NWORDS(a) (sizeof(a) / sizeof((a)[0]))
const ledger_cbv_vocab_t ledger_cbv_bizstep = {"business step", "BizStep-",
                                               "urn:epcglobal:cbv:bizstep:", bizstep_words,
                                               NWORDS(bizstep_words)};
const ledger_cbv_vocab_t ledger_cbv_disp = {
    "disposition", "Disp-", "urn:epcglobal:cbv:disp:", disp_words, NWORDS(disp_words)};
const ledger_cbv_vocab_t ledger_cbv_btt = {"business transaction type", "BTT-",
                                           "urn:epcglobal:cbv:btt:", btt_words, NWORDS(btt_words)};
const ledger_cbv_vocab_t ledger_cbv_sdt = {"source/destination type", "SDT-",
                                           "urn:epcglobal:cbv:sdt:", sdt_words, NWORDS(sdt_words)};
const ledger_cbv_vocab_t ledger_cbv_er = {"error reason", "ER-", "urn:epcglobal:cbv:er:", er_words,
                                          NWORDS(er_words)};
const ledger_cbv_vocab_t ledger_cbv_comp = {
    "sensor component", "Comp-", "urn:epcglobal:cbv:comp:", comp_words, NWORDS(comp_words)};
const ledger_cbv_vocab_t ledger_cbv_mt = {"measurement type", NULL, NULL, mt_words,
                                          NWORDS(mt_words)};
const ledger_cbv_vocab_t ledger_cbv_alert = {"sensor alert type", NULL, NULL, alert_words,
                                             NWORDS(alert_words)};

static const ledger_cbv_vocab_t *const cbv_vocabs[] = {
    &ledger_cbv_bizstep, &ledger_cbv_disp, &ledger_cbv_btt,
    &ledger_cbv_sdt,     &ledger_cbv_er,   &ledger_cbv_comp,
};

static int cmp_word(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(const char *const *)elem);
}

static const char *vocab_find(const ledger_cbv_vocab_t *v, const char *word)
{
    const char *const *w = bsearch(word, v->words, v->n, sizeof v->words[0], cmp_word);
    return w ? *w : NULL;
}

/* The term after the CBV namespace ("BizStep-shipping"), or NULL. */
static const char *cbv_term(const char *s)
{
    if (strncmp(s, "cbv:", 4) == 0)
        return s + 4;
    if (strncmp(s, "https://ref.gs1.org/cbv/", 24) == 0)
        return s + 24;
    if (strncmp(s, "http://ref.gs1.org/cbv/", 23) == 0)
        return s + 23;
    return NULL;
}

/* Which CBV vocabulary a namespaced value claims to be from, and its word. */
static const ledger_cbv_vocab_t *cbv_claim(const char *s, const char **word)
{
    const char *term = cbv_term(s);
    size_t i, l;

    for (i = 0; i < NWORDS(cbv_vocabs); i++) {
        const ledger_cbv_vocab_t *v = cbv_vocabs[i];
        if (term) {
            l = strlen(v->web);
            if (strncmp(term, v->web, l) == 0) {
                *word = term + l;
                return v;
            }
        } else if (v->urn) {
            l = strlen(v->urn);
            if (strncmp(s, v->urn, l) == 0) {
                *word = s + l;
                return v;
            }
        }
    }
    return NULL;
}

void ledger_cbv_short(const char *value, char *out, size_t len)
{
    const char *word = NULL;

    if (!out || len == 0)
        return;
    if (!value)
        value = "";
    if (strchr(value, ':') && cbv_claim(value, &word) && *word)
        value = word;
    snprintf(out, len, "%s", value);
}

/* ---- misspellings, for "did you mean" ---- */

/* 1 when a and b are at most 2 edits apart, ignoring case (for "did you mean"). */
static int near_word(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i, j;
    int row[48], prev, cur;

    if (la >= 48 || lb >= 48 || (la > lb ? la - lb : lb - la) > 2)
        return 0;
    for (j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (i = 1; i <= la; i++) {
        prev = row[0];
        row[0] = (int)i;
        for (j = 1; j <= lb; j++) {
            int sub = prev + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            cur = row[j];
            row[j] = sub;
            if (row[j - 1] + 1 < row[j])
                row[j] = row[j - 1] + 1;
            if (cur + 1 < row[j])
                row[j] = cur + 1;
            prev = cur;
        }
    }
    return row[lb] <= 2;
}

/* A word of v that word is probably a misspelling of, or NULL. */
static const char *case_match(const ledger_cbv_vocab_t *v, const char *word)
{
    size_t i;
    for (i = 0; i < v->n; i++)
        if (strcasecmp(v->words[i], word) == 0)
            return v->words[i];
    for (i = 0; i < v->n; i++)
        if (near_word(v->words[i], word))
            return v->words[i];
    return NULL;
}

__attribute__((format(printf, 3, 4))) static int say(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;

    if (why && len) {
        va_start(ap, fmt);
        vsnprintf(why, len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int ledger_cbv_check(const ledger_cbv_vocab_t *voc, const char *str, char *why, size_t len)
{
    const char *word = NULL, *hint;
    const ledger_cbv_vocab_t *claim;
    size_t i;

    if (!voc || !str)
        return say(why, len, "is not a vocabulary value");
    if (!strchr(str, ':')) {
        if (vocab_find(voc, str))
            return 0;
        if ((hint = case_match(voc, str)))
            return say(why, len, "is not a %s: did you mean \"%s\"?", voc->what, hint);
        for (i = 0; i < NWORDS(cbv_vocabs); i++)
            if (cbv_vocabs[i] != voc && vocab_find(cbv_vocabs[i], str))
                return say(why, len, "is a CBV %s, not a %s", cbv_vocabs[i]->what, voc->what);
        return say(why, len,
                   "is not a %s of the %s vocabulary: use one of its words (e.g. \"%s\") or a full "
                   "URI of your own vocabulary (e.g. \"https://example.com/voc/%.40s\")",
                   voc->what, voc->web ? "CBV" : "GS1", voc->words[0], str);
    }
    if (voc->web && (claim = cbv_claim(str, &word))) {
        if (claim != voc)
            return say(why, len, "is a CBV %s, not a %s", claim->what, voc->what);
        if (!vocab_find(voc, word)) {
            if ((hint = case_match(voc, word)))
                return say(why, len, "is not a CBV %s: did you mean \"%s\"?", voc->what, hint);
            return say(why, len, "is not a CBV %s: CBV 2.0 has no %s \"%.60s\"", voc->what,
                       voc->what, word);
        }
        return 0;
    }
    if (voc->web && (cbv_term(str) || strncmp(str, "urn:epcglobal:cbv:", 18) == 0))
        return say(why, len,
                   "is not a CBV %s: no such term in the CBV namespace (a %s there looks like "
                   "\"cbv:%s%s\" or \"%s%s\")",
                   voc->what, voc->what, voc->web, voc->words[0], voc->urn, voc->words[0]);
    return 1;
}

/* gs1_gcp.c -- the GS1 Company Prefix length table (see gs1_gcp.h).
 *
 * How it works: a small forgiving XML scanner walks the file tag by tag
 * (skipping the declaration, comments, CDATA and DOCTYPE), finds the
 * <GCPPrefixFormatList> root (any namespace prefix) and every <entry> in
 * it, and packs each entry into one 64-bit word: prefix length (4 bits),
 * prefix value (40 bits: 12 digits fit), gcpLength (4 bits), in that order,
 * so that one qsort orders the entries by (length, value) and a lookup is a
 * binary search per prefix length present in the table, longest first.
 */
#include "gs1_gcp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct gs1_gcp {
    uint64_t *e; /* packed entries, sorted */
    size_t n;
    unsigned lens; /* bit L set: some prefix has L digits */
    char date[64];
};

#define PACK(len, val) ((((uint64_t)(len) << 40) | (uint64_t)(val)) << 4)

/* ---- the XML scanner ---------------------------------------------------------- */

typedef struct {
    const char *start, *p, *end;
    uint64_t *e;
    size_t n, cap;
    int root; /* seen the root element */
    char date[64];
} scan_t;

static int line_of(const scan_t *s, const char *at)
{
    int line = 1;
    for (const char *q = s->start; q < at && q < s->end; q++)
        line += *q == '\n';
    return line;
}

static int is_ws(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Finds the string lit from p on; NULL if absent. */
static const char *find(const char *p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    for (; p + n <= end; p++)
        if (*p == lit[0] && memcmp(p, lit, n) == 0)
            return p;
    return NULL;
}

static int local_is(const char *name, size_t n, const char *want)
{
    const char *colon = memchr(name, ':', n);
    if (colon) {
        n -= (size_t)(colon + 1 - name);
        name = colon + 1;
    }
    return strlen(want) == n && memcmp(name, want, n) == 0;
}

static int add_entry(scan_t *s, const char *at, const char *pre, size_t pn, const char *len,
                     size_t ln, gs1_err_t *err)
{
    uint64_t v = 0;
    unsigned g = 0;

    if (!pre || !len)
        return gs1_err_set(err, GS1_EINPUT,
                           "GCP length table line %d: <entry> needs prefix and gcpLength",
                           line_of(s, at));
    if (pn < 1 || pn > 12)
        return gs1_err_set(err, GS1_EINPUT,
                           "GCP length table line %d: prefix \"%.*s\" must be 1 to 12 digits",
                           line_of(s, at), (int)(pn > 20 ? 20 : pn), pre);
    for (size_t i = 0; i < pn; i++) {
        if (pre[i] < '0' || pre[i] > '9')
            return gs1_err_set(err, GS1_EINPUT,
                               "GCP length table line %d: prefix \"%.*s\" must be digits",
                               line_of(s, at), (int)(pn > 20 ? 20 : pn), pre);
        v = v * 10 + (uint64_t)(pre[i] - '0');
    }
    for (size_t i = 0; i < ln && ln <= 2; i++) {
        if (len[i] < '0' || len[i] > '9')
            ln = 99;
        else
            g = g * 10 + (unsigned)(len[i] - '0');
    }
    if (ln < 1 || ln > 2 || g > 12)
        return gs1_err_set(err, GS1_EINPUT,
                           "GCP length table line %d: gcpLength \"%.*s\" must be 0 to 12",
                           line_of(s, at), (int)(ln > 20 ? 20 : ln), len);
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint64_t *e = realloc(s->e, cap * sizeof *e);
        if (!e)
            return gs1_err_set(err, GS1_ENOMEM, "out of memory loading the GCP table");
        s->e = e;
        s->cap = cap;
    }
    s->e[s->n++] = PACK(pn, v) | g;
    return 0;
}

/* Parses one start tag at s->p (just after '<'). */
static int start_tag(scan_t *s, gs1_err_t *err)
{
    const char *at = s->p - 1, *name = s->p, *p = s->p, *end = s->end;
    const char *pre = NULL, *len = NULL, *date = NULL;
    size_t nn, pn = 0, ln = 0, dn = 0;
    int is_root, is_entry;

    while (p < end && !is_ws((unsigned char)*p) && *p != '/' && *p != '>')
        p++;
    nn = (size_t)(p - name);
    if (nn == 0)
        return gs1_err_set(err, GS1_EINPUT, "GCP length table line %d: malformed tag",
                           line_of(s, at));
    is_root = local_is(name, nn, "GCPPrefixFormatList");
    is_entry = local_is(name, nn, "entry");
    for (;;) {
        const char *an, *av;
        size_t anl, avl;
        char q;

        while (p < end && is_ws((unsigned char)*p))
            p++;
        if (p >= end)
            return gs1_err_set(err, GS1_EINPUT,
                               "GCP length table line %d: the file ends inside a tag",
                               line_of(s, at));
        if (*p == '>' || (*p == '/' && p + 1 < end && p[1] == '>')) {
            p += *p == '>' ? 1 : 2;
            break;
        }
        an = p;
        while (p < end && !is_ws((unsigned char)*p) && *p != '=' && *p != '>' && *p != '/')
            p++;
        anl = (size_t)(p - an);
        while (p < end && is_ws((unsigned char)*p))
            p++;
        if (anl == 0 || p >= end || *p != '=')
            return gs1_err_set(err, GS1_EINPUT, "GCP length table line %d: malformed attribute",
                               line_of(s, an));
        p++;
        while (p < end && is_ws((unsigned char)*p))
            p++;
        if (p >= end || (*p != '"' && *p != '\''))
            return gs1_err_set(err, GS1_EINPUT,
                               "GCP length table line %d: attribute value must be quoted",
                               line_of(s, an));
        q = *p++;
        av = p;
        while (p < end && *p != q && *p != '<')
            p++;
        if (p >= end || *p != q)
            return gs1_err_set(err, GS1_EINPUT,
                               "GCP length table line %d: unterminated attribute value",
                               line_of(s, an));
        avl = (size_t)(p - av);
        p++;
        if (local_is(an, anl, "prefix"))
            pre = av, pn = avl;
        else if (local_is(an, anl, "gcpLength"))
            len = av, ln = avl;
        else if (local_is(an, anl, "date"))
            date = av, dn = avl;
    }
    s->p = p;
    if (is_root) {
        s->root = 1;
        if (date) {
            if (dn >= sizeof s->date)
                dn = sizeof s->date - 1;
            memcpy(s->date, date, dn);
            s->date[dn] = 0;
        }
        return 0;
    }
    if (is_entry) {
        if (!s->root)
            return gs1_err_set(err, GS1_EINPUT,
                               "GCP length table line %d: <entry> outside "
                               "<GCPPrefixFormatList>",
                               line_of(s, at));
        return add_entry(s, at, pre, pn, len, ln, err);
    }
    return 0; /* another element: ignored */
}

static int scan(scan_t *s, gs1_err_t *err)
{
    int rc;

    if (s->end - s->p >= 3 && memcmp(s->p, "\xEF\xBB\xBF", 3) == 0)
        s->p += 3;
    for (;;) {
        const char *lt = memchr(s->p, '<', (size_t)(s->end - s->p)), *close;
        const char *skip_to = NULL;
        if (!lt)
            return 0;
        s->p = lt + 1;
        if (s->p < s->end && *s->p == '?')
            skip_to = "?>";
        else if (s->end - s->p >= 3 && memcmp(s->p, "!--", 3) == 0)
            skip_to = "-->";
        else if (s->end - s->p >= 8 && memcmp(s->p, "![CDATA[", 8) == 0)
            skip_to = "]]>";
        else if (s->p < s->end && (*s->p == '!' || *s->p == '/'))
            skip_to = ">";
        if (skip_to) {
            close = find(s->p, s->end, skip_to);
            if (!close)
                return gs1_err_set(
                    err, GS1_EINPUT, "GCP length table line %d: the file ends inside <%.*s",
                    line_of(s, lt), (int)(s->end - s->p < 3 ? s->end - s->p : 3), s->p);
            s->p = close + strlen(skip_to);
            continue;
        }
        if ((rc = start_tag(s, err)) < 0)
            return rc;
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int gs1_gcp_parse(const char *xml, size_t len, gs1_gcp_t **out, gs1_err_t *err)
{
    scan_t s;
    gs1_gcp_t *t = NULL;
    size_t w = 0;
    int rc;

    if (!out)
        return gs1_err_set(err, GS1_EINVAL, "gs1_gcp_parse: out is NULL");
    *out = NULL;
    if (!xml && len)
        return gs1_err_set(err, GS1_EINVAL, "gs1_gcp_parse: xml is NULL");
    memset(&s, 0, sizeof s);
    s.start = s.p = xml ? xml : "";
    s.end = s.start + len;
    if ((rc = scan(&s, err)) < 0)
        goto fail;
    if (!s.root) {
        rc = gs1_err_set(err, GS1_EINPUT,
                         "not a GS1 GCP length table: no <GCPPrefixFormatList> element");
        goto fail;
    }
    if (s.n == 0) {
        rc = gs1_err_set(err, GS1_EINPUT, "GCP length table has no <entry> elements");
        goto fail;
    }
    qsort(s.e, s.n, sizeof *s.e, cmp_u64);
    for (size_t i = 0; i < s.n; i++) {
        if (w && s.e[w - 1] >> 4 == s.e[i] >> 4) {
            if (s.e[w - 1] != s.e[i]) {
                unsigned pl = (unsigned)(s.e[i] >> 44);
                unsigned long long v = (unsigned long long)((s.e[i] >> 4) & ((1ULL << 40) - 1));
                rc = gs1_err_set(err, GS1_EINPUT,
                                 "GCP length table lists prefix %0*llu twice with different "
                                 "lengths (%u and %u)",
                                 (int)pl, v, (unsigned)(s.e[w - 1] & 15), (unsigned)(s.e[i] & 15));
                goto fail;
            }
            continue; /* an exact duplicate */
        }
        s.e[w++] = s.e[i];
    }
    if (!(t = calloc(1, sizeof *t))) {
        rc = gs1_err_set(err, GS1_ENOMEM, "out of memory loading the GCP table");
        goto fail;
    }
    t->e = s.e;
    t->n = w;
    for (size_t i = 0; i < w; i++)
        t->lens |= 1u << (unsigned)(s.e[i] >> 44);
    memcpy(t->date, s.date, sizeof t->date);
    *out = t;
    return 0;
fail:
    free(s.e);
    return rc;
}

int gs1_gcp_load(const char *path, gs1_gcp_t **out, gs1_err_t *err)
{
    struct stat st;
    char *buf = NULL;
    size_t got = 0;
    int fd, rc;

    if (!out)
        return gs1_err_set(err, GS1_EINVAL, "gs1_gcp_load: out is NULL");
    *out = NULL;
    if (!path)
        return gs1_err_set(err, GS1_EINVAL, "gs1_gcp_load: path is NULL");
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return gs1_err_set(err, GS1_EIO, "cannot open GCP length table %s: %s", path,
                           strerror(errno));
    if (fstat(fd, &st) < 0) {
        rc = gs1_err_set(err, GS1_EIO, "cannot stat %s: %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = gs1_err_set(err, GS1_EIO, "GCP length table %s is not a regular file", path);
        goto fail;
    }
    if ((uint64_t)st.st_size > GS1_GCP_FILE_MAX) {
        rc = gs1_err_set(err, GS1_ETOOBIG, "GCP length table %s is larger than %u bytes", path,
                         GS1_GCP_FILE_MAX);
        goto fail;
    }
    if (!(buf = malloc((size_t)st.st_size + 1))) {
        rc = gs1_err_set(err, GS1_ENOMEM, "out of memory reading %s", path);
        goto fail;
    }
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = gs1_err_set(err, GS1_EIO, "cannot read %s: %s", path, strerror(errno));
            goto fail;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    if ((rc = gs1_gcp_parse(buf, got, out, err)) < 0) {
        gs1_err_prefix(err, "%s", path);
        goto fail;
    }
    free(buf);
    close(fd);
    return 0;
fail:
    free(buf);
    close(fd);
    return rc;
}

void gs1_gcp_free(gs1_gcp_t *t)
{
    if (t) {
        free(t->e);
        free(t);
    }
}

size_t gs1_gcp_count(const gs1_gcp_t *t)
{
    return t->n;
}

const char *gs1_gcp_date(const gs1_gcp_t *t)
{
    return t->date;
}

int gs1_gcp_prefix_length(const gs1_gcp_t *t, const char *digits, size_t len, gs1_err_t *err)
{
    size_t nd = 0;
    uint64_t val[13];

    val[0] = 0;
    while (nd < len && nd < 12 && digits[nd] >= '0' && digits[nd] <= '9') {
        val[nd + 1] = val[nd] * 10 + (uint64_t)(digits[nd] - '0');
        nd++;
    }
    for (size_t l = nd; l >= 1; l--) {
        uint64_t k;
        size_t lo = 0, hi = t->n;
        if (!(t->lens & (1u << l)))
            continue;
        k = PACK(l, val[l]);
        while (lo < hi) { /* first entry >= k */
            size_t mid = lo + (hi - lo) / 2;
            if (t->e[mid] < k)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < t->n && t->e[lo] >> 4 == k >> 4) {
            int g = (int)(t->e[lo] & 15);
            if (g == 0)
                return gs1_err_set(err, GS1_ENOTFOUND,
                                   "prefix %.*s has no GS1 Company Prefix (gcpLength 0 in the "
                                   "GCP length table: restricted circulation or unassigned)",
                                   (int)l, digits);
            return g;
        }
    }
    return gs1_err_set(err, GS1_ENOTFOUND,
                       "no entry of the GCP length table matches %.*s: the GS1 Company Prefix "
                       "length is unknown",
                       (int)nd, digits);
}

int gs1_gcp_key_length(const gs1_gcp_t *t, const char *ai, const char *value, gs1_err_t *err)
{
    static const char *const POS2[] = {"00", "01", "02", "03", "8003", "8006", "8026"};
    static const char *const POS1[] = {"253",  "255",  "401",  "402",  "410", "411",  "412",
                                       "413",  "414",  "415",  "416",  "417", "7023", "8004",
                                       "8010", "8013", "8014", "8017", "8018"};
    size_t skip = 99, n;

    if (!ai || !value)
        return gs1_err_set(err, GS1_EINVAL, "gs1_gcp_key_length: NULL argument");
    for (size_t i = 0; i < sizeof POS2 / sizeof *POS2; i++)
        if (!strcmp(ai, POS2[i]))
            skip = 1;
    for (size_t i = 0; i < sizeof POS1 / sizeof *POS1; i++)
        if (!strcmp(ai, POS1[i]))
            skip = 0;
    if (skip == 99)
        return gs1_err_set(err, GS1_EINVAL, "AI (%.8s) carries no GS1 Company Prefix", ai);
    n = strlen(value);
    if (n <= skip || value[skip] < '0' || value[skip] > '9')
        return gs1_err_set(err, GS1_EINPUT, "(%s) %.40s holds no GS1 Company Prefix", ai, value);
    return gs1_gcp_prefix_length(t, value + skip, n - skip, err);
}

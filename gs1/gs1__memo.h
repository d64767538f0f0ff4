/* gs1__memo.h -- a small per-thread memo of identifier readings, private
 * to gs1/ (gs1_ident.c, gs1_key.c).
 *
 * Recording events reads the same identifiers again and again: every event
 * of a scan station names its readPoint and bizLocation, a pallet's events
 * name its SSCC, a sensor its deviceID.  The readings (gs1_ident_key,
 * gs1_key_check_uri) are pure functions of the text, so a thread keeps
 * the last results of each in a direct-mapped table keyed by the text: a
 * hit copies the answer instead of parsing.  Only successes are kept (an
 * error needs its message), only short texts and answers (MEMO_IN,
 * MEMO_OUT), and only calls without options.  _Thread_local: no locks,
 * each thread its own table; a table is MEMO_N * ~270 bytes.  gs1_key.c
 * keeps both readings of gs1_key_read (key and event-hash form) in one
 * table of its own with the same sizes and gs1__memo_hash.
 */
#ifndef GS1__MEMO_H
#define GS1__MEMO_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MEMO_N 64
#define MEMO_IN 112
#define MEMO_OUT 160

typedef struct gs1__memo {
    uint32_t h;
    uint16_t inlen, outlen; /* inlen 0: empty slot */
    int rc;
    char in[MEMO_IN];
    char out[MEMO_OUT];
} gs1__memo_t;

static inline uint32_t gs1__memo_hash(const char *s, size_t n)
{
    /* eight bytes at a time (multiply, fold): the texts are 30 to 100
     * bytes and hashed on every reading */
    uint64_t h = 0x9e3779b97f4a7c15u ^ n, w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdu;
        h ^= h >> 32;
    }
    w = 0;
    memcpy(&w, s + i, n - i);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53u;
    return (uint32_t)(h ^ (h >> 29));
}

/* 1 and out / *rc set when the table holds the answer for s[0..n). */
static inline int gs1__memo_get(gs1__memo_t *tab, uint32_t h, const char *s, size_t n, char *out,
                                size_t cap, int *rc)
{
    gs1__memo_t *m = &tab[h % MEMO_N];
    if (n == 0 || n >= MEMO_IN || m->inlen != n || m->h != h || memcmp(m->in, s, n) != 0)
        return 0;
    if (out) {
        if ((size_t)m->outlen + 1 > cap)
            return 0;
        memcpy(out, m->out, (size_t)m->outlen + 1);
    }
    *rc = m->rc;
    return 1;
}

/* Keeps the answer rc (a success) and out (NUL-terminated, or NULL) for
 * s[0..n), when both are short enough. */
static inline void gs1__memo_put(gs1__memo_t *tab, uint32_t h, const char *s, size_t n,
                                 const char *out, int rc)
{
    gs1__memo_t *m = &tab[h % MEMO_N];
    size_t ol = out ? strlen(out) : 0;
    if (n == 0 || n >= MEMO_IN || ol >= MEMO_OUT)
        return;
    m->h = h;
    m->inlen = (uint16_t)n;
    m->outlen = (uint16_t)ol;
    m->rc = rc;
    memcpy(m->in, s, n);
    if (out)
        memcpy(m->out, out, ol + 1);
    else
        m->out[0] = '\0';
}

#endif

/* ledger_note.c -- C2SP signed notes and tlog checkpoints with Ed25519 (see
 * ledger_note.h).
 *
 * How it works.  Signing writes the text, a blank line and one line per
 * signer.  Opening splits the note at its last blank line (as Go's
 * sumdb/note does), checks the text (UTF-8, no control characters but
 * '\n') and every signature line's shape, and checks the signature of each
 * line whose name and key ID are the expected key's; lines of other keys
 * are cosignatures and witnesses, skipped.  base64 is the standard,
 * padded alphabet (libsodium's "original" variant), as C2SP and Go use it.
 */
#include "ledger_note.h"
#include "ledger_sha256.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define SIG_TYPE_ED25519 0x01
#define DASH "\xe2\x80\x94 " /* U+2014 EM DASH, then a space */
#define DASH_LEN 4

void ledger_note_feed_origin(const uint8_t feed[32], char out[LEDGER_NOTE_ORIGIN_LEN])
{
    memcpy(out, "keten/", 6);
    sodium_bin2hex(out + 6, 65, feed, 32);
}

int ledger_note_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > LEDGER_NOTE_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == '+' || c == 0x7f)
            return 0;
    }
    return 1;
}

void ledger_note_key_id_typed(const char *name, size_t n, uint8_t type, const uint8_t pk[32],
                              uint8_t id[4])
{
    uint8_t h[32];
    const uint8_t mid[2] = {'\n', type};
    const ledger_sha256_part_t parts[3] = {{name, n}, {mid, 2}, {pk, 32}};
    ledger_sha256_parts(h, parts, 3);
    memcpy(id, h, 4);
}

void ledger_note_key_id(const char *name, const uint8_t pk[32], uint8_t id[4])
{
    ledger_note_key_id_typed(name, strlen(name), SIG_TYPE_ED25519, pk, id);
}

int ledger_note_vkey_typed(const char *name, uint8_t type, const char *what,
                           const uint8_t pk[32], char *out, size_t cap, ledger_err_t *err)
{
    size_t n = strlen(name);
    uint8_t id[4], key[33];
    char hex[9], b64[64];
    if (!ledger_note_name_ok(name, n))
        return ledger_err_set(err, LEDGER_EINVAL, "%s name \"%s\": not a note name",
                              strcmp(what, "note") == 0 ? "note key" : what, name);
    ledger_note_key_id_typed(name, n, type, pk, id);
    sodium_bin2hex(hex, sizeof hex, id, 4);
    key[0] = type;
    memcpy(key + 1, pk, 32);
    sodium_bin2base64(b64, sizeof b64, key, 33, sodium_base64_VARIANT_ORIGINAL);
    int w = snprintf(out, cap, "%s+%s+%s", name, hex, b64);
    if (w < 0 || (size_t)w >= cap)
        return ledger_err_set(err, LEDGER_ETOOBIG, "%s verifier key: %zu bytes are too few", what,
                              cap);
    return 0;
}

int ledger_note_vkey(const char *name, const uint8_t pk[32], char *out, size_t cap,
                     ledger_err_t *err)
{
    return ledger_note_vkey_typed(name, SIG_TYPE_ED25519, "note", pk, out, cap, err);
}

int ledger_note_vkey_parse(const char *vkey, size_t n, size_t *name_len, uint8_t pk[32],
                           ledger_err_t *err)
{
    const char *p1 = memchr(vkey, '+', n);
    const char *p2 = p1 ? memchr(p1 + 1, '+', n - (size_t)(p1 + 1 - vkey)) : NULL;
    uint8_t id[4], want[4], key[33];
    size_t klen = 0;
    char name[LEDGER_NOTE_NAME_MAX + 1];
    if (!p1 || !p2)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "note verifier key: not name+keyid+key (two '+' needed)");
    size_t nl = (size_t)(p1 - vkey);
    if (!ledger_note_name_ok(vkey, nl))
        return ledger_err_set(err, LEDGER_EINPUT, "note verifier key: bad name");
    if (p2 - p1 - 1 != 8 || sodium_hex2bin(id, 4, p1 + 1, 8, NULL, NULL, NULL) != 0)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "note verifier key: the key ID is not 8 hex digits");
    const char *b = p2 + 1;
    size_t bl = n - (size_t)(b - vkey);
    if (sodium_base642bin(key, sizeof key, b, bl, NULL, &klen, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        klen != 33)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "note verifier key: the key is not base64 of 33 bytes");
    if (key[0] != SIG_TYPE_ED25519)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "note verifier key: signature type %u, not Ed25519 (1)", key[0]);
    memcpy(name, vkey, nl);
    name[nl] = '\0';
    ledger_note_key_id(name, key + 1, want);
    if (memcmp(id, want, 4) != 0)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "note verifier key: key ID %.8s does not match the key", p1 + 1);
    *name_len = nl;
    memcpy(pk, key + 1, 32);
    return 0;
}

/* UTF-8 without control characters other than '\n'; 0 if it is not. */
static int text_ok(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            if (c < 0x20 && c != '\n')
                return 0;
            i++;
            continue;
        }
        size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
        if (len == 0 || c > 0xf4 || i + len > n)
            return 0;
        uint32_t cp = c & (0x7f >> len);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

static int has_blank_line(const char *s, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (s[i] == '\n' && s[i - 1] == '\n')
            return 1;
    return 0;
}

int ledger_note_sign(const char *text, size_t n, const ledger_note_signer_t *signers,
                     size_t nsigners, ledger_buf_t *out, ledger_err_t *err)
{
    if (n == 0 || text[n - 1] != '\n' || !text_ok((const uint8_t *)text, n) ||
        has_blank_line(text, n))
        return ledger_err_set(err, LEDGER_EINPUT,
                              "note text: must be lines of UTF-8 ended by a newline, without "
                              "blank lines or control characters");
    if (nsigners == 0 || nsigners > LEDGER_NOTE_MAX_SIGS)
        return ledger_err_set(err, LEDGER_EINVAL, "note: %zu signers (1 to %d)", nsigners,
                              LEDGER_NOTE_MAX_SIGS);
    int rc;
    if ((rc = ledger_buf_append(out, text, n)) || (rc = ledger_buf_append(out, "\n", 1)))
        return ledger_err_set(err, rc, "note: out of memory");
    for (size_t s = 0; s < nsigners; s++) {
        const ledger_note_signer_t *g = &signers[s];
        size_t nl = strlen(g->name);
        uint8_t blob[4 + 64];
        char b64[100];
        if (!ledger_note_name_ok(g->name, nl))
            return ledger_err_set(err, LEDGER_EINPUT, "note signer \"%s\": not a note name",
                                  g->name);
        ledger_note_key_id(g->name, g->pk, blob);
        g->sign(g->ctx, (const uint8_t *)text, n, blob + 4);
        sodium_bin2base64(b64, sizeof b64, blob, sizeof blob, sodium_base64_VARIANT_ORIGINAL);
        if ((rc = ledger_buf_append(out, DASH, DASH_LEN)) ||
            (rc = ledger_buf_append(out, g->name, nl)) || (rc = ledger_buf_append(out, " ", 1)) ||
            (rc = ledger_buf_append(out, b64, strlen(b64))) ||
            (rc = ledger_buf_append(out, "\n", 1)))
            return ledger_err_set(err, rc, "note: out of memory");
    }
    return 0;
}

/* The offset of the last "\n\n" in p[0..n), or (size_t)-1. */
static size_t last_blank(const char *p, size_t n)
{
    for (size_t i = n - 1; i > 0; i--)
        if (p[i] == '\n' && p[i - 1] == '\n')
            return i - 1;
    return (size_t)-1;
}

int ledger_note_sigs(const char *note, size_t n, size_t *text_len, ledger_note_sig_cb fn,
                     void *ctx, ledger_err_t *err)
{
    if (n > LEDGER_NOTE_MAX)
        return ledger_err_set(err, LEDGER_ETOOBIG, "signed note: %zu bytes, more than %d", n,
                              LEDGER_NOTE_MAX);
    if (n < 2 || note[n - 1] != '\n')
        return ledger_err_set(err, LEDGER_EINPUT, "signed note: does not end with a newline");
    size_t split = last_blank(note, n);
    if (split == (size_t)-1 || split == 0)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "signed note: no text and blank line before the signatures");
    size_t tl = split + 1; /* the text keeps its last '\n' */
    if (!text_ok((const uint8_t *)note, tl))
        return ledger_err_set(err, LEDGER_EINPUT,
                              "signed note: the text is not UTF-8 or has control characters");
    const char *p = note + split + 2, *end = note + n;
    int nsigs = 0, rc;
    if (p >= end)
        return ledger_err_set(err, LEDGER_EINPUT, "signed note: no signature lines");
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        size_t ll = (size_t)(eol - p);
        nsigs++;
        if (nsigs > LEDGER_NOTE_MAX_SIGS)
            return ledger_err_set(err, LEDGER_ETOOBIG, "signed note: more than %d signatures",
                                  LEDGER_NOTE_MAX_SIGS);
        if (ll < DASH_LEN || memcmp(p, DASH, DASH_LEN) != 0)
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "signed note: signature line %d does not start with an em "
                                  "dash and a space",
                                  nsigs);
        const char *nm = p + DASH_LEN;
        const char *sp = memchr(nm, ' ', (size_t)(eol - nm));
        if (!sp || !ledger_note_name_ok(nm, (size_t)(sp - nm)))
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "signed note: signature line %d has no name and signature",
                                  nsigs);
        ledger_note_sig_t sig = {.line = p, .line_len = ll + 1, .name = nm,
                                 .name_len = (size_t)(sp - nm)};
        if (sodium_base642bin(sig.blob, sizeof sig.blob, sp + 1, (size_t)(eol - sp - 1), NULL,
                              &sig.blob_len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
            sig.blob_len < 5)
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "signed note: signature line %d is not base64 of a key ID "
                                  "and a signature",
                                  nsigs);
        if (fn && (rc = fn(&sig, ctx, err)))
            return rc;
        p = eol + 1;
    }
    *text_len = tl;
    return 0;
}

typedef struct open_ctx {
    const char *note, *name;
    size_t nl, tl;
    const uint8_t *pk;
    uint8_t want[4];
    int good;
} open_ctx_t;

static int open_sig(const ledger_note_sig_t *sig, void *ctx, ledger_err_t *err)
{
    open_ctx_t *o = ctx;
    if (sig->name_len == o->nl && memcmp(sig->name, o->name, o->nl) == 0 &&
        memcmp(sig->blob, o->want, 4) == 0) {
        if (sig->blob_len != 68 ||
            crypto_sign_verify_detached(sig->blob + 4, (const uint8_t *)o->note, o->tl, o->pk))
            return ledger_err_set(err, LEDGER_EVERIFY,
                                  "signed note: the signature of %s does not check", o->name);
        o->good = 1;
    }
    return 0;
}

int ledger_note_open(const char *note, size_t n, const char *name, const uint8_t pk[32],
                     size_t *text_len, ledger_err_t *err)
{
    open_ctx_t o = {.note = note, .name = name, .nl = strlen(name), .pk = pk};
    size_t tl;
    int rc;
    /* the text length first (a callback needs it), then the lines */
    if ((rc = ledger_note_sigs(note, n, &tl, NULL, NULL, err)))
        return rc;
    o.tl = tl;
    ledger_note_key_id(name, pk, o.want);
    if ((rc = ledger_note_sigs(note, n, &tl, open_sig, &o, err)))
        return rc;
    if (!o.good)
        return ledger_err_set(err, LEDGER_EVERIFY, "signed note: not signed by the key of %s",
                              name);
    *text_len = tl;
    return 0;
}

uint64_t ledger_checkpoint_size_of(const uint8_t feed[32], const char *note, size_t n)
{
    char origin[LEDGER_NOTE_ORIGIN_LEN];
    ledger_checkpoint_t cp;
    size_t tl;
    ledger_note_feed_origin(feed, origin);
    if (ledger_note_open(note, n, origin, feed, &tl, NULL) ||
        ledger_checkpoint_parse(note, tl, &cp, NULL) || strcmp(cp.origin, origin) != 0)
        return 0;
    return cp.size;
}

int ledger_checkpoint_text(const char *origin, uint64_t size, const ledger_tree_hash_t root,
                           ledger_buf_t *out, ledger_err_t *err)
{
    char line[LEDGER_NOTE_NAME_MAX + 100], b64[64];
    if (!ledger_note_name_ok(origin, strlen(origin)))
        return ledger_err_set(err, LEDGER_EINVAL, "checkpoint origin \"%s\": not a note name",
                              origin);
    sodium_bin2base64(b64, sizeof b64, root, LEDGER_TREE_HASH_LEN, sodium_base64_VARIANT_ORIGINAL);
    int w = snprintf(line, sizeof line, "%s\n%" PRIu64 "\n%s\n", origin, size, b64);
    int rc = ledger_buf_append(out, line, (size_t)w);
    return rc ? ledger_err_set(err, rc, "checkpoint: out of memory") : 0;
}

int ledger_checkpoint_parse(const char *text, size_t n, ledger_checkpoint_t *cp, ledger_err_t *err)
{
    const char *p = text, *end = text + n, *eol[3];
    memset(cp, 0, sizeof *cp);
    for (int i = 0; i < 3; i++) {
        eol[i] = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        if (!eol[i])
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "checkpoint: %d lines, not the three of origin, size and root",
                                  i);
        p = eol[i] + 1;
    }
    size_t ol = (size_t)(eol[0] - text);
    if (ol == 0 || ol > LEDGER_NOTE_NAME_MAX)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "checkpoint line 1: the origin is empty or longer than %d bytes",
                              LEDGER_NOTE_NAME_MAX);
    memcpy(cp->origin, text, ol);
    cp->origin[ol] = '\0';
    const char *s = eol[0] + 1;
    size_t sl = (size_t)(eol[1] - s);
    if (sl == 0 || sl > 19 || (s[0] == '0' && sl > 1))
        return ledger_err_set(err, LEDGER_EINPUT,
                              "checkpoint line 2: the tree size is not a decimal number without "
                              "leading zeros");
    uint64_t v = 0;
    for (size_t i = 0; i < sl; i++) {
        if (s[i] < '0' || s[i] > '9')
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "checkpoint line 2: the tree size has a non-digit");
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v >> 63)
        return ledger_err_set(err, LEDGER_EINPUT, "checkpoint line 2: the tree size is too big");
    cp->size = v;
    const char *r = eol[1] + 1;
    size_t bl = 0;
    if (sodium_base642bin(cp->root, sizeof cp->root, r, (size_t)(eol[2] - r), NULL, &bl, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        bl != LEDGER_TREE_HASH_LEN)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "checkpoint line 3: the root is not base64 of 32 bytes");
    if (p < end) {
        for (const char *q = p; q < end;) {
            const char *e = memchr(q, '\n', (size_t)(end - q));
            if (!e || e == q)
                return ledger_err_set(err, LEDGER_EINPUT,
                                      "checkpoint: an extension line is empty or not ended");
            q = e + 1;
        }
        cp->ext_off = (size_t)(p - text);
        cp->ext_len = (size_t)(end - p);
    }
    return 0;
}

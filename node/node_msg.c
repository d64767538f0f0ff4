/* node_msg.c -- encoders and strict decoders of the node messages (see
 * node_msg.h; docs/protocol.md is the normative description).
 *
 * Decoding checks the whole layout up front (lengths, counts, every record
 * of HEADS, NAMES and ENTRIES, the text fields) so that the walkers
 * (node_msg_head, node_msg_name_next, node_msg_entry_next) can trust it.
 * The encoders apply the same rules, so we never send what a peer would
 * refuse.  Each encoder reserves its whole size before it writes, so on
 * failure `out` is unchanged.
 *
 * Text (HELLO name, BYE reason, NAMES names) must be valid UTF-8 (shortest
 * form, no surrogates, at most U+10FFFF) without control characters (C0,
 * DEL, C1): names and reasons end up in logs and on terminals.  Decoders
 * refuse other text; encoders clean it (clean_text) so that a local name
 * with a stray byte never stops a session.
 */
#include "node_msg.h"

#include <string.h>

static const char *const type_names[] = {"?",    "HELLO", "HEADS", "WANT", "ENTRIES",
                                         "PING", "PONG",  "BYE",   "NAMES", "CHECKPOINT"};

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* Length of the character at s (n bytes left) when it is valid UTF-8 and
 * not a control character, else 0. */
static size_t char_len(const uint8_t *s, size_t n)
{
    uint32_t c;
    size_t len, i;

    if (s[0] < 0x80)
        return s[0] >= 0x20 && s[0] != 0x7f ? 1 : 0;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2, c = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        len = 3, c = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        len = 4, c = s[0] & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3f);
    }
    if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
        (c >= 0xd800 && c <= 0xdfff) || (c >= 0x80 && c <= 0x9f))
        return 0;
    return len;
}

static int text_ok(const uint8_t *s, size_t n)
{
    size_t i = 0, l;
    while (i < n) {
        if (!(l = char_len(s + i, n - i)))
            return 0;
        i += l;
    }
    return 1;
}

static int bad(ledger_err_t *err, int type, const char *what)
{
    return ledger_err_set(err, LEDGER_EINPUT, "%s message: %s", type_names[type], what);
}

static int dec_heads(const uint8_t *p, size_t len, node_msg_t *m, ledger_err_t *err)
{
    static const uint8_t zero[32];
    const uint8_t *r;
    if (len < 5)
        return bad(err, NODE_MSG_HEADS, "shorter than its count");
    m->n = get32(p + 1);
    if ((uint64_t)(len - 5) != (uint64_t)m->n * NODE_HEAD_WIRE_LEN)
        return bad(err, NODE_MSG_HEADS, "count does not match the length");
    m->recs = m->body = p + 5;
    m->body_len = len - 5;
    for (uint32_t i = 0; i < m->n; i++) {
        r = m->recs + (size_t)i * NODE_HEAD_WIRE_LEN;
        if (get32(r + 72) & ~NODE_HEAD_FORKED)
            return bad(err, NODE_MSG_HEADS, "unknown flag bits in a head");
        if (get64(r + 32) == 0 && memcmp(r + 40, zero, 32) != 0)
            return bad(err, NODE_MSG_HEADS, "a head at seq 0 with a non-zero hash");
    }
    return 0;
}

static int dec_entries(const uint8_t *p, size_t len, node_msg_t *m, ledger_err_t *err)
{
    size_t off = 0;
    uint32_t count = 0, el;
    if (len < NODE_ENTRIES_HDR_LEN)
        return bad(err, NODE_MSG_ENTRIES, "shorter than its header");
    m->feed = p + 1;
    m->from = get64(p + 33);
    m->n = get32(p + 41);
    m->body = p + NODE_ENTRIES_HDR_LEN;
    m->body_len = len - NODE_ENTRIES_HDR_LEN;
    if (m->from == 0)
        return bad(err, NODE_MSG_ENTRIES, "first seq is 0 (seqs start at 1)");
    if (m->n && m->from > UINT64_MAX - (m->n - 1))
        return bad(err, NODE_MSG_ENTRIES, "seqs overflow");
    while (off < m->body_len) {
        if (m->body_len - off < 4)
            return bad(err, NODE_MSG_ENTRIES, "an entry length is cut short");
        el = get32(m->body + off);
        off += 4;
        if (el == 0)
            return bad(err, NODE_MSG_ENTRIES, "an entry of length 0");
        if (el > m->body_len - off)
            return bad(err, NODE_MSG_ENTRIES, "an entry length runs past the end");
        off += el;
        if (++count > m->n)
            return bad(err, NODE_MSG_ENTRIES, "more entries than the count says");
    }
    if (count != m->n)
        return bad(err, NODE_MSG_ENTRIES, "fewer entries than the count says");
    return 0;
}

static int dec_names(const uint8_t *p, size_t len, node_msg_t *m, ledger_err_t *err)
{
    size_t off = 0, nl;
    uint32_t count = 0;
    if (len < 5)
        return bad(err, NODE_MSG_NAMES, "shorter than its count");
    m->n = get32(p + 1);
    m->recs = m->body = p + 5;
    m->body_len = len - 5;
    while (off < m->body_len) {
        if (m->body_len - off < 33)
            return bad(err, NODE_MSG_NAMES, "a record is cut short");
        nl = m->body[off + 32];
        off += 33;
        if (nl > NODE_NAME_MAX)
            return bad(err, NODE_MSG_NAMES, "a name is over 200 bytes");
        if (nl > m->body_len - off)
            return bad(err, NODE_MSG_NAMES, "a name runs past the end");
        if (!text_ok(m->body + off, nl))
            return bad(err, NODE_MSG_NAMES, "a name is not UTF-8 text without control characters");
        off += nl;
        if (++count > m->n)
            return bad(err, NODE_MSG_NAMES, "more records than the count says");
    }
    if (count != m->n)
        return bad(err, NODE_MSG_NAMES, "fewer records than the count says");
    return 0;
}

/* HELLO and BYE: [u8 version] u8 length | text */
static int dec_text(const uint8_t *p, size_t len, size_t at, size_t max, node_msg_t *m,
                    ledger_err_t *err)
{
    int t = p[0];
    if (len < at + 1)
        return bad(err, t, "too short");
    m->text_len = p[at];
    m->text = (const char *)(p + at + 1);
    if (m->text_len > max)
        return bad(err, t, "text is over 200 bytes");
    if (len != at + 1 + m->text_len)
        return bad(err, t, "text length does not match the message length");
    if (!text_ok(p + at + 1, m->text_len))
        return bad(err, t, "text is not UTF-8 without control characters");
    return 0;
}

int node_msg_decode(const uint8_t *p, size_t len, node_msg_t *m, ledger_err_t *err)
{
    if (!m || (len && !p))
        return ledger_err_set(err, LEDGER_EINVAL, "message: bad arguments");
    memset(m, 0, sizeof *m);
    if (len == 0)
        return ledger_err_set(err, LEDGER_EINPUT, "empty message");
    if (len > NODE_FRAME_MAX)
        return ledger_err_set(err, LEDGER_EINPUT, "message of %zu bytes is over the frame limit",
                              len);
    m->type = p[0];
    switch (p[0]) {
    case NODE_MSG_HELLO:
        if (len < 2)
            return bad(err, p[0], "too short");
        m->version = p[1];
        return dec_text(p, len, 2, NODE_NAME_MAX, m, err);
    case NODE_MSG_BYE:
        return dec_text(p, len, 1, NODE_BYE_MAX, m, err);
    case NODE_MSG_HEADS:
        return dec_heads(p, len, m, err);
    case NODE_MSG_WANT:
        if (len != 1 + 32 + 8 + 8)
            return bad(err, p[0], "length is not 49");
        m->feed = p + 1;
        m->from = get64(p + 33);
        m->to = get64(p + 41);
        if (m->from == 0)
            return bad(err, p[0], "from is 0 (seqs start at 1)");
        if (m->to != 0 && m->to < m->from)
            return bad(err, p[0], "to is before from");
        return 0;
    case NODE_MSG_ENTRIES:
        return dec_entries(p, len, m, err);
    case NODE_MSG_PING:
    case NODE_MSG_PONG:
        if (len != 9)
            return bad(err, p[0], "length is not 9");
        m->nonce = get64(p + 1);
        return 0;
    case NODE_MSG_NAMES:
        return dec_names(p, len, m, err);
    case NODE_MSG_CHECKPOINT: {
        size_t nl;
        if (len < 1 + 32 + 2)
            return bad(err, p[0], "too short");
        nl = (size_t)p[33] << 8 | p[34];
        if (nl == 0 || nl > NODE_CHECKPOINT_MAX)
            return bad(err, p[0], "note length is 0 or over 4096");
        if (len != 1 + 32 + 2 + nl)
            return bad(err, p[0], "length does not match the note length");
        m->feed = p + 1;
        m->body = p + 35;
        m->body_len = nl;
        return 0;
    }
    default:
        m->type = 0;
        return ledger_err_set(err, LEDGER_EINPUT, "unknown message type 0x%02x", p[0]);
    }
}

void node_msg_head(const node_msg_t *m, uint32_t i, node_head_t *out)
{
    const uint8_t *r;
    if (m->type != NODE_MSG_HEADS || i >= m->n) {
        memset(out, 0, sizeof *out);
        return;
    }
    r = m->recs + (size_t)i * NODE_HEAD_WIRE_LEN;
    memcpy(out->feed, r, 32);
    out->seq = get64(r + 32);
    memcpy(out->hash, r + 40, 32);
    out->flags = get32(r + 72);
}

int node_msg_name_next(const node_msg_t *m, size_t *off, const uint8_t **feed, const char **name,
                       size_t *name_len)
{
    size_t nl;
    if (m->type != NODE_MSG_NAMES || *off + 33 > m->body_len)
        return 0;
    nl = m->body[*off + 32];
    if (nl > m->body_len - *off - 33)
        return 0;
    *feed = m->body + *off;
    *name = (const char *)(m->body + *off + 33);
    *name_len = nl;
    *off += 33 + nl;
    return 1;
}

int node_msg_entry_next(const node_msg_t *m, size_t *off, const uint8_t **entry, size_t *len)
{
    uint32_t el;
    if (m->type != NODE_MSG_ENTRIES || *off + 4 > m->body_len)
        return 0;
    el = get32(m->body + *off);
    if (el > m->body_len - *off - 4)
        return 0;
    *entry = m->body + *off + 4;
    *len = el;
    *off += 4 + el;
    return 1;
}

/* ---- encoders ---------------------------------------------------------- */

static int reserve(ledger_buf_t *out, size_t n, ledger_err_t *err)
{
    if (ledger_buf_reserve(out, n))
        return ledger_err_set(err, LEDGER_ENOMEM, "message: out of memory");
    return 0;
}

static void put(ledger_buf_t *out, const void *p, size_t n)
{
    memcpy(out->data + out->len, p, n);
    out->len += n;
}

/* Copies text s into out as printable UTF-8 of at most max bytes: cut at a
 * character boundary, '?' for every byte that does not start a printable
 * character.  Returns the length written. */
static size_t clean_text(const char *text, size_t max, uint8_t *out)
{
    const uint8_t *s = (const uint8_t *)(text ? text : "");
    size_t n = strlen((const char *)s), i = 0, l, k = 0;
    while (i < n) {
        l = char_len(s + i, n - i);
        if (k + (l ? l : 1) > max)
            break;
        if (l) {
            memcpy(out + k, s + i, l);
            k += l;
            i += l;
        } else {
            out[k++] = '?';
            i++;
        }
    }
    return k;
}

int node_msg_hello(ledger_buf_t *out, const char *name, ledger_err_t *err)
{
    uint8_t r[3 + NODE_NAME_MAX];
    size_t k;
    if (!out)
        return ledger_err_set(err, LEDGER_EINVAL, "HELLO: bad arguments");
    k = clean_text(name, NODE_NAME_MAX, r + 3);
    r[0] = NODE_MSG_HELLO;
    r[1] = NODE_PROTO_VERSION;
    r[2] = (uint8_t)k;
    if (reserve(out, 3 + k, err))
        return LEDGER_ENOMEM;
    put(out, r, 3 + k);
    return 0;
}

int node_msg_bye(ledger_buf_t *out, const char *reason, ledger_err_t *err)
{
    uint8_t r[2 + NODE_BYE_MAX];
    size_t k;
    if (!out)
        return ledger_err_set(err, LEDGER_EINVAL, "BYE: bad arguments");
    k = clean_text(reason, NODE_BYE_MAX, r + 2);
    r[0] = NODE_MSG_BYE;
    r[1] = (uint8_t)k;
    if (reserve(out, 2 + k, err))
        return LEDGER_ENOMEM;
    put(out, r, 2 + k);
    return 0;
}

int node_msg_ping(ledger_buf_t *out, int pong, uint64_t nonce, ledger_err_t *err)
{
    uint8_t r[9];
    if (!out)
        return ledger_err_set(err, LEDGER_EINVAL, "PING: bad arguments");
    r[0] = pong ? NODE_MSG_PONG : NODE_MSG_PING;
    put64(r + 1, nonce);
    if (reserve(out, sizeof r, err))
        return LEDGER_ENOMEM;
    put(out, r, sizeof r);
    return 0;
}

int node_msg_checkpoint(ledger_buf_t *out, const uint8_t feed[32], const uint8_t *note, size_t len,
                        ledger_err_t *err)
{
    uint8_t r[35];
    if (!out || !feed || (len && !note))
        return ledger_err_set(err, LEDGER_EINVAL, "CHECKPOINT: bad arguments");
    if (len == 0 || len > NODE_CHECKPOINT_MAX)
        return ledger_err_set(err, LEDGER_EINVAL, "CHECKPOINT: a note of %zu bytes (1 to %d)", len,
                              NODE_CHECKPOINT_MAX);
    r[0] = NODE_MSG_CHECKPOINT;
    memcpy(r + 1, feed, 32);
    r[33] = (uint8_t)(len >> 8);
    r[34] = (uint8_t)len;
    if (reserve(out, sizeof r + len, err))
        return LEDGER_ENOMEM;
    put(out, r, sizeof r);
    put(out, note, len);
    return 0;
}

int node_msg_want(ledger_buf_t *out, const uint8_t feed[32], uint64_t from, uint64_t to,
                  ledger_err_t *err)
{
    uint8_t r[49];
    if (!out || !feed)
        return ledger_err_set(err, LEDGER_EINVAL, "WANT: bad arguments");
    if (from == 0 || (to != 0 && to < from))
        return ledger_err_set(err, LEDGER_EINVAL, "WANT: bad range %llu..%llu",
                              (unsigned long long)from, (unsigned long long)to);
    r[0] = NODE_MSG_WANT;
    memcpy(r + 1, feed, 32);
    put64(r + 33, from);
    put64(r + 41, to);
    if (reserve(out, sizeof r, err))
        return LEDGER_ENOMEM;
    put(out, r, sizeof r);
    return 0;
}

int node_msg_heads(ledger_buf_t *out, const node_head_t *heads, uint32_t n, ledger_err_t *err)
{
    static const uint8_t zero[32];
    uint8_t r[NODE_HEAD_WIRE_LEN];
    if (!out || (n && !heads))
        return ledger_err_set(err, LEDGER_EINVAL, "HEADS: bad arguments");
    if (n > NODE_HEADS_MAX)
        return ledger_err_set(err, LEDGER_ETOOBIG, "HEADS: %lu heads are over %d per message",
                              (unsigned long)n, (int)NODE_HEADS_MAX);
    for (uint32_t i = 0; i < n; i++)
        if ((heads[i].flags & ~NODE_HEAD_FORKED) ||
            (heads[i].seq == 0 && memcmp(heads[i].hash, zero, 32) != 0))
            return ledger_err_set(err, LEDGER_EINVAL,
                                  "HEADS: head %lu has unknown flags or a "
                                  "hash at seq 0",
                                  (unsigned long)i);
    if (reserve(out, 5 + (size_t)n * NODE_HEAD_WIRE_LEN, err))
        return LEDGER_ENOMEM;
    r[0] = NODE_MSG_HEADS;
    put32(r + 1, n);
    put(out, r, 5);
    for (uint32_t i = 0; i < n; i++) {
        memcpy(r, heads[i].feed, 32);
        put64(r + 32, heads[i].seq);
        memcpy(r + 40, heads[i].hash, 32);
        put32(r + 72, heads[i].flags);
        put(out, r, sizeof r);
    }
    return 0;
}

int node_msg_names(ledger_buf_t *out, const uint8_t (*feeds)[32], const char *const *names,
                   uint32_t n, ledger_err_t *err)
{
    size_t total = 5, k;
    uint8_t r[33 + NODE_NAME_MAX];
    if (!out || (n && (!feeds || !names)))
        return ledger_err_set(err, LEDGER_EINVAL, "NAMES: bad arguments");
    for (uint32_t i = 0; i < n; i++) {
        total += 33 + clean_text(names[i], NODE_NAME_MAX, r);
        if (total > NODE_FRAME_MAX)
            return ledger_err_set(err, LEDGER_ETOOBIG, "NAMES: %lu names are over the frame limit",
                                  (unsigned long)n);
    }
    if (reserve(out, total, err))
        return LEDGER_ENOMEM;
    r[0] = NODE_MSG_NAMES;
    put32(r + 1, n);
    put(out, r, 5);
    for (uint32_t i = 0; i < n; i++) {
        k = clean_text(names[i], NODE_NAME_MAX, r + 33);
        memcpy(r, feeds[i], 32);
        r[32] = (uint8_t)k;
        put(out, r, 33 + k);
    }
    return 0;
}

int node_msg_entries_begin(ledger_buf_t *out, const uint8_t feed[32], uint64_t first_seq,
                           size_t *start, ledger_err_t *err)
{
    uint8_t r[NODE_ENTRIES_HDR_LEN];
    if (!out || !feed || !start || first_seq == 0)
        return ledger_err_set(err, LEDGER_EINVAL, "ENTRIES: bad arguments (seqs start at 1)");
    r[0] = NODE_MSG_ENTRIES;
    memcpy(r + 1, feed, 32);
    put64(r + 33, first_seq);
    put32(r + 41, 0);
    if (reserve(out, sizeof r, err))
        return LEDGER_ENOMEM;
    *start = out->len;
    put(out, r, sizeof r);
    return 0;
}

int node_msg_entries_add(ledger_buf_t *out, size_t start, const uint8_t *entry, size_t len,
                         ledger_err_t *err)
{
    uint8_t *h;
    uint32_t n;
    uint64_t first;
    uint8_t l[4];

    if (!out || !entry || len == 0 || start > out->len || out->len - start < NODE_ENTRIES_HDR_LEN ||
        out->data[start] != NODE_MSG_ENTRIES)
        return ledger_err_set(err, LEDGER_EINVAL, "ENTRIES: bad arguments");
    h = out->data + start;
    n = get32(h + 41);
    first = get64(h + 33);
    if (len > NODE_FRAME_MAX || out->len - start + 4 + len > NODE_FRAME_MAX)
        return ledger_err_set(err, LEDGER_ETOOBIG,
                              "ENTRIES: an entry of %zu bytes does not fit the frame (%zu used)",
                              len, out->len - start);
    if (n == UINT32_MAX || first > UINT64_MAX - n)
        return ledger_err_set(err, LEDGER_ETOOBIG, "ENTRIES: too many entries");
    if (reserve(out, 4 + len, err))
        return LEDGER_ENOMEM;
    h = out->data + start; /* may have moved */
    put32(l, (uint32_t)len);
    put(out, l, 4);
    put(out, entry, len);
    put32(h + 41, n + 1);
    return 0;
}

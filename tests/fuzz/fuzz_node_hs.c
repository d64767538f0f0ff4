/* fuzz_node_hs.c -- libFuzzer target for the handshake (node_hs.h).
 *
 * data[0] picks what the fuzzer's bytes stand for, data[1] how they are cut
 * into pieces (1..256 bytes per node_hs_feed call):
 *   0  a server fed arbitrary bytes as M1 (and whatever follows);
 *   1  a server fed a valid M1, then arbitrary bytes as M3;
 *   2  a client that sent M1, fed arbitrary bytes as M2 (and M4);
 *   3  a client that sent M1 and got a valid M2, fed arbitrary bytes as M4;
 *   4  a whole handshake between two honest sides where data[2..3] pick a
 *      byte of M1..M4 and data[4] is XORed into it: with 0 both sides must
 *      finish with mirrored keys, otherwise the receiver must fail.
 * Any crash, leak, or broken property (abort) is a finding.  The keys are
 * fixed (seeded) so that every input replays exactly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node_hs.h"

static ledger_identity_t *idc, *ids;
static uint8_t net[32];

static int allow_c(const uint8_t id[32], void *ctx)
{
    (void)ctx;
    return memcmp(id, ledger_identity_public(idc), 32) == 0;
}

static void init(void)
{
    uint8_t s[32];
    if (idc)
        return;
    for (int i = 0; i < 32; i++)
        net[i] = (uint8_t)i;
    for (int i = 0; i < 32; i++)
        s[i] = (uint8_t)(0x20 + i);
    if (ledger_identity_from_seed(s, &idc, NULL))
        abort();
    for (int i = 0; i < 32; i++)
        s[i] = (uint8_t)(0x40 + i);
    if (ledger_identity_from_seed(s, &ids, NULL))
        abort();
}

static node_hs_t *side(int client, uint8_t eseed)
{
    node_hs_config_t c = {client,
                          net,
                          client ? idc : ids,
                          client ? ledger_identity_public(ids) : NULL,
                          client ? NULL : allow_c,
                          NULL};
    uint8_t seed[32];
    node_hs_t *hs;
    memset(seed, eseed, sizeof seed);
    if (node_hs_new_seeded(&c, seed, &hs, NULL))
        abort();
    return hs;
}

/* Feeds p[0..n) in pieces; returns the last code. */
static int feed(node_hs_t *hs, const uint8_t *p, size_t n, size_t piece, ledger_buf_t *out)
{
    size_t pos = 0, used, k;
    int rc = NODE_HS_MORE;
    ledger_err_t err;
    while (pos < n) {
        k = n - pos < piece ? n - pos : piece;
        rc = node_hs_feed(hs, p + pos, k, &used, out, &err);
        if (rc < 0 || rc == NODE_HS_DONE) {
            if (rc == NODE_HS_DONE && used > k)
                abort();
            return rc;
        }
        if (used != k) /* MORE means everything was taken */
            abort();
        pos += k;
    }
    return rc;
}

static void whole(const uint8_t *data, size_t size, size_t piece)
{
    static const size_t lens[4] = {NODE_HS_M1_LEN, NODE_HS_M2_LEN, NODE_HS_M3_LEN, NODE_HS_M4_LEN};
    size_t at = size >= 4 ? ((size_t)data[2] << 8 | data[3]) % 352 : 0;
    uint8_t x = size >= 5 ? data[4] : 0;
    node_hs_t *c = side(1, 1), *s = side(0, 2);
    ledger_buf_t m[5] = {LEDGER_BUF_INIT, LEDGER_BUF_INIT, LEDGER_BUF_INIT, LEDGER_BUF_INIT,
                         LEDGER_BUF_INIT};
    node_hs_result_t rc_, rs_;
    size_t used;
    int rc = 0, i, target = 0;

    for (i = 0; i < 4 && at >= lens[i]; i++)
        at -= lens[i];
    target = i + 1;
    if (node_hs_feed(c, NULL, 0, &used, &m[1], NULL) != NODE_HS_MORE)
        abort();
    for (i = 1; i <= 4; i++) {
        if (m[i].len != lens[i - 1])
            abort();
        if (i == target)
            m[i].data[at] ^= x;
        rc = feed(i % 2 ? s : c, m[i].data, m[i].len, piece, i < 4 ? &m[i + 1] : &m[0]);
        if (rc < 0)
            break;
    }
    if (x == 0) {
        if (rc != NODE_HS_DONE || node_hs_get_result(c, &rc_, NULL) ||
            node_hs_get_result(s, &rs_, NULL) || memcmp(rc_.tx_key, rs_.rx_key, 32) ||
            memcmp(rc_.rx_key, rs_.tx_key, 32))
            abort();
    } else if (rc >= 0 || i != target || node_hs_get_result(c, &rc_, NULL) == 0) {
        abort(); /* a tampered handshake went through */
    }
    for (i = 0; i < 5; i++)
        ledger_buf_free(&m[i]);
    node_hs_free(c);
    node_hs_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ledger_buf_t a = LEDGER_BUF_INIT, b = LEDGER_BUF_INIT;
    node_hs_t *c = NULL, *s = NULL;
    size_t piece, used;
    const uint8_t *p;
    size_t n;

    if (size < 2)
        return 0;
    init();
    piece = (size_t)data[1] + 1;
    p = data + 2;
    n = size - 2;
    switch (data[0] % 5) {
    case 0:
        s = side(0, 2);
        feed(s, p, n, piece, &a);
        break;
    case 1:
        c = side(1, 1);
        s = side(0, 2);
        node_hs_feed(c, NULL, 0, &used, &a, NULL);
        if (feed(s, a.data, a.len, piece, &b) != NODE_HS_MORE || b.len != NODE_HS_M2_LEN)
            abort();
        feed(s, p, n, piece, &b);
        break;
    case 2:
        c = side(1, 1);
        node_hs_feed(c, NULL, 0, &used, &a, NULL);
        feed(c, p, n, piece, &a);
        break;
    case 3:
        c = side(1, 1);
        s = side(0, 2);
        node_hs_feed(c, NULL, 0, &used, &a, NULL);
        feed(s, a.data, a.len, piece, &b);
        if (feed(c, b.data, b.len, piece, &a) != NODE_HS_MORE)
            abort();
        feed(c, p, n, piece, &b);
        break;
    default:
        whole(data, size, piece);
        break;
    }
    ledger_buf_free(&a);
    ledger_buf_free(&b);
    node_hs_free(c);
    node_hs_free(s);
    return 0;
}

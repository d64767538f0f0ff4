/* node_hs.c -- the keten handshake (see node_hs.h; docs/protocol.md is the
 * normative byte-by-byte description, with test vectors).
 *
 * How it works.  A handshake is a small state machine over four
 * fixed-size messages.  node_hs_feed() collects the bytes of the message it
 * waits for in `msg` (at most 112 bytes), and when the message is whole it
 * checks it and appends the answer to `out`:
 *
 *   client: START --M1--> WAIT_M2 --M3--> WAIT_M4 --> DONE
 *   server: WAIT_M1 --M2--> WAIT_M3 --M4--> DONE
 *
 * Derivations (N = network key, BLAKE2b = crypto_generichash, "|" = concat):
 *   K_mac = BLAKE2b-256(key N, "keten/1 handshake mac")
 *   H_N   = BLAKE2b-256(key N, "keten/1 network id")
 *   M1    = e_C | HMAC-SHA512-256(K_mac, e_C)
 *   M2    = e_S | HMAC-SHA512-256(K_mac, e_S | e_C)
 *   kx_s2c | kx_c2s = BLAKE2b-512(X25519(e, E) | e_C | e_S)     (crypto_kx)
 *   TH    = BLAKE2b-256("keten/1 transcript" | H_N | M1 | M2)
 *   k3    = BLAKE2b-256(key kx_c2s, "keten/1 box M3" | TH)
 *   k4    = BLAKE2b-256(key kx_s2c, "keten/1 box M4" | TH)
 *   sig_C = Ed25519(id_C, "keten/1 client signature" | H_N | e_C | e_S | id_S)
 *   sig_S = Ed25519(id_S, "keten/1 server signature" | H_N | e_C | e_S | id_C | sig_C)
 *   M3    = secretbox(k3, nonce 0, id_C | sig_C)
 *   M4    = secretbox(k4, nonce 0, id_S | sig_S)
 *   TF    = BLAKE2b-256("keten/1 final" | TH | id_C | sig_C | id_S | sig_S)
 *   c2s   = BLAKE2b-256(key kx_c2s, "keten/1 stream client to server" | TF)
 *   s2c   = BLAKE2b-256(key kx_s2c, "keten/1 stream server to client" | TF)
 *
 * k3 and k4 each encrypt exactly one message and are fresh for every
 * handshake (they hash a fresh X25519 secret: our own ephemeral key is new
 * even when the peer reuses its own), so the zero secretbox nonce never
 * repeats under one key.  The long-term keys only sign: the session keys
 * depend on the ephemeral secrets alone (forward secrecy).
 *
 * All secrets live in the state (sodium_malloc'd: guard pages, locked) and
 * are wiped as soon as they are no longer needed, on error, and on free.
 */
#include "node_hs.h"

#include <sodium.h>
#include <string.h>

#define CTX_MAC "keten/1 handshake mac"
#define CTX_NET "keten/1 network id"
#define CTX_TH "keten/1 transcript"
#define CTX_BOX3 "keten/1 box M3"
#define CTX_BOX4 "keten/1 box M4"
#define CTX_SIGC "keten/1 client signature"
#define CTX_SIGS "keten/1 server signature"
#define CTX_FINAL "keten/1 final"
#define CTX_C2S "keten/1 stream client to server"
#define CTX_S2C "keten/1 stream server to client"

#define IDSIG_LEN (32 + crypto_sign_BYTES)

enum hs_state { C_START, C_WAIT_M2, C_WAIT_M4, S_WAIT_M1, S_WAIT_M3, HS_DONE, HS_OVER };

struct node_hs {
    int initiator;
    enum hs_state state;
    const ledger_identity_t *id;
    uint8_t expect[32];
    node_hs_allow_cb allow;
    void *allow_ctx;

    uint8_t k_mac[crypto_auth_KEYBYTES]; /* secret (from N) */
    uint8_t h_n[32];                     /* secret (from N) */
    uint8_t e_pk[crypto_kx_PUBLICKEYBYTES];
    uint8_t e_sk[crypto_kx_SECRETKEYBYTES]; /* secret */
    uint8_t e_c[32], e_s[32];               /* client's and server's ephemeral keys */
    uint8_t m1[NODE_HS_M1_LEN], m2[NODE_HS_M2_LEN];
    uint8_t kx_c2s[32], kx_s2c[32]; /* secret */
    uint8_t th[32];
    uint8_t id_c[32], id_s[32];
    uint8_t sig_c[crypto_sign_BYTES], sig_s[crypto_sign_BYTES];

    uint8_t msg[NODE_HS_M3_LEN]; /* the message being received */
    size_t have;

    node_hs_result_t res; /* secret until handed out */
    int ok;               /* res is valid */
};

static void hex32(const uint8_t b[32], char out[65])
{
    static const char d[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = d[b[i] >> 4];
        out[2 * i + 1] = d[b[i] & 15];
    }
    out[64] = '\0';
}

/* BLAKE2b-256 (keyed when key != NULL) of ctx | a | b | c | d | e | f. */
static void b2(uint8_t out[32], const uint8_t *key, const char *ctx, const uint8_t *a, size_t alen,
               const uint8_t *b, size_t blen, const uint8_t *c, size_t clen)
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, key, key ? 32 : 0, 32);
    crypto_generichash_update(&st, (const uint8_t *)ctx, strlen(ctx));
    if (alen)
        crypto_generichash_update(&st, a, alen);
    if (blen)
        crypto_generichash_update(&st, b, blen);
    if (clen)
        crypto_generichash_update(&st, c, clen);
    crypto_generichash_final(&st, out, 32);
    sodium_memzero(&st, sizeof st);
}

/* The signed bytes: ctx | H_N | e_C | e_S | other id [| sig_C]. */
static size_t sig_msg(const node_hs_t *hs, int server, uint8_t *m)
{
    const char *ctx = server ? CTX_SIGS : CTX_SIGC;
    size_t n = strlen(ctx);
    memcpy(m, ctx, n);
    memcpy(m + n, hs->h_n, 32);
    memcpy(m + n + 32, hs->e_c, 32);
    memcpy(m + n + 64, hs->e_s, 32);
    memcpy(m + n + 96, server ? hs->id_c : hs->id_s, 32);
    n += 128;
    if (server) {
        memcpy(m + n, hs->sig_c, crypto_sign_BYTES);
        n += crypto_sign_BYTES;
    }
    return n;
}

/* The ephemeral exchange: kx_c2s / kx_s2c, then TH, k3 and k4. */
static int derive_kx(node_hs_t *hs, uint8_t k3[32], uint8_t k4[32], ledger_err_t *err)
{
    int rc;
    if (hs->initiator)
        rc = crypto_kx_client_session_keys(hs->kx_s2c, hs->kx_c2s, hs->e_c, hs->e_sk, hs->e_s);
    else
        rc = crypto_kx_server_session_keys(hs->kx_c2s, hs->kx_s2c, hs->e_s, hs->e_sk, hs->e_c);
    sodium_memzero(hs->e_sk, sizeof hs->e_sk); /* used once */
    if (rc != 0)
        return ledger_err_set(err, LEDGER_EVERIFY,
                              "handshake: the peer's ephemeral key is not a usable X25519 key");
    b2(hs->th, NULL, CTX_TH, hs->h_n, 32, hs->m1, NODE_HS_M1_LEN, hs->m2, NODE_HS_M2_LEN);
    b2(k3, hs->kx_c2s, CTX_BOX3, hs->th, 32, NULL, 0, NULL, 0);
    b2(k4, hs->kx_s2c, CTX_BOX4, hs->th, 32, NULL, 0, NULL, 0);
    return 0;
}

/* The stream keys, bound to the whole transcript. */
static void derive_final(node_hs_t *hs)
{
    uint8_t tf[32], ids[2 * IDSIG_LEN], c2s[32], s2c[32];
    memcpy(ids, hs->id_c, 32);
    memcpy(ids + 32, hs->sig_c, 64);
    memcpy(ids + IDSIG_LEN, hs->id_s, 32);
    memcpy(ids + IDSIG_LEN + 32, hs->sig_s, 64);
    b2(tf, NULL, CTX_FINAL, hs->th, 32, ids, sizeof ids, NULL, 0);
    b2(c2s, hs->kx_c2s, CTX_C2S, tf, 32, NULL, 0, NULL, 0);
    b2(s2c, hs->kx_s2c, CTX_S2C, tf, 32, NULL, 0, NULL, 0);
    memcpy(hs->res.peer_id, hs->initiator ? hs->id_s : hs->id_c, 32);
    memcpy(hs->res.tx_key, hs->initiator ? c2s : s2c, 32);
    memcpy(hs->res.rx_key, hs->initiator ? s2c : c2s, 32);
    sodium_memzero(c2s, sizeof c2s);
    sodium_memzero(s2c, sizeof s2c);
    sodium_memzero(hs->kx_c2s, sizeof hs->kx_c2s);
    sodium_memzero(hs->kx_s2c, sizeof hs->kx_s2c);
}

static int emit(ledger_buf_t *out, const uint8_t *p, size_t n, ledger_err_t *err)
{
    if (ledger_buf_append(out, p, n))
        return ledger_err_set(err, LEDGER_ENOMEM, "handshake: out of memory");
    return 0;
}

/* M1 and M2 carry nothing but an ephemeral key and a MAC under the network
 * key: a node of another chain and random bytes of the same size look the
 * same here (node_session.c tells garbage by its size and timing). */
static int netkey_fail(ledger_err_t *err, int msg)
{
    if (msg == 1)
        return ledger_err_set(err, LEDGER_EVERIFY,
                              "handshake message 1 does not verify with this chain's network "
                              "key: a node of another chain (network key differs), or random "
                              "bytes");
    return ledger_err_set(err, LEDGER_EVERIFY,
                          "handshake message 2 does not verify with this chain's network key: "
                          "network key differs, the partner is in another chain");
}

/* client: M1 = e_C | MAC(e_C) */
static int client_m1(node_hs_t *hs, ledger_buf_t *out, ledger_err_t *err)
{
    memcpy(hs->m1, hs->e_c, 32);
    crypto_auth(hs->m1 + 32, hs->e_c, 32, hs->k_mac);
    return emit(out, hs->m1, NODE_HS_M1_LEN, err);
}

/* server: check M1, answer M2 = e_S | MAC(e_S | e_C) */
static int server_m1(node_hs_t *hs, ledger_buf_t *out, ledger_err_t *err)
{
    uint8_t both[64], k3[32], k4[32];
    int rc;
    if (crypto_auth_verify(hs->msg + 32, hs->msg, 32, hs->k_mac) != 0)
        return netkey_fail(err, 1);
    memcpy(hs->m1, hs->msg, NODE_HS_M1_LEN);
    memcpy(hs->e_c, hs->msg, 32);
    memcpy(hs->m2, hs->e_s, 32);
    memcpy(both, hs->e_s, 32);
    memcpy(both + 32, hs->e_c, 32);
    crypto_auth(hs->m2 + 32, both, 64, hs->k_mac);
    /* derive now so a weak e_C is refused before we answer */
    rc = derive_kx(hs, k3, k4, err);
    sodium_memzero(k3, sizeof k3);
    sodium_memzero(k4, sizeof k4);
    if (rc)
        return rc;
    return emit(out, hs->m2, NODE_HS_M2_LEN, err);
}

/* client: check M2, answer M3 = box_k3(id_C | sig_C) */
static int client_m2(node_hs_t *hs, ledger_buf_t *out, ledger_err_t *err)
{
    uint8_t both[64], k3[32], k4[32], sm[160], pt[IDSIG_LEN], m3[NODE_HS_M3_LEN];
    uint8_t nonce[crypto_secretbox_NONCEBYTES] = {0};
    int rc;
    memcpy(both, hs->msg, 32);
    memcpy(both + 32, hs->e_c, 32);
    if (crypto_auth_verify(hs->msg + 32, both, 64, hs->k_mac) != 0)
        return netkey_fail(err, 2);
    memcpy(hs->m2, hs->msg, NODE_HS_M2_LEN);
    memcpy(hs->e_s, hs->msg, 32);
    if ((rc = derive_kx(hs, k3, k4, err)))
        goto done;
    ledger_identity_sign(hs->id, sm, sig_msg(hs, 0, sm), hs->sig_c);
    memcpy(pt, hs->id_c, 32);
    memcpy(pt + 32, hs->sig_c, 64);
    if (crypto_secretbox_easy(m3, pt, sizeof pt, nonce, k3) != 0) {
        rc = ledger_err_set(err, LEDGER_ECRYPTO, "handshake: crypto_secretbox_easy failed");
        goto done;
    }
    rc = emit(out, m3, sizeof m3, err);
done:
    sodium_memzero(k3, sizeof k3);
    sodium_memzero(k4, sizeof k4);
    return rc;
}

/* server: open M3, verify the client, check the allowlist, answer M4 */
static int server_m3(node_hs_t *hs, ledger_buf_t *out, ledger_err_t *err)
{
    uint8_t k3[32], k4[32], sm[224], pt[IDSIG_LEN], m4[NODE_HS_M4_LEN];
    uint8_t nonce[crypto_secretbox_NONCEBYTES] = {0};
    char hex[65];
    int rc;
    b2(k3, hs->kx_c2s, CTX_BOX3, hs->th, 32, NULL, 0, NULL, 0);
    b2(k4, hs->kx_s2c, CTX_BOX4, hs->th, 32, NULL, 0, NULL, 0);
    if (crypto_secretbox_open_easy(pt, hs->msg, NODE_HS_M3_LEN, nonce, k3) != 0) {
        rc = ledger_err_set(err, LEDGER_EVERIFY,
                            "handshake message 3 does not decrypt: tampered or replayed");
        goto done;
    }
    memcpy(hs->id_c, pt, 32);
    memcpy(hs->sig_c, pt + 32, 64);
    hex32(hs->id_c, hex);
    if (crypto_sign_verify_detached(hs->sig_c, sm, sig_msg(hs, 0, sm), hs->id_c) != 0) {
        rc = ledger_err_set(err, LEDGER_EVERIFY,
                            "handshake: signature of peer %s does not verify (tampered, "
                            "replayed, or it dialled another node's ID)",
                            hex);
        goto done;
    }
    if (!hs->allow(hs->id_c, hs->allow_ctx)) {
        rc = ledger_err_set(err, LEDGER_EVERIFY, "handshake: peer %s is not on the peer list", hex);
        goto done;
    }
    ledger_identity_sign(hs->id, sm, sig_msg(hs, 1, sm), hs->sig_s);
    memcpy(pt, hs->id_s, 32);
    memcpy(pt + 32, hs->sig_s, 64);
    if (crypto_secretbox_easy(m4, pt, sizeof pt, nonce, k4) != 0) {
        rc = ledger_err_set(err, LEDGER_ECRYPTO, "handshake: crypto_secretbox_easy failed");
        goto done;
    }
    if ((rc = emit(out, m4, sizeof m4, err)))
        goto done;
    derive_final(hs);
done:
    sodium_memzero(k3, sizeof k3);
    sodium_memzero(k4, sizeof k4);
    return rc;
}

/* client: open M4, verify the server, check it is the one we dialled */
static int client_m4(node_hs_t *hs, ledger_err_t *err)
{
    uint8_t k4[32], sm[224], pt[IDSIG_LEN], want[32];
    uint8_t nonce[crypto_secretbox_NONCEBYTES] = {0};
    char hex[65], hex2[65];
    int rc = 0;
    b2(k4, hs->kx_s2c, CTX_BOX4, hs->th, 32, NULL, 0, NULL, 0);
    if (crypto_secretbox_open_easy(pt, hs->msg, NODE_HS_M4_LEN, nonce, k4) != 0) {
        rc = ledger_err_set(err, LEDGER_EVERIFY,
                            "handshake message 4 does not decrypt: tampered or replayed");
        goto done;
    }
    /* id_s holds the expected ID (signed in M3); the server's signature is
     * checked against the ID it claims, then the two IDs are compared */
    memcpy(want, hs->id_s, 32);
    memcpy(hs->id_s, pt, 32);
    memcpy(hs->sig_s, pt + 32, 64);
    hex32(hs->id_s, hex);
    if (crypto_sign_verify_detached(hs->sig_s, sm, sig_msg(hs, 1, sm), hs->id_s) != 0) {
        rc = ledger_err_set(err, LEDGER_EVERIFY,
                            "handshake: signature of peer %s does not verify (tampered or "
                            "replayed)",
                            hex);
        goto done;
    }
    if (sodium_memcmp(want, hs->id_s, 32) != 0) {
        hex32(want, hex2);
        rc = ledger_err_set(err, LEDGER_EVERIFY, "handshake: expected peer %s, got %s", hex2, hex);
        goto done;
    }
    derive_final(hs);
done:
    sodium_memzero(k4, sizeof k4);
    return rc;
}

static int hs_new(const node_hs_config_t *cfg, const uint8_t *seed, node_hs_t **out,
                  ledger_err_t *err)
{
    node_hs_t *hs;
    *out = NULL;
    if (!cfg || !cfg->network_key || !cfg->id)
        return ledger_err_set(err, LEDGER_EINVAL, "handshake: network key and identity needed");
    if (cfg->initiator && !cfg->expect_peer)
        return ledger_err_set(err, LEDGER_EINVAL,
                              "handshake: a client must name the peer it dials");
    if (!cfg->initiator && !cfg->allow)
        return ledger_err_set(err, LEDGER_EINVAL, "handshake: a server needs an allowlist check");
    if (sodium_init() < 0)
        return ledger_err_set(err, LEDGER_ECRYPTO, "libsodium could not initialise");
    if (!(hs = sodium_malloc(sizeof *hs)))
        return ledger_err_set(err, LEDGER_ENOMEM, "handshake: out of memory");
    memset(hs, 0, sizeof *hs);
    hs->initiator = cfg->initiator ? 1 : 0;
    hs->state = hs->initiator ? C_START : S_WAIT_M1;
    hs->id = cfg->id;
    hs->allow = cfg->allow;
    hs->allow_ctx = cfg->allow_ctx;
    b2(hs->k_mac, cfg->network_key, CTX_MAC, NULL, 0, NULL, 0, NULL, 0);
    b2(hs->h_n, cfg->network_key, CTX_NET, NULL, 0, NULL, 0, NULL, 0);
    if (seed)
        crypto_kx_seed_keypair(hs->e_pk, hs->e_sk, seed);
    else
        crypto_kx_keypair(hs->e_pk, hs->e_sk);
    if (hs->initiator) {
        memcpy(hs->e_c, hs->e_pk, 32);
        memcpy(hs->id_c, ledger_identity_public(cfg->id), 32);
        memcpy(hs->id_s, cfg->expect_peer, 32);
    } else {
        memcpy(hs->e_s, hs->e_pk, 32);
        memcpy(hs->id_s, ledger_identity_public(cfg->id), 32);
    }
    *out = hs;
    return 0;
}

int node_hs_new(const node_hs_config_t *cfg, node_hs_t **out, ledger_err_t *err)
{
    return hs_new(cfg, NULL, out, err);
}

int node_hs_new_seeded(const node_hs_config_t *cfg, const uint8_t eph_seed[32], node_hs_t **out,
                       ledger_err_t *err)
{
    if (!eph_seed)
        return ledger_err_set(err, LEDGER_EINVAL, "handshake: no seed");
    return hs_new(cfg, eph_seed, out, err);
}

static size_t want_len(enum hs_state s)
{
    switch (s) {
    case C_WAIT_M2:
        return NODE_HS_M2_LEN;
    case C_WAIT_M4:
        return NODE_HS_M4_LEN;
    case S_WAIT_M1:
        return NODE_HS_M1_LEN;
    case S_WAIT_M3:
        return NODE_HS_M3_LEN;
    default:
        return 0;
    }
}

/* Wipes every secret but the result (kept until node_hs_free). */
static void wipe_work(node_hs_t *hs)
{
    sodium_memzero(hs->k_mac, sizeof hs->k_mac);
    sodium_memzero(hs->h_n, sizeof hs->h_n);
    sodium_memzero(hs->e_sk, sizeof hs->e_sk);
    sodium_memzero(hs->kx_c2s, sizeof hs->kx_c2s);
    sodium_memzero(hs->kx_s2c, sizeof hs->kx_s2c);
    sodium_memzero(hs->msg, sizeof hs->msg);
}

int node_hs_waiting(const node_hs_t *hs)
{
    if (!hs)
        return 0;
    switch (hs->state) {
    case C_START:
    case C_WAIT_M2:
        return 2;
    case C_WAIT_M4:
        return 4;
    case S_WAIT_M1:
        return 1;
    case S_WAIT_M3:
        return 3;
    default:
        return 0;
    }
}

int node_hs_feed(node_hs_t *hs, const uint8_t *in, size_t len, size_t *used, ledger_buf_t *out,
                 ledger_err_t *err)
{
    size_t take, need, pos = 0;
    int rc = 0;

    if (used)
        *used = 0;
    if (!hs || !used || !out || (len && !in))
        return ledger_err_set(err, LEDGER_EINVAL, "handshake: bad arguments");
    if (hs->state == HS_DONE || hs->state == HS_OVER)
        return ledger_err_set(err, LEDGER_EINVAL, "handshake: already finished");
    if (hs->state == C_START) {
        if ((rc = client_m1(hs, out, err)))
            goto fail;
        hs->state = C_WAIT_M2;
    }
    while (hs->state != HS_DONE) {
        need = want_len(hs->state);
        take = need - hs->have;
        if (take > len - pos)
            take = len - pos;
        if (take)
            memcpy(hs->msg + hs->have, in + pos, take);
        hs->have += take;
        pos += take;
        *used = pos;
        if (hs->have < need)
            return NODE_HS_MORE;
        hs->have = 0;
        switch (hs->state) {
        case S_WAIT_M1:
            rc = server_m1(hs, out, err);
            hs->state = S_WAIT_M3;
            break;
        case C_WAIT_M2:
            rc = client_m2(hs, out, err);
            hs->state = C_WAIT_M4;
            break;
        case S_WAIT_M3:
            rc = server_m3(hs, out, err);
            hs->state = HS_DONE;
            break;
        case C_WAIT_M4:
            rc = client_m4(hs, err);
            hs->state = HS_DONE;
            break;
        default:
            rc = ledger_err_set(err, LEDGER_EINVAL, "handshake: bad state");
            break;
        }
        if (rc)
            goto fail;
    }
    wipe_work(hs);
    hs->ok = 1;
    hs->state = HS_OVER; /* DONE is reported once */
    return NODE_HS_DONE;
fail:
    wipe_work(hs);
    sodium_memzero(&hs->res, sizeof hs->res);
    hs->state = HS_OVER;
    return rc;
}

int node_hs_get_result(const node_hs_t *hs, node_hs_result_t *res, ledger_err_t *err)
{
    if (!hs || !res)
        return ledger_err_set(err, LEDGER_EINVAL, "handshake: bad arguments");
    if (!hs->ok)
        return ledger_err_set(err, LEDGER_EINVAL, "handshake: not finished");
    *res = hs->res;
    return 0;
}

void node_hs_free(node_hs_t *hs)
{
    if (hs)
        sodium_free(hs); /* wipes */
}

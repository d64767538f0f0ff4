/* node_hs.h -- the keten handshake: two nodes prove their long-term Ed25519
 * identities to each other, agree on fresh session keys (forward secrecy),
 * and prove they belong to the same chain (network key), in four fixed-size
 * messages.  Pure computation over bytes: no sockets (node.c moves the
 * bytes), so it can be unit-tested and fuzzed.  docs/protocol.md gives the
 * byte layout and test vectors.
 *
 *   M1 client -> server  e_C (X25519 ephemeral) || MAC_N(e_C)
 *   M2 server -> client  e_S || MAC_N(e_S || e_C)
 *   M3 client -> server  secretbox_{k1}( id_C || sig_C(transcript) )
 *   M4 server -> client  secretbox_{k2}( id_S || sig_S(transcript || sig_C) )
 *
 * MAC_N is keyed with the chain's 32-byte network key, so a node of another
 * chain fails at M1/M2 and learns nothing.  k1, k2 and the two stream keys
 * come from the ephemeral X25519 exchange (crypto_kx) and the transcript
 * hash; the long-term keys only sign, so recorded traffic cannot be
 * decrypted later even with both secret keys.  The signatures cover both
 * ephemeral keys, so a replayed M1 or M3 fails.  Only libsodium's
 * high-level APIs are used (crypto_kx, crypto_auth, crypto_secretbox,
 * crypto_sign, crypto_generichash).
 *
 * Use: node_hs_new(), then repeatedly node_hs_feed() with received bytes;
 * it appends whatever must be sent to `out`.  The client's first call is
 * with no input (it produces M1).  When it returns NODE_HS_DONE, get the
 * peer and keys with node_hs_result(); extra bytes past the handshake are
 * left unconsumed (*used < len) and belong to the stream.
 */
#ifndef NODE_HS_H
#define NODE_HS_H

#include <stddef.h>
#include <stdint.h>

#include "ledger_buf.h"
#include "ledger_error.h"
#include "ledger_identity.h"

#define NODE_NETKEY_LEN 32
#define NODE_HS_M1_LEN 64
#define NODE_HS_M2_LEN 64
/* M3/M4: secretbox (MAC 16) of 32 + 64 bytes */
#define NODE_HS_M3_LEN (16 + 32 + 64)
#define NODE_HS_M4_LEN (16 + 32 + 64)
#define NODE_STREAM_KEY_LEN 32

enum { NODE_HS_MORE = 0, NODE_HS_DONE = 1 };

typedef struct node_hs node_hs_t;

/* Decides whether a proven peer identity may connect (server side):
 * return 1 to let it in, 0 to refuse. */
typedef int (*node_hs_allow_cb)(const uint8_t peer_id[32], void *ctx);

typedef struct node_hs_config {
    int initiator;               /* 1: we connected out (client) */
    const uint8_t *network_key;  /* NODE_NETKEY_LEN bytes */
    const ledger_identity_t *id; /* our long-term key (borrowed) */
    const uint8_t *expect_peer;  /* client: the server's ID we dialled (32 bytes) */
    node_hs_allow_cb allow;      /* server: the allowlist check */
    void *allow_ctx;
} node_hs_config_t;

/* What a finished handshake gives. */
typedef struct node_hs_result {
    uint8_t peer_id[32];                 /* the peer's proven Ed25519 public key */
    uint8_t tx_key[NODE_STREAM_KEY_LEN]; /* key of our sending stream */
    uint8_t rx_key[NODE_STREAM_KEY_LEN]; /* key of our receiving stream */
} node_hs_result_t;

/* New handshake state (fresh ephemeral keys).  cfg is copied; the pointers
 * in it must stay valid until node_hs_free.  LEDGER_EINVAL when the network
 * key or identity is missing, a client has no expect_peer or a server no
 * allow callback; LEDGER_ENOMEM; LEDGER_ECRYPTO (libsodium init). */
int node_hs_new(const node_hs_config_t *cfg, node_hs_t **out, ledger_err_t *err);

/* FOR TEST VECTORS ONLY: like node_hs_new, but the ephemeral X25519 key
 * pair comes from eph_seed (crypto_kx_seed_keypair) instead of the random
 * generator.  A node must never use it: a fixed ephemeral key gives up
 * forward secrecy and makes the session keys predictable to whoever knows
 * the seed.  docs/protocol.md lists the vectors made with it. */
int node_hs_new_seeded(const node_hs_config_t *cfg, const uint8_t eph_seed[32], node_hs_t **out,
                       ledger_err_t *err);

/* Feeds len received bytes (may be 0), sets *used to how many were taken,
 * appends bytes to send to out.  Returns NODE_HS_MORE (need more bytes),
 * NODE_HS_DONE, or LEDGER_EVERIFY with a message that says what failed
 * ("handshake message 1 does not verify with
 * this chain's network key: ...", "... network key differs ...", "peer <hex> is not
 * on the peer list", "signature of peer ... does not verify", "expected peer
 * X, got Y"), LEDGER_ECRYPTO for a libsodium failure, LEDGER_ENOMEM.
 * Only whole messages are appended to out.  After an error or DONE, further
 * calls return LEDGER_EINVAL; on error every secret is already wiped and
 * nothing is to be sent (just close: a failed handshake gets no answer). */
int node_hs_feed(node_hs_t *hs, const uint8_t *in, size_t len, size_t *used, ledger_buf_t *out,
                 ledger_err_t *err);

/* Which message the handshake waits for: 1 or 3 (server), 2 or 4 (client;
 * 2 also before the client sent M1), 0 when it is done or failed (or hs is
 * NULL).  A dialler whose partner closed the connection learns from it how
 * far the partner got: closed while waiting for M2, the partner refused our
 * network key (M1); waiting for M4, it refused our identity (M3). */
int node_hs_waiting(const node_hs_t *hs);

/* After DONE: the peer's ID and the stream keys (LEDGER_EINVAL before).
 * The caller should sodium_memzero its copy once the streams are made. */
int node_hs_get_result(const node_hs_t *hs, node_hs_result_t *res, ledger_err_t *err);

/* Wipes the secrets and frees.  NULL is fine. */
void node_hs_free(node_hs_t *hs);

#endif

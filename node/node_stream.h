/* node_stream.h -- the encrypted, authenticated frames that follow the
 * handshake, one stream per direction (crypto_secretstream_xchacha20poly1305).
 *
 * A sending stream starts with its 24-byte secretstream header; then every
 * frame is a 4-byte big-endian length L followed by L bytes of ciphertext
 * (the message plus 17 bytes of tag).  L is at most NODE_FRAME_MAX + 17: a
 * longer length is refused before anything is buffered.  A frame that does
 * not decrypt (tampered, truncated, reordered, replayed) ends the stream.
 * A frame with the FINAL tag closes the stream cleanly.
 *
 * Pure computation over bytes (no sockets): node.c moves the bytes.
 */
#ifndef NODE_STREAM_H
#define NODE_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "ledger_buf.h"
#include "ledger_error.h"
#include "node_hs.h"

#define NODE_FRAME_MAX (1024 * 1024) /* largest message in one frame, bytes */

typedef struct node_tx node_tx_t;
typedef struct node_rx node_rx_t;

/* Sending side: appends the 24-byte header to out. */
int node_tx_new(const uint8_t key[NODE_STREAM_KEY_LEN], ledger_buf_t *out, node_tx_t **tx,
                ledger_err_t *err);
/* Appends one frame holding msg (len <= NODE_FRAME_MAX, else LEDGER_ETOOBIG)
 * to out.  final = 1 marks the last frame of the stream; a frame after it
 * is LEDGER_EINVAL.  msg must not point into out (out may move).  On
 * failure out is unchanged. */
int node_tx_frame(node_tx_t *tx, const uint8_t *msg, size_t len, int final, ledger_buf_t *out,
                  ledger_err_t *err);
void node_tx_free(node_tx_t *tx);

/* Receiving side.  Feed received bytes with node_rx_feed; it takes as many
 * as it can (*used) and returns 1 when a whole message is ready in *msg /
 * *len (valid until the next call; *final set when it was the last frame),
 * 0 when it needs more bytes, or LEDGER_ETOOBIG (length over the limit),
 * LEDGER_EVERIFY (a frame does not decrypt; a length under 17; a tag other
 * than MESSAGE/FINAL; any byte after the final frame), LEDGER_ENOMEM.
 * Call again with the remaining bytes until it returns 0 (0 means every
 * byte was taken).  After an error the stream is dead: every later call is
 * LEDGER_EVERIFY.  The receive buffer grows to the largest frame length
 * announced, so at most NODE_FRAME_MAX + 17 bytes per stream. */
int node_rx_new(const uint8_t key[NODE_STREAM_KEY_LEN], node_rx_t **rx, ledger_err_t *err);
int node_rx_feed(node_rx_t *rx, const uint8_t *in, size_t len, size_t *used, const uint8_t **msg,
                 size_t *mlen, int *final, ledger_err_t *err);
void node_rx_free(node_rx_t *rx);

#endif

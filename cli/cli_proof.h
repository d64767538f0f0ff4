/* cli_proof.h -- `keten checkpoint` (a feed's signed checkpoint and its
 * verifier key) and `keten proof` (inclusion and consistency proofs of a
 * feed's Merkle tree), in the C2SP / RFC 9162 forms that other
 * transparency-log tools read (docs/format.md, "The feed's Merkle tree").
 * Neither needs the secret key, except `checkpoint` of the own feed when
 * no checkpoint of its current tree is kept yet (then it signs one). */
#ifndef CLI_PROOF_H
#define CLI_PROOF_H

#include "cli_common.h"

/* argv[0] is "checkpoint" / "proof".  Return the process exit code. */
int cli_checkpoint_main(cli_ctx_t *ctx, int argc, char **argv);
int cli_proof_main(cli_ctx_t *ctx, int argc, char **argv);

#endif

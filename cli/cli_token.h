/* cli_token.h -- `keten token add|list|remove`: the bearer tokens of the
 * node's HTTP server (node_token.h, docs/http.md "Tokens"). */
#ifndef CLI_TOKEN_H
#define CLI_TOKEN_H

#include "cli_common.h"

/* argv[0] is "token". Returns the process exit code. */
int cli_token_main(cli_ctx_t *ctx, int argc, char **argv);

#endif

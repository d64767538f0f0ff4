/* cli_node.h -- `keten network`, `keten peer`, `keten node`, `keten stop`,
 * `keten status` (cli_node.c): a node in a chain of partners. */
#ifndef CLI_NODE_H
#define CLI_NODE_H

#include "cli_common.h"

int cli_network_main(cli_ctx_t *ctx, int argc, char **argv);
int cli_peer_main(cli_ctx_t *ctx, int argc, char **argv);
int cli_node_main(cli_ctx_t *ctx, int argc, char **argv);
int cli_stop_main(cli_ctx_t *ctx, int argc, char **argv);
int cli_status_main(cli_ctx_t *ctx, int argc, char **argv);

/* The name this home knows for a feed: its own name, the peer list's name,
 * or one a running node learned from partners (node.json); "" when none.
 * Returns out. */
const char *cli_feed_name(ledger_home_t *home, const uint8_t feed[32], char *out, size_t n);

#endif

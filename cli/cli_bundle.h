/* cli_bundle.h -- `keten bundle create` and `keten bundle verify`: write a
 * provenance bundle of one product's history, and check one offline
 * (ledger_bundle.h, docs/bundle.md). */
#ifndef CLI_BUNDLE_H
#define CLI_BUNDLE_H

#include "cli_common.h"

/* argv[0] is "bundle", argv[1] the subcommand. Returns the exit code:
 * verify exits 0 when everything checks, 1 naming the claim that fails. */
int cli_bundle_main(cli_ctx_t *ctx, int argc, char **argv);

#endif

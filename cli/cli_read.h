/* cli_read.h -- the reading commands: `keten log`, `keten show`,
 * `keten export`. None of them needs the secret key. */
#ifndef CLI_READ_H
#define CLI_READ_H

#include "cli_common.h"

/* argv[0] is the command name. Each returns the process exit code. */
int cli_log_main(cli_ctx_t *ctx, int argc, char **argv);
int cli_show_main(cli_ctx_t *ctx, int argc, char **argv);
int cli_export_main(cli_ctx_t *ctx, int argc, char **argv);

/* The feed that s[0..len) names: 64 lowercase hex digits, or a prefix of
 * them that only one feed of the home has.  0, LEDGER_EINVAL (not hex,
 * ambiguous) or LEDGER_ENOTFOUND, with a message. */
int cli_resolve_feed(ledger_home_t *home, const char *s, size_t len, uint8_t out[32],
                     ledger_err_t *err);

#endif

/* cli_read.h -- the reading commands: `keten log`, `keten show`,
 * `keten export`. None of them needs the secret key. */
#ifndef CLI_READ_H
#define CLI_READ_H

#include "cli_common.h"

/* argv[0] is the command name. Each returns the process exit code. */
int cli_log_main(cli_ctx_t *ctx, int argc, char **argv);
int cli_show_main(cli_ctx_t *ctx, int argc, char **argv);
int cli_export_main(cli_ctx_t *ctx, int argc, char **argv);

#endif

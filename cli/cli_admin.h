/* cli_admin.h -- the commands about the home itself: `keten init`,
 * `keten id`, `keten verify`. */
#ifndef CLI_ADMIN_H
#define CLI_ADMIN_H

#include "cli_common.h"

/* argv[0] is the command name. Each returns the process exit code. */
int cli_init_main(cli_ctx_t *ctx, int argc, char **argv);
int cli_id_main(cli_ctx_t *ctx, int argc, char **argv);
int cli_verify_main(cli_ctx_t *ctx, int argc, char **argv);
/* `keten backup DIR`: a consistent copy of the home, also while its node runs. */
int cli_backup_main(cli_ctx_t *ctx, int argc, char **argv);

#endif

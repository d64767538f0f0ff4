/* cli_record.h -- `keten record`: record EPCIS events into the own feed,
 * from JSON-LD files (or stdin) or built from command-line options. */
#ifndef CLI_RECORD_H
#define CLI_RECORD_H

#include "cli_common.h"

/* argv[0] is "record". Returns the process exit code. */
int cli_record_main(cli_ctx_t *ctx, int argc, char **argv);

#endif

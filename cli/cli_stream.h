/* cli_stream.h -- `keten stream replay --from FEED:SEQ` (cli_stream.c,
 * docs/stream.md "Replay"). */
#ifndef CLI_STREAM_H
#define CLI_STREAM_H

#include "cli_common.h"

int cli_stream_main(cli_ctx_t *ctx, int argc, char **argv);

#endif

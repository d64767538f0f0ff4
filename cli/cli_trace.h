/* cli_trace.h -- `keten trace`, `keten recall`, `keten lifecycle`
 * (cli_trace.c): the questions a chain exists for, answered from every feed
 * the home holds (ledger_trace.h, ledger_trace_report.h). None of them needs
 * the secret key. docs/trace.md describes the output. */
#ifndef CLI_TRACE_H
#define CLI_TRACE_H

#include "cli_common.h"

/* argv[0] is the command name. Each returns the process exit code. */
int cli_trace_main(cli_ctx_t *ctx, int argc, char **argv);
int cli_recall_main(cli_ctx_t *ctx, int argc, char **argv);
int cli_lifecycle_main(cli_ctx_t *ctx, int argc, char **argv);

#endif

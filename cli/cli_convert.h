/* cli_convert.h -- `keten convert`: an EPCIS document of either binding
 * (JSON-LD, or EPCIS 2.0 / 1.x XML) written as an EPCIS 2.0 JSON-LD
 * EPCISDocument, with no home (docs/xml.md, docs/cli.md). */
#ifndef CLI_CONVERT_H
#define CLI_CONVERT_H

#include "cli_common.h"

/* argv[0] is "convert". Returns the process exit code. */
int cli_convert_main(cli_ctx_t *ctx, int argc, char **argv);

#endif

/* cli_scan.h -- `keten scan`: record what a reader sees.
 *
 * Opens a reader (readers/reader.h: nfc:, qr:, line:, replay:), turns each
 * read into keten's canonical identifier (gs1_ident.h), builds one EPCIS
 * event per read from a template given with `keten record`'s event options,
 * and appends the reads that arrive together in one durable transaction.
 * See docs/readers.md. */
#ifndef CLI_SCAN_H
#define CLI_SCAN_H

#include "cli_common.h"

/* argv[0] is "scan". Returns the process exit code. */
int cli_scan_main(cli_ctx_t *ctx, int argc, char **argv);

#endif

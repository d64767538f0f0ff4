/* cli_ident.h -- `keten decode` (every normal form of one identifier) and
 * `keten label` (a QR label of one), plus what `keten scan` shares with
 * them: the identifier options (--gcp-length, --gcp-table, --strict) and
 * how a raw code is shown in a message.
 *
 * None of these commands needs a home: they only use readers/
 * (gs1_ident.h, reader_label.h). */
#ifndef CLI_IDENT_H
#define CLI_IDENT_H

#include <stddef.h>

#include "cli_common.h"
#include "ledger_epcis.h"
#include "gs1_gcp.h"
#include "gs1_ident.h"

/* argv[0] is "decode" / "label". Return the process exit code. */
int cli_decode_main(cli_ctx_t *ctx, int argc, char **argv);
int cli_label_main(cli_ctx_t *ctx, int argc, char **argv);

/* The identifier options of decode, label and scan, and the GS1 Company
 * Prefix length table they may load.  Zero-initialise, fill with
 * cli_ident_option() while parsing argv, then cli_ident_load() once; free
 * with cli_ident_free(). */
typedef struct cli_ident_cfg {
    gs1_ident_opts_t opts;
    const char *gcp_file; /* --gcp-table, else $KETEN_GCP_TABLE, else NULL */
    gs1_gcp_t *gcp;       /* loaded by cli_ident_load() */
} cli_ident_cfg_t;

/* Handles --gcp-length N, --gcp-table FILE and --strict at argv[*i]
 * (advancing *i past a value).  1 handled, 0 not one of these, or -2 (=
 * -CLI_EXIT_USAGE) after a usage message naming cmd. */
int cli_ident_option(cli_ident_cfg_t *c, const char *cmd, int argc, char **argv, int *i);

/* Loads the GCP length table named by --gcp-table or $KETEN_GCP_TABLE, if
 * any, and points c->opts.gcp at it.  0, or an exit code after a message. */
int cli_ident_load(cli_ident_cfg_t *c);

void cli_ident_free(cli_ident_cfg_t *c);

/* Writes code[0..len) for a message into out (NUL-terminated): GS as
 * "<GS>", other control bytes as "\xNN", cut with "..." beyond about 120
 * bytes.  Returns out. */
char *cli_ident_show(const char *code, size_t len, char *out, size_t cap);

/* The identifier a command's argument names, read once: every form
 * `keten decode` reads (Digital Link on any domain, element string with or
 * without parentheses, EPC pure identity, class and tag URN, EPC hex, bare
 * GTIN, nfc-uid:, any other URI such as an eventID or FEED:SEQ), through
 * ledger_key_read, into a malloc'd key (the caller frees it) that the
 * ledger's queries take as it is; (*out)->given is arg.  On bad input (a
 * wrong check digit, not a code at all) prints "keten CMD: ARG: <decode's
 * message>" and returns CLI_EXIT_INPUT; out of memory: CLI_EXIT_ENV. 0 on
 * success. */
int cli_ident_arg(const char *cmd, const char *arg, ledger_key_t **out);

/* Usage text lines of the identifier options, for the commands' --help. */
extern const char cli_ident_options_usage[];

#endif

/* cli_partner.h -- keys bound to companies (cli_partner.c): `keten
 * identity` (the own feed's signed statement of who it is), `keten peer
 * endorse` (an endorsement of a partner's key, checked out of band), and
 * the identity lines of `status` and `peer list`. */
#ifndef CLI_PARTNER_H
#define CLI_PARTNER_H

#include <jansson.h>

#include "cli_common.h"

int cli_identity_main(cli_ctx_t *ctx, int argc, char **argv);

/* `keten peer endorse ID ...`: argv[0] is "endorse". */
int cli_peer_endorse_main(cli_ctx_t *ctx, int argc, char **argv);

/* Adds "identity" and "endorsedBy" (ledger_stmts_feed_json) to every object
 * of arr, whose feed ID is its member `key` ("feed" or "id").  Statements
 * that cannot be read leave the objects as they are, with a warning on
 * stderr. */
void cli_partner_annotate(ledger_home_t *home, json_t *arr, const char *key);

/* Prints a statement's (JSON, as ledger_stmts_feed_json gives it) GLN,
 * GS1 Company Prefix and domain as ", GLN ..., ..." on the current line. */
void cli_partner_print_fields(const json_t *st);

/* Prints the identity lines of one annotated object, indented. */
void cli_partner_print(const json_t *o, const char *indent);

#endif

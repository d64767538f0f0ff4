/* cli_token.c -- `keten token`: make, list and revoke (or remove: the
 * same) the bearer tokens that the node's HTTP server asks for
 * (node_token.h).  `add` prints the
 * new token on stdout, alone on its line, so that T=$(keten token add ...)
 * keeps it; the note that it is shown only once goes to stderr.  The
 * token itself is never stored: the home keeps its SHA-256. */
#include "cli_token.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node_token.h"

static const char usage[] =
    "usage: keten token add NAME --scope capture,query\n"
    "       keten token list [--json]\n"
    "       keten token revoke NAME      (the same as: keten token remove NAME)\n"
    "\n"
    "Bearer tokens for the node's HTTP server (keten node --http). `add` makes a\n"
    "new random token, prints it once on stdout and stores only its SHA-256 in\n"
    "<home>/tokens.json (mode 0600). Scopes: capture (POST /capture, POST /events,\n"
    "GET /capture/...) and query (GET /events and the other EPCIS query routes).\n"
    "`revoke` (or `remove`) deletes the token's hash: a running node answers 401\n"
    "to it from its next request. A running node sees every change at its next\n"
    "request, no restart. Clients send Authorization: Bearer TOKEN.\n"
    "\n"
    "Until the first token is made the query routes are open and capture is\n"
    "refused; from then on (also after every token was removed) the query routes\n"
    "need a token with scope query. The resolver and /trace stay public.\n"
    "\n"
    "Example:\n"
    "  T=$(keten --home /tmp/s token add erp --scope capture,query)\n"
    "  keten --home /tmp/s token list\n"
    "  keten --home /tmp/s token revoke erp\n";

static int list(const cli_ctx_t *ctx, const char *home)
{
    node_token_info_t *v = NULL;
    size_t n = 0;
    int exists = 0, rc;
    ledger_err_t err;
    char sc[64];
    if ((rc = node_token_list(home, &v, &n, &exists, &err)))
        return cli_fail(ctx, rc, &err);
    if (ctx->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *s = json_array();
            if (v[i].scopes & NODE_SCOPE_CAPTURE)
                json_array_append_new(s, json_string("capture"));
            if (v[i].scopes & NODE_SCOPE_QUERY)
                json_array_append_new(s, json_string("query"));
            json_array_append_new(a, json_pack("{s:s, s:o, s:s}", "name", v[i].name, "scopes", s,
                                               "created", v[i].created));
        }
        char *text = json_dumps(a, JSON_COMPACT);
        puts(text ? text : "[]");
        free(text);
        json_decref(a);
    } else if (!n) {
        printf("no tokens%s\n", exists ? " (the query routes stay closed: tokens were made before)"
                                       : " (keten token add NAME --scope capture,query)");
    } else {
        printf("%-24s %-16s %s\n", "NAME", "SCOPES", "CREATED");
        for (size_t i = 0; i < n; i++) {
            node_token_scopes_str(v[i].scopes, sc, sizeof sc);
            printf("%-24s %-16s %s\n", v[i].name, sc, v[i].created);
        }
    }
    free(v);
    return 0;
}

int cli_token_main(cli_ctx_t *ctx, int argc, char **argv)
{
    const char *sub = NULL, *name = NULL, *scope = NULL;
    ledger_home_t *home = NULL;
    ledger_err_t err;
    unsigned scopes = 0;
    char token[NODE_TOKEN_TEXT], sc[64];
    int rc = 0, revoke = 0;

    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) {
            fputs(usage, stdout);
            return 0;
        }
        if ((r = cli_common_option(ctx, argc, argv, &i)) ||
            (r = cli_opt(argc, argv, &i, "--scope", &scope))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1])
            return cli_usage("token", "unknown option %s", argv[i]);
        if (!sub)
            sub = argv[i];
        else if (!name)
            name = argv[i];
        else
            return cli_usage("token", "unexpected argument %s", argv[i]);
    }
    if (!sub)
        sub = "list";
    if (!strcmp(sub, "revoke"))
        revoke = 1, sub = "remove"; /* the same: the word of the issue and of OAuth */
    if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "remove"))
        return cli_usage("token", "unknown subcommand %s (add, list, revoke, remove)", sub);
    if (strcmp(sub, "list") && !name)
        return cli_usage("token", "%s needs the token's NAME", sub);
    if (!strcmp(sub, "list") && (name || scope))
        return cli_usage("token", "list takes no NAME or --scope");
    if (!strcmp(sub, "remove") && scope)
        return cli_usage("token", "%s takes only the NAME", revoke ? "revoke" : "remove");
    if (!strcmp(sub, "add")) {
        if (!scope)
            return cli_usage("token", "add needs --scope (capture, query or capture,query)");
        if (node_token_scopes_parse(scope, &scopes, &err))
            return cli_usage("token", "--scope: %s", err.msg);
    }
    if ((rc = cli_open_home(ctx, LEDGER_STORE_RDONLY, &home)))
        return rc;
    if (!strcmp(sub, "list")) {
        rc = list(ctx, ledger_home_path(home));
    } else if (!strcmp(sub, "remove")) {
        if ((rc = node_token_remove(ledger_home_path(home), name, &err)))
            rc = cli_fail(ctx, rc, &err);
        else
            fprintf(stderr, "%s token %s: a running node refuses it from its next request\n",
                    revoke ? "revoked" : "removed", name);
    } else if ((rc = node_token_add(ledger_home_path(home), name, scopes, token, &err))) {
        rc = cli_fail(ctx, rc, &err);
    } else {
        node_token_scopes_str(scopes, sc, sizeof sc);
        if (ctx->json) {
            json_t *o = json_pack("{s:s, s:s, s:s}", "name", name, "scopes", sc, "token", token);
            char *text = json_dumps(o, JSON_COMPACT);
            puts(text ? text : "{}");
            free(text);
            json_decref(o);
        } else {
            puts(token);
        }
        fflush(stdout);
        fprintf(stderr,
                "token %s (%s) made: shown this once, keep it now (the home stores only its "
                "hash); send it as Authorization: Bearer TOKEN\n",
                name, sc);
        sodium_memzero(token, sizeof token);
    }
    ledger_home_close(home);
    return rc;
}

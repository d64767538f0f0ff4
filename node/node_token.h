/* node_token.h -- the bearer tokens of a home's HTTP server (docs/http.md,
 * "Tokens"): who may capture into the node and query it.
 *
 * A token is 32 random bytes (libsodium randombytes_buf) written as
 * "keten_" and 43 characters of unpadded base64url: it is shown once, when
 * it is made, and never stored.  What is stored is its SHA-256, with the
 * token's name, scopes and creation time, in <home>/tokens.json:
 *
 *   {"keten-tokens": 1, "tokens": [
 *     {"name": "erp", "scopes": ["capture", "query"],
 *      "created": "2026-12-07T06:00:00Z", "sha256": "<64 hex digits>"}]}
 *
 * The file is written whole, atomically (tmp file with O_EXCL, fsync,
 * rename, fsync of the directory), mode 0600; changes are serialised by an
 * exclusive flock on <home>/tokens.lock, so two `keten token add` at once
 * both land.  A JSON file rather than an LMDB table: the node holds the
 * store open read-write and must see a change made by another process
 * without a restart, which a stat per request gives cheaply; the file is
 * small (a few tokens) and belongs to the home's settings, next to
 * peers.json.
 *
 * The running node keeps a node_tokens_t: each check stat()s the file and
 * re-reads it when its inode, size or modification time changed.  A
 * presented token is hashed and compared with every stored hash by
 * sodium_memcmp (constant time; every row is compared, no early exit).
 *
 * The rule (node_capture.h, node_query.h use it): capture always needs a
 * token with scope "capture" (none made yet: 401 saying to run `keten token
 * add`); the query routes need scope "query" once the home has a
 * tokens.json, that is from the first `keten token add` on, also after
 * every token was removed again; the resolver and /trace stay public.
 */
#ifndef NODE_TOKEN_H
#define NODE_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "ledger_error.h"

#define NODE_TOKEN_FILE "tokens.json"
#define NODE_TOKEN_NAME_MAX 64    /* bytes of a token's name, at most */
#define NODE_TOKEN_TEXT 64        /* room for a token's text and its NUL */
#define NODE_TOKEN_MAX 1000       /* tokens in one home, at most */

enum {
    NODE_SCOPE_CAPTURE = 1,
    NODE_SCOPE_QUERY = 2,
};

/* Reads a comma-separated scope list ("capture,query") into *out.
 * LEDGER_EINVAL naming an unknown scope or for an empty list. */
int node_token_scopes_parse(const char *list, unsigned *out, ledger_err_t *err);
/* Writes scopes as "capture,query" into out[0..cap). */
void node_token_scopes_str(unsigned scopes, char *out, size_t cap);

/* Makes a token called name (1..NODE_TOKEN_NAME_MAX bytes of letters,
 * digits, '-', '_', '.') with scopes in home, writes its text (NUL-ended)
 * into token, and stores its hash.  LEDGER_EINVAL for a bad name or no
 * scope, LEDGER_EEXIST when the name is taken, LEDGER_ETOOBIG past
 * NODE_TOKEN_MAX, LEDGER_EINPUT for a damaged tokens.json, LEDGER_EIO.
 * On error nothing is changed and token holds no secret. */
int node_token_add(const char *home, const char *name, unsigned scopes,
                   char token[NODE_TOKEN_TEXT], ledger_err_t *err);

/* Removes the token called name.  LEDGER_ENOTFOUND when there is none,
 * else as node_token_add. */
int node_token_remove(const char *home, const char *name, ledger_err_t *err);

/* One stored token, without its hash. */
typedef struct node_token_info {
    char name[NODE_TOKEN_NAME_MAX + 1];
    unsigned scopes;
    char created[32]; /* RFC 3339 UTC, as stored */
} node_token_info_t;

/* The home's tokens in the order they were added: *out is a malloc'd array
 * of *n (NULL and 0 when none; the caller frees it).  *exists (may be
 * NULL) is 1 when the home has a tokens.json at all.  LEDGER_EINPUT for a
 * damaged file, LEDGER_EIO, LEDGER_ENOMEM. */
int node_token_list(const char *home, node_token_info_t **out, size_t *n, int *exists,
                    ledger_err_t *err);

/* ---- the running node's view -------------------------------------------- */

typedef struct node_tokens node_tokens_t;

/* The outcome of a check. */
enum {
    NODE_AUTH_OK = 0,      /* a known token with the scope */
    NODE_AUTH_NOTOKENS,    /* the home has no tokens.json: no token was ever made */
    NODE_AUTH_MISSING,     /* no "Authorization: Bearer ..." given (401) */
    NODE_AUTH_UNKNOWN,     /* a token that is not (or no longer) stored (401) */
    NODE_AUTH_SCOPE,       /* a known token without the scope (403) */
    NODE_AUTH_BROKEN,      /* tokens.json cannot be read: refused (503) */
};

/* The tokens of home, re-read on change (home must outlive it).
 * LEDGER_ENOMEM. */
int node_tokens_open(const char *home, node_tokens_t **out, ledger_err_t *err);
void node_tokens_close(node_tokens_t *t);

/* Checks the value of an Authorization header (NULL when absent) for
 * scope.  name (may be NULL) gets the token's name when it is known.
 * Re-reads tokens.json when it changed.  One of NODE_AUTH_*. */
int node_tokens_check(node_tokens_t *t, const char *authorization, unsigned scope,
                      char name[NODE_TOKEN_NAME_MAX + 1]);

/* 1 when the home has a tokens.json (a token was made once), else 0; a
 * file that cannot be read counts as present.  Re-reads on change. */
int node_tokens_exist(node_tokens_t *t);

/* Why the last re-read failed (for the log), "" when it did not. */
const char *node_tokens_error(const node_tokens_t *t);

#endif

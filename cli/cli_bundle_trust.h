/* cli_bundle_trust.h -- what `keten bundle verify` says about the partners'
 * keys (cli_bundle_trust.c): who states and endorses each key, who
 * witnessed each checkpoint, and the buyer's demands --trust FILE and
 * --require-witnesses N. */
#ifndef CLI_BUNDLE_TRUST_H
#define CLI_BUNDLE_TRUST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cli_trust {
    uint8_t (*keys)[32];
    char **labels;
    size_t n;
} cli_trust_t;

/* Reads a trust file: one key per line, "FEED-ID [label]" (64 lower-case
 * hex digits, then optional text), '#' comments and blank lines skipped.
 * 0, or an exit code after printing the line that is wrong. */
int cli_trust_load(const char *path, cli_trust_t *t);
void cli_trust_free(cli_trust_t *t);

/* Adds to each feed of the verified story "trust": {"known": label or null,
 * "vouched": bool, "vouchedBy": [feed...], "witnesses": [feed...] (counted),
 * "otherWitnesses": n}, and, when t is not NULL or require > 0, to the
 * story "demands": {"trust": bool, "requireWitnesses": N, "met": bool,
 * "failures": [text...]}.  Rules (docs/bundle.md): a key is vouched for
 * when it is in t or an agreeing endorsement by a key in t is carried; a
 * witness counts when it is not the feed itself and, with t, is vouched
 * for (in t, or a partner vouched for), without t, is a partner of the
 * bundle.  A version 1 or 2 bundle without demands is left as it is.
 * Returns the number of failures (0: every demand met). */
size_t cli_trust_eval(json_t *story, const cli_trust_t *t, long require);

/* Prints the identity, endorsement and witness lines of feed story f. */
void cli_trust_print_feed(const json_t *f);

#endif

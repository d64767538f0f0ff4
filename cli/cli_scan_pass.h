/* cli_scan_pass.h -- tunnel passes for `keten scan --window`: the tags read
 * in one pass of a cart become one event.
 *
 * An antenna map (`--antenna 1=urn:epc:id:sgln:0614141.00002.0,receiving`)
 * gives each antenna a read point and a business step; antennas with the
 * same read point and step are one group (several antennas, one tunnel).
 * Without a map every read is in one group, with the template's read point
 * and step.  Each group has at most one open pass: the distinct keys read
 * in it, in the order first read.  A pass is due when no new key came for
 * the window, or earlier, when none of its keys was read at all for the
 * idle time (the cart has left the field, or, in Gen 2 session 2 or 3,
 * every tag has answered and keeps quiet); cli_pass_take() then turns it into one event (a copy of the
 * template with every key in the list member, eventTime = the pass's first
 * read) and empties the group.  A pass holds at most CLI_PASS_MAX keys (an
 * event stays under the ledger's 1 MiB): cli_pass_add() says when it is
 * full and the caller takes it at once.
 *
 * Ownership: the set owns its keys; cli_pass_take() returns a new event
 * reference the caller releases.  Not thread-safe.
 */
#ifndef CLI_SCAN_PASS_H
#define CLI_SCAN_PASS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define CLI_PASS_MAX 10000  /* keys in one pass (one event) at most */
#define CLI_PASS_GROUPS 64  /* distinct (read point, step) pairs at most */

typedef struct cli_pass_set cli_pass_set_t;

/* A set with the window in ms (> 0) and the idle time in ms (0, or not
 * below the window: passes end by the window only).  0 or -1 (out of
 * memory). */
int cli_pass_set_create(cli_pass_set_t **out, int64_t window_ms, int64_t idle_ms);

/* Parses one --antenna value: "N[,N...]=READPOINT[,BIZSTEP]"; N 1..65535,
 * READPOINT any URI (urn:epc:id:sgln:..., https://...), BIZSTEP a CBV word
 * (receiving) or a URI.  An antenna mapped twice is an error.  0, or -1
 * with a message in msg. */
int cli_pass_map_add(cli_pass_set_t *ps, const char *spec, char *msg, size_t cap);

/* 1 when an antenna map was given. */
int cli_pass_has_map(const cli_pass_set_t *ps);

/* The group of antenna (0 = not said by the reader): its index, or -1 when
 * a map was given and does not name it. */
int cli_pass_group(const cli_pass_set_t *ps, unsigned antenna);

/* The number of groups (1 without a map). */
int cli_pass_groups(const cli_pass_set_t *ps);

/* Checks each group's event (the template with its read point and step)
 * with `check`, which returns 0 or -1 with a message.  0, or -1 with
 * "antenna N: <check's message>" in msg. */
int cli_pass_check(const cli_pass_set_t *ps, const json_t *tmpl,
                   int (*check)(json_t *ev, char *msg, size_t cap), char *msg, size_t cap);

/* 1 when key is in group g's open pass. */
int cli_pass_contains(const cli_pass_set_t *ps, int g, const char *key);

/* Adds key (cls: a class, for the quantity list) to group g's pass at
 * wall_ms (its first read opens the pass) and mono_ms (monotonic, for the
 * window).  1 added, 2 added and the pass is now full (take it), 0 already
 * in the pass, -1 out of memory. */
int cli_pass_add(cli_pass_set_t *ps, int g, const char *key, int cls, int64_t wall_ms,
                 int64_t mono_ms);

/* Renews the last read of group g's pass (a key already in it was read
 * again): for the idle time and the latency figure, not for the window. */
void cli_pass_seen(cli_pass_set_t *ps, int g, int64_t mono_ms);

/* The group whose open pass is due at mono_ms, or -1; *wait_ms (may be
 * NULL) gets the time until the next pass is due (-1: no open pass). */
int cli_pass_due(const cli_pass_set_t *ps, int64_t mono_ms, int64_t *wait_ms);

/* The number of keys in group g's open pass (0: none open). */
size_t cli_pass_size(const cli_pass_set_t *ps, int g);

/* Group g's read point and step for messages ("-" when none). */
const char *cli_pass_read_point(const cli_pass_set_t *ps, int g);
const char *cli_pass_biz_step(const cli_pass_set_t *ps, int g);

/* The event of group g's pass (a copy of tmpl; list/qlist are the member
 * names for instances and classes; when/tz format the first read's time
 * through fmt) and the pass's figures; the group is emptied.  NULL when
 * no pass is open or out of memory (the pass is then dropped). */
typedef struct {
    size_t n;              /* keys */
    int64_t first_wall_ms; /* first read */
    int64_t last_new_mono; /* the last new key */
    int64_t last_read_mono;/* the last read of any of its keys */
} cli_pass_info_t;
json_t *cli_pass_take(cli_pass_set_t *ps, int g, const json_t *tmpl, const char *list,
                      const char *qlist, void (*fmt)(int64_t ms, char when[40], char tz[8]),
                      cli_pass_info_t *info);

/* Empties group g's open pass without an event; returns how many keys it
 * had. */
size_t cli_pass_drop(cli_pass_set_t *ps, int g);

void cli_pass_set_free(cli_pass_set_t *ps);

#endif

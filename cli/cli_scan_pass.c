/* cli_scan_pass.c -- tunnel passes: the antenna map and the open pass of
 * each group (see cli_scan_pass.h for the contract).
 *
 * How it works: the map is a small array (antenna -> group); a group is a
 * distinct (read point, step) pair.  A group's open pass keeps its keys in
 * the order first read (an array of strdup'd strings and a class flag) and
 * an open-addressing hash of indices into that array, so that "already in
 * this pass?" is one lookup whatever the cart's size.  Due passes are found
 * by scanning the groups (at most CLI_PASS_GROUPS).
 */
#include "cli_scan_pass.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *read_point, *biz_step; /* NULL: the template's */
    char **keys;
    unsigned char *cls;
    size_t n, cap;
    size_t *slot; /* hash of index + 1 (0 = empty); hcap a power of two */
    size_t hcap;
    int64_t first_wall, last_new, last_read;
} group_t;

typedef struct {
    unsigned antenna;
    int group;
} map_t;

struct cli_pass_set {
    int64_t window_ms;
    int64_t idle_ms; /* 0: a pass ends by its window only */
    map_t map[CLI_PASS_GROUPS * 4];
    size_t nmap;
    group_t g[CLI_PASS_GROUPS];
    int ng;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

int cli_pass_set_create(cli_pass_set_t **out, int64_t window_ms, int64_t idle_ms)
{
    cli_pass_set_t *ps = calloc(1, sizeof *ps);
    if (!ps)
        return -1;
    ps->window_ms = window_ms;
    ps->idle_ms = idle_ms > 0 && idle_ms < window_ms ? idle_ms : 0;
    ps->ng = 1; /* group 0: no map (replaced when a map is given) */
    *out = ps;
    return 0;
}

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

int cli_pass_map_add(cli_pass_set_t *ps, const char *spec, char *msg, size_t cap)
{
    const char *eq = strchr(spec, '='), *p = spec, *rp, *comma;
    unsigned ants[16];
    size_t na = 0;
    char *point = NULL, *step = NULL;
    int g;
    if (!eq || eq == spec || !eq[1]) {
        snprintf(msg, cap,
                 "--antenna \"%s\": expected N=READPOINT[,BIZSTEP], e.g. "
                 "1=urn:epc:id:sgln:0614141.00002.0,receiving",
                 spec);
        return -1;
    }
    while (p < eq) {
        char *end;
        unsigned long a = strtoul(p, &end, 10);
        if (end == p || a < 1 || a > 65535 || (end != eq && *end != ',') || na == 16 ||
            (*p < '0' || *p > '9')) {
            snprintf(msg, cap, "--antenna \"%s\": antenna \"%.*s\" is not a number 1..65535",
                     spec, (int)(eq - spec), spec);
            return -1;
        }
        ants[na++] = (unsigned)a;
        p = end + (end != eq);
    }
    rp = eq + 1;
    comma = strchr(rp, ',');
    if (comma == rp || !strchr(rp, ':') || (comma && strchr(rp, ':') > comma)) {
        snprintf(msg, cap,
                 "--antenna \"%s\": the read point must be a URI, e.g. "
                 "urn:epc:id:sgln:0614141.00002.0",
                 spec);
        return -1;
    }
    if (comma && !comma[1]) {
        snprintf(msg, cap, "--antenna \"%s\": empty business step after the comma", spec);
        return -1;
    }
    point = comma ? strndup(rp, (size_t)(comma - rp)) : strdup(rp);
    step = comma ? strdup(comma + 1) : NULL;
    if (!point || (comma && !step))
        goto oom;
    if (ps->nmap == 0)
        ps->ng = 0;
    for (g = 0; g < ps->ng; g++)
        if (same(ps->g[g].read_point, point) && same(ps->g[g].biz_step, step))
            break;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < ps->nmap; j++)
            if (ps->map[j].antenna == ants[i]) {
                snprintf(msg, cap, "--antenna \"%s\": antenna %u is mapped twice", spec, ants[i]);
                goto fail;
            }
    if (g == ps->ng) {
        if (ps->ng == CLI_PASS_GROUPS) {
            snprintf(msg, cap, "--antenna: at most %d read points", CLI_PASS_GROUPS);
            goto fail;
        }
        ps->g[ps->ng].read_point = point;
        ps->g[ps->ng].biz_step = step;
        point = step = NULL;
        ps->ng++;
    }
    for (size_t i = 0; i < na; i++) {
        if (ps->nmap == sizeof ps->map / sizeof ps->map[0]) {
            snprintf(msg, cap, "--antenna: too many antennas");
            goto fail;
        }
        ps->map[ps->nmap].antenna = ants[i];
        ps->map[ps->nmap++].group = g;
    }
    free(point);
    free(step);
    return 0;
oom:
    snprintf(msg, cap, "out of memory");
fail:
    free(point);
    free(step);
    if (ps->nmap == 0)
        ps->ng = 1;
    return -1;
}

int cli_pass_has_map(const cli_pass_set_t *ps)
{
    return ps->nmap > 0;
}

int cli_pass_groups(const cli_pass_set_t *ps)
{
    return ps->ng;
}

int cli_pass_group(const cli_pass_set_t *ps, unsigned antenna)
{
    if (ps->nmap == 0)
        return 0;
    for (size_t i = 0; i < ps->nmap; i++)
        if (ps->map[i].antenna == antenna)
            return ps->map[i].group;
    return -1;
}

/* The template with group g's read point and step. */
static json_t *group_event(const cli_pass_set_t *ps, int g, const json_t *tmpl)
{
    json_t *ev = json_deep_copy(tmpl);
    const group_t *gr = &ps->g[g];
    if (!ev)
        return NULL;
    if (gr->read_point && json_object_set_new(ev, "readPoint", json_pack("{s:s}", "id",
                                                                          gr->read_point))) {
        json_decref(ev);
        return NULL;
    }
    if (gr->biz_step && json_object_set_new(ev, "bizStep", json_string(gr->biz_step))) {
        json_decref(ev);
        return NULL;
    }
    return ev;
}

int cli_pass_check(const cli_pass_set_t *ps, const json_t *tmpl,
                   int (*check)(json_t *ev, char *msg, size_t cap), char *msg, size_t cap)
{
    for (int g = 0; g < ps->ng; g++) {
        json_t *ev = group_event(ps, g, tmpl);
        char m[512];
        int rc;
        if (!ev) {
            snprintf(msg, cap, "out of memory");
            return -1;
        }
        rc = check(ev, m, sizeof m);
        json_decref(ev);
        if (rc) {
            unsigned a = 0;
            for (size_t i = 0; i < ps->nmap; i++)
                if (ps->map[i].group == g) {
                    a = ps->map[i].antenna;
                    break;
                }
            snprintf(msg, cap, "--antenna %u=%s%s%s: %s", a, cli_pass_read_point(ps, g),
                     ps->g[g].biz_step ? "," : "", ps->g[g].biz_step ? ps->g[g].biz_step : "", m);
            return -1;
        }
    }
    return 0;
}

static size_t *find_slot(const group_t *gr, const char *key)
{
    size_t j = (size_t)hash_str(key) & (gr->hcap - 1);
    for (; gr->slot[j]; j = (j + 1) & (gr->hcap - 1))
        if (strcmp(gr->keys[gr->slot[j] - 1], key) == 0)
            return &gr->slot[j];
    return &gr->slot[j];
}

int cli_pass_contains(const cli_pass_set_t *ps, int g, const char *key)
{
    const group_t *gr = &ps->g[g];
    return gr->n > 0 && *find_slot(gr, key) != 0;
}

static int grow(group_t *gr)
{
    size_t nc = gr->cap ? gr->cap * 2 : 256, hc = nc * 2;
    char **k = realloc(gr->keys, nc * sizeof *k);
    if (!k)
        return -1;
    gr->keys = k;
    unsigned char *c = realloc(gr->cls, nc);
    if (!c)
        return -1;
    gr->cls = c;
    size_t *s = calloc(hc, sizeof *s);
    if (!s)
        return -1;
    free(gr->slot);
    gr->slot = s;
    gr->hcap = hc;
    gr->cap = nc;
    for (size_t i = 0; i < gr->n; i++)
        *find_slot(gr, gr->keys[i]) = i + 1;
    return 0;
}

int cli_pass_add(cli_pass_set_t *ps, int g, const char *key, int cls, int64_t wall_ms,
                 int64_t mono_ms)
{
    group_t *gr = &ps->g[g];
    size_t *slot;
    if (gr->n > 0 && *find_slot(gr, key))
        return 0;
    if (gr->n == gr->cap && grow(gr))
        return -1;
    slot = find_slot(gr, key);
    if (!(gr->keys[gr->n] = strdup(key)))
        return -1;
    gr->cls[gr->n] = (unsigned char)(cls != 0);
    *slot = ++gr->n;
    if (gr->n == 1)
        gr->first_wall = wall_ms;
    gr->last_new = gr->last_read = mono_ms;
    return gr->n >= CLI_PASS_MAX ? 2 : 1;
}

void cli_pass_seen(cli_pass_set_t *ps, int g, int64_t mono_ms)
{
    if (mono_ms > ps->g[g].last_read)
        ps->g[g].last_read = mono_ms;
}

int cli_pass_due(const cli_pass_set_t *ps, int64_t mono_ms, int64_t *wait_ms)
{
    int64_t wait = -1;
    for (int g = 0; g < ps->ng; g++) {
        const group_t *gr = &ps->g[g];
        if (gr->n == 0)
            continue;
        int64_t left = gr->last_new + ps->window_ms - mono_ms;
        if (ps->idle_ms && gr->last_read + ps->idle_ms - mono_ms < left)
            left = gr->last_read + ps->idle_ms - mono_ms; /* its tags are no longer read */
        if (left <= 0) {
            if (wait_ms)
                *wait_ms = 0;
            return g;
        }
        if (wait < 0 || left < wait)
            wait = left;
    }
    if (wait_ms)
        *wait_ms = wait;
    return -1;
}

size_t cli_pass_size(const cli_pass_set_t *ps, int g)
{
    return ps->g[g].n;
}

const char *cli_pass_read_point(const cli_pass_set_t *ps, int g)
{
    return ps->g[g].read_point ? ps->g[g].read_point : "-";
}

const char *cli_pass_biz_step(const cli_pass_set_t *ps, int g)
{
    return ps->g[g].biz_step ? ps->g[g].biz_step : "-";
}

size_t cli_pass_drop(cli_pass_set_t *ps, int g)
{
    group_t *gr = &ps->g[g];
    size_t n = gr->n;
    for (size_t i = 0; i < gr->n; i++)
        free(gr->keys[i]);
    if (gr->slot)
        memset(gr->slot, 0, gr->hcap * sizeof *gr->slot);
    gr->n = 0;
    return n;
}

json_t *cli_pass_take(cli_pass_set_t *ps, int g, const json_t *tmpl, const char *list,
                      const char *qlist, void (*fmt)(int64_t ms, char when[40], char tz[8]),
                      cli_pass_info_t *info)
{
    group_t *gr = &ps->g[g];
    json_t *ev, *epcs = NULL, *qs = NULL;
    char when[40], tz[8];
    if (gr->n == 0)
        return NULL;
    info->n = gr->n;
    info->first_wall_ms = gr->first_wall;
    info->last_new_mono = gr->last_new;
    info->last_read_mono = gr->last_read;
    if (!(ev = group_event(ps, g, tmpl)))
        goto fail;
    for (size_t i = 0; i < gr->n; i++) {
        json_t **arr = gr->cls[i] ? &qs : &epcs;
        const char *member = gr->cls[i] ? qlist : list;
        json_t *item = gr->cls[i] ? json_pack("{s:s}", "epcClass", gr->keys[i])
                                  : json_string(gr->keys[i]);
        if (!*arr) {
            if (!(*arr = json_object_get(ev, member))) {
                *arr = json_array();
                if (json_object_set_new(ev, member, *arr))
                    goto fail_item;
            }
        }
        if (!item || json_array_append_new(*arr, item))
            goto fail_item;
        continue;
    fail_item:
        json_decref(item);
        goto fail;
    }
    fmt(gr->first_wall, when, tz);
    if (json_object_set_new(ev, "eventTime", json_string(when)) ||
        json_object_set_new(ev, "eventTimeZoneOffset", json_string(tz)))
        goto fail;
    cli_pass_drop(ps, g);
    return ev;
fail:
    json_decref(ev);
    cli_pass_drop(ps, g);
    return NULL;
}

void cli_pass_set_free(cli_pass_set_t *ps)
{
    if (!ps)
        return;
    for (int g = 0; g < CLI_PASS_GROUPS; g++) {
        cli_pass_drop(ps, g);
        free(ps->g[g].keys);
        free(ps->g[g].cls);
        free(ps->g[g].slot);
        free(ps->g[g].read_point);
        free(ps->g[g].biz_step);
    }
    free(ps);
}

/* ledger_trace_json.c -- the trace graph for programs (ledger_trace.h):
 * the stable names of node kinds, edge kinds and roles, the JSON form
 * "keten.trace/1" (docs/trace.md), and small helpers the reports share
 * (ILMD members by namespace, time text). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ledger__trace.h"
#include "ledger_entry.h"
#include "ledger_epcis.h"

const char *ledger_trace_edge_name(enum ledger_trace_edge_kind k)
{
    static const char *const names[] = {"",
                                        "observation",
                                        "shipment",
                                        "aggregation",
                                        "transformation",
                                        "transaction",
                                        "association",
                                        "lot",
                                        "neighbour",
                                        "correction"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "";
}

const char *ledger_trace_kind_name(enum ledger_trace_kind k)
{
    return k == LEDGER_TNODE_IDENT ? "identifier" : k == LEDGER_TNODE_EVENT ? "event" : "sealed";
}

const char *ledger_trace_role_name(int role)
{
    static const char *const names[] = {"",      "epc",    "class",  "parent",      "child",
                                        "input", "output", "source", "destination", "carried",
                                        "lot"};
    return role >= 0 && (unsigned)role < sizeof names / sizeof names[0] ? names[role] : "";
}

const char *ledger_trace_where(const ledger_trace_node_t *n)
{
    return n->biz_location ? n->biz_location : n->read_point;
}

const char *ledger_trace_after(const ledger_trace_node_t *n)
{
    const ledger_card_t *c = n->card;
    if (!n->biz_step || strcmp(n->biz_step, "shipping") != 0)
        return ledger_trace_where(n);
    for (size_t i = 0; c && i < c->nids; i++) {
        char ty[64];
        if (c->ids[i].role != LEDGER_ROLE_DEST)
            continue;
        ledger_epcis_cbv_short(c->ids[i].type ? c->ids[i].type : "", ty, sizeof ty);
        if (strcmp(ty, "location") == 0)
            return c->ids[i].written;
    }
    return ledger_trace_where(n);
}

void ledger_trace_fmt_ms(int64_t ms, char out[32])
{
    time_t s = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    int frac = (int)(ms - (int64_t)s * 1000);
    gmtime_r(&s, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + strlen(out), 32 - strlen(out), ".%03dZ", frac);
}

static const json_t *member_ns(const json_t *obj, const json_t *event, const char *ns,
                               const char *prefix, const char *local)
{
    const char *key;
    const json_t *v;
    size_t nl = strlen(ns), ll = strlen(local);
    json_object_foreach((json_t *)obj, key, v)
    {
        const char *colon = strchr(key, ':');
        size_t kl = strlen(key);
        if (kl == nl + ll && strncmp(key, ns, nl) == 0 && strcmp(key + nl, local) == 0)
            return v; /* the full IRI */
        if (!colon || strcmp(colon + 1, local) != 0)
            continue;
        {
            char pfx[64];
            const char *pns;
            size_t pl = (size_t)(colon - key);
            if (pl >= sizeof pfx)
                continue;
            memcpy(pfx, key, pl);
            pfx[pl] = '\0';
            pns = ledger_epcis_context_ns(event, pfx);
            if ((pns && strcmp(pns, ns) == 0) || (!pns && prefix && strcmp(pfx, prefix) == 0))
                return v;
        }
    }
    return NULL;
}

const json_t *ledger_trace_ilmd(const json_t *event, const char *ns, const char *prefix,
                                const char *local)
{
    const json_t *ilmd = json_object_get(event, "ilmd"), *v = NULL;
    if (!event || !ns || !local)
        return NULL;
    if (json_is_object(ilmd))
        v = member_ns(ilmd, event, ns, prefix, local);
    if (!v && json_is_object(event))
        v = member_ns(event, event, ns, prefix, local);
    return v;
}

static json_t *parties(const json_t *list, const char *member)
{
    json_t *out = json_array();
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *ty = json_string_value(json_object_get(v, "type"));
        const char *id = json_string_value(json_object_get(v, member));
        char short_ty[128];
        if (!id)
            continue;
        ledger_epcis_cbv_short(ty ? ty : "", short_ty, sizeof short_ty);
        json_array_append_new(out, json_pack("{s:s, s:s}", "type", short_ty, "id", id));
    }
    return out;
}

static json_t *quantities(const json_t *ev)
{
    static const char *const lists[][2] = {{"quantityList", "class"},
                                           {"childQuantityList", "child"},
                                           {"inputQuantityList", "input"},
                                           {"outputQuantityList", "output"}};
    json_t *out = json_array();
    for (size_t l = 0; l < 4; l++) {
        size_t i;
        const json_t *v;
        json_array_foreach(json_object_get(ev, lists[l][0]), i, v)
        {
            json_t *q = json_pack("{s:s, s:s}", "role", lists[l][1], "epcClass",
                                  json_string_value(json_object_get(v, "epcClass"))
                                      ? json_string_value(json_object_get(v, "epcClass"))
                                      : "");
            if (json_object_get(v, "quantity"))
                json_object_set(q, "quantity", json_object_get(v, "quantity"));
            if (json_object_get(v, "uom"))
                json_object_set(q, "uom", json_object_get(v, "uom"));
            json_array_append_new(out, q);
        }
    }
    return out;
}

static void set_str(json_t *o, const char *k, const char *v)
{
    json_object_set_new(o, k, v ? json_string(v) : json_null());
}

static json_t *node_json(const ledger_trace_t *t, const ledger_trace_node_t *n, size_t i)
{
    const json_t *ev;
    char id[32], hex[2 * LEDGER_FEED_LEN + 1], tm[32];
    json_t *o = json_object(), *reached = json_array();
    snprintf(id, sizeof id, "n%zu", i);
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "kind", json_string(ledger_trace_kind_name(n->kind)));
    json_object_set_new(o, "depth", json_integer(n->depth));
    if (n->reached & LEDGER_TRACE_BACK)
        json_array_append_new(reached, json_string("back"));
    if (n->reached & LEDGER_TRACE_FORWARD)
        json_array_append_new(reached, json_string("forward"));
    json_object_set_new(o, "reached", reached);
    if (n->kind == LEDGER_TNODE_IDENT) {
        json_object_set_new(o, "identifier", json_string(n->id));
        return o;
    }
    ledger_hex(n->feed, LEDGER_FEED_LEN, hex);
    json_object_set_new(o, "feed", json_string(hex));
    json_object_set_new(o, "seq", json_integer((json_int_t)n->seq));
    ledger_trace_fmt_ms((int64_t)n->record_time_ms, tm);
    json_object_set_new(o, "recordTime", json_string(tm));
    if (n->kind == LEDGER_TNODE_SEALED)
        return o;
    json_object_set_new(o, "eventID", json_string(n->id));
    json_object_set_new(o, "eventHash", json_string(n->event_hash));
    json_object_set_new(o, "type", json_string(n->type));
    ev = ledger_trace_node_event(t, n);
    set_str(o, "eventTime", json_string_value(json_object_get(ev, "eventTime")));
    ledger_trace_fmt_ms(n->time_ms, tm);
    json_object_set_new(o, "eventTimeUTC", json_string(tm));
    set_str(o, "action", n->action);
    set_str(o, "bizStep", n->biz_step);
    set_str(o, "disposition", n->disposition);
    set_str(o, "readPoint", n->read_point);
    set_str(o, "bizLocation", n->biz_location);
    json_object_set_new(o, "sources", parties(json_object_get(ev, "sourceList"), "source"));
    json_object_set_new(o, "destinations",
                        parties(json_object_get(ev, "destinationList"), "destination"));
    json_object_set_new(o, "quantities", quantities(ev));
    json_object_set_new(o, "erroneous", json_boolean(n->erroneous));
    if (n->erroneous) {
        json_t *d = json_deep_copy(n->declaration);
        if (!json_is_object(d)) {
            json_decref(d);
            d = json_object();
        }
        ledger_hex(n->decl_feed, LEDGER_FEED_LEN, hex);
        json_object_set_new(d, "feed", json_string(hex));
        json_object_set_new(d, "seq", json_integer((json_int_t)n->decl_seq));
        json_object_set_new(o, "errorDeclaration", d);
    }
    if (n->ndisputes) {
        json_t *ds = json_array();
        for (size_t k = 0; k < n->ndisputes; k++) {
            const ledger_trace_dispute_t *dp = &n->disputes[k];
            json_t *d = json_object();
            ledger_hex(dp->feed, LEDGER_FEED_LEN, hex);
            json_object_set_new(d, "feed", json_string(hex));
            json_object_set_new(d, "seq", json_integer((json_int_t)dp->seq));
            set_str(d, "reason", json_string_value(json_object_get(dp->declaration, "reason")));
            set_str(d, "declarationTime",
                    json_string_value(json_object_get(dp->declaration, "declarationTime")));
            json_array_append_new(ds, d);
        }
        json_object_set_new(o, "disputes", ds);
    }
    if (json_object_get(ev, "ilmd"))
        json_object_set(o, "ilmd", json_object_get(ev, "ilmd"));
    if (json_object_get(ev, "sensorElementList"))
        json_object_set(o, "sensorElementList", json_object_get(ev, "sensorElementList"));
    return o;
}

json_t *ledger_trace_json(const ledger_trace_t *t)
{
    json_t *o, *nodes, *edges;
    char id[32];
    if (!t)
        return NULL;
    nodes = json_array();
    edges = json_array();
    for (size_t i = 0; i < t->nn; i++)
        json_array_append_new(nodes, node_json(t, &t->nodes[i], i));
    for (size_t i = 0; i < t->ne; i++) {
        const ledger_trace_edge_t *e = &t->edges[i];
        char from[32], to[32];
        snprintf(from, sizeof from, "n%zu", e->from);
        snprintf(to, sizeof to, "n%zu", e->to);
        json_array_append_new(edges, json_pack("{s:s, s:s, s:s, s:s}", "from", from, "to", to,
                                               "kind", ledger_trace_edge_name(e->kind), "role",
                                               ledger_trace_role_name(e->role)));
    }
    snprintf(id, sizeof id, "n%zu", t->start);
    o = json_pack("{s:s, s:s, s:s, s:b, s:o, s:o}", "schema", "keten.trace/1", "start", id,
                  "direction",
                  t->dir == LEDGER_TRACE_BACK      ? "back"
                  : t->dir == LEDGER_TRACE_FORWARD ? "forward"
                                                   : "both",
                  "truncated", t->truncated, "nodes", nodes, "edges", edges);
    return o;
}

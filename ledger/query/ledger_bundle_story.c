/* ledger_bundle_story.c -- what both feed forms of a bundle share
 * (ledger__bundle.h): partner labels for messages, the check of a disclosed
 * payload (length, SHA-256, event payload, EPCIS event hash) and the story
 * object of each step, and the placing of sealed steps in time.
 */
#include "ledger__bundle.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ledger_epcis.h"
#include "ledger_evhash.h"
#include "ledger_sha256.h"

void ledger__bundle_iso_ms(uint64_t ms, char *out, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char b[32];
    if (!gmtime_r(&t, &tm) || !strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm)) {
        snprintf(out, n, "?");
        return;
    }
    snprintf(out, n, "%s.%03uZ", b, (unsigned)(ms % 1000));
}

const char *ledger__bundle_pname(const ledger__bv_t *v, const uint8_t *feed)
{
    for (size_t i = 0; i < v->nparts; i++)
        if (!ledger__bundle_feed_cmp(v->parts[i].feed, feed))
            return json_string_value(v->parts[i].name);
    return NULL;
}

const char *ledger__bundle_flabel(const ledger__bv_t *v, const uint8_t *feed, char *out, size_t n)
{
    char hex[65];
    const char *name = ledger__bundle_pname(v, feed);
    ledger_hex(feed, LEDGER_FEED_LEN, hex);
    if (name && *name)
        snprintf(out, n, "feed %.8s (%s)", hex, name);
    else
        snprintf(out, n, "feed %.8s", hex);
    return out;
}

int ledger__bundle_damaged(ledger__bv_t *v, const char *what, const ledger_err_t *e2)
{
    return ledger_err_set(v->err, LEDGER_EVERIFY, "bundle is damaged: %s%s%s", what, e2 ? ": " : "",
                          e2 ? e2->msg : "");
}

static int add_step(ledger__bv_t *v, int64_t when, const uint8_t *feed, uint64_t seq, json_t *obj)
{
    if (!obj)
        return LEDGER_ENOMEM;
    if (v->nsteps == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 16;
        ledger__bvstep_t *s = realloc(v->steps, cap * sizeof *s);
        if (!s) {
            json_decref(obj);
            return LEDGER_ENOMEM;
        }
        v->steps = s;
        v->cap = cap;
    }
    v->steps[v->nsteps++] = (ledger__bvstep_t){when, feed, seq, obj, 0};
    return 0;
}

static void set_str(json_t *o, const char *k, const char *s)
{
    if (s)
        json_object_set_new(o, k, json_string(s));
}

int ledger__bundle_payload_check(ledger__bv_t *v, const ledger_entry_t *e, const char *label)
{
    uint8_t h[LEDGER_HASH_LEN];
    if (!e->payload)
        return 0;
    ledger_sha256(h, e->payload, e->plen);
    if (e->plen != e->h.plen || memcmp(h, e->h.phash, LEDGER_HASH_LEN))
        return ledger_err_set(v->err, LEDGER_EVERIFY, "%s seq %llu: payload does not match its hash",
                              label, (unsigned long long)e->h.seq);
    return 0;
}

/* The story object of a step (docs/bundle.md); feed points into the bundle. */
int ledger__bundle_step(ledger__bv_t *v, const ledger_entry_t *e, const uint8_t *feed, const char *label)
{
    char hex[65], iso[64], evhash[96], fresh[LEDGER_EVHASH_LEN];
    json_t *o, *ev = NULL;
    ledger_epcis_info_t info;
    ledger_err_t e2;
    int64_t when = (int64_t)(e->h.record_time_ms & INT64_MAX);
    int rc;
    if ((rc = ledger__bundle_payload_check(v, e, label)))
        return rc;
    if (!(o = json_object()))
        return ledger_err_set(v->err, LEDGER_ENOMEM, "out of memory");
    json_object_set_new(o, "feed", json_string(ledger_hex(e->h.feed, LEDGER_FEED_LEN, hex)));
    set_str(o, "name", ledger__bundle_pname(v, e->h.feed));
    json_object_set_new(o, "seq", json_integer((json_int_t)e->h.seq));
    json_object_set_new(o, "recordTimeMs", json_integer((json_int_t)when));
    ledger__bundle_iso_ms(e->h.record_time_ms, iso, sizeof iso);
    json_object_set_new(o, "recordTime", json_string(iso));
    json_object_set_new(o, "sealed", json_boolean(e->payload == NULL));
    json_object_set_new(o, "payloadType", json_integer((json_int_t)e->h.ptype));
    json_object_set_new(o, "payloadLength", json_integer((json_int_t)e->h.plen));
    json_object_set_new(o, "payloadHash", json_string(ledger_hex(e->h.phash, 32, hex)));
    if (e->payload) {
        if (e->h.ptype != LEDGER_PT_EVENT) {
            json_decref(o);
            return ledger_err_set(v->err, LEDGER_EVERIFY,
                                  "%s seq %llu: payload type %u is not an event", label,
                                  (unsigned long long)e->h.seq, (unsigned)e->h.ptype);
        }
        if ((rc = ledger_event_payload_decode(e->payload, e->plen, &ev, evhash, sizeof evhash,
                                              &e2))) {
            json_decref(o);
            return ledger_err_set(v->err, LEDGER_EVERIFY,
                                  "%s seq %llu: payload does not decode as an event: %s", label,
                                  (unsigned long long)e->h.seq, e2.msg);
        }
        if ((rc = ledger_evhash_compute(ev, NULL, fresh, &e2)) || strcmp(fresh, evhash)) {
            rc = ledger_err_set(v->err, LEDGER_EVERIFY,
                                "%s seq %llu: event hash %s does not match the event (%s)", label,
                                (unsigned long long)e->h.seq, evhash, rc ? e2.msg : fresh);
            json_decref(ev);
            json_decref(o);
            return rc;
        }
        json_object_set_new(o, "eventHash", json_string(evhash));
        set_str(o, "eventID", json_string_value(json_object_get(ev, "eventID")));
        set_str(o, "type", json_string_value(json_object_get(ev, "type")));
        set_str(o, "eventTime", json_string_value(json_object_get(ev, "eventTime")));
        if (!ledger_epcis_info(ev, &info, NULL)) {
            char w[200];
            when = info.event_time_ms;
            json_object_set_new(o, "eventTimeMs", json_integer((json_int_t)info.event_time_ms));
            set_str(o, "action", info.action);
            if (info.biz_step) {
                ledger_epcis_cbv_short(info.biz_step, w, sizeof w);
                set_str(o, "bizStep", w);
            }
            if (info.disposition) {
                ledger_epcis_cbv_short(info.disposition, w, sizeof w);
                set_str(o, "disposition", w);
            }
            set_str(o, "bizLocation", info.biz_location);
            set_str(o, "readPoint", info.read_point);
            json_object_set_new(o, "errorDeclaration", json_boolean(info.error_declaration));
        }
        json_object_set_new(o, "event", ev);
    }
    if ((rc = add_step(v, when, feed, e->h.seq, o)))
        return ledger_err_set(v->err, rc, "out of memory");
    v->steps[v->nsteps - 1].sealed = e->payload == NULL;
    return 0;
}

void ledger__bundle_place_sealed(ledger__bv_t *v, size_t from)
{
    size_t i, first = v->nsteps;
    int64_t when = 0;
    for (i = from; i < v->nsteps; i++) {
        if (!v->steps[i].sealed) {
            if (first == v->nsteps)
                first = i;
            when = v->steps[i].when;
        } else if (first < v->nsteps) {
            v->steps[i].when = when;
        }
    }
    for (i = from; i < first && first < v->nsteps; i++)
        v->steps[i].when = v->steps[first].when;
}

json_t *ledger__bundle_feed_story(ledger__bv_t *v, const uint8_t *feed, const char *proof,
                                  uint64_t from, uint64_t to, size_t entries, size_t steps,
                                  size_t disclosed, size_t sealed, int *rc)
{
    char hex[65];
    json_t *f;
    *rc = 0;
    if (!v->story)
        return NULL;
    if (!(f = json_object()) || json_array_append_new(json_object_get(v->story, "feeds"), f)) {
        *rc = ledger_err_set(v->err, LEDGER_ENOMEM, "out of memory");
        return NULL;
    }
    json_object_set_new(f, "feed", json_string(ledger_hex(feed, LEDGER_FEED_LEN, hex)));
    json_object_set_new(f, "name", json_string(ledger__bundle_pname(v, feed)));
    json_object_set_new(f, "proof", json_string(proof));
    json_object_set_new(f, "from", json_integer((json_int_t)from));
    json_object_set_new(f, "to", json_integer((json_int_t)to));
    json_object_set_new(f, "entries", json_integer((json_int_t)entries));
    json_object_set_new(f, "steps", json_integer((json_int_t)steps));
    json_object_set_new(f, "disclosed", json_integer((json_int_t)disclosed));
    json_object_set_new(f, "sealed", json_integer((json_int_t)sealed));
    return f;
}

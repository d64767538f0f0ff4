/* test_node_writer.c -- the node's writer (node_writer.h) with batch jobs,
 * as the NATS capture uses them (node_capture_nats.h): in one job, a bad
 * document and one that is no JSON are refused alone (their messages name
 * the event and field), the good ones stored together; a document given
 * twice in one batch, or again in a later batch, stores nothing more (its
 * events counted as skipped); a document over max_events is refused;
 * nothing of a refused document is stored.  A real store in a temporary
 * home, a real writer thread and a real libuv loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ledger_home.h"
#include "ledger_store.h"
#include "node_writer.h"

typedef struct fixture {
    char dir[256];
    ledger_home_t *home;
    const ledger_identity_t *id;
    uv_loop_t loop;
    node_writer_t *w;
    int done;
} fixture_t;

static void on_done(void *ctx, node_writer_job_t *job)
{
    fixture_t *f = ctx;
    (void)job;
    f->done++;
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    char path[300];
    snprintf(f->dir, sizeof f->dir, "%s/keten-writer-XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(path, sizeof path, "%s/home", f->dir);
    if (ledger_home_create(path, "Test", NULL, NULL, 0, &f->home, NULL) ||
        ledger_home_identity(f->home, NULL, 0, &f->id, NULL) || uv_loop_init(&f->loop) ||
        node_writer_new(&f->loop, ledger_home_store(f->home), f->id, on_done, f, &f->w, NULL))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    char cmd[300];
    node_writer_close(f->w);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    uv_loop_close(&f->loop);
    ledger_home_close(f->home);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static char *ev(const char *serial, const char *epc_or_null, int with_id)
{
    char *s = malloc(600);
    snprintf(s, 600,
             "{\"type\":\"ObjectEvent\",%s\"eventTime\":\"2025-12-01T10:00:00Z\","
             "\"eventTimeZoneOffset\":\"+00:00\",\"action\":\"OBSERVE\",\"bizStep\":\"receiving\","
             "\"epcList\":[\"%s%s\"]}",
             with_id ? "\"eventID\":\"urn:uuid:3f1c0a5e-0000-4000-8000-0000000000aa\"," : "",
             epc_or_null ? epc_or_null : "urn:epc:id:sgtin:5412345.000012.",
             epc_or_null ? "" : serial);
    return s;
}

/* A document of the events a, b, c (b and c may be NULL; each malloc'd,
 * freed here). */
static char *doc3(char *a, char *b, char *c)
{
    char *s = malloc(2500);
    snprintf(s, 2500,
             "{\"@context\":[\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\"],"
             "\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\",\"creationDate\":"
             "\"2025-12-01T10:00:00Z\",\"epcisBody\":{\"eventList\":[%s%s%s%s%s]}}",
             a, b ? "," : "", b ? b : "", c ? "," : "", c ? c : "");
    free(a);
    free(b);
    free(c);
    return s;
}

static char *doc(char *a, char *b)
{
    return doc3(a, b, NULL);
}

static uint64_t head(fixture_t *f)
{
    ledger_feed_head_t h;
    return ledger_store_head(ledger_home_store(f->home), ledger_home_id(f->home), &h, NULL) == 0
               ? h.seq
               : 0;
}

static void run_job(fixture_t *f, node_writer_job_t *j)
{
    int before = f->done;
    assert_int_equal(node_writer_submit(f->w, j, NULL), 0);
    while (f->done == before)
        uv_run(&f->loop, UV_RUN_ONCE);
}

static void set_part(node_writer_part_t *p, char *body)
{
    memset(p, 0, sizeof *p);
    p->body = body;
    p->len = strlen(body);
}

static void test_batch(void **state)
{
    fixture_t *f = *state;
    node_writer_part_t parts[6];
    node_writer_job_t j;
    char *good1 = doc(ev("A1", NULL, 1), ev("A2", NULL, 0));
    set_part(&parts[0], strdup(good1));
    set_part(&parts[1], doc(ev("B0", NULL, 0), ev(NULL, "urn:epc:id:sgtin:nonsense", 0)));
    set_part(&parts[2], strdup("{\"type\": \"EPCISDocument\", "));
    set_part(&parts[3], strdup(good1)); /* the same document again, in the same batch */
    set_part(&parts[4], ev("C1", NULL, 0));
    set_part(&parts[5], doc3(ev("D1", NULL, 0), ev("D2", NULL, 0), ev("D3", NULL, 0)));
    memset(&j, 0, sizeof j);
    j.parts = parts;
    j.nparts = 6;
    j.skip_duplicates = 1;
    j.max_events = 2; /* part 5's three are too many */
    run_job(f, &j);
    assert_int_equal(j.rc, 0);
    assert_int_equal(parts[0].rc, 0);
    assert_int_equal(parts[0].stored, 2);
    assert_int_equal(parts[1].rc, LEDGER_EINPUT);
    assert_non_null(strstr(parts[1].msg, "event 1"));
    assert_non_null(strstr(parts[1].msg, "epcList"));
    assert_int_equal(parts[1].stored, 0);
    assert_int_equal(parts[2].rc, LEDGER_EINPUT);
    assert_int_equal(parts[3].rc, 0);
    assert_int_equal(parts[3].stored, 0);
    assert_int_equal(parts[3].skipped, 2);
    assert_int_equal(parts[4].rc, 0);
    assert_int_equal(parts[4].stored, 1);
    assert_int_equal(parts[5].rc, LEDGER_ETOOBIG);
    for (int i = 0; i < 6; i++)
        assert_null(parts[i].body); /* the writer's to free */
    assert_int_equal(head(f), 3);   /* A1, A2, C1: nothing of the refused ones */

    /* the first document in a later batch: nothing more stored */
    set_part(&parts[0], good1);
    memset(&j, 0, sizeof j);
    j.parts = parts;
    j.nparts = 1;
    j.skip_duplicates = 1;
    run_job(f, &j);
    assert_int_equal(parts[0].rc, 0);
    assert_int_equal(parts[0].stored, 0);
    assert_int_equal(parts[0].skipped, 2);
    assert_int_equal(head(f), 3);
}

/* A single-document job with skip_duplicates: the same document twice
 * succeeds, the second time storing nothing (skipped counted). */
static void test_skip_duplicates(void **state)
{
    fixture_t *f = *state;
    char *d = doc(ev("S1", NULL, 1), ev("S2", NULL, 0));
    for (int round = 0; round < 2; round++) {
        node_writer_job_t j;
        memset(&j, 0, sizeof j);
        j.body = strdup(d);
        j.len = strlen(d);
        j.skip_duplicates = 1;
        run_job(f, &j);
        assert_int_equal(j.rc, 0);
        assert_int_equal(j.stored, round ? 0 : 2);
        assert_int_equal(j.skipped, round ? 2 : 0);
    }
    {
        node_writer_job_t j; /* without it: a duplicate fails the job, as record does */
        memset(&j, 0, sizeof j);
        j.body = strdup(d);
        j.len = strlen(d);
        run_job(f, &j);
        assert_int_equal(j.rc, LEDGER_EEXIST);
    }
    free(d);
    assert_int_equal(head(f), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_skip_duplicates, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

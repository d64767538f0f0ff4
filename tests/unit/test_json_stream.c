/* test_json_stream.c -- ledger_json_load_skeleton and
 * ledger_json_array_foreach(_at): the big array is left out of the
 * skeleton, its elements come one at a time, and *at tells how far the text
 * has been read when each element is handed out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ledger_json.h"

typedef struct {
    const char *text;
    const char **at;
    size_t ends[8];
    int ids[8];
    size_t n;
} seen_t;

static int take(json_t *v, size_t index, void *ctx)
{
    seen_t *s = ctx;
    assert_int_equal(index, s->n);
    s->ids[s->n] = (int)json_integer_value(json_object_get(v, "id"));
    s->ends[s->n++] = s->at ? (size_t)(*s->at - s->text) : 0;
    return 0;
}

static void test_skeleton_and_at(void **state)
{
    (void)state;
    static const char doc[] = "{\"type\":\"EPCISDocument\",\"epcisBody\":{\"eventList\":"
                              "[ {\"id\":1} ,{\"id\":22},\n{\"id\":333} ]},\"z\":1}";
    static const char *const list[] = {"epcisBody", "eventList", NULL};
    static const char *const *const paths[] = {list};
    ledger_json_span_t span;
    json_t *root = ledger_json_load_skeleton(doc, sizeof doc - 1, paths, 1, &span);
    const char *at = NULL;
    seen_t s = {doc, &at, {0}, {0}, 0};
    size_t count = 0;
    assert_non_null(root);
    /* the skeleton has an empty eventList and everything else */
    assert_int_equal(json_array_size(json_object_get(json_object_get(root, "epcisBody"),
                                                     "eventList")),
                     0);
    assert_int_equal(json_integer_value(json_object_get(root, "z")), 1);
    assert_int_equal(ledger_json_array_foreach_at(&span, take, &s, &count, &at), 0);
    assert_int_equal(count, 3);
    assert_int_equal(s.ids[0], 1);
    assert_int_equal(s.ids[2], 333);
    /* each element's end: just past its closing brace */
    for (size_t i = 0; i < 3; i++) {
        assert_true(s.ends[i] > 0);
        assert_int_equal(doc[s.ends[i] - 1], '}');
    }
    assert_memory_equal(doc + s.ends[0] - 8, "{\"id\":1}", 8);
    assert_memory_equal(doc + s.ends[1] - 9, "{\"id\":22}", 9);
    assert_memory_equal(doc + s.ends[2] - 10, "{\"id\":333}", 10);
    assert_true(s.ends[0] < s.ends[1] && s.ends[1] < s.ends[2]);
    /* without at: the same elements (ledger_json_array_foreach) */
    seen_t s2 = {doc, NULL, {0}, {0}, 0};
    assert_int_equal(ledger_json_array_foreach(&span, take, &s2, &count), 0);
    assert_int_equal(s2.n, 3);
    assert_int_equal(s2.ids[1], 22);
    json_decref(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_skeleton_and_at)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

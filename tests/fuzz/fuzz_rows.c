/* fuzz_rows.c -- libFuzzer target: ingest reads event payloads
 * straight from CBOR (ledger__payload_rows, ledger_rows.c), own appends
 * and verify go through JSON (ledger_event_payload_decode, then
 * ledger__event_rows). Both must accept exactly the same payloads and build
 * exactly the same index rows; any difference aborts.
 *
 * The first input byte chooses how the rest is used: even, as payload
 * bytes (finds what the strict readers disagree on); odd, as JSON text of
 * an event that is encoded into a canonical payload first (explores what
 * the two readers take out of valid events). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledger__store.h"
#include "ledger_buf.h"
#include "ledger_cbor.h"
#include "ledger_entry.h"

static const char hash0[] =
    "ni:///sha-256;0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef?ver=CBV2.0";

static void compare(const uint8_t *p, size_t n)
{
    rows_t a = {0}, b = {0};
    ledger_buf_t sb = LEDGER_BUF_INIT;
    json_t *ev = NULL;
    char ha[96], hb[96];
    int ra, rb;

    ra = ledger_event_payload_decode(p, n, &ev, ha, sizeof ha, NULL);
    if (ra == 0) {
        const char *id = json_string_value(json_object_get(ev, "eventID"));
        ra = ledger__event_rows(ev, id ? id : ha, ha, 42, &a, NULL);
        json_decref(ev);
    }
    rb = ledger__payload_rows(p, n, 42, &b, &sb, hb, NULL);
    if (ra == LEDGER_ENOMEM || rb == LEDGER_ENOMEM)
        goto done;
    if ((ra == 0) != (rb == 0))
        abort(); /* one reader accepts what the other refuses */
    if (ra == 0) {
        if (strcmp(ha, hb) != 0 || a.n != b.n)
            abort();
        for (size_t i = 0; i < a.n; i++)
            if (a.v[i].db != b.v[i].db || a.v[i].klen != b.v[i].klen ||
                a.v[i].vlen != b.v[i].vlen || memcmp(a.v[i].key, b.v[i].key, a.v[i].klen) ||
                memcmp(a.v[i].val, b.v[i].val, a.v[i].vlen))
                abort(); /* different rows */
        if (a.card.len != b.card.len || memcmp(a.card.data, b.card.data, a.card.len))
            abort(); /* different cards */
    }
done:
    ledger__rows_free(&a);
    ledger__rows_free(&b);
    ledger_buf_free(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] % 2 == 0) {
        compare(data + 1, size - 1);
    } else {
        json_error_t je;
        json_t *ev = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY, &je);
        ledger_buf_t pb = LEDGER_BUF_INIT;
        if (ev && ledger_event_payload_encode(hash0, ev, &pb, NULL) == 0)
            compare(pb.data, pb.len);
        json_decref(ev);
        ledger_buf_free(&pb);
    }
    return 0;
}

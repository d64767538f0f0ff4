/* test_entry.c -- entries: canonical header bytes, strict decoding,
 * signatures and payload hashes, and the test vectors of docs/format.md
 * (tests/data/format_vectors.json: a feed of three entries made with a fixed
 * key; every byte must come out the same).
 *
 * `test_entry --print-vectors` prints the vectors file anew (only for a
 * deliberate, documented format change). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "ledger_buf.h"
#include "ledger_cbor.h"
#include "ledger_entry.h"
#include "ledger_evhash.h"
#include "ledger_identity.h"

#define VECTORS "tests/data/format_vectors.json"
#define RECORD_TIME 1764547200000ULL /* 2025-12-01T00:00:00Z */

static const char *const vector_events[3] = {
    "{\"type\":\"ObjectEvent\",\"action\":\"ADD\",\"bizStep\":\"commissioning\","
    "\"disposition\":\"active\",\"epcList\":[\"urn:epc:id:sgtin:5412345.000001.1001\"],"
    "\"eventTime\":\"2025-11-30T08:00:00.000+01:00\",\"eventTimeZoneOffset\":\"+01:00\","
    "\"readPoint\":{\"id\":\"urn:epc:id:sgln:5412345.00000.0\"}}",
    "{\"type\":\"ObjectEvent\",\"action\":\"OBSERVE\",\"bizStep\":\"shipping\","
    "\"disposition\":\"in_transit\",\"epcList\":[\"urn:epc:id:sgtin:5412345.000001.1001\"],"
    "\"eventTime\":\"2025-11-30T09:30:00.000+01:00\",\"eventTimeZoneOffset\":\"+01:00\","
    "\"bizLocation\":{\"id\":\"urn:epc:id:sgln:5412345.00000.0\"}}",
    "{\"type\":\"AggregationEvent\",\"action\":\"ADD\",\"bizStep\":\"packing\","
    "\"parentID\":\"urn:epc:id:sscc:5412345.0000000001\","
    "\"childEPCs\":[\"urn:epc:id:sgtin:5412345.000001.1001\"],"
    "\"eventTime\":\"2025-11-30T09:00:00.000+01:00\",\"eventTimeZoneOffset\":\"+01:00\"}",
};

static void tohex(const uint8_t *p, size_t n, char *out)
{
    sodium_bin2hex(out, 2 * n + 1, p, n);
}

/* Builds the three vector entries; returns a JSON array of objects with
 * hex fields. */
static json_t *make_vectors(void)
{
    uint8_t seed[32], prev[32] = {0};
    ledger_identity_t *id;
    json_t *out = json_array();

    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)i;
    assert_int_equal(ledger_identity_from_seed(seed, &id, NULL), 0);
    for (int i = 0; i < 3; i++) {
        ledger_buf_t payload = LEDGER_BUF_INIT, hb = LEDGER_BUF_INIT, eb = LEDGER_BUF_INIT;
        ledger_header_t h = {0};
        ledger_entry_t e;
        uint8_t sig[64], eh[32];
        char hash[LEDGER_EVHASH_LEN], *hx, *px, *ex, sx[129], ehx[65], kx[65], phx[65];
        json_t *ev = json_loads(vector_events[i], 0, NULL);

        assert_non_null(ev);
        assert_int_equal(ledger_evhash_compute(ev, NULL, hash, NULL), 0);
        json_object_set_new(ev, "eventID", json_string(hash));
        assert_int_equal(ledger_event_payload_encode(hash, ev, &payload, NULL), 0);
        h.version = 1;
        memcpy(h.feed, ledger_identity_public(id), 32);
        h.seq = (uint64_t)i + 1;
        memcpy(h.prev, prev, 32);
        h.record_time_ms = RECORD_TIME + (uint64_t)i;
        h.ptype = LEDGER_PT_EVENT;
        h.plen = payload.len;
        crypto_hash_sha256(h.phash, payload.data, payload.len);
        assert_int_equal(ledger_header_encode(&h, &hb), 0);
        ledger_identity_sign(id, hb.data, hb.len, sig);
        assert_int_equal(ledger_entry_encode(hb.data, hb.len, sig, payload.data, payload.len, &eb),
                         0);
        assert_int_equal(ledger_entry_decode(eb.data, eb.len, &e, NULL), 0);
        ledger_entry_hash(&e, eh);
        memcpy(prev, eh, 32);
        hx = malloc(2 * hb.len + 1);
        px = malloc(2 * payload.len + 1);
        ex = malloc(2 * eb.len + 1);
        tohex(hb.data, hb.len, hx);
        tohex(payload.data, payload.len, px);
        tohex(eb.data, eb.len, ex);
        tohex(sig, 64, sx);
        tohex(eh, 32, ehx);
        tohex(h.feed, 32, kx);
        tohex(h.phash, 32, phx);
        json_array_append_new(out, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "seq",
                                             (json_int_t)h.seq, "feed", kx, "eventHash", hash,
                                             "payload", px, "payloadSha256", phx, "header", hx,
                                             "signature", sx, "entryHash", ehx, "entry", ex));
        free(hx);
        free(px);
        free(ex);
        json_decref(ev);
        ledger_buf_free(&payload);
        ledger_buf_free(&hb);
        ledger_buf_free(&eb);
    }
    ledger_identity_free(id);
    return out;
}

static void test_vectors(void **state)
{
    json_error_t je;
    json_t *want, *got = make_vectors();
    (void)state;
    want = json_load_file(VECTORS, 0, &je);
    if (!want)
        fail_msg("%s: %s", VECTORS, je.text);
    for (size_t i = 0; i < 3; i++) {
        const char *keys[] = {"feed",   "eventHash", "payload",   "payloadSha256",
                              "header", "signature", "entryHash", "entry"};
        json_t *w = json_array_get(json_object_get(want, "entries"), i),
               *g = json_array_get(got, i);
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            const char *ws = json_string_value(json_object_get(w, keys[k]));
            const char *gs = json_string_value(json_object_get(g, keys[k]));
            if (!ws || !gs || strcmp(ws, gs) != 0)
                fail_msg("vector %zu: %s differs:\n want %s\n got  %s", i, keys[k],
                         ws ? ws : "(none)", gs ? gs : "(none)");
        }
    }
    json_decref(want);
    json_decref(got);
}

/* A signed entry for the tests below. */
static void make_entry(ledger_buf_t *eb, ledger_identity_t **idp)
{
    uint8_t seed[32] = {7}, sig[64];
    ledger_header_t h = {0};
    ledger_buf_t hb = LEDGER_BUF_INIT;
    static const char payload[] = "some payload bytes";
    assert_int_equal(ledger_identity_from_seed(seed, idp, NULL), 0);
    h.version = 1;
    memcpy(h.feed, ledger_identity_public(*idp), 32);
    h.seq = 1;
    h.record_time_ms = RECORD_TIME;
    h.ptype = LEDGER_PT_EVENT;
    h.plen = sizeof payload;
    crypto_hash_sha256(h.phash, (const uint8_t *)payload, sizeof payload);
    assert_int_equal(ledger_header_encode(&h, &hb), 0);
    ledger_identity_sign(*idp, hb.data, hb.len, sig);
    assert_int_equal(
        ledger_entry_encode(hb.data, hb.len, sig, (const uint8_t *)payload, sizeof payload, eb), 0);
    ledger_buf_free(&hb);
}

static void test_sign_verify_tamper(void **state)
{
    ledger_buf_t eb = LEDGER_BUF_INIT;
    ledger_identity_t *id;
    ledger_entry_t e;
    ledger_err_t err;
    (void)state;
    make_entry(&eb, &id);
    assert_int_equal(ledger_entry_decode(eb.data, eb.len, &e, &err), 0);
    assert_int_equal(ledger_entry_check_sig(&e, &err), 0);
    assert_int_equal(ledger_entry_check_payload(&e, &err), 0);
    /* a flipped payload byte: the payload hash no longer matches */
    eb.data[eb.len - 3] ^= 1;
    assert_int_equal(ledger_entry_decode(eb.data, eb.len, &e, &err), 0);
    assert_int_equal(ledger_entry_check_payload(&e, &err), LEDGER_EVERIFY);
    assert_non_null(strstr(err.msg, "payload SHA-256"));
    eb.data[eb.len - 3] ^= 1;
    /* a flipped signature byte */
    {
        assert_int_equal(ledger_entry_decode(eb.data, eb.len, &e, &err), 0);
        size_t off = (size_t)(e.sig - eb.data);
        eb.data[off + 10] ^= 0x40;
        assert_int_equal(ledger_entry_decode(eb.data, eb.len, &e, &err), 0);
        assert_int_equal(ledger_entry_check_sig(&e, &err), LEDGER_EVERIFY);
        eb.data[off + 10] ^= 0x40;
    }
    /* a flipped header byte (the seq): signature fails */
    {
        assert_int_equal(ledger_entry_decode(eb.data, eb.len, &e, &err), 0);
        size_t off = (size_t)(e.hbytes - eb.data);
        eb.data[off + 1 + 1 + 2 + 32] = 0x02; /* seq 1 -> 2 */
        assert_int_equal(ledger_entry_decode(eb.data, eb.len, &e, &err), 0);
        assert_int_equal(e.h.seq, 2);
        assert_int_equal(ledger_entry_check_sig(&e, &err), LEDGER_EVERIFY);
    }
    ledger_buf_free(&eb);
    ledger_identity_free(id);
}

static void test_decode_refuses(void **state)
{
    ledger_buf_t eb = LEDGER_BUF_INIT;
    ledger_identity_t *id;
    ledger_entry_t e;
    ledger_err_t err;
    (void)state;
    make_entry(&eb, &id);
    for (size_t n = 0; n < eb.len; n++) /* every truncation fails cleanly */
        assert_int_equal(ledger_entry_decode(eb.data, n, &e, &err), LEDGER_EINPUT);
    {
        ledger_header_t h = {0};
        ledger_buf_t hb = LEDGER_BUF_INIT;
        h.version = 2;
        h.seq = 1;
        h.ptype = 1;
        assert_int_equal(ledger_header_encode(&h, &hb), 0);
        assert_int_equal(ledger_header_decode(hb.data, hb.len, &h, &err), LEDGER_EINPUT);
        assert_non_null(strstr(err.msg, "version 2"));
        ledger_buf_reset(&hb);
        h.version = 1;
        h.seq = 0;
        assert_int_equal(ledger_header_encode(&h, &hb), 0);
        assert_int_equal(ledger_header_decode(hb.data, hb.len, &h, &err), LEDGER_EINPUT);
        ledger_buf_reset(&hb);
        h.seq = 1;
        h.prev[0] = 1; /* seq 1 must have a zero prev */
        assert_int_equal(ledger_header_encode(&h, &hb), 0);
        assert_int_equal(ledger_header_decode(hb.data, hb.len, &h, &err), LEDGER_EINPUT);
        ledger_buf_free(&hb);
    }
    ledger_buf_free(&eb);
    ledger_identity_free(id);
}

static void test_event_payload(void **state)
{
    json_t *ev = json_loads(vector_events[0], 0, NULL), *back = NULL;
    ledger_buf_t b = LEDGER_BUF_INIT;
    char hash[96];
    (void)state;
    static const char good[] =
        "ni:///sha-256;00000000000000000000000000000000000000000000000000000000000000ff?ver=CBV2.0";
    /* found by fuzz_entry: a hash text with a NUL in it was accepted */
    static const char nul[] = "ni:///\0a-256;0?ver=CBV2.0";
    ledger_buf_t bad = LEDGER_BUF_INIT;
    json_t *badhash = json_stringn(nul, sizeof nul - 1);
    assert_int_equal(ledger_cbor_put_array(&bad, 3), 0);
    assert_int_equal(ledger_cbor_put_uint(&bad, 1), 0);
    assert_int_equal(ledger_cbor_from_json(badhash, &bad, NULL), 0);
    assert_int_equal(ledger_cbor_from_json(ev, &bad, NULL), 0);
    assert_int_equal(ledger_event_payload_decode(bad.data, bad.len, &back, hash, sizeof hash, NULL),
                     LEDGER_EINPUT);
    json_decref(badhash);
    ledger_buf_free(&bad);
    assert_int_equal(ledger_event_payload_encode(good, ev, &b, NULL), 0);
    assert_int_equal(ledger_event_payload_decode(b.data, b.len, &back, hash, sizeof hash, NULL), 0);
    assert_string_equal(hash, good);
    assert_true(json_equal(ev, back));
    json_decref(back);
    b.data[1] = 2; /* payload version 2 */
    assert_int_equal(ledger_event_payload_decode(b.data, b.len, &back, NULL, 0, NULL),
                     LEDGER_EINPUT);
    json_decref(ev);
    ledger_buf_free(&b);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_sign_verify_tamper),
        cmocka_unit_test(test_decode_refuses),
        cmocka_unit_test(test_event_payload),
    };
    if (argc > 1 && strcmp(argv[1], "--print-vectors") == 0) {
        json_t *doc = json_pack("{s:s, s:s, s:I, s:o}", "description",
                                "keten entry format v1 test vectors (docs/format.md)", "seed",
                                "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                                "recordTimeMs", (json_int_t)RECORD_TIME, "entries", make_vectors());
        json_dumpf(doc, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(doc);
        return 0;
    }
    return cmocka_run_group_tests_name("entry", tests, NULL, NULL);
}

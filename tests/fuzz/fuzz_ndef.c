/* fuzz_ndef.c -- libFuzzer target for reader_ndef: the input is tag memory
 * as a reader would get it.
 *
 * The first byte picks the CC size used when the input has no valid CC;
 * bytes 0..15 are pages 0..3 (the CC on page 3) and the rest is the data
 * area.  The target walks it exactly like reader_nfc.c (CC, incremental TLV
 * scan with 16-byte reads, record walk, URI decode) and also feeds the raw
 * input to the record iterator, the URI and the text decoders, checking the
 * invariants the header promises (need grows, offsets inside the area,
 * strings NUL-terminated with the announced length).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reader_ndef.h"

static void walk_records(const uint8_t *m, size_t n)
{
    reader_ndef_iter_t it;
    reader_ndef_record_t r;
    ledger_err_t e;
    int rc;
    reader_ndef_iter_init(&it, m, n);
    while ((rc = reader_ndef_iter_next(&it, &r, &e)) == 1) {
        if (r.payload + r.payload_len > m + n || r.type + r.type_len > m + n)
            abort();
        if (reader_ndef_record_is(&r, "T")) {
            char lang[64], *t = NULL;
            size_t tl = 0;
            if (reader_ndef_text_decode(r.payload, r.payload_len, lang, &t, &tl, &e) == 0) {
                if (strlen(lang) > 63 || t == NULL)
                    abort();
                free(t);
            }
        }
    }
    if (rc == 1)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ledger_err_t e;
    char *s = NULL;
    size_t n = 0;

    /* The raw input as a message and as payloads. */
    walk_records(data, size);
    if (reader_ndef_find_uri(data, size, &s, &n, &e) == 1) {
        if (s == NULL || strlen(s) != n)
            abort();
    }
    free(s);
    s = NULL;
    if (reader_ndef_uri_decode(data, size, &s, &n, &e) == 0) {
        if (strlen(s) != n)
            abort();
        free(s);
    }
    char lang[64], *t = NULL;
    if (reader_ndef_text_decode(data, size, lang, &t, &n, &e) == 0)
        free(t);

    /* As tag memory. */
    if (size < 16)
        return 0;
    reader_ndef_cc_t cc;
    size_t area_size;
    int rc = reader_ndef_cc_parse(data + 12, &cc, &e);
    if (rc < 0)
        return 0;
    area_size = rc == 1 ? cc.data_size : (size_t)(data[0] % 64) * 8;
    const uint8_t *area = data + 16;
    size_t avail = size - 16, have = 0;
    if (area_size > avail)
        area_size = avail - avail % 8;
    reader_ndef_tlv_t tlv;
    for (;;) {
        rc = reader_ndef_tlv_find(area, have, area_size, &tlv, &e);
        if (rc != READER_NDEF_MORE)
            break;
        if (tlv.need <= have || tlv.need > area_size)
            abort();
        while (have < tlv.need)
            have = have + 16 < area_size ? have + 16 : area_size;
    }
    if (rc == READER_NDEF_FOUND) {
        if (tlv.msg_off > have || tlv.msg_len > have - tlv.msg_off)
            abort();
        walk_records(area + tlv.msg_off, tlv.msg_len);
        s = NULL;
        if (reader_ndef_find_uri(area + tlv.msg_off, tlv.msg_len, &s, &n, &e) == 1)
            free(s);
    }
    return 0;
}

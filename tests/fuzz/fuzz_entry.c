/* fuzz_entry.c -- libFuzzer target for the entry decoder: any bytes given
 * to ledger_entry_decode (and, when they decode, the payload and signature
 * checks and the event payload decoder) must give an answer, never a crash,
 * and a decoded entry must re-encode to exactly the bytes it came from
 * (one value, one encoding). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_buf.h"
#include "ledger_cbor.h"
#include "ledger_entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ledger_entry_t e;
    json_t *ev = NULL;
    char hash[96];

    if (ledger_entry_decode(data, size, &e, NULL) == 0) {
        ledger_buf_t b = LEDGER_BUF_INIT, hb = LEDGER_BUF_INIT;
        uint8_t eh[32];
        ledger_entry_check_payload(&e, NULL);
        ledger_entry_check_sig(&e, NULL);
        ledger_entry_hash(&e, eh);
        if (ledger_entry_encode(e.hbytes, e.hlen, e.sig, e.payload, e.plen, &b) == 0 &&
            (b.len != size || memcmp(b.data, data, size) != 0))
            abort(); /* the decoder accepted a non-canonical entry */
        if (ledger_header_encode(&e.h, &hb) == 0 &&
            (hb.len != e.hlen || memcmp(hb.data, e.hbytes, e.hlen) != 0))
            abort(); /* the header decoder accepted a non-canonical header */
        if (e.payload &&
            ledger_event_payload_decode(e.payload, e.plen, &ev, hash, sizeof hash, NULL) == 0)
            json_decref(ev);
        ledger_buf_free(&b);
        ledger_buf_free(&hb);
    }
    /* the payload decoder alone, on the raw bytes too */
    if (ledger_event_payload_decode(data, size, &ev, hash, sizeof hash, NULL) == 0) {
        ledger_buf_t b = LEDGER_BUF_INIT;
        if (ledger_event_payload_encode(hash, ev, &b, NULL) == 0 &&
            (b.len != size || memcmp(b.data, data, size) != 0))
            abort(); /* accepted a payload that is not in its one encoding */
        ledger_buf_free(&b);
        json_decref(ev);
    }
    return 0;
}

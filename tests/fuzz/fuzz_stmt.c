/* fuzz_stmt.c -- libFuzzer target for the statement decoder
 * (ledger_stmt_decode, payload type 4: identity statements and
 * endorsements), as a partner's entry brings it.  Must never crash or read
 * out of bounds.  What decodes must check (ledger_stmt_check) and must be
 * the one encoding of what it decodes to: encoding it again gives exactly
 * the input bytes (one statement, one encoding, so one payload hash).  Its
 * author check must refuse exactly one of "own feed" and "another feed"
 * for each kind. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_stmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ledger_stmt_t s;
    ledger_err_t err;
    ledger_buf_t again = LEDGER_BUF_INIT;
    uint8_t other[LEDGER_FEED_LEN];

    if (ledger_stmt_decode(data, size, &s, &err) != 0)
        return 0;
    if (ledger_stmt_check(&s, &err) != 0)
        abort();
    if (ledger_stmt_encode(&s, &again, &err) != 0 || again.len != size ||
        memcmp(again.data, data, size) != 0)
        abort();
    ledger_buf_free(&again);
    memcpy(other, s.subject, sizeof other);
    other[0] ^= 1;
    int own = ledger_stmt_check_author(&s, s.subject, &err) == 0;
    int foreign = ledger_stmt_check_author(&s, other, &err) == 0;
    if (own == foreign || own != (s.kind == LEDGER_STMT_IDENTITY))
        abort();
    return 0;
}

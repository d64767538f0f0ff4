/* fuzz_llrp.c -- libFuzzer target for reader_llrp_msg: the input is a TCP
 * stream from an LLRP reader.
 *
 * It is cut into messages exactly as reader_llrp.c cuts it (a 10-byte
 * header, then the length it announces, at most READER_LLRP_MSG_MAX) and
 * each message is decoded, checking what the header promises: every tag's
 * EPC length within bounds, the status text NUL-terminated and printable.
 * The whole input is also decoded as one message (a length mismatch must
 * be an error, never a read past the end).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reader_llrp_msg.h"

static int check_tag(void *arg, const reader_llrp_tag_t *t)
{
    size_t *n = arg;
    if (t->epc_bits == 0 || t->epc_bits > READER_LLRP_EPC_MAX_BITS)
        abort();
    (*n)++;
    return 0;
}

static void check_msg(const reader_llrp_msg_t *m)
{
    size_t l = strnlen(m->status_text, sizeof m->status_text);
    if (l == sizeof m->status_text)
        abort();
    for (size_t i = 0; i < l; i++)
        if (m->status_text[i] < 0x20 || m->status_text[i] > 0x7e)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader_llrp_msg_t m;
    reader_llrp_hdr_t h;
    ledger_err_t err;
    size_t off = 0, n;

    while (size - off >= READER_LLRP_HDR_LEN) {
        if (reader_llrp_hdr_parse(data + off, &h, &err))
            break; /* the stream is lost: the client drops the connection */
        if (h.length > size - off)
            break;
        n = 0;
        if (reader_llrp_decode(data + off, h.length, &m, check_tag, &n, &err) == 0) {
            check_msg(&m);
            if (m.ntags != n)
                abort();
        }
        off += h.length;
    }
    n = 0;
    if (reader_llrp_decode(data, size, &m, check_tag, &n, &err) == 0)
        check_msg(&m);
    return 0;
}

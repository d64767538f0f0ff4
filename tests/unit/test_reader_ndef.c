/* test_reader_ndef.c -- unit tests of reader_ndef (Type 2 Tag capability
 * container, TLVs, NDEF records, URI and text records).
 *
 * Every vector is built by hand from the NFC Forum specifications (Type 2
 * Tag, NDEF 1.0, URI RTD 1.0, Text RTD 1.0); the expected values are worked
 * out in the comments next to them, never taken from the code's output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reader_ndef.h"

#define DL "https://id.gs1.org/01/05412345000013/10/LOT42/21/SN001"
#define DL_REST "id.gs1.org/01/05412345000013/10/LOT42/21/SN001" /* 46 bytes after 04h */

/* Appends bytes / a string to a buffer. */
typedef struct {
    uint8_t b[4096];
    size_t n;
} buf_t;

static void put(buf_t *b, const char *hexbytes)
{
    for (const char *p = hexbytes; p[0] && p[1];) {
        if (*p == ' ') {
            p++;
            continue;
        }
        unsigned v;
        sscanf(p, "%2x", &v);
        b->b[b->n++] = (uint8_t)v;
        p += 2;
    }
}

static void puts_(buf_t *b, const char *s)
{
    size_t n = strlen(s);
    memcpy(b->b + b->n, s, n);
    b->n += n;
}

static void expect_err(int rc, int code, const ledger_err_t *e, const char *needle)
{
    assert_int_equal(rc, code);
    if (needle && strstr(e->msg, needle) == NULL) {
        fprintf(stderr, "message '%s' does not contain '%s'\n", e->msg, needle);
        fail();
    }
}

/* ---- capability container ---- */

static void test_cc(void **state)
{
    (void)state;
    reader_ndef_cc_t cc;
    ledger_err_t e;
    static const uint8_t ntag213[4] = {0xE1, 0x10, 0x12, 0x00};
    static const uint8_t ntag215[4] = {0xE1, 0x10, 0x3E, 0x00};
    static const uint8_t ntag216[4] = {0xE1, 0x10, 0x6D, 0x00};
    static const uint8_t ul[4] = {0xE1, 0x10, 0x06, 0x00};
    static const uint8_t locked[4] = {0xE1, 0x10, 0x12, 0x0F};
    static const uint8_t v11[4] = {0xE1, 0x11, 0x12, 0x00};
    static const uint8_t blank[4] = {0x00, 0x00, 0x00, 0x00};
    static const uint8_t other[4] = {0xE2, 0x10, 0x12, 0x00};
    static const uint8_t v2[4] = {0xE1, 0x20, 0x12, 0x00};
    static const uint8_t noread[4] = {0xE1, 0x10, 0x12, 0x80};
    static const uint8_t zero[4] = {0xE1, 0x10, 0x00, 0x00};

    assert_int_equal(reader_ndef_cc_parse(ntag213, &cc, &e), 1);
    assert_int_equal(cc.data_size, 144); /* 12h x 8 */
    assert_int_equal(cc.version, 0x10);
    assert_int_equal(cc.read_only, 0);
    assert_int_equal(reader_ndef_cc_parse(ntag215, &cc, &e), 1);
    assert_int_equal(cc.data_size, 496); /* 3Eh x 8 */
    assert_int_equal(reader_ndef_cc_parse(ntag216, &cc, &e), 1);
    assert_int_equal(cc.data_size, 872); /* 6Dh x 8 */
    assert_int_equal(reader_ndef_cc_parse(ul, &cc, &e), 1);
    assert_int_equal(cc.data_size, 48);
    assert_int_equal(reader_ndef_cc_parse(locked, &cc, &e), 1);
    assert_int_equal(cc.read_only, 1);
    assert_int_equal(cc.access, 0x0F);
    assert_int_equal(reader_ndef_cc_parse(v11, &cc, &e), 1); /* minor versions are fine */
    assert_int_equal(reader_ndef_cc_parse(blank, &cc, &e), 0);
    assert_int_equal(cc.data_size, 0);
    assert_int_equal(reader_ndef_cc_parse(other, &cc, &e), 0);
    expect_err(reader_ndef_cc_parse(v2, &cc, &e), LEDGER_EINPUT, &e, "version 2.0");
    expect_err(reader_ndef_cc_parse(noread, &cc, &e), LEDGER_EINPUT, &e, "read access");
    expect_err(reader_ndef_cc_parse(zero, &cc, &e), LEDGER_EINPUT, &e, "size is 0");
}

/* ---- TLVs ---- */

static void test_tlv_basic(void **state)
{
    (void)state;
    reader_ndef_tlv_t t;
    ledger_err_t e;
    buf_t a = {0};

    /* Empty NDEF TLV as on a blank formatted NTAG: 03 00 FE. */
    put(&a, "03 00 fe");
    assert_int_equal(reader_ndef_tlv_find(a.b, a.n, 144, &t, &e), READER_NDEF_FOUND);
    assert_int_equal(t.tlv_off, 0);
    assert_int_equal(t.msg_off, 2);
    assert_int_equal(t.msg_len, 0);

    /* Two NULL TLVs, then NDEF of 5 bytes at offset 2: value at 4. */
    a.n = 0;
    put(&a, "00 00 03 05 d1 01 01 55 00 fe");
    assert_int_equal(reader_ndef_tlv_find(a.b, a.n, 48, &t, &e), READER_NDEF_FOUND);
    assert_int_equal(t.tlv_off, 2);
    assert_int_equal(t.msg_off, 4);
    assert_int_equal(t.msg_len, 5);

    /* NTAG213 factory Lock Control TLV 01 03 A0 0C 34: PageAddr 0Ah,
     * ByteOffset 0, BytesPerPage 2^4 = 16: tag byte 160 = page 28h, the
     * dynamic lock bytes, just after the 144-byte data area (bytes 16..159):
     * no overlap.  NDEF TLV at offset 5, value at 7. */
    a.n = 0;
    put(&a, "01 03 a0 0c 34 03 04 d0 00 00 00 fe");
    assert_int_equal(reader_ndef_tlv_find(a.b, a.n, 144, &t, &e), READER_NDEF_FOUND);
    assert_int_equal(t.tlv_off, 5);
    assert_int_equal(t.msg_off, 7);
    assert_int_equal(t.msg_len, 4);

    /* Proprietary TLV (FDh, 2 bytes) and a reserved tag value (05h, 1 byte)
     * are skipped by length: NDEF TLV at 7, value at 9, length 0. */
    a.n = 0;
    put(&a, "fd 02 aa bb 05 01 00 03 00 fe");
    assert_int_equal(reader_ndef_tlv_find(a.b, a.n, 48, &t, &e), READER_NDEF_FOUND);
    assert_int_equal(t.tlv_off, 7);
    assert_int_equal(t.msg_off, 9);

    /* Terminator first: no NDEF.  All NULLs to the end: no NDEF. */
    a.n = 0;
    put(&a, "fe 03 00");
    assert_int_equal(reader_ndef_tlv_find(a.b, a.n, 48, &t, &e), READER_NDEF_ABSENT);
    uint8_t zeros[48] = {0};
    assert_int_equal(reader_ndef_tlv_find(zeros, 48, 48, &t, &e), READER_NDEF_ABSENT);
    /* ... but with only 16 of 48 bytes known, byte 16 is needed next. */
    assert_int_equal(reader_ndef_tlv_find(zeros, 16, 48, &t, &e), READER_NDEF_MORE);
    assert_int_equal(t.need, 17);
    assert_int_equal(reader_ndef_tlv_find(zeros, 0, 48, &t, &e), READER_NDEF_MORE);
    assert_int_equal(t.need, 1);
}

static void test_tlv_long_and_incremental(void **state)
{
    (void)state;
    reader_ndef_tlv_t t;
    ledger_err_t e;
    static uint8_t a[496];

    /* 3-byte length form: 03 FF 01 2C = 300 bytes, value at offset 4. */
    memset(a, 0, sizeof a);
    a[0] = 0x03, a[1] = 0xFF, a[2] = 0x01, a[3] = 0x2C;
    assert_int_equal(reader_ndef_tlv_find(a, 16, 496, &t, &e), READER_NDEF_MORE);
    assert_int_equal(t.need, 304); /* 4 + 300 */
    assert_int_equal(reader_ndef_tlv_find(a, 304, 496, &t, &e), READER_NDEF_FOUND);
    assert_int_equal(t.msg_off, 4);
    assert_int_equal(t.msg_len, 300);
    /* A 3-byte length cut between reads: have 2 -> need 4. */
    assert_int_equal(reader_ndef_tlv_find(a, 2, 496, &t, &e), READER_NDEF_MORE);
    assert_int_equal(t.need, 4);

    /* The Digital Link tag: URI record of 1 + 46 = 47 bytes payload, record
     * D1 01 2F 55 + 47 = 51 bytes, TLV 03 33 + 51 = 53 bytes then FE: the
     * NDEF value ends at byte 53, so pages 4..17 (64 bytes = 4 READs) are
     * read and no more. */
    buf_t b = {0};
    put(&b, "03 33 d1 01 2f 55 04");
    puts_(&b, DL_REST);
    put(&b, "fe");
    assert_int_equal(b.n, 54);
    assert_int_equal(reader_ndef_tlv_find(b.b, 16, 144, &t, &e), READER_NDEF_MORE);
    assert_int_equal(t.need, 53);
    assert_int_equal(reader_ndef_tlv_find(b.b, 48, 144, &t, &e), READER_NDEF_MORE);
    assert_int_equal(t.need, 53);
    assert_int_equal(reader_ndef_tlv_find(b.b, 53, 144, &t, &e), READER_NDEF_FOUND);
    assert_int_equal(t.msg_off, 2);
    assert_int_equal(t.msg_len, 51);
}

static void test_tlv_errors(void **state)
{
    (void)state;
    reader_ndef_tlv_t t;
    ledger_err_t e;
    uint8_t a[64];
    buf_t b = {0};

    /* NDEF TLV declaring 40h = 64 bytes in a 48-byte area: 46 left. */
    memset(a, 0, sizeof a);
    a[0] = 0x03, a[1] = 0x40;
    expect_err(reader_ndef_tlv_find(a, 48, 48, &t, &e), LEDGER_EINPUT, &e,
               "byte 0 of the data area (page 4) declares 64 bytes but only 46");
    assert_non_null(strstr(e.msg, "truncated"));

    /* Reserved length FFFFh. */
    memset(a, 0, sizeof a);
    a[0] = 0x03, a[1] = 0xFF, a[2] = 0xFF, a[3] = 0xFF;
    expect_err(reader_ndef_tlv_find(a, 48, 48, &t, &e), LEDGER_EINPUT, &e, "FFFFh is reserved");

    /* A TLV tag byte as the very last byte of the area: no room for a length.
     * Offset 7 is tag byte 23, page 5. */
    memset(a, 0, sizeof a);
    a[7] = 0x03;
    expect_err(reader_ndef_tlv_find(a, 8, 8, &t, &e), LEDGER_EINPUT, &e,
               "byte 7 of the data area (page 5) has no length");

    /* 3-byte length cut by the end of the area. */
    memset(a, 0, sizeof a);
    a[6] = 0x03, a[7] = 0xFF;
    expect_err(reader_ndef_tlv_find(a, 8, 8, &t, &e), LEDGER_EINPUT, &e, "3-byte length");

    /* Lock Control TLV with length 2 instead of 3. */
    put(&b, "01 02 a0 0c 03 00 fe");
    expect_err(reader_ndef_tlv_find(b.b, b.n, 48, &t, &e), LEDGER_EINPUT, &e, "expected 3");

    /* Memory Control TLV 02 03 20 10 44: PageAddr 2, ByteOffset 0,
     * BytesPerPage 2^4 = 16 -> tag byte 32 = area bytes 16..31 (10h = 16
     * bytes), inside the NDEF TLV at 5 whose value ends at 7 + 20 = 27. */
    b.n = 0;
    put(&b, "02 03 20 10 44 03 14");
    memset(b.b + b.n, 0, 20);
    b.n += 20;
    expect_err(reader_ndef_tlv_find(b.b, b.n, 144, &t, &e), LEDGER_EINPUT, &e,
               "reserves bytes 16..31");

    /* Bad arguments. */
    assert_int_equal(reader_ndef_tlv_find(a, 49, 48, &t, &e), LEDGER_EINVAL);
    assert_int_equal(reader_ndef_tlv_find(a, 0, 4096, &t, &e), LEDGER_EINVAL);
}

/* ---- records ---- */

static void test_records_single_uri(void **state)
{
    (void)state;
    buf_t m = {0};
    reader_ndef_iter_t it;
    reader_ndef_record_t r;
    ledger_err_t e;

    put(&m, "d1 01 2f 55 04");
    puts_(&m, DL_REST);
    assert_int_equal(m.n, 51);
    reader_ndef_iter_init(&it, m.b, m.n);
    assert_int_equal(reader_ndef_iter_next(&it, &r, &e), 1);
    assert_int_equal(r.header, 0xD1);
    assert_int_equal(r.tnf, 1);
    assert_int_equal(r.type_len, 1);
    assert_memory_equal(r.type, "U", 1);
    assert_null(r.id);
    assert_int_equal(r.payload_len, 47);
    assert_int_equal(r.payload[0], 0x04);
    assert_int_equal(r.offset, 0);
    assert_true(reader_ndef_record_is(&r, "U"));
    assert_false(reader_ndef_record_is(&r, "T"));
    assert_int_equal(reader_ndef_iter_next(&it, &r, &e), 0);
    assert_int_equal(reader_ndef_iter_next(&it, &r, &e), 0);

    char *uri = NULL;
    size_t n = 0;
    assert_int_equal(reader_ndef_find_uri(m.b, m.n, &uri, &n, &e), 1);
    assert_string_equal(uri, DL);
    assert_int_equal(n, strlen(DL));
    free(uri);
}

static void test_records_multi(void **state)
{
    (void)state;
    buf_t m = {0};
    reader_ndef_iter_t it;
    reader_ndef_record_t r;
    ledger_err_t e;
    char *uri = NULL;

    /* Text record "hi" (en) with MB, then URI record 03 "a.b" with ME. */
    put(&m, "91 01 05 54 02 65 6e 68 69");
    put(&m, "51 01 04 55 03 61 2e 62");
    reader_ndef_iter_init(&it, m.b, m.n);
    assert_int_equal(reader_ndef_iter_next(&it, &r, &e), 1);
    assert_true(reader_ndef_record_is(&r, "T"));
    assert_int_equal(r.payload_len, 5);
    assert_int_equal(reader_ndef_iter_next(&it, &r, &e), 1);
    assert_true(reader_ndef_record_is(&r, "U"));
    assert_int_equal(r.offset, 9);
    assert_int_equal(reader_ndef_iter_next(&it, &r, &e), 0);
    assert_int_equal(reader_ndef_find_uri(m.b, m.n, &uri, NULL, &e), 1);
    assert_string_equal(uri, "http://a.b");
    free(uri);

    /* Long record (SR clear): 4-byte payload length 5: 04 "a.co". */
    m.n = 0;
    put(&m, "c1 01 00 00 00 05 55 04 61 2e 63 6f");
    assert_int_equal(reader_ndef_find_uri(m.b, m.n, &uri, NULL, &e), 1);
    assert_string_equal(uri, "https://a.co");
    free(uri);

    /* ID present (IL): D9 = MB ME SR IL TNF1; type "U", ID "id", payload
     * 00 "ab". */
    m.n = 0;
    put(&m, "d9 01 03 02 55 69 64 00 61 62");
    reader_ndef_iter_init(&it, m.b, m.n);
    assert_int_equal(reader_ndef_iter_next(&it, &r, &e), 1);
    assert_int_equal(r.id_len, 2);
    assert_memory_equal(r.id, "id", 2);
    assert_int_equal(r.payload_len, 3);
    assert_int_equal(reader_ndef_find_uri(m.b, m.n, &uri, NULL, &e), 1);
    assert_string_equal(uri, "ab");
    free(uri);

    /* Smart poster: inner URI record D1 01 0A 55 04 "x.org/abc" (payload
     * 1 + 9 = 10, record 14 bytes) inside D1 02 0E "Sp". */
    m.n = 0;
    put(&m, "d1 02 0e 53 70 d1 01 0a 55 04");
    puts_(&m, "x.org/abc");
    assert_int_equal(reader_ndef_find_uri(m.b, m.n, &uri, NULL, &e), 1);
    assert_string_equal(uri, "https://x.org/abc");
    free(uri);

    /* MIME record only (D2: TNF 2, type "text/plain", payload "abc"): no URI. */
    m.n = 0;
    put(&m, "d2 0a 03");
    puts_(&m, "text/plainabc");
    assert_int_equal(reader_ndef_find_uri(m.b, m.n, &uri, NULL, &e), 0);
    assert_null(uri);

    /* Empty record D0 00 00 is valid; an empty message has no records. */
    m.n = 0;
    put(&m, "d0 00 00");
    reader_ndef_iter_init(&it, m.b, m.n);
    assert_int_equal(reader_ndef_iter_next(&it, &r, &e), 1);
    assert_int_equal(r.tnf, 0);
    assert_int_equal(reader_ndef_iter_next(&it, &r, &e), 0);
    reader_ndef_iter_init(&it, m.b, 0);
    assert_int_equal(reader_ndef_iter_next(&it, &r, &e), 0);
    assert_int_equal(reader_ndef_find_uri(m.b, 0, &uri, NULL, &e), 0);
}

static void expect_bad_message(const char *hexbytes, const char *needle)
{
    buf_t m = {0};
    reader_ndef_iter_t it;
    reader_ndef_record_t r;
    ledger_err_t e;
    int rc;
    char *uri = NULL;

    put(&m, hexbytes);
    reader_ndef_iter_init(&it, m.b, m.n);
    while ((rc = reader_ndef_iter_next(&it, &r, &e)) == 1)
        ;
    expect_err(rc, LEDGER_EINPUT, &e, needle);
    assert_int_equal(reader_ndef_iter_next(&it, &r, &e), 0); /* stays over */
    expect_err(reader_ndef_find_uri(m.b, m.n, &uri, NULL, &e), LEDGER_EINPUT, &e, needle);
    assert_null(uri);
}

static void test_records_errors(void **state)
{
    (void)state;
    expect_bad_message("b1 01 02 55 00 61", "chunked record");   /* CF */
    expect_bad_message("51 01 02 55 00 61", "does not have MB"); /* no MB */
    expect_bad_message("91 01 02 55 00 61", "does not have ME"); /* no ME */
    expect_bad_message("91 01 02 55 00 61 d1 01 02 55 00 62", "MB (message begin) set");
    expect_bad_message("d1 01 02 55 00 61 00", "1 more bytes follow");        /* trailing */
    expect_bad_message("d1 01 10 55 04 61", "payload of 16 bytes truncated"); /* 10h */
    expect_bad_message("d1 01", "header truncated");
    expect_bad_message("d1", "header truncated");
    expect_bad_message("c1 01 00 00", "header truncated");   /* long length cut */
    expect_bad_message("c1 01 ff ff ff ff 55", "truncated"); /* 4 GB payload */
    expect_bad_message("d9 01 01 05 55 69 64", "ID truncated");
    expect_bad_message("d1 05 01 55", "type truncated");
    expect_bad_message("d7 00 00", "TNF 7 is reserved");
    expect_bad_message("d6 00 00", "TNF 6 (unchanged)");
    expect_bad_message("d0 01 00 55", "empty record (TNF 0)");
    expect_bad_message("d5 01 00 55", "unknown type (TNF 5) with a type");
    /* The second record's offset is named: 91 01 01 55 00 is 5 bytes. */
    expect_bad_message("91 01 01 55 00 51 01 09 55", "record 2 at byte 5");

    /* A malformed URI payload inside a well-formed record: the message walks
     * fine, the URI is refused with the record's offset. */
    buf_t m = {0};
    ledger_err_t e;
    char *uri = NULL;
    put(&m, "d1 01 03 55 04 c3 28");
    expect_err(reader_ndef_find_uri(m.b, m.n, &uri, NULL, &e), LEDGER_EINPUT, &e,
               "NDEF record at byte 0: URI record: invalid UTF-8");
    assert_null(uri);
}

/* ---- URI and text payloads ---- */

static void test_uri_codes(void **state)
{
    (void)state;
    /* URI RTD 1.0 table 3, typed from the specification. */
    static const char *const expected[36] = {
        "",
        "http://www.",
        "https://www.",
        "http://",
        "https://",
        "tel:",
        "mailto:",
        "ftp://anonymous:anonymous@",
        "ftp://ftp.",
        "ftps://",
        "sftp://",
        "smb://",
        "nfs://",
        "ftp://",
        "dav://",
        "news:",
        "telnet://",
        "imap:",
        "rtsp://",
        "urn:",
        "pop:",
        "sip:",
        "sips:",
        "tftp:",
        "btspp://",
        "btl2cap://",
        "btgoep://",
        "tcpobex://",
        "irdaobex://",
        "file://",
        "urn:epc:id:",
        "urn:epc:tag:",
        "urn:epc:pat:",
        "urn:epc:raw:",
        "urn:epc:",
        "urn:nfc:",
    };
    ledger_err_t e;
    for (unsigned c = 0; c < 36; c++) {
        assert_string_equal(reader_ndef_uri_prefix((uint8_t)c), expected[c]);
        uint8_t p[3] = {(uint8_t)c, 'x', 'y'};
        char *s = NULL, want[64];
        size_t n = 0;
        snprintf(want, sizeof want, "%sxy", expected[c]);
        assert_int_equal(reader_ndef_uri_decode(p, 3, &s, &n, &e), 0);
        assert_string_equal(s, want);
        assert_int_equal(n, strlen(want));
        free(s);
    }
    /* Reserved codes 24h..FFh are treated as 00h. */
    for (unsigned c = 0x24; c <= 0xFF; c++)
        assert_string_equal(reader_ndef_uri_prefix((uint8_t)c), "");
    uint8_t rfu[4] = {0x24, 'a', ':', 'b'};
    char *s = NULL;
    assert_int_equal(reader_ndef_uri_decode(rfu, 4, &s, NULL, &e), 0);
    assert_string_equal(s, "a:b");
    free(s);
}

static void test_uri_decode(void **state)
{
    (void)state;
    ledger_err_t e;
    char *s = NULL;
    static const uint8_t tel[] = {0x05, '+', '3', '2', '1', '2'};
    static const uint8_t epc[] = {0x1E, 's', 'g', 't', 'i', 'n', ':', '1', '.', '2', '.', '3'};
    static const uint8_t utf8[] = {0x04, 'x', '/', 0xC3, 0xA9}; /* U+00E9 */
    static const uint8_t bad_utf8[] = {0x04, 'a', 0xC3, 0x28};
    static const uint8_t overlong[] = {0x04, 0xC0, 0xAF};
    static const uint8_t surrogate[] = {0x04, 0xED, 0xA0, 0x80};
    static const uint8_t newline[] = {0x04, 'a', 0x0A};
    static const uint8_t nul[] = {0x04, 'a', 0x00, 'b'};
    static const uint8_t c1[] = {0x04, 'a', 0xC2, 0x85};
    static const uint8_t only_code[] = {0x00};

    assert_int_equal(reader_ndef_uri_decode(tel, sizeof tel, &s, NULL, &e), 0);
    assert_string_equal(s, "tel:+3212");
    free(s);
    assert_int_equal(reader_ndef_uri_decode(epc, sizeof epc, &s, NULL, &e), 0);
    assert_string_equal(s, "urn:epc:id:sgtin:1.2.3");
    free(s);
    assert_int_equal(reader_ndef_uri_decode(utf8, sizeof utf8, &s, NULL, &e), 0);
    assert_string_equal(s, "https://x/\xC3\xA9");
    free(s);
    expect_err(reader_ndef_uri_decode(bad_utf8, sizeof bad_utf8, &s, NULL, &e), LEDGER_EINPUT, &e,
               "invalid UTF-8 (byte C3h) at byte 2");
    assert_null(s);
    expect_err(reader_ndef_uri_decode(overlong, sizeof overlong, &s, NULL, &e), LEDGER_EINPUT, &e,
               "invalid UTF-8");
    expect_err(reader_ndef_uri_decode(surrogate, sizeof surrogate, &s, NULL, &e), LEDGER_EINPUT, &e,
               "invalid UTF-8");
    expect_err(reader_ndef_uri_decode(newline, sizeof newline, &s, NULL, &e), LEDGER_EINPUT, &e,
               "control character (byte 0Ah) at byte 2");
    expect_err(reader_ndef_uri_decode(nul, sizeof nul, &s, NULL, &e), LEDGER_EINPUT, &e,
               "control character");
    expect_err(reader_ndef_uri_decode(c1, sizeof c1, &s, NULL, &e), LEDGER_EINPUT, &e,
               "control character");
    expect_err(reader_ndef_uri_decode(only_code, 1, &s, NULL, &e), LEDGER_EINPUT, &e, "empty");
    expect_err(reader_ndef_uri_decode(only_code, 0, &s, NULL, &e), LEDGER_EINPUT, &e,
               "empty payload");
}

static void test_text_decode(void **state)
{
    (void)state;
    ledger_err_t e;
    char lang[64], *t = NULL;
    size_t n = 0;
    static const uint8_t en[] = {0x02, 'e', 'n', 'H', 'i'};
    static const uint8_t le_bom[] = {0x82, 'e', 'n', 0xFF, 0xFE, 'H', 0, 'i', 0};
    static const uint8_t be_pair[] = {0x80, 0xD8, 0x3D, 0xDE, 0x00}; /* U+1F600 */
    static const uint8_t be_e9[] = {0x85, 'f', 'r', '-', 'B', 'E', 0x00, 0xE9};
    static const uint8_t lone[] = {0x80, 0xDC, 0x00};
    static const uint8_t cut_pair[] = {0x80, 0xD8, 0x3D};
    static const uint8_t odd[] = {0x80, 0x00, 0x41, 0x00};
    static const uint8_t rfu[] = {0x42, 'e', 'n'};
    static const uint8_t long_lang[] = {0x05, 'e', 'n'};
    static const uint8_t bad_lang[] = {0x02, 'e', ' ', 'x'};
    static const uint8_t bad_utf8[] = {0x02, 'e', 'n', 0xFF};

    assert_int_equal(reader_ndef_text_decode(en, sizeof en, lang, &t, &n, &e), 0);
    assert_string_equal(lang, "en");
    assert_string_equal(t, "Hi");
    assert_int_equal(n, 2);
    free(t);
    assert_int_equal(reader_ndef_text_decode(le_bom, sizeof le_bom, lang, &t, &n, &e), 0);
    assert_string_equal(t, "Hi");
    free(t);
    assert_int_equal(reader_ndef_text_decode(be_pair, sizeof be_pair, lang, &t, &n, &e), 0);
    assert_string_equal(lang, "");
    assert_string_equal(t, "\xF0\x9F\x98\x80");
    assert_int_equal(n, 4);
    free(t);
    assert_int_equal(reader_ndef_text_decode(be_e9, sizeof be_e9, lang, &t, &n, &e), 0);
    assert_string_equal(lang, "fr-BE");
    assert_string_equal(t, "\xC3\xA9");
    free(t);
    expect_err(reader_ndef_text_decode(lone, sizeof lone, lang, &t, &n, &e), LEDGER_EINPUT, &e,
               "unpaired UTF-16 surrogate at byte 1");
    assert_null(t);
    expect_err(reader_ndef_text_decode(cut_pair, sizeof cut_pair, lang, &t, &n, &e), LEDGER_EINPUT,
               &e, "unpaired UTF-16 surrogate at byte 1");
    expect_err(reader_ndef_text_decode(odd, sizeof odd, lang, &t, &n, &e), LEDGER_EINPUT, &e,
               "odd length");
    expect_err(reader_ndef_text_decode(rfu, sizeof rfu, lang, &t, &n, &e), LEDGER_EINPUT, &e,
               "reserved bit 6");
    expect_err(reader_ndef_text_decode(long_lang, sizeof long_lang, lang, &t, &n, &e),
               LEDGER_EINPUT, &e, "language code of 5 bytes");
    expect_err(reader_ndef_text_decode(bad_lang, sizeof bad_lang, lang, &t, &n, &e), LEDGER_EINPUT,
               &e, "not printable ASCII");
    expect_err(reader_ndef_text_decode(bad_utf8, sizeof bad_utf8, lang, &t, &n, &e), LEDGER_EINPUT,
               &e, "invalid UTF-8 at byte 3");
    expect_err(reader_ndef_text_decode(en, 0, lang, &t, &n, &e), LEDGER_EINPUT, &e,
               "empty payload");
}

/* ---- a whole NTAG213 memory image, as reader_nfc.c walks it ---- */

static void test_ntag213_image(void **state)
{
    (void)state;
    uint8_t mem[45 * 4];
    buf_t tlv = {0};
    reader_ndef_cc_t cc;
    reader_ndef_tlv_t t;
    ledger_err_t e;

    /* UID 04 A1 B2 C3 D4 E5 F6: BCC0 = 88 ^ 04 ^ A1 ^ B2 = 9F,
     * BCC1 = C3 ^ D4 ^ E5 ^ F6 = 04; CC E1 10 12 00 on page 3. */
    memset(mem, 0, sizeof mem);
    static const uint8_t head[16] = {0x04, 0xA1, 0xB2, 0x9F, 0xC3, 0xD4, 0xE5, 0xF6,
                                     0x04, 0x48, 0x00, 0x00, 0xE1, 0x10, 0x12, 0x00};
    memcpy(mem, head, 16);
    put(&tlv, "03 33 d1 01 2f 55 04");
    puts_(&tlv, DL_REST);
    put(&tlv, "fe");
    memcpy(mem + 16, tlv.b, tlv.n);

    assert_int_equal(reader_ndef_cc_parse(mem + 12, &cc, &e), 1);
    size_t have = 0, reads = 0;
    int rc;
    while ((rc = reader_ndef_tlv_find(mem + 16, have, cc.data_size, &t, &e)) == READER_NDEF_MORE)
        while (have < t.need) {
            have += 16;
            reads++;
        }
    assert_int_equal(rc, READER_NDEF_FOUND);
    assert_int_equal(reads, 4); /* pages 4..19: the value ends at byte 53 */
    char *uri = NULL;
    assert_int_equal(reader_ndef_find_uri(mem + 16 + t.msg_off, t.msg_len, &uri, NULL, &e), 1);
    assert_string_equal(uri, DL);
    free(uri);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cc),
        cmocka_unit_test(test_tlv_basic),
        cmocka_unit_test(test_tlv_long_and_incremental),
        cmocka_unit_test(test_tlv_errors),
        cmocka_unit_test(test_records_single_uri),
        cmocka_unit_test(test_records_multi),
        cmocka_unit_test(test_records_errors),
        cmocka_unit_test(test_uri_codes),
        cmocka_unit_test(test_uri_decode),
        cmocka_unit_test(test_text_decode),
        cmocka_unit_test(test_ntag213_image),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

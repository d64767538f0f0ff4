/* test_reader_llrp.c -- unit tests of reader_llrp_msg (LLRP 1.0.1 message
 * encoding and decoding).
 *
 * Every vector is built by hand from the LLRP 1.0.1 specification (header:
 * 3 reserved bits, version 1, 10-bit type, 32-bit length, 32-bit ID; TLV:
 * 6 reserved bits, 10-bit type, 16-bit length; TV: 1 + 7-bit type, fixed
 * value); the lengths are worked out in the comments, never taken from the
 * code's output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reader_llrp_msg.h"

static void test_encode_add_rospec(void **state)
{
    (void)state;
    /* ROSpec = 10 + ROBoundarySpec 18 + AISpec 26 + ROReportSpec 13 = 67;
     * message = 10 + 67 = 77.  Selector: AntennaID (bit 12), PeakRSSI (10),
     * FirstSeenTimestamp (9), TagSeenCount (7) = 0x1680. */
    static const uint8_t want[] = {
        0x04, 0x14, 0x00, 0x00, 0x00, 0x4D, 0x00, 0x00, 0x00, 0x05,        /* ADD_ROSPEC id 5 */
        0x00, 0xB1, 0x00, 0x43, 0x00, 0x00, 0x04, 0xB7, 0x00, 0x00,        /* ROSpec 1207 */
        0x00, 0xB2, 0x00, 0x12,                                            /* ROBoundarySpec */
        0x00, 0xB3, 0x00, 0x05, 0x01,                                      /* start: immediate */
        0x00, 0xB6, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00,              /* stop: null */
        0x00, 0xB7, 0x00, 0x1A, 0x00, 0x02, 0x00, 0x01, 0x00, 0x02,        /* AISpec ant 1,2 */
        0x00, 0xB8, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00,              /* AISpec stop null */
        0x00, 0xBA, 0x00, 0x07, 0x00, 0x01, 0x01,                          /* Gen2 */
        0x00, 0xED, 0x00, 0x0D, 0x02, 0x00, 0x01,                          /* ROReportSpec N=1 */
        0x00, 0xEE, 0x00, 0x06, 0x16, 0x80,                                /* selector */
    };
    uint8_t b[READER_LLRP_ENC_MAX];
    uint16_t ant[] = {1, 2};
    size_t n = reader_llrp_enc_add_rospec(b, sizeof b, 5, 1207, ant, 2, 1, -1, 0);
    assert_int_equal(n, sizeof want);
    assert_memory_equal(b, want, sizeof want);
    /* too small a buffer: 0, never a partial message */
    assert_int_equal(reader_llrp_enc_add_rospec(b, 40, 5, 1207, ant, 2, 1, -1, 0), 0);
    /* no antennas: one antenna ID 0 (all), 2 bytes shorter; AISpec at 38 */
    n = reader_llrp_enc_add_rospec(b, sizeof b, 5, 1207, NULL, 0, 1, -1, 0);
    assert_int_equal(n, 75);
    assert_int_equal(b[42], 0x00);
    assert_int_equal(b[43], 0x01); /* AntennaCount 1 */
    assert_int_equal(b[44], 0x00);
    assert_int_equal(b[45], 0x00); /* antenna 0 */
    assert_int_equal(b[39], 0xB7);
    assert_int_equal(b[41], 0x18); /* AISpec 4 + 2 + 2 + 9 + 7 = 24 */
}

/* session=2&population=300 on antennas 1 and 2: the InventoryParameterSpec
 * grows by one AntennaConfiguration per antenna, each 22 bytes:
 * AntennaConfiguration(222) 4 + AntennaID 2 + C1G2InventoryCommand(330)
 * { 4 + flags 1 + C1G2SingulationControl(336) { 4 + Session<<6 1 +
 * TagPopulation 2 + TagTransitTime 4 } }. */
static void test_encode_add_rospec_session(void **state)
{
    (void)state;
    static const uint8_t ips[] = {
        0x00, 0xBA, 0x00, 0x33, 0x00, 0x01, 0x01,       /* Gen2, 7 + 2 x 22 = 51 */
        0x00, 0xDE, 0x00, 0x16, 0x00, 0x01,             /* AntennaConfiguration ant 1 */
        0x01, 0x4A, 0x00, 0x10, 0x00,                   /* C1G2InventoryCommand */
        0x01, 0x50, 0x00, 0x0B, 0x80, 0x01, 0x2C, 0x00, /* SingulationControl S2, 300 */
        0x00, 0x00, 0x00,                               /* TagTransitTime 0 */
        0x00, 0xDE, 0x00, 0x16, 0x00, 0x02,             /* ant 2 */
    };
    uint8_t b[READER_LLRP_ENC_MAX];
    uint16_t ant[] = {1, 2};
    size_t n = reader_llrp_enc_add_rospec(b, sizeof b, 5, 1207, ant, 2, 1, 2, 300);
    assert_int_equal(n, 77 + 44);
    assert_int_equal(b[4] << 8 | b[5], 77 + 44);         /* message length */
    assert_int_equal(b[12] << 8 | b[13], 0x43 + 44);     /* ROSpec length */
    assert_int_equal(b[40] << 8 | b[41], 0x1A + 44);     /* AISpec length */
    assert_memory_equal(b + 57, ips, sizeof ips);     /* after AISpecStopTrigger */
    assert_int_equal(b[57 + 7 + 22 + 15], 0x80);         /* second: session 2 too */
    /* all antennas (n = 0): one AntennaConfiguration for antenna 0; session 3 */
    n = reader_llrp_enc_add_rospec(b, sizeof b, 5, 1207, NULL, 0, 1, 3, 32);
    assert_int_equal(n, 75 + 22);
    assert_int_equal(b[55 + 7] << 8 | b[55 + 8], 0xDE); /* AntennaConfiguration */
    assert_int_equal(b[55 + 11] << 8 | b[55 + 12], 0);   /* antenna 0 */
    assert_int_equal(b[55 + 22], 0xC0);                  /* Session 3 */
    /* 64 antennas with a session fit READER_LLRP_ENC_MAX */
    uint16_t many[READER_LLRP_ANTENNAS_MAX];
    for (size_t i = 0; i < READER_LLRP_ANTENNAS_MAX; i++)
        many[i] = (uint16_t)(i + 1);
    assert_true(reader_llrp_enc_add_rospec(b, sizeof b, 5, 1, many, READER_LLRP_ANTENNAS_MAX, 1,
                                           1, 32) > 0);
    /* no session 4 */
    assert_int_equal(reader_llrp_enc_add_rospec(b, sizeof b, 5, 1207, ant, 2, 1, 4, 32), 0);
}

static void test_encode_small(void **state)
{
    (void)state;
    uint8_t b[READER_LLRP_ENC_MAX];
    static const uint8_t ack[] = {0x04, 0x48, 0, 0, 0, 10, 0, 0, 0, 9};
    static const uint8_t close_[] = {0x04, 0x0E, 0, 0, 0, 10, 0, 0, 0, 1};
    static const uint8_t caps[] = {0x04, 0x01, 0, 0, 0, 11, 0, 0, 0, 2, 0};
    static const uint8_t del[] = {0x04, 0x15, 0, 0, 0, 14, 0, 0, 0, 3, 0, 0, 0, 0};
    static const uint8_t start[] = {0x04, 0x16, 0, 0, 0, 14, 0, 0, 0, 4, 0, 0, 0x04, 0xB7};
    static const uint8_t enable[] = {0x04, 0x18, 0, 0, 0, 14, 0, 0, 0, 4, 0, 0, 0x04, 0xB7};
    /* SET_READER_CONFIG: 10 + 1 + KeepaliveSpec (4 + 1 + 4 = 9) = 20 */
    static const uint8_t ka[] = {0x04, 0x03, 0, 0, 0, 20, 0, 0, 0, 6, 0x00,
                                 0x00, 0xDC, 0x00, 0x09, 0x01, 0x00, 0x00, 0x13, 0x88};
    assert_int_equal(reader_llrp_enc_empty(b, sizeof b, READER_LLRP_KEEPALIVE_ACK, 9), 10);
    assert_memory_equal(b, ack, 10);
    assert_int_equal(reader_llrp_enc_empty(b, sizeof b, READER_LLRP_CLOSE_CONNECTION, 1), 10);
    assert_memory_equal(b, close_, 10);
    assert_int_equal(reader_llrp_enc_get_caps(b, sizeof b, 2), 11);
    assert_memory_equal(b, caps, 11);
    assert_int_equal(reader_llrp_enc_rospec_id(b, sizeof b, READER_LLRP_DELETE_ROSPEC, 3, 0), 14);
    assert_memory_equal(b, del, 14);
    assert_int_equal(reader_llrp_enc_rospec_id(b, sizeof b, READER_LLRP_START_ROSPEC, 4, 1207), 14);
    assert_memory_equal(b, start, 14);
    assert_int_equal(reader_llrp_enc_rospec_id(b, sizeof b, READER_LLRP_ENABLE_ROSPEC, 4, 1207),
                     14);
    assert_memory_equal(b, enable, 14);
    assert_int_equal(reader_llrp_enc_keepalive_spec(b, sizeof b, 6, 5000), 20);
    assert_memory_equal(b, ka, 20);
    assert_int_equal(reader_llrp_enc_empty(b, 9, READER_LLRP_KEEPALIVE_ACK, 9), 0);
}

/* An RO_ACCESS_REPORT of 90 bytes: two TagReportData (34 and 38 bytes) and
 * a Custom parameter (8 bytes) at the end. */
static const uint8_t report[] = {
    0x04, 0x3D, 0x00, 0x00, 0x00, 0x5A, 0x00, 0x00, 0x00, 0x2A, /* RO_ACCESS_REPORT id 42 */
    /* TagReportData 1: 4 + EPC-96 13 + AntennaID 3 + PeakRSSI 2 + FirstSeen 9 + Count 3 = 34 */
    0x00, 0xF0, 0x00, 0x22,
    0x8D, 0x30, 0x74, 0x25, 0x7B, 0xF7, 0x19, 0x4E, 0x40, 0x00, 0x00, 0x1A, 0x85,
    0x81, 0x00, 0x01,
    0x86, 0xC4,
    0x82, 0x00, 0x05, 0xE0, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x88, 0x00, 0x03,
    /* TagReportData 2: 4 + EPCData 22 + unknown TLV 6 + ChannelIndex 3 + AntennaID 3 = 38 */
    0x00, 0xF0, 0x00, 0x26,
    0x00, 0xF1, 0x00, 0x16, 0x00, 0x80,
    0xE2, 0x80, 0x11, 0x60, 0x60, 0x00, 0x02, 0x08, 0x4E, 0x6C, 0x2F, 0x3A, 0x01, 0x02, 0x03, 0x04,
    0x03, 0xE7, 0x00, 0x06, 0xAA, 0xBB,
    0x87, 0x00, 0x05,
    0x81, 0x00, 0x02,
    /* Custom (1023): 8 bytes, skipped */
    0x03, 0xFF, 0x00, 0x08, 0x00, 0x00, 0x00, 0x19,
};

typedef struct {
    reader_llrp_tag_t t[4];
    size_t n;
} tags_t;

static int collect(void *arg, const reader_llrp_tag_t *t)
{
    tags_t *c = arg;
    if (c->n < 4)
        c->t[c->n] = *t;
    c->n++;
    return 0;
}

static void test_decode_report(void **state)
{
    (void)state;
    reader_llrp_msg_t m;
    ledger_err_t err;
    tags_t c = {0};
    static const uint8_t epc1[] = {0x30, 0x74, 0x25, 0x7B, 0xF7, 0x19,
                                   0x4E, 0x40, 0x00, 0x00, 0x1A, 0x85};
    assert_int_equal(sizeof report, 90);
    assert_int_equal(reader_llrp_decode(report, sizeof report, &m, collect, &c, &err), 0);
    assert_int_equal(m.hdr.type, READER_LLRP_RO_ACCESS_REPORT);
    assert_int_equal(m.hdr.id, 42);
    assert_int_equal(m.ntags, 2);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.t[0].epc_bits, 96);
    assert_memory_equal(c.t[0].epc, epc1, 12);
    assert_true(c.t[0].has_antenna);
    assert_int_equal(c.t[0].antenna, 1);
    assert_true(c.t[0].has_rssi);
    assert_int_equal(c.t[0].rssi, -60);
    assert_true(c.t[0].has_first_seen);
    assert_true(c.t[0].first_seen_us == 0x0005E00000000001ull);
    assert_int_equal(c.t[0].seen_count, 3);
    assert_int_equal(c.t[1].epc_bits, 128);
    assert_int_equal(c.t[1].epc[0], 0xE2);
    assert_int_equal(c.t[1].epc[15], 0x04);
    assert_int_equal(c.t[1].antenna, 2);
    assert_false(c.t[1].has_rssi);
    assert_false(c.t[1].has_seen_count);
}

static void expect_bad(const uint8_t *b, size_t n, const char *needle)
{
    reader_llrp_msg_t m;
    ledger_err_t err;
    tags_t c = {0};
    int rc = reader_llrp_decode(b, n, &m, collect, &c, &err);
    if (rc != LEDGER_EINPUT || !strstr(err.msg, needle))
        fail_msg("rc %d, message \"%s\", expected \"%s\"", rc, rc ? err.msg : "", needle);
}

static void test_decode_errors(void **state)
{
    (void)state;
    uint8_t b[sizeof report];
    /* version 2 */
    memcpy(b, report, sizeof b);
    b[0] = 0x08;
    expect_bad(b, sizeof b, "RO_ACCESS_REPORT (id 42): LLRP version 2");
    /* length under the header */
    memcpy(b, report, sizeof b);
    b[5] = 9;
    expect_bad(b, sizeof b, "shorter than its 10-byte header");
    /* over 1 MiB */
    memcpy(b, report, sizeof b);
    b[3] = 0x10;
    b[5] = 0x01;
    expect_bad(b, sizeof b, "over keten's limit");
    /* truncated: fewer bytes than the header says */
    expect_bad(report, sizeof report - 1, "length differs");
    /* TagReportData's length runs past the message */
    memcpy(b, report, sizeof b);
    b[13] = 0x51;
    expect_bad(b, sizeof b, "RO_ACCESS_REPORT (id 42): parameter length runs past its container at byte 10");
    /* EPC-96 TV's length runs past its TagReportData (cut to 10 bytes) */
    memcpy(b, report, sizeof b);
    b[13] = 10;
    expect_bad(b, sizeof b, "TV parameter runs past its container at byte 14");
    /* unknown TV type inside TagReportData */
    memcpy(b, report, sizeof b);
    b[27] = 0xFF;
    expect_bad(b, sizeof b, "unknown TV parameter type");
    /* EPCData says 200 bits with 16 bytes */
    memcpy(b, report, sizeof b);
    b[52] = 0x00;
    b[53] = 0xC8;
    expect_bad(b, sizeof b, "EPCData bits run past");
    /* a parameter length under 4 */
    memcpy(b, report, sizeof b);
    b[85] = 2;
    expect_bad(b, sizeof b, "parameter length under 4");
}

static void test_decode_no_epc(void **state)
{
    (void)state;
    static const uint8_t m1[] = {0x04, 0x3D, 0, 0, 0, 17, 0, 0, 0, 1,
                                 0x00, 0xF0, 0x00, 0x07, 0x81, 0x00, 0x01};
    expect_bad(m1, sizeof m1, "TagReportData without an EPC");
    /* a TLV carrying a TV type number (2, FirstSeenTimestampUTC) with no body:
     * was read as the 8-byte TV value past the message (fuzz_llrp) */
    static const uint8_t m2[] = {0x04, 0x3D, 0, 0, 0, 18, 0, 0, 0, 1,
                                 0x00, 0xF0, 0x00, 0x08, 0x00, 0x02, 0x00, 0x04};
    expect_bad(m2, sizeof m2, "TLV parameter with a TV type number");
}

static void test_decode_others(void **state)
{
    (void)state;
    reader_llrp_msg_t m;
    ledger_err_t err;
    static const uint8_t ka[] = {0x04, 0x3E, 0, 0, 0, 10, 0, 0, 0, 7};
    /* READER_EVENT_NOTIFICATION: data 4 + UTCTimestamp 12 + ConnectionAttemptEvent 6 = 22 */
    static const uint8_t ev[] = {0x04, 0x3F, 0, 0, 0, 32, 0, 0, 0, 0,
                                 0x00, 0xF6, 0x00, 0x16,
                                 0x00, 0x80, 0x00, 0x0C, 0, 0, 0, 0, 0, 0, 0, 1,
                                 0x01, 0x00, 0x00, 0x06, 0x00, 0x01};
    /* ERROR_MESSAGE: LLRPStatus 4 + 2 + 2 + 5 = 13 */
    static const uint8_t em[] = {0x04, 0x64, 0, 0, 0, 23, 0, 0, 0, 3,
                                 0x01, 0x1F, 0x00, 0x0D, 0x00, 0x65, 0x00, 0x05, 'b', 'a', 'd', 0x01, 'x'};
    /* GET_READER_CAPABILITIES_RESPONSE: LLRPStatus 8 + GeneralDeviceCapabilities 8 */
    static const uint8_t caps[] = {0x04, 0x0B, 0, 0, 0, 26, 0, 0, 0, 2,
                                   0x01, 0x1F, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00,
                                   0x00, 0x89, 0x00, 0x08, 0x00, 0x04, 0x00, 0x00};
    static const uint8_t nostatus[] = {0x04, 0x1E, 0, 0, 0, 10, 0, 0, 0, 2};
    static const uint8_t longdesc[] = {0x04, 0x64, 0, 0, 0, 18, 0, 0, 0, 3,
                                       0x01, 0x1F, 0x00, 0x08, 0x00, 0x65, 0x00, 0x09};
    assert_int_equal(reader_llrp_decode(ka, sizeof ka, &m, NULL, NULL, &err), 0);
    assert_int_equal(m.hdr.type, READER_LLRP_KEEPALIVE);
    assert_int_equal(m.hdr.id, 7);
    assert_int_equal(reader_llrp_decode(ev, sizeof ev, &m, NULL, NULL, &err), 0);
    assert_true(m.has_conn_attempt);
    assert_int_equal(m.conn_status, 1);
    assert_int_equal(reader_llrp_decode(em, sizeof em, &m, NULL, NULL, &err), 0);
    assert_true(m.has_status);
    assert_int_equal(m.status, 101);
    assert_string_equal(m.status_text, "bad?x");
    assert_int_equal(reader_llrp_decode(caps, sizeof caps, &m, NULL, NULL, &err), 0);
    assert_int_equal(m.status, 0);
    assert_int_equal(m.max_antennas, 4);
    expect_bad(nostatus, sizeof nostatus, "ADD_ROSPEC_RESPONSE (id 2): response without an LLRPStatus");
    expect_bad(longdesc, sizeof longdesc, "ErrorDescription runs past");
}

static void test_roundtrip_header(void **state)
{
    (void)state;
    uint8_t b[READER_LLRP_ENC_MAX];
    reader_llrp_hdr_t h;
    ledger_err_t err;
    char nb[32];
    size_t n = reader_llrp_enc_rospec_id(b, sizeof b, READER_LLRP_START_ROSPEC, 0xDEADBEEF, 1);
    assert_int_equal(reader_llrp_hdr_parse(b, &h, &err), 0);
    assert_int_equal(h.version, 1);
    assert_int_equal(h.type, READER_LLRP_START_ROSPEC);
    assert_int_equal(h.length, n);
    assert_true(h.id == 0xDEADBEEFu);
    assert_string_equal(reader_llrp_type_name(61, nb), "RO_ACCESS_REPORT");
    assert_string_equal(reader_llrp_type_name(999, nb), "message type 999");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_add_rospec),
        cmocka_unit_test(test_encode_add_rospec_session), cmocka_unit_test(test_encode_small),
        cmocka_unit_test(test_decode_report),     cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_decode_no_epc),     cmocka_unit_test(test_decode_others),
        cmocka_unit_test(test_roundtrip_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

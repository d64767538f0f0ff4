/* reader_llrp_msg.c -- LLRP 1.0.1 message encoding and decoding (see
 * reader_llrp_msg.h for the wire format and the contract).
 *
 * How it works: decoding walks a container (a message body or a TLV
 * parameter's body) with next_param(), which reads one TV or TLV header,
 * checks that the parameter fits in what is left of its container and hands
 * back its type and body.  The walk never recurses deeper than the
 * structure keten reads (message -> parameter -> sub-parameter), so there is
 * no recursion to bound.  Encoding appends big-endian fields to a bounded
 * buffer (enc_t); a TLV's length is patched when it is closed.
 */
#include "reader_llrp_msg.h"

#include <stdio.h>
#include <string.h>

/* Parameter types (LLRP 1.0.1, section 16.2). */
enum {
    TV_ANTENNA_ID = 1,
    TV_FIRST_SEEN_UTC = 2,
    TV_PEAK_RSSI = 6,
    TV_TAG_SEEN_COUNT = 8,
    TV_EPC96 = 13,
    P_GENERAL_DEVICE_CAPS = 137,
    P_ROSPEC = 177,
    P_RO_BOUNDARY_SPEC = 178,
    P_ROSPEC_START_TRIGGER = 179,
    P_ROSPEC_STOP_TRIGGER = 182,
    P_AISPEC = 183,
    P_AISPEC_STOP_TRIGGER = 184,
    P_INVENTORY_PARAMETER_SPEC = 186,
    P_KEEPALIVE_SPEC = 220,
    P_ANTENNA_CONFIGURATION = 222,
    P_RO_REPORT_SPEC = 237,
    P_TAG_REPORT_CONTENT_SELECTOR = 238,
    P_TAG_REPORT_DATA = 240,
    P_EPC_DATA = 241,
    P_READER_EVENT_NOTIFICATION_DATA = 246,
    P_CONNECTION_ATTEMPT_EVENT = 256,
    P_CONNECTION_CLOSE_EVENT = 257,
    P_LLRP_STATUS = 287,
    P_C1G2_INVENTORY_COMMAND = 330,
    P_C1G2_SINGULATION_CONTROL = 336
};

/* Value sizes of the TV parameters (types 1..20), 0 = not a TV type. */
static const unsigned char tv_size[21] = {0, 2, 8, 8, 8, 8, 1, 2, 2, 4, 2,
                                          2, 2, 12, 2, 2, 4, 2, 4, 2, 2};

static const struct {
    unsigned type;
    const char *name;
} type_names[] = {
    {1, "GET_READER_CAPABILITIES"}, {2, "GET_READER_CONFIG"}, {3, "SET_READER_CONFIG"},
    {4, "CLOSE_CONNECTION_RESPONSE"}, {11, "GET_READER_CAPABILITIES_RESPONSE"},
    {12, "GET_READER_CONFIG_RESPONSE"}, {13, "SET_READER_CONFIG_RESPONSE"},
    {14, "CLOSE_CONNECTION"}, {20, "ADD_ROSPEC"}, {21, "DELETE_ROSPEC"}, {22, "START_ROSPEC"},
    {23, "STOP_ROSPEC"}, {24, "ENABLE_ROSPEC"}, {25, "DISABLE_ROSPEC"},
    {30, "ADD_ROSPEC_RESPONSE"}, {31, "DELETE_ROSPEC_RESPONSE"}, {32, "START_ROSPEC_RESPONSE"},
    {33, "STOP_ROSPEC_RESPONSE"}, {34, "ENABLE_ROSPEC_RESPONSE"}, {35, "DISABLE_ROSPEC_RESPONSE"},
    {61, "RO_ACCESS_REPORT"}, {62, "KEEPALIVE"}, {63, "READER_EVENT_NOTIFICATION"},
    {64, "ENABLE_EVENTS_AND_REPORTS"}, {72, "KEEPALIVE_ACK"}, {100, "ERROR_MESSAGE"},
    {1023, "CUSTOM_MESSAGE"},
};

const char *reader_llrp_type_name(unsigned type, char buf[32])
{
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (type_names[i].type == type)
            return type_names[i].name;
    snprintf(buf, 32, "message type %u", type);
    return buf;
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

int reader_llrp_hdr_parse(const uint8_t b[READER_LLRP_HDR_LEN], reader_llrp_hdr_t *h,
                          ledger_err_t *err)
{
    char nb[32];
    uint16_t w = be16(b);
    h->version = (w >> 10) & 7;
    h->type = w & 0x3ff;
    h->length = be32(b + 2);
    h->id = be32(b + 6);
    if (h->version != READER_LLRP_VERSION)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "%s (id %u): LLRP version %u, keten speaks version 1 (LLRP 1.0.1)",
                              reader_llrp_type_name(h->type, nb), h->id, h->version);
    if (h->length < READER_LLRP_HDR_LEN)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "%s (id %u): message length %u is shorter than its 10-byte header",
                              reader_llrp_type_name(h->type, nb), h->id, h->length);
    if (h->length > READER_LLRP_MSG_MAX)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "%s (id %u): message of %u bytes is over keten's limit of %u",
                              reader_llrp_type_name(h->type, nb), h->id, h->length,
                              READER_LLRP_MSG_MAX);
    return 0;
}

/* ---- decoding ----------------------------------------------------------- */

typedef struct {
    const uint8_t *base; /* the message, for offsets in error messages */
    const reader_llrp_hdr_t *hdr;
    ledger_err_t *err;
} dec_t;

static int bad(const dec_t *d, const uint8_t *at, const char *what)
{
    char nb[32];
    return ledger_err_set(d->err, LEDGER_EINPUT, "%s (id %u): %s at byte %zu",
                          reader_llrp_type_name(d->hdr->type, nb), d->hdr->id, what,
                          (size_t)(at - d->base));
}

/* Reads the parameter at *p in [*p, end): its type, body and body length;
 * *p moves past it.  1 = a parameter, 0 = the container is done, or the
 * LEDGER_EINPUT of bad(). */
static int next_param(const dec_t *d, const uint8_t **p, const uint8_t *end, unsigned *type,
                      const uint8_t **body, size_t *blen)
{
    const uint8_t *q = *p;
    if (q >= end)
        return 0;
    if (q[0] & 0x80) {
        unsigned t = q[0] & 0x7f;
        if (t >= sizeof tv_size || tv_size[t] == 0)
            return bad(d, q, "unknown TV parameter type (its size is unknown)");
        if ((size_t)(end - q) < 1u + tv_size[t])
            return bad(d, q, "TV parameter runs past its container");
        *type = t;
        *body = q + 1;
        *blen = tv_size[t];
        *p = q + 1 + tv_size[t];
        return 1;
    }
    if (end - q < 4)
        return bad(d, q, "truncated parameter header");
    uint16_t len = be16(q + 2);
    if (len < 4)
        return bad(d, q, "parameter length under 4");
    if (len > (size_t)(end - q))
        return bad(d, q, "parameter length runs past its container");
    if ((be16(q) & 0x3ff) < 128) /* 1..127 are TV types: their values have fixed sizes */
        return bad(d, q, "TLV parameter with a TV type number (under 128)");
    *type = be16(q) & 0x3ff;
    *body = q + 4;
    *blen = (size_t)len - 4;
    *p = q + len;
    return 1;
}

static int dec_status(const dec_t *d, const uint8_t *b, size_t n, reader_llrp_msg_t *m)
{
    if (n < 4)
        return bad(d, b, "LLRPStatus shorter than its fields");
    size_t tl = be16(b + 2), j = 0;
    if (tl > n - 4)
        return bad(d, b, "LLRPStatus ErrorDescription runs past the parameter");
    m->has_status = 1;
    m->status = be16(b);
    for (size_t i = 0; i < tl && j + 1 < sizeof m->status_text; i++) {
        uint8_t c = b[4 + i];
        m->status_text[j++] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
    }
    m->status_text[j] = '\0';
    return 0;
}

static int dec_tag(const dec_t *d, const uint8_t *b, size_t n, reader_llrp_tag_t *t)
{
    const uint8_t *p = b, *end = b + n, *body;
    unsigned type;
    size_t blen;
    int rc, have_epc = 0;
    memset(t, 0, sizeof *t);
    while ((rc = next_param(d, &p, end, &type, &body, &blen)) == 1) {
        if (type == TV_EPC96 && !have_epc) {
            memcpy(t->epc, body, 12);
            t->epc_bits = 96;
            have_epc = 1;
        } else if (type == P_EPC_DATA && !have_epc) {
            if (blen < 2)
                return bad(d, body - 4, "EPCData shorter than its EPCLengthBits");
            unsigned bits = be16(body);
            if (bits == 0 || bits > READER_LLRP_EPC_MAX_BITS)
                return bad(d, body - 4, "EPCData length out of range 1..512 bits");
            if ((bits + 7) / 8 > blen - 2)
                return bad(d, body - 4, "EPCData bits run past the parameter");
            memcpy(t->epc, body + 2, (bits + 7) / 8);
            t->epc_bits = bits;
            have_epc = 1;
        } else if (type == TV_ANTENNA_ID) {
            t->has_antenna = 1;
            t->antenna = be16(body);
        } else if (type == TV_PEAK_RSSI) {
            t->has_rssi = 1;
            t->rssi = (int8_t)body[0];
        } else if (type == TV_FIRST_SEEN_UTC) {
            t->has_first_seen = 1;
            t->first_seen_us = be64(body);
        } else if (type == TV_TAG_SEEN_COUNT) {
            t->has_seen_count = 1;
            t->seen_count = be16(body);
        } /* everything else (ROSpecID, ChannelIndex, OpSpec results, ...) skipped */
    }
    if (rc < 0)
        return rc;
    if (!have_epc)
        return bad(d, b - 4, "TagReportData without an EPC");
    return 0;
}

static int dec_event(const dec_t *d, const uint8_t *b, size_t n, reader_llrp_msg_t *m)
{
    const uint8_t *p = b, *end = b + n, *body;
    unsigned type;
    size_t blen;
    int rc;
    while ((rc = next_param(d, &p, end, &type, &body, &blen)) == 1) {
        if (type == P_CONNECTION_ATTEMPT_EVENT) {
            if (blen < 2)
                return bad(d, body - 4, "ConnectionAttemptEvent shorter than its Status");
            m->has_conn_attempt = 1;
            m->conn_status = be16(body);
        } else if (type == P_CONNECTION_CLOSE_EVENT) {
            m->conn_close = 1;
        }
    }
    return rc;
}

int reader_llrp_decode(const uint8_t *msg, size_t len, reader_llrp_msg_t *out,
                       reader_llrp_tag_cb cb, void *arg, ledger_err_t *err)
{
    dec_t d = {msg, &out->hdr, err};
    const uint8_t *p, *end, *body;
    unsigned type;
    size_t blen;
    int rc;

    memset(out, 0, sizeof *out);
    if (len < READER_LLRP_HDR_LEN)
        return ledger_err_set(err, LEDGER_EINPUT, "LLRP message of %zu bytes: shorter than its header",
                              len);
    if ((rc = reader_llrp_hdr_parse(msg, &out->hdr, err)))
        return rc;
    if (out->hdr.length != len)
        return bad(&d, msg + 2, "message length differs from the bytes given");
    p = msg + READER_LLRP_HDR_LEN;
    end = msg + len;
    switch (out->hdr.type) {
    case READER_LLRP_RO_ACCESS_REPORT:
        while ((rc = next_param(&d, &p, end, &type, &body, &blen)) == 1) {
            reader_llrp_tag_t tag;
            if (type != P_TAG_REPORT_DATA)
                continue;
            if ((rc = dec_tag(&d, body, blen, &tag)))
                return rc;
            out->ntags++;
            if (cb && (rc = cb(arg, &tag)) != 0)
                return rc;
        }
        return rc;
    case READER_LLRP_READER_EVENT_NOTIFICATION:
        while ((rc = next_param(&d, &p, end, &type, &body, &blen)) == 1)
            if (type == P_READER_EVENT_NOTIFICATION_DATA && (rc = dec_event(&d, body, blen, out)))
                return rc;
        return rc;
    case READER_LLRP_KEEPALIVE:
        return 0;
    case READER_LLRP_GET_READER_CAPABILITIES_RESPONSE:
    case READER_LLRP_SET_READER_CONFIG_RESPONSE:
    case READER_LLRP_CLOSE_CONNECTION_RESPONSE:
    case READER_LLRP_ADD_ROSPEC_RESPONSE:
    case READER_LLRP_DELETE_ROSPEC_RESPONSE:
    case READER_LLRP_START_ROSPEC_RESPONSE:
    case READER_LLRP_STOP_ROSPEC_RESPONSE:
    case READER_LLRP_ENABLE_ROSPEC_RESPONSE:
    case READER_LLRP_ERROR_MESSAGE:
        while ((rc = next_param(&d, &p, end, &type, &body, &blen)) == 1) {
            if (type == P_LLRP_STATUS && !out->has_status && (rc = dec_status(&d, body, blen, out)))
                return rc;
            if (type == P_GENERAL_DEVICE_CAPS && blen >= 2)
                out->max_antennas = be16(body);
        }
        if (rc == 0 && !out->has_status)
            return bad(&d, msg, "response without an LLRPStatus");
        return rc;
    default:
        return 0; /* a message keten does not use: its body is not read */
    }
}

/* ---- encoding ----------------------------------------------------------- */

typedef struct {
    uint8_t *b;
    size_t n, cap;
    int overflow;
} enc_t;

static void put(enc_t *e, uint64_t v, int bytes)
{
    if (e->n + (size_t)bytes > e->cap) {
        e->overflow = 1;
        return;
    }
    for (int i = bytes - 1; i >= 0; i--)
        e->b[e->n++] = (uint8_t)(v >> (8 * i));
}

static void msg_begin(enc_t *e, unsigned type, uint32_t id)
{
    put(e, (uint64_t)(READER_LLRP_VERSION << 10 | (type & 0x3ff)), 2);
    put(e, 0, 4); /* length, patched by msg_end */
    put(e, id, 4);
}

static size_t msg_end(enc_t *e)
{
    if (e->overflow || e->n < READER_LLRP_HDR_LEN)
        return 0;
    uint32_t n = (uint32_t)e->n;
    e->b[2] = (uint8_t)(n >> 24);
    e->b[3] = (uint8_t)(n >> 16);
    e->b[4] = (uint8_t)(n >> 8);
    e->b[5] = (uint8_t)n;
    return e->n;
}

/* Opens a TLV; returns where it starts, for tlv_end. */
static size_t tlv_begin(enc_t *e, unsigned type)
{
    size_t at = e->n;
    put(e, type & 0x3ff, 2);
    put(e, 0, 2);
    return at;
}

static void tlv_end(enc_t *e, size_t at)
{
    if (e->overflow)
        return;
    size_t n = e->n - at;
    e->b[at + 2] = (uint8_t)(n >> 8);
    e->b[at + 3] = (uint8_t)n;
}

size_t reader_llrp_enc_empty(uint8_t *out, size_t cap, unsigned type, uint32_t id)
{
    enc_t e = {out, 0, cap, 0};
    msg_begin(&e, type, id);
    return msg_end(&e);
}

size_t reader_llrp_enc_get_caps(uint8_t *out, size_t cap, uint32_t id)
{
    enc_t e = {out, 0, cap, 0};
    msg_begin(&e, READER_LLRP_GET_READER_CAPABILITIES, id);
    put(&e, 0, 1); /* RequestedData: all */
    return msg_end(&e);
}

size_t reader_llrp_enc_rospec_id(uint8_t *out, size_t cap, unsigned type, uint32_t id,
                                 uint32_t rospec_id)
{
    enc_t e = {out, 0, cap, 0};
    msg_begin(&e, type, id);
    put(&e, rospec_id, 4);
    return msg_end(&e);
}

size_t reader_llrp_enc_keepalive_spec(uint8_t *out, size_t cap, uint32_t id, uint32_t period_ms)
{
    enc_t e = {out, 0, cap, 0};
    msg_begin(&e, READER_LLRP_SET_READER_CONFIG, id);
    put(&e, 0, 1); /* ResetToFactoryDefault = 0, reserved */
    size_t ka = tlv_begin(&e, P_KEEPALIVE_SPEC);
    put(&e, 1, 1); /* KeepaliveTriggerType: periodic */
    put(&e, period_ms, 4);
    tlv_end(&e, ka);
    return msg_end(&e);
}

/* One AntennaConfiguration for antenna `ant` (0: all of them) asking for
 * Gen 2 session `session` and a tag population estimate: a
 * C1G2InventoryCommand (not state aware) holding a C1G2SingulationControl
 * (Session in the top two bits, TagPopulation, TagTransitTime 0). */
static void put_gen2_config(enc_t *e, uint16_t ant, unsigned session, uint16_t population)
{
    size_t ac = tlv_begin(e, P_ANTENNA_CONFIGURATION), ic, sc;
    put(e, ant, 2);
    ic = tlv_begin(e, P_C1G2_INVENTORY_COMMAND);
    put(e, 0, 1); /* TagInventoryStateAware = 0, reserved */
    sc = tlv_begin(e, P_C1G2_SINGULATION_CONTROL);
    put(e, (session & 3u) << 6, 1);
    put(e, population, 2);
    put(e, 0, 4); /* TagTransitTime: no estimate */
    tlv_end(e, sc);
    tlv_end(e, ic);
    tlv_end(e, ac);
}

size_t reader_llrp_enc_add_rospec(uint8_t *out, size_t cap, uint32_t id, uint32_t rospec_id,
                                  const uint16_t *antennas, size_t n, uint16_t report_n,
                                  int session, uint16_t population)
{
    enc_t e = {out, 0, cap, 0};
    size_t ro, bs, t, ai, ips, rr, sel;
    if (n > READER_LLRP_ANTENNAS_MAX || session > 3)
        return 0;
    msg_begin(&e, READER_LLRP_ADD_ROSPEC, id);
    ro = tlv_begin(&e, P_ROSPEC);
    put(&e, rospec_id, 4);
    put(&e, 0, 1); /* Priority */
    put(&e, 0, 1); /* CurrentState: disabled */
    bs = tlv_begin(&e, P_RO_BOUNDARY_SPEC);
    t = tlv_begin(&e, P_ROSPEC_START_TRIGGER);
    put(&e, 1, 1); /* immediate (once enabled and started) */
    tlv_end(&e, t);
    t = tlv_begin(&e, P_ROSPEC_STOP_TRIGGER);
    put(&e, 0, 1); /* null: runs until stopped */
    put(&e, 0, 4); /* DurationTriggerValue */
    tlv_end(&e, t);
    tlv_end(&e, bs);
    ai = tlv_begin(&e, P_AISPEC);
    put(&e, n ? n : 1, 2);
    if (n == 0)
        put(&e, 0, 2); /* antenna 0: all of the reader's antennas */
    for (size_t i = 0; i < n; i++)
        put(&e, antennas[i], 2);
    t = tlv_begin(&e, P_AISPEC_STOP_TRIGGER);
    put(&e, 0, 1); /* null: continuous inventory */
    put(&e, 0, 4);
    tlv_end(&e, t);
    ips = tlv_begin(&e, P_INVENTORY_PARAMETER_SPEC);
    put(&e, 1, 2); /* InventoryParameterSpecID */
    put(&e, 1, 1); /* ProtocolID: EPCGlobal Class 1 Gen 2 */
    if (session >= 0) {
        if (n == 0)
            put_gen2_config(&e, 0, (unsigned)session, population);
        for (size_t i = 0; i < n; i++)
            put_gen2_config(&e, antennas[i], (unsigned)session, population);
    }
    tlv_end(&e, ips);
    tlv_end(&e, ai);
    rr = tlv_begin(&e, P_RO_REPORT_SPEC);
    put(&e, 2, 1); /* ROReportTrigger: upon N tags or end of ROSpec */
    put(&e, report_n, 2);
    sel = tlv_begin(&e, P_TAG_REPORT_CONTENT_SELECTOR);
    /* bits from the top: ROSpecID, SpecIndex, InventoryParameterSpecID,
     * AntennaID, ChannelIndex, PeakRSSI, FirstSeenTimestamp,
     * LastSeenTimestamp, TagSeenCount, AccessSpecID, 6 reserved */
    put(&e, 1u << 12 | 1u << 10 | 1u << 9 | 1u << 7, 2);
    tlv_end(&e, sel);
    tlv_end(&e, rr);
    tlv_end(&e, ro);
    return msg_end(&e);
}

/* reader_ndef.c -- NDEF on Type 2 Tags: capability container, TLVs, records,
 * URI and text payloads (contract in reader_ndef.h).
 *
 * Everything here reads bytes that came over the air from a tag, so every
 * length is checked against what is left before it is used, and sizes are
 * compared by subtraction (never `a + b > n`, which can wrap).  Errors are
 * LEDGER_EINPUT with the offset of the offending byte: in the data area (and
 * the tag page it lies in) for TLVs, in the message for records, in the
 * payload for URI/text content.
 */
#include "reader_ndef.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* URI RTD 1.0, table 3: URI identifier codes 00h..23h. */
static const char *const uri_prefixes[] = {
    "",                           /* 00 no prefix */
    "http://www.",                /* 01 */
    "https://www.",               /* 02 */
    "http://",                    /* 03 */
    "https://",                   /* 04 */
    "tel:",                       /* 05 */
    "mailto:",                    /* 06 */
    "ftp://anonymous:anonymous@", /* 07 */
    "ftp://ftp.",                 /* 08 */
    "ftps://",                    /* 09 */
    "sftp://",                    /* 0A */
    "smb://",                     /* 0B */
    "nfs://",                     /* 0C */
    "ftp://",                     /* 0D */
    "dav://",                     /* 0E */
    "news:",                      /* 0F */
    "telnet://",                  /* 10 */
    "imap:",                      /* 11 */
    "rtsp://",                    /* 12 */
    "urn:",                       /* 13 */
    "pop:",                       /* 14 */
    "sip:",                       /* 15 */
    "sips:",                      /* 16 */
    "tftp:",                      /* 17 */
    "btspp://",                   /* 18 */
    "btl2cap://",                 /* 19 */
    "btgoep://",                  /* 1A */
    "tcpobex://",                 /* 1B */
    "irdaobex://",                /* 1C */
    "file://",                    /* 1D */
    "urn:epc:id:",                /* 1E */
    "urn:epc:tag:",               /* 1F */
    "urn:epc:pat:",               /* 20 */
    "urn:epc:raw:",               /* 21 */
    "urn:epc:",                   /* 22 */
    "urn:nfc:",                   /* 23 */
};

/* ---- capability container ----------------------------------------------- */

int reader_ndef_cc_parse(const uint8_t cc[4], reader_ndef_cc_t *out, ledger_err_t *err)
{
    memset(out, 0, sizeof *out);
    if (cc[0] != 0xE1)
        return 0;
    out->version = cc[1];
    out->data_size = (size_t)cc[2] * 8;
    out->access = cc[3];
    out->read_only = (cc[3] & 0x0F) != 0;
    if ((cc[1] >> 4) != 1)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "capability container (page 3): NDEF mapping version %u.%u is not "
                              "supported (only 1.x)",
                              cc[1] >> 4, cc[1] & 0x0F);
    if ((cc[3] >> 4) != 0)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "capability container (page 3): read access %Xh does not allow "
                              "reading the NDEF data",
                              cc[3] >> 4);
    if (cc[2] == 0)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "capability container (page 3): the data area size is 0");
    return 1;
}

/* ---- TLVs ----------------------------------------------------------------- */

#define MAX_RESERVED 8

typedef struct {
    size_t start, end; /* in data area coordinates, end exclusive */
    size_t tlv_off;    /* the control TLV that declared it */
    uint8_t tlv;
} reserved_t;

static size_t page_of(size_t area_off)
{
    return (READER_NDEF_AREA_START + area_off) / 4;
}

/* Decodes a Lock Control (01h) or Memory Control (02h) TLV value into the
 * area of tag memory it reserves (Type 2 Tag spec: position = PageAddr x
 * 2^BytesPerPage + ByteOffset; size in bits for locks, bytes for memory,
 * 0 meaning 256).  Areas before the data area are dropped. */
static void control_area(uint8_t t, const uint8_t v[3], size_t tlv_off, reserved_t *res,
                         size_t *nres)
{
    size_t page_addr = v[0] >> 4, byte_off = v[0] & 0x0F;
    size_t size = v[1] ? v[1] : 256;
    size_t bytes = t == 0x01 ? (size + 7) / 8 : size;
    size_t bpp = (size_t)1 << (v[2] & 0x0F);
    size_t addr = page_addr * bpp + byte_off;
    if (addr + bytes <= READER_NDEF_AREA_START || *nres == MAX_RESERVED)
        return;
    reserved_t *r = &res[(*nres)++];
    r->start = addr > READER_NDEF_AREA_START ? addr - READER_NDEF_AREA_START : 0;
    r->end = addr + bytes - READER_NDEF_AREA_START;
    r->tlv_off = tlv_off;
    r->tlv = t;
}

int reader_ndef_tlv_find(const uint8_t *area, size_t have, size_t area_size, reader_ndef_tlv_t *out,
                         ledger_err_t *err)
{
    reserved_t res[MAX_RESERVED];
    size_t nres = 0, pos = 0;

    memset(out, 0, sizeof *out);
    if (area_size > READER_NDEF_AREA_MAX || have > area_size)
        return ledger_err_set(err, LEDGER_EINVAL,
                              "NDEF TLV scan: %zu bytes known of a %zu-byte data area (max %d)",
                              have, area_size, READER_NDEF_AREA_MAX);
    while (pos < area_size) {
        if (pos >= have) {
            out->need = pos + 1;
            return READER_NDEF_MORE;
        }
        uint8_t t = area[pos];
        if (t == 0x00) { /* NULL TLV: a single byte */
            pos++;
            continue;
        }
        if (t == 0xFE) /* Terminator */
            return READER_NDEF_ABSENT;

        /* Length: one byte, or FFh and two bytes big endian. */
        size_t hdr, len;
        if (area_size - pos < 2)
            return ledger_err_set(
                err, LEDGER_EINPUT,
                "TLV %02Xh at byte %zu of the data area (page %zu) has no length: "
                "the data area ends there",
                t, pos, page_of(pos));
        if (have - pos < 2) {
            out->need = pos + 2;
            return READER_NDEF_MORE;
        }
        if (area[pos + 1] == 0xFF) {
            if (area_size - pos < 4)
                return ledger_err_set(err, LEDGER_EINPUT,
                                      "TLV %02Xh at byte %zu of the data area (page %zu): 3-byte "
                                      "length cut off by the end of the data area",
                                      t, pos, page_of(pos));
            if (have - pos < 4) {
                out->need = pos + 4;
                return READER_NDEF_MORE;
            }
            len = (size_t)area[pos + 2] << 8 | area[pos + 3];
            if (len == 0xFFFF)
                return ledger_err_set(err, LEDGER_EINPUT,
                                      "TLV %02Xh at byte %zu of the data area (page %zu): length "
                                      "FFFFh is reserved",
                                      t, pos, page_of(pos));
            hdr = 4;
        } else {
            len = area[pos + 1];
            hdr = 2;
        }
        size_t vstart = pos + hdr;
        if (len > area_size - vstart)
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "TLV %02Xh at byte %zu of the data area (page %zu) declares %zu "
                                  "bytes but only %zu are left in the %zu-byte data area "
                                  "(truncated TLV)",
                                  t, pos, page_of(pos), len, area_size - vstart, area_size);
        size_t vend = vstart + len;

        if (t == 0x01 || t == 0x02) { /* Lock Control, Memory Control */
            if (len != 3)
                return ledger_err_set(err, LEDGER_EINPUT,
                                      "%s Control TLV at byte %zu of the data area (page %zu) has "
                                      "length %zu, expected 3",
                                      t == 0x01 ? "Lock" : "Memory", pos, page_of(pos), len);
            if (have < vend) {
                out->need = vend;
                return READER_NDEF_MORE;
            }
            control_area(t, area + vstart, pos, res, &nres);
        } else if (t == 0x03) { /* NDEF Message */
            if (have < vend) {
                out->need = vend;
                return READER_NDEF_MORE;
            }
            for (size_t i = 0; i < nres; i++)
                if (res[i].start < vend && res[i].end > pos)
                    return ledger_err_set(
                        err, LEDGER_EINPUT,
                        "%s Control TLV at byte %zu of the data area reserves bytes %zu..%zu, "
                        "inside the NDEF TLV at byte %zu (reserved areas inside the NDEF "
                        "message are not supported)",
                        res[i].tlv == 0x01 ? "Lock" : "Memory", res[i].tlv_off, res[i].start,
                        res[i].end - 1, pos);
            out->tlv_off = pos;
            out->msg_off = vstart;
            out->msg_len = len;
            return READER_NDEF_FOUND;
        }
        /* Proprietary (FDh) and reserved tag values: skipped by length,
         * without reading their value. */
        pos = vend;
    }
    return READER_NDEF_ABSENT;
}

/* ---- records -------------------------------------------------------------- */

void reader_ndef_iter_init(reader_ndef_iter_t *it, const uint8_t *msg, size_t len)
{
    memset(it, 0, sizeof *it);
    it->msg = msg;
    it->len = len;
}

static int rec_fail(reader_ndef_iter_t *it, ledger_err_t *err, size_t off, const char *what)
{
    it->done = 1;
    return ledger_err_set(err, LEDGER_EINPUT,
                          "NDEF record %u at byte %zu of the %zu-byte message: %s", it->count + 1,
                          off, it->len, what);
}

int reader_ndef_iter_next(reader_ndef_iter_t *it, reader_ndef_record_t *rec, ledger_err_t *err)
{
    memset(rec, 0, sizeof *rec);
    if (it->done)
        return 0;
    if (it->pos == it->len) {
        /* Only reached for an empty message: a record without ME that ends
         * the message is refused when it is parsed. */
        it->done = 1;
        return 0;
    }
    const uint8_t *m = it->msg;
    size_t start = it->pos, p = start, left = it->len - start;
    uint8_t h = m[p];
    size_t hlen = 2 + ((h & READER_NDEF_SR) ? 1 : 4) + ((h & READER_NDEF_IL) ? 1 : 0);
    if (left < hlen)
        return rec_fail(it, err, start, "header truncated by the end of the message");
    rec->header = h;
    rec->tnf = h & 0x07;
    rec->offset = start;
    p++;
    rec->type_len = m[p++];
    if (h & READER_NDEF_SR) {
        rec->payload_len = m[p++];
    } else {
        rec->payload_len =
            (size_t)m[p] << 24 | (size_t)m[p + 1] << 16 | (size_t)m[p + 2] << 8 | (size_t)m[p + 3];
        p += 4;
    }
    if (h & READER_NDEF_IL)
        rec->id_len = m[p++];

    if (it->count == 0 && !(h & READER_NDEF_MB))
        return rec_fail(it, err, start, "the first record does not have MB (message begin) set");
    if (it->count > 0 && (h & READER_NDEF_MB))
        return rec_fail(it, err, start, "MB (message begin) set on a record that is not the first");
    if (h & READER_NDEF_CF)
        return rec_fail(it, err, start,
                        "chunked record (CF set): chunked payloads are not supported");
    if (rec->tnf == READER_NDEF_TNF_UNCHANGED)
        return rec_fail(it, err, start,
                        "TNF 6 (unchanged) belongs to a chunked record: not supported");
    if (rec->tnf == 7)
        return rec_fail(it, err, start, "TNF 7 is reserved");
    if (rec->tnf == READER_NDEF_TNF_EMPTY &&
        (rec->type_len != 0 || rec->id_len != 0 || rec->payload_len != 0))
        return rec_fail(it, err, start, "empty record (TNF 0) with a type, ID or payload");
    if (rec->tnf == READER_NDEF_TNF_UNKNOWN && rec->type_len != 0)
        return rec_fail(it, err, start, "record of unknown type (TNF 5) with a type");

    left = it->len - p;
    if (rec->type_len > left)
        return rec_fail(it, err, start, "type truncated by the end of the message");
    rec->type = m + p;
    p += rec->type_len;
    left -= rec->type_len;
    if (rec->id_len > left)
        return rec_fail(it, err, start, "ID truncated by the end of the message");
    rec->id = (h & READER_NDEF_IL) ? m + p : NULL;
    p += rec->id_len;
    left -= rec->id_len;
    if (rec->payload_len > left) {
        char what[128];
        snprintf(what, sizeof what, "payload of %zu bytes truncated: only %zu bytes left",
                 rec->payload_len, left);
        return rec_fail(it, err, start, what);
    }
    rec->payload = m + p;
    p += rec->payload_len;

    if (h & READER_NDEF_ME) {
        if (p != it->len) {
            char what[128];
            snprintf(what, sizeof what, "ME (message end) set but %zu more bytes follow the record",
                     it->len - p);
            return rec_fail(it, err, start, what);
        }
        it->done = 1;
    } else if (p == it->len) {
        return rec_fail(it, err, start,
                        "the last record of the message does not have ME (message end) set");
    }
    it->pos = p;
    it->count++;
    return 1;
}

int reader_ndef_record_is(const reader_ndef_record_t *rec, const char *wkt)
{
    size_t n = strlen(wkt);
    return rec->tnf == READER_NDEF_TNF_WELL_KNOWN && rec->type_len == n &&
           memcmp(rec->type, wkt, n) == 0;
}

/* ---- UTF-8 ----------------------------------------------------------------- */

/* Decodes one UTF-8 sequence at s[0..n) into *cp; returns its length, or 0
 * when it is invalid (truncated, overlong, surrogate, above U+10FFFF). */
static size_t utf8_one(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint8_t c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

/* Checks s[0..n) is UTF-8 and, with no_controls, free of C0/C1 controls and
 * DEL.  Returns n, or the offset of the first bad byte. */
static size_t utf8_check(const uint8_t *s, size_t n, int no_controls, const char **why)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t l = utf8_one(s + i, n - i, &cp);
        if (l == 0) {
            *why = "invalid UTF-8";
            return i;
        }
        if (no_controls && (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))) {
            *why = "control character";
            return i;
        }
        i += l;
    }
    return n;
}

static size_t utf8_put(uint32_t cp, char *o)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- URI and text records ------------------------------------------------- */

const char *reader_ndef_uri_prefix(uint8_t code)
{
    if (code < sizeof uri_prefixes / sizeof uri_prefixes[0])
        return uri_prefixes[code];
    return ""; /* URI RTD: reserved codes are treated as 00h */
}

int reader_ndef_uri_decode(const uint8_t *payload, size_t len, char **out, size_t *out_len,
                           ledger_err_t *err)
{
    *out = NULL;
    if (out_len)
        *out_len = 0;
    if (len == 0)
        return ledger_err_set(err, LEDGER_EINPUT, "URI record: empty payload (no identifier code)");
    const char *prefix = reader_ndef_uri_prefix(payload[0]);
    const char *why = NULL;
    size_t bad = utf8_check(payload + 1, len - 1, 1, &why);
    if (bad != len - 1)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "URI record: %s (byte %02Xh) at byte %zu of the payload", why,
                              payload[1 + bad], bad + 1);
    size_t plen = strlen(prefix), n = plen + len - 1;
    if (n == 0)
        return ledger_err_set(err, LEDGER_EINPUT, "URI record: the URI is empty");
    char *s = malloc(n + 1);
    if (s == NULL)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory for a %zu-byte URI", n);
    memcpy(s, prefix, plen);
    memcpy(s + plen, payload + 1, len - 1);
    s[n] = '\0';
    *out = s;
    if (out_len)
        *out_len = n;
    return 0;
}

/* Converts UTF-16 (byte order by BOM, big endian without one) to UTF-8. */
static int utf16_to_utf8(const uint8_t *s, size_t n, size_t base, char **text, size_t *text_len,
                         ledger_err_t *err)
{
    int le = 0;
    size_t i = 0;
    if (n % 2)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "text record: UTF-16 text has an odd length (%zu bytes)", n);
    if (n >= 2 && s[0] == 0xFF && s[1] == 0xFE)
        le = 1, i = 2;
    else if (n >= 2 && s[0] == 0xFE && s[1] == 0xFF)
        i = 2;
    char *o = malloc(n / 2 * 3 + 1);
    if (o == NULL)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory for a %zu-byte text", n);
    size_t k = 0;
    while (i < n) {
        uint32_t u = le ? (uint32_t)s[i + 1] << 8 | s[i] : (uint32_t)s[i] << 8 | s[i + 1];
        size_t at = i;
        i += 2;
        if (u >= 0xD800 && u <= 0xDBFF) {
            uint32_t l = 0;
            if (i < n)
                l = le ? (uint32_t)s[i + 1] << 8 | s[i] : (uint32_t)s[i] << 8 | s[i + 1];
            if (l < 0xDC00 || l > 0xDFFF) {
                free(o);
                return ledger_err_set(err, LEDGER_EINPUT,
                                      "text record: unpaired UTF-16 surrogate at byte %zu of the "
                                      "payload",
                                      base + at);
            }
            i += 2;
            u = 0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00);
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
            free(o);
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "text record: unpaired UTF-16 surrogate at byte %zu of the "
                                  "payload",
                                  base + at);
        }
        k += utf8_put(u, o + k);
    }
    o[k] = '\0';
    *text = o;
    if (text_len)
        *text_len = k;
    return 0;
}

int reader_ndef_text_decode(const uint8_t *payload, size_t len, char lang[64], char **text,
                            size_t *text_len, ledger_err_t *err)
{
    *text = NULL;
    lang[0] = '\0';
    if (text_len)
        *text_len = 0;
    if (len == 0)
        return ledger_err_set(err, LEDGER_EINPUT, "text record: empty payload (no status byte)");
    uint8_t status = payload[0];
    size_t llen = status & 0x3F;
    if (status & 0x40)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "text record: reserved bit 6 of the status byte is set");
    if (llen > len - 1)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "text record: language code of %zu bytes but only %zu bytes follow "
                              "the status byte",
                              llen, len - 1);
    for (size_t i = 0; i < llen; i++)
        if (payload[1 + i] < 0x21 || payload[1 + i] > 0x7E)
            return ledger_err_set(err, LEDGER_EINPUT,
                                  "text record: language code byte %02Xh at byte %zu of the "
                                  "payload is not printable ASCII",
                                  payload[1 + i], 1 + i);
    memcpy(lang, payload + 1, llen);
    lang[llen] = '\0';
    const uint8_t *s = payload + 1 + llen;
    size_t n = len - 1 - llen;
    if (status & 0x80)
        return utf16_to_utf8(s, n, 1 + llen, text, text_len, err);
    const char *why = NULL;
    size_t bad = utf8_check(s, n, 0, &why);
    if (bad != n)
        return ledger_err_set(err, LEDGER_EINPUT, "text record: %s at byte %zu of the payload", why,
                              1 + llen + bad);
    char *o = malloc(n + 1);
    if (o == NULL)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory for a %zu-byte text", n);
    memcpy(o, s, n);
    o[n] = '\0';
    *text = o;
    if (text_len)
        *text_len = n;
    return 0;
}

/* Finds the first "U" record of msg; with sp_ok, also looks into the first
 * Smart Poster ("Sp") record's inner message when there is no URI record at
 * the top level.  The whole message is walked, so a malformed tail is an
 * error even after a URI. */
static int find_uri(const uint8_t *msg, size_t len, int sp_ok, char **uri, size_t *uri_len,
                    ledger_err_t *err)
{
    reader_ndef_iter_t it;
    reader_ndef_record_t rec, uri_rec = {0}, sp_rec = {0};
    int have_uri = 0, have_sp = 0, rc;

    reader_ndef_iter_init(&it, msg, len);
    while ((rc = reader_ndef_iter_next(&it, &rec, err)) == 1) {
        if (!have_uri && reader_ndef_record_is(&rec, "U"))
            uri_rec = rec, have_uri = 1;
        else if (sp_ok && !have_sp && reader_ndef_record_is(&rec, "Sp"))
            sp_rec = rec, have_sp = 1;
    }
    if (rc < 0)
        return rc;
    if (have_uri) {
        if ((rc = reader_ndef_uri_decode(uri_rec.payload, uri_rec.payload_len, uri, uri_len, err)) <
            0)
            return ledger_err_prefix(err, "NDEF record at byte %zu", uri_rec.offset);
        return 1;
    }
    if (have_sp) {
        rc = find_uri(sp_rec.payload, sp_rec.payload_len, 0, uri, uri_len, err);
        if (rc < 0)
            return ledger_err_prefix(err, "smart poster record at byte %zu", sp_rec.offset);
        return rc;
    }
    return 0;
}

int reader_ndef_find_uri(const uint8_t *msg, size_t len, char **uri, size_t *uri_len,
                         ledger_err_t *err)
{
    *uri = NULL;
    if (uri_len)
        *uri_len = 0;
    return find_uri(msg, len, 1, uri, uri_len, err);
}

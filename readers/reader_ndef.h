/* reader_ndef.h -- NDEF on NFC Forum Type 2 Tags (NTAG21x, MIFARE Ultralight):
 * the capability container, the TLV blocks of the data area, the records of
 * an NDEF message, and URI and text record payloads.
 *
 * Pure functions over byte buffers: no I/O, no libnfc, no allocation except
 * the decoded strings of reader_ndef_uri_decode() / reader_ndef_text_decode().
 * They are written for bytes that come from a tag, i.e. from anyone: every
 * length is checked against what is there, and anything truncated or
 * inconsistent gives LEDGER_EINPUT with a message naming the byte offset.
 *
 * How a reader uses it (reader_nfc.c does exactly this):
 *   1. READ pages 0..3; reader_ndef_cc_parse(page 3) says whether the tag is
 *      NDEF formatted and how big its data area is (it starts at page 4,
 *      byte 16 of the tag memory);
 *   2. read the data area 16 bytes at a time and call reader_ndef_tlv_find()
 *      after each read: it says READER_NDEF_MORE (read on, up to out->need
 *      bytes), READER_NDEF_FOUND (the NDEF message is complete) or
 *      READER_NDEF_ABSENT (no NDEF message before the terminator / the end),
 *      so the tag is read only up to the end of its NDEF TLV;
 *   3. walk the message with reader_ndef_iter_next(), decode a "U" record with
 *      reader_ndef_uri_decode() (or just call reader_ndef_find_uri()).
 *
 * References: NFC Forum Type 2 Tag Technical Specification (CC, TLVs),
 * NFC Data Exchange Format 1.0 (records), URI RTD 1.0 (identifier codes),
 * Text RTD 1.0.
 */
#ifndef KETEN_READER_NDEF_H
#define KETEN_READER_NDEF_H

#include <stddef.h>
#include <stdint.h>

#include "ledger_error.h"

/* The data area of a Type 2 Tag starts at page 4, byte 16 of tag memory. */
#define READER_NDEF_AREA_START 16
/* The largest data area a CC can declare: size byte 0xFF x 8. */
#define READER_NDEF_AREA_MAX 2040

/* ---- Capability container (page 3) --------------------------------------- */

typedef struct {
    uint8_t version;  /* CC1: major version in the high nibble, minor in the low */
    size_t data_size; /* CC2 x 8: bytes in the data area, from page 4 */
    uint8_t access;   /* CC3: read access (high nibble), write access (low nibble) */
    int read_only;    /* 1 when the write access nibble is not 0 (tag locked) */
} reader_ndef_cc_t;

/* Parses the 4 bytes of page 3 into *out.
 * Returns 1 when the tag is NDEF formatted and readable (CC0 = E1h, major
 * version 1, read access 0, size > 0); 0 when it is not NDEF formatted at all
 * (CC0 is not E1h: a blank tag or one used for something else; *out is
 * zeroed); LEDGER_EINPUT when CC0 is E1h but the tag cannot be read as NDEF
 * (unsupported major version, read access not granted, data area of size 0). */
int reader_ndef_cc_parse(const uint8_t cc[4], reader_ndef_cc_t *out, ledger_err_t *err);

/* ---- TLV blocks of the data area ----------------------------------------- */

enum {
    READER_NDEF_FOUND = 1,  /* the NDEF Message TLV is complete in the bytes given */
    READER_NDEF_ABSENT = 2, /* no NDEF Message TLV: terminator or end of the area first */
    READER_NDEF_MORE = 3    /* read more: out->need bytes of the area are needed */
};

typedef struct {
    size_t need;    /* MORE: how many bytes from the start of the area to have next time */
    size_t tlv_off; /* FOUND: offset of the NDEF TLV's tag byte (03h) in the area */
    size_t msg_off; /* FOUND: offset of the NDEF message (the TLV's value) */
    size_t msg_len; /* FOUND: its length; 0 for an empty NDEF TLV (03 00) */
} reader_ndef_tlv_t;

/* Scans the TLV blocks of a data area, of which the first `have` bytes are
 * known (have <= area_size <= READER_NDEF_AREA_MAX; area[0] is tag memory
 * byte 16, page 4).  Understands NULL (00h, one byte), Lock Control (01h),
 * Memory Control (02h), NDEF Message (03h), Proprietary (FDh) and Terminator
 * (FEh); other tag values are skipped by their length as the Type 2 Tag
 * specification asks.  Lengths are 1 byte (00h..FEh) or FFh then 2 bytes big
 * endian (FFFFh is reserved and refused).  The first NDEF Message TLV wins.
 *
 * Returns READER_NDEF_FOUND, READER_NDEF_ABSENT or READER_NDEF_MORE (with
 * out->need > have, never more than area_size), or LEDGER_EINPUT when a TLV
 * runs past the end of the data area, has a reserved length, a Lock/Memory
 * Control TLV is malformed or declares a reserved area that overlaps the NDEF
 * message (reserved areas inside the data area are not supported), naming
 * the byte offset in the area and the tag page; LEDGER_EINVAL for have >
 * area_size or area_size > READER_NDEF_AREA_MAX.  Rescans from the start at
 * each call (a data area is at most 2040 bytes). */
int reader_ndef_tlv_find(const uint8_t *area, size_t have, size_t area_size, reader_ndef_tlv_t *out,
                         ledger_err_t *err);

/* ---- NDEF records -------------------------------------------------------- */

enum {
    READER_NDEF_MB = 0x80, /* message begin */
    READER_NDEF_ME = 0x40, /* message end */
    READER_NDEF_CF = 0x20, /* chunk flag */
    READER_NDEF_SR = 0x10, /* short record: 1-byte payload length */
    READER_NDEF_IL = 0x08  /* ID length field present */
};

enum {
    READER_NDEF_TNF_EMPTY = 0,
    READER_NDEF_TNF_WELL_KNOWN = 1, /* NFC Forum RTD: "U", "T", "Sp", ... */
    READER_NDEF_TNF_MIME = 2,
    READER_NDEF_TNF_ABSOLUTE_URI = 3,
    READER_NDEF_TNF_EXTERNAL = 4,
    READER_NDEF_TNF_UNKNOWN = 5,
    READER_NDEF_TNF_UNCHANGED = 6
};

/* One record; the pointers point into the message given to the iterator and
 * stay valid as long as it does. */
typedef struct {
    uint8_t header; /* the whole header byte: flags above | TNF */
    uint8_t tnf;    /* header & 7 */
    const uint8_t *type;
    size_t type_len;
    const uint8_t *id; /* NULL when the record has no ID */
    size_t id_len;
    const uint8_t *payload;
    size_t payload_len;
    size_t offset; /* of the header byte in the message */
} reader_ndef_record_t;

typedef struct {
    const uint8_t *msg;
    size_t len;
    size_t pos;
    unsigned count; /* records returned so far */
    int done;       /* the record with ME was returned (or an error happened) */
} reader_ndef_iter_t;

/* Starts walking the NDEF message msg[0..len).  An empty message (len 0, an
 * empty NDEF TLV) has no records. */
void reader_ndef_iter_init(reader_ndef_iter_t *it, const uint8_t *msg, size_t len);

/* Returns 1 with the next record in *rec, 0 when the message is over (after
 * the record with ME), or LEDGER_EINPUT naming the record's offset when the
 * message is malformed: truncated header, type, ID or payload; MB missing on
 * the first record or set on a later one; no ME on the last record; bytes
 * after the ME record; a chunked record (CF set or TNF "unchanged": chunked
 * payloads are not supported); reserved TNF 7; an empty record (TNF 0) with a
 * type, ID or payload; TNF unknown with a type.  After an error or the end,
 * later calls return 0. */
int reader_ndef_iter_next(reader_ndef_iter_t *it, reader_ndef_record_t *rec, ledger_err_t *err);

/* 1 when rec is an NFC Forum well-known record of the given type, e.g. "U". */
int reader_ndef_record_is(const reader_ndef_record_t *rec, const char *wkt);

/* ---- URI and text records ------------------------------------------------ */

/* The prefix of URI identifier code `code` (URI RTD table: 00h "" .. 23h
 * "urn:nfc:"); "" for the reserved codes 24h..FFh, which the URI RTD says to
 * treat as 00h (no prefix).  Never NULL. */
const char *reader_ndef_uri_prefix(uint8_t code);

/* Decodes a URI record payload (identifier code byte + UTF-8 rest) into a
 * malloc'd NUL-terminated string *out (length *out_len; out_len may be NULL),
 * which the caller frees.  Non-ASCII UTF-8 is kept as is (the record holds an
 * IRI).  Returns 0, LEDGER_EINPUT for an empty payload, invalid UTF-8, or a
 * control character (00h-1Fh, 7Fh) in the URI (naming its offset in the
 * payload), LEDGER_ENOMEM.  *out is NULL on failure. */
int reader_ndef_uri_decode(const uint8_t *payload, size_t len, char **out, size_t *out_len,
                           ledger_err_t *err);

/* Decodes a text record payload (status byte: bit 7 UTF-16, bits 5..0 the
 * language code length; the IANA language code; the text) into lang (at most
 * 63 bytes + NUL, e.g. "en") and a malloc'd UTF-8 string *text (UTF-16 is
 * converted; a BOM picks the byte order, big endian without one).  Returns 0,
 * LEDGER_EINPUT when the status byte's reserved bit 6 is set, the language
 * code is longer than the payload or not printable ASCII, or the text is not
 * valid UTF-8 / UTF-16; LEDGER_ENOMEM.  *text is NULL on failure. */
int reader_ndef_text_decode(const uint8_t *payload, size_t len, char lang[64], char **text,
                            size_t *text_len, ledger_err_t *err);

/* Walks the whole message (so a malformed one is refused even when a URI
 * record comes first) and decodes its first URI record ("U") into a malloc'd
 * *uri.  Returns 1 with *uri set, 0 when the message has no URI record (*uri
 * NULL), or the errors of reader_ndef_iter_next() / reader_ndef_uri_decode()
 * (prefixed with the record's offset).  When the message has no URI record
 * at its top level, the URI record inside its first Smart Poster ("Sp")
 * record is used (one level deep). */
int reader_ndef_find_uri(const uint8_t *msg, size_t len, char **uri, size_t *uri_len,
                         ledger_err_t *err);

#endif

/* gs1_tds.h -- the EPC Tag Data Standard (TDS 2.x) tables and the
 * binary codec: EPC bank hex <-> the fields of an EPC.
 *
 * This is the lower half of gs1_epc.h (which most code should use). It
 * knows the binary coding schemes (header byte, bit length, partition table,
 * how each field is encoded) and the pure-identity field rules of every EPC
 * scheme keten supports, and works on a plain gs1_epc_fields_t. Turning
 * fields into URN text, parsing URNs and the GS1 key view live in
 * gs1_epc.c.
 *
 * Supported binary codings (header byte in hex):
 *   sgtin-96 30, sgtin-198 36, sscc-96 31, sgln-96 32, sgln-195 39,
 *   grai-96 33, grai-170 37, giai-96 34, giai-202 38, gsrn-96 2D,
 *   gsrnp-96 2E, gdti-96 2C, gdti-174 3E, sgcn-96 3F, itip-110 40,
 *   itip-212 41, cpi-96 3C, cpi-var 3D (variable length), gid-96 35,
 *   usdod-96 2F.
 * Known but not decoded (a clear error names them): adi-var 3B, gdti-113
 * 3A (withdrawn), the TDS 2.0 "+" schemes (F2 SGLN+, F7 SGTIN+, ... with
 * their AI-encoded data).
 *
 * Hex as UHF readers print the EPC bank's EPC: upper or lower case, spaces
 * and tabs anywhere are ignored, an optional leading "0x". Its length must
 * cover the coding's bits and may run at most to the next 16-bit word (the
 * EPC bank is written in words): 96-bit codings take exactly 24 digits,
 * sgtin-198 50 to 52. Every bit after the EPC, the reserved bits of sscc-96
 * / gsrn-96 and the bits after a 7-bit string's end must be zero, so a
 * decode followed by an encode gives the same bits back (the encoder writes
 * whole words: 52 digits for sgtin-198).
 *
 * Pure functions: no allocation, no I/O, no global state.
 */
#ifndef GS1_TDS_H
#define GS1_TDS_H

#include <stddef.h>

#include "gs1_error.h"

/* EPC schemes (the pure identity types). */
enum gs1_epc_scheme_id {
    GS1_EPC_NONE = 0,
    GS1_EPC_SGTIN, /* urn:epc:id:sgtin:CP.IndicatorAndItemRef.Serial */
    GS1_EPC_SSCC,  /* urn:epc:id:sscc:CP.ExtensionAndSerialRef */
    GS1_EPC_SGLN,  /* urn:epc:id:sgln:CP.LocationRef.Extension */
    GS1_EPC_GRAI,  /* urn:epc:id:grai:CP.AssetType.Serial */
    GS1_EPC_GIAI,  /* urn:epc:id:giai:CP.IndividualAssetRef */
    GS1_EPC_GSRN,  /* urn:epc:id:gsrn:CP.ServiceRef */
    GS1_EPC_GSRNP, /* urn:epc:id:gsrnp:CP.ServiceRef */
    GS1_EPC_GDTI,  /* urn:epc:id:gdti:CP.DocumentType.Serial */
    GS1_EPC_SGCN,  /* urn:epc:id:sgcn:CP.CouponRef.Serial (serial: digits) */
    GS1_EPC_ITIP,  /* urn:epc:id:itip:CP.IndicatorAndItemRef.Piece.Total.Serial */
    GS1_EPC_GID,   /* urn:epc:id:gid:Manager.Class.Serial (no GS1 key) */
    GS1_EPC_CPI,   /* urn:epc:id:cpi:CP.ComponentPartRef.Serial */
    GS1_EPC_USDOD, /* urn:epc:id:usdod:CAGEorDoDAAC.Serial (no GS1 key) */
    GS1_EPC_SCHEME_COUNT
};

/* Longest hex this module writes, with the NUL (itip-212: 224 bits). */
#define GS1_TDS_HEX_MAX 64
/* Longest hex it reads (digits, not counting spaces). */
#define GS1_TDS_HEX_IN_MAX 128

/* The fields of one EPC, as text. All strings are NUL-terminated. */
typedef struct gs1_epc_fields {
    int scheme;      /* enum gs1_epc_scheme_id */
    int coding;      /* binary coding (gs1_tds_coding_*), -1: none (a pure identity) */
    int filter;      /* filter value 0..7 (usdod-96: 0..15); -1 when none (a pure
                      * identity; gid-96) */
    char cp[13];     /* GS1 Company Prefix, 6..12 digits; GID: General Manager Number;
                      * USDOD: CAGE code or DoDAAC */
    char ref[32];    /* the digits after the prefix, as in the URN (may be empty);
                      * SSCC/GSRN: extension/serial reference; GID: object class;
                      * CPI: component/part reference, UNescaped ('#', '/');
                      * GIAI, USDOD: always empty */
    char piece[3];   /* ITIP: 2 digits; else empty */
    char total[3];   /* ITIP: 2 digits; else empty */
    char serial[32]; /* serial / GLN extension / asset reference, UNescaped (raw GS1
                      * characters, not %2F); empty for SSCC, GSRN, GSRNP; GID: serial */
} gs1_epc_fields_t;

/* "sgtin", "sscc", ... for a scheme id; "" for an unknown one. */
const char *gs1_tds_scheme_name(int scheme);

/* The scheme id for a lowercase scheme name of n bytes ("sgtin"), or
 * GS1_EPC_NONE. */
int gs1_tds_scheme_by_name(const char *name, size_t n);

/* The coding index for a lowercase coding name of n bytes ("sgtin-96"), or
 * -1. */
int gs1_tds_coding_by_name(const char *name, size_t n);

/* Name ("sgtin-96"), bit length (96; 0 for the variable cpi-var) and
 * scheme id of a coding index; "" / 0 / GS1_EPC_NONE for an invalid
 * index. */
const char *gs1_tds_coding_name(int coding);
int gs1_tds_coding_bits(int coding);
int gs1_tds_coding_scheme(int coding);

/* The bit length of the EPC f->coding makes of f (cpi-var depends on the
 * reference length); 0 when f->coding is -1. */
int gs1_tds_bits(const gs1_epc_fields_t *f);

/* The largest filter value of a coding: 7, 15 for usdod-96, -1 for gid-96
 * (no filter) or an invalid index. */
int gs1_tds_filter_max(int coding);

/* The codings of a scheme, shortest first: up to 2 indexes into out,
 * returns how many (0 for an unknown scheme). */
int gs1_tds_codings(int scheme, int out[2]);

/* Checks the pure-identity rules of f->scheme on f (digit counts, company
 * prefix 6..12 digits, serial length and character set (GS1 set 82, or
 * digits for SGCN), GID ranges and no leading zeros). f->coding and
 * f->filter are not looked at. 0, or GS1_EINPUT with a message naming the
 * scheme and field. */
int gs1_tds_check_identity(const gs1_epc_fields_t *f, gs1_err_t *err);

/* Checks that the identity in f (already valid for its scheme) can be
 * written in coding: e.g. sgtin-96 needs a serial that is a decimal number
 * with no leading zero below 2^38, giai-96 an asset reference the same way.
 * 0, or GS1_EINPUT naming the coding and the field ("sgtin-96 serial
 * 0123 has a leading zero ..."). */
int gs1_tds_fits(const gs1_epc_fields_t *f, int coding, gs1_err_t *err);

/* Decodes the EPC hex of len bytes (see the top of this file for the
 * accepted text) into *f (scheme, coding, filter and fields) and, when
 * canon is not NULL, writes there the canonical hex (what
 * gs1_tds_encode_hex would give for *f: uppercase, whole words). On
 * error *f is unspecified and the result is GS1_EINPUT with a message:
 * bad hex character, wrong length, "EPC header 0xAA is not a scheme keten
 * knows", "SGTIN-96 partition 7 is reserved", a field value out of range, a
 * character outside GS1 set 82, non-zero padding. */
int gs1_tds_decode_hex(const char *hex, size_t len, gs1_epc_fields_t *f,
                       char canon[GS1_TDS_HEX_MAX], gs1_err_t *err);

/* Encodes f (valid identity; f->coding a coding of f->scheme; f->filter
 * 0..gs1_tds_filter_max, ignored for gid-96) as uppercase hex,
 * zero-padded to whole 16-bit words, into out. Runs gs1_tds_fits
 * first. 0, GS1_EINPUT (does not fit, bad filter) or GS1_EINVAL (bad
 * coding index). */
int gs1_tds_encode_hex(const gs1_epc_fields_t *f, char out[GS1_TDS_HEX_MAX], gs1_err_t *err);

/* Whether c is in GS1 AI encodable character set 82 (the characters of
 * 7-bit EPC strings). */
int gs1_tds_is_set82(int c);

#endif

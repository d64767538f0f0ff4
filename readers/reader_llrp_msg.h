/* reader_llrp_msg.h -- the LLRP 1.0.1 messages keten's LLRP client sends
 * and the ones it reads (EPCglobal Low Level Reader Protocol, version 1).
 *
 * Wire format (all big-endian):
 *   message header, 10 bytes: 3 reserved bits, 3-bit version (1), 10-bit
 *   message type; 32-bit length of the whole message, header included;
 *   32-bit message ID (a response carries the ID of its request).
 *   TLV parameter: 6 reserved bits, 10-bit type (128..2047); 16-bit length of
 *   the whole parameter, header included (>= 4).
 *   TV parameter: one byte, high bit set, 7-bit type (1..127), then a value
 *   whose size the type fixes (AntennaID 2, PeakRSSI 1, EPC-96 12, ...).
 *
 * Decoding: every length is checked against its container (a parameter
 * running past its message or its parent is an error naming the message
 * type, its ID, the parameter and the byte offset); TLV parameters keten
 * does not use are skipped by their length; an unknown TV type cannot be
 * skipped (its size is unknown) and ends the decoding of that container
 * with an error.  A message is at most READER_LLRP_MSG_MAX bytes.  Nothing
 * is allocated: tags are handed to a callback one at a time, their EPC
 * copied into the tag struct (at most READER_LLRP_EPC_MAX_BITS bits).
 *
 * Encoding writes into the caller's buffer and returns the length, or 0
 * when cap is too small (READER_LLRP_ENC_MAX is always enough).
 */
#ifndef KETEN_READER_LLRP_MSG_H
#define KETEN_READER_LLRP_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "ledger_error.h"

#define READER_LLRP_VERSION 1
#define READER_LLRP_HDR_LEN 10
#define READER_LLRP_MSG_MAX (1024u * 1024u) /* longest message accepted */
#define READER_LLRP_EPC_MAX_BITS 512        /* Gen2 EPCs are at most 496 bits */
#define READER_LLRP_ANTENNAS_MAX 64         /* antennas named in one ROSpec */
#define READER_LLRP_ENC_MAX 2048            /* every message we encode fits */

/* Message types (LLRP 1.0.1, section 16.1). */
enum {
    READER_LLRP_GET_READER_CAPABILITIES = 1,
    READER_LLRP_SET_READER_CONFIG = 3,
    READER_LLRP_CLOSE_CONNECTION_RESPONSE = 4,
    READER_LLRP_GET_READER_CAPABILITIES_RESPONSE = 11,
    READER_LLRP_SET_READER_CONFIG_RESPONSE = 13,
    READER_LLRP_CLOSE_CONNECTION = 14,
    READER_LLRP_ADD_ROSPEC = 20,
    READER_LLRP_DELETE_ROSPEC = 21,
    READER_LLRP_START_ROSPEC = 22,
    READER_LLRP_STOP_ROSPEC = 23,
    READER_LLRP_ENABLE_ROSPEC = 24,
    READER_LLRP_ADD_ROSPEC_RESPONSE = 30,
    READER_LLRP_DELETE_ROSPEC_RESPONSE = 31,
    READER_LLRP_START_ROSPEC_RESPONSE = 32,
    READER_LLRP_STOP_ROSPEC_RESPONSE = 33,
    READER_LLRP_ENABLE_ROSPEC_RESPONSE = 34,
    READER_LLRP_RO_ACCESS_REPORT = 61,
    READER_LLRP_KEEPALIVE = 62,
    READER_LLRP_READER_EVENT_NOTIFICATION = 63,
    READER_LLRP_KEEPALIVE_ACK = 72,
    READER_LLRP_ERROR_MESSAGE = 100
};

typedef struct {
    unsigned version; /* 3 bits */
    unsigned type;    /* 10 bits */
    uint32_t length;  /* whole message */
    uint32_t id;
} reader_llrp_hdr_t;

/* One TagReportData. */
typedef struct {
    uint8_t epc[READER_LLRP_EPC_MAX_BITS / 8];
    unsigned epc_bits;        /* 96 for EPC-96; EPCData's EPCLengthBits */
    int has_antenna, has_rssi, has_first_seen, has_seen_count;
    uint16_t antenna;         /* AntennaID */
    int8_t rssi;              /* PeakRSSI, dBm */
    uint64_t first_seen_us;   /* FirstSeenTimestampUTC, microseconds since the epoch */
    uint16_t seen_count;      /* TagSeenCount */
} reader_llrp_tag_t;

/* What a decoded message says (besides its tags). */
typedef struct {
    reader_llrp_hdr_t hdr;
    int has_status;           /* an LLRPStatus was present */
    uint16_t status;          /* its StatusCode; 0 = M_Success */
    char status_text[256];    /* its ErrorDescription, printable ASCII, cut to fit */
    int has_conn_attempt;     /* READER_EVENT_NOTIFICATION: ConnectionAttemptEvent */
    uint16_t conn_status;     /* its Status; 0 = Success */
    int conn_close;           /* READER_EVENT_NOTIFICATION: ConnectionCloseEvent */
    uint16_t max_antennas;    /* capabilities: MaxNumberOfAntennaSupported (0 = not given) */
    size_t ntags;             /* RO_ACCESS_REPORT: TagReportData handed to the callback */
} reader_llrp_msg_t;

/* Called once per tag of an RO_ACCESS_REPORT; a non-zero return stops the
 * decoding and is returned by reader_llrp_decode(). */
typedef int (*reader_llrp_tag_cb)(void *arg, const reader_llrp_tag_t *tag);

/* The message type's name ("RO_ACCESS_REPORT"), or "message type N" in buf. */
const char *reader_llrp_type_name(unsigned type, char buf[32]);

/* Parses a 10-byte header.  LEDGER_EINPUT (message says why) for a version
 * other than 1, a length under 10 or over READER_LLRP_MSG_MAX. */
int reader_llrp_hdr_parse(const uint8_t b[READER_LLRP_HDR_LEN], reader_llrp_hdr_t *h,
                          ledger_err_t *err);

/* Decodes a whole message msg[0..len) (len = the header's length).  Known
 * bodies: READER_EVENT_NOTIFICATION, the *_RESPONSE messages and
 * ERROR_MESSAGE (LLRPStatus), GET_READER_CAPABILITIES_RESPONSE (also
 * GeneralDeviceCapabilities), RO_ACCESS_REPORT (tags to cb, which may be
 * NULL), KEEPALIVE (empty); other types are accepted with their body
 * skipped.  0, LEDGER_EINPUT for a malformed message (tags already handed
 * to cb stay handed), or cb's non-zero return. */
int reader_llrp_decode(const uint8_t *msg, size_t len, reader_llrp_msg_t *out,
                       reader_llrp_tag_cb cb, void *arg, ledger_err_t *err);

/* A message without a body: KEEPALIVE_ACK, CLOSE_CONNECTION. */
size_t reader_llrp_enc_empty(uint8_t *out, size_t cap, unsigned type, uint32_t id);

/* GET_READER_CAPABILITIES, RequestedData = 0 (all). */
size_t reader_llrp_enc_get_caps(uint8_t *out, size_t cap, uint32_t id);

/* DELETE_ROSPEC, ENABLE_ROSPEC, START_ROSPEC, STOP_ROSPEC: the ROSpecID
 * (DELETE with 0 deletes every ROSpec). */
size_t reader_llrp_enc_rospec_id(uint8_t *out, size_t cap, unsigned type, uint32_t id,
                                 uint32_t rospec_id);

/* SET_READER_CONFIG with a KeepaliveSpec: a KEEPALIVE every period_ms. */
size_t reader_llrp_enc_keepalive_spec(uint8_t *out, size_t cap, uint32_t id, uint32_t period_ms);

/* ADD_ROSPEC: ROSpec rospec_id, disabled, started immediately and never
 * stopped (continuous inventory), one AISpec over antennas[0..n) (n = 0:
 * antenna 0, all antennas; n <= READER_LLRP_ANTENNAS_MAX), EPC Class 1
 * Gen 2, an ROReportSpec reporting after every report_n tags with AntennaID,
 * PeakRSSI, FirstSeenTimestamp and TagSeenCount.  With session 0..3, the
 * InventoryParameterSpec carries one AntennaConfiguration per antenna (one
 * for antenna 0 when n = 0) whose C1G2InventoryCommand asks for that Gen 2
 * session and TagPopulation `population`; with session -1 it carries none
 * and the reader uses its own settings.  A session above 3 gives 0. */
size_t reader_llrp_enc_add_rospec(uint8_t *out, size_t cap, uint32_t id, uint32_t rospec_id,
                                  const uint16_t *antennas, size_t n, uint16_t report_n,
                                  int session, uint16_t population);

#endif

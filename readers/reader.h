/* reader.h -- one interface for everything that sees tags.
 *
 * A reader is opened from a URI that names its backend:
 *
 *   nfc:                          libnfc's default device
 *   nfc:pn532_uart:/dev/ttyUSB0   a libnfc connstring after "nfc:"
 *   qr:label.png[,more.jpg...]    QR codes and barcodes in image files (zbar)
 *   line:-                        one code per line on stdin (keyboard wedge)
 *   line:/dev/ttyACM0             one code per line from a serial device or file
 *   replay:reads.jsonl            recorded reads, one JSON object per line
 *   llrp:HOST[:PORT][?antennas=1,2&...]  a fixed UHF reader over LLRP (reader_llrp.c)
 *
 * reader_poll() waits about timeout_ms for the next read and never forever
 * (libnfc's "0 = wait forever" is never passed down).  An NFC device that
 * falls silent in the middle of a command can make one poll overrun by up to
 * about a second (libnfc's own command timeouts); the scan process, not the
 * node, is where such waits happen.  A read is the
 * raw code as the device gave it (a URI, an element string, EPC hex, ...);
 * turning it into an identifier is the job of gs1_ident.h.  Readers know
 * nothing of the ledger: the only thing of ours they use is the project-wide
 * error convention (ledger_error.h).
 *
 * Ownership: reader_open() returns a handle the caller closes with
 * reader_close().  A reader_read_t filled by reader_poll() owns its strings;
 * the caller releases them with reader_read_clear() (poll clears it first).
 * A handle is used by one thread at a time.
 */
#ifndef KETEN_READER_H
#define KETEN_READER_H

#include <stdint.h>

#include "ledger_error.h"

typedef struct reader reader_t;

typedef struct {
    char *code;      /* what was read, NUL-terminated (may contain 0x1D GS) */
    size_t code_len; /* its length in bytes */
    char *uid;       /* NFC: tag UID in lowercase hex; NULL otherwise */
    char *tag_type;  /* NFC: e.g. "NTAG213"; QR: "QR-Code", "EAN-13", ...; NULL if unknown */
    char *source;    /* where it came from: device connstring, file name, "stdin" */
    int64_t time_ms; /* when it was read, ms since the Unix epoch (replay: as recorded) */
    /* llrp: (0 for the other readers) */
    unsigned antenna;    /* AntennaID, 0 when the reader did not say */
    int has_rssi, rssi;  /* PeakRSSI in dBm */
    unsigned seen_count; /* TagSeenCount, 0 when not given */
    unsigned epc_bits;   /* length of the EPC in code (hex), in bits */
} reader_read_t;

/* Results of reader_poll() besides negative ledger error codes. */
enum {
    READER_NONE = 0, /* timeout: nothing read this time */
    READER_READ = 1, /* *out holds a read */
    READER_END = 2   /* the source is exhausted (end of file, last image, replay done) */
};

/* Opens the reader named by uri.  LEDGER_EINVAL for an unknown scheme or a
 * malformed URI, LEDGER_EIO when the device or file cannot be opened (the
 * message names it and says what to check). */
int reader_open(reader_t **out, const char *uri, ledger_err_t *err);

/* Waits up to timeout_ms (>= 0; 0 = just check) for the next read.
 * Returns READER_READ, READER_NONE or READER_END, or a negative code when the
 * device failed (LEDGER_EIO: gone, unplugged, I/O error; the handle stays
 * valid and the next poll tries to reopen the device) or the input is bad
 * (LEDGER_EINPUT: e.g. a 10 MB line, a replay line that is not JSON; the bad
 * input is skipped, the next poll continues after it). */
int reader_poll(reader_t *r, int timeout_ms, reader_read_t *out, ledger_err_t *err);

/* Frees what a read owns and zeroes it.  NULL-safe, idempotent. */
void reader_read_clear(reader_read_t *rd);

/* The URI the reader was opened with. */
const char *reader_uri(const reader_t *r);

/* Closes the device/file and frees the handle.  NULL-safe. */
void reader_close(reader_t *r);

#endif

/* reader_nfc.c -- the "nfc:" reader backend: NFC tags through libnfc.
 *
 *   nfc:                          libnfc's default device (LIBNFC_DEFAULT_DEVICE,
 *                                 /etc/nfc/libnfc.conf, or its autoscan)
 *   nfc:pn532_uart:/dev/ttyUSB0   any libnfc connstring after "nfc:"
 *
 * The only file of keten that includes libnfc.  How it works:
 *
 * - open: nfc_init + nfc_open + nfc_initiator_init, then "infinite select"
 *   off, so that selecting on an empty field answers "no target" at once
 *   instead of waiting for a tag.
 * - poll: until the deadline, every POLL_MS: select one ISO 14443-A target
 *   (InListPassiveTarget, libnfc's own 300 ms bound), read it, and report it.
 *   Type 2 tags (SAK 00h: NTAG21x, MIFARE Ultralight) are read with READ
 *   (30h, 16 bytes = 4 pages) through nfc_initiator_transceive_bytes with an
 *   explicit timeout: pages 0..3 for the capability container, then the
 *   data area 16 bytes at a time only until the NDEF TLV is complete
 *   (reader_ndef_tlv_find says how much is needed), then GET_VERSION (60h)
 *   for the exact type.  The code is the first URI record of the NDEF
 *   message, or "nfc-uid:<uid hex>" when there is none (and for tags that are
 *   not Type 2).  libnfc's 0 ("wait forever") timeout is never used, and
 *   nfc_initiator_poll_target (InAutoPoll, sent with no timeout) is not used.
 * - once reported, a tag is not reported again while it stays in the field:
 *   later polls only check it is still there (READ of page 0, and when that
 *   fails, re-selecting its UID, as libnfc's own target_is_present does for
 *   MIFARE Classic).  When it leaves, the next tap reports it again.
 * - a tag removed mid-read gives an RF error: nothing is reported and polling
 *   goes on.  A tag that keeps failing while staying selectable is reported
 *   once as LEDGER_EINPUT after READ_ATTEMPTS attempts, as is a tag with a
 *   malformed NDEF message (reader_ndef.h names the byte).
 * - device errors (I/O error, the chip not answering in time) close the
 *   device and return LEDGER_EIO; the next polls reopen it, at most once per
 *   REOPEN_MS, sleeping until their deadline in between (no spinning).
 *
 * Time bounds: a poll returns by its deadline (plus the few ms of the
 * round under way), except when the device stops answering in the middle
 * of a command: then that command's timeout (select 300 ms, READ
 * XFER_TIMEOUT_MS), libnfc's 50 ms flush and the close of the silent device
 * (CMD_TIMEOUT_MS + 50 ms) can add up to ~0.7 s; and a reopen of a device
 * that exists but does not answer costs ~1.1 s (libnfc sleeps 50 ms in open,
 * then waits 1 s for the wake-up SAMConfiguration).  A device that is gone
 * (file missing, I/O error) fails at once.
 *
 * libnfc logs errors on stderr by itself (LIBNFC_LOG_LEVEL, default 1): a
 * program that wants a quiet terminal sets LIBNFC_LOG_LEVEL=0 before opening.
 */
#include "reader__backend.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nfc/nfc.h>

#include "reader_ndef.h"

#define POLL_MS 15          /* pause between two selects on an empty field */
#define REOPEN_MS 500       /* at most one reopen attempt per this interval */
#define XFER_TIMEOUT_MS 250 /* READ / GET_VERSION round trip through the chip */
#define CMD_TIMEOUT_MS 250  /* libnfc's timeout for the chip's own commands */
/* READ takes a one-byte page number: pages 4..255 of the data area, 1008
 * bytes, are what a reader without SECTOR_SELECT can address. */
#define MAX_AREA ((256 - 4) * 4)
#define READ_ATTEMPTS 3 /* failed reads of one tag before it is reported as bad */

typedef struct {
    nfc_context *ctx;
    nfc_device *dev;
    bool use_default;                    /* "nfc:" alone */
    char conn[NFC_BUFSIZE_CONNSTRING];   /* the connstring asked for ("" = default) */
    char source[NFC_BUFSIZE_CONNSTRING]; /* the connstring of the device opened */
    int64_t next_open_ms;                /* monotonic time of the next reopen attempt */
    char down_msg[1024];                 /* why the device is closed */

    bool have_present; /* a reported tag is (still) in the field */
    nfc_target present;

    uint8_t fail_uid[10]; /* the tag whose reads failed, and how often */
    size_t fail_uid_len;
    int fails;
    char fail_msg[256];
} nfc_state_t;

/* ---- small helpers ------------------------------------------------------- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static const char *device_name(const nfc_state_t *st)
{
    if (st->source[0])
        return st->source;
    return st->use_default ? "(libnfc default device)" : st->conn;
}

/* libnfc errors that mean the device (not the tag) failed. */
static bool device_error(int res)
{
    switch (res) {
    case NFC_ERFTRANS:     /* RF transmission error: the tag */
    case NFC_ETGRELEASED:  /* target released */
    case NFC_EINVARG:      /* status 27h: no target in this context */
    case NFC_ECHIP:        /* the chip reports an error about this exchange */
    case NFC_EOVFLOW:      /* the tag answered more than asked */
    case NFC_EMFCAUTHFAIL: /* MIFARE authentication */
        return false;
    default:
        return true; /* NFC_EIO, NFC_ETIMEOUT (chip silent), NFC_EOPABORTED, ... */
    }
}

static const char *nfc_errtext(int res)
{
    switch (res) {
    case NFC_EIO:
        return "input/output error";
    case NFC_EINVARG:
        return "invalid argument / not acceptable now";
    case NFC_EDEVNOTSUPP:
        return "not supported by the device";
    case NFC_ENOTSUCHDEV:
        return "no such device";
    case NFC_EOVFLOW:
        return "buffer overflow";
    case NFC_ETIMEOUT:
        return "the reader did not answer in time";
    case NFC_EOPABORTED:
        return "operation aborted";
    case NFC_ENOTIMPL:
        return "not implemented";
    case NFC_ETGRELEASED:
        return "target released";
    case NFC_ERFTRANS:
        return "RF transmission error (tag gone or no answer)";
    case NFC_EMFCAUTHFAIL:
        return "MIFARE authentication failed";
    case NFC_ESOFT:
        return "software error in libnfc";
    case NFC_ECHIP:
        return "the NFC chip reported an error";
    default:
        return "unknown libnfc error";
    }
}

/* ---- device ---------------------------------------------------------------- */

static void dev_close(nfc_state_t *st)
{
    if (st->dev) {
        nfc_close(st->dev);
        st->dev = NULL;
    }
    st->have_present = false;
    st->fails = 0;
}

static int dev_open(nfc_state_t *st, ledger_err_t *err)
{
    int res;
    st->dev = nfc_open(st->ctx, st->use_default ? NULL : st->conn);
    if (st->dev == NULL) {
        if (st->use_default)
            return ledger_err_set(err, LEDGER_EIO,
                                  "no NFC device found: name one (nfc:pn532_uart:/dev/ttyUSB0, "
                                  "nfc:acr122_usb) or set LIBNFC_DEFAULT_DEVICE; "
                                  "LIBNFC_LOG_LEVEL=3 shows libnfc's details");
        return ledger_err_set(err, LEDGER_EIO,
                              "cannot open NFC device '%s': check that the reader is plugged in "
                              "and answering, the device path and its permissions (e.g. the "
                              "dialout group), and that no other program holds it; "
                              "LIBNFC_LOG_LEVEL=3 shows libnfc's details",
                              st->conn);
    }
    snprintf(st->source, sizeof st->source, "%s", nfc_device_get_connstring(st->dev));
    if ((res = nfc_initiator_init(st->dev)) < 0 ||
        (res = nfc_device_set_property_bool(st->dev, NP_INFINITE_SELECT, false)) < 0 ||
        (res = nfc_device_set_property_int(st->dev, NP_TIMEOUT_COMMAND, CMD_TIMEOUT_MS)) < 0) {
        ledger_err_set(err, LEDGER_EIO,
                       "NFC device '%s' opened but cannot be set up as a reader: %s", st->source,
                       nfc_errtext(res));
        dev_close(st);
        return LEDGER_EIO;
    }
    st->down_msg[0] = '\0';
    return 0;
}

/* The device failed during `what`: close it, schedule a reopen at the next
 * poll, return LEDGER_EIO. */
static int dev_fail(nfc_state_t *st, const char *what, int res, ledger_err_t *err)
{
    snprintf(st->down_msg, sizeof st->down_msg, "NFC device '%.300s' failed during %s (libnfc: %s)",
             device_name(st), what, nfc_errtext(res));
    dev_close(st);
    st->next_open_ms = mono_ms();
    return ledger_err_set(err, LEDGER_EIO, "%s; it will be reopened at the next poll",
                          st->down_msg);
}

/* Opens the device again, at most once per REOPEN_MS, until deadline.
 * 0 when open, LEDGER_EIO when the deadline passed first. */
static int dev_reopen(nfc_state_t *st, int64_t deadline, ledger_err_t *err)
{
    for (;;) {
        int64_t now = mono_ms();
        if (now >= st->next_open_ms) {
            ledger_err_t e;
            ledger_err_clear(&e);
            if (dev_open(st, &e) == 0)
                return 0;
            snprintf(st->down_msg, sizeof st->down_msg, "%s", e.msg);
            st->next_open_ms = mono_ms() + REOPEN_MS;
            now = mono_ms();
        }
        if (now >= deadline)
            return ledger_err_set(err, LEDGER_EIO, "%s (retrying every %d ms)",
                                  st->down_msg[0] ? st->down_msg : "NFC device not open",
                                  REOPEN_MS);
        sleep_ms((st->next_open_ms < deadline ? st->next_open_ms : deadline) - now);
    }
}

/* ---- tags ------------------------------------------------------------------ */

static const nfc_modulation nm_a106 = {.nmt = NMT_ISO14443A, .nbr = NBR_106};

static bool is_type2(const nfc_target *nt)
{
    return nt->nti.nai.btSak == 0x00;
}

/* One tag command with a bounded timeout.  Returns the answer length, or a
 * negative libnfc error. */
static int xfer(nfc_state_t *st, const uint8_t *cmd, size_t n, uint8_t *rx, size_t rxlen)
{
    return nfc_initiator_transceive_bytes(st->dev, cmd, n, rx, rxlen, XFER_TIMEOUT_MS);
}

/* READ of 4 pages from `page` into out[16]: 0, a negative libnfc error, or
 * NFC_ERFTRANS when the tag answered something else than 16 bytes. */
static int read4(nfc_state_t *st, unsigned page, uint8_t out[16])
{
    uint8_t cmd[2] = {0x30, (uint8_t)page};
    int res = xfer(st, cmd, sizeof cmd, out, 16);
    if (res < 0)
        return res;
    return res == 16 ? 0 : NFC_ERFTRANS;
}

static const char *type_from_version(const uint8_t v[8])
{
    if (v[1] != 0x04) /* vendor: NXP */
        return "Type 2 Tag";
    if (v[2] == 0x04) { /* NTAG */
        switch (v[6]) {
        case 0x0B:
            return "NTAG210";
        case 0x0E:
            return "NTAG212";
        case 0x0F:
            return "NTAG213";
        case 0x11:
            return "NTAG215";
        case 0x13:
            return "NTAG216";
        default:
            return "NTAG";
        }
    }
    if (v[2] == 0x03)
        return "MIFARE Ultralight EV1";
    return "Type 2 Tag";
}

static const char *type_from_sak(uint8_t sak)
{
    if (sak & 0x20)
        return "ISO 14443-4";
    switch (sak) {
    case 0x08:
        return "MIFARE Classic 1K";
    case 0x09:
        return "MIFARE Mini";
    case 0x18:
        return "MIFARE Classic 4K";
    default:
        return "ISO 14443-A";
    }
}

/* Is the reported tag still in the field?  1 yes, 0 gone, <0 device error
 * (LEDGER_EIO, device closed). */
static int check_present(nfc_state_t *st, ledger_err_t *err)
{
    const nfc_target *p = &st->present;
    int res;
    if (is_type2(p) && p->nti.nai.szUidLen == 7) {
        uint8_t pg[16];
        res = read4(st, 0, pg);
        if (res == 0 && memcmp(pg, p->nti.nai.abtUid, 3) == 0 &&
            memcmp(pg + 4, p->nti.nai.abtUid + 3, 4) == 0)
            return 1;
        if (res < 0 && device_error(res))
            return dev_fail(st, "a presence check", res, err);
    }
    /* Select its UID again (a tag that NAKed a command, e.g. an Ultralight
     * asked GET_VERSION, is back in the IDLE state and answers this). */
    nfc_target nt;
    res = nfc_initiator_select_passive_target(st->dev, nm_a106, p->nti.nai.abtUid,
                                              p->nti.nai.szUidLen, &nt);
    if (res > 0)
        return 1;
    if (res < 0 && device_error(res))
        return dev_fail(st, "a presence check", res, err);
    return 0;
}

/* Fills a read.  0 or LEDGER_ENOMEM. */
static int fill_read(nfc_state_t *st, reader_read_t *out, const char *code, size_t code_len,
                     const char *uid, const char *type, ledger_err_t *err)
{
    int rc;
    if ((rc = reader__set(&out->code, code, code_len, err)) < 0 ||
        (rc = reader__set(&out->uid, uid, strlen(uid), err)) < 0 ||
        (rc = reader__set(&out->tag_type, type, strlen(type), err)) < 0 ||
        (rc = reader__set(&out->source, st->source, strlen(st->source), err)) < 0)
        return rc;
    out->code_len = code_len;
    out->time_ms = reader__now_ms();
    return 0;
}

/* Outcome of reading one tag. */
enum { TAG_OK, TAG_RF_FAIL, TAG_BAD, TAG_DEVICE, TAG_NOMEM };

/* Reads a selected Type 2 tag: the URI of its NDEF message (malloc'd in
 * *uri, NULL when none) and its type.  On TAG_RF_FAIL st->fail_msg says
 * what failed, on TAG_BAD/TAG_DEVICE/TAG_NOMEM err does. */
static int read_type2(nfc_state_t *st, char **uri, size_t *uri_len, const char **type,
                      ledger_err_t *err)
{
    /* pages 0..3, then the data area, plus room for the last 16-byte READ */
    uint8_t mem[READER_NDEF_AREA_START + READER_NDEF_AREA_MAX + 16];
    uint8_t *area = mem + READER_NDEF_AREA_START;
    reader_ndef_cc_t cc;
    reader_ndef_tlv_t tlv;
    size_t have = 0;
    int res, rc;

    *uri = NULL;
    *type = "MIFARE Ultralight";
    if ((res = read4(st, 0, mem)) < 0)
        goto rf_fail;
    rc = reader_ndef_cc_parse(mem + 12, &cc, err);
    if (rc < 0)
        return TAG_BAD;
    if (rc == 1) {
        size_t area_size = cc.data_size < MAX_AREA ? cc.data_size : MAX_AREA;
        if (cc.data_size == 0x12 * 8)
            *type = "MIFARE Ultralight C";
        for (;;) {
            rc = reader_ndef_tlv_find(area, have, area_size, &tlv, err);
            if (rc < 0)
                return TAG_BAD;
            if (rc != READER_NDEF_MORE)
                break;
            while (have < tlv.need) {
                unsigned page = (unsigned)(4 + have / 4);
                if ((res = read4(st, page, area + have)) < 0) {
                    snprintf(st->fail_msg, sizeof st->fail_msg, "READ of page %u failed (%s)", page,
                             nfc_errtext(res));
                    goto fail;
                }
                have = have + 16 < area_size ? have + 16 : area_size;
            }
        }
        if (rc == READER_NDEF_FOUND) {
            rc = reader_ndef_find_uri(area + tlv.msg_off, tlv.msg_len, uri, uri_len, err);
            if (rc == LEDGER_ENOMEM)
                return TAG_NOMEM;
            if (rc < 0) {
                ledger_err_prefix(err, "NDEF message at byte %zu of the data area (page %zu)",
                                  tlv.msg_off, (READER_NDEF_AREA_START + tlv.msg_off) / 4);
                return TAG_BAD;
            }
        }
    }
    /* GET_VERSION: NTAG21x and Ultralight EV1 answer it; an Ultralight or
     * Ultralight C does not, and falls back to IDLE (check_present handles it). */
    uint8_t cmd = 0x60, v[8];
    res = xfer(st, &cmd, 1, v, sizeof v);
    if (res == 8)
        *type = type_from_version(v);
    else if (res < 0 && device_error(res))
        goto device;
    return TAG_OK;

rf_fail:
    snprintf(st->fail_msg, sizeof st->fail_msg, "READ of page 0 failed (%s)", nfc_errtext(res));
fail:
    free(*uri);
    *uri = NULL;
    if (device_error(res))
        goto device;
    return TAG_RF_FAIL;
device:
    free(*uri);
    *uri = NULL;
    dev_fail(st, "a tag read", res, err);
    return TAG_DEVICE;
}

/* Marks the selected tag as reported (it stays reported while present). */
static void mark_present(nfc_state_t *st, const nfc_target *nt)
{
    st->present = *nt;
    st->have_present = true;
    st->fails = 0;
}

/* One select-and-read round.  READER_READ, READER_NONE, LEDGER_EINPUT (a
 * bad tag, reported once), LEDGER_EIO (device closed), LEDGER_ENOMEM. */
static int poll_once(nfc_state_t *st, reader_read_t *out, ledger_err_t *err)
{
    nfc_target nt;
    int res, rc;

    if (st->have_present) {
        rc = check_present(st, err);
        if (rc != 0)
            return rc < 0 ? rc : READER_NONE;
        st->have_present = false;
    }
    memset(&nt, 0, sizeof nt);
    res = nfc_initiator_select_passive_target(st->dev, nm_a106, NULL, 0, &nt);
    if (res < 0) {
        if (device_error(res))
            return dev_fail(st, "polling for tags", res, err);
        return READER_NONE; /* e.g. a collision or a tag half in the field */
    }
    if (res == 0) {
        st->fails = 0;
        return READER_NONE;
    }

    size_t ulen = nt.nti.nai.szUidLen > 10 ? 10 : nt.nti.nai.szUidLen;
    char uid[21], idcode[8 + 21];
    hex(nt.nti.nai.abtUid, ulen, uid);
    snprintf(idcode, sizeof idcode, "nfc-uid:%s", uid);

    if (!is_type2(&nt)) {
        mark_present(st, &nt);
        rc = fill_read(st, out, idcode, strlen(idcode), uid, type_from_sak(nt.nti.nai.btSak), err);
        return rc < 0 ? rc : READER_READ;
    }

    char *uri = NULL;
    size_t uri_len = 0;
    const char *type = NULL;
    switch (read_type2(st, &uri, &uri_len, &type, err)) {
    case TAG_OK:
        break;
    case TAG_BAD:
        mark_present(st, &nt);
        return ledger_err_prefix(err, "NFC tag %s", uid);
    case TAG_RF_FAIL:
        if (st->fails > 0 && st->fail_uid_len == ulen &&
            memcmp(st->fail_uid, nt.nti.nai.abtUid, ulen) == 0) {
            st->fails++;
        } else {
            memcpy(st->fail_uid, nt.nti.nai.abtUid, ulen);
            st->fail_uid_len = ulen;
            st->fails = 1;
        }
        if (st->fails < READ_ATTEMPTS)
            return READER_NONE; /* removed mid-read, most likely: try again */
        mark_present(st, &nt);
        return ledger_err_set(err, LEDGER_EINPUT,
                              "NFC tag %s stays in the field but could not be read %d times "
                              "in a row: %s",
                              uid, READ_ATTEMPTS, st->fail_msg);
    case TAG_NOMEM:
        return LEDGER_ENOMEM;
    default: /* TAG_DEVICE */
        return LEDGER_EIO;
    }
    mark_present(st, &nt);
    if (uri)
        rc = fill_read(st, out, uri, uri_len, uid, type, err);
    else
        rc = fill_read(st, out, idcode, strlen(idcode), uid, type, err);
    free(uri);
    return rc < 0 ? rc : READER_READ;
}

/* ---- backend ----------------------------------------------------------------- */

static void nfc_backend_close(void *state)
{
    nfc_state_t *st = state;
    if (st == NULL)
        return;
    dev_close(st);
    if (st->ctx)
        nfc_exit(st->ctx);
    free(st);
}

static int nfc_backend_open(void **state, const char *arg, ledger_err_t *err)
{
    nfc_state_t *st = NULL;
    int rc;

    *state = NULL;
    if (strlen(arg) >= NFC_BUFSIZE_CONNSTRING)
        return ledger_err_set(err, LEDGER_EINVAL, "libnfc connstring longer than %d bytes",
                              NFC_BUFSIZE_CONNSTRING - 1);
    for (const char *p = arg; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7F)
            return ledger_err_set(err, LEDGER_EINVAL, "control character in the libnfc connstring");
    if ((st = calloc(1, sizeof *st)) == NULL)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory opening an NFC reader");
    st->use_default = arg[0] == '\0';
    snprintf(st->conn, sizeof st->conn, "%s", arg);
    nfc_init(&st->ctx);
    if (st->ctx == NULL) {
        rc = ledger_err_set(err, LEDGER_EIO, "libnfc could not be initialised (nfc_init)");
        goto fail;
    }
    if ((rc = dev_open(st, err)) < 0)
        goto fail;
    *state = st;
    return 0;
fail:
    nfc_backend_close(st);
    return rc;
}

static int nfc_backend_poll(void *state, int timeout_ms, reader_read_t *out, ledger_err_t *err)
{
    nfc_state_t *st = state;
    int64_t deadline = mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    int rc;

    for (;;) {
        if (st->dev == NULL && (rc = dev_reopen(st, deadline, err)) < 0)
            return rc;
        rc = poll_once(st, out, err);
        if (rc != READER_NONE)
            return rc;
        int64_t now = mono_ms();
        if (now >= deadline)
            return READER_NONE;
        sleep_ms(deadline - now < POLL_MS ? deadline - now : POLL_MS);
    }
}

const reader_backend_t reader_backend_nfc = {
    .scheme = "nfc",
    .open = nfc_backend_open,
    .poll = nfc_backend_poll,
    .close = nfc_backend_close,
};

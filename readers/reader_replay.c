/* reader_replay.c -- the "replay:" reader: recorded reads from a JSON Lines
 * file, for demos, tests and benchmarks.
 *
 * URI:  replay:<file.jsonl>          reads paced by their "delay_ms"
 *       replay:<file.jsonl>?fast     all delays ignored: as fast as polled
 * The file must be a regular file (a pipe could block past the timeout).
 *
 * The file: UTF-8, one JSON object per line, e.g.
 *
 *   {"code":"https://id.gs1.org/01/09506000134352/21/SN1"}
 *   {"code":"3074257BF7194E4000001A85","reader":"line:/dev/ttyUSB0","delay_ms":250}
 *   {"code":"https://id.gs1.org/01/05412345000013/10/LOT42","uid":"04A1B2C3D4E5F6",
 *    "tag_type":"NTAG213","source":"nfc:pn532_uart:/dev/ttyUSB0",
 *    "time":"2026-11-24T10:00:00.250+01:00","delay_ms":100}
 *   {"code":"]C1010541234500001310LOT42\u001d21SN7","tag_type":"CODE-128"}
 *
 * (each object on one line).  Fields:
 *   code      string, required, not empty: the raw read, as a reader would
 *             give it (JSON escapes such as \u001d for GS are welcome)
 *   uid       string, optional: tag UID in hex (stored in lower case)
 *   tag_type  string, optional: e.g. "NTAG213", "QR-Code", "EAN-13"
 *   source    string, optional: where the read came from; "reader" is
 *             accepted as another name for it.  Default: the replay file.
 *   time      string, optional: when it was read, RFC 3339
 *             (YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm))
 *   time_ms   integer, optional: the same as ms since the Unix epoch
 *             (used when "time" is absent).  Neither: the time of the replay.
 *   delay_ms  integer 0..86400000, optional, default 0: wait this long after
 *             the previous read (after open for the first one) before this
 *             read is returned.
 * Other fields are ignored.  Blank lines and lines starting with '#' are
 * skipped.
 *
 * How it works: one line is read (at most 65536 bytes; longer ones are
 * dropped up to their end with bounded memory), parsed with jansson and
 * held until its delay has passed; poll() sleeps at most timeout_ms towards
 * that moment and returns READER_NONE when the read is not due yet, so a
 * replay emulates a real reader's rhythm.  A bad line (not JSON, not an
 * object, "code" missing, a field of the wrong type, a bad time, too long)
 * -> LEDGER_EINPUT naming the file and the line number; the next poll goes
 * on after it.  End of file -> READER_END.
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "reader__backend.h"

#define REPLAY_LINE_MAX 65536
#define REPLAY_DELAY_MAX 86400000

typedef struct {
    char *code;
    size_t code_len;
    char *uid, *tag_type, *source;
    int64_t time_ms; /* -1: now */
    int64_t delay_ms;
} rec_t;

typedef struct {
    char *path;
    FILE *fp;
    int fast;
    int eof;
    unsigned long line_no;
    char *line; /* REPLAY_LINE_MAX + 1 bytes */
    int have;   /* rec holds the next read */
    rec_t rec;
    int64_t last_ms; /* monotonic: the previous read (or the open) */
} replay_t;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void rec_clear(rec_t *r)
{
    free(r->code);
    free(r->uid);
    free(r->tag_type);
    free(r->source);
    memset(r, 0, sizeof *r);
}

static void replay_close(void *state)
{
    replay_t *p = state;
    if (p == NULL)
        return;
    if (p->fp)
        fclose(p->fp);
    rec_clear(&p->rec);
    free(p->line);
    free(p->path);
    free(p);
}

static int replay_open(void **state, const char *arg, ledger_err_t *err)
{
    replay_t *p = calloc(1, sizeof *p);
    const char *q;
    struct stat st;
    size_t n;
    int rc;

    *state = NULL;
    if (p == NULL)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    if (arg == NULL || *arg == '\0') {
        rc = ledger_err_set(err, LEDGER_EINVAL, "no file given: use replay:<file.jsonl>[?fast]");
        goto fail;
    }
    n = strlen(arg);
    q = strrchr(arg, '?');
    if (q != NULL && stat(arg, &st) != 0) { /* a file named "x?fast" is just a file */
        if (strcmp(q + 1, "fast") != 0) {
            rc = ledger_err_set(err, LEDGER_EINVAL, "unknown option '%s' (known: ?fast)", q + 1);
            goto fail;
        }
        p->fast = 1;
        n = (size_t)(q - arg);
    }
    if ((p->path = strndup(arg, n)) == NULL || (p->line = malloc(REPLAY_LINE_MAX + 1)) == NULL) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        goto fail;
    }
    if ((p->fp = fopen(p->path, "rb")) == NULL) {
        rc = ledger_err_set(err, LEDGER_EIO, "cannot open '%s': %s", p->path, strerror(errno));
        goto fail;
    }
    if (fstat(fileno(p->fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        /* reading a pipe or a device could block past the poll timeout */
        rc = ledger_err_set(err, LEDGER_EINVAL,
                            "'%s' is not a regular file (replay reads a recorded file; use "
                            "line: for a live stream)",
                            p->path);
        goto fail;
    }
    p->last_ms = mono_ms();
    *state = p;
    return 0;
fail:
    replay_close(p);
    return rc;
}

/* ---- RFC 3339 ------------------------------------------------------------- */

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

/* Parses an RFC 3339 date-time into ms since the epoch; -1 when malformed. */
static int parse_time(const char *s, int64_t *out)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, sec, ms = 0, oh = 0, om = 0, sign = 0;
    const char *p;

    if (strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
        digits(s + 17, 2, &sec))
        return -1;
    p = s + 19;
    if (*p == '.') {
        int nd = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, nd++)
            if (nd < 3)
                ms = ms * 10 + (*p - '0');
        if (nd == 0)
            return -1;
        for (; nd < 3; nd++)
            ms *= 10;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return -1;
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
        sec > 60)
        return -1;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return -1;
    if (sec == 60)
        sec = 59; /* a leap second: the last ms of the minute is close enough */
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    t -= sign * (oh * 3600 + om * 60);
    *out = t * 1000 + ms;
    return 0;
}

/* ---- one line -------------------------------------------------------------- */

static int opt_string(replay_t *p, json_t *o, const char *key, char **dst, ledger_err_t *err)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return ledger_err_set(err, LEDGER_EINPUT, "'%s' line %lu: \"%s\" is not a string", p->path,
                              p->line_no, key);
    if ((*dst = strdup(json_string_value(v))) == NULL)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    return 0;
}

static int parse_line(replay_t *p, const char *s, size_t n, ledger_err_t *err)
{
    json_error_t je;
    json_t *o = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je), *v;
    rec_t *r = &p->rec;
    int rc = 0;

    rec_clear(r);
    r->time_ms = -1;
    if (o == NULL)
        return ledger_err_set(err, LEDGER_EINPUT, "'%s' line %lu: not JSON (%s at column %d)",
                              p->path, p->line_no, je.text, je.column);
    if (!json_is_object(o)) {
        rc = ledger_err_set(err, LEDGER_EINPUT, "'%s' line %lu: not a JSON object", p->path,
                            p->line_no);
        goto done;
    }
    v = json_object_get(o, "code");
    if (!json_is_string(v) || json_string_length(v) == 0) {
        rc = ledger_err_set(err, LEDGER_EINPUT,
                            "'%s' line %lu: \"code\" is missing, empty or not a string", p->path,
                            p->line_no);
        goto done;
    }
    r->code_len = json_string_length(v);
    if ((r->code = malloc(r->code_len + 1)) == NULL) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        goto done;
    }
    memcpy(r->code, json_string_value(v), r->code_len + 1);
    if ((rc = opt_string(p, o, "uid", &r->uid, err)) < 0 ||
        (rc = opt_string(p, o, "tag_type", &r->tag_type, err)) < 0 ||
        (rc = opt_string(p, o, "source", &r->source, err)) < 0 ||
        (r->source == NULL && (rc = opt_string(p, o, "reader", &r->source, err)) < 0))
        goto done;
    if (r->uid && r->uid[0] == '\0') {
        free(r->uid);
        r->uid = NULL;
    }
    if (r->uid) {
        for (char *c = r->uid; *c; c++) {
            if (*c >= 'A' && *c <= 'F')
                *c = (char)(*c - 'A' + 'a');
            else if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'))) {
                rc = ledger_err_set(err, LEDGER_EINPUT, "'%s' line %lu: \"uid\" is not hex",
                                    p->path, p->line_no);
                goto done;
            }
        }
    }
    if ((v = json_object_get(o, "time")) != NULL && !json_is_null(v)) {
        if (!json_is_string(v) || parse_time(json_string_value(v), &r->time_ms) < 0) {
            rc = ledger_err_set(err, LEDGER_EINPUT,
                                "'%s' line %lu: \"time\" is not an RFC 3339 date-time such as "
                                "2026-11-24T10:00:00Z",
                                p->path, p->line_no);
            goto done;
        }
    } else if ((v = json_object_get(o, "time_ms")) != NULL && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            rc = ledger_err_set(err, LEDGER_EINPUT,
                                "'%s' line %lu: \"time_ms\" is not a non-negative integer", p->path,
                                p->line_no);
            goto done;
        }
        r->time_ms = (int64_t)json_integer_value(v);
    }
    if ((v = json_object_get(o, "delay_ms")) != NULL && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > REPLAY_DELAY_MAX) {
            rc = ledger_err_set(err, LEDGER_EINPUT,
                                "'%s' line %lu: \"delay_ms\" is not an integer in 0..%d", p->path,
                                p->line_no, REPLAY_DELAY_MAX);
            goto done;
        }
        r->delay_ms = (int64_t)json_integer_value(v);
    }
    p->have = 1;
done:
    json_decref(o);
    if (rc < 0)
        rec_clear(r);
    return rc;
}

/* Reads lines until one holds a read (p->have), a bad line (error), or the
 * end of the file (READER_END). */
static int next_record(replay_t *p, ledger_err_t *err)
{
    while (!p->have) {
        size_t n = 0;
        int c, over = 0;
        if (p->eof)
            return READER_END;
        while ((c = getc(p->fp)) != EOF && c != '\n') {
            if (n < REPLAY_LINE_MAX)
                p->line[n++] = (char)c;
            else
                over = 1;
        }
        if (c == EOF) {
            if (ferror(p->fp))
                return ledger_err_set(err, LEDGER_EIO, "cannot read '%s': %s", p->path,
                                      strerror(errno));
            p->eof = 1;
            if (n == 0 && !over)
                return READER_END;
        }
        p->line_no++;
        if (over)
            return ledger_err_set(err, LEDGER_EINPUT, "'%s' line %lu is longer than %d bytes",
                                  p->path, p->line_no, REPLAY_LINE_MAX);
        while (n > 0 && (p->line[n - 1] == '\r' || p->line[n - 1] == ' ' || p->line[n - 1] == '\t'))
            n--;
        size_t i = 0;
        while (i < n && (p->line[i] == ' ' || p->line[i] == '\t'))
            i++;
        if (i == n || p->line[i] == '#')
            continue;
        int rc = parse_line(p, p->line + i, n - i, err);
        if (rc < 0)
            return rc;
    }
    return READER_READ;
}

static int set_opt(char **dst, const char *s, ledger_err_t *err)
{
    return s ? reader__set(dst, s, strlen(s), err) : 0;
}

static int replay_poll(void *state, int timeout_ms, reader_read_t *out, ledger_err_t *err)
{
    replay_t *p = state;
    int64_t start = mono_ms();
    int rc;

    if ((rc = next_record(p, err)) != READER_READ)
        return rc;
    if (!p->fast && p->rec.delay_ms > 0) {
        int64_t due = p->last_ms + p->rec.delay_ms, now = mono_ms();
        if (now < due) {
            int64_t until = due < start + timeout_ms ? due : start + timeout_ms;
            while (now < until) {
                int64_t ms = until - now;
                struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
                nanosleep(&ts, NULL);
                now = mono_ms();
            }
            if (now < due)
                return READER_NONE;
        }
    }
    rec_t *r = &p->rec;
    if ((rc = reader__set(&out->code, r->code, r->code_len, err)) < 0 ||
        (rc = set_opt(&out->uid, r->uid, err)) < 0 ||
        (rc = set_opt(&out->tag_type, r->tag_type, err)) < 0 ||
        (rc = set_opt(&out->source, r->source ? r->source : p->path, err)) < 0)
        return rc;
    out->code_len = r->code_len;
    out->time_ms = r->time_ms >= 0 ? r->time_ms : reader__now_ms();
    p->last_ms = mono_ms();
    p->have = 0;
    rec_clear(r);
    return READER_READ;
}

const reader_backend_t reader_backend_replay = {
    .scheme = "replay",
    .open = replay_open,
    .poll = replay_poll,
    .close = replay_close,
};

/* reader_line.c -- the "line:" reader: one code per line (keyboard-wedge
 * and serial barcode/RFID scanners, files, FIFOs).
 *
 * URI:  line:-                  standard input (a keyboard-wedge scanner typing
 *                               into the terminal, or a pipe); the terminal's
 *                               settings are left alone
 *       line:<path>             a file, a FIFO or a device
 *       line:<path>,<baud>      the same; for a serial device (a tty) the
 *                               speed, default 9600.  A tty is put in raw mode,
 *                               8N1, no echo, no flow control, and its
 *                               settings are restored on close.
 *
 * A line ends at LF, CR or CR LF (serial scanners often send CR alone).
 * Spaces and tabs around the code are removed, GS (0x1D) and every other
 * byte are kept, blank lines are skipped.  Lines are numbered from 1 as in
 * the file, blank ones included.
 *
 * How it works: bytes are read into one buffer of 64 KiB + 1 and lines are
 * cut out of it, so memory stays bounded whatever the input.  A line longer
 * than 65536 bytes (without its end of line) is reported once, as
 * LEDGER_EINPUT "line N is longer than 65536 bytes", as soon as that is
 * known; its remaining bytes are then dropped as they arrive, and the line
 * after it is read normally.  A line containing a NUL byte is
 * LEDGER_EINPUT too.  poll() waits with poll(2) against a monotonic deadline
 * and never blocks longer than timeout_ms: standard input is read only when
 * poll(2) says it is readable; our own descriptors are non-blocking.
 *
 * End: end of file on a file, on standard input, or on a FIFO whose writers
 * have all gone -> the last unterminated line, if any, then READER_END.
 * A device that disappears (hang-up, EIO, ENXIO, ENODEV: a USB scanner
 * unplugged) -> LEDGER_EIO; the partial line is dropped; later polls try
 * to reopen the same path, at most once a second (waiting for the next
 * attempt within timeout_ms, READER_NONE when it is not due yet), and
 * return LEDGER_EIO as long as that fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "reader__backend.h"

#define LINE_MAX_BYTES 65536
#define BUF_CAP (LINE_MAX_BYTES + 1)
#define REOPEN_INTERVAL_MS 1000

typedef struct {
    char *path;       /* NULL for stdin */
    const char *name; /* "stdin" or path */
    int fd;           /* -1 while the device is gone */
    int reopenable;   /* a device: reopen when it disappears */
    int is_tty;
    speed_t speed;
    struct termios saved;
    int saved_ok;
    size_t start, end; /* unread bytes are buf[start, end) */
    int discarding;    /* inside an overlong line: drop up to its end */
    int skip_lf;       /* the last line ended with CR: an LF right after belongs to it */
    int eof;
    int ended;             /* READER_END was returned */
    unsigned long line_no; /* number of the line being read */
    int64_t next_reopen;   /* monotonic ms */
    unsigned char buf[BUF_CAP];
} line_rd_t;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct {
    int baud;
    speed_t speed;
} bauds[] = {
    {1200, B1200},     {2400, B2400},     {4800, B4800},     {9600, B9600},
    {19200, B19200},   {38400, B38400},   {57600, B57600},   {115200, B115200},
    {230400, B230400}, {460800, B460800}, {921600, B921600},
};

/* Opens the path and, for a tty, sets raw 8N1 at the chosen speed. */
static int line_open_fd(line_rd_t *l, ledger_err_t *err)
{
    struct stat st;
    int fd = open(l->path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0)
        return ledger_err_set(err, LEDGER_EIO,
                              "cannot open '%s': %s (is the scanner connected? check the path "
                              "and the permissions)",
                              l->path, strerror(errno));
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        return ledger_err_set(err, LEDGER_EIO, "'%s' is a directory", l->path);
    }
    l->reopenable = S_ISCHR(st.st_mode);
    l->is_tty = isatty(fd);
    if (l->is_tty) {
        struct termios t;
        if (tcgetattr(fd, &t) != 0) {
            int e = errno;
            close(fd);
            return ledger_err_set(err, LEDGER_EIO, "cannot read the settings of '%s': %s", l->path,
                                  strerror(e));
        }
        if (!l->saved_ok) {
            l->saved = t;
            l->saved_ok = 1;
        }
        cfmakeraw(&t);
        t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB | CRTSCTS);
        t.c_cflag |= CS8 | CLOCAL | CREAD;
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        if (cfsetispeed(&t, l->speed) != 0 || cfsetospeed(&t, l->speed) != 0 ||
            tcsetattr(fd, TCSANOW, &t) != 0) {
            int e = errno;
            close(fd);
            return ledger_err_set(err, LEDGER_EIO, "cannot set '%s' to raw 8N1: %s", l->path,
                                  strerror(e));
        }
    }
    l->fd = fd;
    return 0;
}

static void line_close(void *state)
{
    line_rd_t *l = state;
    if (l == NULL)
        return;
    if (l->path && l->fd >= 0) {
        if (l->is_tty && l->saved_ok)
            tcsetattr(l->fd, TCSANOW, &l->saved);
        close(l->fd);
    }
    free(l->path);
    free(l);
}

static int line_open(void **state, const char *arg, ledger_err_t *err)
{
    line_rd_t *l = calloc(1, sizeof *l);
    int rc;

    *state = NULL;
    if (l == NULL)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    l->fd = -1;
    l->line_no = 1;
    l->speed = B9600;
    if (arg == NULL || *arg == '\0') {
        rc = ledger_err_set(err, LEDGER_EINVAL,
                            "give '-' for standard input or the path of a file or device, "
                            "e.g. line:- or line:/dev/ttyACM0,9600");
        goto fail;
    }
    if (strcmp(arg, "-") == 0) {
        l->fd = 0;
        l->name = "stdin";
        *state = l;
        return 0;
    }
    size_t n = strlen(arg);
    const char *comma = strrchr(arg, ',');
    if (comma && comma[1] != '\0' && strspn(comma + 1, "0123456789") == strlen(comma + 1)) {
        long baud = strtol(comma + 1, NULL, 10);
        size_t i;
        for (i = 0; i < sizeof bauds / sizeof bauds[0]; i++)
            if (bauds[i].baud == baud)
                break;
        if (i == sizeof bauds / sizeof bauds[0]) {
            rc = ledger_err_set(err, LEDGER_EINVAL,
                                "unsupported speed %s baud (use 1200, 2400, 4800, 9600, 19200, "
                                "38400, 57600, 115200, 230400, 460800 or 921600)",
                                comma + 1);
            goto fail;
        }
        l->speed = bauds[i].speed;
        n = (size_t)(comma - arg);
    }
    if (n == 0) {
        rc = ledger_err_set(err, LEDGER_EINVAL, "no path before the speed");
        goto fail;
    }
    if ((l->path = strndup(arg, n)) == NULL) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        goto fail;
    }
    l->name = l->path;
    if ((rc = line_open_fd(l, err)) < 0)
        goto fail;
    *state = l;
    return 0;
fail:
    line_close(l);
    return rc;
}

/* Puts one line (without its end of line) into out, trimmed.  Returns
 * READER_READ, READER_NONE for a blank line, or LEDGER_EINPUT. */
static int emit(line_rd_t *l, const unsigned char *p, size_t n, unsigned long no,
                reader_read_t *out, ledger_err_t *err)
{
    int rc;
    while (n > 0 && (p[0] == ' ' || p[0] == '\t'))
        p++, n--;
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n == 0)
        return READER_NONE;
    if (memchr(p, '\0', n) != NULL)
        return ledger_err_set(err, LEDGER_EINPUT, "line %lu contains a NUL byte", no);
    if ((rc = reader__set(&out->code, (const char *)p, n, err)) < 0 ||
        (rc = reader__set(&out->source, l->name, strlen(l->name), err)) < 0)
        return rc;
    out->code_len = n;
    out->time_ms = reader__now_ms();
    return READER_READ;
}

static unsigned char *find_eol(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == '\n' || p[i] == '\r')
            return p + i;
    return NULL;
}

/* Takes the next line out of the buffer: READER_READ, LEDGER_EINPUT, or
 * READER_NONE when no complete line is there yet. */
static int take_line(line_rd_t *l, reader_read_t *out, ledger_err_t *err)
{
    for (;;) {
        unsigned char *b = l->buf + l->start, *eol;
        size_t avail = l->end - l->start;
        if (l->skip_lf && avail > 0) {
            l->skip_lf = 0;
            if (*b == '\n') {
                l->start++;
                continue;
            }
        }
        eol = find_eol(b, avail);
        if (l->discarding) {
            if (eol == NULL) {
                l->start = l->end = 0;
                return READER_NONE;
            }
            l->discarding = 0;
            l->skip_lf = *eol == '\r';
            l->start += (size_t)(eol - b) + 1;
            l->line_no++;
            continue;
        }
        if (eol == NULL) {
            if (avail > LINE_MAX_BYTES) {
                l->discarding = 1;
                l->start = l->end = 0;
                return ledger_err_set(err, LEDGER_EINPUT, "line %lu is longer than %d bytes",
                                      l->line_no, LINE_MAX_BYTES);
            }
            return READER_NONE;
        }
        size_t n = (size_t)(eol - b);
        unsigned long no = l->line_no++;
        l->skip_lf = *eol == '\r';
        l->start += n + 1;
        int rc = emit(l, b, n, no, out, err);
        if (rc != READER_NONE)
            return rc;
    }
}

/* End of input: the last line without an end of line, then READER_END. */
static int finish(line_rd_t *l, reader_read_t *out, ledger_err_t *err)
{
    if (!l->discarding && l->end > l->start) {
        unsigned char *b = l->buf + l->start;
        size_t n = l->end - l->start;
        l->start = l->end = 0;
        int rc = emit(l, b, n, l->line_no++, out, err);
        if (rc != READER_NONE)
            return rc;
    }
    l->discarding = 0;
    l->start = l->end = 0;
    l->ended = 1;
    return READER_END;
}

/* The device went away: close it and schedule a reopen. */
static int gone(line_rd_t *l, int e, ledger_err_t *err)
{
    close(l->fd);
    l->fd = -1;
    l->start = l->end = 0;
    l->discarding = l->skip_lf = 0;
    l->next_reopen = mono_ms();
    return ledger_err_set(err, LEDGER_EIO, "'%s' is gone (%s); it will be reopened when it is back",
                          l->name, e ? strerror(e) : "hang-up");
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (ms > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int line_poll(void *state, int timeout_ms, reader_read_t *out, ledger_err_t *err)
{
    line_rd_t *l = state;
    int64_t deadline = mono_ms() + timeout_ms;
    int late_reads = 0; /* reads after the deadline: bounded, in case data never stops */

    if (l->ended)
        return READER_END;
    if (l->fd < 0) {
        int64_t now = mono_ms();
        if (now < l->next_reopen) {
            if (l->next_reopen > deadline) {
                sleep_ms(deadline - now);
                return READER_NONE;
            }
            sleep_ms(l->next_reopen - now);
        }
        l->next_reopen = mono_ms() + REOPEN_INTERVAL_MS;
        int rc = line_open_fd(l, err);
        if (rc < 0)
            return rc;
    }
    for (;;) {
        int rc = take_line(l, out, err);
        if (rc != READER_NONE)
            return rc;
        if (l->eof)
            return finish(l, out, err);
        int64_t now = mono_ms();
        if (now >= deadline && late_reads++ >= 16)
            return READER_NONE;
        if (l->start > 0) {
            memmove(l->buf, l->buf + l->start, l->end - l->start);
            l->end -= l->start;
            l->start = 0;
        }
        struct pollfd pfd = {.fd = l->fd, .events = POLLIN};
        int pr = poll(&pfd, 1, now < deadline ? (int)(deadline - now) : 0);
        if (pr < 0) {
            if (errno == EINTR)
                continue;
            return ledger_err_set(err, LEDGER_EIO, "cannot wait for '%s': %s", l->name,
                                  strerror(errno));
        }
        if (pr == 0)
            return READER_NONE;
        if (pfd.revents & POLLNVAL)
            return l->reopenable ? gone(l, EBADF, err)
                                 : ledger_err_set(err, LEDGER_EIO, "'%s' is not open", l->name);
        ssize_t got = read(l->fd, l->buf + l->end, BUF_CAP - l->end);
        if (got > 0) {
            l->end += (size_t)got;
        } else if (got == 0) {
            if (l->is_tty && l->path)
                return gone(l, 0, err);
            l->eof = 1;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            continue;
        } else if (l->reopenable && l->path) {
            return gone(l, errno, err);
        } else {
            return ledger_err_set(err, LEDGER_EIO, "cannot read '%s': %s", l->name,
                                  strerror(errno));
        }
    }
}

const reader_backend_t reader_backend_line = {
    .scheme = "line",
    .open = line_open,
    .poll = line_poll,
    .close = line_close,
};

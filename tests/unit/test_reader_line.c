/* test_reader_line.c -- unit tests of the "line:" and "replay:" readers.
 *
 * line: codes from a file, a pipe, standard input and a pseudo-terminal:
 * CR, LF and CR LF endings (also split across writes), GS bytes kept,
 * spaces trimmed, blank lines skipped, line numbers in errors, a line of
 * exactly 65536 bytes accepted and one of 65537 refused, a 10 MB line
 * refused with bounded memory and the next line read, poll() returning
 * READER_NONE within its timeout, end of file -> READER_END, a serial
 * device (pty) in raw 8N1 at the requested speed that disappears ->
 * LEDGER_EIO, then reopened when it is back.
 * replay: the documented schema (code, uid, tag_type, source/reader, time,
 * time_ms, delay_ms), bad lines -> LEDGER_EINPUT with their line number and
 * skipped, pacing by delay_ms within the poll timeout, "?fast".
 */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, unlockpt, ptsname */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "reader.h"

static char tmpdir[512];

static const char *tpath(const char *name)
{
    static char buf[8][600];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static int setup(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test_reader_line.XXXXXX", t && *t ? t : "/tmp");
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        assert_true(w > 0);
        c += w;
        n -= (size_t)w;
    }
}

static reader_t *open_ok(const char *uri)
{
    reader_t *r = NULL;
    ledger_err_t err = {0};
    if (reader_open(&r, uri, &err) != 0)
        fail_msg("open %s: %s", uri, err.msg);
    return r;
}

/* Polls once; the result must be a read of exactly want (len bytes). */
static void expect_read(reader_t *r, int timeout, const char *want, size_t len)
{
    reader_read_t rd = {0};
    ledger_err_t err = {0};
    int rc = reader_poll(r, timeout, &rd, &err);
    if (rc != READER_READ)
        fail_msg("want a read of '%.40s', got rc %d (%s)", want, rc, err.msg);
    assert_int_equal(rd.code_len, len);
    assert_memory_equal(rd.code, want, len);
    assert_int_equal(rd.code[len], 0);
    assert_non_null(rd.source);
    assert_true(rd.time_ms > 1700000000000LL);
    reader_read_clear(&rd);
}

static void expect_str(reader_t *r, int timeout, const char *want)
{
    expect_read(r, timeout, want, strlen(want));
}

/* Polls once; the result must be rc (an error: its message holds in_msg). */
static void expect_rc(reader_t *r, int timeout, int want, const char *in_msg)
{
    reader_read_t rd = {0};
    ledger_err_t err = {0};
    int rc = reader_poll(r, timeout, &rd, &err);
    if (rc != want)
        fail_msg("want rc %d, got %d (%s%s)", want, rc, err.msg, rc == READER_READ ? rd.code : "");
    assert_null(rd.code);
    if (want < 0) {
        assert_int_equal(err.code, want);
        if (in_msg && strstr(err.msg, in_msg) == NULL)
            fail_msg("'%s' not in '%s'", in_msg, err.msg);
    }
}

/* ---- line: ------------------------------------------------------------------ */

static void test_line_file(void **state)
{
    (void)state;
    static const char data[] = "A\r\n"       /* 1 */
                               "B\n"         /* 2 */
                               "\n"          /* 3 blank */
                               "  C  \t\r\n" /* 4 */
                               "]C10105412345000013\x1d"
                               "10LOT42\n"                  /* 5 */
                               "\t \n"                      /* 6 blank */
                               "D\r"                        /* 7 */
                               "E\r\n"                      /* 8 */
                               "\r\n"                       /* 9 blank */
                               "N\0UL\n"                    /* 10 */
                               "3074257BF7194E4000001A85\n" /* 11 */
                               "F";                         /* 12, no end of line */
    write_file(tpath("codes.txt"), data, sizeof data - 1);
    char uri[700];
    snprintf(uri, sizeof uri, "line:%s", tpath("codes.txt"));
    reader_t *r = open_ok(uri);
    expect_str(r, 0, "A");
    expect_str(r, 0, "B");
    expect_str(r, 0, "C");
    expect_str(r, 0,
               "]C10105412345000013\x1d"
               "10LOT42");
    expect_str(r, 0, "D");
    expect_str(r, 0, "E");
    expect_rc(r, 0, LEDGER_EINPUT, "line 10 contains a NUL byte");
    expect_str(r, 0, "3074257BF7194E4000001A85");
    expect_str(r, 0, "F");
    expect_rc(r, 0, READER_END, NULL);
    expect_rc(r, 0, READER_END, NULL);
    reader_close(r);
}

static void test_line_limits(void **state)
{
    (void)state;
    size_t n = 65536;
    char *buf = malloc(3 * n + 100);
    assert_non_null(buf);
    size_t k = 0;
    memset(buf, 'a', n); /* line 1: exactly 65536 bytes */
    k = n;
    buf[k++] = '\n';
    memset(buf + k, 'b', n + 1); /* line 2: 65537 bytes */
    k += n + 1;
    buf[k++] = '\r';
    buf[k++] = '\n';
    memcpy(buf + k, "next\n", 5); /* line 3 */
    k += 5;
    memset(buf + k, 'c', n + 5); /* line 4: too long, at the end of the file */
    k += n + 5;
    write_file(tpath("limits.txt"), buf, k);
    char uri[700];
    snprintf(uri, sizeof uri, "line:%s", tpath("limits.txt"));
    reader_t *r = open_ok(uri);
    memset(buf, 'a', n);
    expect_read(r, 0, buf, n);
    expect_rc(r, 0, LEDGER_EINPUT, "line 2 is longer than 65536 bytes");
    expect_str(r, 0, "next");
    expect_rc(r, 0, LEDGER_EINPUT, "line 4 is longer than 65536 bytes");
    expect_rc(r, 0, READER_END, NULL);
    reader_close(r);
    free(buf);
}

static long maxrss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* A 10 MB line through a pipe, written by a child process while we read. */
static void test_line_10mb_pipe(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        static char chunk[65536];
        close(p[0]);
        memset(chunk, 'z', sizeof chunk);
        write_all(p[1], "before\n", 7);
        for (size_t i = 0; i < 10u * 1024 * 1024; i += sizeof chunk)
            write_all(p[1], chunk, sizeof chunk);
        write_all(p[1], "\nafter\r\n", 8);
        _exit(0);
    }
    close(p[1]);
    char uri[64];
    snprintf(uri, sizeof uri, "line:/dev/fd/%d", p[0]);
    long rss0 = maxrss_kb();
    reader_t *r = open_ok(uri);
    int reads = 0, errors = 0, nones = 0;
    const char *want[] = {"before", "after"};
    for (int guard = 0; guard < 10000; guard++) {
        reader_read_t rd = {0};
        ledger_err_t err = {0};
        int rc = reader_poll(r, 2000, &rd, &err);
        if (rc == READER_END)
            break;
        if (rc == READER_NONE) {
            nones++;
            continue;
        }
        if (rc == READER_READ) {
            assert_true(reads < 2);
            assert_string_equal(rd.code, want[reads]);
            assert_int_equal(errors, reads == 0 ? 0 : 1);
            reads++;
        } else {
            assert_int_equal(rc, LEDGER_EINPUT);
            assert_non_null(strstr(err.msg, "line 2 is longer than 65536 bytes"));
            errors++;
        }
        reader_read_clear(&rd);
    }
    assert_int_equal(reads, 2);
    assert_int_equal(errors, 1);
    assert_true(nones < 50);
    reader_close(r);
    close(p[0]);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    /* the 10 MB never sat in our memory */
    assert_true(maxrss_kb() - rss0 < 4096);
}

static void test_line_pipe_timeout(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    char uri[64];
    snprintf(uri, sizeof uri, "line:/dev/fd/%d", p[0]);
    reader_t *r = open_ok(uri);

    int64_t t0 = now_ms();
    expect_rc(r, 0, READER_NONE, NULL);
    assert_true(now_ms() - t0 < 50);
    for (int i = 0; i < 3; i++) {
        int timeout = 100 + 100 * i;
        t0 = now_ms();
        expect_rc(r, timeout, READER_NONE, NULL);
        int64_t el = now_ms() - t0;
        if (el < timeout - 2 || el > timeout + 50)
            fail_msg("poll(%d) took %lld ms", timeout, (long long)el);
    }
    /* a partial line waits for its end */
    write_all(p[1], "ABC", 3);
    t0 = now_ms();
    expect_rc(r, 100, READER_NONE, NULL);
    assert_true(now_ms() - t0 <= 150);
    write_all(p[1], "DEF\r", 4);
    t0 = now_ms();
    expect_str(r, 1000, "ABCDEF");
    assert_true(now_ms() - t0 < 100);
    /* the LF that completes a CR LF arrives later: no extra line */
    write_all(p[1], "\nG\x1dH\n", 5);
    expect_str(r, 1000, "G\x1dH");
    write_all(p[1], "bad\0\n", 5);
    expect_rc(r, 1000, LEDGER_EINPUT, "line 3 contains a NUL byte");
    write_all(p[1], "last", 4);
    close(p[1]);
    expect_str(r, 1000, "last");
    expect_rc(r, 1000, READER_END, NULL);
    reader_close(r);
    close(p[0]);
}

static void test_line_stdin(void **state)
{
    (void)state;
    int p[2], saved = dup(0);
    assert_true(saved >= 0);
    assert_int_equal(pipe(p), 0);
    assert_int_equal(dup2(p[0], 0), 0);
    close(p[0]);
    reader_t *r = open_ok("line:-");
    expect_rc(r, 20, READER_NONE, NULL);
    write_all(p[1], "S1\r\n\r\nS2\n", 9);
    close(p[1]);
    reader_read_t rd = {0};
    ledger_err_t err = {0};
    assert_int_equal(reader_poll(r, 1000, &rd, &err), READER_READ);
    assert_string_equal(rd.code, "S1");
    assert_string_equal(rd.source, "stdin");
    assert_null(rd.uid);
    assert_null(rd.tag_type);
    reader_read_clear(&rd);
    expect_str(r, 1000, "S2");
    expect_rc(r, 1000, READER_END, NULL);
    reader_close(r);
    assert_int_equal(dup2(saved, 0), 0);
    close(saved);
}

static void test_line_open_errors(void **state)
{
    (void)state;
    reader_t *r = NULL;
    ledger_err_t err = {0};
    assert_int_equal(reader_open(&r, "line:", &err), LEDGER_EINVAL);
    assert_int_equal(reader_open(&r, "line:/dev/null,12345", &err), LEDGER_EINVAL);
    assert_non_null(strstr(err.msg, "12345"));
    assert_int_equal(reader_open(&r, "line:/nonexistent/ttyACM9", &err), LEDGER_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent/ttyACM9"));
    assert_int_equal(reader_open(&r, "line:/tmp", &err), LEDGER_EIO);
    assert_null(r);
    /* a character device that is not a tty: end of file at once */
    r = open_ok("line:/dev/null,9600");
    expect_rc(r, 100, READER_END, NULL);
    reader_close(r);
}

/* A pseudo-terminal master; *slave receives the slave's path. */
static int new_pty(char *slave, size_t n)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(m >= 0);
    assert_int_equal(grantpt(m), 0);
    assert_int_equal(unlockpt(m), 0);
    snprintf(slave, n, "%s", ptsname(m));
    return m;
}

static void test_line_serial_gone_and_back(void **state)
{
    (void)state;
    char slave[128], uri[700];
    const char *link = tpath("scanner");
    int m = new_pty(slave, sizeof slave);
    assert_int_equal(symlink(slave, link), 0);
    snprintf(uri, sizeof uri, "line:%s,115200", link);
    reader_t *r = open_ok(uri);

    /* the device is in raw 8N1 mode at 115200 baud, without echo */
    int s = open(slave, O_RDWR | O_NOCTTY);
    assert_true(s >= 0);
    struct termios t;
    assert_int_equal(tcgetattr(s, &t), 0);
    close(s);
    assert_int_equal(t.c_lflag & (ECHO | ICANON | ISIG), 0);
    assert_int_equal(t.c_iflag & (ICRNL | IXON), 0);
    assert_int_equal(t.c_cflag & CSIZE, CS8);
    assert_int_equal(t.c_cflag & (PARENB | CSTOPB), 0);
    assert_int_equal(cfgetispeed(&t), B115200);

    expect_rc(r, 50, READER_NONE, NULL);
    write_all(m, "P1\r", 3); /* a scanner's usual CR suffix */
    expect_str(r, 1000, "P1");
    write_all(m, "P", 1); /* a partial line, then the device goes */
    expect_rc(r, 50, READER_NONE, NULL);
    close(m);
    int64_t t0 = now_ms();
    expect_rc(r, 1000, LEDGER_EIO, "is gone");
    expect_rc(r, 1000, LEDGER_EIO, "cannot open");
    assert_true(now_ms() - t0 < 200);
    /* not due again before a second: a short poll just times out */
    t0 = now_ms();
    expect_rc(r, 100, READER_NONE, NULL);
    assert_true(now_ms() - t0 >= 95 && now_ms() - t0 < 200);

    /* the device comes back (same path, another pty) */
    m = new_pty(slave, sizeof slave);
    assert_int_equal(unlink(link), 0);
    assert_int_equal(symlink(slave, link), 0);
    t0 = now_ms();
    expect_rc(r, 1500, READER_NONE, NULL); /* reopened within, nothing sent yet */
    int64_t el = now_ms() - t0;
    assert_true(el >= 1400 && el <= 1600);
    write_all(m, "P2\r\n", 4);
    expect_str(r, 1000, "P2");
    reader_close(r);
    close(m);
}

/* ---- replay: ---------------------------------------------------------------- */

static void test_replay_schema(void **state)
{
    (void)state;
    char *big = malloc(70050);
    assert_non_null(big);
    memcpy(big, "{\"code\":\"", 9);
    memset(big + 9, 'x', 70000);
    memcpy(big + 70009, "\"}\n", 4);
    FILE *f = fopen(tpath("reads.jsonl"), "wb");
    assert_non_null(f);
    fputs("# recorded at the packing line\n"                             /* 1 */
          "{\"code\":\"https://id.gs1.org/01/09506000134352/21/SN1\"}\n" /* 2 */
          "\n"                                                           /* 3 */
          "{\"code\":\"https://id.gs1.org/01/05412345000013/10/LOT42\",\"uid\":\"04A1B2C3D4E5F6\","
          "\"tag_type\":\"NTAG213\",\"reader\":\"nfc\",\"time\":\"2026-11-24T10:00:00Z\"}\n" /* 4 */
          "not json\n"                                                                       /* 5 */
          "{\"uid\":\"04\"}\n"                                                               /* 6 */
          "{\"code\":42}\n"                                                                  /* 7 */
          "[\"code\"]\n"                                                                     /* 8 */
          "{\"code\":\"x\",\"time\":\"2026-02-30T10:00:00Z\"}\n"                             /* 9 */
          "{\"code\":\"x\",\"delay_ms\":-5}\n" /* 10 */
          "{\"code\":\"x\",\"uid\":\"zz\"}\n"  /* 11 */
          "  {\"code\":\"]C10105412345000013\\u001d10LOT42\",\"source\":\"line:/dev/ttyACM0\","
          "\"reader\":\"ignored\",\"time\":\"2026-11-24T10:00:00.250+01:00\"} \r\n" /* 12 */
          "{\"code\":\"E\",\"time_ms\":1709270999999,\"extra\":{\"a\":1}}\n",       /* 13 */
          f);
    fwrite(big, 1, 70012, f);                                               /* 14: too long */
    fputs("{\"code\":\"x\",\"code\":\"y\"}\n"                               /* 15 */
          "{\"code\":\"\"}\n"                                               /* 16 */
          "{\"code\":\"tail\",\"time\":\"2024-02-29T23:59:59.999-05:30\"}", /* 17 */
          f);
    assert_int_equal(fclose(f), 0);
    free(big);

    char uri[700];
    snprintf(uri, sizeof uri, "replay:%s", tpath("reads.jsonl"));
    reader_t *r = open_ok(uri);
    reader_read_t rd = {0};
    ledger_err_t err = {0};

    assert_int_equal(reader_poll(r, 0, &rd, &err), READER_READ);
    assert_string_equal(rd.code, "https://id.gs1.org/01/09506000134352/21/SN1");
    assert_null(rd.uid);
    assert_null(rd.tag_type);
    assert_string_equal(rd.source, tpath("reads.jsonl"));
    assert_true(rd.time_ms > 1700000000000LL); /* now */

    assert_int_equal(reader_poll(r, 0, &rd, &err), READER_READ);
    assert_string_equal(rd.code, "https://id.gs1.org/01/05412345000013/10/LOT42");
    assert_string_equal(rd.uid, "04a1b2c3d4e5f6");
    assert_string_equal(rd.tag_type, "NTAG213");
    assert_string_equal(rd.source, "nfc");
    assert_int_equal(rd.time_ms, 1795514400000LL);

    expect_rc(r, 0, LEDGER_EINPUT, "line 5: not JSON");
    expect_rc(r, 0, LEDGER_EINPUT, "line 6: \"code\" is missing");
    expect_rc(r, 0, LEDGER_EINPUT, "line 7: \"code\"");
    expect_rc(r, 0, LEDGER_EINPUT, "line 8: not a JSON object");
    expect_rc(r, 0, LEDGER_EINPUT, "line 9: \"time\"");
    expect_rc(r, 0, LEDGER_EINPUT, "line 10: \"delay_ms\"");
    expect_rc(r, 0, LEDGER_EINPUT, "line 11: \"uid\" is not hex");

    assert_int_equal(reader_poll(r, 0, &rd, &err), READER_READ);
    assert_int_equal(rd.code_len, 27);
    assert_memory_equal(rd.code,
                        "]C10105412345000013\x1d"
                        "10LOT42",
                        28);
    assert_string_equal(rd.source, "line:/dev/ttyACM0");
    assert_int_equal(rd.time_ms, 1795510800250LL);

    assert_int_equal(reader_poll(r, 0, &rd, &err), READER_READ);
    assert_string_equal(rd.code, "E");
    assert_int_equal(rd.time_ms, 1709270999999LL);

    expect_rc(r, 0, LEDGER_EINPUT, "line 14 is longer than 65536 bytes");
    expect_rc(r, 0, LEDGER_EINPUT, "line 15: not JSON");
    expect_rc(r, 0, LEDGER_EINPUT, "line 16: \"code\" is missing, empty");

    assert_int_equal(reader_poll(r, 0, &rd, &err), READER_READ);
    assert_string_equal(rd.code, "tail");
    assert_int_equal(rd.time_ms, 1709270999999LL);
    expect_rc(r, 0, READER_END, NULL);
    expect_rc(r, 0, READER_END, NULL);
    reader_read_clear(&rd);
    reader_close(r);

    assert_int_equal(reader_open(&r, "replay:/nonexistent.jsonl", &err), LEDGER_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent.jsonl"));
    assert_int_equal(reader_open(&r, "replay:", &err), LEDGER_EINVAL);
    assert_int_equal(reader_open(&r, "replay:/dev/null", &err), LEDGER_EINVAL);
    assert_non_null(strstr(err.msg, "not a regular file"));
    snprintf(uri, sizeof uri, "replay:%s?slow", tpath("reads.jsonl"));
    assert_int_equal(reader_open(&r, uri, &err), LEDGER_EINVAL);
}

static void test_replay_pacing(void **state)
{
    (void)state;
    const char *paced = "{\"code\":\"r1\",\"delay_ms\":300}\n"
                        "{\"code\":\"r2\"}\n"
                        "{\"code\":\"r3\",\"delay_ms\":200}\n";
    write_file(tpath("paced.jsonl"), paced, strlen(paced));
    char uri[700];
    snprintf(uri, sizeof uri, "replay:%s", tpath("paced.jsonl"));
    int64_t t0 = now_ms();
    reader_t *r = open_ok(uri);
    expect_rc(r, 0, READER_NONE, NULL); /* r1 is due 300 ms after open */
    expect_rc(r, 100, READER_NONE, NULL);
    int64_t el = now_ms() - t0;
    assert_true(el >= 100 && el < 200);
    expect_str(r, 1000, "r1"); /* waits the rest of the 300 ms, no more */
    el = now_ms() - t0;
    assert_true(el >= 295 && el < 360);
    int64_t t1 = now_ms();
    expect_str(r, 0, "r2"); /* no delay */
    expect_rc(r, 50, READER_NONE, NULL);
    expect_str(r, 1000, "r3");
    el = now_ms() - t1;
    assert_true(el >= 195 && el < 260);
    expect_rc(r, 1000, READER_END, NULL);
    reader_close(r);

    /* ?fast ignores the delays */
    snprintf(uri, sizeof uri, "replay:%s?fast", tpath("paced.jsonl"));
    t0 = now_ms();
    r = open_ok(uri);
    expect_str(r, 0, "r1");
    expect_str(r, 0, "r2");
    expect_str(r, 0, "r3");
    expect_rc(r, 0, READER_END, NULL);
    assert_true(now_ms() - t0 < 50);
    reader_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_file),
        cmocka_unit_test(test_line_limits),
        cmocka_unit_test(test_line_10mb_pipe),
        cmocka_unit_test(test_line_pipe_timeout),
        cmocka_unit_test(test_line_stdin),
        cmocka_unit_test(test_line_open_errors),
        cmocka_unit_test(test_line_serial_gone_and_back),
        cmocka_unit_test(test_replay_schema),
        cmocka_unit_test(test_replay_pacing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

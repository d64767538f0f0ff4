/* test_reader_nfc.c -- the "nfc:" reader through the real libnfc, against
 * the PN532 emulator tests/tools/pn532_emu.py on a pseudo-terminal.
 *
 * Each test gets its own temporary directory, emulator process and pty; the
 * emulator is told what is in the RF field by a JSON scenario file that the
 * test rewrites (write + rename: the emulator re-reads it when it changes).
 * The reader is opened as "nfc:pn532_uart:<dir>/pn532" (a symlink to the
 * pty made by the emulator), with LIBNFC_AUTO_SCAN=false and
 * LIBNFC_LOG_LEVEL=0.  Scenarios: a tag with a GS1 Digital Link URL, tags
 * without NDEF, an empty field, a tag removed mid-read, the emulator killed
 * (between reads and mid-read) and restarted on the same path, an
 * Ultralight, an NTAG216 with a long URI, malformed NDEF, libnfc's default
 * device.  The last test measures tap-to-read latency (printed, not
 * asserted).  A watchdog alarm bounds every test; emulators die with the
 * test process (PR_SET_PDEATHSIG) and are reaped in the teardown.
 *
 * The emulator runs under $PYTHON, else /usr/bin/python3, else python3.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "reader.h"

#define EMU_SCRIPT "tests/tools/pn532_emu.py"
#define DL "https://id.gs1.org/01/05412345000013/10/LOT42/21/SN001"
#define UID1 "04a1b2c3d4e5f6"
#define UID2 "04c0ffee123456"
#define TEST_SECONDS 90

typedef struct {
    char dir[256];
    char link[300];
    char scenario[300];
    char trace[300]; /* the emulator's --trace: one line per host command */
    char uri[320];   /* reader URI */
    pid_t pid;
    reader_t *reader;
} fx_t;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *python(void)
{
    const char *p = getenv("PYTHON");
    if (p && *p)
        return p;
    return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

/* Writes the scenario atomically (the emulator notices the new file).
 * No cmocka asserts: the latency test calls it from a second thread. */
static int scenario_write(fx_t *fx, const char *json)
{
    char tmp[320];
    snprintf(tmp, sizeof tmp, "%s.tmp", fx->scenario);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    fputs(json, f);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, fx->scenario);
}

static void scenario(fx_t *fx, const char *json)
{
    assert_int_equal(scenario_write(fx, json), 0);
}

/* The scenario of one NTAG213 holding uri (NULL: an empty field). */
static void uri_json(char *json, size_t n, const char *uid, const char *uri)
{
    if (uri == NULL)
        snprintf(json, n, "{\"tag\": null}");
    else
        snprintf(json, n, "{\"tag\": {\"type\": \"NTAG213\", \"uid\": \"%s\", \"uri\": \"%s\"}}",
                 uid, uri);
}

static void scenario_uri(fx_t *fx, const char *uid, const char *uri)
{
    char json[1024];
    uri_json(json, sizeof json, uid, uri);
    scenario(fx, json);
}

/* Starts the emulator on fx->link and waits for it to print its pty path. */
static void emu_start(fx_t *fx)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t parent = getpid();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        if (!getenv("KETEN_TEST_VERBOSE")) {
            int null = open("/dev/null", O_WRONLY);
            if (null >= 0)
                dup2(null, 2);
        }
        const char *py = python();
        execlp(py, py, EMU_SCRIPT, "--link", fx->link, "--scenario", fx->scenario, "--trace",
               fx->trace, getenv("KETEN_TEST_VERBOSE") ? "-v" : (char *)NULL, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    fx->pid = pid;
    char line[256];
    size_t n = 0;
    int64_t deadline = now_ms() + 30000;
    while (n < sizeof line - 1) {
        struct pollfd pfd = {.fd = p[0], .events = POLLIN};
        int64_t left = deadline - now_ms();
        assert_true(left > 0); /* the emulator must start within 30 s */
        if (poll(&pfd, 1, (int)left) <= 0)
            continue;
        ssize_t r = read(p[0], line + n, 1);
        assert_true(r == 1); /* EOF: the emulator failed to start */
        if (line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    close(p[0]);
    assert_true(strncmp(line, "/dev/", 5) == 0);
}

/* Stops the emulator with sig and reaps it (SIGKILL after 5 s).  After a
 * SIGKILL the symlink still points to the dead pty's /dev/pts/N, which the
 * system may give to someone else's terminal: remove it, as a reader that
 * was unplugged disappears. */
static void emu_stop(fx_t *fx, int sig)
{
    if (fx->pid <= 0)
        return;
    kill(fx->pid, sig);
    int64_t deadline = now_ms() + 5000;
    for (;;) {
        int status;
        pid_t r = waitpid(fx->pid, &status, WNOHANG);
        if (r == fx->pid || (r < 0 && errno != EINTR))
            break;
        if (now_ms() > deadline) {
            kill(fx->pid, SIGKILL);
            waitpid(fx->pid, &status, 0);
            break;
        }
        usleep(5000);
    }
    fx->pid = 0;
    unlink(fx->link);
}

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    if (fx == NULL)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(fx->dir, sizeof fx->dir, "%s/keten-nfc.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    snprintf(fx->link, sizeof fx->link, "%s/pn532", fx->dir);
    snprintf(fx->scenario, sizeof fx->scenario, "%s/scenario.json", fx->dir);
    snprintf(fx->trace, sizeof fx->trace, "%s/trace.txt", fx->dir);
    snprintf(fx->uri, sizeof fx->uri, "nfc:pn532_uart:%s", fx->link);
    alarm(TEST_SECONDS);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    reader_close(fx->reader);
    emu_stop(fx, SIGTERM);
    char path[320];
    unlink(fx->link);
    unlink(fx->scenario);
    unlink(fx->trace);
    snprintf(path, sizeof path, "%s.tmp", fx->scenario);
    unlink(path);
    rmdir(fx->dir);
    alarm(0);
    free(fx);
    return 0;
}

static void open_reader(fx_t *fx)
{
    ledger_err_t e = {0};
    int rc = reader_open(&fx->reader, fx->uri, &e);
    if (rc != 0)
        fprintf(stderr, "reader_open: %s\n", e.msg);
    assert_int_equal(rc, 0);
}

/* Polls until something else than READER_NONE or until ms pass. */
static int poll_for(fx_t *fx, int ms, reader_read_t *rd, ledger_err_t *e)
{
    int64_t deadline = now_ms() + ms;
    int rc;
    do {
        int left = (int)(deadline - now_ms());
        rc = reader_poll(fx->reader, left > 0 ? left : 0, rd, e);
    } while (rc == READER_NONE && now_ms() < deadline);
    return rc;
}

static void expect_read(fx_t *fx, const char *code, const char *uid, const char *type)
{
    reader_read_t rd = {0};
    ledger_err_t e = {0};
    int rc = poll_for(fx, 5000, &rd, &e);
    if (rc != READER_READ)
        fprintf(stderr, "poll: %d %s\n", rc, e.msg);
    assert_int_equal(rc, READER_READ);
    assert_string_equal(rd.code, code);
    assert_int_equal(rd.code_len, strlen(code));
    assert_string_equal(rd.uid, uid);
    if (type)
        assert_string_equal(rd.tag_type, type);
    char src[320];
    snprintf(src, sizeof src, "pn532_uart:%s", fx->link);
    assert_string_equal(rd.source, src);
    assert_true(rd.time_ms > 1600000000000LL);
    reader_read_clear(&rd);
}

/* Nothing is read for ms (the tag in the field was already reported). */
static void expect_none(fx_t *fx, int ms)
{
    reader_read_t rd = {0};
    ledger_err_t e = {0};
    int rc = reader_poll(fx->reader, ms, &rd, &e);
    if (rc != READER_NONE)
        fprintf(stderr, "poll: %d %s %s\n", rc, e.msg, rd.code ? rd.code : "");
    assert_int_equal(rc, READER_NONE);
    assert_null(rd.code);
}

/* The pages the host READ (InDataExchange 01 30 pp) so far, as a bit set
 * of pages 0..63; *other counts READs of higher pages. */
static uint64_t pages_read(fx_t *fx, int *other)
{
    FILE *f = fopen(fx->trace, "r");
    char line[600];
    uint64_t set = 0;
    *other = 0;
    assert_non_null(f);
    while (fgets(line, sizeof line, f)) {
        unsigned page;
        if (sscanf(line, "40 0130%2x", &page) == 1) {
            if (page < 64)
                set |= (uint64_t)1 << page;
            else
                (*other)++;
        }
    }
    fclose(f);
    return set;
}

/* ---- tests ---- */

static void test_digital_link_tag(void **state)
{
    fx_t *fx = *state;
    scenario_uri(fx, UID1, DL);
    emu_start(fx);
    open_reader(fx);
    expect_read(fx, DL, UID1, "NTAG213");
    /* Read up to the end of the NDEF TLV only: its value ends at byte 53 of
     * the data area, so pages 0, 4, 8, 12, 16 and no more. */
    int other;
    uint64_t pages = pages_read(fx, &other);
    assert_int_equal(pages, (1u << 0) | (1u << 4) | (1u << 8) | (1u << 12) | (1u << 16));
    assert_int_equal(other, 0);
    /* It stays in the field: reported once. */
    expect_none(fx, 300);
    expect_none(fx, 0);
    /* It leaves and comes back: reported again. */
    scenario_uri(fx, UID1, NULL);
    expect_none(fx, 200);
    scenario_uri(fx, UID1, DL);
    expect_read(fx, DL, UID1, "NTAG213");
    /* Another tag replaces it without a gap. */
    scenario_uri(fx, UID2, "urn:epc:id:sgtin:5412345.000001.SN001");
    expect_read(fx, "urn:epc:id:sgtin:5412345.000001.SN001", UID2, "NTAG213");
}

static void test_no_ndef(void **state)
{
    fx_t *fx = *state;
    /* Not NDEF formatted: no capability container. */
    scenario(fx, "{\"tag\": {\"uid\": \"" UID1 "\", \"cc\": \"00000000\", \"data\": \"\"}}");
    emu_start(fx);
    open_reader(fx);
    expect_read(fx, "nfc-uid:" UID1, UID1, "NTAG213");
    expect_none(fx, 200);
    /* NDEF formatted, empty NDEF TLV (03 00 FE). */
    scenario(fx, "{\"tag\": {\"uid\": \"" UID2 "\"}}");
    expect_read(fx, "nfc-uid:" UID2, UID2, "NTAG213");
    /* Data area all NULL TLVs, no terminator. */
    scenario(fx, "{\"tag\": {\"uid\": \"04000000000001\", \"data\": \"0000\"}}");
    expect_read(fx, "nfc-uid:04000000000001", "04000000000001", "NTAG213");
    /* A text record but no URI record. */
    scenario(fx, "{\"tag\": {\"uid\": \"04000000000002\", \"text\": \"LOT42\"}}");
    expect_read(fx, "nfc-uid:04000000000002", "04000000000002", "NTAG213");
}

static void test_factory_layout(void **state)
{
    fx_t *fx = *state;
    /* NTAG213 as NXP ships it: Lock Control TLV 01 03 A0 0C 34 (dynamic lock
     * bytes at page 28h, outside the data area), then the NDEF TLV 03 33 with
     * the URI record D1 01 2F 55 04 + 46 bytes, then FE. */
    char json[512], *p;
    p = json + snprintf(json, sizeof json,
                        "{\"tag\": {\"uid\": \"" UID1 "\", \"data\": \"0103a00c34"
                        "0333d1012f5504");
    for (const char *c = DL + strlen("https://"); *c; c++)
        p += sprintf(p, "%02x", (unsigned char)*c);
    strcpy(p, "fe\"}}");
    scenario(fx, json);
    emu_start(fx);
    open_reader(fx);
    expect_read(fx, DL, UID1, "NTAG213");
    /* The TLVs end at byte 5 + 53 = 58: pages 0, 4, 8, 12, 16. */
    int other;
    assert_int_equal(pages_read(fx, &other),
                     (1u << 0) | (1u << 4) | (1u << 8) | (1u << 12) | (1u << 16));
}

static void test_empty_field(void **state)
{
    fx_t *fx = *state;
    scenario_uri(fx, UID1, NULL);
    emu_start(fx);
    open_reader(fx);
    int64_t t0 = now_ms();
    expect_none(fx, 400);
    int64_t dt = now_ms() - t0;
    assert_true(dt >= 390);
    assert_true(dt < 400 + 500);
    t0 = now_ms();
    expect_none(fx, 0);
    assert_true(now_ms() - t0 < 300);
    /* A tag arriving later is seen within the poll. */
    scenario_uri(fx, UID1, DL);
    expect_read(fx, DL, UID1, "NTAG213");
}

static void test_removed_mid_read(void **state)
{
    fx_t *fx = *state;
    /* The DL URI needs 5 READs (pages 0, 4, 8, 12, 16): the tag leaves
     * after the second. */
    scenario(fx,
             "{\"tag\": {\"uid\": \"" UID1 "\", \"uri\": \"" DL "\"}, \"remove_after_reads\": 2}");
    emu_start(fx);
    open_reader(fx);
    expect_none(fx, 600);
    expect_none(fx, 100);
    /* The next tap works. */
    scenario_uri(fx, UID1, DL);
    expect_read(fx, DL, UID1, "NTAG213");
    /* Removed again after 4 READs, mid-way through the NDEF TLV. */
    scenario(fx,
             "{\"tag\": {\"uid\": \"" UID2 "\", \"uri\": \"" DL "\"}, \"remove_after_reads\": 4}");
    expect_none(fx, 400);
    scenario_uri(fx, UID2, DL);
    expect_read(fx, DL, UID2, "NTAG213");
}

static void test_emulator_killed(void **state)
{
    fx_t *fx = *state;
    reader_read_t rd = {0};
    ledger_err_t e = {0};

    scenario_uri(fx, UID1, DL);
    emu_start(fx);
    open_reader(fx);
    expect_read(fx, DL, UID1, "NTAG213");
    /* Killed while the tag is in the field: the presence check fails. */
    emu_stop(fx, SIGKILL);
    int64_t t0 = now_ms();
    int rc = reader_poll(fx->reader, 500, &rd, &e);
    assert_int_equal(rc, LEDGER_EIO);
    assert_non_null(strstr(e.msg, fx->link));
    assert_true(now_ms() - t0 < 500 + 1000);
    /* Still gone: EIO at the deadline, without spinning before it. */
    t0 = now_ms();
    rc = reader_poll(fx->reader, 600, &rd, &e);
    int64_t dt = now_ms() - t0;
    assert_int_equal(rc, LEDGER_EIO);
    assert_true(dt >= 590);
    assert_true(dt < 600 + 1000);
    assert_null(rd.code);
    /* Restarted on the same path: the reader reopens it. */
    scenario_uri(fx, UID2, DL);
    emu_start(fx);
    expect_read(fx, DL, UID2, "NTAG213");
    expect_none(fx, 200);
}

static void test_emulator_killed_mid_read(void **state)
{
    fx_t *fx = *state;
    reader_read_t rd = {0};
    ledger_err_t e = {0};

    /* The emulator ACKs the third READ and SIGKILLs itself. */
    scenario(fx, "{\"tag\": {\"uid\": \"" UID1 "\", \"uri\": \"" DL "\"}, \"die_after_reads\": 2}");
    emu_start(fx);
    open_reader(fx);
    int64_t t0 = now_ms();
    int rc = poll_for(fx, 3000, &rd, &e);
    assert_int_equal(rc, LEDGER_EIO);
    assert_true(now_ms() - t0 < 3000);
    assert_null(rd.code);
    emu_stop(fx, SIGKILL); /* reap it */
    scenario_uri(fx, UID1, DL);
    emu_start(fx);
    expect_read(fx, DL, UID1, "NTAG213");
}

static void test_emulator_silent_mid_read(void **state)
{
    fx_t *fx = *state;
    reader_read_t rd = {0};
    ledger_err_t e = {0};

    /* Alive but silent after the second READ: libnfc's timeout, then EIO. */
    scenario(fx,
             "{\"tag\": {\"uid\": \"" UID1 "\", \"uri\": \"" DL "\"}, \"silent_after_reads\": 2}");
    emu_start(fx);
    open_reader(fx);
    int64_t t0 = now_ms();
    int rc = poll_for(fx, 3000, &rd, &e);
    assert_int_equal(rc, LEDGER_EIO);
    assert_true(now_ms() - t0 < 3000);
    /* Talking again (a new scenario resets it): reopened, read. */
    scenario_uri(fx, UID1, DL);
    expect_read(fx, DL, UID1, "NTAG213");
}

static void test_ultralight(void **state)
{
    fx_t *fx = *state;
    /* 48-byte data area; no GET_VERSION, after which the tag is IDLE: the
     * presence check must re-select it, not report it again. */
    scenario(fx, "{\"tag\": {\"type\": \"Ultralight\", \"uid\": \"" UID1
                 "\", \"uri\": \"https://example.com/t/1\"}}");
    emu_start(fx);
    open_reader(fx);
    expect_read(fx, "https://example.com/t/1", UID1, "MIFARE Ultralight");
    expect_none(fx, 300);
}

static void test_ntag216_long_uri(void **state)
{
    fx_t *fx = *state;
    char uri[400], json[800];
    int n = snprintf(uri, sizeof uri, "https://id.gs1.org/01/05412345000013/21/");
    memset(uri + n, 'A', 300);
    uri[n + 300] = '\0';
    snprintf(json, sizeof json,
             "{\"tag\": {\"type\": \"NTAG216\", \"uid\": \"" UID2 "\", \"uri\": \"%s\"}}", uri);
    scenario(fx, json);
    emu_start(fx);
    open_reader(fx);
    expect_read(fx, uri, UID2, "NTAG216");
}

static void test_bad_ndef(void **state)
{
    fx_t *fx = *state;
    reader_read_t rd = {0};
    ledger_err_t e = {0};

    /* NDEF TLV of 3-byte length 0300h = 768 bytes in a 144-byte area. */
    scenario(fx, "{\"tag\": {\"uid\": \"" UID1 "\", \"data\": \"03ff0300d1010155\"}}");
    emu_start(fx);
    open_reader(fx);
    int rc = poll_for(fx, 5000, &rd, &e);
    assert_int_equal(rc, LEDGER_EINPUT);
    assert_non_null(strstr(e.msg, UID1));
    assert_non_null(strstr(e.msg, "truncated TLV"));
    assert_null(rd.code);
    expect_none(fx, 200); /* reported once */
    /* A chunked record. */
    scenario(fx, "{\"tag\": {\"uid\": \"" UID2 "\", \"ndef\": \"b101025500610000\"}}");
    rc = poll_for(fx, 5000, &rd, &e);
    assert_int_equal(rc, LEDGER_EINPUT);
    assert_non_null(strstr(e.msg, "chunked"));
    /* A good tag afterwards. */
    scenario_uri(fx, UID1, DL);
    expect_read(fx, DL, UID1, "NTAG213");
}

static void test_default_device(void **state)
{
    fx_t *fx = *state;
    char dev[320];
    scenario_uri(fx, UID1, DL);
    emu_start(fx);
    snprintf(dev, sizeof dev, "pn532_uart:%s", fx->link);
    setenv("LIBNFC_DEFAULT_DEVICE", dev, 1);
    snprintf(fx->uri, sizeof fx->uri, "nfc:");
    open_reader(fx);
    unsetenv("LIBNFC_DEFAULT_DEVICE");
    expect_read(fx, DL, UID1, "NTAG213");
}

static void test_open_errors(void **state)
{
    fx_t *fx = *state;
    ledger_err_t e = {0};
    char uri[400];
    snprintf(uri, sizeof uri, "nfc:pn532_uart:%s/no-such-tty", fx->dir);
    assert_int_equal(reader_open(&fx->reader, uri, &e), LEDGER_EIO);
    assert_null(fx->reader);
    assert_non_null(strstr(e.msg, "no-such-tty"));
    assert_int_equal(reader_open(&fx->reader, "nfc:pn532_uart:/dev/x\n", &e), LEDGER_EINVAL);
}

/* The tag arrives while the reader is polling: a thread writes the
 * scenario after a pseudo-random delay and notes when. */
typedef struct {
    fx_t *fx;
    const char *uid;
    int delay_ms;
    int64_t t0;
    int rc;
} tap_t;

static void *tap_thread(void *arg)
{
    tap_t *t = arg;
    usleep((useconds_t)t->delay_ms * 1000);
    char json[1024];
    uri_json(json, sizeof json, t->uid, DL);
    t->t0 = now_ms();
    t->rc = scenario_write(t->fx, json);
    return NULL;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void test_tap_latency(void **state)
{
    fx_t *fx = *state;
    enum { TAPS = 20 };
    int64_t lat[TAPS];
    char uid[16];

    scenario_uri(fx, UID1, NULL);
    emu_start(fx);
    open_reader(fx);
    for (int i = 0; i < TAPS; i++) {
        expect_none(fx, 60); /* the field is empty and the reader knows it */
        snprintf(uid, sizeof uid, "04%012x", (unsigned)i);
        tap_t tap = {.fx = fx, .uid = uid, .delay_ms = 10 + (i * 37) % 50};
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, tap_thread, &tap), 0);
        expect_read(fx, DL, uid, "NTAG213");
        int64_t t1 = now_ms();
        assert_int_equal(pthread_join(th, NULL), 0);
        assert_int_equal(tap.rc, 0);
        lat[i] = t1 - tap.t0;
        scenario_uri(fx, uid, NULL);
    }
    qsort(lat, TAPS, sizeof lat[0], cmp64);
    printf("tap-to-read latency over %d taps (tag arrives while polling; emulated PN532, "
           "NTAG213 with a 54-byte NDEF TLV): median %lld ms, p90 %lld ms, max %lld ms\n",
           TAPS, (long long)lat[TAPS / 2], (long long)lat[TAPS * 9 / 10], (long long)lat[TAPS - 1]);
}

int main(void)
{
    setenv("LIBNFC_AUTO_SCAN", "false", 1);
    setenv("LIBNFC_LOG_LEVEL", "0", 1);
    unsetenv("LIBNFC_DEFAULT_DEVICE");
    unsetenv("LIBNFC_DEVICE");
    signal(SIGPIPE, SIG_IGN);
    if (access(EMU_SCRIPT, R_OK) != 0) {
        fprintf(stderr, "test_reader_nfc: %s not found: run from the repository root\n",
                EMU_SCRIPT);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_digital_link_tag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_ndef, setup, teardown),
        cmocka_unit_test_setup_teardown(test_factory_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_field, setup, teardown),
        cmocka_unit_test_setup_teardown(test_removed_mid_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emulator_killed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emulator_killed_mid_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emulator_silent_mid_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ultralight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ntag216_long_uri, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_ndef, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tap_latency, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

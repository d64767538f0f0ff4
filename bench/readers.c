/* bench/readers.c -- how fast reads become identifiers and events.
 *
 * 1. Decode throughput of gs1_ident_parse() (the normalisation every
 *    read goes through), in identifiers per second, for N distinct codes of
 *    each form: GS1 Digital Link URIs, raw element strings as a scanner
 *    sends them (]d2 + GS separators), and SGTIN-96 EPC hex.
 * 2. NFC tap-to-recorded-event latency through the real libnfc against the
 *    emulated PN532 (tests/tools/pn532_emu.py): a `keten scan --json` runs
 *    against a fresh home; for each tap the emulator's scenario file is
 *    replaced by one with a new tag (a new UID and Digital Link), and the
 *    time from that rename to the scan's output line (printed after the
 *    commit reached the disk) is one sample.  Between taps the tag leaves
 *    the field.  Median and p99 over TAPS taps; the goal is < 150 ms.
 *
 *   build/bench/readers KETEN EMULATOR.py [TAPS [N]]
 *
 * TAPS defaults to 100 (0 skips the NFC part), N to 300,000.  Not a test:
 * it prints figures and the goal (issue 4) next to them. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"
#include "gs1_epc.h"
#include "gs1_ident.h"

/* ---- 1. decode throughput --------------------------------------------- */

typedef struct {
    char **codes;
    size_t n;
} codes_t;

static void codes_free(codes_t *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->codes[i]);
    free(c->codes);
}

static int make_codes(const char *form, size_t n, codes_t *out)
{
    char buf[256];
    gs1_err_t err;
    out->codes = calloc(n, sizeof *out->codes);
    out->n = 0;
    if (!out->codes)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(form, "dl") == 0) {
            snprintf(buf, sizeof buf, "https://id.gs1.org/01/05412345000013/10/LOT%zu/21/SN%zu",
                     i % 97, i);
        } else if (strcmp(form, "elem") == 0) {
            snprintf(buf, sizeof buf,
                     "]d201054123450000131725123110LOT%zu\x1d"
                     "21SN%zu",
                     i % 97, i);
        } else {
            gs1_epc_t *e;
            snprintf(buf, sizeof buf, "urn:epc:tag:sgtin-96:3.0614141.812345.%zu", i + 1);
            if (gs1_epc_from_tag_urn(buf, strlen(buf), &e, &err)) {
                fprintf(stderr, "bench/readers: %s\n", err.msg);
                return -1;
            }
            snprintf(buf, sizeof buf, "%s", gs1_epc_hex(e));
            gs1_epc_free(e);
        }
        if (!(out->codes[i] = strdup(buf)))
            return -1;
        out->n++;
    }
    return 0;
}

static void decode_rate(const char *name, const char *form, size_t n)
{
    codes_t c;
    gs1_ident_t id;
    gs1_err_t err;
    size_t keylen = 0;
    double t0, secs;
    if (make_codes(form, n, &c)) {
        fprintf(stderr, "bench/readers: cannot make the %s codes\n", name);
        codes_free(&c);
        return;
    }
    t0 = bench_now();
    for (size_t i = 0; i < c.n; i++) {
        if (gs1_ident_parse(c.codes[i], strlen(c.codes[i]), NULL, &id, &err)) {
            fprintf(stderr, "bench/readers: %s: %s\n", c.codes[i], err.msg);
            break;
        }
        keylen += strlen(id.key);
        gs1_ident_clear(&id);
    }
    secs = bench_now() - t0;
    printf("  %-34s %10.0f identifiers/s (%zu in %.2f s, %.2f us each)\n", name, (double)c.n / secs,
           c.n, secs, secs * 1e6 / (double)c.n);
    (void)keylen;
    codes_free(&c);
}

/* ---- 2. NFC tap latency ------------------------------------------------ */

static pid_t spawn(char *const argv[], int out_fd, int err_fd)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (out_fd >= 0)
            dup2(out_fd, 1);
        if (err_fd >= 0)
            dup2(err_fd, 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static int run_wait(char *const argv[])
{
    int st, devnull = open("/dev/null", O_WRONLY);
    pid_t pid = spawn(argv, devnull, -1);
    close(devnull);
    if (pid < 0 || waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int write_scenario(const char *dir, const char *json)
{
    char tmp[4200], path[4200];
    FILE *f;
    snprintf(tmp, sizeof tmp, "%s/s.new", dir);
    snprintf(path, sizeof path, "%s/s.json", dir);
    if (!(f = fopen(tmp, "w")))
        return -1;
    fputs(json, f);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

/* Reads one line from fd within ms; 1 got one, 0 timeout, -1 EOF/error. */
static int read_line(int fd, char *line, size_t cap, size_t *have, int ms)
{
    double end = bench_now() + ms / 1000.0;
    for (;;) {
        char *nl = memchr(line, '\n', *have);
        if (nl) {
            size_t used = (size_t)(nl - line) + 1;
            memmove(line, nl + 1, *have - used);
            *have -= used;
            return 1;
        }
        int left = (int)((end - bench_now()) * 1000);
        struct pollfd p = {fd, POLLIN, 0};
        if (left <= 0)
            return 0;
        if (poll(&p, 1, left) <= 0)
            continue;
        if (*have == cap)
            *have = 0; /* a line this long is not ours: drop it */
        ssize_t got = read(fd, line + *have, cap - *have);
        if (got <= 0)
            return -1;
        *have += (size_t)got;
    }
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* The cold half of nfc_latency: a tag already in the field, `keten scan
 * --once` started for it: process start, libnfc open (60-100 ms of it),
 * read, commit, exit; (taps + 4) / 5 runs, latencies into lat (room for
 * taps). Prints the figures; 1 when a run failed (its output is in errfd's
 * file), else 0. */
static int nfc_cold(const char *keten, const char *dir, char *home, char *uri, int errfd,
                    double *lat, int taps)
{
    char json[512];
    int got = 0, failed = 0;
    for (int i = 0; i < (taps + 4) / 5; i++) {
        char *argv[] = {(char *)keten, "--home", home,        "scan", "--reader",
                        uri,           "--once", "--timeout", "5",    NULL};
        int st;
        double t0;
        pid_t pid;
        snprintf(json, sizeof json,
                 "{\"tag\": {\"type\": \"NTAG213\", \"uid\": \"05%012x\", "
                 "\"uri\": \"https://id.gs1.org/01/05412345000013/21/COLD%d\"}}\n",
                 i + 1, i + 1);
        if (write_scenario(dir, json))
            break;
        sleep_ms(150); /* the emulator has picked the tag up */
        t0 = bench_now();
        if ((pid = spawn(argv, errfd, errfd)) < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
            WEXITSTATUS(st) != 0) {
            fprintf(stderr, "bench/readers: cold tap %d failed:\n", i + 1);
            failed = 1;
            break;
        }
        lat[got++] = (bench_now() - t0) * 1000;
    }
    if (got > 0) {
        double med = bench_percentile(lat, (size_t)got, 0.5);
        double p99 = bench_percentile(lat, (size_t)got, 0.99);
        printf("  NFC cold start: `keten scan --once` for a tag in the field (process, libnfc\n"
               "  open, read, commit): median %.1f ms, p99 %.1f ms over %d runs\n",
               med, p99, got);
    }
    return failed;
}

/* NFC tap latency through an emulated PN532 (emu): `keten scan` running,
 * taps tags one after the other, each timed from the tag entering the field
 * to the recorded event on scan's output; then the cold half (nfc_cold). */
static void nfc_latency(const char *keten, const char *emu, int taps)
{
    char dir[] = "/tmp/keten-bench-nfc.XXXXXX", home[256], link[256], scen[256], uri[300];
    char line[8192], json[512], errpath[300];
    size_t have = 0;
    int errfd = -1;
    int pipefd[2] = {-1, -1}, emu_out[2] = {-1, -1};
    pid_t emu_pid = -1, scan_pid = -1;
    double *lat = NULL;
    int got = 0, failed = 0;

    if (!mkdtemp(dir)) {
        perror("bench/readers: mkdtemp");
        return;
    }
    snprintf(home, sizeof home, "%s/home", dir);
    snprintf(link, sizeof link, "%s/pn532", dir);
    snprintf(scen, sizeof scen, "%s/s.json", dir);
    snprintf(uri, sizeof uri, "nfc:pn532_uart:%s", link);
    snprintf(errpath, sizeof errpath, "%s/scan.err", dir);
    setenv("LIBNFC_AUTO_SCAN", "false", 1);
    setenv("LIBNFC_LOG_LEVEL", "0", 1);
    if (!(lat = calloc((size_t)taps, sizeof *lat)))
        goto done;
    {
        char *argv[] = {(char *)keten, "--home", home, "init", "--name", "bench", NULL};
        if (run_wait(argv) != 0) {
            fprintf(stderr, "bench/readers: keten init failed\n");
            goto done;
        }
    }
    if (write_scenario(dir, "{\"tag\": null}\n") || pipe(emu_out) || pipe(pipefd) ||
        (errfd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
        goto done;
    {
        char *argv[] = {"python3", (char *)emu, "--link", link, "--scenario", scen, NULL};
        if (access("/usr/bin/python3", X_OK) == 0)
            argv[0] = "/usr/bin/python3";
        emu_pid = spawn(argv, emu_out[1], -1);
        close(emu_out[1]);
        emu_out[1] = -1;
        if (emu_pid < 0 || read_line(emu_out[0], line, sizeof line, &have, 20000) != 1) {
            fprintf(stderr, "bench/readers: the PN532 emulator did not start\n");
            goto done;
        }
        have = 0;
    }
    {
        char *argv[] = {(char *)keten, "--home", home,         "scan", "--reader",
                        uri,           "--json", "--debounce", "0",    NULL};
        scan_pid = spawn(argv, pipefd[1], errfd);
        close(pipefd[1]);
        pipefd[1] = -1;
        if (scan_pid < 0)
            goto done;
    }
    sleep_ms(500); /* the scan opens the device (libnfc: 60-100 ms) */
    for (int i = 0; i < taps; i++) {
        double t0;
        int r;
        snprintf(json, sizeof json,
                 "{\"tag\": {\"type\": \"NTAG213\", \"uid\": \"04%012x\", "
                 "\"uri\": \"https://id.gs1.org/01/05412345000013/21/TAP%d\"}}\n",
                 i + 1, i + 1);
        t0 = bench_now();
        if (write_scenario(dir, json))
            break;
        r = read_line(pipefd[0], line, sizeof line, &have, 5000);
        if (r != 1) {
            fprintf(stderr, "bench/readers: tap %d: no event within 5 s:\n", i + 1);
            failed = 1;
            break;
        }
        lat[got++] = (bench_now() - t0) * 1000;
        write_scenario(dir, "{\"tag\": null}\n"); /* the tag leaves the field */
        sleep_ms(150);
    }
    if (got > 0) {
        double med = bench_percentile(lat, (size_t)got, 0.5);
        double p99 = bench_percentile(lat, (size_t)got, 0.99);
        printf("  NFC tap -> recorded event, `keten scan` running (emulated PN532, libnfc):\n"
               "    median %.1f ms, p99 %.1f ms, min %.1f ms, max %.1f ms over %d taps\n"
               "    goal (issue 4): < 150 ms  -> %s\n",
               med, p99, lat[0], lat[got - 1], got, p99 < 150 ? "met" : "NOT met");
    }
    kill(scan_pid, SIGTERM);
    waitpid(scan_pid, NULL, 0);
    scan_pid = -1;
    if (failed)
        goto done;
    failed = nfc_cold(keten, dir, home, uri, errfd, lat, taps);
done:
    if (scan_pid > 0) {
        kill(scan_pid, SIGTERM);
        waitpid(scan_pid, NULL, 0);
    }
    if (errfd >= 0)
        close(errfd);
    if (failed) { /* what keten scan said */
        char *argv[] = {"tail", "-5", errpath, NULL};
        int devnull = -1;
        pid_t pid = spawn(argv, 2, devnull);
        if (pid > 0)
            waitpid(pid, NULL, 0);
    }
    if (emu_pid > 0) {
        kill(emu_pid, SIGTERM);
        waitpid(emu_pid, NULL, 0);
    }
    for (int k = 0; k < 2; k++) {
        if (pipefd[k] >= 0)
            close(pipefd[k]);
        if (emu_out[k] >= 0)
            close(emu_out[k]);
    }
    free(lat);
    {
        char *argv[] = {"rm", "-rf", dir, NULL};
        run_wait(argv);
    }
}

int main(int argc, char **argv)
{
    const char *keten = argc > 1 ? argv[1] : "build/keten";
    const char *emu = argc > 2 ? argv[2] : "tests/tools/pn532_emu.py";
    int taps = argc > 3 ? atoi(argv[3]) : 100;
    size_t n = argc > 4 ? strtoul(argv[4], NULL, 10) : 300000;

    signal(SIGPIPE, SIG_IGN);
    printf("bench/readers: reads to identifiers (gs1_ident_parse), %zu distinct codes per form\n",
           n);
    decode_rate("GS1 Digital Link (01+10+21)", "dl", n);
    decode_rate("raw element string (]d2, GS, 17)", "elem", n);
    decode_rate("EPC hex (SGTIN-96)", "hex", n);
    if (taps > 0)
        nfc_latency(keten, emu, taps);
    printf("  reproduce: make bench   or   build/bench/readers %s %s %d %zu\n", keten, emu, taps,
           n);
    return 0;
}

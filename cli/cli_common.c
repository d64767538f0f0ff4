/* cli_common.c -- shared plumbing of the keten commands (see cli_common.h). */
#include "cli_common.h"
#include "ledger_epcis_xmlw.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_exit_code(int rc)
{
    switch (rc) {
    case LEDGER_OK:
        return CLI_EXIT_OK;
    case LEDGER_EVERIFY:
    case LEDGER_ENOTFOUND:
        return CLI_EXIT_FAILED;
    case LEDGER_EINVAL:
        return CLI_EXIT_USAGE;
    case LEDGER_EINPUT:
    case LEDGER_EEXIST:
    case LEDGER_ETOOBIG:
        return CLI_EXIT_INPUT;
    default:
        return CLI_EXIT_ENV;
    }
}

int cli_fail(const cli_ctx_t *ctx, int rc, const ledger_err_t *err)
{
    fprintf(stderr, "%s: %s\n", ctx && ctx->prog ? ctx->prog : "keten",
            err && err->msg[0] ? err->msg : ledger_strerror(rc));
    return cli_exit_code(rc);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "keten %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see `keten %s --help`)\n", cmd);
    return CLI_EXIT_USAGE;
}

int cli_open_home(const cli_ctx_t *ctx, unsigned flags, ledger_home_t **out)
{
    ledger_err_t err;
    int rc;
    if (!ctx->home) {
        fprintf(stderr, "keten: which home? give --home DIR or set KETEN_HOME "
                        "(create one with `keten --home DIR init --name NAME`)\n");
        return CLI_EXIT_ENV;
    }
    if ((rc = ledger_home_open(ctx->home, flags, out, &err)))
        return cli_fail(ctx, rc, &err);
    return 0;
}

int cli_read_passphrase(const char *file, char **pass, size_t *len)
{
    char *buf;
    size_t n = 0;
    ssize_t got;
    int fd;

    if (sodium_init() < 0 || !(buf = sodium_malloc(4097))) {
        fprintf(stderr, "keten: cannot allocate secure memory\n");
        return CLI_EXIT_ENV;
    }
    if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
        fprintf(stderr, "keten: cannot open passphrase file %s: %s\n", file, strerror(errno));
        sodium_free(buf);
        return CLI_EXIT_ENV;
    }
    while (n < 4096 && (got = read(fd, buf + n, 4096 - n)) > 0)
        n += (size_t)got;
    close(fd);
    buf[n] = '\0';
    n = strcspn(buf, "\r\n");
    buf[n] = '\0';
    if (n == 0) {
        fprintf(stderr, "keten: passphrase file %s is empty\n", file);
        sodium_free(buf);
        return CLI_EXIT_INPUT;
    }
    *pass = buf;
    *len = n;
    return 0;
}

int cli_identity(const cli_ctx_t *ctx, ledger_home_t *home, const ledger_identity_t **out)
{
    ledger_err_t err;
    char *pass = NULL;
    size_t plen = 0;
    int rc, enc;

    if ((enc = ledger_home_key_encrypted(home, &err)) < 0)
        return cli_fail(ctx, enc, &err);
    if (enc) {
        if (!ctx->passfile) {
            fprintf(stderr,
                    "keten: the key of %s is encrypted: give its passphrase with "
                    "--passphrase-file FILE or KETEN_PASSPHRASE_FILE\n",
                    ledger_home_path(home));
            return CLI_EXIT_ENV;
        }
        if ((rc = cli_read_passphrase(ctx->passfile, &pass, &plen)))
            return rc;
    }
    rc = ledger_home_identity(home, pass, plen, out, &err);
    if (pass)
        sodium_free(pass);
    if (rc)
        return cli_fail(ctx, rc, &err);
    return 0;
}

int cli_map_file(const char *path, char **buf, size_t *len, int *mapped)
{
    struct stat sb;
    int fd;
    void *p;
    *mapped = 0;
    if (strcmp(path, "-") == 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return cli_read_file(path, buf, len); /* and its message */
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size == 0 ||
        (uint64_t)sb.st_size > SIZE_MAX ||
        (p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
        close(fd);
        return cli_read_file(path, buf, len);
    }
    close(fd);
    (void)madvise(p, (size_t)sb.st_size, MADV_SEQUENTIAL);
    *buf = p;
    *len = (size_t)sb.st_size;
    *mapped = 1;
    return 0;
}

void cli_unmap_file(char *buf, size_t len, int mapped)
{
    if (mapped)
        munmap(buf, len);
    else
        free(buf);
}

int cli_read_file(const char *path, char **buf, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    size_t cap = 1 << 16, n = 0, got;
    char *p;

    if (!f) {
        fprintf(stderr, "keten: cannot open %s: %s\n", path, strerror(errno));
        return errno == ENOENT ? CLI_EXIT_INPUT : CLI_EXIT_ENV;
    }
    if (!(p = malloc(cap)))
        goto oom;
    while ((got = fread(p + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *q = cap > SIZE_MAX / 2 ? NULL : realloc(p, cap * 2);
            if (!q)
                goto oom;
            p = q;
            cap *= 2;
        }
    }
    if (ferror(f)) {
        fprintf(stderr, "keten: cannot read %s: %s\n", path, strerror(errno));
        free(p);
        if (f != stdin)
            fclose(f);
        return CLI_EXIT_ENV;
    }
    if (f != stdin)
        fclose(f);
    *buf = p;
    *len = n;
    return 0;
oom:
    free(p);
    if (f != stdin)
        fclose(f);
    fprintf(stderr, "keten: out of memory reading %s\n", path);
    return CLI_EXIT_ENV;
}

int cli_common_option(cli_ctx_t *ctx, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char **dst = NULL;
    size_t n;

    if (strcmp(a, "--json") == 0) {
        ctx->json = 1;
        return 1;
    }
    if (strncmp(a, "--home", 6) == 0 && (a[6] == '\0' || a[6] == '='))
        dst = &ctx->home, n = 6;
    else if (strncmp(a, "--passphrase-file", 17) == 0 && (a[17] == '\0' || a[17] == '='))
        dst = &ctx->passfile, n = 17;
    else
        return 0;
    if (a[n] == '=') {
        *dst = a + n + 1;
        return 1;
    }
    if (*i + 1 >= argc) {
        fprintf(stderr, "keten: %s needs a value\n", a);
        return -1;
    }
    *dst = argv[++*i];
    return 1;
}

int cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int cli_opt(int argc, char **argv, int *i, const char *name, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0 || (a[n] != '\0' && a[n] != '='))
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (*i + 1 >= argc) {
        fprintf(stderr, "keten: %s needs a value\n", name);
        return -1;
    }
    *val = argv[++*i];
    return 1;
}

void cli_keep_memory(void)
{
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

int cli_xml_ns_opt(cli_xml_ns_t *ns, int argc, char **argv, int *i)
{
    const char *v;
    int r = cli_opt(argc, argv, i, "--namespace", &v);
    if (r <= 0)
        return r;
    if (ns->n == CLI_XML_NS_MAX) {
        fprintf(stderr, "keten: at most %d --namespace options\n", CLI_XML_NS_MAX);
        return -1;
    }
    if (!strchr(v, '=') || v[0] == '=') {
        fprintf(stderr, "keten: --namespace takes PREFIX=URI (e.g. "
                        "--namespace ex=https://example.com/ns/), not \"%s\"\n",
                v);
        return -1;
    }
    ns->v[ns->n++] = v;
    return 1;
}

int cli_xml_ns_apply(const cli_xml_ns_t *ns, struct ledger_epcis_xmlw *w, ledger_err_t *err)
{
    for (size_t k = 0; k < ns->n; k++) {
        char prefix[64];
        const char *eq = strchr(ns->v[k], '=');
        size_t n = (size_t)(eq - ns->v[k]);
        snprintf(prefix, sizeof prefix, "%.*s", (int)(n < sizeof prefix ? n : sizeof prefix - 1),
                 ns->v[k]);
        int rc = n < sizeof prefix ? ledger_epcis_xmlw_namespace(w, prefix, eq + 1, err)
                                   : ledger_err_set(err, LEDGER_EINPUT,
                                                    "--namespace %.80s: the prefix is too long",
                                                    ns->v[k]);
        if (rc < 0) {
            ledger_err_prefix(err, "--namespace");
            return rc;
        }
    }
    return 0;
}

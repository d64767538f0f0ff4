/* ledger_home.c -- create and open keten homes (see ledger_home.h). */
#include "ledger_home.h"

#include "gs1_ai.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ledger_entry.h"

struct ledger_home {
    char *path;
    char *name;
    char *gln;
    uint8_t id[LEDGER_FEED_LEN];
    ledger_store_t *store;
    ledger_identity_t *ident;
};

static char *join(const char *dir, const char *file)
{
    size_t n = strlen(dir) + strlen(file) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, file);
    return p;
}

/* 1 when path is an existing directory with nothing in it. */
static int empty_dir(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *de;
    int empty = 1;
    if (!d)
        return 0;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            empty = 0;
    closedir(d);
    return empty;
}

/* A GLN given to init: 13 digits with the right check digit (gs1_ai.h's
 * check digit). LEDGER_EINPUT otherwise. */
static int check_gln(const char *gln, ledger_err_t *err)
{
    if (strlen(gln) != 13 || strspn(gln, "0123456789") != 13)
        return ledger_err_set(err, LEDGER_EINPUT, "GLN \"%s\" must be 13 digits", gln);
    if (gs1_ai_check_digit(gln, 12) != gln[12] - '0')
        return ledger_err_set(err, LEDGER_EINPUT,
                              "GLN %s: wrong check digit (the 13th digit is the GS1 check digit "
                              "of the first 12; keten decode https://id.gs1.org/414/%s shows it)",
                              gln, gln);
    return 0;
}

static int write_config(const char *path, const ledger_home_t *h, ledger_err_t *err)
{
    char hex[2 * LEDGER_FEED_LEN + 1], *file = join(path, "keten.json");
    json_t *cfg = json_pack("{s:i, s:s, s:s}", "keten", 1, "name", h->name, "id",
                            ledger_hex(h->id, LEDGER_FEED_LEN, hex));
    int fd = -1, rc = 0;
    char *text = NULL;

    if (!file || !cfg) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        goto done;
    }
    if (h->gln)
        json_object_set_new(cfg, "gln", json_string(h->gln));
    text = json_dumps(cfg, JSON_INDENT(2) | JSON_SORT_KEYS);
    fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (!text || fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
        write(fd, "\n", 1) != 1 || fsync(fd) != 0)
        rc = ledger_err_set(err, LEDGER_EIO, "cannot write %s: %s", file, strerror(errno));
done:
    if (fd >= 0)
        close(fd);
    free(text);
    json_decref(cfg);
    free(file);
    return rc;
}

static void home_free(ledger_home_t *h)
{
    if (!h)
        return;
    ledger_store_close(h->store);
    ledger_identity_free(h->ident);
    free(h->path);
    free(h->name);
    free(h->gln);
    free(h);
}

int ledger_home_create(const char *path, const char *name, const char *gln, const char *pass,
                       size_t pass_len, ledger_home_t **out, ledger_err_t *err)
{
    ledger_home_t *h = NULL;
    char *keyfile = NULL, *cfgfile = NULL, *dbdir = NULL;
    int rc, made_dir = 0;
    struct stat sb;

    if (!name || !*name)
        return ledger_err_set(err, LEDGER_EINVAL, "a home needs a name: --name \"Partner\"");
    if (gln && (rc = check_gln(gln, err)))
        return rc;
    if (stat(path, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode) || !empty_dir(path))
            return ledger_err_set(err, LEDGER_EEXIST,
                                  "%s already exists and is not empty: init never overwrites a "
                                  "home; choose another path",
                                  path);
    } else if (mkdir(path, 0700) != 0) {
        return ledger_err_set(err, LEDGER_EIO, "cannot create %s: %s", path, strerror(errno));
    } else {
        made_dir = 1;
    }
    if (!(h = calloc(1, sizeof *h)) || !(h->path = strdup(path)) || !(h->name = strdup(name)) ||
        (gln && !(h->gln = strdup(gln))) || !(keyfile = join(path, "key")) ||
        !(cfgfile = join(path, "keten.json")) || !(dbdir = join(path, "db"))) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = ledger_identity_generate(&h->ident, err)))
        goto fail;
    memcpy(h->id, ledger_identity_public(h->ident), LEDGER_FEED_LEN);
    if ((rc = ledger_identity_save(h->ident, keyfile, pass, pass_len, err)))
        goto fail;
    if ((rc = write_config(path, h, err)))
        goto fail_files;
    if ((rc = ledger_store_open(dbdir, LEDGER_STORE_CREATE, h->id, &h->store, err)))
        goto fail_files;
    free(keyfile);
    free(cfgfile);
    free(dbdir);
    *out = h;
    return 0;
fail_files:
    unlink(keyfile);
    unlink(cfgfile);
    if (dbdir) {
        char *f = join(dbdir, "data.mdb"), *l = join(dbdir, "lock.mdb");
        if (f)
            unlink(f);
        if (l)
            unlink(l);
        free(f);
        free(l);
        rmdir(dbdir);
    }
fail:
    if (made_dir)
        rmdir(path);
    free(keyfile);
    free(cfgfile);
    free(dbdir);
    home_free(h);
    return rc;
}

int ledger_home_open(const char *path, unsigned flags, ledger_home_t **out, ledger_err_t *err)
{
    ledger_home_t *h = NULL;
    char *cfgfile = join(path, "keten.json"), *dbdir = join(path, "db");
    json_t *cfg = NULL, *v;
    json_error_t je;
    int rc;

    if (!cfgfile || !dbdir) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        goto fail;
    }
    if (access(cfgfile, F_OK) != 0) {
        rc = ledger_err_set(err, LEDGER_ENOHOME,
                            "%s is not a keten home (no keten.json): create one with "
                            "`keten --home %s init --name NAME`",
                            path, path);
        goto fail;
    }
    if (!(cfg = json_load_file(cfgfile, 0, &je))) {
        rc = ledger_err_set(err, LEDGER_EIO, "%s:%d: %s", cfgfile, je.line, je.text);
        goto fail;
    }
    if (!(h = calloc(1, sizeof *h)) || !(h->path = strdup(path))) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        goto fail;
    }
    v = json_object_get(cfg, "id");
    if (json_integer_value(json_object_get(cfg, "keten")) != 1 || !json_is_string(v) ||
        ledger_unhex(json_string_value(v), h->id, LEDGER_FEED_LEN) != 0 ||
        !json_is_string(json_object_get(cfg, "name"))) {
        rc = ledger_err_set(err, LEDGER_EIO, "%s: not a version-1 keten config (keten, name, id)",
                            cfgfile);
        goto fail;
    }
    if (!(h->name = strdup(json_string_value(json_object_get(cfg, "name"))))) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        goto fail;
    }
    v = json_object_get(cfg, "gln");
    if (json_is_string(v) && !(h->gln = strdup(json_string_value(v)))) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = ledger_store_open(dbdir, flags & (LEDGER_STORE_RDONLY | LEDGER_STORE_RANDOM), h->id,
                                &h->store, err)))
        goto fail;
    json_decref(cfg);
    free(cfgfile);
    free(dbdir);
    *out = h;
    return 0;
fail:
    json_decref(cfg);
    free(cfgfile);
    free(dbdir);
    home_free(h);
    return rc;
}

const char *ledger_home_path(const ledger_home_t *h)
{
    return h->path;
}
const char *ledger_home_name(const ledger_home_t *h)
{
    return h->name;
}
const char *ledger_home_gln(const ledger_home_t *h)
{
    return h->gln;
}
const uint8_t *ledger_home_id(const ledger_home_t *h)
{
    return h->id;
}
ledger_store_t *ledger_home_store(ledger_home_t *h)
{
    return h->store;
}

int ledger_home_key_encrypted(ledger_home_t *h, ledger_err_t *err)
{
    char *keyfile = join(h->path, "key");
    int rc;
    if (!keyfile)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    rc = ledger_identity_file_encrypted(keyfile, err);
    free(keyfile);
    return rc;
}

int ledger_home_identity(ledger_home_t *h, const char *pass, size_t pass_len,
                         const ledger_identity_t **out, ledger_err_t *err)
{
    char *keyfile;
    int rc;
    if (!h->ident) {
        if (!(keyfile = join(h->path, "key")))
            return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        rc = ledger_identity_load(keyfile, pass, pass_len, &h->ident, err);
        free(keyfile);
        if (rc)
            return rc;
        if (memcmp(ledger_identity_public(h->ident), h->id, LEDGER_FEED_LEN) != 0) {
            ledger_identity_free(h->ident);
            h->ident = NULL;
            return ledger_err_set(err, LEDGER_ECRYPTO,
                                  "%s/key does not belong to this home's ID in keten.json",
                                  h->path);
        }
    }
    *out = h->ident;
    return 0;
}

void ledger_home_close(ledger_home_t *h)
{
    home_free(h);
}

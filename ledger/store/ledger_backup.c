/* ledger_backup.c -- a consistent copy of a live home (see ledger_backup.h).
 *
 * How: make "<dst>.partial-<pid>" (mode 0700), copy the home's top-level
 * regular files into it one by one (read, write, fsync; the mode kept, so
 * the secret key stays 0600), copy the store with ledger_store_copy into
 * its db/ and fsync that file too, fsync the directories, then rename the
 * partial directory to dst and fsync dst's parent. The home's own files
 * are replaced by their writers with a rename, so each one read here is
 * whole, old or new. */
#include "ledger_backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ledger_store.h"

/* Files of a home that a backup leaves out. */
static int skipped(const char *name)
{
    size_t n = strlen(name);
    return name[0] == '.' || strcmp(name, "node.lock") == 0 ||
           (n > 4 && strcmp(name + n - 4, ".tmp") == 0);
}

static int fsync_path(const char *path, int dir, ledger_err_t *err)
{
    int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC), rc = 0;
    if (fd < 0 || fsync(fd) != 0)
        rc = ledger_err_set(err, LEDGER_EIO, "cannot flush %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Copies the regular file src to the new file dst with mode, flushed. */
static int copy_file(const char *src, const char *dst, mode_t mode, uint64_t *bytes,
                     ledger_err_t *err)
{
    char buf[1 << 16];
    int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, rc = 0;
    ssize_t r;

    if (in < 0)
        return ledger_err_set(err, LEDGER_EIO, "cannot read %s: %s", src, strerror(errno));
    if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777)) < 0) {
        rc = ledger_err_set(err, LEDGER_EIO, "cannot create %s: %s", dst, strerror(errno));
        goto done;
    }
    while ((r = read(in, buf, sizeof buf)) != 0) {
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = ledger_err_set(err, LEDGER_EIO, "cannot read %s: %s", src, strerror(errno));
            goto done;
        }
        for (ssize_t off = 0; off < r;) {
            ssize_t w = write(out, buf + off, (size_t)(r - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                rc = ledger_err_set(err, LEDGER_EIO, "cannot write %s: %s", dst, strerror(errno));
                goto done;
            }
            off += w;
        }
        *bytes += (uint64_t)r;
    }
    if (fchmod(out, mode & 07777) != 0 || fsync(out) != 0)
        rc = ledger_err_set(err, LEDGER_EIO, "cannot write %s: %s", dst, strerror(errno));
done:
    if (out >= 0 && close(out) != 0 && !rc)
        rc = ledger_err_set(err, LEDGER_EIO, "cannot write %s: %s", dst, strerror(errno));
    close(in);
    return rc;
}

/* Copies the home's top-level regular files (not db/, not skipped ones). */
static int copy_files(const char *home, const char *dst, uint64_t *files, ledger_err_t *err)
{
    DIR *d = opendir(home);
    struct dirent *de;
    int rc = 0;

    if (!d)
        return ledger_err_set(err, LEDGER_EIO, "cannot list %s: %s", home, strerror(errno));
    while (!rc && (de = readdir(d))) {
        char src[4096], to[4096];
        struct stat sb;
        uint64_t bytes = 0;
        if (skipped(de->d_name))
            continue;
        if (snprintf(src, sizeof src, "%s/%s", home, de->d_name) >= (int)sizeof src ||
            snprintf(to, sizeof to, "%s/%s", dst, de->d_name) >= (int)sizeof to) {
            rc = ledger_err_set(err, LEDGER_EINVAL, "path too long: %s/%s", home, de->d_name);
            break;
        }
        if (lstat(src, &sb) != 0) {
            if (errno == ENOENT)
                continue; /* removed meanwhile (a finished temporary file) */
            rc = ledger_err_set(err, LEDGER_EIO, "cannot read %s: %s", src, strerror(errno));
            break;
        }
        if (!S_ISREG(sb.st_mode))
            continue; /* db/ is copied by the store; nothing else is a directory */
        if (!(rc = copy_file(src, to, sb.st_mode, &bytes, err)))
            (*files)++;
    }
    closedir(d);
    return rc;
}

/* Removes the partial backup dir (its files, db/ and its files). */
static void remove_partial(const char *dir)
{
    char db[4200];
    const char *names[2] = {dir, db};
    snprintf(db, sizeof db, "%s/db", dir);
    for (int i = 1; i >= 0; i--) {
        DIR *d = opendir(names[i]);
        struct dirent *de;
        if (!d)
            continue;
        while ((de = readdir(d))) {
            char p[4200];
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", names[i], de->d_name);
            unlink(p);
        }
        closedir(d);
        rmdir(names[i]);
    }
}

int ledger_backup_home(ledger_home_t *h, const char *dst, ledger_backup_report_t *rep,
                       ledger_err_t *err)
{
    char part[4096], db[4200], data[4300], parent[4096];
    ledger_backup_report_t r = {0, 0};
    struct stat sb;
    int rc;

    if (stat(dst, &sb) == 0 || errno != ENOENT)
        return ledger_err_set(err, LEDGER_EEXIST,
                              "%s exists: a backup is written only to a new directory", dst);
    if (snprintf(part, sizeof part, "%s.partial-%ld", dst, (long)getpid()) >= (int)sizeof part)
        return ledger_err_set(err, LEDGER_EINVAL, "path too long: %s", dst);
    snprintf(db, sizeof db, "%s/db", part);
    snprintf(data, sizeof data, "%s/data.mdb", db);
    if (mkdir(part, 0700) != 0)
        return ledger_err_set(err, LEDGER_EIO, "cannot create %s: %s", part, strerror(errno));
    if ((rc = copy_files(ledger_home_path(h), part, &r.files, err)))
        goto fail;
    if (mkdir(db, 0700) != 0) {
        rc = ledger_err_set(err, LEDGER_EIO, "cannot create %s: %s", db, strerror(errno));
        goto fail;
    }
    if ((rc = ledger_store_copy(ledger_home_store(h), db, err)) ||
        (rc = fsync_path(data, 0, err)) || (rc = fsync_path(db, 1, err)) ||
        (rc = fsync_path(part, 1, err)))
        goto fail;
    if (stat(data, &sb) == 0)
        r.db_bytes = (uint64_t)sb.st_size;
    if (rename(part, dst) != 0) {
        rc = ledger_err_set(err, errno == EEXIST || errno == ENOTEMPTY ? LEDGER_EEXIST : LEDGER_EIO,
                            "cannot rename %s to %s: %s", part, dst, strerror(errno));
        goto fail;
    }
    snprintf(parent, sizeof parent, "%s", dst);
    if ((rc = fsync_path(dirname(parent), 1, err)))
        return rc; /* the backup is complete; only its name may not be durable yet */
    if (rep)
        *rep = r;
    return 0;
fail:
    remove_partial(part);
    return rc;
}

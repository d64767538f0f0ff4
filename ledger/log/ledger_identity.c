/* ledger_identity.c -- Ed25519 key pair, key file and signing
 * (see ledger_identity.h for the file layout). The whole struct lives in
 * sodium_malloc memory (guard pages, locked, wiped by sodium_free). */
#include "ledger_identity.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "KETENKEY"
#define MAGIC_LEN 8
#define PLAIN_LEN (MAGIC_LEN + 2 + 32)
#define SEALED_LEN                                                                                 \
    (MAGIC_LEN + 2 + crypto_pwhash_SALTBYTES + 16 + crypto_secretbox_NONCEBYTES +                  \
     crypto_secretbox_MACBYTES + 32)

struct ledger_identity {
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
};

static int init_sodium(ledger_err_t *err)
{
    if (sodium_init() < 0)
        return ledger_err_set(err, LEDGER_ECRYPTO, "libsodium could not initialise");
    return 0;
}

int ledger_identity_from_seed(const uint8_t seed[32], ledger_identity_t **out, ledger_err_t *err)
{
    ledger_identity_t *id;
    int rc;
    if ((rc = init_sodium(err)))
        return rc;
    if (!(id = sodium_malloc(sizeof *id)))
        return ledger_err_set(err, LEDGER_ENOMEM, "cannot allocate secure memory for the key");
    crypto_sign_seed_keypair(id->pk, id->sk, seed);
    *out = id;
    return 0;
}

int ledger_identity_generate(ledger_identity_t **out, ledger_err_t *err)
{
    uint8_t *seed;
    int rc;
    if ((rc = init_sodium(err)))
        return rc;
    if (!(seed = sodium_malloc(32)))
        return ledger_err_set(err, LEDGER_ENOMEM, "cannot allocate secure memory for the key");
    randombytes_buf(seed, 32);
    rc = ledger_identity_from_seed(seed, out, err);
    sodium_free(seed);
    return rc;
}

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

int ledger_identity_save(const ledger_identity_t *id, const char *path, const char *pass,
                         size_t pass_len, ledger_err_t *err)
{
    uint8_t *file = NULL, *key = NULL;
    size_t len;
    int fd = -1, rc = 0;

    if ((rc = init_sodium(err)))
        return rc;
    if (!(file = sodium_malloc(SEALED_LEN)) || !(key = sodium_malloc(crypto_secretbox_KEYBYTES))) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "cannot allocate secure memory for the key");
        goto done;
    }
    memcpy(file, MAGIC, MAGIC_LEN);
    file[MAGIC_LEN] = 1;
    if (!pass || pass_len == 0) {
        file[MAGIC_LEN + 1] = 0;
        memcpy(file + MAGIC_LEN + 2, id->sk, 32); /* the seed is the first half of sk */
        len = PLAIN_LEN;
    } else {
        uint8_t *p = file + MAGIC_LEN + 2, *salt, *nonce;
        uint64_t ops = crypto_pwhash_OPSLIMIT_INTERACTIVE, mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
        file[MAGIC_LEN + 1] = 1;
        salt = p;
        randombytes_buf(salt, crypto_pwhash_SALTBYTES);
        p += crypto_pwhash_SALTBYTES;
        put_be64(p, ops);
        put_be64(p + 8, mem);
        p += 16;
        nonce = p;
        randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
        p += crypto_secretbox_NONCEBYTES;
        if (crypto_pwhash(key, crypto_secretbox_KEYBYTES, pass, pass_len, salt, ops, (size_t)mem,
                          crypto_pwhash_ALG_ARGON2ID13) != 0) {
            rc = ledger_err_set(err, LEDGER_ECRYPTO,
                                "Argon2id ran out of memory while sealing the key");
            goto done;
        }
        crypto_secretbox_easy(p, id->sk, 32, nonce, key);
        len = SEALED_LEN;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = ledger_err_set(err, errno == EEXIST ? LEDGER_EEXIST : LEDGER_EIO,
                            "cannot create key file %s: %s", path, strerror(errno));
        goto done;
    }
    if (write(fd, file, len) != (ssize_t)len || fsync(fd) != 0) {
        rc = ledger_err_set(err, LEDGER_EIO, "cannot write key file %s: %s", path, strerror(errno));
        close(fd);
        fd = -1;
        unlink(path);
        goto done;
    }
    if (close(fd) != 0) {
        rc = ledger_err_set(err, LEDGER_EIO, "cannot write key file %s: %s", path, strerror(errno));
        unlink(path);
    }
    fd = -1;
done:
    sodium_free(file);
    sodium_free(key);
    return rc;
}

/* Reads the whole key file (at most SEALED_LEN + 1 bytes) into buf. */
static int read_keyfile(const char *path, uint8_t *buf, size_t *len, ledger_err_t *err)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    ssize_t got;
    size_t total = 0;

    if (fd < 0)
        return ledger_err_set(err, errno == ENOENT ? LEDGER_ENOTFOUND : LEDGER_EIO,
                              "cannot open key file %s: %s", path, strerror(errno));
    while (total < SEALED_LEN + 1 && (got = read(fd, buf + total, SEALED_LEN + 1 - total)) > 0)
        total += (size_t)got;
    close(fd);
    *len = total;
    if (total < MAGIC_LEN + 2 || memcmp(buf, MAGIC, MAGIC_LEN) != 0 || buf[MAGIC_LEN] != 1 ||
        (buf[MAGIC_LEN + 1] == 0 && total != PLAIN_LEN) ||
        (buf[MAGIC_LEN + 1] == 1 && total != SEALED_LEN) || buf[MAGIC_LEN + 1] > 1)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "%s is not a keten key file (version 1) or is damaged", path);
    return 0;
}

int ledger_identity_file_encrypted(const char *path, ledger_err_t *err)
{
    uint8_t *buf;
    size_t len;
    int rc;
    if ((rc = init_sodium(err)))
        return rc;
    if (!(buf = sodium_malloc(SEALED_LEN + 1)))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of secure memory");
    rc = read_keyfile(path, buf, &len, err);
    if (rc == 0)
        rc = buf[MAGIC_LEN + 1] == 1;
    sodium_free(buf);
    return rc;
}

int ledger_identity_load(const char *path, const char *pass, size_t pass_len,
                         ledger_identity_t **out, ledger_err_t *err)
{
    uint8_t *buf = NULL, *seed = NULL, *key = NULL;
    size_t len;
    int rc;

    if ((rc = init_sodium(err)))
        return rc;
    if (!(buf = sodium_malloc(SEALED_LEN + 1)) || !(seed = sodium_malloc(32)) ||
        !(key = sodium_malloc(crypto_secretbox_KEYBYTES))) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of secure memory");
        goto done;
    }
    if ((rc = read_keyfile(path, buf, &len, err)))
        goto done;
    if (buf[MAGIC_LEN + 1] == 0) {
        memcpy(seed, buf + MAGIC_LEN + 2, 32);
    } else {
        const uint8_t *p = buf + MAGIC_LEN + 2, *salt = p;
        uint64_t ops = get_be64(p + crypto_pwhash_SALTBYTES);
        uint64_t mem = get_be64(p + crypto_pwhash_SALTBYTES + 8);
        const uint8_t *nonce = p + crypto_pwhash_SALTBYTES + 16;
        const uint8_t *box = nonce + crypto_secretbox_NONCEBYTES;
        if (!pass || pass_len == 0) {
            rc = ledger_err_set(err, LEDGER_ECRYPTO,
                                "the key %s is encrypted: give its passphrase with "
                                "--passphrase-file FILE or KETEN_PASSPHRASE_FILE",
                                path);
            goto done;
        }
        if (ops > crypto_pwhash_OPSLIMIT_SENSITIVE || mem > crypto_pwhash_MEMLIMIT_SENSITIVE ||
            ops < crypto_pwhash_OPSLIMIT_MIN || mem < crypto_pwhash_MEMLIMIT_MIN) {
            rc = ledger_err_set(err, LEDGER_EINPUT, "%s: Argon2id limits out of range", path);
            goto done;
        }
        if (crypto_pwhash(key, crypto_secretbox_KEYBYTES, pass, pass_len, salt, ops, (size_t)mem,
                          crypto_pwhash_ALG_ARGON2ID13) != 0) {
            rc = ledger_err_set(err, LEDGER_ECRYPTO, "Argon2id ran out of memory");
            goto done;
        }
        if (crypto_secretbox_open_easy(seed, box, 32 + crypto_secretbox_MACBYTES, nonce, key) !=
            0) {
            rc = ledger_err_set(err, LEDGER_ECRYPTO,
                                "wrong passphrase for %s (or the key file is damaged)", path);
            goto done;
        }
    }
    rc = ledger_identity_from_seed(seed, out, err);
done:
    sodium_free(buf);
    sodium_free(seed);
    sodium_free(key);
    return rc;
}

const uint8_t *ledger_identity_public(const ledger_identity_t *id)
{
    return id->pk;
}

void ledger_identity_sign(const ledger_identity_t *id, const uint8_t *m, size_t n, uint8_t sig[64])
{
    crypto_sign_detached(sig, NULL, m, n, id->sk);
}

void ledger_identity_free(ledger_identity_t *id)
{
    if (id)
        sodium_free(id);
}

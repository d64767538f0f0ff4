/* ledger_cbor.c -- deterministic CBOR writer (on libcbor's encoders) and a
 * strict reader that accepts only deterministic encodings (see ledger_cbor.h).
 *
 * The reader is our own rather than libcbor's cbor_load: it must reject every
 * non-canonical form (long integers, unsorted or duplicate keys, indefinite
 * lengths, tags) in one pass without building an intermediate tree, because
 * it runs on bytes that arrive from other nodes. */
#include "ledger_cbor.h"

#include <cbor.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- writing ---------------------------------------------------------- */

/* Every libcbor encoder writes into (buffer, size) and returns the bytes
 * written or 0 when they do not fit; 9 bytes hold any head. */
#define HEAD_MAX 9

static int put_head(ledger_buf_t *b, size_t (*enc)(uint64_t, unsigned char *, size_t), uint64_t v)
{
    size_t w;
    if (ledger_buf_reserve(b, HEAD_MAX))
        return LEDGER_ENOMEM;
    w = enc(v, b->data + b->len, HEAD_MAX);
    b->len += w;
    return 0;
}

static size_t enc_bytes_start(uint64_t n, unsigned char *p, size_t sz)
{
    return cbor_encode_bytestring_start((size_t)n, p, sz);
}
static size_t enc_text_start(uint64_t n, unsigned char *p, size_t sz)
{
    return cbor_encode_string_start((size_t)n, p, sz);
}
static size_t enc_array_start(uint64_t n, unsigned char *p, size_t sz)
{
    return cbor_encode_array_start((size_t)n, p, sz);
}
static size_t enc_map_start(uint64_t n, unsigned char *p, size_t sz)
{
    return cbor_encode_map_start((size_t)n, p, sz);
}

int ledger_cbor_put_uint(ledger_buf_t *b, uint64_t v)
{
    return put_head(b, cbor_encode_uint, v);
}

int ledger_cbor_put_bytes(ledger_buf_t *b, const void *p, size_t n)
{
    if (put_head(b, enc_bytes_start, n))
        return LEDGER_ENOMEM;
    return ledger_buf_append(b, p, n);
}

int ledger_cbor_put_text(ledger_buf_t *b, const char *s, size_t n)
{
    if (put_head(b, enc_text_start, n))
        return LEDGER_ENOMEM;
    return ledger_buf_append(b, s, n);
}

int ledger_cbor_put_array(ledger_buf_t *b, size_t n)
{
    return put_head(b, enc_array_start, n);
}

int ledger_cbor_put_null(ledger_buf_t *b)
{
    uint8_t x = 0xf6;
    return ledger_buf_append(b, &x, 1);
}

/* The half-precision bits of d when a half holds d exactly. */
static int half_exact(double d, uint16_t *bits)
{
    uint16_t sign = signbit(d) ? 0x8000 : 0;
    double ad = fabs(d);
    int ex;

    if (ad == 0) {
        *bits = sign;
        return 1;
    }
    if (!isfinite(ad) || ad > 65504.0 || ad < ldexp(1, -24))
        return 0;
    (void)frexp(ad, &ex); /* ad = m * 2^ex, m in [0.5, 1) */
    ex -= 1;              /* ad = 1.f * 2^ex */
    if (ex >= -14) {
        double frac = ldexp(ad, -ex) - 1.0; /* [0,1) */
        double scaled = ldexp(frac, 10);
        if (scaled != floor(scaled))
            return 0;
        *bits = (uint16_t)(sign | (uint16_t)((ex + 15) << 10) | (uint16_t)scaled);
        return 1;
    } else {
        double scaled = ldexp(ad, 24); /* subnormal: multiples of 2^-24 */
        if (scaled != floor(scaled) || scaled >= 1024)
            return 0;
        *bits = (uint16_t)(sign | (uint16_t)scaled);
        return 1;
    }
}

/* Shortest exact float encoding of d into out (at most 9 bytes). */
static size_t encode_float(double d, uint8_t out[9])
{
    uint16_t h;
    float f = (float)d;

    if (half_exact(d, &h)) {
        out[0] = 0xf9;
        out[1] = (uint8_t)(h >> 8);
        out[2] = (uint8_t)h;
        return 3;
    }
    if ((double)f == d)
        return cbor_encode_single(f, out, 9);
    return cbor_encode_double(d, out, 9);
}

typedef struct key_ref {
    const char *key;
    size_t len;
    json_t *value;
} key_ref_t;

static int key_cmp(const void *a, const void *b)
{
    const key_ref_t *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return memcmp(x->key, y->key, x->len);
}

static int from_json(const json_t *v, ledger_buf_t *out, int depth, ledger_err_t *err)
{
    int rc = 0;

    if (depth > LEDGER_CBOR_MAX_DEPTH)
        return ledger_err_set(err, LEDGER_EINPUT, "nested deeper than %d levels",
                              LEDGER_CBOR_MAX_DEPTH);
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        key_ref_t *keys = NULL;
        const char *k;
        json_t *val;
        void *iter;

        if (n && !(keys = malloc(n * sizeof *keys)))
            return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        for (iter = json_object_iter((json_t *)v); iter && i < n;
             iter = json_object_iter_next((json_t *)v, iter), i++) {
            k = json_object_iter_key(iter);
            val = json_object_iter_value(iter);
            keys[i].key = k;
            keys[i].len = json_object_iter_key_len(iter);
            keys[i].value = val;
        }
        if (n)
            qsort(keys, n, sizeof *keys, key_cmp);
        if ((rc = put_head(out, enc_map_start, n)))
            goto obj_done;
        for (i = 0; i < n; i++) {
            if ((rc = ledger_cbor_put_text(out, keys[i].key, keys[i].len)))
                goto obj_done;
            if ((rc = from_json(keys[i].value, out, depth + 1, err)))
                goto obj_done;
        }
    obj_done:
        free(keys);
        if (rc == LEDGER_ENOMEM)
            ledger_err_set(err, rc, "out of memory");
        return rc;
    }
    case JSON_ARRAY: {
        size_t i, n = json_array_size(v);
        if (put_head(out, enc_array_start, n))
            return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        for (i = 0; i < n; i++)
            if ((rc = from_json(json_array_get(v, i), out, depth + 1, err)))
                return rc;
        return 0;
    }
    case JSON_STRING:
        rc = ledger_cbor_put_text(out, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER: {
        json_int_t x = json_integer_value(v);
        if (x >= 0)
            rc = put_head(out, cbor_encode_uint, (uint64_t)x);
        else
            rc = put_head(out, cbor_encode_negint, (uint64_t)(-(x + 1)));
        break;
    }
    case JSON_REAL: {
        uint8_t f[9];
        double d = json_real_value(v);
        if (!isfinite(d))
            return ledger_err_set(err, LEDGER_EINPUT, "number is not finite");
        rc = ledger_buf_append(out, f, encode_float(d, f));
        break;
    }
    case JSON_TRUE:
    case JSON_FALSE:
    case JSON_NULL: {
        uint8_t x = json_is_true(v) ? 0xf5 : json_is_false(v) ? 0xf4 : 0xf6;
        rc = ledger_buf_append(out, &x, 1);
        break;
    }
    }
    if (rc)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    return 0;
}

int ledger_cbor_from_json(const json_t *v, ledger_buf_t *out, ledger_err_t *err)
{
    size_t start = out->len;
    int rc = from_json(v, out, 0, err);
    if (rc)
        out->len = start;
    return rc;
}

/* ---- reading ---------------------------------------------------------- */

static int bad(ledger_cbor_reader_t *r, ledger_err_t *err, const char *what)
{
    return ledger_err_set(err, LEDGER_EINPUT, "CBOR at byte %zu: %s", r->off, what);
}

/* Reads an item head: major type and argument, checking the shortest form.
 * For major type 7 the argument of a float is its raw bits, and *ai is the
 * additional info (25/26/27 for half/single/double). */
static int get_head(ledger_cbor_reader_t *r, int *major, int *ai, uint64_t *arg, ledger_err_t *err)
{
    size_t off = r->off, need;
    uint8_t ib;
    uint64_t v = 0;

    if (off >= r->n)
        return bad(r, err, "truncated: an item was expected");
    ib = r->p[off];
    *major = ib >> 5;
    *ai = ib & 31;
    if (*ai < 24) {
        *arg = (uint64_t)*ai;
        r->off = off + 1;
        return 0;
    }
    if (*ai > 27)
        return bad(r, err, "indefinite length or reserved value (not deterministic CBOR)");
    need = (size_t)1 << (*ai - 24);
    if (r->n - off - 1 < need)
        return bad(r, err, "truncated item");
    for (size_t i = 0; i < need; i++)
        v = (v << 8) | r->p[off + 1 + i];
    if (*major != 7) {
        static const uint64_t min[4] = {24, 256, 65536, 4294967296ULL};
        if (v < min[*ai - 24])
            return bad(r, err, "integer not in its shortest form");
    }
    *arg = v;
    r->off = off + 1 + need;
    return 0;
}

int ledger_cbor_get_uint(ledger_cbor_reader_t *r, uint64_t *v, ledger_err_t *err)
{
    size_t off = r->off;
    int major, ai, rc;
    if ((rc = get_head(r, &major, &ai, v, err)))
        return rc;
    if (major != 0) {
        r->off = off;
        return bad(r, err, "expected an unsigned integer");
    }
    return 0;
}

static int get_string(ledger_cbor_reader_t *r, int want_major, const uint8_t **p, size_t *n,
                      ledger_err_t *err)
{
    size_t off = r->off;
    int major, ai, rc;
    uint64_t len;
    if ((rc = get_head(r, &major, &ai, &len, err)))
        return rc;
    if (major != want_major) {
        r->off = off;
        return bad(r, err, want_major == 2 ? "expected a byte string" : "expected a text string");
    }
    if (len > r->n - r->off) {
        r->off = off;
        return bad(r, err, "truncated string");
    }
    *p = r->p + r->off;
    *n = (size_t)len;
    r->off += (size_t)len;
    return 0;
}

int ledger_cbor_get_bytes(ledger_cbor_reader_t *r, const uint8_t **p, size_t *n, ledger_err_t *err)
{
    return get_string(r, 2, p, n, err);
}

int ledger_cbor_get_array(ledger_cbor_reader_t *r, size_t *n, ledger_err_t *err)
{
    size_t off = r->off;
    int major, ai, rc;
    uint64_t len;
    if ((rc = get_head(r, &major, &ai, &len, err)))
        return rc;
    if (major != 4) {
        r->off = off;
        return bad(r, err, "expected an array");
    }
    if (len > r->n - r->off) { /* each element takes at least one byte */
        r->off = off;
        return bad(r, err, "array longer than its data");
    }
    *n = (size_t)len;
    return 0;
}

int ledger_cbor_take_null(ledger_cbor_reader_t *r)
{
    if (r->off < r->n && r->p[r->off] == 0xf6) {
        r->off++;
        return 1;
    }
    return 0;
}

static double half_to_double(uint16_t h)
{
    int e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m + 1024, e - 25);
    return (h & 0x8000) ? -v : v;
}

static int get_json(ledger_cbor_reader_t *r, json_t **out, int depth, ledger_err_t *err);

static int get_map(ledger_cbor_reader_t *r, uint64_t n, json_t **out, int depth, ledger_err_t *err)
{
    json_t *obj = json_object();
    const uint8_t *prev = NULL, *k;
    size_t prev_len = 0, klen;
    int rc;

    if (!obj)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    if (n > r->n - r->off) {
        json_decref(obj);
        return bad(r, err, "map longer than its data");
    }
    for (uint64_t i = 0; i < n; i++) {
        json_t *val = NULL;
        size_t koff = r->off;
        if ((rc = get_string(r, 3, &k, &klen, err)))
            goto fail;
        if (prev && (klen < prev_len || (klen == prev_len && memcmp(k, prev, klen) <= 0))) {
            r->off = koff;
            rc = bad(r, err, "map keys not in deterministic order, or repeated");
            goto fail;
        }
        prev = k;
        prev_len = klen;
        if ((rc = get_json(r, &val, depth + 1, err)))
            goto fail;
        /* json_object_setn_new checks that the key is valid UTF-8 */
        if (json_object_setn_new(obj, (const char *)k, klen, val)) {
            r->off = koff;
            rc = bad(r, err, "map key is not valid UTF-8");
            goto fail;
        }
    }
    *out = obj;
    return 0;
fail:
    json_decref(obj);
    return rc;
}

static int get_json(ledger_cbor_reader_t *r, json_t **out, int depth, ledger_err_t *err)
{
    size_t start = r->off;
    int major, ai, rc;
    uint64_t arg;
    const uint8_t *s;
    size_t n;

    if (depth > LEDGER_CBOR_MAX_DEPTH)
        return bad(r, err, "nested too deeply");
    if ((rc = get_head(r, &major, &ai, &arg, err)))
        return rc;
    switch (major) {
    case 0:
        if (arg > INT64_MAX)
            return bad(r, err, "integer out of range");
        *out = json_integer((json_int_t)arg);
        break;
    case 1:
        if (arg > INT64_MAX)
            return bad(r, err, "integer out of range");
        *out = json_integer(-1 - (json_int_t)arg);
        break;
    case 3:
        r->off = start;
        if ((rc = get_string(r, 3, &s, &n, err)))
            return rc;
        if (!(*out = json_stringn((const char *)s, n))) {
            r->off = start;
            return bad(r, err, "text string is not valid UTF-8");
        }
        return 0;
    case 4: {
        json_t *arr;
        if (arg > r->n - r->off)
            return bad(r, err, "array longer than its data");
        if (!(arr = json_array()))
            return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        for (uint64_t i = 0; i < arg; i++) {
            json_t *item;
            if ((rc = get_json(r, &item, depth + 1, err))) {
                json_decref(arr);
                return rc;
            }
            if (json_array_append_new(arr, item)) {
                json_decref(arr);
                return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
            }
        }
        *out = arr;
        return 0;
    }
    case 5:
        return get_map(r, arg, out, depth, err);
    case 7: {
        double d;
        uint8_t expect[9];
        size_t elen, got = r->off - start;
        if (ai == 20 || ai == 21 || ai == 22) {
            *out = ai == 20 ? json_false() : ai == 21 ? json_true() : json_null();
            return 0;
        }
        if (ai == 25)
            d = half_to_double((uint16_t)arg);
        else if (ai == 26) {
            uint32_t u = (uint32_t)arg;
            float f;
            memcpy(&f, &u, sizeof f);
            d = f;
        } else if (ai == 27) {
            memcpy(&d, &arg, sizeof d);
        } else {
            r->off = start;
            return bad(r, err, "simple value JSON cannot hold");
        }
        if (!isfinite(d)) {
            r->off = start;
            return bad(r, err, "NaN or infinity (JSON cannot hold it)");
        }
        elen = encode_float(d, expect);
        if (elen != got || memcmp(expect, r->p + start, got) != 0) {
            r->off = start;
            return bad(r, err, "float not in its shortest exact form");
        }
        *out = json_real(d);
        break;
    }
    default:
        r->off = start;
        return bad(r, err,
                   major == 2 ? "byte string where JSON was expected"
                              : "tagged item (not allowed here)");
    }
    if (!*out)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    return 0;
}

int ledger_cbor_get_json(ledger_cbor_reader_t *r, json_t **out, ledger_err_t *err)
{
    size_t start = r->off;
    int rc = get_json(r, out, 0, err);
    if (rc)
        r->off = start;
    return rc;
}

int ledger_cbor_to_json(const uint8_t *p, size_t n, json_t **out, ledger_err_t *err)
{
    ledger_cbor_reader_t r;
    int rc;
    ledger_cbor_reader_init(&r, p, n);
    if ((rc = ledger_cbor_get_json(&r, out, err)))
        return rc;
    if (r.off != n) {
        json_decref(*out);
        *out = NULL;
        return bad(&r, err, "trailing bytes after the item");
    }
    return 0;
}

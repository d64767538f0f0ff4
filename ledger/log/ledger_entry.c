/* ledger_entry.c -- canonical bytes, hashing and signature checks of entries
 * (see ledger_entry.h and docs/format.md). */
#include "ledger_entry.h"

#include <sodium.h>
#include <string.h>

#include "ledger_cbor.h"
#include "ledger_sha256.h"

int ledger_header_encode(const ledger_header_t *h, ledger_buf_t *out)
{
    size_t start = out->len;
    if (ledger_cbor_put_array(out, 8) || ledger_cbor_put_uint(out, h->version) ||
        ledger_cbor_put_bytes(out, h->feed, LEDGER_FEED_LEN) || ledger_cbor_put_uint(out, h->seq) ||
        ledger_cbor_put_bytes(out, h->prev, LEDGER_HASH_LEN) ||
        ledger_cbor_put_uint(out, h->record_time_ms) || ledger_cbor_put_uint(out, h->ptype) ||
        ledger_cbor_put_uint(out, h->plen) ||
        ledger_cbor_put_bytes(out, h->phash, LEDGER_HASH_LEN)) {
        out->len = start;
        return LEDGER_ENOMEM;
    }
    return 0;
}

static int get_fixed(ledger_cbor_reader_t *r, uint8_t *out, size_t want, const char *name,
                     ledger_err_t *err)
{
    const uint8_t *p;
    size_t n;
    int rc;
    if ((rc = ledger_cbor_get_bytes(r, &p, &n, err)))
        return ledger_err_prefix(err, "header %s", name);
    if (n != want)
        return ledger_err_set(err, LEDGER_EINPUT, "header %s: %zu bytes, expected %zu", name, n,
                              want);
    memcpy(out, p, n);
    return 0;
}

static int get_u(ledger_cbor_reader_t *r, uint64_t *v, const char *name, ledger_err_t *err)
{
    if (ledger_cbor_get_uint(r, v, err))
        return ledger_err_prefix(err, "header %s", name);
    return 0;
}

int ledger_header_decode(const uint8_t *p, size_t n, ledger_header_t *h, ledger_err_t *err)
{
    ledger_cbor_reader_t r;
    size_t items;
    uint64_t v, ptype;
    int rc;

    ledger_cbor_reader_init(&r, p, n);
    if ((rc = ledger_cbor_get_array(&r, &items, err)))
        return ledger_err_prefix(err, "header");
    if (items != 8)
        return ledger_err_set(err, LEDGER_EINPUT, "header has %zu fields, expected 8", items);
    if ((rc = get_u(&r, &v, "version", err)))
        return rc;
    if (v != LEDGER_FORMAT_VERSION)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "header format version %llu: this keten reads version %d",
                              (unsigned long long)v, LEDGER_FORMAT_VERSION);
    h->version = (uint32_t)v;
    if ((rc = get_fixed(&r, h->feed, LEDGER_FEED_LEN, "feed", err)) ||
        (rc = get_u(&r, &h->seq, "seq", err)) ||
        (rc = get_fixed(&r, h->prev, LEDGER_HASH_LEN, "prev", err)) ||
        (rc = get_u(&r, &h->record_time_ms, "recordTime", err)) ||
        (rc = get_u(&r, &ptype, "payloadType", err)) ||
        (rc = get_u(&r, &h->plen, "payloadLength", err)) ||
        (rc = get_fixed(&r, h->phash, LEDGER_HASH_LEN, "payloadHash", err)))
        return rc;
    if (h->seq == 0)
        return ledger_err_set(err, LEDGER_EINPUT, "header seq 0: sequence numbers start at 1");
    if (ptype < LEDGER_PT_EVENT || ptype > LEDGER_PT_STATEMENT)
        return ledger_err_set(err, LEDGER_EINPUT, "header payload type %llu unknown",
                              (unsigned long long)ptype);
    h->ptype = (uint32_t)ptype;
    if (h->plen > LEDGER_PAYLOAD_MAX)
        return ledger_err_set(err, LEDGER_EINPUT, "header payload length %llu over the %d limit",
                              (unsigned long long)h->plen, LEDGER_PAYLOAD_MAX);
    if (h->seq == 1) {
        static const uint8_t zero[LEDGER_HASH_LEN];
        if (memcmp(h->prev, zero, LEDGER_HASH_LEN) != 0)
            return ledger_err_set(err, LEDGER_EINPUT, "header seq 1 with a non-zero prev");
    }
    if (r.off != n)
        return ledger_err_set(err, LEDGER_EINPUT, "header: %zu trailing bytes", n - r.off);
    return 0;
}

int ledger_entry_encode(const uint8_t *hbytes, size_t hlen, const uint8_t sig[LEDGER_SIG_LEN],
                        const uint8_t *payload, size_t plen, ledger_buf_t *out)
{
    size_t start = out->len;
    int rc = ledger_cbor_put_array(out, 3);
    if (!rc)
        rc = ledger_cbor_put_bytes(out, hbytes, hlen);
    if (!rc)
        rc = ledger_cbor_put_bytes(out, sig, LEDGER_SIG_LEN);
    if (!rc)
        rc = payload ? ledger_cbor_put_bytes(out, payload, plen) : ledger_cbor_put_null(out);
    if (rc)
        out->len = start;
    return rc;
}

int ledger_entry_decode(const uint8_t *p, size_t n, ledger_entry_t *e, ledger_err_t *err)
{
    ledger_cbor_reader_t r;
    size_t items, slen;
    int rc;

    ledger_cbor_reader_init(&r, p, n);
    if ((rc = ledger_cbor_get_array(&r, &items, err)))
        return ledger_err_prefix(err, "entry");
    if (items != 3)
        return ledger_err_set(err, LEDGER_EINPUT, "entry has %zu parts, expected 3", items);
    if ((rc = ledger_cbor_get_bytes(&r, &e->hbytes, &e->hlen, err)))
        return ledger_err_prefix(err, "entry header");
    if ((rc = ledger_cbor_get_bytes(&r, &e->sig, &slen, err)))
        return ledger_err_prefix(err, "entry signature");
    if (slen != LEDGER_SIG_LEN)
        return ledger_err_set(err, LEDGER_EINPUT, "entry signature is %zu bytes, expected 64",
                              slen);
    if (ledger_cbor_take_null(&r)) {
        e->payload = NULL;
        e->plen = 0;
    } else if ((rc = ledger_cbor_get_bytes(&r, &e->payload, &e->plen, err))) {
        return ledger_err_prefix(err, "entry payload");
    }
    if (r.off != n)
        return ledger_err_set(err, LEDGER_EINPUT, "entry: %zu trailing bytes", n - r.off);
    return ledger_header_decode(e->hbytes, e->hlen, &e->h, err);
}

void ledger_entry_hash(const ledger_entry_t *e, uint8_t out[LEDGER_HASH_LEN])
{
    const ledger_sha256_part_t parts[2] = {{e->hbytes, e->hlen}, {e->sig, LEDGER_SIG_LEN}};
    ledger_sha256_parts(out, parts, 2);
}

int ledger_entry_check_payload(const ledger_entry_t *e, ledger_err_t *err)
{
    uint8_t h[LEDGER_HASH_LEN];
    if (!e->payload)
        return 0;
    if (e->plen != e->h.plen)
        return ledger_err_set(err, LEDGER_EVERIFY,
                              "payload is %zu bytes but the signed header says %llu", e->plen,
                              (unsigned long long)e->h.plen);
    ledger_sha256(h, e->payload, e->plen);
    if (sodium_memcmp(h, e->h.phash, LEDGER_HASH_LEN) != 0)
        return ledger_err_set(err, LEDGER_EVERIFY,
                              "payload SHA-256 does not match the signed header");
    return 0;
}

int ledger_entry_check_sig(const ledger_entry_t *e, ledger_err_t *err)
{
    if (crypto_sign_verify_detached(e->sig, e->hbytes, e->hlen, e->h.feed) != 0)
        return ledger_err_set(err, LEDGER_EVERIFY, "Ed25519 signature does not verify");
    return 0;
}

int ledger_event_payload_encode(const char *event_hash, const json_t *event, ledger_buf_t *out,
                                ledger_err_t *err)
{
    size_t start = out->len;
    int rc;
    if (ledger_cbor_put_array(out, 3) || ledger_cbor_put_uint(out, 1) ||
        ledger_cbor_put_text(out, event_hash, strlen(event_hash))) {
        out->len = start;
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    }
    if ((rc = ledger_cbor_from_json(event, out, err)))
        out->len = start;
    return rc;
}

/* "ni:///sha-256;" + 64 lowercase hex + "?ver=CBV2.0", exactly. */
static int is_event_hash(const char *s, size_t n)
{
    static const char head[] = "ni:///sha-256;", tail[] = "?ver=CBV2.0";
    if (n != sizeof head - 1 + 64 + sizeof tail - 1 || memcmp(s, head, sizeof head - 1) != 0 ||
        memcmp(s + sizeof head - 1 + 64, tail, sizeof tail - 1) != 0)
        return 0;
    for (size_t i = sizeof head - 1; i < sizeof head - 1 + 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

int ledger_event_payload_decode(const uint8_t *p, size_t n, json_t **event, char *event_hash,
                                size_t hash_len, ledger_err_t *err)
{
    ledger_cbor_reader_t r;
    size_t items;
    uint64_t ver;
    json_t *hs = NULL;
    int rc;

    ledger_cbor_reader_init(&r, p, n);
    if ((rc = ledger_cbor_get_array(&r, &items, err)) || items != 3)
        return ledger_err_set(err, LEDGER_EINPUT, "event payload: expected [1, hash, event]");
    if ((rc = ledger_cbor_get_uint(&r, &ver, err)))
        return ledger_err_prefix(err, "event payload version");
    if (ver != 1)
        return ledger_err_set(err, LEDGER_EINPUT, "event payload version %llu unknown",
                              (unsigned long long)ver);
    if ((rc = ledger_cbor_get_json(&r, &hs, err)))
        return ledger_err_prefix(err, "event payload hash");
    if (!json_is_string(hs) || !is_event_hash(json_string_value(hs), json_string_length(hs))) {
        json_decref(hs);
        return ledger_err_set(err, LEDGER_EINPUT,
                              "event payload hash is not ni:///sha-256;<64 hex>?ver=CBV2.0");
    }
    if (event_hash && hash_len) {
        snprintf(event_hash, hash_len, "%s", json_string_value(hs));
    }
    json_decref(hs);
    if ((rc = ledger_cbor_get_json(&r, event, err)))
        return ledger_err_prefix(err, "event payload");
    if (!json_is_object(*event) || r.off != n) {
        json_decref(*event);
        *event = NULL;
        return ledger_err_set(err, LEDGER_EINPUT, "event payload: event is not one map");
    }
    return 0;
}

char *ledger_hex(const uint8_t *p, size_t n, char *out)
{
    return sodium_bin2hex(out, 2 * n + 1, p, n);
}

int ledger_unhex(const char *s, uint8_t *out, size_t n)
{
    size_t got;
    const char *end;
    if (strlen(s) != 2 * n || sodium_hex2bin(out, n, s, 2 * n, NULL, &got, &end) != 0 || got != n)
        return LEDGER_EINPUT;
    for (size_t i = 0; i < 2 * n; i++)
        if (s[i] >= 'A' && s[i] <= 'F')
            return LEDGER_EINPUT; /* lowercase only: one spelling per key */
    return 0;
}

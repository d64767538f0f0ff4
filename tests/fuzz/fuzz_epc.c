/* fuzz_epc.c -- libFuzzer target for gs1_epc (EPC hex, tag URNs, pure
 * URNs, GS1 components) and gs1_gcp (GCP length table XML).
 *
 * The first byte picks what the rest is fed to:
 *   0 gs1_epc_from_hex          3 gs1_epc_parse (any form)
 *   1 "urn:epc:tag:" + rest        4 gs1_gcp_parse, then lookups
 *   2 "urn:epc:id:" + rest         5 "AI=value" lines -> gs1_epc_from_gs1
 * Nothing may crash, and every EPC that decodes must round-trip: its hex,
 * tag URN and pure URN decode again to the same forms, the pure URN
 * re-encodes to the same hex, and its GS1 components (with its GCP length)
 * give back the same pure URN. A broken round trip aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gs1_epc.h"
#include "gs1_gcp.h"

static void must(int cond)
{
    if (!cond)
        abort();
}

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* decode(encode(x)) == x for every form of e. */
static void round_trip(const gs1_epc_t *e)
{
    gs1_epc_t *a = NULL, *b = NULL;
    const gs1_epc_ai_t *pairs;
    const char *pure = gs1_epc_pure_urn(e), *tag = gs1_epc_tag_urn(e);
    const char *hex = gs1_epc_hex(e);
    size_t n;

    must(gs1_epc_parse_pure_urn(pure, strlen(pure), &a, NULL) == 0);
    must(same(gs1_epc_pure_urn(a), pure));
    must(same(gs1_epc_element_string(a), gs1_epc_element_string(e)));
    must(gs1_epc_gcp_length(a) == gs1_epc_gcp_length(e));
    if (hex) {
        must(tag != NULL);
        must(gs1_epc_from_hex(hex, strlen(hex), &b, NULL) == 0);
        must(same(gs1_epc_hex(b), hex) && same(gs1_epc_tag_urn(b), tag) &&
             same(gs1_epc_pure_urn(b), pure));
        gs1_epc_free(b);
        must(gs1_epc_from_tag_urn(tag, strlen(tag), &b, NULL) == 0);
        must(same(gs1_epc_hex(b), hex) && same(gs1_epc_tag_urn(b), tag));
        gs1_epc_free(b);
        must(gs1_epc_encode(a, gs1_epc_coding(e), gs1_epc_filter(e), &b, NULL) == 0);
        must(same(gs1_epc_hex(b), hex));
        gs1_epc_free(b);
    } else {
        must(tag == NULL);
    }
    /* the automatic coding always works for a valid identity */
    must(gs1_epc_encode(a, NULL, 0, &b, NULL) == 0);
    must(same(gs1_epc_pure_urn(b), pure));
    gs1_epc_free(b);
    n = gs1_epc_gs1(e, &pairs);
    if (n) {
        must(gs1_epc_from_gs1(pairs, n, gs1_epc_gcp_length(e), &b, NULL) == 0);
        must(same(gs1_epc_pure_urn(b), pure));
        gs1_epc_free(b);
    }
    gs1_epc_free(a);
}

static void try_epc(int rc, gs1_epc_t *e)
{
    if (rc == 0) {
        round_trip(e);
        gs1_epc_free(e);
    } else {
        must(e == NULL);
    }
}

static void fuzz_gcp(const char *s, size_t n)
{
    gs1_gcp_t *g = NULL;
    gs1_err_t err;
    if (gs1_gcp_parse(s, n, &g, &err) == 0) {
        int r = gs1_gcp_prefix_length(g, "0614141123452", 13, &err);
        must(r == GS1_ENOTFOUND || (r >= 1 && r <= 12));
        r = gs1_gcp_prefix_length(g, s, n, &err);
        must(r == GS1_ENOTFOUND || (r >= 1 && r <= 12));
        gs1_gcp_key_length(g, "01", "00614141123452", &err);
        gs1_gcp_free(g);
    } else {
        must(g == NULL);
    }
}

/* "AI=value" lines -> pairs; the first byte of s chooses the GCP length. */
static void fuzz_gs1(const char *s, size_t n)
{
    gs1_epc_ai_t pairs[8];
    char *buf, *p, *line;
    size_t np = 0;
    int gcp;
    gs1_epc_t *e = NULL;
    gs1_err_t err;

    if (n < 1)
        return;
    gcp = 5 + (unsigned char)s[0] % 9; /* 5..13: out-of-range values too */
    if (!(buf = malloc(n)))
        return;
    memcpy(buf, s + 1, n - 1);
    buf[n - 1] = 0;
    for (p = buf; np < 8 && (line = strsep(&p, "\n")) != NULL;) {
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = 0;
        pairs[np].ai = line;
        pairs[np].value = eq + 1;
        np++;
    }
    try_epc(gs1_epc_from_gs1(pairs, np, gcp, &e, &err), e);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gs1_epc_t *e = (gs1_epc_t *)1;
    gs1_err_t err;
    const char *s = (const char *)data + 1;
    size_t n = size ? size - 1 : 0;
    char *buf;

    if (size == 0)
        return 0;
    switch (data[0] % 6) {
    case 0:
        try_epc(gs1_epc_from_hex(s, n, &e, &err), e);
        break;
    case 1:
    case 2: {
        const char *pre = data[0] % 6 == 1 ? "urn:epc:tag:" : "urn:epc:id:";
        size_t pl = strlen(pre);
        if (!(buf = malloc(pl + n)))
            return 0;
        memcpy(buf, pre, pl);
        memcpy(buf + pl, s, n);
        if (data[0] % 6 == 1)
            try_epc(gs1_epc_from_tag_urn(buf, pl + n, &e, &err), e);
        else
            try_epc(gs1_epc_parse_pure_urn(buf, pl + n, &e, &err), e);
        free(buf);
        break;
    }
    case 3:
        try_epc(gs1_epc_parse(s, n, &e, &err), e);
        break;
    case 4:
        fuzz_gcp(s, n);
        break;
    default:
        fuzz_gs1(s, n);
    }
    return 0;
}

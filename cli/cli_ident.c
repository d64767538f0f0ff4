/* cli_ident.c -- `keten decode` and `keten label` (see cli_ident.h).
 *
 * decode: each CODE argument (or each line of stdin for "-") goes through
 * gs1_ident_parse(), the one normalisation every reader's code goes
 * through, and every form it has is printed: scheme, canonical key (what
 * the ledger indexes), Digital Link, element string, EPC URNs and hex,
 * the AI fields, and a note when the GS1 Company Prefix length is unknown.
 * --json prints the identifier as a JSON object (ident_to_json), one per line.  Bad input
 * exits 3 with gs1_ident's message (wrong check digit, unknown EPC
 * header, malformed Digital Link, ...).
 *
 * label: the text is checked as an identifier first.  A Digital Link or
 * another URI is encoded exactly as given (its host is the resolver the
 * label points at); another GS1 form (element string, EPC URN or hex, bare
 * GTIN) is encoded as its Digital Link on id.gs1.org, which is what GS1
 * wants in a QR code and what scanners and phones open; text that is not
 * an identifier at all is refused unless --raw says to encode it anyway.
 * The label is drawn by reader_label_write() (PNG or SVG by extension). */
#include "cli_ident.h"

#include <stdlib.h>
#include <string.h>

#include "reader_label.h"

const char cli_ident_options_usage[] =
    "  --gcp-length N         GS1 Company Prefix length (6..12) for EPC URNs of element\n"
    "                         strings and Digital Links (an EPC carries its own)\n"
    "  --gcp-table FILE       GS1's GCP length table (gcpprefixformatlist.xml); default\n"
    "                         $KETEN_GCP_TABLE\n"
    "  --strict               read Digital Links and element strings exactly as the GS1\n"
    "                         syntax engine does (no GTIN-8/12/13 or 'gtin/' aliases in\n"
    "                         a Digital Link)\n";

static const char decode_usage[] =
    "usage: keten decode CODE... [--json] [--gcp-length N] [--gcp-table FILE] [--strict]\n"
    "       keten decode - [...]          one code per line from stdin\n"
    "\n"
    "Reads each CODE as keten's readers would and prints every normal form of the\n"
    "identifier: scheme, canonical key (what the ledger indexes), GS1 Digital Link,\n"
    "element string, EPC pure identity URN, EPC tag URN and hex (for RFID EPCs), the\n"
    "GS1 fields, and a note when the GS1 Company Prefix length is unknown.\n"
    "A CODE may be a Digital Link URI, a bracketed element string, a raw scan with\n"
    "GS (0x1D) separators and a symbology identifier (]C1 ]d2 ]Q3 ...), a GTIN,\n"
    "EPC hex, an EPC pure identity, class or tag URN, or nfc-uid:<hex>.\n"
    "No home is needed.\n"
    "\n"
    "Options:\n"
    "  --json                 one JSON object per code (fields: input, kind, scheme,\n"
    "                         key, dl, element_string, epc_urn, epc_tag_urn, epc_hex,\n"
    "                         gcp_length, gcp_source, note, fields)\n"
    "%s"
    "\n"
    "Exit codes: 0 all decoded, 2 usage, 3 a code is not valid (the message says\n"
    "why), 4 the GCP table cannot be read.\n"
    "\n"
    "Examples:\n"
    "  keten decode 'https://id.gs1.org/01/05412345000013/10/LOT42/21/SN001'\n"
    "  keten decode '(01)05412345000013(21)SN001' --gcp-length 7\n"
    "  keten decode --json 3074257BF7194E4000001A85\n"
    "  keten decode \"$(printf ']d2010541234500001310LOT42\\03521SN001')\"\n";

static const char label_usage[] =
    "usage: keten label TEXT --out FILE.png|FILE.svg [--ec L|M|Q|H] [--module PX]\n"
    "                   [--caption TEXT | --no-caption] [--raw] [--format png|svg]\n"
    "\n"
    "Draws a QR code label: the code with a quiet zone of 4 modules and the text\n"
    "under it. TEXT is checked as an identifier first:\n"
    "  - a GS1 Digital Link URI (any host) or another URI is encoded as given;\n"
    "  - another GS1 form (element string, GTIN, EPC URN or hex) is encoded as its\n"
    "    GS1 Digital Link on https://id.gs1.org (said on stderr);\n"
    "  - anything else is refused (exit 3) unless --raw is given.\n"
    "\n"
    "Options:\n"
    "  --out FILE             where to write; .png or .svg decides the format; '-' is\n"
    "                         stdout (with --format)\n"
    "  --format png|svg       the format, whatever the file name\n"
    "  --ec L|M|Q|H           error correction level (default M, as GS1 recommends)\n"
    "  --module PX            pixels per module, 1..64 (default 8)\n"
    "  --caption TEXT         text under the code (default: the encoded text)\n"
    "  --no-caption           no text under the code\n"
    "  --raw                  encode TEXT exactly as given, even if it is not an\n"
    "                         identifier (and do not turn GS1 forms into a Digital Link)\n"
    "%s"
    "\n"
    "Example:\n"
    "  keten label 'https://id.gs1.org/01/05412345000013/10/LOT42' --out lot42.png\n";

int cli_ident_option(cli_ident_cfg_t *c, const char *cmd, int argc, char **argv, int *i)
{
    const char *v;
    int r;
    if (strcmp(argv[*i], "--strict") == 0) {
        c->opts.strict = true;
        return 1;
    }
    if ((r = cli_opt(argc, argv, i, "--gcp-table", &v)) != 0) {
        if (r < 0)
            return -CLI_EXIT_USAGE;
        c->gcp_file = v;
        return 1;
    }
    if ((r = cli_opt(argc, argv, i, "--gcp-length", &v)) != 0) {
        char *end;
        long n;
        if (r < 0)
            return -CLI_EXIT_USAGE;
        n = strtol(v, &end, 10);
        if (end == v || *end || n < 6 || n > 12) {
            cli_usage(cmd, "--gcp-length \"%s\": a GS1 Company Prefix has 6 to 12 digits", v);
            return -CLI_EXIT_USAGE;
        }
        c->opts.gcp_length = (int)n;
        return 1;
    }
    return 0;
}

int cli_ident_load(cli_ident_cfg_t *c)
{
    gs1_err_t err;
    int rc;
    const char *f = c->gcp_file;
    if (!f) {
        f = getenv("KETEN_GCP_TABLE");
        if (f && !*f)
            f = NULL;
    }
    if (!f)
        return 0;
    if ((rc = gs1_gcp_load(f, &c->gcp, &err))) {
        fprintf(stderr, "keten: GCP length table: %s\n", err.msg);
        return cli_exit_code(rc);
    }
    c->opts.gcp = c->gcp;
    return 0;
}

void cli_ident_free(cli_ident_cfg_t *c)
{
    gs1_gcp_free(c->gcp);
    c->gcp = NULL;
    c->opts.gcp = NULL;
}

int cli_ident_arg(const char *cmd, const char *arg, ledger_key_t **out)
{
    ledger_err_t err;
    char shown[256];
    int rc;
    if (!(*out = malloc(sizeof **out))) {
        fprintf(stderr, "keten %s: out of memory\n", cmd);
        return CLI_EXIT_ENV;
    }
    /* the one reading of the identifier: everything below takes the key */
    if ((rc = ledger_key_read(arg, *out, &err))) {
        fprintf(stderr, "keten %s: %s: %s\n", cmd,
                cli_ident_show(arg, strlen(arg), shown, sizeof shown), err.msg);
        free(*out);
        *out = NULL;
        return cli_exit_code(rc);
    }
    return 0;
}

char *cli_ident_show(const char *code, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    if (cap == 0)
        return out;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)code[i];
        char tmp[8];
        size_t n;
        if (ch == 0x1d)
            n = (size_t)snprintf(tmp, sizeof tmp, "<GS>");
        else if (ch < 0x20 || ch == 0x7f)
            n = (size_t)snprintf(tmp, sizeof tmp, "\\x%02X", ch);
        else
            tmp[0] = (char)ch, tmp[1] = '\0', n = 1;
        if (o + n + 4 > cap || o >= 120) {
            if (o + 4 <= cap)
                memcpy(out + o, "...", 3), o += 3;
            break;
        }
        memcpy(out + o, tmp, n);
        o += n;
    }
    out[o < cap ? o : cap - 1] = '\0';
    return out;
}

/* ---- decode ----------------------------------------------------------- */

static void row(const char *name, const char *value)
{
    if (value && *value)
        printf("%-15s %s\n", name, value);
}

static void print_ident(const gs1_ident_t *id)
{
    char shown[256];
    printf("%-15s %s\n", "input",
           cli_ident_show(id->input, strlen(id->input), shown, sizeof shown));
    printf("%-15s %s (read as %s)\n", "scheme", id->scheme, id->kind);
    row("key", id->key);
    row("digital link", id->dl);
    row("element string", id->element_string);
    row("epc urn", id->epc_urn);
    row("epc tag urn", id->epc_tag_urn);
    row("epc hex", id->epc_hex);
    if (id->gcp_length > 0) {
        const char *src = id->gcp_source ? id->gcp_source : "";
        printf("%-15s %d (%s)\n", "gcp length", id->gcp_length,
               strcmp(src, "epc") == 0      ? "carried by the EPC"
               : strcmp(src, "option") == 0 ? "from --gcp-length"
               : strcmp(src, "table") == 0  ? "from the GCP length table"
                                            : src);
    }
    for (size_t i = 0; i < id->nfields; i++) {
        const gs1_ident_field_t *f = &id->fields[i];
        printf("%-15s (%s) %s%s%s\n", i == 0 ? "fields" : "", f->ai, f->value, f->title ? "  " : "",
               f->title ? f->title : "");
    }
    row("note", id->note);
    if (!id->epc_urn && id->gcp_length == 0 && id->element_string && id->note)
        printf("%-15s %s\n", "", "(keten: --gcp-length N or --gcp-table FILE)");
}

/* ---- JSON ---------------------------------------------------------------- */

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* The identifier as a JSON object (a new reference in *out), for `keten
 * decode --json`: every member always present (null when absent).  0 or
 * LEDGER_ENOMEM. */
static int ident_to_json(const gs1_ident_t *id, json_t **out)
{
    json_t *o = json_object(), *fields = json_array();
    int bad = !o || !fields;

    *out = NULL;
    bad |= json_object_set_new(o, "input", jstr(id->input));
    bad |= json_object_set_new(o, "kind", jstr(id->kind));
    bad |= json_object_set_new(o, "scheme", jstr(id->scheme));
    bad |= json_object_set_new(o, "key", jstr(id->key));
    bad |= json_object_set_new(o, "dl", jstr(id->dl));
    bad |= json_object_set_new(o, "element_string", jstr(id->element_string));
    bad |= json_object_set_new(o, "epc_urn", jstr(id->epc_urn));
    bad |= json_object_set_new(o, "epc_tag_urn", jstr(id->epc_tag_urn));
    bad |= json_object_set_new(o, "epc_hex", jstr(id->epc_hex));
    bad |= json_object_set_new(o, "gcp_length",
                               id->gcp_length ? json_integer(id->gcp_length) : json_null());
    bad |= json_object_set_new(o, "gcp_source", jstr(id->gcp_source));
    bad |= json_object_set_new(o, "note", jstr(id->note));
    for (size_t i = 0; !bad && i < id->nfields; i++) {
        json_t *f = json_object();
        bad |= !f;
        bad |= json_object_set_new(f, "ai", json_string(id->fields[i].ai));
        bad |= json_object_set_new(f, "title", jstr(id->fields[i].title));
        bad |= json_object_set_new(f, "value", jstr(id->fields[i].value));
        bad |= json_array_append_new(fields, f);
    }
    bad |= json_object_set_new(o, "fields", fields);
    if (bad) {
        json_decref(o);
        return LEDGER_ENOMEM;
    }
    *out = o;
    return 0;
}

static int decode_one(const cli_ctx_t *ctx, const cli_ident_cfg_t *c, const char *code, size_t len,
                      int *printed)
{
    gs1_ident_t id = {0};
    gs1_err_t err;
    char shown[256];
    int rc = gs1_ident_parse(code, len, &c->opts, &id, &err);
    if (rc) {
        fprintf(stderr, "keten decode: %s: %s\n", cli_ident_show(code, len, shown, sizeof shown),
                err.msg);
        return cli_exit_code(rc);
    }
    if (ctx->json) {
        json_t *j = NULL;
        char *text;
        if ((rc = ident_to_json(&id, &j)) ||
            !(text = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII))) {
            json_decref(j);
            gs1_ident_clear(&id);
            fprintf(stderr, "keten: out of memory\n");
            return CLI_EXIT_ENV;
        }
        puts(text);
        free(text);
        json_decref(j);
    } else {
        if ((*printed)++)
            putchar('\n');
        print_ident(&id);
    }
    gs1_ident_clear(&id);
    return 0;
}

int cli_decode_main(cli_ctx_t *ctx, int argc, char **argv)
{
    cli_ident_cfg_t c = {0};
    const char **codes;
    size_t ncodes = 0;
    int rc = 0, worst = 0, printed = 0;

    if (!(codes = calloc((size_t)argc, sizeof *codes)))
        return CLI_EXIT_ENV;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int o;
        if (cli_is_help(a)) {
            printf(decode_usage, cli_ident_options_usage);
            free(codes);
            return 0;
        }
        if ((o = cli_common_option(ctx, argc, argv, &i)) != 0 ||
            (o = cli_ident_option(&c, "decode", argc, argv, &i)) != 0) {
            if (o < 0) {
                free(codes);
                return CLI_EXIT_USAGE;
            }
            continue;
        }
        if (strcmp(a, "--") == 0) {
            while (++i < argc)
                codes[ncodes++] = argv[i];
            break;
        }
        if (a[0] == '-' && a[1] == '-') {
            free(codes);
            return cli_usage("decode", "unknown option %s", a);
        }
        codes[ncodes++] = a;
    }
    if (!ncodes) {
        free(codes);
        return cli_usage("decode", "what should I decode? give a CODE, or '-' to read lines "
                                   "from stdin");
    }
    if ((rc = cli_ident_load(&c))) {
        free(codes);
        return rc;
    }
    for (size_t k = 0; k < ncodes; k++) {
        if (strcmp(codes[k], "-") == 0) {
            char *line = NULL;
            size_t cap = 0;
            ssize_t n;
            while ((n = getline(&line, &cap, stdin)) >= 0) {
                while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                    n--;
                if (n == 0)
                    continue;
                if ((rc = decode_one(ctx, &c, line, (size_t)n, &printed)) && rc > worst)
                    worst = rc;
            }
            free(line);
            continue;
        }
        if ((rc = decode_one(ctx, &c, codes[k], strlen(codes[k]), &printed)) && rc > worst)
            worst = rc;
    }
    fflush(stdout);
    cli_ident_free(&c);
    free(codes);
    return worst;
}

/* ---- label ------------------------------------------------------------ */

int cli_label_main(cli_ctx_t *ctx, int argc, char **argv)
{
    cli_ident_cfg_t c = {0};
    reader_label_opts_t lo = {0};
    reader_label_info_t info;
    gs1_ident_t id = {0};
    ledger_err_t err;
    gs1_err_t gerr;
    const char *text = NULL, *out = NULL, *v, *encode;
    int raw = 0, rc, r;
    char shown[256];

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            printf(label_usage, cli_ident_options_usage);
            return 0;
        }
        if ((r = cli_common_option(ctx, argc, argv, &i)) != 0 ||
            (r = cli_ident_option(&c, "label", argc, argv, &i)) != 0) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        if ((r = cli_opt(argc, argv, &i, "--out", &v)) != 0) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            out = v;
        } else if ((r = cli_opt(argc, argv, &i, "--ec", &v)) != 0) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            if (strlen(v) != 1 || !strchr("LMQHlmqh", v[0]))
                return cli_usage("label", "--ec \"%s\": give L, M, Q or H", v);
            lo.ec_level = v[0];
        } else if ((r = cli_opt(argc, argv, &i, "--module", &v)) != 0) {
            char *end;
            long n;
            if (r < 0)
                return CLI_EXIT_USAGE;
            n = strtol(v, &end, 10);
            if (end == v || *end || n < 1 || n > 64)
                return cli_usage("label", "--module \"%s\": pixels per module, 1..64", v);
            lo.module_px = (int)n;
        } else if ((r = cli_opt(argc, argv, &i, "--caption", &v)) != 0) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            lo.caption = v;
        } else if ((r = cli_opt(argc, argv, &i, "--format", &v)) != 0) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            if (strcmp(v, "png") == 0)
                lo.format = READER_LABEL_PNG;
            else if (strcmp(v, "svg") == 0)
                lo.format = READER_LABEL_SVG;
            else
                return cli_usage("label", "--format \"%s\": png or svg", v);
        } else if (strcmp(a, "--no-caption") == 0) {
            lo.no_caption = 1;
        } else if (strcmp(a, "--raw") == 0) {
            raw = 1;
        } else if (a[0] == '-' && a[1] == '-') {
            return cli_usage("label", "unknown option %s", a);
        } else if (text) {
            return cli_usage("label", "one TEXT per label (quote it if it has spaces)");
        } else {
            text = a;
        }
    }
    if (!text)
        return cli_usage("label", "what should the label say? give a TEXT, e.g. a Digital Link");
    if (!out)
        return cli_usage("label", "where to? give --out FILE.png or --out FILE.svg");
    if ((rc = cli_ident_load(&c)))
        return rc;
    encode = text;
    if (!raw) {
        rc = gs1_ident_parse(text, strlen(text), &c.opts, &id, &gerr);
        if (rc) {
            fprintf(stderr,
                    "keten label: %s: %s\n"
                    "(give --raw to encode this text anyway)\n",
                    cli_ident_show(text, strlen(text), shown, sizeof shown), gerr.msg);
            cli_ident_free(&c);
            return cli_exit_code(rc);
        }
        if (strcmp(id.kind, "nfc-uid") == 0) {
            fprintf(stderr,
                    "keten label: %s is an NFC tag's UID, not something to print as a QR "
                    "code (give --raw to encode it anyway)\n",
                    text);
            gs1_ident_clear(&id);
            cli_ident_free(&c);
            return CLI_EXIT_INPUT;
        }
        if (strcmp(id.kind, "dl") != 0 && strcmp(id.kind, "url") != 0 && id.dl) {
            encode = id.dl;
            fprintf(stderr, "keten label: encoding the GS1 Digital Link of %s: %s\n",
                    cli_ident_show(text, strlen(text), shown, sizeof shown), encode);
        }
    }
    if (strcmp(out, "-") == 0) {
        if (lo.format == READER_LABEL_AUTO) {
            gs1_ident_clear(&id);
            cli_ident_free(&c);
            return cli_usage("label", "--out -: give --format png or --format svg");
        }
        rc = reader_label_write_fp(stdout, lo.format, encode, &lo, &info, &err);
        if (!rc && fflush(stdout) != 0)
            rc = ledger_err_set(&err, LEDGER_EIO, "cannot write the label to stdout");
    } else {
        rc = reader_label_write(out, encode, &lo, &info, &err);
    }
    if (rc) {
        fprintf(stderr, "keten label: %s\n", err.msg);
        gs1_ident_clear(&id);
        cli_ident_free(&c);
        return cli_exit_code(rc);
    }
    if (strcmp(out, "-") == 0) {
        /* stdout holds the image */
    } else if (ctx->json) {
        char ec[2] = {info.ec_level, '\0'};
        json_t *j = json_pack("{s:s, s:s, s:i, s:i, s:s, s:i, s:i}", "out", out, "text", encode,
                              "version", info.version, "modules", info.modules, "ec", ec, "width",
                              info.width, "height", info.height);
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (s)
            puts(s);
        free(s);
        json_decref(j);
    } else {
        printf("%s: QR version %d, %d modules, EC level %c, %dx%d px: %s\n", out, info.version,
               info.modules, info.ec_level, info.width, info.height, encode);
    }
    gs1_ident_clear(&id);
    cli_ident_free(&c);
    return 0;
}

/* cli_convert.c -- `keten convert IN [--to jsonld] [--out F] [--indent N]`.
 *
 * Reads IN ("-": stdin) with ledger_epcis_doc_foreach, whose binding it
 * tells by content, twice: the first pass checks every event and shows it
 * to the export writer's scan (the namespaces of the document head), the
 * second writes each event (ledger_epcis_export.h). One event is in memory
 * at a time; nothing is written before the whole input has been read and
 * checked, so bad input writes nothing (exit 3); --out F is written as
 * F.tmp and renamed to F when complete, unless F exists and is not a
 * regular file (/dev/null, a FIFO), which is written in place. The events keep their event
 * hashes (docs/xml.md). --to xml writes EPCIS 2.0 XML with
 * ledger_epcis_xmlw.h instead (its first pass checks and writes each event
 * to /dev/null, so that what XML cannot hold is found before any output;
 * --namespace gives the writer prefixes no inline @context binds). */
#include "cli_convert.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ledger_epcis.h"
#include "ledger_epcis_export.h"
#include "ledger_epcis_xmlw.h"

static const char usage[] =
    "usage: keten convert IN [--to jsonld|xml] [--out FILE] [--indent N]\n"
    "                        [--namespace PREFIX=URI]...\n"
    "\n"
    "Writes the EPCIS document IN ('-': stdin) as an EPCIS 2.0 EPCISDocument, JSON-LD\n"
    "or XML (stdout, or FILE). IN is JSON-LD, or EPCIS 2.0 or 1.x XML (told by content);\n"
    "EPCIS 1.x is brought to the 2.0 model. No home is needed. Every event is\n"
    "checked as `record` checks it, and keeps its event hash. Bad input writes\n"
    "nothing (exit 3).\n"
    "\n"
    "Options:\n"
    "  --to jsonld|xml    the output binding (default jsonld); xml is EPCIS 2.0 XML,\n"
    "                     valid against GS1's XSD\n"
    "  --out FILE         write to FILE instead of stdout\n"
    "  --indent N         indent the document N spaces per level (1..8; JSON-LD only)\n"
    "  --namespace P=URI  XML only: the namespace of an extension prefix P that an\n"
    "                     event's own @context does not bind (a remote context,\n"
    "                     never fetched)\n";

static int scan_event(json_t *ev, size_t i, void *ctx)
{
    ledger_err_t err;
    (void)i;
    return ledger_epcis_export_scan(ctx, ev, &err);
}

typedef struct writing {
    ledger_epcis_export_t *ex;
    ledger_epcis_xmlw_t *xw;
    ledger_err_t *err;
} writing_t;

static int write_event(json_t *ev, size_t i, void *ctx)
{
    writing_t *w = ctx;
    int rc = w->xw ? ledger_epcis_xmlw_event(w->xw, ev, w->err)
                   : ledger_epcis_export_event(w->ex, ev, w->err);
    if (rc < 0)
        ledger_err_prefix(w->err, "event %zu", i);
    return rc;
}

int cli_convert_main(cli_ctx_t *ctx, int argc, char **argv)
{
    const char *in = NULL, *to = "jsonld", *outpath = NULL, *indent = NULL;
    char *buf = NULL, *tmp = NULL;
    size_t len = 0, n = 0;
    int mapped = 0, rc = 0, ind = 0, xml = 0;
    ledger_epcis_export_t *ex = NULL;
    ledger_epcis_xmlw_t *xw = NULL, *check = NULL;
    cli_xml_ns_t ns = {.n = 0};
    ledger_err_t err;
    struct stat st;
    FILE *out = stdout, *null = NULL;

    for (int i = 1; i < argc; i++) {
        int o;
        if (cli_is_help(argv[i])) {
            fputs(usage, stdout);
            return 0;
        }
        if ((o = cli_common_option(ctx, argc, argv, &i)) != 0 ||
            (o = cli_opt(argc, argv, &i, "--to", &to)) != 0 ||
            (o = cli_opt(argc, argv, &i, "--out", &outpath)) != 0 ||
            (o = cli_opt(argc, argv, &i, "--indent", &indent)) != 0 ||
            (o = cli_xml_ns_opt(&ns, argc, argv, &i)) != 0) {
            if (o < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_usage("convert", "unknown option %s", argv[i]);
        if (in)
            return cli_usage("convert", "give one input document, not %s and %s", in, argv[i]);
        in = argv[i];
    }
    if (!in)
        return cli_usage("convert", "give the document to convert ('-' for stdin)");
    if (strcmp(to, "jsonld") != 0 && strcmp(to, "xml") != 0)
        return cli_usage("convert", "--to takes jsonld or xml, not %s", to);
    xml = strcmp(to, "xml") == 0;
    if (xml && indent)
        return cli_usage("convert", "--indent is for JSON-LD; XML is written one event a line");
    if (ns.n && !xml)
        return cli_usage("convert", "--namespace is for --to xml (JSON-LD keeps each event's "
                                    "@context)");
    if (indent) {
        char *end;
        errno = 0;
        long v = strtol(indent, &end, 10);
        if (errno || *end || v < 1 || v > 8)
            return cli_usage("convert", "--indent takes 1 to 8, not %s", indent);
        ind = (int)v;
    }
    if ((rc = cli_map_file(in, &buf, &len, &mapped)))
        return rc;
    /* FILE is written as FILE.tmp and renamed once complete; what is not a
     * regular file (/dev/null, a FIFO, a terminal) is written in place,
     * never replaced */
    if (outpath && stat(outpath, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (!(out = fopen(outpath, "w"))) {
            fprintf(stderr, "keten: %s: %s\n", outpath, strerror(errno));
            out = stdout;
            rc = CLI_EXIT_ENV;
            goto done;
        }
    } else if (outpath) {
        size_t l = strlen(outpath) + 5;
        if (!(tmp = malloc(l))) {
            rc = CLI_EXIT_ENV;
            goto done;
        }
        snprintf(tmp, l, "%s.tmp", outpath);
        if (!(out = fopen(tmp, "w"))) {
            fprintf(stderr, "keten: %s: %s\n", tmp, strerror(errno));
            out = stdout;
            rc = CLI_EXIT_ENV;
            goto done;
        }
    }
    /* pass 1 reads and checks everything (nothing is written yet), pass 2
     * writes; for XML pass 1 also writes each event to /dev/null, so that
     * an event XML cannot hold is found before anything is written */
    if (xml) {
        writing_t c = {NULL, NULL, &err};
        if (!(null = fopen("/dev/null", "w"))) {
            fprintf(stderr, "keten: /dev/null: %s\n", strerror(errno));
            rc = CLI_EXIT_ENV;
            goto done;
        }
        if ((rc = ledger_epcis_xmlw_new(null, LEDGER_EPCIS_XMLW_DOCUMENT, &check, &err)) < 0 ||
            (rc = cli_xml_ns_apply(&ns, check, &err)) < 0 ||
            (rc = ledger_epcis_xmlw_begin(check, &err)) < 0)
            goto fail;
        c.xw = check;
        if ((rc = ledger_epcis_doc_foreach(buf, len, in, write_event, &c, &n, &err)) < 0)
            goto fail;
        if ((rc = ledger_epcis_xmlw_new(out, LEDGER_EPCIS_XMLW_DOCUMENT, &xw, &err)) < 0 ||
            (rc = cli_xml_ns_apply(&ns, xw, &err)) < 0 ||
            (rc = ledger_epcis_xmlw_begin(xw, &err)) < 0)
            goto fail;
    } else if ((rc = ledger_epcis_export_new(out, &ex, &err)) < 0 ||
               (ind && (rc = ledger_epcis_export_set_indent(ex, ind)) < 0) ||
               (rc = ledger_epcis_doc_foreach(buf, len, in, scan_event, ex, &n, &err)) < 0 ||
               (rc = ledger_epcis_export_begin(ex, &err)) < 0)
        goto fail;
    writing_t w = {ex, xw, &err};
    if ((rc = ledger_epcis_doc_foreach(buf, len, in, write_event, &w, NULL, &err)) < 0)
        goto fail;
    rc = xml ? ledger_epcis_xmlw_end(xw, &err) : ledger_epcis_export_end(ex, &err);
    ex = NULL;
    xw = NULL;
    if (rc < 0)
        goto fail;
    if (out != stdout) {
        int bad = fclose(out) != 0 || (tmp && rename(tmp, outpath) != 0);
        out = stdout;
        if (bad) {
            fprintf(stderr, "keten: %s: %s\n", outpath, strerror(errno));
            if (tmp)
                unlink(tmp);
            rc = CLI_EXIT_ENV;
            goto done;
        }
    }
    fprintf(stderr, "keten: converted %zu event%s\n", n, n == 1 ? "" : "s");
    rc = 0;
    goto done;
fail:
    ledger_epcis_export_free(ex);
    ledger_epcis_xmlw_free(xw);
    rc = cli_fail(ctx, rc, &err);
    if (out != stdout) {
        fclose(out);
        out = stdout;
        if (tmp)
            unlink(tmp);
    }
done:
    ledger_epcis_xmlw_free(check);
    if (null)
        fclose(null);
    if (out != stdout)
        fclose(out);
    free(tmp);
    cli_unmap_file(buf, len, mapped);
    return rc;
}

/* cli_common.h -- what every `keten` command shares: the global options,
 * opening the home, loading the key with its passphrase, reading input
 * files, printing errors, and the exit codes.
 *
 * Exit codes (docs/cli.md): 0 ok; 1 verification failed or not found;
 * 2 usage error; 3 bad input; 4 environment (I/O, no home, locked, key). */
#ifndef CLI_COMMON_H
#define CLI_COMMON_H

#include <stddef.h>
#include <stdio.h>

#include "ledger_error.h"
#include "ledger_home.h"

enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILED = 1,
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_INPUT = 3,
    CLI_EXIT_ENV = 4,
};

/* Options every command accepts (before or after its name). */
typedef struct cli_ctx {
    const char *home;     /* --home, else $KETEN_HOME, else NULL */
    const char *passfile; /* --passphrase-file, else $KETEN_PASSPHRASE_FILE */
    int json;             /* --json */
    const char *prog;     /* "keten" */
} cli_ctx_t;

/* The exit code for a ledger error code. */
int cli_exit_code(int ledger_rc);

/* Prints "keten: <msg>" to stderr and returns the exit code for rc. */
int cli_fail(const cli_ctx_t *ctx, int rc, const ledger_err_t *err);

/* Prints "keten <cmd>: <printf message>" and a hint to use --help; returns 2. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Opens the home named by ctx (LEDGER_STORE_RDONLY in flags to read only).
 * Prints the error and returns its exit code, or 0 with *out set. */
int cli_open_home(const cli_ctx_t *ctx, unsigned flags, ledger_home_t **out);

/* Loads the signing key of home, reading the passphrase file when the key is
 * sealed. Prints the error and returns its exit code, or 0. */
int cli_identity(const cli_ctx_t *ctx, ledger_home_t *home, const ledger_identity_t **out);

/* Reads a passphrase file (first line, without the line end) into secure
 * memory *pass (sodium_free it). Prints errors; returns exit code or 0. */
int cli_read_passphrase(const char *file, char **pass, size_t *len);

/* Reads a whole file ("-" = stdin) into a malloc'd buffer. Prints errors;
 * returns exit code or 0. */
int cli_read_file(const char *path, char **buf, size_t *len);

/* The bytes of a file for reading: a regular file is mapped (its pages are
 * the page cache's, given back under memory pressure, not the process's
 * heap); stdin ("-") and other files are read with cli_read_file. *mapped
 * says which; give all three to cli_unmap_file. Prints errors; returns
 * exit code or 0. */
int cli_map_file(const char *path, char **buf, size_t *len, int *mapped);
void cli_unmap_file(char *buf, size_t len, int mapped);

/* Is s "--json" etc.: handles the options every command accepts, at argv[*i]
 * (advancing *i past a value). 1 when handled, 0 when not, -1 usage error. */
int cli_common_option(cli_ctx_t *ctx, int argc, char **argv, int *i);

/* 1 when argv[i] asks for help (-h, --help). */
int cli_is_help(const char *arg);

/* For the query commands (trace, recall, lifecycle, bundle): keep the
 * memory that is freed instead of giving it back to the system, which
 * glibc would do after each burst of a walk and then fault it in again. */
void cli_keep_memory(void);

/* Matches argv[*i] against the long option name ("--biz-step"), taking its
 * value from "--name=value" or the next argument (advancing *i). 1 matched
 * (*val set), 0 not this option, -1 value missing (message printed). */
int cli_opt(int argc, char **argv, int *i, const char *name, const char **val);

/* The --namespace PREFIX=URI options of the XML writers (export --xml,
 * convert --to xml), up to CLI_XML_NS_MAX: argv views. */
#define CLI_XML_NS_MAX 32
typedef struct cli_xml_ns {
    const char *v[CLI_XML_NS_MAX];
    size_t n;
} cli_xml_ns_t;
/* Matches --namespace at argv[*i] (as cli_opt) and keeps its value.
 * 1 matched, 0 not this option, -1 usage error (message printed). */
int cli_xml_ns_opt(cli_xml_ns_t *ns, int argc, char **argv, int *i);
/* Gives each kept PREFIX=URI to the writer w (ledger_epcis_xmlw_namespace).
 * 0, or the writer's error in err (LEDGER_EINPUT for a bad one). */
struct ledger_epcis_xmlw;
int cli_xml_ns_apply(const cli_xml_ns_t *ns, struct ledger_epcis_xmlw *w, ledger_err_t *err);

#endif

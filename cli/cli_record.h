/* cli_record.h -- `keten record`: record EPCIS events into the own feed,
 * from JSON-LD files (or stdin) or built from command-line options.
 *
 * The event options (--type, --action, --epc, --biz-step, --read-point,
 * --source, --ilmd, ...; `keten record --help` lists them) are shared with
 * `keten scan`, which builds its event template with the same code. */
#ifndef CLI_RECORD_H
#define CLI_RECORD_H

#include <jansson.h>

#include "cli_common.h"

/* argv[0] is "record". Returns the process exit code. */
int cli_record_main(cli_ctx_t *ctx, int argc, char **argv);

/* 1 when arg is one of the event options ("--biz-step" or
 * "--biz-step=VALUE"); every event option takes a value. */
int cli_record_is_event_option(const char *arg);

/* Builds one event from the event options found in argv[1..argc) (other
 * arguments are ignored): type (default ObjectEvent), action (default
 * OBSERVE, none for a TransformationEvent), eventTime and
 * eventTimeZoneOffset (--event-time, default now in the local zone) and the
 * members the options name. The event is not checked. Returns 0 with a new
 * reference in *out, or an exit code after a usage message that names cmd
 * ("record", "scan"). */
int cli_record_build_event(const char *cmd, int argc, char **argv, json_t **out);

#endif

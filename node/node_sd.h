/* node_sd.h -- the node under systemd: readiness, watchdog, stopping, and
 * whether stderr goes to the journal (libsystemd's sd_notify protocol).
 *
 * Every call is harmless outside systemd: with no $NOTIFY_SOCKET the
 * notifications go nowhere, and the watchdog is off unless systemd set
 * $WATCHDOG_USEC for this process. The unit files that use them are in
 * dist/systemd/ (docs/operations.md, "Running it as a service").
 */
#ifndef NODE_SD_H
#define NODE_SD_H

#include <stdint.h>

/* READY=1 with a STATUS line (status may be NULL): the node listens and
 * serves; systemd's `Type=notify` start finishes here. */
void node_sd_ready(const char *status);

/* STATUS=... alone (status is shown by `systemctl status`). */
void node_sd_status(const char *status);

/* RELOADING=1 before re-reading settings, READY=1 after (SIGHUP). */
void node_sd_reloading(int done);

/* STOPPING=1: the node shuts down. */
void node_sd_stopping(void);

/* The interval in ms at which the loop should send WATCHDOG=1 (half of
 * systemd's WatchdogSec), or 0 when no watchdog is asked for. */
uint64_t node_sd_watchdog_ms(void);

/* WATCHDOG=1: the loop is alive. */
void node_sd_watchdog(void);

/* 1 when stderr is the journal ($JOURNAL_STREAM names stderr's device and
 * inode): the log leaves out its own timestamps, journald keeps one. */
int node_sd_stderr_is_journal(void);

#endif

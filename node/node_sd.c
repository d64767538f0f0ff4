/* node_sd.c -- the node under systemd (see node_sd.h): thin calls to
 * libsystemd's sd_notify and sd_watchdog_enabled, and the $JOURNAL_STREAM
 * check systemd.exec(5) describes (stderr's "device:inode"). */
#include "node_sd.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

static void notify2(const char *state, const char *status)
{
    if (status)
        sd_notifyf(0, "%s\nSTATUS=%s", state, status);
    else
        sd_notify(0, state);
}

void node_sd_ready(const char *status)
{
    notify2("READY=1", status);
}

void node_sd_status(const char *status)
{
    if (status)
        sd_notifyf(0, "STATUS=%s", status);
}

void node_sd_reloading(int done)
{
    sd_notify(0, done ? "READY=1" : "RELOADING=1");
}

void node_sd_stopping(void)
{
    sd_notify(0, "STOPPING=1");
}

uint64_t node_sd_watchdog_ms(void)
{
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
        return 0;
    return usec / 2000 ? usec / 2000 : 1;
}

void node_sd_watchdog(void)
{
    sd_notify(0, "WATCHDOG=1");
}

int node_sd_stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat sb;
    if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &sb) != 0)
        return 0;
    return (unsigned long long)sb.st_dev == dev && (unsigned long long)sb.st_ino == ino;
}

/* test_node_conf.c -- what a node keeps in its home (node_conf.h): the
 * addresses a node can dial (IPv4, [IPv6], host names; ports 1..65535) and
 * those it refuses with LEDGER_EINPUT and a message naming them; the lock
 * that keeps one node per home (a second process is refused and told the
 * holder's pid; the lock dies with its process, leaving no stale lock). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "node_capture_nats.h"
#include "node_conf.h"

static void test_addresses_taken(void **state)
{
    static const struct {
        const char *addr;
        int kind;
    } good[] = {
        {"10.0.0.5:7401", NODE_HOST_IP4},
        {"127.0.0.1:1", NODE_HOST_IP4},
        {"0.0.0.0:65535", NODE_HOST_IP4},
        {"[2001:db8::5]:7401", NODE_HOST_IP6},
        {"[::1]:7401", NODE_HOST_IP6},
        {"localhost:7401", NODE_HOST_NAME},
        {"keten.example.org:7401", NODE_HOST_NAME},
        {"a-b.c1.example.:7401", NODE_HOST_NAME},
        {"slachthuis-01:7401", NODE_HOST_NAME},
    };
    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        ledger_err_t err;
        int kind = -1;
        if (node_addr_check(good[i].addr, &kind, &err) != 0)
            fail_msg("%s refused: %s", good[i].addr, err.msg);
        assert_int_equal(kind, good[i].kind);
    }
}

static void test_addresses_refused(void **state)
{
    static const char *bad[] = {
        "999.1.1.1:7401",
        "256.0.0.1:7401",
        "1.2.3:7401",
        "1.2.3.4.5:7401",
        "10.0.0.5",
        "10.0.0.5:",
        ":7401",
        "localhost:0",
        "localhost:65536",
        "localhost:-1",
        "localhost:74x1",
        "localhost: 7401",
        "[::1]",
        "[::1",
        "[fe80::zz]:7401",
        "::1:7401",
        "bad host:7401",
        "-x.example:7401",
        "x-.example:7401",
        "a..b:7401",
        ".a:7401",
        "under_score:7401",
        "",
    };
    char longname[400];
    ledger_err_t err;
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = node_addr_check(bad[i], NULL, &err);
        if (rc != LEDGER_EINPUT)
            fail_msg("\"%s\" gave %d, want LEDGER_EINPUT", bad[i], rc);
        if (bad[i][0] && !strstr(err.msg, bad[i]))
            fail_msg("the message for \"%s\" does not name it: %s", bad[i], err.msg);
    }
    /* a label over 63 bytes, a name over 253 */
    memset(longname, 'a', 64);
    strcpy(longname + 64, ".example:7401");
    assert_int_equal(node_addr_check(longname, NULL, &err), LEDGER_EINPUT);
    for (int i = 0; i < 260; i += 2)
        longname[i] = 'a', longname[i + 1] = '.';
    strcpy(longname + 260, "b:7401");
    assert_int_equal(node_addr_check(longname, NULL, &err), LEDGER_EINPUT);
}

/* In a child: tries to take the lock of home; exits 0 taken, 9 locked (the
 * message names want_pid), 1 otherwise. */
static int child_takes(const char *home, long want_pid)
{
    pid_t pid = fork();
    int st;
    if (pid == 0) {
        ledger_err_t err;
        int fd, rc = node_lock_take(home, &fd, &err);
        char pidtext[32];
        snprintf(pidtext, sizeof pidtext, "pid %ld", want_pid);
        if (rc == 0)
            _exit(0);
        _exit(rc == LEDGER_ELOCKED && strstr(err.msg, pidtext) ? 9 : 1);
    }
    assert_true(pid > 0);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* "stream" in keten.json (node_stream_conf_load): defaults, the object
 * form, and names a NATS subject or stream cannot carry refused. */
static void put_conf(const char *home, const char *text)
{
    char path[200];
    FILE *f;
    snprintf(path, sizeof path, "%s/keten.json", home);
    assert_non_null(f = fopen(path, "w"));
    fputs(text, f);
    fclose(f);
}

static void test_stream_conf(void **state)
{
    char home[] = "/tmp/test_node_conf.XXXXXX", cmd[100];
    node_stream_conf_t c;
    ledger_err_t err;
    (void)state;
    assert_non_null(mkdtemp(home));
    put_conf(home, "{\"name\": \"x\"}");
    assert_int_equal(node_stream_conf_load(home, &c, &err), 0);
    assert_string_equal(c.servers, "");
    assert_string_equal(c.name, "KETEN");
    assert_string_equal(c.prefix, "keten.events");
    put_conf(home, "{\"stream\": \"nats://127.0.0.1:4222,tls://n2:4222\"}");
    assert_int_equal(node_stream_conf_load(home, &c, &err), 0);
    assert_string_equal(c.servers, "nats://127.0.0.1:4222,tls://n2:4222");
    put_conf(home, "{\"stream\": {\"servers\": \"nats://h:1\", \"name\": \"EV_1\", "
                   "\"subjectPrefix\": \"acme.keten\", \"creds\": \"/etc/k.creds\", "
                   "\"ca\": \"/etc/ca.pem\"}}");
    assert_int_equal(node_stream_conf_load(home, &c, &err), 0);
    assert_string_equal(c.name, "EV_1");
    assert_string_equal(c.prefix, "acme.keten");
    assert_string_equal(c.creds, "/etc/k.creds");
    assert_string_equal(c.ca, "/etc/ca.pem");
    static const char *const bad[] = {
        "{\"stream\": \"http://h:1\"}",
        "{\"stream\": \"nats://h:1,\"}",
        "{\"stream\": 5}",
        "{\"stream\": {\"servers\": \"nats://h:1\", \"name\": \"a.b\"}}",
        "{\"stream\": {\"servers\": \"nats://h:1\", \"subjectPrefix\": \"a.>\"}}",
        "{\"stream\": {\"servers\": \"nats://h:1\", \"subjectPrefix\": \"a..b\"}}",
        "{\"stream\": {\"servers\": \"nats://h:1\", \"subjectPrefix\": \"\"}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        put_conf(home, bad[i]);
        if (node_stream_conf_load(home, &c, &err) != LEDGER_EINPUT)
            fail_msg("accepted: %s", bad[i]);
    }
    assert_int_equal(node_stream_servers_ok("nats://a:1,nats://b:2", &err), 0);
    assert_int_equal(node_stream_servers_ok("", &err), LEDGER_EINPUT);
    assert_int_equal(node_stream_servers_ok("nats://", &err), LEDGER_EINPUT);
    snprintf(cmd, sizeof cmd, "rm -rf %s", home);
    assert_int_equal(system(cmd), 0);
}

/* "captureFrom" in keten.json and --capture-from (node_capture_nats.h):
 * the URL's servers and subject, the object form's members and defaults,
 * bad URLs, subjects and names refused. */
static void test_capture_conf(void **state)
{
    char home[] = "/tmp/test_node_conf.XXXXXX", cmd[100];
    node_cnats_conf_t c;
    ledger_err_t err;
    (void)state;
    assert_non_null(mkdtemp(home));
    put_conf(home, "{\"name\": \"x\"}");
    assert_int_equal(node_cnats_conf_load(home, &c, &err), 0);
    assert_string_equal(c.servers, "");
    assert_string_equal(c.durable, "keten-capture");
    assert_string_equal(c.dead, "keten.capture.errors");
    assert_int_equal(c.ack_wait_s, NODE_CNATS_ACK_WAIT_S);
    put_conf(home, "{\"captureFrom\": \"nats://127.0.0.1:4222,nats://n2:4222/mes.*.events\"}");
    assert_int_equal(node_cnats_conf_load(home, &c, &err), 0);
    assert_string_equal(c.servers, "nats://127.0.0.1:4222,nats://n2:4222");
    assert_string_equal(c.subject, "mes.*.events");
    put_conf(home, "{\"captureFrom\": {\"url\": \"tls://h:1/plant.>\", \"durable\": \"k1\", "
                   "\"deadLetter\": \"plant.dead\", \"deadLetterStream\": \"DEAD\", "
                   "\"stream\": \"PLANT\", \"ackWait\": 5, \"creds\": \"/etc/k.creds\"}}");
    assert_int_equal(node_cnats_conf_load(home, &c, &err), 0);
    assert_string_equal(c.servers, "tls://h:1");
    assert_string_equal(c.subject, "plant.>");
    assert_string_equal(c.durable, "k1");
    assert_string_equal(c.dead, "plant.dead");
    assert_string_equal(c.dead_stream, "DEAD");
    assert_string_equal(c.stream, "PLANT");
    assert_string_equal(c.creds, "/etc/k.creds");
    assert_int_equal(c.ack_wait_s, 5);
    static const char *const bad[] = {
        "{\"captureFrom\": \"nats://h:1\"}",
        "{\"captureFrom\": \"nats://h:1/\"}",
        "{\"captureFrom\": \"http://h:1/a\"}",
        "{\"captureFrom\": \"nats://h:1/a..b\"}",
        "{\"captureFrom\": \"nats://h:1/a.>.b\"}",
        "{\"captureFrom\": \"nats://h:1/a b\"}",
        "{\"captureFrom\": 5}",
        "{\"captureFrom\": {\"durable\": \"k\"}}",
        "{\"captureFrom\": {\"url\": \"nats://h:1/a\", \"durable\": \"a.b\"}}",
        "{\"captureFrom\": {\"url\": \"nats://h:1/a\", \"deadLetter\": \"d.>\"}}",
        "{\"captureFrom\": {\"url\": \"nats://h:1/a\", \"ackWait\": 0}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        put_conf(home, bad[i]);
        if (node_cnats_conf_load(home, &c, &err) != LEDGER_EINPUT)
            fail_msg("accepted: %s", bad[i]);
    }
    node_cnats_conf_init(&c); /* the dead letters must not be captured again */
    static const char *const takes[] = {">", "keten.>", "keten.*.errors", "*.capture.*",
                                        "keten.capture.errors"};
    static const char *const not_takes[] = {"keten", "keten.capture", "keten.capture.errors.x",
                                            "mes.>", "*.*", "keten.*"};
    for (size_t i = 0; i < sizeof takes / sizeof takes[0]; i++) {
        snprintf(c.subject, sizeof c.subject, "%s", takes[i]);
        if (node_cnats_conf_check(&c, &err) != LEDGER_EINPUT)
            fail_msg("%s takes keten.capture.errors: not refused", takes[i]);
    }
    for (size_t i = 0; i < sizeof not_takes / sizeof not_takes[0]; i++) {
        snprintf(c.subject, sizeof c.subject, "%s", not_takes[i]);
        if (node_cnats_conf_check(&c, &err) != 0)
            fail_msg("%s refused: %s", not_takes[i], err.msg);
    }
    assert_int_equal(node_cnats_url_parse("nats://a:1/x", &c, &err), 0);
    assert_int_equal(node_cnats_url_parse("nats://a:1", &c, &err), LEDGER_EINPUT);
    assert_non_null(strstr(err.msg, "names no subject"));
    snprintf(cmd, sizeof cmd, "rm -rf %s", home);
    assert_int_equal(system(cmd), 0);
}

static void test_lock(void **state)
{
    char home[] = "/tmp/test_node_conf.XXXXXX", path[64];
    ledger_err_t err;
    long pid = 123;
    int fd, pipefd[2], st;
    pid_t holder;
    char c;
    (void)state;
    assert_non_null(mkdtemp(home));
    /* nobody runs: no file, then a file nobody holds */
    assert_int_equal(node_lock_holder(home, &pid, &err), 0);
    assert_int_equal(pid, 0);
    assert_int_equal(node_lock_take(home, &fd, &err), 0);
    assert_int_equal(child_takes(home, (long)getpid()), 9); /* held by us: refused */
    node_lock_release(fd);
    assert_int_equal(node_lock_holder(home, &pid, &err), 0);
    assert_int_equal(pid, 0);
    assert_int_equal(child_takes(home, 0), 0);
    /* a holder killed with SIGKILL leaves the file but no lock */
    assert_int_equal(pipe(pipefd), 0);
    if ((holder = fork()) == 0) {
        int lfd;
        if (node_lock_take(home, &lfd, NULL))
            _exit(1);
        (void)write(pipefd[1], "x", 1);
        pause();
        _exit(0);
    }
    assert_int_equal(read(pipefd[0], &c, 1), 1);
    assert_int_equal(node_lock_holder(home, &pid, &err), 0);
    assert_int_equal(pid, (long)holder);
    assert_int_equal(child_takes(home, (long)holder), 9);
    kill(holder, SIGKILL);
    assert_int_equal(waitpid(holder, &st, 0), holder);
    snprintf(path, sizeof path, "%s/node.lock", home);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(node_lock_holder(home, &pid, &err), 0);
    assert_int_equal(pid, 0);
    assert_int_equal(node_lock_take(home, &fd, &err), 0);
    node_lock_release(fd);
    close(pipefd[0]);
    close(pipefd[1]);
    unlink(path);
    rmdir(home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addresses_taken),
        cmocka_unit_test(test_addresses_refused),
        cmocka_unit_test(test_lock),
        cmocka_unit_test(test_stream_conf),
        cmocka_unit_test(test_capture_conf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

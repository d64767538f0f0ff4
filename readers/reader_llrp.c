/* reader_llrp.c -- the "llrp:" reader: a fixed UHF reader (Impinj, Zebra,
 * Kathrein, ...) over LLRP 1.0.1 on TCP (messages: reader_llrp_msg.h).
 *
 * URI:  llrp:HOST[:PORT][?OPTION&OPTION...]   (PORT default 5084)
 *   antennas=1,2,3   the antennas to inventory (default: all of them)
 *   keepalive=S      the reader is asked for a KEEPALIVE every S seconds
 *                    (default 5, 1..3600); no message at all for 3 x S
 *                    seconds means the reader is gone
 *   timeout=S        how long each step of the connection may take
 *                    (connect, every response; default 5, 1..120)
 *   report=N         the reader reports after every N tags (default 1)
 *   session=S        the Gen 2 session to inventory in, 0..3 (default: the
 *                    reader's own setting).  A tunnel or portal wants 2 or 3
 *                    (a tag stays quiet for a while once read, so the
 *                    hundreds of a cart all get their turn); 0 or 1 for a
 *                    dock door that reads the same tags again and again
 *   population=N     with session=, the reader's estimate of the tags in
 *                    its field, 1..65535 (default 32); a cart of 300: 300
 *
 * How it works: poll() connects when there is no connection (at once the
 * first time, then with a backoff of 1, 2, 4 ... 30 s), which is done in
 * one go, each step bounded by timeout=: TCP connect, wait for the
 * READER_EVENT_NOTIFICATION whose ConnectionAttemptEvent says Success,
 * GET_READER_CAPABILITIES (antennas above MaxNumberOfAntennaSupported are
 * refused), SET_READER_CONFIG with a KeepaliveSpec, DELETE_ROSPEC (all),
 * ADD_ROSPEC (continuous inventory on the antennas), ENABLE_ROSPEC,
 * START_ROSPEC.  A poll that connects may thus take up to 8 x timeout=.
 * Then RO_ACCESS_REPORTs are read: bytes go into one buffer of
 * READER_LLRP_MSG_MAX + 64 KiB; a whole message is decoded only when the
 * tags of the previous one are all handed out, so memory stays bounded
 * whatever the reader sends (at most one message of tags is queued).
 * KEEPALIVE is answered with KEEPALIVE_ACK.  Each read is one tag: code =
 * the EPC in uppercase hex, tag_type "EPC-96" or "EPC-<bits>", the antenna,
 * PeakRSSI and TagSeenCount; its time is when keten received it.
 *
 * Errors: a header that cannot be right (version not 1, length under 10 or
 * over 1 MiB), a closed or reset connection, or silence past 3 x keepalive
 * drop the connection: LEDGER_EIO, and the next polls reconnect.  A message
 * whose header is right but whose body is malformed is skipped, and so is
 * an ERROR_MESSAGE: LEDGER_EINPUT, the connection stays.  Every message
 * names the reader (HOST:PORT) and the LLRP message type.  reader_close()
 * sends CLOSE_CONNECTION and waits up to a second for its response.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "reader__backend.h"
#include "reader_llrp_msg.h"

#define BUF_CAP (READER_LLRP_MSG_MAX + 65536)
#define ROSPEC_ID 1207 /* ours */
#define BACKOFF_MAX_MS 30000
#define CLOSE_WAIT_MS 1000

typedef struct {
    char host[256], port[8], name[272];
    uint16_t ant[READER_LLRP_ANTENNAS_MAX];
    size_t nant;
    unsigned keepalive_ms, step_ms, report_n;
    int session;         /* -1: the reader's own */
    unsigned population; /* TagPopulation with session >= 0 */
    int fd;
    uint32_t next_id;
    uint8_t *buf;
    size_t start, end; /* unread bytes: buf[start, end) */
    reader_llrp_tag_t *q;
    size_t qcap, qhead, qn;
    int64_t last_rx;      /* monotonic ms of the last byte received */
    int64_t next_connect; /* monotonic ms */
    unsigned backoff_ms;
} llrp_rd_t;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- URI ----------------------------------------------------------------- */

static int parse_uint(const char *v, size_t n, unsigned lo, unsigned hi, unsigned *out)
{
    unsigned long x = 0;
    if (n == 0 || n > 9)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        x = x * 10 + (unsigned long)(v[i] - '0');
    }
    if (x < lo || x > hi)
        return -1;
    *out = (unsigned)x;
    return 0;
}

static int parse_antennas(llrp_rd_t *st, const char *v, size_t n, ledger_err_t *err)
{
    const char *p = v, *end = v + n;
    st->nant = 0;
    while (p < end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        size_t len = c ? (size_t)(c - p) : (size_t)(end - p);
        unsigned a;
        if (parse_uint(p, len, 1, 65535, &a))
            return ledger_err_set(err, LEDGER_EINVAL,
                                  "antennas=%.*s: expected antenna numbers 1..65535 separated by "
                                  "commas, e.g. antennas=1,2",
                                  (int)n, v);
        for (size_t i = 0; i < st->nant; i++)
            if (st->ant[i] == a)
                return ledger_err_set(err, LEDGER_EINVAL, "antennas=%.*s: antenna %u twice",
                                      (int)n, v, a);
        if (st->nant == READER_LLRP_ANTENNAS_MAX)
            return ledger_err_set(err, LEDGER_EINVAL, "antennas=: at most %d antennas",
                                  READER_LLRP_ANTENNAS_MAX);
        st->ant[st->nant++] = (uint16_t)a;
        p += len + (c != NULL);
        if (c && p == end)
            return ledger_err_set(err, LEDGER_EINVAL, "antennas=%.*s: trailing comma", (int)n, v);
    }
    if (st->nant == 0)
        return ledger_err_set(err, LEDGER_EINVAL, "antennas=: no antenna given");
    return 0;
}

static int parse_option(llrp_rd_t *st, const char *o, size_t n, ledger_err_t *err)
{
    const char *eq = memchr(o, '=', n);
    size_t kl = eq ? (size_t)(eq - o) : n, vl = eq ? n - kl - 1 : 0;
    const char *v = eq ? eq + 1 : "";
    unsigned x;
#define KEY(k) (kl == sizeof(k) - 1 && memcmp(o, k, kl) == 0)
    if (KEY("antennas"))
        return parse_antennas(st, v, vl, err);
    if (KEY("keepalive")) {
        if (parse_uint(v, vl, 1, 3600, &x))
            return ledger_err_set(err, LEDGER_EINVAL, "keepalive=%.*s: expected seconds 1..3600",
                                  (int)vl, v);
        st->keepalive_ms = x * 1000;
        return 0;
    }
    if (KEY("timeout")) {
        if (parse_uint(v, vl, 1, 120, &x))
            return ledger_err_set(err, LEDGER_EINVAL, "timeout=%.*s: expected seconds 1..120",
                                  (int)vl, v);
        st->step_ms = x * 1000;
        return 0;
    }
    if (KEY("report")) {
        if (parse_uint(v, vl, 1, 65535, &x))
            return ledger_err_set(err, LEDGER_EINVAL, "report=%.*s: expected tags 1..65535",
                                  (int)vl, v);
        st->report_n = x;
        return 0;
    }
    if (KEY("session")) {
        if (parse_uint(v, vl, 0, 3, &x))
            return ledger_err_set(err, LEDGER_EINVAL,
                                  "session=%.*s: expected a Gen 2 session 0..3 (2 or 3 for a "
                                  "tunnel)",
                                  (int)vl, v);
        st->session = (int)x;
        return 0;
    }
    if (KEY("population")) {
        if (parse_uint(v, vl, 1, 65535, &x))
            return ledger_err_set(err, LEDGER_EINVAL,
                                  "population=%.*s: expected the tags in the field, 1..65535",
                                  (int)vl, v);
        st->population = x;
        return 0;
    }
#undef KEY
    return ledger_err_set(err, LEDGER_EINVAL,
                          "unknown option '%.*s' (known: antennas=, keepalive=, timeout=, "
                          "report=, session=, population=)",
                          (int)n, o);
}

static int parse_uri(llrp_rd_t *st, const char *arg, ledger_err_t *err)
{
    const char *q = strchr(arg, '?'), *hend = q ? q : arg + strlen(arg), *colon;
    size_t hl;
    st->keepalive_ms = 5000;
    st->step_ms = 5000;
    st->report_n = 1;
    st->session = -1;
    st->population = 0;
    snprintf(st->port, sizeof st->port, "5084");
    if (arg[0] == '[') { /* [IPv6]:port */
        const char *rb = memchr(arg, ']', (size_t)(hend - arg));
        if (!rb)
            return ledger_err_set(err, LEDGER_EINVAL, "expected llrp:[IPV6]:PORT");
        hl = (size_t)(rb - arg - 1);
        colon = rb + 1 < hend && rb[1] == ':' ? rb + 1 : NULL;
        if (hl == 0 || hl >= sizeof st->host)
            return ledger_err_set(err, LEDGER_EINVAL, "bad host");
        memcpy(st->host, arg + 1, hl);
    } else {
        colon = memchr(arg, ':', (size_t)(hend - arg));
        hl = (size_t)((colon ? colon : hend) - arg);
        if (hl == 0 || hl >= sizeof st->host)
            return ledger_err_set(err, LEDGER_EINVAL,
                                  "expected llrp:HOST[:PORT][?antennas=1,2], e.g. "
                                  "llrp:192.168.1.20 or llrp:reader1:5084?antennas=1,2");
        memcpy(st->host, arg, hl);
    }
    st->host[hl] = '\0';
    if (colon) {
        unsigned p;
        if (parse_uint(colon + 1, (size_t)(hend - colon - 1), 1, 65535, &p))
            return ledger_err_set(err, LEDGER_EINVAL, "port '%.*s': expected 1..65535",
                                  (int)(hend - colon - 1), colon + 1);
        snprintf(st->port, sizeof st->port, "%u", p);
    }
    snprintf(st->name, sizeof st->name, "%s%s%s:%s", strchr(st->host, ':') ? "[" : "", st->host,
             strchr(st->host, ':') ? "]" : "", st->port);
    for (const char *p = q ? q + 1 : NULL; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        int rc = parse_option(st, p, n, err);
        if (rc)
            return rc;
        p = amp ? amp + 1 : NULL;
    }
    if (st->population && st->session < 0)
        return ledger_err_set(err, LEDGER_EINVAL,
                              "population=%u needs session= (the reader takes its estimate "
                              "with a Gen 2 session), e.g. ?session=2&population=%u",
                              st->population, st->population);
    if (st->session >= 0 && !st->population)
        st->population = 32;
    return 0;
}

/* ---- the connection -------------------------------------------------------- */

static void drop(llrp_rd_t *st)
{
    if (st->fd >= 0)
        close(st->fd);
    st->fd = -1;
    st->start = st->end = 0;
    st->backoff_ms = st->backoff_ms ? st->backoff_ms * 2 : 1000;
    if (st->backoff_ms > BACKOFF_MAX_MS)
        st->backoff_ms = BACKOFF_MAX_MS;
    st->next_connect = mono_ms() + st->backoff_ms;
}

/* Sends all of b[0..n) within the step bound.  0 or LEDGER_EIO. */
static int send_all(llrp_rd_t *st, const uint8_t *b, size_t n, const char *what, ledger_err_t *err)
{
    int64_t deadline = mono_ms() + st->step_ms;
    while (n > 0) {
        ssize_t w = send(st->fd, b, n, MSG_NOSIGNAL);
        if (w > 0) {
            b += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return ledger_err_set(err, LEDGER_EIO, "reader %s: sending %s: %s", st->name, what,
                                  strerror(errno));
        int64_t left = deadline - mono_ms();
        struct pollfd pfd = {st->fd, POLLOUT, 0};
        if (left <= 0 || poll(&pfd, 1, (int)left) == 0)
            return ledger_err_set(err, LEDGER_EIO, "reader %s: sending %s timed out", st->name,
                                  what);
    }
    return 0;
}

static int send_msg(llrp_rd_t *st, const uint8_t *b, size_t n, ledger_err_t *err)
{
    char nb[32];
    reader_llrp_hdr_t h;
    ledger_err_t e2;
    if (n == 0)
        return ledger_err_set(err, LEDGER_EINVAL, "reader %s: message does not fit", st->name);
    reader_llrp_hdr_parse(b, &h, &e2);
    return send_all(st, b, n, reader_llrp_type_name(h.type, nb), err);
}

/* Reads what the socket has, waiting up to wait_ms.  1 bytes came, 0
 * nothing within wait_ms, LEDGER_EIO closed or failed. */
static int fill(llrp_rd_t *st, int wait_ms, ledger_err_t *err)
{
    struct pollfd pfd = {st->fd, POLLIN, 0};
    int pr = poll(&pfd, 1, wait_ms < 0 ? 0 : wait_ms);
    if (pr < 0 && errno == EINTR)
        return 0;
    if (pr <= 0)
        return pr == 0 ? 0 : ledger_err_set(err, LEDGER_EIO, "reader %s: poll: %s", st->name,
                                            strerror(errno));
    if (st->start > 0 && (st->end == BUF_CAP || st->start > BUF_CAP / 2)) {
        memmove(st->buf, st->buf + st->start, st->end - st->start);
        st->end -= st->start;
        st->start = 0;
    }
    if (st->end == BUF_CAP)
        return 1; /* full: a whole message is in the buffer, decode first */
    ssize_t r = recv(st->fd, st->buf + st->end, BUF_CAP - st->end, 0);
    if (r == 0)
        return ledger_err_set(err, LEDGER_EIO, "reader %s closed the connection", st->name);
    if (r < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return 0;
        return ledger_err_set(err, LEDGER_EIO, "reader %s: %s", st->name, strerror(errno));
    }
    st->end += (size_t)r;
    st->last_rx = mono_ms();
    return 1;
}

/* The next whole message in the buffer: 1 with *msg, *len set (consume it
 * with st->start += *len), 0 none yet, LEDGER_EIO a header that cannot be
 * right (the stream is lost). */
static int next_msg(llrp_rd_t *st, const uint8_t **msg, size_t *len, ledger_err_t *err)
{
    reader_llrp_hdr_t h;
    size_t have = st->end - st->start;
    int rc;
    if (have < READER_LLRP_HDR_LEN)
        return 0;
    if ((rc = reader_llrp_hdr_parse(st->buf + st->start, &h, err))) {
        char m[sizeof err->msg];
        snprintf(m, sizeof m, "%s", err->msg);
        return ledger_err_set(err, LEDGER_EIO, "reader %s: %s; dropping the connection", st->name,
                              m);
    }
    if (have < h.length)
        return 0;
    *msg = st->buf + st->start;
    *len = h.length;
    return 1;
}

static int queue_tag(void *arg, const reader_llrp_tag_t *t)
{
    llrp_rd_t *st = arg;
    if (st->qhead + st->qn == st->qcap) {
        if (st->qhead > 0) {
            memmove(st->q, st->q + st->qhead, st->qn * sizeof *st->q);
            st->qhead = 0;
        } else {
            size_t nc = st->qcap ? st->qcap * 2 : 256;
            reader_llrp_tag_t *nq = realloc(st->q, nc * sizeof *nq);
            if (!nq)
                return LEDGER_ENOMEM;
            st->q = nq;
            st->qcap = nc;
        }
    }
    st->q[st->qhead + st->qn++] = *t;
    return 0;
}

/* Handles one whole message outside of the request/response steps:
 * KEEPALIVE is answered, tags are queued.  0, LEDGER_EINPUT (skipped),
 * LEDGER_EIO (connection lost), LEDGER_ENOMEM. */
static int handle(llrp_rd_t *st, const uint8_t *m, size_t len, reader_llrp_msg_t *dm,
                  ledger_err_t *err)
{
    uint8_t out[READER_LLRP_ENC_MAX];
    char nb[32];
    int rc = reader_llrp_decode(m, len, dm, queue_tag, st, err);
    if (rc == LEDGER_ENOMEM)
        return ledger_err_set(err, rc, "reader %s: out of memory for tags", st->name);
    if (rc)
        return ledger_err_prefix(err, "reader %s", st->name), LEDGER_EINPUT;
    switch (dm->hdr.type) {
    case READER_LLRP_KEEPALIVE:
        return send_msg(st, out, reader_llrp_enc_empty(out, sizeof out, READER_LLRP_KEEPALIVE_ACK,
                                                       dm->hdr.id), err);
    case READER_LLRP_ERROR_MESSAGE:
        return ledger_err_set(err, LEDGER_EINPUT, "reader %s: ERROR_MESSAGE (id %u): status %u%s%s",
                              st->name, dm->hdr.id, dm->status, dm->status_text[0] ? ": " : "",
                              dm->status_text);
    case READER_LLRP_READER_EVENT_NOTIFICATION:
        if (dm->conn_close)
            return ledger_err_set(err, LEDGER_EIO,
                                  "reader %s: READER_EVENT_NOTIFICATION: ConnectionCloseEvent (the "
                                  "reader is closing the connection)",
                                  st->name);
        return 0;
    default:
        (void)nb;
        return 0;
    }
}

/* err's message with " (waiting for TYPE)" after it; LEDGER_EIO. */
static int waiting(ledger_err_t *err, unsigned want)
{
    char m[sizeof err->msg], nb[32];
    snprintf(m, sizeof m, "%s", err->msg);
    return ledger_err_set(err, LEDGER_EIO, "%s (waiting for %s)", m,
                          reader_llrp_type_name(want, nb));
}

/* Waits for the message of type `want` (the response to request `id`, or
 * id 0: any), handling what comes before it.  0 with *dm the response,
 * or LEDGER_EIO. */
static int await(llrp_rd_t *st, unsigned want, uint32_t id, reader_llrp_msg_t *dm,
                 ledger_err_t *err)
{
    char nb[32];
    int64_t deadline = mono_ms() + st->step_ms;
    for (;;) {
        const uint8_t *m;
        size_t len;
        int rc = next_msg(st, &m, &len, err);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            reader_llrp_hdr_t h;
            reader_llrp_hdr_parse(m, &h, err);
            st->start += len;
            if (h.type == want && (id == 0 || h.id == id)) {
                if ((rc = reader_llrp_decode(m, len, dm, NULL, NULL, err))) {
                    ledger_err_prefix(err, "reader %s", st->name);
                    err->code = LEDGER_EIO;
                    return LEDGER_EIO;
                }
                return 0;
            }
            if ((rc = handle(st, m, len, dm, err)) < 0)
                return waiting(err, want);
            continue;
        }
        int64_t left = deadline - mono_ms();
        if (left <= 0)
            return ledger_err_set(err, LEDGER_EIO, "reader %s: no %s within %u s", st->name,
                                  reader_llrp_type_name(want, nb), st->step_ms / 1000);
        if ((rc = fill(st, (int)left, err)) < 0)
            return waiting(err, want);
    }
}

/* Sends a request and checks its response's LLRPStatus. */
static int request(llrp_rd_t *st, const uint8_t *b, size_t n, unsigned resp, int must_succeed,
                   reader_llrp_msg_t *dm, ledger_err_t *err)
{
    char nb[32];
    uint32_t id = st->next_id - 1;
    int rc;
    if ((rc = send_msg(st, b, n, err)) || (rc = await(st, resp, id, dm, err)))
        return rc;
    if (must_succeed && dm->status != 0)
        return ledger_err_set(err, LEDGER_EIO, "reader %s: %s (id %u): status %u%s%s", st->name,
                              reader_llrp_type_name(resp, nb), id, dm->status,
                              dm->status_text[0] ? ": " : "", dm->status_text);
    return 0;
}

static int tcp_connect(llrp_rd_t *st, ledger_err_t *err)
{
    struct addrinfo hints = {0}, *ai = NULL, *a;
    int rc, fd = -1, one = 1;
    char why[128] = "no address";
    hints.ai_socktype = SOCK_STREAM;
    if ((rc = getaddrinfo(st->host, st->port, &hints, &ai)) != 0)
        return ledger_err_set(err, LEDGER_EIO, "reader %s: %s", st->name, gai_strerror(rc));
    for (a = ai; a; a = a->ai_next) {
        if ((fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
            continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS) {
            struct pollfd pfd = {fd, POLLOUT, 0};
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            int pr = poll(&pfd, 1, (int)st->step_ms);
            if (pr == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
                break;
            snprintf(why, sizeof why, "%s", pr == 0 ? "connect timed out" : strerror(soerr));
        } else {
            snprintf(why, sizeof why, "%s", strerror(errno));
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd < 0)
        return ledger_err_set(err, LEDGER_EIO, "reader %s: %s (is the reader on and on the "
                              "network? LLRP is TCP port 5084 by default)", st->name, why);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    st->fd = fd;
    st->start = st->end = 0;
    st->last_rx = mono_ms();
    return 0;
}

/* Connects and starts the inventory.  0, or LEDGER_EIO with the
 * connection dropped. */
static int connect_and_start(llrp_rd_t *st, ledger_err_t *err)
{
    uint8_t b[READER_LLRP_ENC_MAX];
    reader_llrp_msg_t dm;
    int rc;
    st->qhead = st->qn = 0;
    if ((rc = tcp_connect(st, err)))
        goto fail;
    if ((rc = await(st, READER_LLRP_READER_EVENT_NOTIFICATION, 0, &dm, err)))
        goto fail;
    if (!dm.has_conn_attempt || dm.conn_status != 0) {
        rc = ledger_err_set(err, LEDGER_EIO,
                            "reader %s: READER_EVENT_NOTIFICATION: connection refused "
                            "(ConnectionAttemptEvent status %u%s)",
                            st->name, dm.conn_status,
                            dm.has_conn_attempt ? "; is another client connected?" : " missing");
        goto fail;
    }
    if ((rc = request(st, b, reader_llrp_enc_get_caps(b, sizeof b, st->next_id++),
                      READER_LLRP_GET_READER_CAPABILITIES_RESPONSE, 1, &dm, err)))
        goto fail;
    for (size_t i = 0; i < st->nant; i++)
        if (dm.max_antennas && st->ant[i] > dm.max_antennas) {
            rc = ledger_err_set(err, LEDGER_EIO, "reader %s: antenna %u: the reader has %u antennas",
                                st->name, st->ant[i], dm.max_antennas);
            goto fail;
        }
    if ((rc = request(st, b, reader_llrp_enc_keepalive_spec(b, sizeof b, st->next_id++,
                                                            st->keepalive_ms),
                      READER_LLRP_SET_READER_CONFIG_RESPONSE, 1, &dm, err)) ||
        (rc = request(st, b, reader_llrp_enc_rospec_id(b, sizeof b, READER_LLRP_DELETE_ROSPEC,
                                                       st->next_id++, 0),
                      READER_LLRP_DELETE_ROSPEC_RESPONSE, 0, &dm, err)) ||
        (rc = request(st, b, reader_llrp_enc_add_rospec(b, sizeof b, st->next_id++, ROSPEC_ID,
                                                        st->ant, st->nant, (uint16_t)st->report_n,
                                                        st->session,
                                                        (uint16_t)st->population),
                      READER_LLRP_ADD_ROSPEC_RESPONSE, 1, &dm, err)) ||
        (rc = request(st, b, reader_llrp_enc_rospec_id(b, sizeof b, READER_LLRP_ENABLE_ROSPEC,
                                                       st->next_id++, ROSPEC_ID),
                      READER_LLRP_ENABLE_ROSPEC_RESPONSE, 1, &dm, err)) ||
        (rc = request(st, b, reader_llrp_enc_rospec_id(b, sizeof b, READER_LLRP_START_ROSPEC,
                                                       st->next_id++, ROSPEC_ID),
                      READER_LLRP_START_ROSPEC_RESPONSE, 1, &dm, err)))
        goto fail;
    st->backoff_ms = 0;
    return 0;
fail:
    drop(st);
    return LEDGER_EIO;
}

/* ---- backend ------------------------------------------------------------- */

static int llrp_open(void **state, const char *arg, ledger_err_t *err)
{
    llrp_rd_t *st = calloc(1, sizeof *st);
    int rc;
    if (!st)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    st->fd = -1;
    st->next_id = 1;
    if ((rc = parse_uri(st, arg, err))) {
        free(st);
        return rc;
    }
    if (!(st->buf = malloc(BUF_CAP))) {
        free(st);
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    }
    st->next_connect = mono_ms();
    *state = st;
    return 0;
}

static int give(llrp_rd_t *st, reader_read_t *out, ledger_err_t *err)
{
    reader_llrp_tag_t *t = &st->q[st->qhead++];
    char hex[READER_LLRP_EPC_MAX_BITS / 4 + 1], type[16], src[300];
    size_t nb = (t->epc_bits + 7) / 8;
    int rc;
    st->qn--;
    for (size_t i = 0; i < nb; i++)
        snprintf(hex + 2 * i, 3, "%02X", t->epc[i]);
    snprintf(type, sizeof type, "EPC-%u", t->epc_bits);
    snprintf(src, sizeof src, "llrp:%s", st->name);
    if ((rc = reader__set(&out->code, hex, 2 * nb, err)) ||
        (rc = reader__set(&out->tag_type, type, strlen(type), err)) ||
        (rc = reader__set(&out->source, src, strlen(src), err)))
        return rc;
    out->code_len = 2 * nb;
    out->time_ms = reader__now_ms();
    out->antenna = t->has_antenna ? t->antenna : 0;
    out->has_rssi = t->has_rssi;
    out->rssi = t->rssi;
    out->seen_count = t->has_seen_count ? t->seen_count : 0;
    out->epc_bits = t->epc_bits;
    return READER_READ;
}

static int llrp_poll(void *state, int timeout_ms, reader_read_t *out, ledger_err_t *err)
{
    llrp_rd_t *st = state;
    int64_t deadline = mono_ms() + timeout_ms;
    for (;;) {
        const uint8_t *m;
        size_t len;
        reader_llrp_msg_t dm;
        int rc;
        if (st->qn > 0)
            return give(st, out, err);
        if (st->fd < 0) {
            int64_t now = mono_ms();
            if (now < st->next_connect) {
                int64_t w = (st->next_connect < deadline ? st->next_connect : deadline) - now;
                if (w > 0)
                    poll(NULL, 0, (int)w);
                if (mono_ms() < st->next_connect)
                    return READER_NONE;
            }
            if ((rc = connect_and_start(st, err)) < 0)
                return rc;
            continue;
        }
        if ((rc = next_msg(st, &m, &len, err)) < 0) {
            drop(st);
            return rc;
        }
        if (rc == 1) {
            st->start += len;
            if ((rc = handle(st, m, len, &dm, err)) < 0) {
                if (rc != LEDGER_EINPUT)
                    drop(st);
                return rc;
            }
            continue;
        }
        int64_t now = mono_ms(), dead = st->last_rx + 3 * (int64_t)st->keepalive_ms;
        if (now >= dead) {
            drop(st);
            return ledger_err_set(err, LEDGER_EIO,
                                  "reader %s: no message (not even KEEPALIVE) for %u s: the "
                                  "reader stopped answering; dropped the connection, reconnecting",
                                  st->name, 3 * st->keepalive_ms / 1000);
        }
        if (now >= deadline && timeout_ms > 0)
            return READER_NONE;
        int64_t w = (deadline < dead ? deadline : dead) - now;
        if ((rc = fill(st, (int)(w > 0 ? w : 0), err)) < 0) {
            drop(st);
            return rc;
        }
        if (rc == 0 && mono_ms() >= deadline && mono_ms() < dead)
            return READER_NONE;
    }
}

static void llrp_close(void *state)
{
    llrp_rd_t *st = state;
    if (!st)
        return;
    if (st->fd >= 0) {
        uint8_t b[READER_LLRP_ENC_MAX];
        ledger_err_t err;
        reader_llrp_msg_t dm;
        st->step_ms = CLOSE_WAIT_MS;
        if (send_msg(st, b, reader_llrp_enc_empty(b, sizeof b, READER_LLRP_CLOSE_CONNECTION,
                                                  st->next_id++),
                     &err) == 0) {
            st->qhead = st->qn = 0;
            await(st, READER_LLRP_CLOSE_CONNECTION_RESPONSE, st->next_id - 1, &dm, &err);
        }
        close(st->fd);
    }
    free(st->buf);
    free(st->q);
    free(st);
}

const reader_backend_t reader_backend_llrp = {"llrp", llrp_open, llrp_poll, llrp_close};

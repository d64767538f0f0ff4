/* evil_peer.c -- a misbehaving partner for the end-to-end tests of the node
 * (tests/e2e/replicate_attacks.sh).  It is a real keten peer as far as the
 * handshake goes (its home's key, the chain's network key, the real
 * node_hs / node_stream code), and then does one bad thing:
 *
 *   garbage   sends 4 KiB of random bytes instead of a handshake
 *   oversize  after the handshake, announces a frame of 2 MiB (over the limit)
 *   tamper    after the handshake, sends a valid HELLO frame with one bit flipped
 *   forged    after the handshake, reads the victim's HEADS, and sends an entry
 *             that links to the head of FEED but is signed by another key
 *   equivocate  after the handshake, reads the victim's HEADS, and sends a
 *             checkpoint of this home's own feed FEED, signed by its key, of
 *             as many entries as the victim holds but with another root: the
 *             key signing a second history (the victim must keep it as fork
 *             evidence and mark the feed forked)
 *   note      after the handshake, sends a CHECKPOINT of FEED whose note is
 *             the file named by $EVIL_NOTE, as it is (cosignature lines
 *             forged, replayed or of unknown witnesses: the victim must drop
 *             those lines, keep the session and store nothing of them)
 *   slow      after the handshake, subscribes to every feed and never reads
 *             again: the victim must keep its memory bounded
 *   short     sends 64 random bytes (the size of a first handshake message)
 *   spray     COUNT connections one after the other, each sending 4 KiB of
 *             random bytes (FEED is COUNT): the victim's log must stay short
 *   idle      opens COUNT connections at once (FEED is COUNT) that send
 *             nothing, holds them SECONDS, prints how many the victim closed
 *             meanwhile, then closes them all: the victim's memory must stay
 *             bounded (tests/e2e/node_flood.sh)
 *
 * usage: evil_peer HOME HOST:PORT VICTIM_ID MODE [FEED|COUNT] [SECONDS]
 * Exits 0 when the victim closed the connection (what it should do), 1 when
 * the connection stayed open for SECONDS (default 10), 2 on setup errors.
 * For `slow` and `idle`, it holds the connections for SECONDS and exits 0.
 * Only for loopback tests: it refuses any address but 127.0.0.1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "ledger_entry.h"
#include "ledger_home.h"
#include "ledger_note.h"
#include "node_conf.h"
#include "node_hs.h"
#include "node_msg.h"
#include "node_stream.h"

static int sock = -1;

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "evil_peer: %s: %s\n", what, msg);
    exit(2);
}

static void send_all(const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = send(sock, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            printf("victim closed the connection while we sent\n");
            exit(0);
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Reads what is there within ms; returns bytes read, 0 on timeout, -1 closed. */
static ssize_t recv_some(uint8_t *buf, size_t cap, int ms)
{
    struct pollfd pfd = {sock, POLLIN, 0};
    int r = poll(&pfd, 1, ms);
    ssize_t n;
    if (r <= 0)
        return 0;
    n = recv(sock, buf, cap, 0);
    return n <= 0 ? -1 : n;
}

/* Waits for the victim to close; exit 0 if it does within seconds. */
static void expect_close(int seconds)
{
    uint8_t buf[65536];
    time_t end = time(NULL) + seconds;
    while (time(NULL) < end) {
        ssize_t n = recv_some(buf, sizeof buf, 200);
        if (n < 0) {
            printf("victim closed the connection\n");
            exit(0);
        }
    }
    printf("victim kept the connection open for %d s\n", seconds);
    exit(1);
}

/* spray: count connections in turn, each 4 KiB of random bytes; exit 0 when
 * the victim closed every one within 5 s. */
static void spray(const struct sockaddr_in *sa, int count)
{
    uint8_t buf[4096];
    for (int i = 0; i < count; i++) {
        struct pollfd pfd;
        int fd = socket(AF_INET, SOCK_STREAM, 0), closed = 0;
        if (fd < 0 || connect(fd, (const struct sockaddr *)sa, sizeof *sa) != 0)
            die("connect", strerror(errno));
        randombytes_buf(buf, sizeof buf);
        (void)send(fd, buf, sizeof buf, MSG_NOSIGNAL);
        pfd.fd = fd;
        pfd.events = POLLIN;
        for (time_t end = time(NULL) + 5; !closed && time(NULL) < end;) {
            if (poll(&pfd, 1, 200) > 0 && recv(fd, buf, sizeof buf, 0) <= 0)
                closed = 1;
        }
        close(fd);
        if (!closed) {
            printf("connection %d stayed open\n", i + 1);
            exit(1);
        }
    }
    printf("the victim closed all %d connections\n", count);
    exit(0);
}

/* idle: count connections that send nothing, held for seconds. */
static void idle(const struct sockaddr_in *sa, int count, int seconds)
{
    struct rlimit rl;
    struct pollfd *pfd = calloc((size_t)count, sizeof *pfd);
    int opened = 0, closed = 0;
    uint8_t buf[256];
    if (!pfd)
        die("idle", "out of memory");
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    for (int i = 0; i < count; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (const struct sockaddr *)sa, sizeof *sa) != 0) {
            if (fd >= 0)
                close(fd);
            break;
        }
        pfd[opened].fd = fd;
        pfd[opened++].events = POLLIN;
    }
    printf("opened %d connections\n", opened);
    fflush(stdout);
    for (time_t end = time(NULL) + seconds; time(NULL) < end;) {
        if (poll(pfd, (nfds_t)opened, 200) <= 0)
            continue;
        for (int i = 0; i < opened; i++)
            if (pfd[i].fd >= 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
                recv(pfd[i].fd, buf, sizeof buf, 0) <= 0) {
                close(pfd[i].fd);
                pfd[i].fd = -1;
                closed++;
            }
    }
    for (int i = 0; i < opened; i++)
        if (pfd[i].fd >= 0)
            close(pfd[i].fd);
    printf("the victim closed %d of %d connections in %d s\n", closed, opened, seconds);
    free(pfd);
    exit(0);
}

/* Reads the victim's messages (buffered in in) until a HEADS names feed;
 * fills *target with that head. 0 when none came within 5 s. */
static int wait_head(node_rx_t *rx, ledger_buf_t *in, const uint8_t *feed, node_head_t *target)
{
    time_t end = time(NULL) + 5;
    uint8_t buf[65536];
    ledger_err_t err;
    int found = 0, rc;
    while (!found && time(NULL) < end) {
        ssize_t n = recv_some(buf, sizeof buf, 200);
        if (n < 0)
            die("wait", "victim closed");
        if (n > 0)
            ledger_buf_append(in, buf, (size_t)n);
        if (in->len == 0)
            continue;
        for (;;) {
            const uint8_t *m;
            size_t used, mlen;
            int fin;
            node_msg_t dm;
            rc = node_rx_feed(rx, in->data, in->len, &used, &m, &mlen, &fin, &err);
            if (rc < 0)
                die("wait", err.msg);
            if (rc == 1 && !node_msg_decode(m, mlen, &dm, NULL) && dm.type == NODE_MSG_HEADS)
                for (uint32_t i = 0; i < dm.n; i++) {
                    node_msg_head(&dm, i, target);
                    if (!memcmp(target->feed, feed, 32)) {
                        found = 1;
                        break;
                    }
                }
            if (used) {
                memmove(in->data, in->data + used, in->len - used);
                in->len -= used;
            }
            if (rc == 0 || found)
                break;
        }
    }
    return found;
}

static void note_sign(void *ctx, const uint8_t *m, size_t n, uint8_t sig[64])
{
    ledger_identity_sign(ctx, m, n, sig);
}

int main(int argc, char **argv)
{
    ledger_home_t *home;
    const ledger_identity_t *id;
    ledger_err_t err;
    uint8_t netkey[32], victim[32], feed[32] = {0};
    char host[300];
    int port, seconds = argc > 6 ? atoi(argv[6]) : 10;
    const char *mode;
    struct sockaddr_in sa;
    node_hs_t *hs;
    node_hs_result_t res;
    node_tx_t *tx;
    node_rx_t *rx;
    ledger_buf_t out = LEDGER_BUF_INIT, in = LEDGER_BUF_INIT, msg = LEDGER_BUF_INIT;
    uint8_t buf[65536];
    int rc;

    if (argc < 5)
        die("usage", "evil_peer HOME HOST:PORT VICTIM_ID MODE [FEED] [SECONDS]");
    mode = argv[4];
    if (sodium_init() < 0)
        die("sodium", "init failed");
    if (ledger_home_open(argv[1], LEDGER_STORE_RDONLY, &home, &err) ||
        ledger_home_identity(home, NULL, 0, &id, &err) || node_netkey_read(argv[1], netkey, &err))
        die(argv[1], err.msg);
    if (ledger_unhex(argv[3], victim, 32))
        die("victim id", argv[3]);
    if (argc > 5 && strcmp(mode, "spray") && strcmp(mode, "idle") &&
        ledger_unhex(argv[5], feed, 32))
        die("feed", argv[5]);
    if (node_addr_split(argv[2], host, sizeof host, &port, &err))
        die("address", err.msg);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (strcmp(host, "127.0.0.1") || inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        die("address", "only 127.0.0.1 (a tool for loopback tests)");
    if (!strcmp(mode, "spray") || !strcmp(mode, "idle")) {
        int count = argc > 5 ? atoi(argv[5]) : 0;
        if (count < 1 || count > 20000)
            die(mode, "COUNT must be 1..20000");
        if (!strcmp(mode, "spray"))
            spray(&sa, count);
        idle(&sa, count, seconds);
    }
    if ((sock = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
        connect(sock, (struct sockaddr *)&sa, sizeof sa) != 0)
        die("connect", strerror(errno));

    if (!strcmp(mode, "short")) {
        randombytes_buf(buf, NODE_HS_M1_LEN);
        send_all(buf, NODE_HS_M1_LEN);
        expect_close(seconds);
    }
    if (!strcmp(mode, "garbage")) {
        randombytes_buf(buf, 4096);
        send_all(buf, 4096);
        expect_close(seconds);
    }

    /* a real handshake */
    {
        node_hs_config_t cfg = {1, netkey, id, victim, NULL, NULL};
        size_t used;
        if (node_hs_new(&cfg, &hs, &err))
            die("handshake", err.msg);
        rc = node_hs_feed(hs, NULL, 0, &used, &out, &err);
        for (;;) {
            ssize_t n;
            if (rc < 0)
                die("handshake", err.msg);
            send_all(out.data, out.len);
            ledger_buf_reset(&out);
            if (rc == NODE_HS_DONE)
                break;
            n = recv_some(buf, sizeof buf, 5000);
            if (n <= 0)
                die("handshake", "victim closed or silent");
            ledger_buf_append(&in, buf, (size_t)n);
            rc = node_hs_feed(hs, in.data, in.len, &used, &out, &err);
            if (used) {
                memmove(in.data, in.data + used, in.len - used);
                in.len -= used;
            }
        }
        if (node_hs_get_result(hs, &res, &err))
            die("handshake", err.msg);
        node_hs_free(hs);
    }
    if (node_tx_new(res.tx_key, &out, &tx, &err) || node_rx_new(res.rx_key, &rx, &err))
        die("stream", err.msg);
    send_all(out.data, out.len);
    ledger_buf_reset(&out);
    printf("handshake done\n");
    fflush(stdout);

    if (!strcmp(mode, "oversize")) {
        uint8_t hdr[4] = {0, 0x20, 0, 0}; /* 2 MiB */
        send_all(hdr, 4);
        randombytes_buf(buf, sizeof buf);
        send_all(buf, sizeof buf);
        expect_close(seconds);
    }
    if (!strcmp(mode, "tamper")) {
        node_msg_hello(&msg, "evil", NULL);
        node_tx_frame(tx, msg.data, msg.len, 0, &out, NULL);
        out.data[out.len - 3] ^= 0x10;
        send_all(out.data, out.len);
        expect_close(seconds);
    }
    if (!strcmp(mode, "slow")) {
        /* read the victim's HEADS, subscribe to each feed, then stop reading */
        time_t end = time(NULL) + 3;
        size_t want = 0;
        while (time(NULL) < end) {
            ssize_t n = recv_some(buf, sizeof buf, 200);
            if (n < 0)
                die("slow", "victim closed");
            if (n == 0)
                continue;
            ledger_buf_append(&in, buf, (size_t)n);
            for (;;) {
                const uint8_t *m;
                size_t used, mlen;
                int fin;
                node_msg_t dm;
                rc = node_rx_feed(rx, in.data, in.len, &used, &m, &mlen, &fin, &err);
                if (rc < 0)
                    die("slow", err.msg);
                if (rc == 1 && !node_msg_decode(m, mlen, &dm, NULL) && dm.type == NODE_MSG_HEADS)
                    for (uint32_t i = 0; i < dm.n; i++) {
                        node_head_t h;
                        node_msg_head(&dm, i, &h);
                        ledger_buf_reset(&msg);
                        node_msg_want(&msg, h.feed, 1, 0, NULL);
                        node_tx_frame(tx, msg.data, msg.len, 0, &out, NULL);
                        want++;
                    }
                if (used) {
                    memmove(in.data, in.data + used, in.len - used);
                    in.len -= used;
                }
                if (rc == 0)
                    break;
            }
            if (want)
                break;
        }
        send_all(out.data, out.len);
        printf("subscribed to %zu feeds; not reading for %d s\n", want, seconds);
        fflush(stdout);
        sleep((unsigned)seconds);
        exit(0);
    }
    if (!strcmp(mode, "forged")) {
        /* wait for the HEADS that names FEED, then forge its next entry */
        node_head_t target;
        if (!wait_head(rx, &in, feed, &target))
            die("forged", "the victim has no such feed");
        {
            ledger_header_t h;
            ledger_buf_t hb = LEDGER_BUF_INIT, eb = LEDGER_BUF_INIT;
            ledger_buf_t pb = LEDGER_BUF_INIT;
            json_t *ev =
                json_pack("{s:s, s:s, s:s, s:[s], s:s}", "type", "ObjectEvent", "eventTime",
                          "2026-01-01T00:00:00Z", "eventTimeZoneOffset", "+00:00", "epcList",
                          "urn:epc:id:sgtin:5412345.000001.1", "action", "OBSERVE");
            uint8_t sig[64];
            size_t start;
            if (ledger_event_payload_encode(
                    "ni:///sha-256;0000000000000000000000000000000000000000000000000000000000000000"
                    "?ver=CBV2.0",
                    ev, &pb, &err))
                die("forged", err.msg);
            memset(&h, 0, sizeof h);
            h.version = 1;
            memcpy(h.feed, feed, 32);
            h.seq = target.seq + 1;
            memcpy(h.prev, target.hash, 32);
            h.record_time_ms = (uint64_t)time(NULL) * 1000;
            h.ptype = LEDGER_PT_EVENT;
            h.plen = pb.len;
            crypto_hash_sha256(h.phash, pb.data, pb.len);
            ledger_header_encode(&h, &hb);
            ledger_identity_sign(id, hb.data, hb.len, sig); /* the wrong key */
            ledger_entry_encode(hb.data, hb.len, sig, pb.data, pb.len, &eb);
            json_decref(ev);
            ledger_buf_reset(&msg);
            node_msg_entries_begin(&msg, feed, h.seq, &start, NULL);
            node_msg_entries_add(&msg, start, eb.data, eb.len, NULL);
            node_tx_frame(tx, msg.data, msg.len, 0, &out, NULL);
            send_all(out.data, out.len);
            printf("sent a forged entry %llu of the feed\n", (unsigned long long)h.seq);
            fflush(stdout);
        }
        expect_close(seconds);
    }
    if (!strcmp(mode, "equivocate")) {
        /* FEED is this home's own feed, held by the victim: sign a
         * checkpoint of as many entries as the victim holds with another
         * root, and send it */
        node_head_t target;
        char origin[LEDGER_NOTE_ORIGIN_LEN];
        ledger_tree_hash_t fake;
        ledger_buf_t text = LEDGER_BUF_INIT, note = LEDGER_BUF_INIT;
        ledger_note_signer_t sg = {.name = origin, .sign = note_sign, .ctx = (void *)id};
        if (memcmp(feed, ledger_identity_public(id), 32))
            die("equivocate", "FEED must be this home's own feed");
        if (!wait_head(rx, &in, feed, &target) || target.seq == 0)
            die("equivocate", "the victim holds none of this feed");
        memcpy(sg.pk, feed, 32);
        ledger_note_feed_origin(feed, origin);
        randombytes_buf(fake, sizeof fake);
        if (ledger_checkpoint_text(origin, target.seq, fake, &text, &err) ||
            ledger_note_sign((const char *)text.data, text.len, &sg, 1, &note, &err))
            die("equivocate", err.msg);
        ledger_buf_reset(&msg);
        node_msg_checkpoint(&msg, feed, note.data, note.len, NULL);
        node_tx_frame(tx, msg.data, msg.len, 0, &out, NULL);
        send_all(out.data, out.len);
        printf("sent a checkpoint of %llu entries of another history\n",
               (unsigned long long)target.seq);
        fflush(stdout);
        expect_close(seconds);
    }
    if (!strcmp(mode, "note")) {
        const char *path = getenv("EVIL_NOTE");
        uint8_t nb[8192];
        size_t nl;
        FILE *f = path ? fopen(path, "rb") : NULL;
        if (!f)
            die("note", "set EVIL_NOTE to a readable file");
        nl = fread(nb, 1, sizeof nb, f);
        fclose(f);
        ledger_buf_reset(&msg);
        if (node_msg_checkpoint(&msg, feed, nb, nl, &err))
            die("note", err.msg);
        node_tx_frame(tx, msg.data, msg.len, 0, &out, NULL);
        send_all(out.data, out.len);
        printf("sent a checkpoint note of %zu bytes\n", nl);
        fflush(stdout);
        expect_close(seconds);
    }
    die("mode", "expected garbage, short, spray, idle, oversize, tamper, forged, equivocate, note or slow");
    return 2;
}

/* node__int.h -- the node's shared state: the types and limits that node.c
 * (the loop: listener, dialling, timers, group commits, state file),
 * node_state.c (what sessions may ask of the node) and node_session.c (one
 * connection: handshake, frames, messages, sync) share.  Not a public
 * contract; functions are in node_state.h and node_session.h. */
#ifndef NODE__INT_H
#define NODE__INT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "ledger_buf.h"
#include "ledger_home.h"
#include "ledger_replica.h"
#include "ledger_store.h"
#include "node.h"
#include "node_capture.h"
#include "node_cors.h"
#include "node_conf.h"
#include "node_hs.h"
#include "node_http.h"
#include "node_msg.h"
#include "node_namedq.h"
#include "node_capture_nats.h"
#include "node_nats.h"
#include "node_page.h"
#include "node_query.h"
#include "node_resolve.h"
#include "node_stream.h"
#include "node_subs.h"
#include "node_token.h"

#define NODE_QUEUE_MAX (4u * 1024 * 1024) /* bytes queued per connection before pausing */
#define NODE_BATCH_ENTRIES 4096
/* entry bytes per ENTRIES message: the frame less the message header and the
 * 4-byte length of each entry */
#define NODE_BATCH_BYTES (NODE_FRAME_MAX - 64 - 4 * NODE_BATCH_ENTRIES)
#define NODE_PING_MS 10000
#define NODE_IDLE_MS 30000
#define NODE_HS_TIMEOUT_MS 10000
/* Connections that have not proven who they are cost memory and log lines
 * before they can be refused: at most NODE_HS_MAX inbound handshakes at
 * once (a new one closes the oldest: an honest handshake takes two round
 * trips, a flood cannot keep it out), at most NODE_CONN_MAX connections in
 * all (more are closed at once).  Until a session is authenticated it
 * reads at most NODE_HS_READ bytes at a time, has no handshake state until
 * its first bytes arrive, and shares the node's read buffer. */
#define NODE_HS_MAX 128
#define NODE_CONN_MAX 1024
#define NODE_HS_READ 512
/* Connections the kernel may queue before the node accepts them (capped by
 * net.core.somaxconn): a burst beyond it has its SYNs dropped and retried. */
#define NODE_BACKLOG 1024
/* Log lines about connections that did not authenticate (garbage, another
 * network key, timeouts, refusals) are limited per source IP address:
 * NODE_LOG_BURST lines per NODE_LOG_WINDOW_MS, NODE_LOG_BURST_ALL for all
 * addresses together; what is held back is counted and summed up in one
 * line when the window ends ("suppressed N similar lines ..."). */
#define NODE_LOG_WINDOW_MS 10000
#define NODE_LOG_BURST 3
#define NODE_LOG_BURST_ALL 20
#define NODE_LOG_SLOTS 64
/* A dialler logs a failure when its reason changes, and a repeat of the
 * same reason at most this often (the backoff retries meanwhile). */
#define NODE_DIAL_RELOG_MS (10 * 60 * 1000)
#define NODE_DIAL_ADDRS 8 /* addresses of one name tried in turn */
#define NODE_BACKOFF_MIN_MS 1000
#define NODE_BACKOFF_MAX_MS 30000
/* A group commit is made when this many received entries wait, or the
 * oldest waited this long, or a loop iteration passed in which no bytes
 * arrived and no session is in the middle of a bulk sync (live traffic
 * commits at once; a bulk sync is not cut into small commits by the gaps
 * in the sender's stream).  On a large
 * store a commit costs about the same for 2,000 entries as for 100,000 (it
 * rewrites the index pages touched), so a bulk sync commits in big groups. */
#define NODE_COMMIT_ENTRIES 100000
#define NODE_COMMIT_MS 2000

typedef struct node node_t;
typedef struct session session_t;

/* An outbound partner: where to dial, and the backoff state. */
typedef struct dialer {
    node_t *node;
    uint8_t id[32];
    char address[NODE_ADDR_MAX];
    unsigned attempts;
    uint64_t next_ms;   /* loop time of the next attempt */
    session_t *session; /* the session this dialer made, while it lives */
    uv_getaddrinfo_t *resolving; /* the name being resolved, or NULL */
    struct sockaddr_storage addrs[NODE_DIAL_ADDRS]; /* this attempt's addresses */
    int naddrs, addr_i;                             /* how many, which one now */
    char last_error[400];
    char logged[400];   /* the last failure logged */
    uint64_t logged_ms; /* when */
    int live; /* still on the peer list */
} dialer_t;

typedef struct sub {
    uint8_t feed[32];
    uint64_t next;          /* next seq to send */
    uint64_t to;            /* 0: follow the head */
    uint64_t ckpt_sent;     /* the size of the last checkpoint sent for it (0: none) */
    uint64_t ckpt_tried_ms; /* when a newer one was last looked for */
} sub_t;

typedef struct want {
    uint8_t feed[32];
    uint64_t to; /* 0: subscription open */
} want_t;

enum { SES_HANDSHAKE, SES_READY, SES_CLOSING };

struct session {
    node_t *node;
    session_t *next;
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    int initiator;
    int state;
    dialer_t *dialer;
    node_hs_t *hs;
    node_tx_t *tx;
    node_rx_t *rx;
    ledger_buf_t in; /* received bytes not yet consumed */
    uint8_t peer_id[32];
    int have_peer;
    char peer_label[400]; /* "name (abcd1234)" or the address while unknown */
    char addr[NODE_ADDR_MAX];
    sub_t *subs;
    size_t nsubs, rr;
    want_t *wants;
    size_t nwants;
    node_head_t *peer_heads;
    size_t npeer_heads;
    size_t queued; /* bytes handed to uv_write not yet written */
    uint64_t started_ms, last_rx_ms, last_tx_ms, last_sync_ms;
    uint64_t entries_in, entries_out;
    uint64_t checkpoints_in, checkpoints_out; /* CHECKPOINT messages kept / sent */
    uint64_t ping_nonce;
    int pumping;
    uint64_t bulk_remaining; /* entries the peer announced beyond the last batch */
    int hs_rc; /* last handshake result, for the log */
    uint64_t hs_bytes; /* bytes received before the handshake was done */
    uv_shutdown_t shutdown_req;
    struct node_gossip *gossip; /* cosigned checkpoints sent, per feed (node_witness.c) */
    size_t ngossip;
    uint64_t gossip_ms; /* loop time of the last gossip round */
    const uint8_t **scratch_p; /* ENTRIES decode scratch */
    size_t *scratch_n;
    size_t scratch_cap;
};

/* One source address's log budget (NODE_LOG_*). */
typedef struct lograte {
    char ip[64]; /* "" when free */
    uint64_t start;
    unsigned lines;
    uint64_t suppressed;
} lograte_t;

struct node {
    uv_loop_t *loop;
    ledger_home_t *home;
    ledger_store_t *st;
    const ledger_identity_t *id;
    const char *home_path;
    int lock_fd; /* <home>/node.lock, held while the node runs */
    uint8_t self[32];
    char name[201];
    uint8_t netkey[32];
    node_options_t opt;
    FILE *log;
    uint8_t *rbuf; /* the read buffer every session shares (one loop thread) */
    size_t rbuf_len;
    lograte_t rate[NODE_LOG_SLOTS];
    uint64_t rate_all_start;
    unsigned rate_all_lines;
    uint64_t rate_other; /* suppressed lines that found no slot */
    size_t nsessions, peak_sessions; /* for giving memory back after a flood */
    node_peers_t peers;
    struct timespec peers_mtime;
    uv_tcp_t listener;
    int listening;
    char listen_addr[NODE_ADDR_MAX];
    node_http_t *http;       /* the HTTP server, or NULL */
    node_resolve_t *resolve; /* its resolver routes */
    node_page_t *page;       /* its product page and bundle routes */
    node_query_t *query;     /* its EPCIS query routes */
    node_cors_t *cors[3];    /* CORS around the query, page and resolver routes, or NULL */
    node_capture_t *capture; /* its EPCIS capture routes and the writer thread */
    node_tokens_t *tokens;   /* the home's bearer tokens (node_token.h) */
    node_subs_t *subs;       /* live subscriptions (node_subs.h) */
    node_nats_t *nats;       /* the JetStream publisher (node_nats.h), or NULL */
    node_cnats_t *cnats;     /* the capture from a JetStream subject (node_capture_nats.h) */
    node_namedq_t *namedq;   /* named queries (node_namedq.h) */
    char http_addr[NODE_ADDR_MAX];
    void (*web_captured)(void *node, size_t events); /* node_web_start's, for a reload */
    uv_signal_t sigint, sigterm, sighup;
    uv_timer_t wdog; /* systemd watchdog pings (node_sd.h), when asked for */
    int wdog_on;
    int journal; /* the log is the journal: no timestamps of our own */
    uv_timer_t tick;
    uv_fs_event_t dbwatch; /* the store's files changed: maybe new entries */
    int watching;
    uv_check_t check;
    dialer_t **dialers; /* each allocated once: sessions keep pointers */
    size_t ndialers;
    session_t *sessions;
    ledger_ingest_t *ingest; /* the open group commit, or NULL */
    uint64_t ingest_entries; /* entries added to the open group commit */
    uint64_t ingest_started; /* loop time it was opened */
    int ingest_busy;         /* bytes arrived during this loop iteration */
    node_head_t *heads;      /* our feeds' heads as last seen (sorted by feed) */
    size_t nheads;
    json_t *names; /* feed hex -> name learned from partners */
    int names_dirty;
    uint64_t last_state_ms;
    int stopping;
    /* progress of the initial sync */
    uint64_t prog_entries, prog_last_ms, prog_base_entries, prog_start_ms;
    int prog_shown;
};

#endif

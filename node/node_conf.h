/* node_conf.h -- what a node keeps in its home besides the ledger:
 *
 *   <home>/network      the chain's 32-byte network key, 64 hex chars, mode 0600
 *   <home>/peers.json   the peer list (the allowlist): who may connect, where
 *                       to connect to, and what they receive
 *                       {"peers":[{"id":hex,"name":..,"address":"host:port"|null,
 *                                  "sealed":bool,"witness":bool}]}
 *                       ("witness" absent: true, the default within a chain)
 *   <home>/node.json    written by a running node (atomically, about once a
 *                       second): pid, listen address, each peer's state, and
 *                       the names learned for feeds; read by `keten status`
 *   <home>/keten.json   the home's settings (ledger_home.h); the node reads its
 *                       "http" member: the HTTP server's address, prefix,
 *                       base URL and limits (node_http_conf_load, docs/http.md)
 *   <home>/node.lock    held by the running node (an fcntl write lock on the
 *                       whole file, for the node's life) with its pid in it:
 *                       one node per home; the kernel drops the lock when
 *                       the process ends, however it ends
 *
 * Files are replaced atomically (write a temporary file, fsync, rename), so a
 * reader never sees half a file and a crash never leaves one.
 */
#ifndef NODE_CONF_H
#define NODE_CONF_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger_error.h"
#include "node_cors.h"
#include "node_http.h"

#define NODE_ADDR_MAX 300

/* ---- network key -------------------------------------------------------- */

/* Writes key (32 bytes) to <home>/network; LEDGER_EEXIST when there is one. */
int node_netkey_write(const char *home, const uint8_t key[32], ledger_err_t *err);
/* Reads <home>/network.  LEDGER_ENOTFOUND when the home has none (says how
 * to set one), LEDGER_EINPUT when the file is not 64 hex chars. */
int node_netkey_read(const char *home, uint8_t key[32], ledger_err_t *err);
/* Parses 64 hex characters (any case) into key.  LEDGER_EINVAL otherwise. */
int node_netkey_parse(const char *hex, uint8_t key[32], ledger_err_t *err);

/* ---- peer list ---------------------------------------------------------- */

typedef struct node_peer {
    uint8_t id[32];
    char name[201];              /* "" when none */
    char address[NODE_ADDR_MAX]; /* "" when the peer only connects in */
    int sealed;                  /* 1: our own feed travels to it sealed */
    int witness;                 /* 1: this node cosigns the checkpoints it sends (default) */
} node_peer_t;

typedef struct node_peers {
    node_peer_t *v;
    size_t n;
} node_peers_t;

/* Loads <home>/peers.json into *out (empty when there is no file).
 * LEDGER_EINPUT naming the entry when the file is damaged. */
int node_peers_load(const char *home, node_peers_t *out, ledger_err_t *err);
/* Writes *p to <home>/peers.json atomically. */
int node_peers_save(const char *home, const node_peers_t *p, ledger_err_t *err);
/* The peer with this ID, or NULL. */
const node_peer_t *node_peers_find(const node_peers_t *p, const uint8_t id[32]);
/* Adds peer or, when its ID is listed, replaces that entry (*replaced = 1). */
int node_peers_put(node_peers_t *p, const node_peer_t *peer, int *replaced, ledger_err_t *err);
/* Removes the peer with this ID; LEDGER_ENOTFOUND when it is not listed. */
int node_peers_remove(node_peers_t *p, const uint8_t id[32], ledger_err_t *err);
void node_peers_free(node_peers_t *p);

enum { NODE_HOST_NAME = 0, NODE_HOST_IP4 = 4, NODE_HOST_IP6 = 6 };

/* Checks that a node can dial "host:port": an IPv4 address (four numbers
 * 0..255), [an IPv6 address] in brackets, or a DNS host name (RFC 1123
 * labels), and a port 1..65535.  Sets *kind (NULL: not wanted) to
 * NODE_HOST_*.  LEDGER_EINPUT with a message naming the address and what is
 * wrong ("999.1.1.1 is not an IPv4 address", "has no port", ...).  Names
 * are not resolved here. */
int node_addr_check(const char *addr, int *kind, ledger_err_t *err);
/* Splits "host:port" into host (buffer of hostlen; without the brackets of
 * an IPv6 address) and port 1..65535; LEDGER_EINPUT when it has not that
 * form.  Checks the form only (node_addr_check checks the host). */
int node_addr_split(const char *addr, char *host, size_t hostlen, int *port, ledger_err_t *err);

/* ---- the HTTP server's settings ------------------------------------------- */

/* "http" in <home>/keten.json: either "127.0.0.1:8080" (the listen address)
 * or {"listen": "127.0.0.1:8080", "expose": false, "prefix": "/gs1",
 *     "baseUrl": "https://example.com", "maxHeaderBytes": 16384,
 *     "maxBodyBytes": 1048576, "requestTimeoutMs": 10000,
 *     "idleTimeoutMs": 30000, "maxConnections": 512,
 *     "public": {"feeds": ["<64 hex>"], "partners": ["Verwerker"]},
 *     "cors": ["https://shop.example.com"]}
 * (every member optional; 0 / absent = the node_http.h default). */
#define NODE_PUBLIC_MAX 64 /* feeds and partners in "public", each at most */

/* "public": {"feeds": ["<64 hex>", ...], "partners": ["<name in peers.json>", ...]}
 * in "http": whose events besides the node's own the resolver, the product
 * page and its bundle show (node_public_feeds resolves the names). */
typedef struct node_public_conf {
    uint8_t feeds[NODE_PUBLIC_MAX][32];
    size_t nfeeds;
    char partners[NODE_PUBLIC_MAX][201];
    size_t npartners;
} node_public_conf_t;

#define NODE_XMLNS_MAX 32
typedef struct node_http_conf {
    char listen[NODE_ADDR_MAX]; /* "" when none: no HTTP */
    int expose;                 /* 1: a non-loopback listen address is allowed */
    char prefix[201];           /* "" or "/gs1" */
    char base_url[300];         /* "" or "https://example.com" */
    node_http_limits_t limits;
    node_public_conf_t pub; /* "public": none by default (own events only) */
    /* "cors": ["https://shop.example.com", ...]: origins whose scripts may
     * read the public and query routes (node_cors.h); none by default */
    char cors[NODE_CORS_MAX][NODE_CORS_ORIGIN_MAX];
    size_t ncors;
    /* "xmlNamespaces": {"prefix": "namespace URI", ...}: the XML answers'
     * namespaces of extension prefixes that events take from remote
     * contexts (ledger_epcis_xmlw_namespace) */
    char xmlns_prefix[NODE_XMLNS_MAX][64];
    char xmlns_uri[NODE_XMLNS_MAX][401];
    size_t nxmlns;
} node_http_conf_t;

/* Loads the "http" member of <home>/keten.json into *out (zeroed when there
 * is none).  LEDGER_EINPUT naming the member that is wrong, LEDGER_EIO when
 * keten.json cannot be read. */
int node_http_conf_load(const char *home, node_http_conf_t *out, ledger_err_t *err);

/* A string member name of the keten.json object o into out (cap bytes):
 * nothing when absent; LEDGER_EINPUT "keten.json: SECTION.NAME must be a
 * string of at most ... bytes" when not a string or too long. */
int node_conf_str(json_t *o, const char *section, const char *name, char *out, size_t cap,
                  ledger_err_t *err);

/* The feeds whose events the public routes show: the node's own (self,
 * first), then pub's feeds, then the feed of every partner pub names (the
 * peer of that name in peers, the operator's names); each once, at most
 * cap, *n of them in out.  LEDGER_EINPUT when a name is no peer's or two
 * peers', or there are more than cap. */
int node_public_feeds(const node_public_conf_t *pub, const node_peers_t *peers,
                      const uint8_t self[32], uint8_t (*out)[32], size_t cap, size_t *n,
                      ledger_err_t *err);

/* 1 when the host of "ip:port" (or "[ip6]:port") is a loopback address
 * (127.0.0.0/8, ::1), 0 when not. */
int node_addr_is_loopback(const char *addr);

/* ---- one node per home --------------------------------------------------- */

/* Takes <home>/node.lock for this process and writes its pid there; *fd is
 * the lock's descriptor (keep it open for the node's life; node_lock_release
 * drops it).  LEDGER_ELOCKED when another process holds it: the message
 * names that process's pid.  LEDGER_EIO when the file cannot be opened. */
int node_lock_take(const char *home, int *fd, ledger_err_t *err);
void node_lock_release(int fd);
/* The pid of the process holding <home>/node.lock: *pid > 0, 0 when no node
 * runs (no file, or nobody holds the lock), -1 when it is held by a process
 * whose pid the kernel does not tell (another PID namespace).  LEDGER_EIO. */
int node_lock_holder(const char *home, long *pid, ledger_err_t *err);

/* ---- the running node's state file ------------------------------------- */

/* "stream" in <home>/keten.json: where the node publishes every event it
 * holds (node_nats.h, docs/stream.md).  Either "nats://H:P[,nats://...]"
 * or {"servers": "nats://127.0.0.1:4222", "name": "KETEN",
 *     "subjectPrefix": "keten.events", "creds": "/etc/keten/nats.creds",
 * by the NATS client, never their contents here). */
#define NODE_STREAM_STR_MAX 1024
#define NODE_STREAM_SERVERS_MAX 16
typedef struct node_stream_conf {
    char servers[NODE_STREAM_STR_MAX]; /* "" : no stream */
    char name[65];                     /* the JetStream stream ("KETEN") */
    char prefix[200];                  /* the subject prefix ("keten.events") */
    char creds[NODE_STREAM_STR_MAX];   /* a .creds file, or "" */
    char ca[NODE_STREAM_STR_MAX];      /* a CA file for TLS, or "" */
} node_stream_conf_t;

/* Loads "stream" of <home>/keten.json into *out with the defaults above
 * (servers "" when there is none).  LEDGER_EINPUT names the bad member
 * (a name or prefix with characters a NATS subject or stream name cannot
 * have), LEDGER_EIO when keten.json cannot be read. */
int node_stream_conf_load(const char *home, node_stream_conf_t *out, ledger_err_t *err);
/* The checks of node_stream_conf_load for a servers list given otherwise
 * (`keten node --stream`): 1 to NODE_STREAM_SERVERS_MAX items, each starting
 * with nats:// or tls://.  0 or LEDGER_EINPUT naming the item. */
int node_stream_servers_ok(const char *servers, ledger_err_t *err);

/* Writes obj as <home>/node.json atomically. */
int node_state_write(const char *home, const json_t *obj, ledger_err_t *err);
/* Reads <home>/node.json: a new reference, or NULL (no file or unreadable:
 * no running node has written one). */
json_t *node_state_read(const char *home);

/* Writes text to path atomically with mode (tmp file + fsync + rename). */
int node_file_replace(const char *path, const char *text, size_t len, int mode, ledger_err_t *err);

#endif

#!/usr/bin/env python3
"""bench/http_clients.py -- the clients of bench/http.sh that wrk and h2load
are not: raw sockets on 127.0.0.1, each printing one line of figures.

  http_clients.py doc FILE N              writes an EPCISDocument of N ObjectEvents
                                          whose EPC serials carry "@@" (the wrk
                                          script puts a unique tag there)
  http_clients.py idle PORT N PID SECONDS opens N keep-alive connections, one GET
                                          each, keeps them open SECONDS; prints
                                          the node's RSS before, with them, and
                                          whether a new client is answered
  http_clients.py attack PORT KIND        one hostile client: slowloris, body2g,
                                          body2g-chunked, headers64k, garbage; prints what the
                                          node answered (status line or "closed")
                                          and how long it took
  http_clients.py probe PORT PATH SECONDS a well-behaved client meanwhile: one
                                          GET every 50 ms on a keep-alive
                                          connection; prints answered/failed and
                                          p50/p99/max in ms

Not a test: figures only (bench/http.sh prints them next to the goals)."""
import json
import os
import socket
import sys
import time


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def read_response(s, timeout=10.0):
    """Reads one response (headers + Content-Length body); its status line,
    or "closed" when the connection ends first."""
    s.settimeout(timeout)
    buf = b""
    try:
        while b"\r\n\r\n" not in buf:
            d = s.recv(65536)
            if not d:
                return "closed" if not buf else buf.split(b"\r\n")[0].decode()
            buf += d
        head, _, rest = buf.partition(b"\r\n\r\n")
        n = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                n = int(v.strip())
        while len(rest) < n:
            d = s.recv(65536)
            if not d:
                break
            rest += d
        return head.split(b"\r\n")[0].decode()
    except (socket.timeout, ConnectionError) as e:
        return f"error: {e.__class__.__name__}"


def doc(path, n):
    evs = []
    for i in range(n):
        evs.append({
            "type": "ObjectEvent", "action": "OBSERVE", "bizStep": "receiving",
            "disposition": "in_progress",
            "eventTime": "2025-12-01T%02d:%02d:%02d.%03dZ" % (i // 3600000 % 24, i // 60000 % 60,
                                                            i // 1000 % 60, i % 1000),
            "eventTimeZoneOffset": "+01:00",
            "epcList": ["urn:epc:id:sgtin:5412345.000012.@@-%d" % i],
            "readPoint": {"id": "urn:epc:id:sgln:5412345.00002.1"},
            "bizLocation": {"id": "urn:epc:id:sgln:5412345.00002.0"}})
    d = {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
         "type": "EPCISDocument", "schemaVersion": "2.0",
         "creationDate": "2025-12-01T00:00:00Z", "epcisBody": {"eventList": evs}}
    with open(path, "w") as f:
        json.dump(d, f, separators=(",", ":"))


def get(port, path="/.well-known/gs1resolver"):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    return s, read_response(s)


def idle(port, n, pid, seconds):
    before = rss_kb(pid)
    socks, ok = [], 0
    t0 = time.time()
    for i in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET /.well-known/gs1resolver HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            socks.append(s)
        except OSError as e:
            print(f"idle: connection {i + 1}: {e}")
            break
    for s in socks:
        if read_response(s).startswith("HTTP/1.1 200"):
            ok += 1
    opened = time.time() - t0
    time.sleep(seconds)
    with_them = rss_kb(pid)
    alive = 0
    for s in socks:  # still open? (a closed one reads b"" at once)
        s.setblocking(False)
        try:
            alive += s.recv(1) != b""
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
    extra, status = get(port)
    extra.close()
    print(f"idle: {len(socks)} keep-alive connections ({ok} answered 200) in {opened:.1f} s, "
          f"{alive} still open after {seconds} s; node RSS {before / 1024:.1f} MB before, "
          f"{with_them / 1024:.1f} MB with them ({(with_them - before) / max(len(socks), 1):.1f} KB "
          f"each); one more client: {status}")
    for s in socks:
        s.close()


def attack(port, kind):
    t0 = time.time()
    s = socket.create_connection(("127.0.0.1", port))
    sent = 0
    if kind == "slowloris":
        s.settimeout(1.0)
        req = b"GET /.well-known/gs1resolver HTTP/1.1\r\nHost: 127.0.0.1\r\nX-a: " + b"b" * 200
        status = None
        for c in req:  # one byte a second until the node gives up
            try:
                s.sendall(bytes([c]))
                sent += 1
                d = s.recv(65536)
                status = d.split(b"\r\n")[0].decode() if d else "closed"
                break
            except socket.timeout:
                continue
            except OSError:
                status = "closed"
                break
        status = status or "not answered (all bytes sent)"
    elif kind == "body2g":
        s.sendall(b"POST /capture HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/ld+json"
                  b"\r\nContent-Length: 2147483648\r\n\r\n")
        s.settimeout(0.2)
        chunk = b"\0" * 65536
        status = None
        while sent < 2147483648 and time.time() - t0 < 30:
            try:
                s.sendall(chunk)
                sent += len(chunk)
            except OSError:
                break
            try:
                d = s.recv(65536)
                status = d.split(b"\r\n")[0].decode() if d else "closed"
                break
            except socket.timeout:
                pass
        if status is None:
            status = read_response(s, 2.0)
    elif kind == "body2g-chunked":  # no Content-Length: the limit must hold as chunks come
        s.sendall(b"POST /capture HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/ld+json"
                  b"\r\nTransfer-Encoding: chunked\r\n\r\n")
        s.settimeout(0.2)
        chunk = b"10000\r\n" + b"\0" * 65536 + b"\r\n"
        status = None
        while sent < 2147483648 and time.time() - t0 < 30:
            try:
                s.sendall(chunk)
                sent += 65536
            except OSError:
                break
            try:
                d = s.recv(65536)
                status = d.split(b"\r\n")[0].decode() if d else "closed"
                break
            except socket.timeout:
                pass
        if status is None:
            status = read_response(s, 2.0)
    elif kind == "headers64k":
        req = (b"GET /.well-known/gs1resolver HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
               b"".join(b"X-h%d: %s\r\n" % (i, b"a" * 1000) for i in range(64)) + b"\r\n")
        try:
            s.sendall(req)
            sent = len(req)
        except OSError:
            pass
        status = read_response(s)
    elif kind == "garbage":
        req = os.urandom(4096) + b"\r\n\r\n"
        req = b"\x16\x03\x01" + req
        s.sendall(req)
        sent = len(req)
        status = read_response(s)
    else:
        raise SystemExit(f"unknown attack {kind}")
    s.close()
    print(f"attack {kind}: {status} after {time.time() - t0:.1f} s ({sent} bytes sent)")


def probe(port, path, seconds):
    lat, failed = [], 0
    end = time.time() + seconds
    s = None
    while time.time() < end:
        t0 = time.time()
        try:
            if s is None:
                s = socket.create_connection(("127.0.0.1", port))
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            st = read_response(s, 2.0)
            if st.startswith("HTTP/1.1 2"):
                lat.append((time.time() - t0) * 1000)
            else:
                failed += 1
                s.close()
                s = None
        except OSError:
            failed += 1
            s = None
        time.sleep(0.05)
    lat.sort()
    if not lat:
        print(f"probe {path}: none answered, {failed} failed")
        return
    p = lambda q: lat[min(len(lat) - 1, int(q * (len(lat) - 1)))]
    print(f"probe {path}: {len(lat)} answered, {failed} failed; p50 {p(0.5):.2f} ms, "
          f"p99 {p(0.99):.2f} ms, max {lat[-1]:.2f} ms")


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[0] == "doc":
        doc(a[1], int(a[2]))
    elif a[0] == "idle":
        idle(int(a[1]), int(a[2]), int(a[3]), float(a[4]))
    elif a[0] == "attack":
        attack(int(a[1]), a[2])
    elif a[0] == "probe":
        probe(int(a[1]), a[2], float(a[3]))
    else:
        raise SystemExit(__doc__)

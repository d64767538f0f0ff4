#!/usr/bin/env python3
"""tests/tools/sd_notify_listen.py SOCKET OUT [PORT] -- plays systemd's side
of the sd_notify protocol (sd_notify(3)) for tests/e2e/systemd.sh: binds
the AF_UNIX datagram socket SOCKET (the $NOTIFY_SOCKET a service gets) and
appends every notification to OUT, one line per assignment, prefixed by the
seconds since start. When a READY=1 arrives and PORT is given, it also
tries to connect to 127.0.0.1:PORT at that moment and writes
"connect-at-ready ok" or "connect-at-ready refused": a node must listen
before it says it is ready. Runs until killed."""
import os
import socket
import sys
import time

path, out = sys.argv[1], sys.argv[2]
port = int(sys.argv[3]) if len(sys.argv) > 3 else 0
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
t0 = time.monotonic()
with open(out, "a", buffering=1) as f:
    while True:
        msg = s.recv(4096).decode("utf-8", "replace")
        for line in msg.split("\n"):
            if line:
                f.write(f"{time.monotonic() - t0:.3f} {line}\n")
        if "READY=1" in msg.split("\n") and port:
            c = socket.socket()
            try:
                c.connect(("127.0.0.1", port))
                f.write("connect-at-ready ok\n")
            except OSError:
                f.write("connect-at-ready refused\n")
            finally:
                c.close()

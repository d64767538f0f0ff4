#!/usr/bin/env python3
"""llrp_emu.py -- an LLRP 1.0.1 fixed UHF reader on TCP, for keten's tests.

It speaks the protocol at its real interface (binary LLRP messages over a
TCP socket, as an Impinj or Zebra reader does on port 5084), written from
the LLRP 1.0.1 specification:

  - on connect: READER_EVENT_NOTIFICATION with a ConnectionAttemptEvent;
  - answers GET_READER_CAPABILITIES (GeneralDeviceCapabilities with
    --max-antennas), SET_READER_CONFIG (a KeepaliveSpec sets how often it
    sends KEEPALIVE), DELETE/ADD/ENABLE/START/STOP_ROSPEC (checking the
    ADD_ROSPEC: antennas, report trigger, content selector), KEEPALIVE_ACK,
    CLOSE_CONNECTION (with its response);
  - after START_ROSPEC serves carts of tags (SGTIN-96 EPCs of 0614141.812345,
    serials counted up across carts, or with --same-tags the same garments
    in every cart: one cart going round) as RO_ACCESS_REPORTs of TagReportData
    (EPC-96, AntennaID, PeakRSSI, FirstSeenTimestampUTC, TagSeenCount),
    N tags per report as the ROReportSpec asks, at --rate reads per second;
    each tag of a cart is read --reads times; carts are --gap seconds apart;
  - faults (--fault): drop-mid-cart (the connection is closed abruptly in the
    middle of the first cart; the next connection gets the next carts),
    malformed (a report whose TagReportData runs past its message, after the
    first cart), oversized (a header announcing 2 MiB, after the first cart),
    badversion (a message of version 2, after the first cart), error (an
    ERROR_MESSAGE after the first cart), silent (after the first cart nothing
    more is sent, not even KEEPALIVE; the socket stays open), refuse (the
    ConnectionAttemptEvent says another client is connected), epcdata (the
    tags come as EPCData of 96 bits, the second cart's as 128-bit non-GS1).

It writes what it receives to --log, one line per message, and its port to
--port-file.  stdlib only.  Runs until killed.
"""
import argparse
import socket
import struct
import sys
import time

T = {1: "GET_READER_CAPABILITIES", 3: "SET_READER_CONFIG", 14: "CLOSE_CONNECTION",
     20: "ADD_ROSPEC", 21: "DELETE_ROSPEC", 22: "START_ROSPEC", 23: "STOP_ROSPEC",
     24: "ENABLE_ROSPEC", 72: "KEEPALIVE_ACK"}
RESP = {1: 11, 3: 13, 14: 4, 20: 30, 21: 31, 22: 32, 23: 33, 24: 34}


def msg(mtype, mid, body=b"", version=1):
    return struct.pack(">HII", (version << 10) | mtype, 10 + len(body), mid) + body


def tlv(ptype, body):
    return struct.pack(">HH", ptype, 4 + len(body)) + body


def status(code=0, text=b""):
    return tlv(287, struct.pack(">HH", code, len(text)) + text)


def sgtin96(serial):
    v = (0x30 << 88) | (3 << 85) | (5 << 82) | (614141 << 58) | (812345 << 38) | serial
    return v.to_bytes(12, "big")


def tag_report(epc, antenna, mode):
    if mode == "epc96":
        e = b"\x8d" + epc
    else:
        e = tlv(241, struct.pack(">H", len(epc) * 8) + epc)
    now_us = int(time.time() * 1e6)
    body = (e + struct.pack(">BH", 0x81, antenna) + struct.pack(">Bb", 0x86, -55) +
            struct.pack(">BQ", 0x82, now_us) + struct.pack(">BH", 0x88, 1))
    return tlv(240, body)


class Conn:
    def __init__(self, emu, sock, n):
        self.emu, self.s, self.n = emu, sock, n
        self.buf = b""
        self.started = False
        self.keepalive = 0.0
        self.next_ka = 0.0
        self.report_n = 1
        self.antennas = [0]
        self.mid = 1000 * n

    def log(self, line):
        self.emu.log.write("conn %d: %s\n" % (self.n, line))
        self.emu.log.flush()

    def send(self, data):
        self.s.sendall(data)

    @staticmethod
    def parse_antenna_configs(p):
        # AntennaConfiguration(222): AntennaID u16, then C1G2InventoryCommand
        # (330): flags u8, then C1G2SingulationControl (336): Session in the
        # top 2 bits, TagPopulation u16, TagTransitTime u32
        out = []
        while p:
            t, ln = struct.unpack(">HH", p[:4])
            assert 4 <= ln <= len(p), "AntennaConfiguration length past its parent"
            if t & 0x3FF == 222:
                ant = struct.unpack(">H", p[4:6])[0]
                q = p[6:ln]
                while q:
                    t2, l2 = struct.unpack(">HH", q[:4])
                    if t2 & 0x3FF == 330:
                        r = q[5:l2]
                        while r:
                            t3, l3 = struct.unpack(">HH", r[:4])
                            if t3 & 0x3FF == 336:
                                sess = r[4] >> 6
                                pop = struct.unpack(">H", r[5:7])[0]
                                out.append("%d:s%d/%d" % (ant, sess, pop))
                            r = r[l3:]
                    q = q[l2:]
            p = p[ln:]
        return out

    def parse_add_rospec(self, body):
        # ROSpec: ID u32, priority u8, state u8, then sub-parameters
        ptype, plen = struct.unpack(">HH", body[:4])
        assert ptype & 0x3FF == 177 and plen == len(body), "ADD_ROSPEC without one ROSpec"
        p = body[10:plen]
        info = {}
        while p:
            t, ln = struct.unpack(">HH", p[:4])
            t &= 0x3FF
            b = p[4:ln]
            if t == 183:  # AISpec
                cnt = struct.unpack(">H", b[:2])[0]
                info["antennas"] = list(struct.unpack(">%dH" % cnt, b[2:2 + 2 * cnt]))
                q = b[2 + 2 * cnt:]
                while q:
                    t2, l2 = struct.unpack(">HH", q[:4])
                    if t2 == 184:
                        info["ai_stop"] = q[4]
                    if t2 == 186:
                        info["protocol"] = q[6]
                        info["gen2"] = self.parse_antenna_configs(q[7:l2])
                    q = q[l2:]
            elif t == 237:  # ROReportSpec
                info["trigger"], info["n"] = struct.unpack(">BH", b[:3])
                t2, l2 = struct.unpack(">HH", b[3:7])
                assert t2 == 238
                info["selector"] = struct.unpack(">H", b[7:9])[0]
            elif t == 178:
                info["boundary"] = True
            p = p[ln:]
        return info

    def on_message(self, mtype, mid, body):
        name = T.get(mtype, "type %d" % mtype)
        extra = ""
        if mtype == 20:
            info = self.parse_add_rospec(body)
            self.antennas = info.get("antennas", [0])
            self.report_n = max(1, info.get("n", 1))
            extra = " antennas=%s trigger=%d n=%d selector=0x%04x protocol=%d ai_stop=%d" % (
                ",".join(map(str, self.antennas)), info["trigger"], info["n"],
                info["selector"], info.get("protocol", -1), info.get("ai_stop", -1))
            if info.get("gen2"):
                extra += " gen2=" + ",".join(info["gen2"])
        if mtype == 3 and len(body) >= 10:
            t, ln, trig, period = struct.unpack(">HHBI", body[1:10])
            if t & 0x3FF == 220 and trig == 1:
                self.keepalive = period / 1000.0
                self.next_ka = time.time() + self.keepalive
                extra = " keepalive_ms=%d" % period
        self.log("recv %s id=%d%s" % (name, mid, extra))
        if mtype == 1:
            caps = tlv(137, struct.pack(">HHII", self.emu.a.max_antennas, 0, 25882, 1) +
                       struct.pack(">H", 5) + b"7.0.0")
            self.send(msg(11, mid, status() + caps))
        elif mtype in RESP:
            self.send(msg(RESP[mtype], mid, status()))
        if mtype == 22:
            self.started = True
            self.emu.schedule_start(self)
        if mtype == 14:
            return False
        return True


class Emu:
    def __init__(self, a):
        self.a = a
        self.log = open(a.log, "a") if a.log else sys.stderr
        self.carts = [int(x) for x in a.carts.split(",") if x] if a.carts else []
        self.cart_i = 0
        self.serial_at = [a.serial_base]
        for n in self.carts:
            self.serial_at.append(self.serial_at[-1] + (0 if a.same_tags else n))
        self.faulted = False

    def schedule_start(self, c):
        c.plan = []  # (time, kind, data)
        t = time.time() + self.a.delay
        ci = self.cart_i  # carts served (or lost) by earlier connections are not served again
        serial = self.serial_at[ci]
        while ci < len(self.carts):
            n = self.carts[ci]
            tags = [sgtin96(serial + i) for i in range(n)]
            if self.a.fault == "epcdata" and ci == 1:
                tags = [bytes([0xE2, 0x80, 0x11, 0x60]) + (serial + i).to_bytes(12, "big")
                        for i in range(n)]
            if not self.a.same_tags:
                serial += n
            ant = self.a.antenna[ci % len(self.a.antenna)]
            reads = [tg for _ in range(self.a.reads) for tg in tags]
            step = 1.0 / self.a.rate
            for k in range(0, len(reads), c.report_n):
                c.plan.append((t, "tags", (reads[k:k + c.report_n], ant, ci, k)))
                t += step * len(reads[k:k + c.report_n])
            c.plan.append((t, "cart_end", ci))
            if ci == 0 and self.a.fault not in (None, "drop-mid-cart", "epcdata"):
                c.plan.append((t + self.a.fault_after, "fault", 0))
            t += self.a.gap
            ci += 1
        c.plan.sort(key=lambda x: x[0])
        c.plan.reverse()

    def fault_now(self, c, where):
        f = self.a.fault
        if self.faulted or not f:
            return None
        if f == "drop-mid-cart" and where == "mid":
            self.faulted = True
            c.log("fault: dropping the connection mid-cart")
            c.s.close()
            return "closed"
        if where != "after-first":
            return None
        self.faulted = True
        c.log("fault: %s" % f)
        if f == "malformed":
            bad = tlv(240, b"\x8d" + sgtin96(1))
            bad = bad[:2] + struct.pack(">H", 200) + bad[4:]  # runs past the message
            c.send(msg(61, 77, bad))
        elif f == "oversized":
            c.send(struct.pack(">HII", (1 << 10) | 61, 2 * 1024 * 1024 + 10, 78) + b"\0" * 4096)
        elif f == "badversion":
            c.send(msg(61, 79, b"", version=2))
        elif f == "error":
            c.send(msg(100, 80, status(101, b"unsupported parameter")))
        elif f == "silent":
            return "silent"
        return None

    def serve(self, c):
        c.plan = []
        silent = False
        c.s.settimeout(None)
        st = 2 if self.a.fault == "refuse" else 0
        ev = tlv(246, tlv(128, struct.pack(">Q", int(time.time() * 1e6))) +
                 tlv(256, struct.pack(">H", st)))
        c.send(msg(63, 0, ev))
        if st:
            c.log("refused")
        c.s.setblocking(False)
        while True:
            now = time.time()
            # what is due
            while c.plan and not silent and c.plan[-1][0] <= now:
                _, kind, data = c.plan.pop()
                if kind == "tags":
                    reads, ant, cart, k = data
                    if cart == 0 and k >= (self.carts[0] * self.a.reads) // 2:
                        if self.fault_now(c, "mid") == "closed":
                            self.cart_i = 1  # the cart in the tunnel is lost
                            return
                    mode = "epc96"
                    if self.a.fault == "epcdata":
                        mode = "epcdata"
                    body = b"".join(tag_report(e, ant, mode) for e in reads)
                    c.send(msg(61, c.mid, body))
                    c.mid += 1
                elif kind == "cart_end":
                    c.log("cart %d served" % data)
                    self.cart_i = data + 1
                elif kind == "fault":
                    if self.fault_now(c, "after-first") == "silent":
                        silent = True
            if c.keepalive and not silent and now >= c.next_ka:
                c.send(msg(62, c.mid))
                c.mid += 1
                c.next_ka = now + c.keepalive
            # what came in
            wait = 0.005 if c.plan else 0.05
            try:
                import select
                r, _, _ = select.select([c.s], [], [], wait)
                if not r:
                    continue
                data = c.s.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                return
            if not data:
                c.log("client closed")
                return
            c.buf += data
            while len(c.buf) >= 10:
                w, ln, mid = struct.unpack(">HII", c.buf[:10])
                if len(c.buf) < ln:
                    break
                body, c.buf = c.buf[10:ln], c.buf[ln:]
                c.s.setblocking(True)
                keep = c.on_message(w & 0x3FF, mid, body)
                c.s.setblocking(False)
                if not keep:
                    c.log("closed after CLOSE_CONNECTION")
                    c.s.close()
                    return

    def run(self):
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", self.a.port))
        srv.listen(4)
        if self.a.port_file:
            with open(self.a.port_file + ".tmp", "w") as f:
                f.write("%d\n" % srv.getsockname()[1])
            import os
            os.rename(self.a.port_file + ".tmp", self.a.port_file)
        n = 0
        while True:
            s, _ = srv.accept()
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            n += 1
            c = Conn(self, s, n)
            c.log("connected")
            try:
                self.serve(c)
            except (BrokenPipeError, ConnectionResetError) as e:
                c.log("connection lost: %s" % e)
            try:
                s.close()
            except OSError:
                pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--carts", default="", help="tags per cart, e.g. 300,300")
    ap.add_argument("--antenna", type=lambda s: [int(x) for x in s.split(",")], default=[1],
                    help="antenna of each cart in turn, e.g. 1,2")
    ap.add_argument("--rate", type=float, default=2000.0, help="tag reads per second")
    ap.add_argument("--reads", type=int, default=3, help="reads of each tag in a cart")
    ap.add_argument("--gap", type=float, default=3.0, help="seconds between carts")
    ap.add_argument("--delay", type=float, default=0.3, help="seconds from START_ROSPEC to cart 1")
    ap.add_argument("--serial-base", type=int, default=1)
    ap.add_argument("--same-tags", action="store_true",
                    help="every cart holds the same tags (serials from --serial-base)")
    ap.add_argument("--max-antennas", type=int, default=4)
    ap.add_argument("--fault-after", type=float, default=1.0,
                    help="seconds from the end of the first cart to the fault")
    ap.add_argument("--fault", choices=["drop-mid-cart", "malformed", "oversized", "badversion",
                                        "error", "silent", "refuse", "epcdata"])
    a = ap.parse_args()
    try:
        Emu(a).run()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""bundle_verify.py -- an independent verifier of keten provenance bundles,
written from docs/bundle.md and docs/format.md only, with nothing but the
Python standard library: its own strict deterministic-CBOR reader (RFC 8949
section 4.2.1, only the items the format uses), hashlib's SHA-256 and
SHA-512, and Ed25519 verification (RFC 8032 section 5.1.7) built here on the
point arithmetic of hs_vectors.py (the textbook Ed25519 of this tools
directory). No keten code and no libsodium are involved, so it shows that "a
buyer's own tool" can check a bundle.

    python3 tests/tools/bundle_verify.py [--json] FILE
    python3 tests/tools/bundle_verify.py --selftest

It runs the checks of docs/bundle.md, "Verification algorithm", in the
order given there (file, body, every feed and entry: well-formed entry, feed,
seq run, prev link, entry signature, payload hash, event payload; then the
creator's signature over "keten/1 bundle signature" || body), and fails on
the first claim that does not hold, with the message the doc gives for it
("feed 03a107bf (Vector Farm) seq 1: payload does not match its hash").
The EPCIS 2.0 event hash of a disclosed event is NOT recomputed (the doc
makes it optional: the event is proven by the payload hash); the summary
says so.

Exit codes: 0 every check passes (a summary on stdout: steps, disclosed,
sealed, signers; with --json a JSON object); 1 a claim fails (stderr:
"bundle_verify: bundle FILE does not verify: <claim>"; with --json also
{"verified": false, "error": ...} on stdout; a file that is not a keten
bundle at all, not the array ["keten-bundle", ...], is such a claim, as for
keten); 3 the file cannot be read; 2 usage.
"""
import hashlib
import json
import math
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hs_vectors as ed  # noqa: E402  (Ed25519 point arithmetic, RFC 8032)

MAGIC = "keten-bundle"
VERSION = 1
SIG_CONTEXT = b"keten/1 bundle signature"  # 24 ASCII bytes
FEED_LEN = 32
SIG_LEN = 64
PAYLOAD_MAX = 1000000
PT_EVENT = 1
EVHASH_HEAD = "ni:///sha-256;"
EVHASH_TAIL = "?ver=CBV2.0"


# ---- Ed25519 verification (RFC 8032, section 5.1.7) ------------------------
def _decode_point(s):
    """The point of a 32-byte encoding, or None when it is not one
    (y not below p, no square root, or x = 0 with the sign bit set)."""
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= ed.P:
        return None
    x2 = (y * y - 1) * pow(ed.D * y * y + 1, ed.P - 2, ed.P) % ed.P
    if x2 == 0:
        if sign:
            return None
        x = 0
    else:
        x = pow(x2, (ed.P + 3) // 8, ed.P)
        if (x * x - x2) % ed.P:
            x = x * ed.SQRT_M1 % ed.P
        if (x * x - x2) % ed.P:
            return None
        if x & 1 != sign:
            x = ed.P - x
    return (x, y, 1, x * y % ed.P)


def ed25519_verify(pub, msg, sig):
    """True when sig is a valid Ed25519 signature of msg by pub: decode A
    and R, S < L, k = SHA-512(R || A || M) mod L, and [S]B == R + [k]A
    (compared by their encodings, which are unique)."""
    if len(pub) != 32 or len(sig) != 64:
        return False
    a = _decode_point(pub)
    r = _decode_point(sig[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(sig[32:], "little")
    if s >= ed.L:
        return False
    k = int.from_bytes(hashlib.sha512(sig[:32] + pub + msg).digest(), "little") % ed.L
    return ed._enc(ed._mul(s, ed.BASE)) == ed._enc(ed._add(r, ed._mul(k, a)))


# ---- strict deterministic CBOR reader ---------------------------------------
class CborError(Exception):
    pass


class Reader:
    """Reads items from b[i:], accepting only deterministic encodings:
    shortest integer and length forms, definite lengths, no tags, text in
    valid UTF-8, map keys text, sorted (shorter first, then bytewise) and
    unique, floats in the shortest of half/single/double holding them."""

    def __init__(self, b):
        self.b = b
        self.i = 0

    def bad(self, what, at=None):
        raise CborError("CBOR at byte %d: %s" % (self.i if at is None else at, what))

    def done(self):
        return self.i == len(self.b)

    def head(self):
        """(major, additional info, argument); for a float the raw bits."""
        if self.i >= len(self.b):
            self.bad("truncated: an item was expected")
        ib = self.b[self.i]
        major, ai = ib >> 5, ib & 31
        if ai < 24:
            self.i += 1
            return major, ai, ai
        if ai > 27:
            self.bad("indefinite length or reserved value (not deterministic CBOR)")
        need = 1 << (ai - 24)
        if len(self.b) - self.i - 1 < need:
            self.bad("truncated item")
        arg = int.from_bytes(self.b[self.i + 1 : self.i + 1 + need], "big")
        if major != 7 and arg < (24, 256, 65536, 1 << 32)[ai - 24]:
            self.bad("integer not in its shortest form")
        self.i += 1 + need
        return major, ai, arg

    def _typed(self, want, what):
        start = self.i
        major, ai, arg = self.head()
        if major != want:
            self.i = start
            self.bad("expected " + what)
        return arg

    def uint(self):
        return self._typed(0, "an unsigned integer")

    def _string(self, major, what):
        start = self.i
        n = self._typed(major, what)
        if n > len(self.b) - self.i:
            self.i = start
            self.bad("truncated string")
        s = bytes(self.b[self.i : self.i + n])
        self.i += n
        return s, start

    def bstr(self):
        return self._string(2, "a byte string")[0]

    def tstr(self):
        s, start = self._string(3, "a text string")
        try:
            return s.decode("utf-8")
        except UnicodeDecodeError:
            self.i = start
            self.bad("text string is not valid UTF-8")

    def array(self):
        start = self.i
        n = self._typed(4, "an array")
        if n > len(self.b) - self.i:  # each item takes at least one byte
            self.i = start
            self.bad("array longer than its data")
        return n

    def null(self):
        """Consumes a CBOR null (f6) when there is one."""
        if self.i < len(self.b) and self.b[self.i] == 0xF6:
            self.i += 1
            return True
        return False

    def value(self, depth=0):
        """One JSON-mapped value (format.md, event payload): map with text
        keys, array, text, integer, float, true/false/null."""
        if depth > 200:
            self.bad("nested too deeply")
        start = self.i
        major, ai, arg = self.head()
        if major == 0:
            return arg
        if major == 1:
            return -1 - arg
        if major == 3:
            self.i = start
            return self.tstr()
        if major == 4:
            if arg > len(self.b) - self.i:
                self.bad("array longer than its data", start)
            return [self.value(depth + 1) for _ in range(arg)]
        if major == 5:
            if arg > len(self.b) - self.i:
                self.bad("map longer than its data", start)
            out, prev = {}, None
            for _ in range(arg):
                kstart = self.i
                k, _ = self._string(3, "a text string (map key)")
                if prev is not None and (len(k), k) <= (len(prev), prev):
                    self.bad("map keys not in deterministic order, or repeated", kstart)
                prev = k
                try:
                    key = k.decode("utf-8")
                except UnicodeDecodeError:
                    self.bad("map key is not valid UTF-8", kstart)
                out[key] = self.value(depth + 1)
            return out
        if major == 7:
            if ai in (20, 21, 22):
                return {20: False, 21: True, 22: None}[ai]
            if ai == 25:
                d = struct.unpack(">e", arg.to_bytes(2, "big"))[0]
            elif ai == 26:
                d = struct.unpack(">f", arg.to_bytes(4, "big"))[0]
            elif ai == 27:
                d = struct.unpack(">d", arg.to_bytes(8, "big"))[0]
            else:
                self.bad("simple value JSON cannot hold", start)
            if d != d or d in (float("inf"), float("-inf")):
                self.bad("NaN or infinity (JSON cannot hold it)", start)
            if _shortest_float(d) != bytes(self.b[start : self.i]):
                self.bad("float not in its shortest exact form", start)
            return d
        self.bad("byte string where JSON was expected" if major == 2 else "tagged item (not allowed)", start)


def _shortest_float(d):
    """Deterministic encoding of a finite float: the shortest of half,
    single and double that holds d exactly (sign of zero included)."""
    for ai, fmt in ((0xF9, ">e"), (0xFA, ">f")):
        try:
            raw = struct.pack(fmt, d)
        except (OverflowError, struct.error):
            continue
        back = struct.unpack(fmt, raw)[0]
        if back == d and math.copysign(1.0, back) == math.copysign(1.0, d):
            return bytes([ai]) + raw
    return bytes([0xFB]) + struct.pack(">d", d)


# ---- the verifier ------------------------------------------------------------
class Fail(Exception):
    """A claim of the bundle does not hold (exit 1)."""


class NotBundle(Exception):
    """The file is not a keten bundle at all (exit 1, as keten: "not a keten bundle")."""


def damaged(what, e=None):
    return Fail("bundle is damaged: %s%s" % (what, ": %s" % e if e else ""))


def _get(read, what):
    """read() with a CborError turned into ValueError("what: ...")."""
    try:
        return read()
    except CborError as e:
        raise ValueError("%s: %s" % (what, e))


def decode_entry(b):
    """An entry of format.md: [header bytes, signature (64), payload / null]
    with its header [version 1, feed (32), seq >= 1, prev (32; zero for
    seq 1), recordTime, payloadType 1..3, payloadLength <= 1,000,000,
    payloadHash (32)]. Raises ValueError naming the fault."""
    r = Reader(b)
    n = _get(r.array, "entry")
    if n != 3:
        raise ValueError("entry has %d parts, expected 3" % n)
    hb = _get(r.bstr, "entry header")
    sig = _get(r.bstr, "entry signature")
    if len(sig) != SIG_LEN:
        raise ValueError("entry signature is %d bytes, expected 64" % len(sig))
    payload = None if r.null() else _get(r.bstr, "entry payload")
    if not r.done():
        raise ValueError("entry: %d trailing bytes" % (len(b) - r.i))
    h = Reader(hb)
    n = _get(h.array, "header")
    if n != 8:
        raise ValueError("header has %d fields, expected 8" % n)
    version = _get(h.uint, "header version")
    if version != 1:
        raise ValueError("header format version %d: this verifier reads version 1" % version)

    def fixed(name):
        v = _get(h.bstr, "header " + name)
        if len(v) != 32:
            raise ValueError("header %s: %d bytes, expected 32" % (name, len(v)))
        return v

    feed = fixed("feed")
    seq = _get(h.uint, "header seq")
    prev = fixed("prev")
    rtime = _get(h.uint, "header recordTime")
    ptype = _get(h.uint, "header payloadType")
    plen = _get(h.uint, "header payloadLength")
    phash = fixed("payloadHash")
    if seq == 0:
        raise ValueError("header seq 0: sequence numbers start at 1")
    if ptype not in (1, 2, 3):
        raise ValueError("header payload type %d unknown" % ptype)
    if plen > PAYLOAD_MAX:
        raise ValueError("header payload length %d over the 1000000 limit" % plen)
    if seq == 1 and prev != bytes(32):
        raise ValueError("header seq 1 with a non-zero prev")
    if not h.done():
        raise ValueError("header: %d trailing bytes" % (len(hb) - h.i))
    return {"hbytes": hb, "sig": sig, "payload": payload, "feed": feed, "seq": seq,
            "prev": prev, "recordTime": rtime, "ptype": ptype, "plen": plen, "phash": phash}


def decode_event_payload(p):
    """[1, eventHash "ni:///sha-256;<64 lowercase hex>?ver=CBV2.0", event map]."""
    r = Reader(p)
    try:
        n = r.array()
    except CborError:
        n = -1
    if n != 3:
        raise ValueError("event payload: expected [1, hash, event]")
    ver = _get(r.uint, "event payload version")
    if ver != 1:
        raise ValueError("event payload version %d unknown" % ver)
    h = _get(r.value, "event payload hash")
    hexpart = h[len(EVHASH_HEAD) : -len(EVHASH_TAIL)] if isinstance(h, str) else ""
    if not (isinstance(h, str) and len(h) == len(EVHASH_HEAD) + 64 + len(EVHASH_TAIL)
            and h.startswith(EVHASH_HEAD) and h.endswith(EVHASH_TAIL)
            and all(c in "0123456789abcdef" for c in hexpart)):
        raise ValueError("event payload hash is not ni:///sha-256;<64 hex>?ver=CBV2.0")
    ev = _get(r.value, "event payload")
    if not isinstance(ev, dict) or not r.done():
        raise ValueError("event payload: event is not one map")
    return h, ev


class Verifier:
    def __init__(self, data):
        self.data = data
        self.names = {}  # feed -> name
        self.feeds = []  # per feed: the story numbers
        self.steps = []  # per step: what is proven about it

    def label(self, feed):
        name = self.names.get(feed)
        return "feed %s (%s)" % (feed.hex()[:8], name) if name else "feed %s" % feed.hex()[:8]

    def run(self):
        r = Reader(self.data)
        # 1. the file: [magic, version, body, signature]
        try:
            if r.array() != 4 or r.tstr() != MAGIC:
                raise CborError("magic")
        except CborError:
            raise NotBundle('not a keten bundle (it does not start with the array '
                            '["keten-bundle", version, ...])')
        try:
            version = r.uint()
        except CborError as e:
            raise damaged("the version is not a number", e)
        if version != VERSION:
            raise Fail("bundle version %d is not supported (this verifier reads version %d)"
                       % (version, VERSION))
        try:
            body = r.bstr()
            sig = r.bstr()
            if len(sig) != SIG_LEN:
                raise CborError("the signature is %d bytes, not 64" % len(sig))
        except CborError as e:
            raise damaged("truncated, or the body or signature is missing", e)
        if not r.done():
            raise damaged("bytes after the end of the bundle")

        # 2. the body: [subject, createdMs, creator, partners, feeds]
        b = Reader(body)
        try:
            if b.array() != 5:
                raise CborError("the body is not an array of 5")
            self.subject = b.tstr()
            self.created = b.uint()
            self.creator = b.bstr()
            if len(self.creator) != FEED_LEN:
                raise CborError("the creator is not 32 bytes")
            npart = b.array()
        except CborError as e:
            raise damaged("the statement (subject, created, creator, partners) is malformed", e)
        self.partners = []
        for _ in range(npart):
            try:
                if b.array() != 2:
                    raise CborError("not an array of 2")
                feed = b.bstr()
                if len(feed) != FEED_LEN:
                    raise CborError("the feed ID is not 32 bytes")
                name = b.tstr()
            except CborError as e:
                raise damaged("a partner is not [feed ID, name]", e)
            if self.partners and self.partners[-1][0] >= feed:
                raise damaged("partners are not in ascending order of feed ID")
            self.partners.append((feed, name))
            self.names[feed] = name
        if self.creator not in self.names:
            raise Fail("the creator %s is not among the partners" % self.creator.hex())
        try:
            nfeeds = b.array()
        except CborError as e:
            raise damaged("the feed list is missing or empty", e)
        if nfeeds == 0:
            raise damaged("the feed list is missing or empty")
        prev_feed = None
        for _ in range(nfeeds):
            prev_feed = self.verify_feed(b, prev_feed)
        if not b.done():
            raise damaged("bytes after the end of the body")

        # 4. the creator's signature over the context string and the body
        if not ed25519_verify(self.creator, SIG_CONTEXT + body, sig):
            raise Fail("bundle signature by %s does not verify: the statement, partners or "
                       "selection were changed after it was signed" % self.label(self.creator))

    def verify_feed(self, r, prev_feed):
        # 3. one feed item: [feed, steps, entries]
        try:
            if r.array() != 3:
                raise CborError("not an array of 3")
        except CborError as e:
            raise damaged("a feed item is not an array of 3", e)
        try:
            feed = r.bstr()
            if len(feed) != FEED_LEN:
                raise CborError("not 32 bytes")
        except CborError:
            raise damaged("a feed ID is not 32 bytes")
        label = self.label(feed)
        if prev_feed is not None and prev_feed >= feed:
            raise damaged("feeds are not in ascending order of feed ID")
        if feed not in self.names:
            raise Fail("%s is not among the partners" % label)
        try:
            nsteps = r.array()
        except CborError:
            nsteps = 0
        if nsteps == 0:
            raise damaged("a feed's step list is missing or empty")
        steps = []
        for _ in range(nsteps):
            try:
                s = r.uint()
            except CborError as e:
                raise damaged("a step is not a seq", e)
            if steps and s <= steps[-1]:
                raise damaged("steps are not in ascending order")
            steps.append(s)
        try:
            nent = r.array()
        except CborError:
            nent = 0
        if nent == 0:
            raise damaged("a feed's entry list is missing or empty")

        stepset = set(steps)
        prev_hash = None
        prev_seq = 0
        disclosed = sealed = 0
        for n in range(nent):
            # 3.1 a well-formed entry (read one by one, as the checks go)
            try:
                eb = r.bstr()
            except CborError as x:
                raise damaged("an entry is not a byte string", x)
            try:
                e = decode_entry(eb)
            except ValueError as x:
                raise Fail("%s entry %d: not a well-formed entry: %s" % (label, n + 1, x))
            seq = e["seq"]
            # 3.2 of this feed
            if e["feed"] != feed:
                raise Fail("%s seq %d: the entry belongs to feed %s, not to this feed"
                           % (label, seq, e["feed"].hex()[:8]))
            # 3.3 the run: from the first step on, every seq in turn
            if n == 0:
                if seq < steps[0]:
                    raise damaged("a feed's entries start before its first step")
                if seq != steps[0]:
                    raise Fail("step removed: %s: step seq %d is missing (the entries start "
                               "at seq %d)" % (label, steps[0], seq))
            elif seq <= prev_seq:
                raise Fail("step reordered: %s: seq %d comes after seq %d" % (label, seq, prev_seq))
            elif seq != prev_seq + 1:
                # is the missing seq further on (reordered) or not there (removed)?
                later, ahead = set(), Reader(r.b)
                ahead.i = r.i
                for _ in range(nent - n - 1):
                    try:
                        later.add(decode_entry(ahead.bstr())["seq"])
                    except (CborError, ValueError):
                        break
                if prev_seq + 1 in later:
                    raise Fail("step reordered: %s: seq %d comes after seq %d"
                               % (label, prev_seq + 1, seq))
                if seq == prev_seq + 2:
                    raise Fail("step removed: %s: seq %d is missing between seq %d and seq %d"
                               % (label, prev_seq + 1, prev_seq, seq))
                raise Fail("step removed: %s: seq %d to %d are missing between seq %d and seq %d"
                           % (label, prev_seq + 1, seq - 1, prev_seq, seq))
            # 3.4 the prev link
            elif e["prev"] != prev_hash:
                raise Fail("%s: seq %d does not link to seq %d" % (label, seq, prev_seq))
            # 3.5 the entry signature over the header bytes, by the feed key
            if not ed25519_verify(feed, e["hbytes"], e["sig"]):
                raise Fail("%s seq %d: entry signature does not verify" % (label, seq))
            # 3.6 a disclosed payload: only on a step, matching the header
            is_step = seq in stepset
            p = e["payload"]
            step = None
            if p is not None:
                if not is_step:
                    raise Fail("%s seq %d: a payload is disclosed for an entry that is not a step"
                               % (label, seq))
                if len(p) != e["plen"] or hashlib.sha256(p).digest() != e["phash"]:
                    raise Fail("%s seq %d: payload does not match its hash" % (label, seq))
                disclosed += 1
            else:
                sealed += 1
            if is_step:
                step = {"feed": feed.hex(), "name": self.names[feed], "seq": seq,
                         "recordTimeMs": e["recordTime"], "sealed": p is None,
                         "payloadType": e["ptype"], "payloadLength": e["plen"],
                         "payloadHash": e["phash"].hex()}
                if p is not None:
                    if e["ptype"] != PT_EVENT:
                        raise Fail("%s seq %d: payload type %d is not an event"
                                   % (label, seq, e["ptype"]))
                    try:
                        evhash, ev = decode_event_payload(p)
                    except ValueError as x:
                        raise Fail("%s seq %d: payload does not decode as an event: %s"
                                   % (label, seq, x))
                    step["eventHash"] = evhash
                    step["eventID"] = ev.get("eventID")
                    step["type"] = ev.get("type")
                    step["eventTime"] = ev.get("eventTime")
                    step["bizStep"] = ev.get("bizStep")
                self.steps.append(step)
            prev_hash = hashlib.sha256(e["hbytes"] + e["sig"]).digest()
            prev_seq = seq
        # after the last entry: every step was among them, the last is the last step
        for s in steps:
            if s > prev_seq:
                raise Fail("step removed: %s: step seq %d is not among the entries (they end "
                           "at seq %d)" % (label, s, prev_seq))
        if prev_seq != steps[-1]:
            raise damaged("a feed's entries go on after its last step")
        self.feeds.append({"feed": feed.hex(), "name": self.names[feed], "from": steps[0],
                           "to": prev_seq, "entries": nent, "steps": len(steps),
                           "disclosed": disclosed, "sealed": sealed})
        return feed


def iso_ms(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)


def story(v):
    nsealed = sum(1 for s in v.steps if s["sealed"])
    return {"verified": True, "bundle": VERSION, "verifier": "tests/tools/bundle_verify.py",
            "subject": v.subject, "createdMs": v.created, "created": iso_ms(v.created),
            "creator": {"feed": v.creator.hex(), "name": v.names[v.creator]},
            "partners": [{"feed": f.hex(), "name": n} for f, n in v.partners],
            "feeds": v.feeds, "steps": v.steps,
            "counts": {"steps": len(v.steps), "disclosed": len(v.steps) - nsealed,
                       "sealed": nsealed, "entries": sum(f["entries"] for f in v.feeds)},
            "eventHashRecomputed": False}


def print_summary(path, d):
    c = d["counts"]
    print("VERIFIED %s (independent verifier, docs/bundle.md)" % path)
    print("subject  %s" % d["subject"])
    print("created  %s by %s, key %s" % (d["created"], d["creator"]["name"] or "(no name)",
                                          d["creator"]["feed"]))
    print("steps    %d (%d disclosed, %d sealed); %d entries in all"
          % (c["steps"], c["disclosed"], c["sealed"], c["entries"]))
    print("signers:")
    for f in d["feeds"]:
        ns = [s for s in d["steps"] if s["feed"] == f["feed"]]
        sealed = sum(1 for s in ns if s["sealed"])
        print("  %-24s %s  seq %d..%d: %d steps (%d disclosed, %d sealed), %d entries"
              % (f["name"] or "(no name)", f["feed"], f["from"], f["to"], f["steps"],
                 f["steps"] - sealed, sealed, f["entries"]))
    print("not recomputed: the EPCIS event hash of each disclosed event (optional, "
          "docs/bundle.md step 3.6)")


def selftest():
    """Ed25519 here against the signer of hs_vectors.py and RFC 8032 test 1,
    and the CBOR reader's refusals. Exit 0 when all hold."""
    seed = bytes(range(32))
    pub = ed.ed25519_keys(seed)[2]
    assert pub.hex() == "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
    msg = SIG_CONTEXT + b"body"
    sig = ed.ed25519_sign(seed, msg)
    assert ed25519_verify(pub, msg, sig)
    assert not ed25519_verify(pub, msg + b"x", sig)
    assert not ed25519_verify(pub, msg, sig[:5] + bytes([sig[5] ^ 1]) + sig[6:])
    assert not ed25519_verify(pub, msg, sig[:32] + (int.from_bytes(sig[32:], "little")
                                                    + ed.L).to_bytes(32, "little"))
    # RFC 8032 section 7.1, TEST 1 (empty message)
    p1 = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    s1 = bytes.fromhex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                       "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
    assert ed25519_verify(p1, b"", s1) and not ed25519_verify(p1, b"\0", s1)
    for bad in ("1817", "5f41ff", "1a00000001", "a2616101616100", "a2616201616101",
                "f97c00", "fa3f800000", "c101", "6180"):
        try:
            Reader(bytes.fromhex(bad)).value()
        except CborError:
            continue
        raise AssertionError("CBOR %s accepted" % bad)
    for good, want in (("f93c00", 1.0), ("fa47c35000", 100000.0), ("f98000", -0.0),
                       ("fb3ff199999999999a", 1.1), ("3903e7", -1000),
                       ("a2616101616202", {"a": 1, "b": 2})):
        r = Reader(bytes.fromhex(good))
        assert r.value() == want and r.done(), good
    print("selftest ok")


def main(argv):
    args = [a for a in argv[1:] if a != "--json"]
    as_json = "--json" in argv[1:]
    if args == ["--selftest"]:
        selftest()
        return 0
    if len(args) != 1 or args[0].startswith("--"):
        sys.stderr.write("usage: bundle_verify.py [--json] FILE | --selftest\n")
        return 2
    path = args[0]
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        sys.stderr.write("bundle_verify: cannot read %s: %s\n" % (path, e.strerror))
        return 3
    v = Verifier(data)
    try:
        v.run()
    except NotBundle as e:  # a claim that fails, as keten counts it (exit 1)
        sys.stderr.write("bundle_verify: %s: %s\n" % (path, e))
        return 1
    except Fail as e:
        if as_json:
            print(json.dumps({"verified": False, "error": str(e)}))
        sys.stderr.write("bundle_verify: bundle %s does not verify: %s\n" % (path, e))
        return 1
    d = story(v)
    if as_json:
        print(json.dumps(d, indent=2))
    else:
        print_summary(path, d)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

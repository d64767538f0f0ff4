#!/usr/bin/env python3
"""bundle_verify.py -- an independent verifier of keten provenance bundles,
written from docs/bundle.md, docs/format.md and the C2SP and RFC texts, with
nothing but the Python standard library: its own strict deterministic-CBOR
reader (RFC 8949 section 4.2.1, only the items the format uses), hashlib's
SHA-256 and SHA-512, Ed25519 verification (RFC 8032 section 5.1.7) built
here on the point arithmetic of hs_vectors.py (the textbook Ed25519 of this
tools directory), its own C2SP signed-note and tlog-checkpoint reader and
its own RFC 9162 section 2.1.3.2 inclusion-proof check. No keten code and
no libsodium are involved, so it shows that "a buyer's own tool" can check
a bundle.

    python3 tests/tools/bundle_verify.py [--json] FILE
    python3 tests/tools/bundle_verify.py --selftest

Versions 1 to 3 are read. It runs the checks of docs/bundle.md,
"Verification algorithm", in keten's order (file, body, every feed item in
its form, then the creator's signature over "keten/<version> bundle
signature" || body), and fails on the first claim that does not hold, with
keten's message for it ("feed 03a107bf (Vector Farm) seq 1: payload does
not match its hash").

A feed item has one of two forms.  The chain form (every feed of version 1;
form 1 of version 2): [feed, (1,) steps, entries], every entry from the
first step to the last, checked one by one: well-formed entry, feed, seq
run, prev link, entry signature, payload hash, event payload.  The proof
form (form 2 of version 2): [feed, 2, checkpoint, [[entry, [hash...]]...]]:
the checkpoint is a signed note (c2sp.org/signed-note) with a good Ed25519
signature of the key named keten/<feed hex> with the feed's key, and its
text a checkpoint (c2sp.org/tlog-checkpoint) of the origin keten/<feed
hex>; then each step: a well-formed entry of the feed, after the step
before it, inside the checkpoint's tree, with a good entry signature, whose
leaf hash SHA-256(0x00 || header bytes) is proven by its hashes to be leaf
seq - 1 of the tree the checkpoint signs; and its payload as in the chain
form.

Version 3 adds, in keten's order: every signature line of a proof-form
checkpoint other than the feed's own is a C2SP tlog-cosignature
(cosignature/v1) by keten/<witness feed hex>, not the feed, checked with
the key in its name over "cosignature/v1\n" "time T\n" || checkpoint text,
each witness once; then the statements after the feeds: entries of payload
type 4, strictly ascending by (feed, seq), each with a good signature, its
payload's length and hash, and a statement (docs/format.md, decoded here:
[1, kind, subject, name, gln, gcp, domain] with its rules; an endorsement of
a feed by itself fails).  The story gains identity and endorsedBy per
partner and feed, witnesses per proof-form feed, the statements, and the
"trust" keten reports per feed with nothing demanded.  The GLN is checked
as 13 digits with its check digit (keten's GS1 AI (417) check also has a
company-prefix rule that 13 digits always meet).

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
import base64
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
VERSIONS = (1, 2, 3)
SIG_CONTEXT = {1: b"keten/1 bundle signature", 2: b"keten/2 bundle signature",
               3: b"keten/3 bundle signature"}  # 24 ASCII bytes
FORM_CHAIN, FORM_PROOF = 1, 2
HASH_LEN = 32
PROOF_MAX = 130  # keten's limit: the longest proof of a 2^63 tree is 63 hashes
NOTE_MAX = 65536
NOTE_MAX_SIGS = 100
NOTE_NAME_MAX = 255
DASH = "\u2014 ".encode()  # em dash and a space: a signature line's start
FEED_LEN = 32
SIG_LEN = 64
PAYLOAD_MAX = 1000000
PT_EVENT = 1
PT_STATEMENT = 4
COSIG_TYPE = 4
COSIG_BLOB = 4 + 8 + 64  # key ID, time, Ed25519 signature
STMT_IDENTITY, STMT_ENDORSEMENT = 1, 2
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


# ---- C2SP signed notes and tlog checkpoints (c2sp.org/signed-note,
# c2sp.org/tlog-checkpoint), Ed25519 only ---------------------------------------
class NoteError(Exception):
    """A note or checkpoint that is malformed (kind "input") or whose
    signature by the expected key is not there or does not check ("verify")."""

    def __init__(self, kind, msg):
        Exception.__init__(self, msg)
        self.kind = kind


def b64_strict(s):
    """The bytes of standard, padded base64 text s (bytes), or None unless
    it is the one canonical encoding of them (length a multiple of 4, the
    padding there is, unused bits zero)."""
    try:
        raw = base64.b64decode(s, validate=True)
    except (ValueError, TypeError):
        return None
    return raw if base64.b64encode(raw) == s else None


def note_name_ok(n):
    """A key name: 1 to 255 bytes, no space, '+' or control character."""
    return 0 < len(n) <= NOTE_NAME_MAX and all(c > 0x20 and c not in (0x2B, 0x7F) for c in n)


def note_key_id(name, pub, typ=1):
    """The first 4 bytes of SHA-256(name || "\n" || type || public key):
    type 0x01 for an Ed25519 note signature, 0x04 for a cosignature/v1."""
    return hashlib.sha256(name + b"\n" + bytes([typ]) + pub).digest()[:4]


def note_text_ok(t):
    """UTF-8 without control characters other than '\n'."""
    try:
        s = t.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(c == "\n" or ord(c) >= 0x20 for c in s)


def note_open(note, name, pub):
    """The signed text of the signed note `note` (bytes): everything up to
    and including the '\n' before the last blank line, when a signature
    line of (name, pub) is on it and checks.  Signature lines of other keys
    (another name, or this name with another key ID) are skipped; every line
    must still have the form "\u2014 NAME BASE64(keyID || signature)".
    Raises NoteError."""
    if len(note) > NOTE_MAX:
        raise NoteError("input", "signed note: %d bytes, more than %d" % (len(note), NOTE_MAX))
    if len(note) < 2 or note[-1:] != b"\n":
        raise NoteError("input", "signed note: does not end with a newline")
    split = note.rfind(b"\n\n")
    if split <= 0:
        raise NoteError("input", "signed note: no text and blank line before the signatures")
    text = note[: split + 1]
    if not note_text_ok(text):
        raise NoteError("input", "signed note: the text is not UTF-8 or has control characters")
    want = note_key_id(name, pub)
    lines = note[split + 2 :]
    if not lines:
        raise NoteError("input", "signed note: no signature lines")
    good = False
    found = []
    for k, line in enumerate(lines[:-1].split(b"\n")):
        k += 1
        if k > NOTE_MAX_SIGS:
            raise NoteError("input", "signed note: more than %d signatures" % NOTE_MAX_SIGS)
        if not line.startswith(DASH):
            raise NoteError("input", "signed note: signature line %d does not start with an em "
                            "dash and a space" % k)
        rest = line[len(DASH) :]
        sp = rest.find(b" ")
        if sp < 0 or not note_name_ok(rest[:sp]):
            raise NoteError("input", "signed note: signature line %d has no name and signature" % k)
        blob = b64_strict(rest[sp + 1 :])
        if blob is None or len(blob) < 5 or len(blob) > 600:
            raise NoteError("input", "signed note: signature line %d is not base64 of a key ID "
                            "and a signature" % k)
        if rest[:sp] == name and blob[:4] == want:
            if len(blob) != 68 or not ed25519_verify(pub, text, blob[4:]):
                raise NoteError("verify", "signed note: the signature of %s does not check"
                                % name.decode())
            good = True
        found.append((rest[:sp], blob))
    if not good:
        raise NoteError("verify", "signed note: not signed by the key of %s" % name.decode())
    return text, found


def checkpoint_parse(text):
    """(origin, size, root) of a checkpoint text: origin, decimal size
    without leading zeros (below 2^63), base64 root of 32 bytes, each line
    ended by '\n', then any non-empty extension lines.  Raises NoteError."""
    lines = text.split(b"\n")
    if len(lines) < 4:
        raise NoteError("input", "checkpoint: %d lines, not the three of origin, size and root"
                        % (len(lines) - 1))
    origin, size, root = lines[0], lines[1], lines[2]
    if not origin or len(origin) > NOTE_NAME_MAX:
        raise NoteError("input", "checkpoint line 1: the origin is empty or longer than %d bytes"
                        % NOTE_NAME_MAX)
    if not size or len(size) > 19 or (size[:1] == b"0" and len(size) > 1):
        raise NoteError("input", "checkpoint line 2: the tree size is not a decimal number "
                        "without leading zeros")
    if not all(0x30 <= c <= 0x39 for c in size):
        raise NoteError("input", "checkpoint line 2: the tree size has a non-digit")
    n = int(size)
    if n >> 63:
        raise NoteError("input", "checkpoint line 2: the tree size is too big")
    r = b64_strict(root)
    if r is None or len(r) != HASH_LEN:
        raise NoteError("input", "checkpoint line 3: the root is not base64 of 32 bytes")
    if any(not x for x in lines[3:-1]) or lines[-1]:
        raise NoteError("input", "checkpoint: an extension line is empty or not ended")
    return origin.decode("utf-8"), n, r


# ---- RFC 9162 Merkle tree: leaf hash and inclusion proof check ---------------
def leaf_hash(leaf):
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(leaf, index, size, hashes, root):
    """RFC 9162 section 2.1.3.2: None when `hashes` (bottom-up) prove leaf
    hash `leaf` to be leaf `index` of the tree of `size` leaves with root
    `root`, else what is wrong (keten's words)."""
    if index >= size:
        return "inclusion proof: leaf index %d is past the tree size %d" % (index, size)
    fn, sn, r = index, size - 1, leaf
    for p in hashes:
        if sn == 0:
            return "inclusion proof: %d hashes, more than a tree of %d needs" % (len(hashes), size)
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return "inclusion proof: %d hashes, fewer than a tree of %d needs" % (len(hashes), size)
    if r != root:
        return "inclusion proof: leaf %d does not lead to the root of the tree of %d" % (index, size)
    return None


def _mth(leaves):
    """RFC 9162 section 2.1.1 MTH over leaf hashes (for the selftest)."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def _path(m, leaves):
    """RFC 9162 section 2.1.3.1 PATH(m, D[n]) over leaf hashes (selftest)."""
    if len(leaves) == 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return _path(m, leaves[:k]) + [_mth(leaves[k:])]
    return _path(m - k, leaves[k:]) + [_mth(leaves[:k])]


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
    if ptype not in (1, 2, 3, 4):
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
        if version not in VERSIONS:
            raise Fail("bundle version %d is not supported (this verifier reads versions 1 "
                       "to 3)" % version)
        self.version = version
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
            want = 6 if self.version >= 3 else 5
            if b.array() != want:
                raise CborError("the body is not an array of %d" % want)
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
        if version >= 3:
            self.verify_statements(b)
        if not b.done():
            raise damaged("bytes after the end of the body")

        # 4. the creator's signature over the context string and the body
        if not ed25519_verify(self.creator, SIG_CONTEXT[version] + body, sig):
            raise Fail("bundle signature by %s does not verify: the statement, partners or "
                       "selection were changed after it was signed" % self.label(self.creator))

    def verify_feed(self, r, prev_feed):
        # 3. one feed item: [feed, steps, entries] (version 1), or [feed, form,
        # ...] (version 2: form 1 the chain, form 2 the proof)
        want = 3 if self.version == 1 else 4
        try:
            if r.array() != want:
                raise CborError("not an array of %d" % want)
        except CborError as e:
            raise damaged("a feed item is not an array of %d" % want, e)
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
        form = FORM_CHAIN
        if self.version > 1:
            try:
                form = r.uint()
            except CborError as e:
                raise damaged("a feed item's form is not a number", e)
        if form == FORM_CHAIN:
            self.verify_chain(r, feed, label)
        elif form == FORM_PROOF:
            self.verify_proof(r, feed, label)
        else:
            raise damaged("a feed item's form is neither 1 (chain) nor 2 (proof)")
        return feed

    def verify_chain(self, r, feed, label):
        # 3.c the chain form: [steps, entries] after the feed ID (and form)
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
                self.add_step(e, feed, label)
            prev_hash = hashlib.sha256(e["hbytes"] + e["sig"]).digest()
            prev_seq = seq
        # after the last entry: every step was among them, the last is the last step
        for s in steps:
            if s > prev_seq:
                raise Fail("step removed: %s: step seq %d is not among the entries (they end "
                           "at seq %d)" % (label, s, prev_seq))
        if prev_seq != steps[-1]:
            raise damaged("a feed's entries go on after its last step")
        self.feeds.append({"feed": feed.hex(), "name": self.names[feed], "proof": "chain",
                           "from": steps[0], "to": prev_seq, "entries": nent,
                           "steps": len(steps), "disclosed": disclosed, "sealed": sealed})

    def add_step(self, e, feed, label):
        """A step's payload checks (when disclosed: length and hash, an
        event payload) and its story."""
        seq, p = e["seq"], e["payload"]
        if p is not None and (len(p) != e["plen"] or hashlib.sha256(p).digest() != e["phash"]):
            raise Fail("%s seq %d: payload does not match its hash" % (label, seq))
        step = {"feed": feed.hex(), "name": self.names[feed], "seq": seq,
                "recordTimeMs": e["recordTime"], "sealed": p is None,
                "payloadType": e["ptype"], "payloadLength": e["plen"],
                "payloadHash": e["phash"].hex()}
        if p is not None:
            if e["ptype"] != PT_EVENT:
                raise Fail("%s seq %d: payload type %d is not an event" % (label, seq, e["ptype"]))
            try:
                evhash, ev = decode_event_payload(p)
            except ValueError as x:
                raise Fail("%s seq %d: payload does not decode as an event: %s" % (label, seq, x))
            step["eventHash"] = evhash
            step["eventID"] = ev.get("eventID")
            step["type"] = ev.get("type")
            step["eventTime"] = ev.get("eventTime")
            step["bizStep"] = ev.get("bizStep")
        self.steps.append(step)

    def read_checkpoint(self, r, feed, label):
        """The feed's checkpoint: a text string, a signed note with a good
        signature by the feed's key named keten/<feed hex>, whose text is a
        checkpoint of the origin keten/<feed hex>.  (note, size, root)."""
        try:
            note = r.value()
        except CborError as e:
            raise damaged("a feed's checkpoint is missing", e)
        if not isinstance(note, str):
            raise damaged("a feed's checkpoint is not a text string")
        origin = "keten/" + feed.hex()
        try:
            text, lines = note_open(note.encode("utf-8"), origin.encode(), feed)
        except NoteError as e:
            if e.kind == "verify":
                raise Fail("%s: the checkpoint is not signed by the feed's key: %s" % (label, e))
            raise Fail("%s: the checkpoint is not a signed note: %s" % (label, e))
        try:
            cp_origin, size, root = checkpoint_parse(text)
        except NoteError as e:
            raise Fail("%s: the checkpoint is malformed: %s" % (label, e))
        if cp_origin != origin:
            raise Fail("%s: the checkpoint is of the log %s, not of this feed" % (label, cp_origin))
        witnesses = self.cosignatures(text, lines, feed, label) if self.version >= 3 else None
        return note, size, root, witnesses

    def cosignatures(self, text, lines, feed, label):
        """Version 3: every signature line of the checkpoint but the feed's
        own is a cosignature it claims (C2SP tlog-cosignature, cosignature/v1
        by keten/<witness feed hex>), and must check; each witness once.
        [{"witness", "time", "timeText"}]."""
        origin = ("keten/" + feed.hex()).encode()
        own = note_key_id(origin, feed)
        out = []
        for name, blob in lines:
            if name == origin and blob[:4] == own:
                continue
            n = name.decode()
            if len(n) != 70 or not n.startswith("keten/") or any(c not in "0123456789abcdef" for c in n[6:]):
                raise Fail("%s: the checkpoint claims a signature by %s, which is not a keten "
                           "witness (keten/<feed ID>) whose cosignature could be checked" % (label, n))
            wfeed = bytes.fromhex(n[6:])
            if wfeed == feed:
                raise Fail("%s: the checkpoint claims a cosignature by the feed itself" % label)
            try:
                t = cosig_check(text, name, blob, wfeed)
            except NoteError as e:
                raise Fail("%s: the checkpoint claims a cosignature by witness %s that it does not "
                           "carry: %s" % (label, n[6:22], e))
            if any(w["witness"] == n[6:] for w in out):
                raise Fail("%s: the checkpoint carries two cosignatures by witness %s" % (label, n[6:22]))
            out.append({"witness": n[6:], "time": t, "timeText": iso_ms(t * 1000)})
        return out

    def verify_statements(self, r):
        """Version 3's statements: [entry, ...], each a signed entry of
        payload type 4 whose statement decodes and checks against its feed,
        strictly ascending by (feed, seq)."""
        try:
            n = r.array()
        except CborError as e:
            raise damaged("the statements are not an array", e)
        self.stmts = []
        prev = None
        for i in range(n):
            try:
                eb = r.bstr()
            except CborError as e:
                raise damaged("a statement is not a byte string", e)
            try:
                e = decode_entry(eb)
            except ValueError as x:
                raise Fail("statement %d: not a well-formed entry: %s" % (i + 1, x))
            if prev is not None and (prev["feed"], prev["seq"]) >= (e["feed"], e["seq"]):
                raise damaged("statements are not in ascending (feed, seq) order")
            prev = e
            where = "statement %d (feed %s seq %d)" % (i + 1, e["feed"].hex()[:8], e["seq"])
            if not ed25519_verify(e["feed"], e["hbytes"], e["sig"]):
                raise Fail("%s: Ed25519 signature does not verify" % where)
            p = e["payload"]
            if p is not None and len(p) != e["plen"]:
                raise Fail("%s: payload is %d bytes but the signed header says %d" % (where, len(p), e["plen"]))
            if p is not None and hashlib.sha256(p).digest() != e["phash"]:
                raise Fail("%s: payload SHA-256 does not match the signed header" % where)
            try:
                st = stmt_from_entry(e)
            except ValueError as x:
                raise Fail("%s: %s" % (where, x))
            self.stmts.append({"author": e["feed"], "seq": e["seq"], "recordTime": e["recordTime"], "s": st})

    def read_proof_step(self, r, n, label):
        """[entry, [hash, ...]]: the decoded entry and the proof's hashes."""
        try:
            if r.array() != 2:
                raise CborError("not an array of 2")
        except CborError:
            raise damaged("a step is not [entry, proof]")
        try:
            eb = r.bstr()
        except CborError as x:
            raise damaged("an entry is not a byte string", x)
        try:
            e = decode_entry(eb)
        except ValueError as x:
            raise Fail("%s step %d: not a well-formed entry: %s" % (label, n + 1, x))
        try:
            nh = r.array()
        except CborError as x:
            raise damaged("a step's proof is not an array of hashes", x)
        if nh > PROOF_MAX:
            raise Fail("%s seq %d: the inclusion proof has %d hashes (at most %d)"
                       % (label, e["seq"], nh, PROOF_MAX))
        hashes = []
        for _ in range(nh):
            try:
                h = r.bstr()
            except CborError:
                h = b""
            if len(h) != HASH_LEN:
                raise damaged("a proof hash is not 32 bytes")
            hashes.append(h)
        return e, hashes

    def verify_proof(self, r, feed, label):
        # 3.p the proof form: [checkpoint, [[entry, [hash, ...]], ...]]
        note, size, root, witnesses = self.read_checkpoint(r, feed, label)
        try:
            nsteps = r.array()
        except CborError:
            nsteps = 0
        if nsteps == 0:
            raise damaged("a feed's step list is missing or empty")
        prev = first = disclosed = 0
        for n in range(nsteps):
            e, hashes = self.read_proof_step(r, n, label)
            seq = e["seq"]
            if e["feed"] != feed:
                raise Fail("%s seq %d: the entry belongs to feed %s, not to this feed"
                           % (label, seq, e["feed"].hex()[:8]))
            if n and seq <= prev:
                raise Fail("step reordered: %s: seq %d comes after seq %d" % (label, seq, prev))
            if seq == 0 or seq > size:
                raise Fail("%s seq %d: not in the checkpoint, whose tree has %d entries"
                           % (label, seq, size))
            if not ed25519_verify(feed, e["hbytes"], e["sig"]):
                raise Fail("%s seq %d: entry signature does not verify" % (label, seq))
            why = verify_inclusion(leaf_hash(e["hbytes"]), seq - 1, size, hashes, root)
            if why:
                raise Fail("%s seq %d: not proven in the feed's signed log of %d entries: %s"
                           % (label, seq, size, why))
            self.add_step(e, feed, label)
            disclosed += e["payload"] is not None
            if n == 0:
                first = seq
            prev = seq
        self.feeds.append({"feed": feed.hex(), "name": self.names[feed], "proof": "tree",
                           "from": first, "to": prev, "entries": nsteps, "steps": nsteps,
                           "disclosed": disclosed, "sealed": nsteps - disclosed,
                           "treeSize": size, "rootHash": root.hex(), "checkpoint": note})
        if witnesses is not None:
            self.feeds[-1]["witnesses"] = witnesses


def iso_ms(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)


def cosig_check(text, name, blob, pub):
    """The time of a good C2SP cosignature/v1 line (name, blob) of witness
    key pub over the checkpoint text: blob is the key ID (SHA-256(name ||
    "\n" || 0x04 || key)[:4]), the time as 8 bytes big-endian and the
    Ed25519 signature of "cosignature/v1\n" "time T\n" || text.  Raises
    NoteError in keten's words."""
    n = name.decode()
    if blob[:4] != note_key_id(name, pub, COSIG_TYPE):
        raise NoteError("input", "not a cosignature of witness %s" % n)
    if len(blob) != COSIG_BLOB:
        raise NoteError("input", "cosignature of %s: %d bytes, not the %d of a key ID, a time and "
                        "an Ed25519 signature" % (n, len(blob), COSIG_BLOB))
    t = int.from_bytes(blob[4:12], "big")
    if t >> 63:
        raise NoteError("input", "cosignature: time %d is 2^63 or more" % t)
    msg = b"cosignature/v1\ntime %d\n" % t + text
    if not ed25519_verify(pub, msg, blob[12:]):
        raise NoteError("verify", "cosignature of %s (time %d): the signature does not check" % (n, t))
    return t


# ---- statements: identity and endorsement (docs/format.md) -----------------
def _gln_problem(g):
    """What is wrong with a GLN as GS1 AI (417), in keten's words, or None."""
    b = g.encode()
    if len(b) < 13:
        return "AI (417): value is too short (%d characters, at least 13)" % len(b)
    for i, c in enumerate(b):
        if not 0x30 <= c <= 0x39:
            if 32 < c < 127:
                return "AI (417): character '%c' at position %d is not a digit" % (c, i + 1)
            return "AI (417): byte 0x%02X at position %d is not a digit" % (c, i + 1)
    total = sum(int(d) * (3 if k % 2 == 0 else 1) for k, d in enumerate(reversed(g[:12])))
    want = (10 - total % 10) % 10
    if int(g[12]) != want:
        return "AI (417): check digit is %s, expected %d" % (g[12], want)
    return None


def _domain_problem(d):
    if len(d) > 253:
        return "statement: the domain is over 253 bytes"
    label = 0
    for i in range(len(d) + 1):
        c = d[i] if i < len(d) else ""
        if c in (".", ""):
            if label == 0 or label > 63 or d[i - 1] == "-":
                return ('statement: domain "%s" is not a host name (a label is empty, over 63 '
                        "bytes or ends in '-')" % d)
            label = 0
            continue
        if not ("a" <= c <= "z" or "0" <= c <= "9" or (c == "-" and label > 0)):
            return ("statement: domain \"%s\": '%s' at %d (lower-case letters, digits, '-' and '.' "
                    "only)" % (d, c, i))
        label += 1
    return None


def stmt_decode(p):
    """[1, kind, subject (32), name, gln, gcp, domain], read strictly and
    checked by format.md's rules; a dict, or ValueError naming the field."""
    r = Reader(p)
    n = _get(r.array, "statement")
    if n != 7:
        raise ValueError("statement: an array of %d items, not 7" % n)
    version = _get(r.uint, "statement: version")
    if version != 1:
        raise ValueError("statement: version %d (this keten reads 1)" % version)
    kind = _get(r.uint, "statement: kind")
    if kind not in (STMT_IDENTITY, STMT_ENDORSEMENT):
        raise ValueError("statement: unknown kind %d" % kind)
    subject = _get(r.bstr, "statement: subject")
    if len(subject) != 32:
        raise ValueError("statement: subject is %d bytes, not 32" % len(subject))
    st = {"kind": kind, "subject": subject}
    for what, cap in (("name", 200), ("gln", 13), ("gcp", 12), ("domain", 253)):
        v = _get(r.value, "statement: " + what)
        if not isinstance(v, str) or len(v.encode()) > cap or "\0" in v:
            raise ValueError("statement: %s is not a text of at most %d bytes" % (what, cap))
        st[what] = v
    if not r.done():
        raise ValueError("statement: %d bytes after the array" % (len(p) - r.i))
    nb = st["name"].encode()
    if not nb:
        raise ValueError("statement: the name is empty")
    for i, c in enumerate(nb):
        if c < 0x20 or c == 0x7F:
            raise ValueError("statement: the name has a control character at byte %d" % i)
    gln, gcp = st["gln"], st["gcp"]
    if not gln and not gcp:
        raise ValueError("statement: neither a GLN nor a GS1 Company Prefix is given")
    if gln and _gln_problem(gln):
        raise ValueError('statement: GLN "%s": %s' % (gln, _gln_problem(gln)))
    if gcp:
        if not (4 <= len(gcp) <= 12 and gcp.isascii() and gcp.isdigit()):
            raise ValueError('statement: GS1 Company Prefix "%s" is not 4 to 12 digits' % gcp)
        if gln and not gln.startswith(gcp):
            raise ValueError("statement: GLN %s does not start with the GS1 Company Prefix %s"
                             % (gln, gcp))
    if st["domain"] and _domain_problem(st["domain"]):
        raise ValueError(_domain_problem(st["domain"]))
    return st


def stmt_from_entry(e):
    """The statement of an entry of payload type 4, checked against its
    feed: an identity names its own feed, an endorsement another one."""
    if e["ptype"] != PT_STATEMENT:
        raise ValueError("entry %d has payload type %d, not a statement" % (e["seq"], e["ptype"]))
    if e["payload"] is None:
        raise ValueError("entry %d: a sealed statement" % e["seq"])
    try:
        st = stmt_decode(e["payload"])
        same = st["subject"] == e["feed"]
        if st["kind"] == STMT_IDENTITY and not same:
            raise ValueError("statement: an identity statement names another feed than its own")
        if st["kind"] == STMT_ENDORSEMENT and same:
            raise ValueError("statement: an endorsement of a feed by itself (a feed cannot "
                             "endorse its own key)")
    except ValueError as x:
        raise ValueError("entry %d: %s" % (e["seq"], x))
    return st


def stmt_json(r):
    s = r["s"]
    o = {"feed": r["author"].hex(), "seq": r["seq"],
         "kind": "identity" if s["kind"] == STMT_IDENTITY else "endorsement",
         "subject": s["subject"].hex(), "name": s["name"], "recordTime": iso_ms(r["recordTime"])}
    for k in ("gln", "gcp", "domain"):
        if s[k]:
            o[k] = s[k]
    return o


def stmts_identity(recs, feed):
    """A feed's stated identity: its identity statement of the highest seq."""
    best = None
    for r in recs:
        if r["s"]["kind"] == STMT_IDENTITY and r["author"] == feed and (not best or r["seq"] > best["seq"]):
            best = r
    return best


def stmts_agree(r, i):
    """An endorsement agrees when its name, and the GLN, GCP and domain it
    gives, are the stated identity's (a GCP also when it starts the GLN)."""
    e, s = r["s"], i and i["s"]
    if not s or e["name"] != s["name"]:
        return False
    if e["gln"] and e["gln"] != s["gln"]:
        return False
    if e["gcp"] and e["gcp"] != s["gcp"] and not (s["gln"] and s["gln"].startswith(e["gcp"])):
        return False
    return not (e["domain"] and e["domain"] != s["domain"])


def stmts_feed_json(recs, feed):
    """{"identity", "endorsedBy"} of a feed: the newest endorsement of it by
    each other feed, with the endorser's stated name."""
    ident = stmts_identity(recs, feed)
    by = []
    for r in recs:
        if r["s"]["kind"] != STMT_ENDORSEMENT or r["s"]["subject"] != feed:
            continue
        if any(o["s"]["kind"] == STMT_ENDORSEMENT and o["author"] == r["author"]
               and o["s"]["subject"] == feed and o["seq"] > r["seq"] for o in recs):
            continue
        who = stmts_identity(recs, r["author"])
        by.append({"feed": r["author"].hex(), "name": who["s"]["name"] if who else None,
                   "seq": r["seq"], "agrees": stmts_agree(r, ident), "endorsed": stmt_json(r)})
    return {"identity": stmt_json(ident) if ident else None, "endorsedBy": by}


def story(v):
    nsealed = sum(1 for s in v.steps if s["sealed"])
    partners = [{"feed": f.hex(), "name": n} for f, n in v.partners]
    extra = {}
    if v.version >= 3:
        for p, (f, _) in zip(partners, v.partners):
            p.update(stmts_feed_json(v.stmts, f))
        for f in v.feeds:
            f.update(stmts_feed_json(v.stmts, bytes.fromhex(f["feed"])))
        extra["statements"] = [stmt_json(r) for r in v.stmts]
        names = {p["feed"] for p in partners}
        for f in v.feeds:
            # what keten reports with nothing demanded: witnesses that count
            # are partners of the bundle other than the feed itself
            wits = [w["witness"] for w in f.get("witnesses", [])
                    if w["witness"] != f["feed"] and w["witness"] in names]
            f["trust"] = {"known": None, "vouched": False, "vouchedBy": [], "witnesses": wits,
                          "otherWitnesses": len(f.get("witnesses", [])) - len(wits)}
    return dict(extra, **{"verified": True, "bundle": v.version, "verifier": "tests/tools/bundle_verify.py",
            "subject": v.subject, "createdMs": v.created, "created": iso_ms(v.created),
            "creator": {"feed": v.creator.hex(), "name": v.names[v.creator]},
            "partners": partners,
            "feeds": v.feeds, "steps": v.steps,
            "counts": {"steps": len(v.steps), "disclosed": len(v.steps) - nsealed,
                       "sealed": nsealed, "entries": sum(f["entries"] for f in v.feeds)},
            "eventHashRecomputed": False})


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
        if f["proof"] == "tree":
            print("  %-24s proven in its signed log of %d entries, root %s"
                  % ("", f["treeSize"], f["rootHash"]))
        else:
            print("  %-24s linked entries (no signed checkpoint in the bundle)" % "")
        if d["bundle"] >= 3:
            names = {st["feed"]: st["name"] for st in d["statements"] if st["kind"] == "identity"}
            i = f["identity"]
            print("  %-24s %s" % ("", "states: %s%s%s" % (i["name"], ", GLN " + i["gln"] if "gln" in i else "",
                                                            ", GCP " + i["gcp"] if "gcp" in i else "")
                                      if i else "no identity statement"))
            for e in f["endorsedBy"]:
                print("  %-24s endorsed by %s (%s)%s" % ("", e["name"] or "(no statement)", e["feed"][:16],
                                                        "" if e["agrees"] else " NOT AS STATED"))
            for w in f.get("witnesses", []):
                print("  %-24s witnessed by %s (%s) at %s" % ("", names.get(w["witness"], "(no statement)"),
                                                             w["witness"][:16], w["timeText"]))
    print("not recomputed: the EPCIS event hash of each disclosed event (optional, "
          "docs/bundle.md step 3.6)")


def _b64_bits(c):
    """A base64 digit with its two lowest bits set (not canonical when they
    are unused bits)."""
    a = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    return a[a.index(c) | 3 : (a.index(c) | 3) + 1]


def selftest():
    """Ed25519 here against the signer of hs_vectors.py and RFC 8032 test 1,
    and the CBOR reader's refusals. Exit 0 when all hold."""
    seed = bytes(range(32))
    pub = ed.ed25519_keys(seed)[2]
    assert pub.hex() == "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
    msg = SIG_CONTEXT[2] + b"body"
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
    # the tree and checkpoint vector of docs/format.md: seed 07 x 32, five leaves
    leaves = [leaf_hash(b"keten test leaf %d" % i) for i in range(5)]
    assert leaves[0].hex() == "3bf8056c29060a45e6403e20bde0947c871c5043d81aaa649c12b9b9c7a382b3"
    root = _mth(leaves)
    seed7 = bytes([7]) * 32
    pub7 = ed.ed25519_keys(seed7)[2]
    name7 = ("keten/" + pub7.hex()).encode()
    kid = note_key_id(name7, pub7)
    assert name7 + b"+" + kid.hex().encode() + b"+" + base64.b64encode(b"\x01" + pub7) == (
        b"keten/ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c+2cfd81bd+"
        b"AepKbGPinFIKvvVQexMuxfmVR3auvr57kkIe6mkURtIs")
    text = name7 + b"\n5\n" + base64.b64encode(root) + b"\n"
    note = (text + b"\n" + DASH + name7 + b" " +
            base64.b64encode(kid + ed.ed25519_sign(seed7, text)) + b"\n")
    assert note == (
        b"keten/ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c\n5\n"
        b"ZI9Yvx0SDdc0VyZtjoC8nYSazgvRMMJ/fcSMFjZAoLk=\n\n\xe2\x80\x94 "
        b"keten/ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c "
        b"LP2BvQ68zESjg3NOUQsO/ZhcXbJk/lWTlNdAY3oDDNgRpKZ4D1xgXHzpjxAYZR0x9KGjpOGiWFFJavNRJHD7EZt28go=\n")
    assert note_open(note, name7, pub7)[0] == text
    assert checkpoint_parse(text) == (name7.decode(), 5, root)
    # a witness line of another key is skipped; a bad signature of this key is not
    other = DASH + b"witness " + base64.b64encode(b"\0" * 68) + b"\n"
    assert note_open(note + other, name7, pub7)[0] == text
    bad = bytearray(note)
    bad[-10] = ord("A") if bad[-10] != ord("A") else ord("B")
    for n, kind in ((bytes(bad), "verify"), (note.replace(b"\n5\n", b"\n6\n"), "verify"),
                    (text + b"\n" + other, "verify"), (note[:-1], "input"),
                    (note.replace(DASH, b"- "), "input"), (note + b"\n", "input")):
        try:
            note_open(n, name7, pub7)
        except NoteError as e:
            assert e.kind == kind, (n, e)
            continue
        raise AssertionError("note accepted: %r" % n)
    # this key's name with another key ID: another key, skipped
    alien = DASH + name7 + b" " + base64.b64encode(b"\xff" * 68) + b"\n"
    assert note_open(note + alien, name7, pub7)[0] == text
    r64 = base64.b64encode(root)
    for t, why in ((b"o\n5\n", "checkpoint: 2 lines"),
                   (b"o\n05\n" + r64 + b"\n", "line 2: the tree size is not a decimal"),
                   (b"o\n5\nAAAA\n", "line 3: the root is not base64 of 32 bytes"),
                   (b"o\n5\n" + r64[:-2] + _b64_bits(r64[-2:-1]) + b"=\n",
                    "line 3: the root is not base64 of 32 bytes"),  # unused bits set
                   (b"o\n5x\n" + r64 + b"\n", "line 2: the tree size has a non-digit"),
                   (b"o\n5\n" + r64 + b"\n\n", "an extension line is empty")):
        try:
            checkpoint_parse(t)
        except NoteError as e:
            assert why in str(e), (t, e)
            continue
        raise AssertionError("checkpoint accepted: %r" % t)
    # inclusion proofs: RFC 9162's PATH for every leaf of trees of 1..8 leaves
    # checks, a changed hash, one too many or too few, another index do not
    for n in range(1, 9):
        ls = [leaf_hash(b"leaf %d" % i) for i in range(n)]
        r = _mth(ls)
        for m in range(n):
            pth = _path(m, ls)
            assert verify_inclusion(ls[m], m, n, pth, r) is None, (n, m)
            assert verify_inclusion(ls[m], m, n, pth + [r], r), (n, m)
            assert verify_inclusion(ls[m], n, n, pth, r), (n, m)
            if pth:
                assert verify_inclusion(ls[m], m, n, pth[:-1], r), (n, m)
                assert verify_inclusion(ls[m], m, n, [bytes(32)] + pth[1:], r), (n, m)
            if n > 1:
                assert verify_inclusion(ls[m], (m + 1) % n, n, pth, r), (n, m)
    assert verify_inclusion(leaves[2], 2, 5, _path(2, leaves), root) is None

    # the statement test vector of format.md ("Statement payload"), and
    # the claims of a few changed ones
    vec = bytes.fromhex(
        "8701015820ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c"
        "73566c6565737665727765726b65722044656d6f6d353431323334353030303030366735"
        "3431323334356d766c6565732e6578616d706c65")
    assert hashlib.sha256(vec).hexdigest() == \
        "2e52b3af4dc614c475d2c51e76637069d72837e117d0a5f818bcbf31fde457d0"
    st = stmt_decode(vec)
    assert (st["kind"], st["name"], st["gln"], st["gcp"], st["domain"]) == \
        (1, "Vleesverwerker Demo", "5412345000006", "5412345", "vlees.example"), st
    for bad, why in ((vec[:-1] + b"E", "domain \"vlees.exampl"),        # not lower-case
                     (vec.replace(b"5412345000006", b"5412345000007"), "check digit is 7, expected 6"),
                     (b"\x88" + vec[1:] + b"\x60", "an array of 8 items, not 7"),
                     (vec + b"\x00", "1 bytes after the array")):
        try:
            stmt_decode(bad)
            raise AssertionError("accepted: %s" % bad.hex())
        except ValueError as x:
            assert why in str(x), (why, str(x))
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

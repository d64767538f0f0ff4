#!/usr/bin/env python3
"""An independent verifier of keten entries, written from docs/format.md
only: its own CBOR decoder, hashlib's SHA-256 and OpenSSL's Ed25519 (through
the openssl command). It checks the test vectors file given as argument:
each entry decodes as [header, signature, payload], the header as the 8
fields, the payload hash and length match, the signature verifies with the
feed key, prev links chain, and the entry hash is SHA-256(header||sig).
Exit 0 when every entry checks, 1 otherwise."""
import hashlib, json, os, subprocess, sys, tempfile

def cbor(b, i=0):
    """Decodes one item at b[i:]; returns (value, next index)."""
    ib = b[i]; major, ai = ib >> 5, ib & 31; i += 1
    if ai < 24: arg = ai
    elif ai <= 27:
        n = 1 << (ai - 24); arg = int.from_bytes(b[i:i + n], "big"); i += n
    else: raise ValueError("indefinite or reserved")
    if major == 0: return arg, i
    if major == 1: return -1 - arg, i
    if major == 2: return bytes(b[i:i + arg]), i + arg
    if major == 3: return b[i:i + arg].decode("utf-8"), i + arg
    if major == 4:
        out = []
        for _ in range(arg):
            v, i = cbor(b, i); out.append(v)
        return out, i
    if major == 5:
        out = {}
        for _ in range(arg):
            k, i = cbor(b, i); v, i = cbor(b, i); out[k] = v
        return out, i
    if major == 7:
        if ai == 20: return False, i
        if ai == 21: return True, i
        if ai == 22: return None, i
        import struct
        if ai == 25:
            h = arg; e = (h >> 10) & 31; m = h & 1023
            v = m * 2.0 ** -24 if e == 0 else (m + 1024) * 2.0 ** (e - 25)
            return (-v if h & 0x8000 else v), i
        if ai == 26: return struct.unpack(">f", arg.to_bytes(4, "big"))[0], i
        if ai == 27: return struct.unpack(">d", arg.to_bytes(8, "big"))[0], i
    raise ValueError("unsupported item %x" % ib)

def ed25519_verify(pub, msg, sig):
    der = bytes.fromhex("302a300506032b6570032100") + pub
    with tempfile.TemporaryDirectory() as d:
        pem = os.path.join(d, "pub.pem")
        with open(pem, "w") as f:
            import base64
            f.write("-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n"
                    % base64.b64encode(der).decode())
        open(os.path.join(d, "msg"), "wb").write(msg)
        open(os.path.join(d, "sig"), "wb").write(sig)
        r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pem, "-rawin",
                            "-in", os.path.join(d, "msg"), "-sigfile", os.path.join(d, "sig")],
                           capture_output=True)
        return r.returncode == 0

def main(path):
    doc = json.load(open(path))
    prev = bytes(32)
    for n, v in enumerate(doc["entries"]):
        entry = bytes.fromhex(v["entry"])
        (hb, sig, payload), end = cbor(entry)
        assert end == len(entry), "trailing bytes"
        h, end = cbor(hb)
        assert end == len(hb) and len(h) == 8, "header is not 8 fields"
        version, feed, seq, hprev, rtime, ptype, plen, phash = h
        assert version == 1 and seq == n + 1, "version/seq"
        assert feed.hex() == v["feed"], "feed"
        assert hprev == prev, "prev link of seq %d" % seq
        assert plen == len(payload) and hashlib.sha256(payload).digest() == phash, "payload hash"
        assert ed25519_verify(feed, hb, sig), "signature of seq %d" % seq
        ehash = hashlib.sha256(hb + sig).digest()
        assert ehash.hex() == v["entryHash"], "entry hash"
        body, end = cbor(payload)
        assert end == len(payload) and body[0] == 1 and body[1] == v["eventHash"], "payload"
        assert body[2]["eventID"] == v["eventHash"] and "type" in body[2], "event"
        # a forgery must fail: one flipped header bit
        bad = bytearray(hb); bad[-1] ^= 1
        assert not ed25519_verify(feed, bytes(bad), sig), "a forged header verified"
        prev = ehash
        print("seq %d ok: %s %s" % (seq, body[2]["type"], ehash.hex()[:16]))
    return 0

if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1]))
    except (AssertionError, ValueError) as e:
        print("FAIL:", e); sys.exit(1)

#!/usr/bin/env python3
"""hs_vectors.py -- recomputes the keten handshake test vectors of
docs/protocol.md (section "Test vectors") independently of libsodium and of
node/node_hs.c, using only the Python standard library: hashlib.blake2b
(keyed), hmac + hashlib.sha512 (HMAC-SHA512-256 is HMAC-SHA512 cut to 32
bytes), and small textbook implementations written here from the RFCs of
X25519 (RFC 7748), Ed25519 signing (RFC 8032) and XSalsa20-Poly1305
(crypto_secretbox: Salsa20 / HSalsa20 spec, RFC 8439 Poly1305).  When the
`cryptography` package is installed, its (OpenSSL) X25519 and Ed25519 are
also compared with the ones here.

Prints M1..M4 and the two stream keys, and exits 1 if any of them differs
from the values in tests/unit/test_node_hs.c / docs/protocol.md.
Not a test the build runs: the record of how the vectors were cross-checked.
"""
import hashlib
import hmac
import sys

P = 2**255 - 19


# ---- X25519 (RFC 7748, section 5) -------------------------------------------
def x25519(k: bytes, u: bytes) -> bytes:
    k = bytearray(k)
    k[0] &= 248
    k[31] &= 127
    k[31] |= 64
    scalar = int.from_bytes(k, "little")
    x1 = int.from_bytes(u, "little") & ((1 << 255) - 1)
    x2, z2, x3, z3, swap = 1, 0, x1, 1, 0
    for t in reversed(range(255)):
        kt = (scalar >> t) & 1
        swap ^= kt
        if swap:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = kt
        a, b = (x2 + z2) % P, (x2 - z2) % P
        aa, bb = a * a % P, b * b % P
        e = (aa - bb) % P
        c, d = (x3 + z3) % P, (x3 - z3) % P
        da, cb = d * a % P, c * b % P
        x3 = (da + cb) ** 2 % P
        z3 = x1 * (da - cb) ** 2 % P
        x2 = aa * bb % P
        z2 = e * (aa + 121665 * e) % P
    if swap:
        x2, z2 = x3, z3
    return (x2 * pow(z2, P - 2, P) % P).to_bytes(32, "little")


# ---- Ed25519 signing (RFC 8032, section 5.1) --------------------------------
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _recover_x(y, sign):
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if x & 1 != sign:
        x = P - x
    return x


_BY = 4 * pow(5, P - 2, P) % P
BASE = (_recover_x(_BY, 0), _BY, 1, _recover_x(_BY, 0) * _BY % P)


def _add(p, q):
    a = (p[1] - p[0]) * (q[1] - q[0]) % P
    b = (p[1] + p[0]) * (q[1] + q[0]) % P
    c = 2 * p[3] * q[3] * D % P
    d = 2 * p[2] * q[2] % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s, p):
    q = (0, 1, 1, 0)
    while s:
        if s & 1:
            q = _add(q, p)
        p = _add(p, p)
        s >>= 1
    return q


def _enc(p):
    zi = pow(p[2], P - 2, P)
    x, y = p[0] * zi % P, p[1] * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def ed25519_keys(seed):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:], _enc(_mul(a, BASE))


def ed25519_sign(seed, msg):
    a, prefix, pub = ed25519_keys(seed)
    r = int.from_bytes(hashlib.sha512(prefix + msg).digest(), "little") % L
    rs = _enc(_mul(r, BASE))
    k = int.from_bytes(hashlib.sha512(rs + pub + msg).digest(), "little") % L
    return rs + ((r + k * a) % L).to_bytes(32, "little")


# ---- XSalsa20-Poly1305 (crypto_secretbox) ------------------------------------
def _rotl(v, c):
    return ((v << c) & 0xFFFFFFFF) | (v >> (32 - c))


def _salsa_rounds(x):
    x = list(x)

    def qr(a, b, c, d):
        x[b] ^= _rotl((x[a] + x[d]) & 0xFFFFFFFF, 7)
        x[c] ^= _rotl((x[b] + x[a]) & 0xFFFFFFFF, 9)
        x[d] ^= _rotl((x[c] + x[b]) & 0xFFFFFFFF, 13)
        x[a] ^= _rotl((x[d] + x[c]) & 0xFFFFFFFF, 18)

    for _ in range(10):
        qr(0, 4, 8, 12), qr(5, 9, 13, 1), qr(10, 14, 2, 6), qr(15, 3, 7, 11)
        qr(0, 1, 2, 3), qr(5, 6, 7, 4), qr(10, 11, 8, 9), qr(15, 12, 13, 14)
    return x


def _words(b):
    return [int.from_bytes(b[i : i + 4], "little") for i in range(0, len(b), 4)]


SIGMA = _words(b"expand 32-byte k")


def _state(key, n16):
    k, n = _words(key), _words(n16)
    return [SIGMA[0], *k[:4], SIGMA[1], *n, SIGMA[2], *k[4:], SIGMA[3]]


def hsalsa20(key, n16):
    x = _salsa_rounds(_state(key, n16))
    out = [x[i] for i in (0, 5, 10, 15, 6, 7, 8, 9)]
    return b"".join(w.to_bytes(4, "little") for w in out)


def salsa20_stream(key, n8, length):
    out = b""
    block = 0
    while len(out) < length:
        s = _state(key, n8 + block.to_bytes(8, "little"))
        x = _salsa_rounds(s)
        out += b"".join(((a + b) & 0xFFFFFFFF).to_bytes(4, "little") for a, b in zip(x, s))
        block += 1
    return out[:length]


def poly1305(key, msg):
    r = int.from_bytes(key[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    s = int.from_bytes(key[16:], "little")
    acc, p = 0, 2**130 - 5
    for i in range(0, len(msg), 16):
        n = int.from_bytes(msg[i : i + 16] + b"\x01", "little")
        acc = (acc + n) * r % p
    return ((acc + s) % 2**128).to_bytes(16, "little")


def secretbox(msg, nonce, key):
    sub = hsalsa20(key, nonce[:16])
    ks = salsa20_stream(sub, nonce[16:], 32 + len(msg))
    c = bytes(a ^ b for a, b in zip(msg, ks[32:]))
    return poly1305(ks[:32], c) + c


# ---- the handshake (docs/protocol.md) ----------------------------------------
def b2(data, key=b"", size=32):
    return hashlib.blake2b(data, digest_size=size, key=key).digest()


def hmac512256(key, msg):
    return hmac.new(key, msg, hashlib.sha512).digest()[:32]


def seq(start):
    return bytes((start + i) & 0xFF for i in range(32))


def main():
    N, seed_c, seed_s, eseed_c, eseed_s = seq(0x00), seq(0x20), seq(0x40), seq(0x60), seq(0x80)
    id_c, id_s = ed25519_keys(seed_c)[2], ed25519_keys(seed_s)[2]
    esk_c, esk_s = b2(eseed_c), b2(eseed_s)  # crypto_kx_seed_keypair
    e_c, e_s = x25519(esk_c, (9).to_bytes(32, "little")), x25519(esk_s, (9).to_bytes(32, "little"))

    k_mac = b2(b"keten/1 handshake mac", N)
    h_n = b2(b"keten/1 network id", N)
    m1 = e_c + hmac512256(k_mac, e_c)
    m2 = e_s + hmac512256(k_mac, e_s + e_c)
    q = x25519(esk_c, e_s)
    assert q == x25519(esk_s, e_c)
    kx = b2(q + e_c + e_s, size=64)
    kx_s2c, kx_c2s = kx[:32], kx[32:]
    th = b2(b"keten/1 transcript" + h_n + m1 + m2)
    k3 = b2(b"keten/1 box M3" + th, kx_c2s)
    k4 = b2(b"keten/1 box M4" + th, kx_s2c)
    sig_c = ed25519_sign(seed_c, b"keten/1 client signature" + h_n + e_c + e_s + id_s)
    sig_s = ed25519_sign(seed_s, b"keten/1 server signature" + h_n + e_c + e_s + id_c + sig_c)
    m3 = secretbox(id_c + sig_c, bytes(24), k3)
    m4 = secretbox(id_s + sig_s, bytes(24), k4)
    tf = b2(b"keten/1 final" + th + id_c + sig_c + id_s + sig_s)
    c2s = b2(b"keten/1 stream client to server" + tf, kx_c2s)
    s2c = b2(b"keten/1 stream server to client" + tf, kx_s2c)

    try:  # a second opinion on the curve arithmetic, when available
        from cryptography.hazmat.primitives.asymmetric import ed25519, x25519 as cx
        from cryptography.hazmat.primitives import serialization as ser

        raw = (ser.Encoding.Raw, ser.PublicFormat.Raw)
        assert cx.X25519PrivateKey.from_private_bytes(esk_c).public_key().public_bytes(*raw) == e_c
        k = ed25519.Ed25519PrivateKey.from_private_bytes(seed_c)
        assert k.public_key().public_bytes(*raw) == id_c
        assert k.sign(b"keten/1 client signature" + h_n + e_c + e_s + id_s) == sig_c
        print("(X25519 and Ed25519 also agree with the cryptography package)")
    except ImportError:
        pass

    got = {"id_C": id_c, "id_S": id_s, "e_C": e_c, "e_S": e_s, "K_mac": k_mac, "H_N": h_n,
           "kx_c2s": kx_c2s, "kx_s2c": kx_s2c, "TH": th, "k3": k3, "k4": k4, "sig_C": sig_c,
           "sig_S": sig_s, "TF": tf, "M1": m1, "M2": m2, "M3": m3, "M4": m4, "c2s": c2s,
           "s2c": s2c}
    want = {
        "M1": "a7e09d2129568e8aa5cf96ea7fd9e0f881a5d78bf592269562963f7b6f689050"
              "965d85f66751e71289a9b8d70730f94349386e49dd709d004baf9de50e44ceef",
        "M2": "7dde4ebc7e6bb3293a4643423b22ca4df3542b90c1779230bd777a9ee6d3d92f"
              "1225e2d4795da71df4912684d1988bf237160676b2662dcb15f5cde040b71a9a",
        "M3": "d26b78f7cf9b87a8056e5e9af015ad96ce7a0e59129fe3c684fe1ba56d594699"
              "cd1f3d897192f0bac186f454846db651f5c8e2523bbbcf212bd285f531f44c8d"
              "3aff0bb67f3207a1fa8becb5714aa4e3a8b1ce1abdf1d7c794de7aa6823d1646"
              "0da722c12299f9c9a8d47056ce552295",
        "M4": "34fecfbea43311d5f892d3b6b39a8204082fb2e975d0740856558f0f3da90203"
              "50e5905f16d10a14191ed718a288f9bfd45d6053f782f66c92fdcfacd93327f9"
              "4e51d5657662dd9de70f0c894432121f1a0eda7a2e048ea8cc00c8972a1b9967"
              "58f968527e4afe93927cee62e490a3dc",
        "c2s": "a9f1e283fb0e3b86defba06cd065569a932a644f5794dba210e6beb0ee8cfbd7",
        "s2c": "8f8f3c52477f2ec8d30a10bc8fbed43f8a2b1cc3a152197400f8008d10ec6c45",
    }
    bad = 0
    for name, v in got.items():
        mark = ""
        if name in want and want[name] != v.hex():
            mark, bad = "   <-- DIFFERS", bad + 1
        print(f"{name:6} {v.hex()}{mark}")
    print("all vectors match" if not bad else f"{bad} vectors differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

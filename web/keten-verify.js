/* keten-verify.js -- a keten provenance bundle verified in the browser (or
 * in Node 20), from its bytes alone, as docs/bundle.md describes it.
 *
 * One ES module, no dependencies, no build step. It uses only
 * globalThis.crypto.subtle (SHA-256, Ed25519) and TextEncoder/TextDecoder.
 *
 *   import { verifyBundle, eventHash } from "./keten-verify.js";
 *   const { state, reason, story } = await verifyBundle(bytes);
 *   // state "verified" | "failed"; reason: keten's message for the first
 *   // claim that fails, or null; story: what `keten bundle verify --json`
 *   // prints (with "verified": true), or null
 *   const id = await eventHash(eventObject);  // "ni:///sha-256;...?ver=CBV2.0"
 *
 * How it works: the checks of docs/bundle.md, "Verification algorithm", in
 * keten's order and with keten's messages (ledger_bundle_verify.c,
 * ledger_bundle_proof.c, ledger_bundle_chain.c, ledger_bundle_story.c):
 * a strict deterministic-CBOR reader (shortest forms, definite lengths, no
 * tags, sorted unique text map keys, shortest floats) over the file, the
 * body and every entry (docs/format.md); the proof form (a C2SP signed-note
 * checkpoint signed by the feed's key, RFC 9162 inclusion proofs of each
 * step's header), the chain form (seq run, prev links) and version 1 (the
 * chain form without its form number); each entry's Ed25519 signature;
 * each disclosed payload against its header's length and SHA-256, decoded
 * as an event payload, and its EPCIS 2.0 event hash recomputed (the GS1
 * algorithm as ledger/epcis/ledger_evhash.c computes it); in version 3
 * every cosignature line of a checkpoint (C2SP tlog-cosignature/v1 by
 * keten/<witness hex>, Ed25519 over "cosignature/v1\ntime T\n" ||
 * checkpoint text) and every statement entry (signature, payload hash, the
 * statement's CBOR decoded here and checked by docs/format.md's rules), and
 * the story's identity / endorsedBy / witnesses / trust as keten tells them
 * (ledger_stmts.c, cli_bundle_trust.c); last the creator's signature over
 * "keten/<version> bundle signature" || body. The first
 * check that fails ends the run. Bad bytes never throw: verifyBundle
 * returns state "failed" with the reason.
 *
 * Differences from keten (docs/bundle.md, "Verifying in the browser"):
 * Ed25519 is WebCrypto's, which does not refuse small-order public keys as
 * libsodium does (no key keten makes is one); integers above 2^53 in a
 * story lose precision as JavaScript numbers do.
 */

const te = new TextEncoder();
const tdFatal = new TextDecoder("utf-8", { fatal: true });

const MAGIC = "keten-bundle";
const SIG_CONTEXT = { 1: "keten/1 bundle signature", 2: "keten/2 bundle signature", 3: "keten/3 bundle signature" };
const FORM_CHAIN = 1n;
const FORM_PROOF = 2n;
const PROOF_MAX = 130;
const NOTE_MAX = 65536;
const NOTE_MAX_SIGS = 100;
const NOTE_NAME_MAX = 255;
const PAYLOAD_MAX = 1000000n;
const CBOR_MAX_DEPTH = 200; /* LEDGER_CBOR_MAX_DEPTH */
const INT64_MAX = (1n << 63n) - 1n;

/* A claim of the bundle that does not hold: its message is keten's. */
class Fail extends Error {}
/* The CBOR reader's complaint ("CBOR at byte N: ..."), or an entry's. */
class DecodeError extends Error {}

function damaged(what, e) {
  return new Fail("bundle is damaged: " + what + (e ? ": " + e.message : ""));
}

/* ---- bytes ------------------------------------------------------------- */

function hex(b) {
  let s = "";
  for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16);
  return s;
}

function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function bytesCmp(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length - b.length;
}

function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

async function sha256(b) {
  return new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", b));
}

const keyCache = new Map();
/* Ed25519 (RFC 8032) by WebCrypto: true when sig is pub's signature of msg. */
async function ed25519Verify(pub, msg, sig) {
  if (pub.length !== 32 || sig.length !== 64) return false;
  try {
    const k = hex(pub);
    let key = keyCache.get(k);
    if (!key) {
      key = await globalThis.crypto.subtle.importKey("raw", pub, { name: "Ed25519" }, false, [
        "verify",
      ]);
      if (keyCache.size > 1000) keyCache.clear();
      keyCache.set(k, key);
    }
    return await globalThis.crypto.subtle.verify({ name: "Ed25519" }, key, sig, msg);
  } catch (e) {
    return false; /* not a point: no signature of it verifies */
  }
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
function b64encode(b) {
  let s = "";
  for (let i = 0; i < b.length; i += 3) {
    const n = (b[i] << 16) | ((b[i + 1] || 0) << 8) | (b[i + 2] || 0);
    s += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
    s += i + 1 < b.length ? B64[(n >> 6) & 63] : "=";
    s += i + 2 < b.length ? B64[n & 63] : "=";
  }
  return s;
}

/* The bytes of standard, padded base64 text s, or null unless s is the one
 * canonical encoding of them (as libsodium's and Go's strict decoders). */
function b64strict(s) {
  if (s.length % 4) return null;
  const out = [];
  for (let i = 0; i < s.length; i += 4) {
    const q = s.slice(i, i + 4);
    const v = [];
    let pad = 0;
    for (let j = 0; j < 4; j++) {
      if (q[j] === "=") {
        if (i + 4 !== s.length || j < 2) return null;
        pad++;
        v.push(0);
        continue;
      }
      if (pad) return null;
      const x = B64.indexOf(q[j]);
      if (x < 0) return null;
      v.push(x);
    }
    const n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out.push((n >> 16) & 255);
    if (pad < 2) out.push((n >> 8) & 255);
    if (pad < 1) out.push(n & 255);
  }
  const b = new Uint8Array(out);
  return b64encode(b) === s ? b : null;
}

/* ---- strict deterministic CBOR (RFC 8949 4.2.1; docs/format.md) ---------- */

const float16Exact = (d) => {
  /* the half-precision bits of d when it holds d exactly, else -1 */
  if (d === 0) return Object.is(d, -0) ? 0x8000 : 0;
  const sign = d < 0 ? 0x8000 : 0;
  const ad = Math.abs(d);
  if (ad >= 65520) return -1;
  let e = Math.floor(Math.log2(ad));
  if (Math.pow(2, e) > ad) e--;
  if (Math.pow(2, e + 1) <= ad) e++;
  if (e >= -14) {
    const m = ad / Math.pow(2, e) - 1; /* [0, 1) */
    const mm = m * 1024;
    if (mm !== Math.floor(mm) || e > 15) return -1;
    return sign | ((e + 15) << 10) | mm;
  }
  const scaled = ad * Math.pow(2, 24); /* subnormal: multiples of 2^-24 */
  if (scaled !== Math.floor(scaled) || scaled >= 1024) return -1;
  return sign | scaled;
};

/* The deterministic encoding of a finite double: the shortest of half,
 * single and double that holds it exactly. */
function encodeFloat(d) {
  const h = float16Exact(d);
  if (h >= 0) return new Uint8Array([0xf9, h >> 8, h & 255]);
  const f = Math.fround(d);
  if (f === d) {
    const out = new Uint8Array(5);
    out[0] = 0xfa;
    new DataView(out.buffer).setFloat32(1, f);
    return out;
  }
  const out = new Uint8Array(9);
  out[0] = 0xfb;
  new DataView(out.buffer).setFloat64(1, d);
  return out;
}

function halfToDouble(h) {
  const e = (h >> 10) & 31;
  const m = h & 1023;
  const v = e === 0 ? m * Math.pow(2, -24) : e === 31 ? (m ? NaN : Infinity) : (m + 1024) * Math.pow(2, e - 25);
  return h & 0x8000 ? -v : v;
}

/* A float of the event kept as a float (for the event hash: 2.0 is not 2). */
class KFloat {
  constructor(v) {
    this.value = v;
  }
}

class Reader {
  constructor(b) {
    this.b = b;
    this.off = 0;
  }
  bad(what) {
    return new DecodeError(`CBOR at byte ${this.off}: ${what}`);
  }
  /* [major, additional info, argument (BigInt)]; shortest forms only */
  head() {
    const off = this.off;
    if (off >= this.b.length) throw this.bad("truncated: an item was expected");
    const ib = this.b[off];
    const major = ib >> 5;
    const ai = ib & 31;
    if (ai < 24) {
      this.off = off + 1;
      return [major, ai, BigInt(ai)];
    }
    if (ai > 27) throw this.bad("indefinite length or reserved value (not deterministic CBOR)");
    const need = 1 << (ai - 24);
    if (this.b.length - off - 1 < need) throw this.bad("truncated item");
    let v = 0n;
    for (let i = 0; i < need; i++) v = (v << 8n) | BigInt(this.b[off + 1 + i]);
    if (major !== 7) {
      const min = [24n, 256n, 65536n, 4294967296n][ai - 24];
      if (v < min) throw this.bad("integer not in its shortest form");
    }
    this.off = off + 1 + need;
    return [major, ai, v];
  }
  uint() {
    const off = this.off;
    const [major, , v] = this.head();
    if (major !== 0) {
      this.off = off;
      throw this.bad("expected an unsigned integer");
    }
    return v;
  }
  string(want) {
    const off = this.off;
    const [major, , len] = this.head();
    if (major !== want) {
      this.off = off;
      throw this.bad(want === 2 ? "expected a byte string" : "expected a text string");
    }
    if (len > BigInt(this.b.length - this.off)) {
      this.off = off;
      throw this.bad("truncated string");
    }
    const s = this.b.subarray(this.off, this.off + Number(len));
    this.off += Number(len);
    return s;
  }
  bytes() {
    return this.string(2);
  }
  array() {
    const off = this.off;
    const [major, , len] = this.head();
    if (major !== 4) {
      this.off = off;
      throw this.bad("expected an array");
    }
    if (len > BigInt(this.b.length - this.off)) {
      this.off = off;
      throw this.bad("array longer than its data");
    }
    return Number(len);
  }
  takeNull() {
    if (this.off < this.b.length && this.b[this.off] === 0xf6) {
      this.off++;
      return true;
    }
    return false;
  }
  /* One JSON value (docs/format.md, event payload), as ledger_cbor_get_json
   * reads it; the reader is left where it was on failure. mark: floats as
   * KFloat and integers as BigInt (for the event hash). */
  json(mark) {
    const start = this.off;
    try {
      return this.jsonAt(0, mark);
    } catch (e) {
      this.off = start;
      throw e;
    }
  }
  jsonAt(depth, mark) {
    const start = this.off;
    if (depth > CBOR_MAX_DEPTH) throw this.bad("nested too deeply");
    const [major, ai, arg] = this.head();
    switch (major) {
      case 0:
        if (arg > INT64_MAX) throw this.bad("integer out of range");
        return mark ? arg : Number(arg);
      case 1:
        if (arg > INT64_MAX) throw this.bad("integer out of range");
        return mark ? -1n - arg : Number(-1n - arg);
      case 3: {
        this.off = start;
        const s = this.string(3);
        try {
          return tdFatal.decode(s);
        } catch (e) {
          this.off = start;
          throw this.bad("text string is not valid UTF-8");
        }
      }
      case 4: {
        if (arg > BigInt(this.b.length - this.off)) throw this.bad("array longer than its data");
        const out = [];
        for (let i = 0n; i < arg; i++) out.push(this.jsonAt(depth + 1, mark));
        return out;
      }
      case 5: {
        if (arg > BigInt(this.b.length - this.off)) throw this.bad("map longer than its data");
        const obj = {};
        let prev = null;
        for (let i = 0n; i < arg; i++) {
          const koff = this.off;
          const k = this.string(3);
          if (prev && (k.length < prev.length || (k.length === prev.length && bytesCmp(k, prev) <= 0))) {
            this.off = koff;
            throw this.bad("map keys not in deterministic order, or repeated");
          }
          prev = k;
          const val = this.jsonAt(depth + 1, mark);
          let key;
          try {
            key = tdFatal.decode(k);
          } catch (e) {
            this.off = koff;
            throw this.bad("map key is not valid UTF-8");
          }
          Object.defineProperty(obj, key, { value: val, enumerable: true, writable: true, configurable: true });
        }
        return obj;
      }
      case 7: {
        if (ai === 20 || ai === 21 || ai === 22) return ai === 20 ? false : ai === 21 ? true : null;
        let d;
        const dv = new DataView(this.b.buffer, this.b.byteOffset + start + 1);
        if (ai === 25) d = halfToDouble(Number(arg));
        else if (ai === 26) d = dv.getFloat32(0);
        else if (ai === 27) d = dv.getFloat64(0);
        else {
          this.off = start;
          throw this.bad("simple value JSON cannot hold");
        }
        if (!Number.isFinite(d)) {
          this.off = start;
          throw this.bad("NaN or infinity (JSON cannot hold it)");
        }
        if (!bytesEqual(encodeFloat(d), this.b.subarray(start, this.off))) {
          this.off = start;
          throw this.bad("float not in its shortest exact form");
        }
        return mark ? new KFloat(d) : d;
      }
      default:
        this.off = start;
        throw this.bad(major === 2 ? "byte string where JSON was expected" : "tagged item (not allowed here)");
    }
  }
}

/* A text string read as ledger_cbor_get_json + json_is_string would: any
 * JSON value is read, then it must be a string (else DecodeError). */
function getText(r) {
  const v = r.json(false);
  if (typeof v !== "string") throw new DecodeError("expected a text string");
  return v;
}

function prefixed(what, f) {
  try {
    return f();
  } catch (e) {
    if (e instanceof DecodeError) throw new DecodeError(what + ": " + e.message);
    throw e;
  }
}

/* ---- entries (docs/format.md) -------------------------------------------- */

/* [header bytes, signature (64), payload / null] with its header decoded;
 * DecodeError with ledger_entry_decode's message. */
function decodeEntry(b) {
  const r = new Reader(b);
  const items = prefixed("entry", () => r.array());
  if (items !== 3) throw new DecodeError(`entry has ${items} parts, expected 3`);
  const hbytes = prefixed("entry header", () => r.bytes());
  const sig = prefixed("entry signature", () => r.bytes());
  if (sig.length !== 64) throw new DecodeError(`entry signature is ${sig.length} bytes, expected 64`);
  let payload = null;
  if (!r.takeNull()) payload = prefixed("entry payload", () => r.bytes());
  if (r.off !== b.length) throw new DecodeError(`entry: ${b.length - r.off} trailing bytes`);
  const h = new Reader(hbytes);
  const n = prefixed("header", () => h.array());
  if (n !== 8) throw new DecodeError(`header has ${n} fields, expected 8`);
  const u = (name) => prefixed("header " + name, () => h.uint());
  const fixed = (name) => {
    const v = prefixed("header " + name, () => h.bytes());
    if (v.length !== 32) throw new DecodeError(`header ${name}: ${v.length} bytes, expected 32`);
    return v;
  };
  const version = u("version");
  if (version !== 1n) throw new DecodeError(`header format version ${version}: this keten reads version 1`);
  const feed = fixed("feed");
  const seq = u("seq");
  const prev = fixed("prev");
  const recordTime = u("recordTime");
  const ptype = u("payloadType");
  const plen = u("payloadLength");
  const phash = fixed("payloadHash");
  if (seq === 0n) throw new DecodeError("header seq 0: sequence numbers start at 1");
  if (ptype < 1n || ptype > 4n) throw new DecodeError(`header payload type ${ptype} unknown`);
  if (plen > PAYLOAD_MAX) throw new DecodeError(`header payload length ${plen} over the 1000000 limit`);
  if (seq === 1n && prev.some((x) => x !== 0)) throw new DecodeError("header seq 1 with a non-zero prev");
  if (h.off !== hbytes.length) throw new DecodeError(`header: ${hbytes.length - h.off} trailing bytes`);
  return { hbytes, sig, payload, feed, seq, prev, recordTime, ptype, plen, phash };
}

const EVHASH_RE = /^ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0$/;

/* [1, eventHash, event]: [eventHash, event]; DecodeError as
 * ledger_event_payload_decode words it. mark: see Reader.json. */
function decodeEventPayload(p, mark) {
  const r = new Reader(p);
  let items;
  try {
    items = r.array();
  } catch (e) {
    items = -1;
  }
  if (items !== 3) throw new DecodeError("event payload: expected [1, hash, event]");
  const ver = prefixed("event payload version", () => r.uint());
  if (ver !== 1n) throw new DecodeError(`event payload version ${ver} unknown`);
  const hs = prefixed("event payload hash", () => r.json(false));
  if (typeof hs !== "string" || !EVHASH_RE.test(hs))
    throw new DecodeError("event payload hash is not ni:///sha-256;<64 hex>?ver=CBV2.0");
  const ev = prefixed("event payload", () => r.json(mark));
  if (ev === null || typeof ev !== "object" || Array.isArray(ev) || ev instanceof KFloat || r.off !== p.length)
    throw new DecodeError("event payload: event is not one map");
  return [hs, ev];
}

/* ---- C2SP signed notes and tlog checkpoints ------------------------------ */

class NoteError extends Error {
  constructor(kind, msg) {
    super(msg);
    this.kind = kind; /* "input" or "verify" */
  }
}

function noteNameOk(n) {
  if (n.length === 0 || n.length > NOTE_NAME_MAX) return false;
  for (const c of n) if (c <= 0x20 || c === 0x2b || c === 0x7f) return false;
  return true;
}

function noteTextOk(t) {
  let s;
  try {
    s = tdFatal.decode(t);
  } catch (e) {
    return false;
  }
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (c !== 10 && c < 0x20) return false;
  }
  return true;
}

async function noteKeyId(name, pub, type = 1) {
  return (await sha256(concat(name, new Uint8Array([10, type]), pub))).subarray(0, 4);
}

/* ---- C2SP tlog-cosignature/v1 (ledger_cosig.c) ---------------------------- */

const COSIG_TYPE = 4;
const COSIG_BLOB = 4 + 8 + 64;

/* The witness feed ID of a signature line named keten/<64 lower-case hex>,
 * else null (ledger_cosig_witness_feed). */
function cosigWitnessFeed(name) {
  const s = tdFatal.decode(name);
  if (!/^keten\/[0-9a-f]{64}$/.test(s)) return null;
  const f = new Uint8Array(32);
  for (let i = 0; i < 32; i++) f[i] = parseInt(s.slice(6 + 2 * i, 8 + 2 * i), 16);
  return f;
}

/* The time (BigInt, seconds) of a good cosignature/v1 line of witness
 * (name, pub) over the checkpoint text; NoteError with ledger_cosig_check's
 * words otherwise. The signed message is "cosignature/v1\n", "time T\n",
 * then the checkpoint text; the line's bytes are the key ID (type 0x04),
 * T as 8 bytes big-endian, and the Ed25519 signature. */
async function cosigCheck(text, line, name, pub) {
  const want = await noteKeyId(te.encode(name), pub, COSIG_TYPE);
  if (!bytesEqual(line.name, te.encode(name)) || !bytesEqual(line.blob.subarray(0, 4), want))
    throw new NoteError("input", `not a cosignature of witness ${name}`);
  if (line.blob.length !== COSIG_BLOB)
    throw new NoteError(
      "input",
      `cosignature of ${name}: ${line.blob.length} bytes, not the ${COSIG_BLOB} of a key ID, a time and an Ed25519 signature`
    );
  let t = 0n;
  for (let i = 4; i < 12; i++) t = (t << 8n) | BigInt(line.blob[i]);
  if (t >> 63n) throw new NoteError("input", `cosignature: time ${t} is 2^63 or more`);
  const msg = concat(te.encode(`cosignature/v1\ntime ${t}\n`), text);
  if (!(await ed25519Verify(pub, msg, line.blob.subarray(12))))
    throw new NoteError("verify", `cosignature of ${name} (time ${t}): the signature does not check`);
  return t;
}

const DASH = te.encode("\u2014 ");

/* The signed text of note (bytes) when a signature line of (name, pub) is on
 * it and verifies (ledger_note_open); other keys' lines are skipped. */
async function noteOpen(note, name, pub) {
  const n = note.length;
  if (n > NOTE_MAX) throw new NoteError("input", `signed note: ${n} bytes, more than ${NOTE_MAX}`);
  if (n < 2 || note[n - 1] !== 10) throw new NoteError("input", "signed note: does not end with a newline");
  let split = -1;
  for (let i = n - 1; i > 0; i--)
    if (note[i] === 10 && note[i - 1] === 10) {
      split = i - 1;
      break;
    }
  if (split <= 0) throw new NoteError("input", "signed note: no text and blank line before the signatures");
  const text = note.subarray(0, split + 1);
  if (!noteTextOk(text))
    throw new NoteError("input", "signed note: the text is not UTF-8 or has control characters");
  const want = await noteKeyId(name, pub);
  let p = split + 2;
  if (p >= n) throw new NoteError("input", "signed note: no signature lines");
  let k = 0;
  let good = false;
  const lines = [];
  while (p < n) {
    const eol = note.indexOf(10, p);
    const line = note.subarray(p, eol);
    k++;
    if (k > NOTE_MAX_SIGS) throw new NoteError("input", `signed note: more than ${NOTE_MAX_SIGS} signatures`);
    if (line.length < DASH.length || !bytesEqual(line.subarray(0, DASH.length), DASH))
      throw new NoteError("input", `signed note: signature line ${k} does not start with an em dash and a space`);
    const rest = line.subarray(DASH.length);
    const sp = rest.indexOf(0x20);
    if (sp < 0 || !noteNameOk(rest.subarray(0, sp)))
      throw new NoteError("input", `signed note: signature line ${k} has no name and signature`);
    let blob = null;
    try {
      blob = b64strict(tdFatal.decode(rest.subarray(sp + 1)));
    } catch (e) {
      blob = null;
    }
    if (blob === null || blob.length < 5 || blob.length > 600)
      throw new NoteError("input", `signed note: signature line ${k} is not base64 of a key ID and a signature`);
    if (bytesEqual(rest.subarray(0, sp), name) && bytesEqual(blob.subarray(0, 4), want)) {
      if (blob.length !== 68 || !(await ed25519Verify(pub, text, blob.subarray(4))))
        throw new NoteError("verify", `signed note: the signature of ${tdFatal.decode(name)} does not check`);
      good = true;
    }
    lines.push({ name: rest.subarray(0, sp), blob });
    p = eol + 1;
  }
  if (!good) throw new NoteError("verify", `signed note: not signed by the key of ${tdFatal.decode(name)}`);
  return [text, lines];
}

/* [origin, size (BigInt), root] of a checkpoint's text (ledger_checkpoint_parse). */
function checkpointParse(text) {
  const eol = [];
  let p = 0;
  for (let i = 0; i < 3; i++) {
    const e = p < text.length ? text.indexOf(10, p) : -1;
    if (e < 0) throw new NoteError("input", `checkpoint: ${i} lines, not the three of origin, size and root`);
    eol.push(e);
    p = e + 1;
  }
  const origin = text.subarray(0, eol[0]);
  if (origin.length === 0 || origin.length > NOTE_NAME_MAX)
    throw new NoteError("input", `checkpoint line 1: the origin is empty or longer than ${NOTE_NAME_MAX} bytes`);
  const s = text.subarray(eol[0] + 1, eol[1]);
  if (s.length === 0 || s.length > 19 || (s[0] === 0x30 && s.length > 1))
    throw new NoteError("input", "checkpoint line 2: the tree size is not a decimal number without leading zeros");
  let v = 0n;
  for (const c of s) {
    if (c < 0x30 || c > 0x39) throw new NoteError("input", "checkpoint line 2: the tree size has a non-digit");
    v = v * 10n + BigInt(c - 0x30);
  }
  if (v >> 63n) throw new NoteError("input", "checkpoint line 2: the tree size is too big");
  const root = b64strict(tdFatal.decode(text.subarray(eol[1] + 1, eol[2])));
  if (root === null || root.length !== 32)
    throw new NoteError("input", "checkpoint line 3: the root is not base64 of 32 bytes");
  for (let q = p; q < text.length; ) {
    const e = text.indexOf(10, q);
    if (e < 0 || e === q) throw new NoteError("input", "checkpoint: an extension line is empty or not ended");
    q = e + 1;
  }
  return [tdFatal.decode(origin), v, root];
}

/* ---- statements: identity and endorsement (docs/format.md, ledger_stmt.c) -- */

const STMT_IDENTITY = 1n;
const STMT_ENDORSEMENT = 2n;

/* A text field of at most max bytes (ledger_stmt.c get_text). */
function stmtText(r, what, max) {
  let v;
  try {
    v = r.json(false);
  } catch (e) {
    if (e instanceof DecodeError) throw new DecodeError(`statement: ${what}: ${e.message}`);
    throw e;
  }
  if (typeof v !== "string" || te.encode(v).length > max || v.includes("\0"))
    throw new DecodeError(`statement: ${what} is not a text of at most ${max} bytes`);
  return v;
}

function stmtCheckDomain(d) {
  if (d.length > 253) throw new DecodeError("statement: the domain is over 253 bytes");
  let label = 0;
  for (let i = 0; i <= d.length; i++) {
    const c = i < d.length ? d[i] : "";
    if (c === "." || c === "") {
      if (label === 0 || label > 63 || d[i - 1] === "-")
        throw new DecodeError(`statement: domain "${d}" is not a host name (a label is empty, over 63 bytes or ends in '-')`);
      label = 0;
      continue;
    }
    if (!((c >= "a" && c <= "z") || (c >= "0" && c <= "9") || (c === "-" && label > 0)))
      throw new DecodeError(`statement: domain "${d}": '${c}' at ${i} (lower-case letters, digits, '-' and '.' only)`);
    label++;
  }
}

/* The fields' rules (ledger_stmt_check): a name of 1..200 bytes without
 * control characters, a GLN (GS1 AI (417): 13 digits, check digit) and/or
 * a GS1 Company Prefix (4..12 digits, the GLN's start), a host name. */
function stmtCheck(st) {
  const nb = te.encode(st.name);
  if (nb.length === 0) throw new DecodeError("statement: the name is empty");
  for (let i = 0; i < nb.length; i++)
    if (nb[i] < 0x20 || nb[i] === 0x7f) throw new DecodeError(`statement: the name has a control character at byte ${i}`);
  if (!st.gln && !st.gcp) throw new DecodeError("statement: neither a GLN nor a GS1 Company Prefix is given");
  if (st.gln) {
    const g = te.encode(st.gln);
    let why = null;
    if (g.length < 13) why = `AI (417): value is too short (${g.length} characters, at least 13)`;
    for (let i = 0; !why && i < g.length; i++)
      if (g[i] < 0x30 || g[i] > 0x39)
        why =
          g[i] > 32 && g[i] < 127
            ? `AI (417): character '${String.fromCharCode(g[i])}' at position ${i + 1} is not a digit`
            : `AI (417): byte 0x${g[i].toString(16).toUpperCase().padStart(2, "0")} at position ${i + 1} is not a digit`;
    if (!why) {
      const want = checkDigit(st.gln.slice(0, 12));
      if (st.gln.charCodeAt(12) - 48 !== want) why = `AI (417): check digit is ${st.gln[12]}, expected ${want}`;
    }
    if (why) throw new DecodeError(`statement: GLN "${st.gln}": ${why}`);
  }
  if (st.gcp) {
    if (st.gcp.length < 4 || st.gcp.length > 12 || !/^[0-9]*$/.test(st.gcp))
      throw new DecodeError(`statement: GS1 Company Prefix "${st.gcp}" is not 4 to 12 digits`);
    if (st.gln && !st.gln.startsWith(st.gcp))
      throw new DecodeError(`statement: GLN ${st.gln} does not start with the GS1 Company Prefix ${st.gcp}`);
  }
  if (st.domain) stmtCheckDomain(st.domain);
}

/* [1, kind, subject, name, gln, gcp, domain] read strictly: exactly these
 * bytes, nothing after them (ledger_stmt_decode); DecodeError naming the
 * field. */
function stmtDecode(p) {
  const r = new Reader(p);
  const len = prefixed("statement", () => r.array());
  if (len !== 7) throw new DecodeError(`statement: an array of ${len} items, not 7`);
  const version = prefixed("statement: version", () => r.uint());
  if (version !== 1n) throw new DecodeError(`statement: version ${version} (this keten reads 1)`);
  const kind = prefixed("statement: kind", () => r.uint());
  if (kind !== STMT_IDENTITY && kind !== STMT_ENDORSEMENT) throw new DecodeError(`statement: unknown kind ${kind}`);
  const subject = prefixed("statement: subject", () => r.bytes());
  if (subject.length !== 32) throw new DecodeError(`statement: subject is ${subject.length} bytes, not 32`);
  const st = { kind, subject };
  st.name = stmtText(r, "name", 200);
  st.gln = stmtText(r, "gln", 13);
  st.gcp = stmtText(r, "gcp", 12);
  st.domain = stmtText(r, "domain", 253);
  if (r.off !== p.length) throw new DecodeError(`statement: ${p.length - r.off} bytes after the array`);
  stmtCheck(st);
  return st;
}

/* The statement of an entry of payload type 4, checked against its feed
 * (ledger_stmt_from_entry): an identity names its own feed, an
 * endorsement another one. */
function stmtFromEntry(e) {
  if (e.ptype !== 4n) throw new DecodeError(`entry ${e.seq} has payload type ${e.ptype}, not a statement`);
  if (!e.payload) throw new DecodeError(`entry ${e.seq}: a sealed statement`);
  let st;
  try {
    st = stmtDecode(e.payload);
    const same = bytesEqual(st.subject, e.feed);
    if (st.kind === STMT_IDENTITY && !same)
      throw new DecodeError("statement: an identity statement names another feed than its own");
    if (st.kind === STMT_ENDORSEMENT && same)
      throw new DecodeError("statement: an endorsement of a feed by itself (a feed cannot endorse its own key)");
  } catch (x) {
    if (x instanceof DecodeError) throw new DecodeError(`entry ${e.seq}: ${x.message}`);
    throw x;
  }
  return st;
}

/* {author, seq, recordTime, s} records, as ledger_stmts.c reads them */
function stmtRecJson(r) {
  const o = {
    feed: hex(r.author),
    seq: Number(r.seq),
    kind: r.s.kind === STMT_IDENTITY ? "identity" : "endorsement",
    subject: hex(r.s.subject),
    name: r.s.name,
    recordTime: isoMs(r.recordTime),
  };
  if (r.s.gln) o.gln = r.s.gln;
  if (r.s.gcp) o.gcp = r.s.gcp;
  if (r.s.domain) o.domain = r.s.domain;
  return o;
}

/* A feed's stated identity: its newest identity statement. */
function stmtsIdentity(recs, feed) {
  let best = null;
  for (const r of recs)
    if (r.s.kind === STMT_IDENTITY && bytesEqual(r.author, feed) && (!best || r.seq > best.seq)) best = r;
  return best;
}

/* Does endorsement r agree with identity id (ledger_stmts_agree)? */
function stmtsAgree(r, id) {
  if (!id || r.s.name !== id.s.name) return false;
  if (r.s.gln && r.s.gln !== id.s.gln) return false;
  if (r.s.gcp && r.s.gcp !== id.s.gcp && !(id.s.gln && id.s.gln.startsWith(r.s.gcp))) return false;
  if (r.s.domain && r.s.domain !== id.s.domain) return false;
  return true;
}

/* {identity, endorsedBy} of a feed (ledger_stmts_feed_json): the newest
 * endorsement of it by each other feed, with the endorser's stated name. */
function stmtsFeedJson(recs, feed) {
  const id = stmtsIdentity(recs, feed);
  const endorsedBy = [];
  for (const r of recs) {
    if (r.s.kind !== STMT_ENDORSEMENT || !bytesEqual(r.s.subject, feed)) continue;
    if (recs.some((o) => o.s.kind === STMT_ENDORSEMENT && bytesEqual(o.author, r.author) && bytesEqual(o.s.subject, feed) && o.seq > r.seq))
      continue;
    const who = stmtsIdentity(recs, r.author);
    endorsedBy.push({
      feed: hex(r.author),
      name: who ? who.s.name : null,
      seq: Number(r.seq),
      agrees: stmtsAgree(r, id),
      endorsed: stmtRecJson(r),
    });
  }
  return { identity: id ? stmtRecJson(id) : null, endorsedBy };
}

/* ---- RFC 9162 Merkle tree -------------------------------------------------- */

async function leafHash(leaf) {
  return sha256(concat(new Uint8Array([0]), leaf));
}

async function nodeHash(l, r) {
  return sha256(concat(new Uint8Array([1]), l, r));
}

/* RFC 9162 2.1.3.2: null when hashes prove leaf to be leaf index (BigInt)
 * of the tree of size (BigInt) with root; else what is wrong, in keten's
 * words (ledger_tree_verify_inclusion). */
async function verifyInclusion(leaf, index, size, hashes, root) {
  if (index >= size) return `inclusion proof: leaf index ${index} is past the tree size ${size}`;
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of hashes) {
    if (sn === 0n) return `inclusion proof: ${hashes.length} hashes, more than a tree of ${size} needs`;
    if (fn & 1n || fn === sn) {
      r = await nodeHash(p, r);
      while (!(fn & 1n) && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) return `inclusion proof: ${hashes.length} hashes, fewer than a tree of ${size} needs`;
  if (!bytesEqual(r, root)) return `inclusion proof: leaf ${index} does not lead to the root of the tree of ${size}`;
  return null;
}

/* ---- EPCIS summaries for the story (ledger_epcis_info, ledger_cbv_short) -- */

const CBV_VOCABS = [
  ["BizStep-", "urn:epcglobal:cbv:bizstep:"],
  ["Disp-", "urn:epcglobal:cbv:disp:"],
  ["BTT-", "urn:epcglobal:cbv:btt:"],
  ["SDT-", "urn:epcglobal:cbv:sdt:"],
  ["ER-", "urn:epcglobal:cbv:er:"],
  ["Comp-", "urn:epcglobal:cbv:comp:"],
];

/* The short CBV word of a value in any of its CBV forms, else the value. */
function cbvShort(value) {
  if (!value.includes(":")) return value;
  let term = null;
  if (value.startsWith("cbv:")) term = value.slice(4);
  else if (value.startsWith("https://ref.gs1.org/cbv/")) term = value.slice(24);
  else if (value.startsWith("http://ref.gs1.org/cbv/")) term = value.slice(23);
  for (const [web, urn] of CBV_VOCABS) {
    let word = null;
    if (term !== null) {
      if (term.startsWith(web)) word = term.slice(web.length);
    } else if (value.startsWith(urn)) word = value.slice(urn.length);
    if (word !== null) return word || value;
  }
  return value;
}

function daysFromCivil(y, m, d) {
  y -= m <= 2 ? 1 : 0;
  const era = Math.trunc(y / 400);
  const yoe = y - era * 400;
  const doy = Math.trunc((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.trunc(yoe / 4) - Math.trunc(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y, m) {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
}

/* ms since 1970 of an RFC 3339 date-time (ledger_epcis_time_ms), or null. */
function epcisTimeMs(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/.exec(s);
  if (!m) return null;
  const [Y, M, D, h, mi, sec] = m.slice(1, 7).map(Number);
  const frac = m[7] ? Number((m[7] + "00").slice(0, 3)) : 0;
  const sign = m[9] === "-" ? -1 : m[9] === "+" ? 1 : 0;
  const oh = m[10] ? Number(m[10]) : 0;
  const om = m[11] ? Number(m[11]) : 0;
  if (M < 1 || M > 12 || D < 1 || D > daysInMonth(Y, M) || h > 23 || mi > 59 || sec > 60 || oh > 23 || om > 59)
    return null;
  let t = daysFromCivil(Y, M, D) * 86400 + h * 3600 + mi * 60 + sec;
  t -= sign * (oh * 3600 + om * 60);
  return t * 1000 + frac;
}

function epcisInfo(ev) {
  const str = (v) => (typeof v === "string" ? v : null);
  if (str(ev.type) === null || str(ev.eventTime) === null) return null;
  const ms = epcisTimeMs(ev.eventTime);
  if (ms === null) return null;
  const id = (o) => (o && typeof o === "object" && !Array.isArray(o) ? str(o.id) : null);
  return {
    eventTimeMs: ms,
    action: str(ev.action),
    bizStep: str(ev.bizStep),
    disposition: str(ev.disposition),
    bizLocation: id(ev.bizLocation),
    readPoint: id(ev.readPoint),
    errorDeclaration: Object.prototype.hasOwnProperty.call(ev, "errorDeclaration"),
  };
}

function isoMs(ms) {
  const d = new Date(Number(ms));
  if (Number.isNaN(d.getTime())) return "?";
  return d.toISOString();
}

/* ---- the verifier (ledger_bundle_verify) --------------------------------- */

class Verifier {
  constructor(bytes) {
    this.bytes = bytes;
    this.parts = []; /* [feed bytes, name] */
    this.feeds = [];
    this.steps = []; /* {when, feed, seq, obj, sealed} */
  }

  pname(feed) {
    for (const [f, n] of this.parts) if (bytesEqual(f, feed)) return n;
    return null;
  }

  label(feed) {
    const name = this.pname(feed);
    return name ? `feed ${hex(feed).slice(0, 8)} (${name})` : `feed ${hex(feed).slice(0, 8)}`;
  }

  async run() {
    const r = new Reader(this.bytes);
    let ok = false;
    try {
      ok = r.array() === 4 && getText(r) === MAGIC;
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
    }
    if (!ok) throw new Fail('not a keten bundle (it does not start with the array ["keten-bundle", version, ...])');
    let version;
    try {
      version = r.uint();
    } catch (e) {
      throw damaged("the version is not a number", e);
    }
    if (version !== 1n && version !== 2n && version !== 3n)
      throw new Fail(`bundle version ${version} is not supported (this keten reads versions 1 to 3)`);
    this.version = Number(version);
    let body, sig;
    try {
      body = r.bytes();
      sig = r.bytes();
    } catch (e) {
      sig = null;
    }
    if (!sig || sig.length !== 64) throw damaged("truncated, or the body or signature is missing");
    if (r.off !== this.bytes.length) throw damaged("bytes after the end of the bundle");

    const b = new Reader(body);
    let subject, created, creator, np;
    try {
      if (b.array() !== (this.version >= 3 ? 6 : 5)) throw new DecodeError("");
      subject = getText(b);
      created = b.uint();
      creator = b.bytes();
      if (creator.length !== 32) throw new DecodeError("");
      np = b.array();
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      throw damaged("the statement (subject, created, creator, partners) is malformed");
    }
    const partners = [];
    for (let i = 0; i < np; i++) {
      let feed, name;
      try {
        if (b.array() !== 2) throw new DecodeError("");
        feed = b.bytes();
        if (feed.length !== 32) throw new DecodeError("");
        name = getText(b);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        throw damaged("a partner is not [feed ID, name]");
      }
      this.parts.push([feed, name]);
      if (i && bytesCmp(this.parts[i - 1][0], feed) >= 0)
        throw damaged("partners are not in ascending order of feed ID");
      partners.push({ feed: hex(feed), name });
    }
    if (this.pname(creator) === null) throw new Fail(`the creator ${hex(creator)} is not among the partners`);
    let nf = 0;
    try {
      nf = b.array();
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
    }
    if (!nf) throw damaged("the feed list is missing or empty");
    let prevFeed = null;
    for (let i = 0; i < nf; i++) prevFeed = await this.verifyFeed(b, prevFeed);
    if (this.version >= 3) await this.verifyStatements(b);
    if (b.off !== body.length) throw damaged("bytes after the end of the body");

    const msg = concat(te.encode(SIG_CONTEXT[this.version]), body);
    if (!(await ed25519Verify(creator, msg, sig)))
      throw new Fail(
        `bundle signature by ${this.label(creator)} does not verify: the statement, partners or selection were changed after it was signed`
      );

    this.steps.sort((x, y) => {
      if (x.when !== y.when) return x.when < y.when ? -1 : 1;
      const c = bytesCmp(x.feed, y.feed);
      if (c) return c;
      return x.seq < y.seq ? -1 : x.seq > y.seq ? 1 : 0;
    });
    const steps = this.steps.map((s) => s.obj);
    markDisputes(steps);
    const createdMs = created & INT64_MAX;
    if (this.version >= 3) this.trustStory(partners);
    const extra = this.version >= 3 ? { statements: this.stmts.map(stmtRecJson) } : {};
    return {
      ...extra,
      bundle: this.version,
      partners,
      feeds: this.feeds,
      steps,
      subject,
      createdMs: Number(createdMs),
      created: isoMs(createdMs),
      creator: { feed: hex(creator), name: this.pname(creator) },
      verified: true,
    };
  }

  /* [feed, steps, entries] (version 1) or [feed, form, ...] (version 2) */
  async verifyFeed(r, prevFeed) {
    const want = this.version === 1 ? 3 : 4;
    let n = -1;
    try {
      n = r.array();
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
    }
    if (n !== want) throw damaged(`a feed item is not an array of ${want}`);
    let feed = null;
    try {
      feed = r.bytes();
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
    }
    if (!feed || feed.length !== 32) throw damaged("a feed ID is not 32 bytes");
    const label = this.label(feed);
    if (prevFeed && bytesCmp(prevFeed, feed) >= 0) throw damaged("feeds are not in ascending order of feed ID");
    if (this.pname(feed) === null) throw new Fail(`${label} is not among the partners`);
    let form = FORM_CHAIN;
    if (this.version > 1) {
      try {
        form = r.uint();
      } catch (e) {
        throw damaged("a feed item's form is not a number", e);
      }
    }
    if (form === FORM_CHAIN) await this.verifyChain(r, feed, label);
    else if (form === FORM_PROOF) await this.verifyProof(r, feed, label);
    else throw damaged("a feed item's form is neither 1 (chain) nor 2 (proof)");
    return feed;
  }

  async readCheckpoint(r, feed, label) {
    let note;
    try {
      note = r.json(false);
    } catch (e) {
      throw damaged("a feed's checkpoint is missing", e);
    }
    if (typeof note !== "string") throw damaged("a feed's checkpoint is not a text string");
    const origin = "keten/" + hex(feed);
    let text, lines;
    try {
      [text, lines] = await noteOpen(te.encode(note), te.encode(origin), feed);
    } catch (e) {
      if (!(e instanceof NoteError)) throw e;
      if (e.kind === "verify") throw new Fail(`${label}: the checkpoint is not signed by the feed's key: ${e.message}`);
      throw new Fail(`${label}: the checkpoint is not a signed note: ${e.message}`);
    }
    let cp;
    try {
      cp = checkpointParse(text);
    } catch (e) {
      if (!(e instanceof NoteError)) throw e;
      throw new Fail(`${label}: the checkpoint is malformed: ${e.message}`);
    }
    if (cp[0] !== origin) throw new Fail(`${label}: the checkpoint is of the log ${cp[0]}, not of this feed`);
    const witnesses = this.version >= 3 ? await this.cosignatures(text, lines, feed, label) : null;
    return [note, cp[1], cp[2], witnesses];
  }

  /* Version 3: every signature line but the feed's own is a cosignature
   * the checkpoint claims, and must check (ledger_bundle_proof.c
   * cosig_line): [{witness, time, timeText}], each witness once. */
  async cosignatures(text, lines, feed, label) {
    const origin = te.encode("keten/" + hex(feed));
    const kid = await noteKeyId(origin, feed);
    const out = [];
    for (const line of lines) {
      if (bytesEqual(line.name, origin) && bytesEqual(line.blob.subarray(0, 4), kid)) continue;
      const name = tdFatal.decode(line.name);
      const wfeed = cosigWitnessFeed(line.name);
      if (!wfeed)
        throw new Fail(
          `${label}: the checkpoint claims a signature by ${name}, which is not a keten witness (keten/<feed ID>) whose cosignature could be checked`
        );
      if (bytesEqual(wfeed, feed)) throw new Fail(`${label}: the checkpoint claims a cosignature by the feed itself`);
      let t;
      try {
        t = await cosigCheck(text, line, name, wfeed);
      } catch (e) {
        if (!(e instanceof NoteError)) throw e;
        throw new Fail(
          `${label}: the checkpoint claims a cosignature by witness ${name.slice(6, 22)} that it does not carry: ${e.message}`
        );
      }
      if (out.some((w) => w.witness === name.slice(6)))
        throw new Fail(`${label}: the checkpoint carries two cosignatures by witness ${name.slice(6, 22)}`);
      out.push({ witness: name.slice(6), time: Number(t), timeText: isoMs(t * 1000n) });
    }
    return out;
  }

  /* Version 3's statements: [entry, ...], each a signed entry of payload
   * type 4 (not sealed) whose statement decodes and checks against its
   * feed, in strictly ascending (feed, seq) order (ledger_bundle_verify.c
   * verify_statements). */
  async verifyStatements(r) {
    let n;
    try {
      n = r.array();
    } catch (e) {
      throw damaged("the statements are not an array", e);
    }
    this.stmts = [];
    let prev = null;
    for (let i = 0; i < n; i++) {
      let p;
      try {
        p = r.bytes();
      } catch (e) {
        throw damaged("a statement is not a byte string", e);
      }
      let e;
      try {
        e = decodeEntry(p);
      } catch (x) {
        if (!(x instanceof DecodeError)) throw x;
        throw new Fail(`statement ${i + 1}: not a well-formed entry: ${x.message}`);
      }
      if (prev) {
        const c = bytesCmp(prev.feed, e.feed);
        if (c > 0 || (c === 0 && e.seq <= prev.seq)) throw damaged("statements are not in ascending (feed, seq) order");
      }
      prev = e;
      const fail = (why) => new Fail(`statement ${i + 1} (feed ${hex(e.feed).slice(0, 8)} seq ${e.seq}): ${why}`);
      if (!(await ed25519Verify(e.feed, e.hbytes, e.sig))) throw fail("Ed25519 signature does not verify");
      if (e.payload) {
        if (BigInt(e.payload.length) !== e.plen)
          throw fail(`payload is ${e.payload.length} bytes but the signed header says ${e.plen}`);
        if (!bytesEqual(await sha256(e.payload), e.phash)) throw fail("payload SHA-256 does not match the signed header");
      }
      let st;
      try {
        st = stmtFromEntry(e);
      } catch (x) {
        if (!(x instanceof DecodeError)) throw x;
        throw fail(x.message);
      }
      this.stmts.push({ author: e.feed, seq: e.seq, recordTime: e.recordTime, s: st });
    }
  }

  /* Version 3's story: per partner and per feed item, the feed's stated
   * identity and who endorses it (ledger_stmts_feed_json). */
  trustStory(partners) {
    const of = (feedHex) => {
      const feed = this.parts.find(([f]) => hex(f) === feedHex)[0];
      return stmtsFeedJson(this.stmts, feed);
    };
    for (const p of partners) Object.assign(p, of(p.feed));
    for (const f of this.feeds) Object.assign(f, of(f.feed));
  }

  readProofStep(r, i, label) {
    let n = -1;
    try {
      n = r.array();
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
    }
    if (n !== 2) throw damaged("a step is not [entry, proof]");
    let p;
    try {
      p = r.bytes();
    } catch (e) {
      throw damaged("an entry is not a byte string", e);
    }
    let e;
    try {
      e = decodeEntry(p);
    } catch (x) {
      if (!(x instanceof DecodeError)) throw x;
      throw new Fail(`${label} step ${i + 1}: not a well-formed entry: ${x.message}`);
    }
    let nh;
    try {
      nh = r.array();
    } catch (x) {
      throw damaged("a step's proof is not an array of hashes", x);
    }
    if (nh > PROOF_MAX) throw new Fail(`${label} seq ${e.seq}: the inclusion proof has ${nh} hashes (at most ${PROOF_MAX})`);
    const hashes = [];
    for (let k = 0; k < nh; k++) {
      let h = null;
      try {
        h = r.bytes();
      } catch (x) {
        if (!(x instanceof DecodeError)) throw x;
      }
      if (!h || h.length !== 32) throw damaged("a proof hash is not 32 bytes");
      hashes.push(h);
    }
    return [e, hashes];
  }

  async verifyProof(r, feed, label) {
    const [note, size, root, witnesses] = await this.readCheckpoint(r, feed, label);
    let nsteps = 0;
    try {
      nsteps = r.array();
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
    }
    if (!nsteps) throw damaged("a feed's step list is missing or empty");
    const storyFrom = this.steps.length;
    let prev = 0n;
    let first = 0n;
    let disclosed = 0;
    for (let i = 0; i < nsteps; i++) {
      const [e, hashes] = this.readProofStep(r, i, label);
      if (!bytesEqual(e.feed, feed))
        throw new Fail(`${label} seq ${e.seq}: the entry belongs to feed ${hex(e.feed).slice(0, 8)}, not to this feed`);
      if (i && e.seq <= prev) throw new Fail(`step reordered: ${label}: seq ${e.seq} comes after seq ${prev}`);
      if (e.seq === 0n || e.seq > size)
        throw new Fail(`${label} seq ${e.seq}: not in the checkpoint, whose tree has ${size} entries`);
      if (!(await ed25519Verify(e.feed, e.hbytes, e.sig))) throw new Fail(`${label} seq ${e.seq}: entry signature does not verify`);
      const why = await verifyInclusion(await leafHash(e.hbytes), e.seq - 1n, size, hashes, root);
      if (why) throw new Fail(`${label} seq ${e.seq}: not proven in the feed's signed log of ${size} entries: ${why}`);
      await this.step(e, feed, label);
      if (e.payload) disclosed++;
      if (!i) first = e.seq;
      prev = e.seq;
    }
    this.placeSealed(storyFrom);
    this.feeds.push({
      feed: hex(feed),
      name: this.pname(feed),
      proof: "tree",
      from: Number(first),
      to: Number(prev),
      entries: nsteps,
      steps: nsteps,
      disclosed,
      sealed: nsteps - disclosed,
      treeSize: Number(size),
      rootHash: hex(root),
      checkpoint: note,
      ...(witnesses ? { witnesses } : {}),
    });
  }

  /* [steps, entries] of a chain item, after its feed ID (and form) */
  async verifyChain(r, feed, label) {
    let nsteps = 0;
    try {
      nsteps = r.array();
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
    }
    if (!nsteps) throw damaged("a feed's step list is missing or empty");
    const steps = [];
    for (let i = 0; i < nsteps; i++) {
      let s;
      try {
        s = r.uint();
      } catch (e) {
        throw damaged("a step is not a seq", e);
      }
      if (i && s <= steps[i - 1]) throw damaged("steps are not in ascending order");
      steps.push(s);
    }
    const lastStep = steps[nsteps - 1];
    let nent = 0;
    try {
      nent = r.array();
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
    }
    if (!nent) throw damaged("a feed's entry list is missing or empty");
    const storyFrom = this.steps.length;
    let step = steps[0];
    let si = 0;
    let prevSeq = 0n;
    let first = 0n;
    let prevHash = null;
    let disclosed = 0;
    let sealed = 0;
    for (let i = 0; i < nent; i++) {
      let p;
      try {
        p = r.bytes();
      } catch (e) {
        throw damaged("an entry is not a byte string", e);
      }
      let e;
      try {
        e = decodeEntry(p);
      } catch (x) {
        if (!(x instanceof DecodeError)) throw x;
        throw new Fail(`${label} entry ${i + 1}: not a well-formed entry: ${x.message}`);
      }
      if (!bytesEqual(e.feed, feed))
        throw new Fail(`${label} seq ${e.seq}: the entry belongs to feed ${hex(e.feed).slice(0, 8)}, not to this feed`);
      if (i === 0) {
        first = e.seq;
        if (e.seq < step) throw damaged("a feed's entries start before its first step");
        if (e.seq !== step)
          throw new Fail(`step removed: ${label}: step seq ${step} is missing (the entries start at seq ${e.seq})`);
      } else if (e.seq <= prevSeq) {
        throw new Fail(`step reordered: ${label}: seq ${e.seq} comes after seq ${prevSeq}`);
      } else if (e.seq !== prevSeq + 1n) {
        if (laterHas(r, nent - i - 1, prevSeq + 1n))
          throw new Fail(`step reordered: ${label}: seq ${prevSeq + 1n} comes after seq ${e.seq}`);
        if (e.seq === prevSeq + 2n)
          throw new Fail(`step removed: ${label}: seq ${prevSeq + 1n} is missing between seq ${prevSeq} and seq ${e.seq}`);
        throw new Fail(
          `step removed: ${label}: seq ${prevSeq + 1n} to ${e.seq - 1n} are missing between seq ${prevSeq} and seq ${e.seq}`
        );
      } else if (!bytesEqual(e.prev, prevHash)) {
        throw new Fail(`${label}: seq ${e.seq} does not link to seq ${prevSeq}`);
      }
      if (!(await ed25519Verify(e.feed, e.hbytes, e.sig))) throw new Fail(`${label} seq ${e.seq}: entry signature does not verify`);
      let isStep = false;
      if (step === e.seq) {
        isStep = true;
        if (si + 1 < nsteps) step = steps[si + 1];
        si++;
      } else if (si < nsteps && step < e.seq) {
        throw new Fail(`step removed: ${label}: step seq ${step} is not among the entries`);
      }
      if (e.payload) {
        if (!isStep) throw new Fail(`${label} seq ${e.seq}: a payload is disclosed for an entry that is not a step`);
        await this.payloadCheck(e, label);
        disclosed++;
      } else {
        sealed++;
      }
      if (isStep) await this.step(e, feed, label);
      prevHash = await sha256(concat(e.hbytes, e.sig));
      prevSeq = e.seq;
    }
    if (si < nsteps)
      throw new Fail(`step removed: ${label}: step seq ${step} is not among the entries (they end at seq ${prevSeq})`);
    if (prevSeq !== lastStep) throw damaged("a feed's entries go on after its last step");
    this.placeSealed(storyFrom);
    this.feeds.push({
      feed: hex(feed),
      name: this.pname(feed),
      proof: "chain",
      from: Number(first),
      to: Number(prevSeq),
      entries: nent,
      steps: nsteps,
      disclosed,
      sealed,
    });
  }

  async payloadCheck(e, label) {
    if (!e.payload) return;
    const h = await sha256(e.payload);
    if (BigInt(e.payload.length) !== e.plen || !bytesEqual(h, e.phash))
      throw new Fail(`${label} seq ${e.seq}: payload does not match its hash`);
  }

  /* A step's payload checks and its story object (ledger__bundle_step). */
  async step(e, feed, label) {
    await this.payloadCheck(e, label);
    const recordMs = e.recordTime & INT64_MAX;
    let when = Number(recordMs);
    const o = {
      feed: hex(e.feed),
      name: this.pname(e.feed),
      seq: Number(e.seq),
      recordTimeMs: Number(recordMs),
      recordTime: isoMs(e.recordTime),
      sealed: e.payload === null,
      payloadType: Number(e.ptype),
      payloadLength: Number(e.plen),
      payloadHash: hex(e.phash),
    };
    if (o.name === null) delete o.name;
    if (e.payload) {
      if (e.ptype !== 1n) throw new Fail(`${label} seq ${e.seq}: payload type ${e.ptype} is not an event`);
      let evhash, ev, marked;
      try {
        [evhash, ev] = decodeEventPayload(e.payload, false);
        marked = decodeEventPayload(e.payload, true)[1];
      } catch (x) {
        if (!(x instanceof DecodeError)) throw x;
        throw new Fail(`${label} seq ${e.seq}: payload does not decode as an event: ${x.message}`);
      }
      let fresh = null;
      let why = null;
      try {
        fresh = await computeEventHash(marked, null, null);
      } catch (x) {
        if (!(x instanceof HashError)) throw x;
        why = x.message;
      }
      if (fresh !== evhash)
        throw new Fail(`${label} seq ${e.seq}: event hash ${evhash} does not match the event (${why !== null ? why : fresh})`);
      o.eventHash = evhash;
      const str = (v) => (typeof v === "string" ? v : undefined);
      if (str(ev.eventID) !== undefined) o.eventID = ev.eventID;
      if (str(ev.type) !== undefined) o.type = ev.type;
      if (str(ev.eventTime) !== undefined) o.eventTime = ev.eventTime;
      const info = epcisInfo(ev);
      if (info) {
        when = info.eventTimeMs;
        o.eventTimeMs = info.eventTimeMs;
        if (info.action !== null) o.action = info.action;
        if (info.bizStep !== null) o.bizStep = cbvShort(info.bizStep);
        if (info.disposition !== null) o.disposition = cbvShort(info.disposition);
        if (info.bizLocation !== null) o.bizLocation = info.bizLocation;
        if (info.readPoint !== null) o.readPoint = info.readPoint;
        o.errorDeclaration = info.errorDeclaration;
      }
      o.event = ev;
    }
    this.steps.push({ when, feed, seq: e.seq, obj: o, sealed: e.payload === null });
  }

  /* A sealed step takes the time of the disclosed step before it in its
   * feed, else the one after it (ledger__bundle_place_sealed). */
  placeSealed(from) {
    const v = this.steps;
    let first = -1;
    let when = 0;
    for (let i = from; i < v.length; i++) {
      if (!v[i].sealed) {
        if (first < 0) first = i;
        when = v[i].when;
      } else if (first >= 0) {
        v[i].when = when;
      }
    }
    for (let i = from; first >= 0 && i < first; i++) v[i].when = v[first].when;
  }
}

/* Is a later entry of the remaining `left` ones seq want? (a peek) */
function laterHas(r, left, want) {
  const q = new Reader(r.b);
  q.off = r.off;
  for (let i = 0; i < left; i++) {
    try {
      if (decodeEntry(q.bytes()).seq === want) return true;
    } catch (e) {
      return false;
    }
  }
  return false;
}

/* errorDeclarations: a correction by the event's own feed, or a dispute by
 * another partner (ledger_bundle_verify.c mark_disputes). */
function markDisputes(steps) {
  for (const d of steps) {
    const id = typeof d.eventID === "string" ? d.eventID : null;
    if (d.errorDeclaration !== true || id === null) continue;
    let dispute = false;
    for (const s of steps) {
      if (s.errorDeclaration === true || typeof s.eventID !== "string" || s.eventID !== id) continue;
      if (s.feed === d.feed) {
        dispute = false;
        break;
      }
      dispute = true;
      d.declaredFeed = s.feed;
      if (s.name !== undefined) d.declaredName = s.name;
    }
    d.disputes = dispute;
  }
}

/* What the buyer demands (cli_bundle_trust.c cli_trust_eval): per feed item
 * "trust" {known, vouched, vouchedBy, witnesses, otherWitnesses}, with
 * trust (a Map of feed hex -> label, or null) and requireWitnesses (0:
 * none); story.demands when anything is demanded. A witness counts when it
 * is not the feed itself and, with trust, is known or a partner vouched
 * for; without, a partner of the bundle. The failures, in keten's words. */
function trustEval(story, trust, require) {
  const failures = [];
  if (!trust && require <= 0 && story.bundle < 3) return failures;
  const known = (h) => (trust && trust.has(h) ? trust.get(h) : null);
  const partner = (h) => story.partners.find((p) => p.feed === h) || null;
  const vouched = (h, by) => {
    let yes = known(h) !== null;
    const p = partner(h);
    for (const e of (p && p.endorsedBy) || [])
      if (e.agrees === true && known(e.feed) !== null) {
        yes = true;
        if (by) by.push(e.feed);
      }
    return yes;
  };
  for (const f of story.feeds) {
    const by = [];
    const wits = [];
    let other = 0;
    const v = vouched(f.feed, by);
    for (const w of f.witnesses || []) {
      const wh = w.witness;
      const counts = wh !== f.feed && (trust ? known(wh) !== null || (partner(wh) !== null && vouched(wh, null)) : partner(wh) !== null);
      if (counts) wits.push(wh);
      else other++;
    }
    const who = `${f.name ? f.name : "(no name)"} (${f.feed.slice(0, 16)}\u2026)`;
    if (trust && !v) failures.push(`${who}: its key is not in the trust file and no key in it endorses it`);
    if (require > 0 && wits.length < require)
      failures.push(
        `${who}: its checkpoint is witnessed by ${wits.length} of the ${require} required` +
          (other ? " (other cosignatures are by keys not vouched for)" : "")
      );
    f.trust = { known: known(f.feed), vouched: v, vouchedBy: by, witnesses: wits, otherWitnesses: other };
  }
  if (trust || require > 0)
    story.demands = { trust: !!trust, requireWitnesses: require > 0 ? require : 0, met: !failures.length, failures };
  return failures;
}

/**
 * Verifies a keten provenance bundle (versions 1 to 3) from its bytes.
 * Never throws for bad input. opts (as `keten bundle verify --trust FILE
 * --require-witnesses N`): trust, a Map of feed ID hex -> label of the keys
 * the buyer knows; requireWitnesses, a number. A demand not met gives
 * state "failed", reason its first failure, and the story with
 * "verified": false and story.demands.failures.
 * @param {Uint8Array} bytes
 * @param {{trust?: Map<string,string>|null, requireWitnesses?: number}} [opts]
 * @returns {Promise<{state: "verified"|"failed", reason: string|null, story: object|null}>}
 */
export async function verifyBundle(bytes, opts = {}) {
  try {
    if (!(bytes instanceof Uint8Array)) {
      if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
      else return { state: "failed", reason: "not a keten bundle (no bytes given)", story: null };
    }
    const story = await new Verifier(bytes).run();
    const failures = trustEval(story, (opts && opts.trust) || null, (opts && opts.requireWitnesses) || 0);
    if (failures.length) {
      story.verified = false;
      return { state: "failed", reason: "demand not met: " + failures[0], story };
    }
    return { state: "verified", reason: null, story };
  } catch (e) {
    if (e instanceof Fail) return { state: "failed", reason: e.message, story: null };
    return { state: "failed", reason: "the verifier failed: " + (e && e.message ? e.message : String(e)), story: null };
  }
}


/* ==== the EPCIS 2.0 event hash ============================================
 *
 * The pre-hash string exactly as keten builds it (ledger_evhash.c,
 * ledger_evtree.c, ledger_evctx.c, ledger_pyfmt.c, gs1_key_hash), which is
 * what GS1's reference generator (RalphTro/epcis-event-hash-generator,
 * JSON-LD path) prints: (1) the set S of CBV/GS1 vocabulary IRIs that
 * JSON-LD expansion of the event would give, from a static model of the
 * EPCIS 2.0 context; every string is replaced by the one member of S ending
 * in "-v" or "/v"; (2) the event as a tree of (name, text, children), keys
 * and values with a namespace prefix of the @context expanded, children
 * sorted as Python sorts tuples (except where bizTransaction, source or
 * destination keep document order); (3) the JSON layout corrected to the
 * XML one ("xxxList" groups, childEPCs, quantityElement); (4) the pre-hash:
 * "eventType=" + type, the fields in the reference's PROP_ORDER with
 * canonical values (times in UTC to the millisecond, numbers as Python
 * prints them, CBV URNs as web URIs, EPC URNs and Digital Links as
 * constrained canonical Digital Links), user extensions, then the rest
 * sorted. Its SHA-256 is the hash. */

class HashError extends Error {}

function hasOwn(o, k) {
  return Object.prototype.hasOwnProperty.call(o, k);
}

const MAX_DEPTH = 200;
const CBV = "https://ref.gs1.org/cbv/";
const VOC = "https://gs1.org/voc/";

/* Code-point order (strcmp on UTF-8). */
function strCmp(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x < 0xd800 && y < 0xd800) return x - y;
    const cx = a.codePointAt(i);
    const cy = b.codePointAt(i);
    if (cx !== cy) return cx - cy;
    return x - y;
  }
  return a.length - b.length;
}

/* ---- Python's formatting (ledger_pyfmt.c) -------------------------------- */

const PY_SPACE = new Set([0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000]);
function isPySpace(c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || PY_SPACE.has(c) || (c >= 0x2000 && c <= 0x200a);
}

/* str.strip() */
function pyStrip(s) {
  let a = 0;
  let b = s.length;
  while (a < b && isPySpace(s.charCodeAt(a))) a++;
  while (b > a && isPySpace(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/* repr() of a float */
function pyRepr(d) {
  if (Number.isNaN(d)) return "nan";
  if (!Number.isFinite(d)) return d < 0 ? "-inf" : "inf";
  if (d === 0) return Object.is(d, -0) ? "-0.0" : "0.0";
  const ex = Math.abs(d).toExponential(); /* shortest round-trip digits */
  const [mant, es] = ex.split("e");
  const digits = mant.replace(".", "");
  const e = Number(es);
  const nd = digits.length;
  let out = d < 0 ? "-" : "";
  if (e >= -4 && e < 16) {
    if (e < 0) out += "0." + "0".repeat(-e - 1) + digits;
    else if (nd > e + 1) out += digits.slice(0, e + 1) + "." + digits.slice(e + 1);
    else out += digits + "0".repeat(e + 1 - nd) + ".0";
  } else {
    const ae = Math.abs(e);
    out += digits[0] + (nd > 1 ? "." + digits.slice(1) : "") + "e" + (e < 0 ? "-" : "+") + (ae < 10 ? "0" : "") + ae;
  }
  return out;
}

/* float(s) with Python's grammar (no surrounding blanks), or null */
function pyParseFloat(s) {
  let p = 0;
  let buf = "";
  if (s[p] === "+" || s[p] === "-") buf += s[p++];
  const rest = s.slice(p).toLowerCase();
  if (rest === "inf" || rest === "infinity") return s[0] === "-" ? -Infinity : Infinity;
  if (rest === "nan") return NaN;
  let digits = false;
  const isD = (c) => c >= "0" && c <= "9";
  for (let part = 0; part < 3; part++) {
    if (part === 1) {
      if (s[p] !== ".") continue;
      buf += s[p++];
    } else if (part === 2) {
      if (s[p] !== "e" && s[p] !== "E") break;
      if (!digits) return null;
      buf += s[p++];
      if (s[p] === "+" || s[p] === "-") buf += s[p++];
      if (!isD(s[p] || "")) return null;
    }
    while (p < s.length && isD(s[p])) {
      if (buf.length >= 398) return null;
      buf += s[p++];
      if (part < 2) digits = true;
      if (s[p] === "_" && isD(s[p + 1] || "")) p++;
    }
  }
  if (p !== s.length || !digits) return null;
  if (buf[buf.length - 1] === "." || /\.[eE]/.test(buf)) buf = buf.replace(".", ".0");
  if (buf.startsWith(".") || buf.startsWith("-.") || buf.startsWith("+.")) buf = buf.replace(".", "0.");
  return Number(buf);
}

/* _try_format_numeric: str(int(x)) for whole x, repr(x) else; null when s
 * is not a finite float literal */
function pyNumber(s) {
  const q = s[0] === "+" || s[0] === "-" ? s[1] : s[0];
  if (q === undefined || !((q >= "0" && q <= "9") || q === "." || "iInN".includes(q))) return null;
  const d = pyParseFloat(s);
  if (d === null || !Number.isFinite(d)) return null;
  if (d !== Math.trunc(d)) return pyRepr(d);
  return BigInt(d).toString();
}

function civilFromDays(z) {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

function daysFromCivilPy(y, m, d) {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/* _fix_time_stamp_format: "YYYY-MM-DDTHH:MM:SS.mmmZ" in UTC, or null */
function pyTimeUtc(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2})?)?)?$/.exec(s);
  if (!m) return null;
  const Y = Number(m[1]);
  const M = Number(m[2]);
  const D = Number(m[3]);
  if (Y < 1 || M < 1 || M > 12 || D < 1 || D > daysInMonth(Y, M)) return null;
  const h = m[4] ? Number(m[4]) : 0;
  const mi = m[5] ? Number(m[5]) : 0;
  const sec = m[6] ? Number(m[6]) : 0;
  if (h > 23 || mi > 59 || sec > 59) return null;
  const us = m[7] ? Number((m[7] + "000000").slice(0, 6)) : 0;
  let off = 0;
  if (m[9]) {
    const oh = Number(m[10]);
    const om = m[11] ? Number(m[11]) : 0;
    if (oh > 23 || om > 59) return null;
    off = (m[9] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  let ms = Math.floor(us / 1000);
  const rem = us % 1000;
  if (rem > 500 || (rem === 500 && ms & 1)) ms++;
  let t = daysFromCivilPy(Y, M, D) * 86400 + h * 3600 + mi * 60 + sec - off * 60;
  if (ms === 1000) {
    ms = 0;
    t++;
  }
  const days = Math.floor(t / 86400);
  const rs = t - days * 86400;
  const [yy, mm, dd] = civilFromDays(days);
  if (yy < 1 || yy > 9999) return null;
  const p2 = (v) => String(v).padStart(2, "0");
  return `${String(yy).padStart(4, "0")}-${p2(mm)}-${p2(dd)}T${p2(Math.floor(rs / 3600))}:${p2(Math.floor(rs / 60) % 60)}:${p2(rs % 60)}.${String(ms).padStart(3, "0")}Z`;
}

/* ---- GS1 keys for the hash (gs1_key_hash) -------------------------------- */

const isDigit = (c) => c >= "0" && c <= "9";
const allDigits = (s) => /^[0-9]*$/.test(s);
const SET82 = /^[0-9A-Za-z!"%&'()*+,\-./:;<=>?_]*$/;
const SET39 = /^[0-9A-Z#\-/]*$/;
const inSet = (c, kind) => (kind === "N" ? isDigit(c) : kind === "Y" ? SET39.test(c) : SET82.test(c));

function checkDigit(s) {
  let sum = 0;
  for (let i = s.length - 1, w = 3; i >= 0; i--, w = 4 - w) sum += (s.charCodeAt(i) - 48) * w;
  return (10 - (sum % 10)) % 10;
}

/* The AIs of a key's path: components [charset, min, max] (the hash skips
 * check digits and company prefix positions), dlpkey alternatives. */
const AI = {
  "00": { c: [["N", 18, 18]], pkey: [] },
  "01": { c: [["N", 14, 14]], pkey: [["22", "10", "21"], ["235"]] },
  253: { c: [["N", 13, 13], ["X", 0, 17]], pkey: [] },
  255: { c: [["N", 13, 13], ["N", 0, 12]], pkey: [] },
  401: { c: [["X", 1, 30]], pkey: [] },
  402: { c: [["N", 17, 17]], pkey: [] },
  414: { c: [["N", 13, 13]], pkey: [["254"], ["7040"]] },
  415: { c: [["N", 13, 13]], pkey: [["8020"]] },
  417: { c: [["N", 13, 13]], pkey: [["7040"]] },
  8003: { c: [["N", 14, 14], ["X", 0, 16]], pkey: [] },
  8004: { c: [["X", 1, 30]], pkey: [["7040"]] },
  8006: { c: [["N", 18, 18]], pkey: [["22", "10", "21"]] },
  8010: { c: [["Y", 1, 30]], pkey: [["8011"]] },
  8013: { c: [["X", 1, 25]], pkey: [] },
  8017: { c: [["N", 18, 18]], pkey: [["8019"]] },
  8018: { c: [["N", 18, 18]], pkey: [["8019"]] },
  10: { c: [["X", 1, 20]] },
  21: { c: [["X", 1, 20]] },
  22: { c: [["X", 1, 20]] },
  235: { c: [["X", 1, 28]] },
  254: { c: [["X", 1, 20]] },
  7040: { c: [["N", 1, 1], ["X", 3, 3]] },
  8011: { c: [["N", 1, 12]] },
  8019: { c: [["N", 1, 10]] },
  8020: { c: [["X", 1, 25]] },
};
const ALPHAS = {
  cpid: "8010", cpsn: "8011", cpv: "22", gcn: "255", gdti: "253", giai: "8004", ginc: "401", gln: "414",
  glnx: "254", gmn: "8013", grai: "8003", gsin: "402", gsrn: "8018", gsrnp: "8017", gtin: "01", itip: "8006",
  lot: "10", party: "417", refno: "8020", ser: "21", srin: "8019", sscc: "00",
};

function aiValid(ai, v) {
  const e = AI[ai];
  let p = 0;
  for (const [kind, min, max] of e.c) {
    let n = 0;
    while (n < max && p + n < v.length && inSet(v[p + n], kind)) n++;
    if (n < min) return false;
    p += n;
  }
  return p === v.length;
}

function pathAi(seg) {
  if (seg.length >= 2 && seg.length <= 4 && isDigit(seg[0])) return hasOwn(AI, seg) ? seg : null;
  return hasOwn(ALPHAS, seg) ? ALPHAS[seg] : null;
}

function seqOk(pkey, quals) {
  if (!quals.length) return true;
  for (const alt of AI[pkey].pkey) {
    let pos = 0;
    let i = 0;
    for (; i < quals.length; i++) {
      while (pos < alt.length && alt[pos] !== quals[i]) pos++;
      if (pos === alt.length) break;
      pos++;
    }
    if (i === quals.length) return true;
  }
  return false;
}

/* the constrained canonical Digital Link of [[ai, value], ...] (key first) */
function dlKey(fields) {
  const esc = (v) => v.replace(/[!"#%&()*+,/:<>?]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0"));
  const [kai, kv] = fields[0];
  let out = `https://id.gs1.org/${kai}/${esc(kv)}`;
  const q = fields.slice(1);
  if (kai === "01" || kai === "8006") {
    for (const o of ["21", "10", "235"]) {
      const f = q.find((x) => x[0] === o);
      if (f) return out + `/${f[0]}/${esc(f[1])}`;
    }
    return out;
  }
  /* the alternative with the most qualifiers present, the first on a tie */
  let best = [];
  for (const alt of AI[kai].pkey) {
    const got = alt.map((a) => q.find((x) => x[0] === a)).filter(Boolean);
    if (got.length > best.length) best = got;
  }
  for (const f of best) out += `/${f[0]}/${esc(f[1])}`;
  return out;
}

const URN_SCHEMES = {
  /* kinds, key AI, digits, lead, zero, piece, ser ("q" qualifier, "k" in key, null), qual AI */
  sgtin: ["RRX", "01", 14, 1, 0, 0, "q", "21"],
  lgtin: ["RRX", "01", 14, 1, 0, 0, "q", "10"],
  upui: ["RRX", "01", 14, 1, 0, 0, "q", "235"],
  itip: ["RRRRX", "8006", 14, 1, 0, 1, "q", "21"],
  sscc: ["RR", "00", 18, 1, 0, 0, null, null],
  sgln: ["RRX", "414", 13, 0, 0, 0, "q", "254"],
  pgln: ["RR", "417", 13, 0, 0, 0, null, null],
  grai: ["RRX", "8003", 13, 0, 1, 0, "k", null],
  gdti: ["RRX", "253", 13, 0, 0, 0, "k", null],
  sgcn: ["RRN", "255", 13, 0, 0, 0, "k", null],
  gsrn: ["RR", "8018", 18, 0, 0, 0, null, null],
  gsrnp: ["RR", "8017", 18, 0, 0, 0, null, null],
  gsin: ["RR", "402", 17, 0, 0, 0, null, null],
  giai: ["RX", "8004", 0, 0, 0, 0, null, null],
  ginc: ["RX", "401", 0, 0, 0, 0, null, null],
  cpi: ["RYN", "8010", 0, 0, 0, 0, "q", "8011"],
};

/* The AI fields of an EPC pure identity or class URN, null when it names
 * no GS1 key, or throws HashError when malformed (urn_to_ai). */
function urnToAi(urn) {
  const cls = urn.startsWith("urn:epc:class:");
  const p = cls ? 14 : 11;
  const colon = urn.indexOf(":", p);
  if (colon < 0) throw new HashError("EPC URN without a scheme");
  const name = urn.slice(p, colon);
  const s = (cls ? name === "lgtin" : name !== "lgtin") && hasOwn(URN_SCHEMES, name) ? URN_SCHEMES[name] : undefined;
  if (!s) {
    if (!cls && (name === "gid" || name === "usdod")) return null;
    throw new HashError("unknown EPC scheme");
  }
  const [kinds, keyAi, digits, lead, zero, piece, ser, qualAi] = s;
  if (/[^\x21-\x7e]/.test(urn)) throw new HashError("EPC URN: a byte is not allowed");
  const nf = kinds.length;
  let body = urn.slice(colon + 1);
  const parts = [];
  for (let i = 0; i < nf; i++) {
    if (i + 1 < nf) {
      const dot = body.indexOf(".");
      if (dot < 0) throw new HashError("EPC URN: too few parts");
      parts.push(body.slice(0, dot));
      body = body.slice(dot + 1);
    } else parts.push(body);
  }
  if (kinds[nf - 1] === "R" && parts[nf - 1].includes(".")) throw new HashError("EPC URN: too many parts");
  for (let i = 0; i < nf; i++) {
    if (kinds[i] === "R") continue;
    const k = kinds[i];
    let o = "";
    const x = parts[i];
    for (let j = 0; j < x.length; j++) {
      let c = x[j];
      if (c === "%") {
        const h = x.slice(j + 1, j + 3);
        if (j + 2 >= x.length || !/^[0-9A-Fa-f]{2}$/.test(h)) throw new HashError("EPC URN: bad percent-escape");
        c = String.fromCharCode(parseInt(h, 16));
        if (!inSet(c, k)) throw new HashError("EPC URN: escape of a character it may not hold");
        j += 2;
      } else if (!inSet(c, k) || (k === "Y" ? "#/".includes(c) : k === "X" ? "\"%&/<>?".includes(c) : false)) {
        throw new HashError("EPC URN: a character must not appear here");
      }
      o += c;
    }
    parts[i] = o;
  }
  const cp = parts[0];
  if (cp.length < 6 || cp.length > 12 || !allDigits(cp)) throw new HashError("EPC URN: company prefix");
  const serial = ser ? parts[nf - 1] : null;
  let key;
  if (digits) {
    const ref = parts[1];
    if (!allDigits(ref) || ref.length !== digits - 1 - cp.length || (lead && ref.length < 1))
      throw new HashError("EPC URN: company prefix and reference length");
    key = (zero ? "0" : "") + (lead ? ref[0] : "") + cp + ref.slice(lead);
    key += String(checkDigit(key.slice(zero)));
    if (piece) {
      for (const k of [2, 3]) if (parts[k].length !== 2 || !allDigits(parts[k])) throw new HashError("EPC URN: piece/total");
      key += parts[2] + parts[3];
    }
    if (ser && serial.length === 0) throw new HashError("EPC URN: empty last part");
    if (ser === "k") key += serial;
  } else {
    if (parts[1].length === 0) throw new HashError("EPC URN: empty reference");
    key = cp + parts[1];
  }
  if (!aiValid(keyAi, key)) throw new HashError("EPC URN: the key is not valid");
  const fields = [[keyAi, key]];
  if (ser === "q" && !(name === "sgln" && serial === "0")) {
    if (!aiValid(qualAi, serial)) throw new HashError("EPC URN: the serial is not valid");
    fields.push([qualAi, serial]);
  }
  return fields;
}

const IDPATS = {
  sgtin: [3, 2, 14], upui: [3, 2, 14], sgln: [3, 2, 13], grai: [3, 2, 14], gdti: [3, 2, 13], sgcn: [3, 2, 13],
  cpi: [3, 2, 30], itip: [5, 4, 18], sscc: [2, 1, 0], giai: [2, 1, 0], gsrn: [2, 1, 0], gsrnp: [2, 1, 0],
  ginc: [2, 1, 0], gsin: [2, 1, 0], pgln: [2, 1, 0],
};

function idpatToAi(s) {
  const body = s.slice(14);
  const colon = body.indexOf(":");
  if (colon < 0) throw new HashError("EPC pattern URN without a scheme");
  const pat = hasOwn(IDPATS, body.slice(0, colon)) ? IDPATS[body.slice(0, colon)] : undefined;
  if (!pat) throw new HashError("unknown EPC pattern scheme");
  const comps = body.slice(colon + 1).split(".");
  let firstStar = -1;
  comps.forEach((c, i) => {
    if (c === "*") {
      if (firstStar < 0) firstStar = i;
    } else if (firstStar >= 0) throw new HashError("only trailing components may be '*'");
  });
  if (comps.length !== pat[0]) throw new HashError("pattern: parts");
  if (firstStar < 0) return urnToAi("urn:epc:id:" + body);
  if (firstStar !== pat[1] || !pat[2]) return null;
  const f = urnToAi("urn:epc:id:" + body.slice(0, -1) + "0");
  if (!f) return null;
  return [[f[0][0], f[0][1].slice(0, pat[2])]];
}

function dlLooksLike(uri) {
  const m = /^https?:\/\/[^/]*(\/[^?#]*)/i.exec(uri);
  if (!m) return false;
  const segs = m[1].split("/").slice(1);
  for (let i = 1; i < segs.length; i++) {
    const a = pathAi(segs[i - 1]);
    if (a && AI[a].pkey && isDigit(segs[i][0] || "")) return true;
  }
  return false;
}

function dlParse(uri) {
  const pn = uri.search(/[?#]/);
  const u = pn < 0 ? uri : uri.slice(0, pn);
  for (let i = 0; i < u.length; i++) {
    if (u[i] === "%" && !/^[0-9A-Fa-f]{2}$/.test(u.slice(i + 1, i + 3))) throw new HashError("Digital Link: bad percent-escape");
    if (u[i] === "%" && i + 2 >= u.length) throw new HashError("Digital Link: bad percent-escape");
  }
  if (/[^0-9A-Za-z\-._~:/?#[\]@!$&'()*+,;=%]/.test(u)) throw new HashError("Digital Link: a character is not allowed");
  const m = /^(?:https|HTTPS|http|HTTP):\/\/([^/]*)(\/.*)?$/.exec(u);
  if (!m) throw new HashError("Digital Link: must start with https:// or http://");
  if (m[2] === undefined) throw new HashError("Digital Link: no path after the host");
  if (!m[1] || /[_~?#@!$&'()*+,;=%]/.test(m[1])) throw new HashError("Digital Link: host");
  let path = m[2];
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  const segs = path.split("/").slice(1);
  /* the root: the rightmost primary key of pairs taken from the end */
  let root = -1;
  for (let end = segs.length; end >= 2; end -= 2) {
    const a = pathAi(segs[end - 2]);
    if (!a) break;
    if (AI[a].pkey) {
      root = end - 2;
      break;
    }
  }
  if (root < 0) throw new HashError("Digital Link: no primary key");
  const fields = [];
  for (let i = root; i < segs.length; i += 2) {
    const ai = pathAi(segs[i]);
    const raw = segs[i + 1];
    if (!raw) throw new HashError("Digital Link: empty value");
    let v;
    try {
      v = decodeURIComponent(raw.replace(/%(?![0-9A-Fa-f]{2})/g, "%25"));
    } catch (e) {
      v = raw.replace(/%([0-9A-Fa-f]{2})/g, (x, h) => String.fromCharCode(parseInt(h, 16)));
    }
    if (v.includes("\0")) throw new HashError("Digital Link: NUL");
    if (ai === "01" && (v.length === 8 || v.length === 12 || v.length === 13)) v = v.padStart(14, "0");
    if (!aiValid(ai, v)) throw new HashError("Digital Link: AI value");
    fields.push([ai, v]);
  }
  if (fields.length > 4 || !seqOk(fields[0][0], fields.slice(1).map((f) => f[0])))
    throw new HashError("Digital Link: key qualifiers");
  if (!isDigit(fields[0][1][0] || "")) throw new HashError("Digital Link: the key must start with a digit");
  return fields;
}

/* The event hash's canonical Digital Link of uri, or null (the hash keeps
 * the text as it is): an EPC pure identity, class or pattern URN of a GS1
 * key, or a Digital Link (gs1_key_hash). */
export function gs1KeyHash(uri) {
  try {
    let f = null;
    if (uri.startsWith("urn:epc:id:") || uri.startsWith("urn:epc:class:")) f = urnToAi(uri);
    else if (uri.startsWith("urn:epc:idpat:")) f = idpatToAi(uri);
    else if (/^https?:\/\//i.test(uri) && dlLooksLike(uri)) f = dlParse(uri);
    return f ? dlKey(f) : null;
  } catch (e) {
    if (e instanceof HashError || e instanceof URIError) return null;
    throw e;
  }
}

/* ---- the static model of the EPCIS 2.0 context (ledger_evctx.c) ---------- */

const WORDS = {
  bizstep: "accepting arriving assembling collecting commissioning consigning creating_class_instance cycle_counting decommissioning departing destroying disassembling dispensing encoding entering_exiting holding inspecting installing killing loading other packing picking receiving removing repackaging repairing replacing reserving retail_selling sampling sensor_reporting shipping staging_outbound stock_taking stocking storing transporting unloading unpacking void_shipping",
  disp: "active available completeness_inferred completeness_verified conformant container_closed container_open damaged destroyed dispensed disposed encoded expired in_progress in_transit inactive mismatch_class mismatch_instance mismatch_quantity needs_replacement no_pedigree_match non_conformant non_sellable_other partially_dispensed recalled reserved retail_sold returned sellable_accessible sellable_not_accessible stolen unavailable unknown",
  btt: "bol cert desadv inv pedigree po poc prodorder recadv rma testprd testres upevt",
  sdt: "location owning_party possessing_party",
  er: "did_not_occur incorrect_data",
  comp: "altitude axial_distance azimuth easting elevation_angle height latitude longitude northing polar_angle spherical_radius x y z",
  mt: "AbsoluteHumidity AbsorbedDose AbsorbedDoseRate Acceleration Altitude AmountOfSubstance AmountOfSubstancePerUnitVolume Angle AngularAcceleration AngularMomentum AngularVelocity Area Capacitance Conductance Conductivity Count Density Dimensionless DoseEquivalent DoseEquivalentRate DynamicViscosity ElectricCharge ElectricCurrent ElectricCurrentDensity ElectricFieldStrength Energy Exposure Force Frequency Illuminance Inductance Irradiance KinematicViscosity Length LinearMomentum Luminance LuminousFlux LuminousIntensity MagneticFlux MagneticFluxDensity MagneticVectorPotential Mass MassConcentration MassFlowRate MassPerAreaTime MemoryCapacity MolalityOfSolute MolarEnergy MolarMass MolarVolume Power Pressure RadiantFlux RadiantIntensity Radioactivity RelativeHumidity Resistance Resistivity SolidAngle SpecificVolume Speed SurfaceDensity SurfaceTension Temperature Time Torque Voltage Volume VolumeFlowRate VolumeFraction VolumetricFlux Wavenumber",
  alert: "ALARM_CONDITION ERROR_CONDITION",
};
const WSET = Object.fromEntries(Object.entries(WORDS).map(([k, v]) => [k, new Set(v.split(" "))]));

const ID = (name) => ({ name, kind: "id" });
const LITT = (name) => ({ name, kind: "lit" });
const TYPE = (name) => ({ name, kind: "type" });
const V = (name, pre, w) => ({ name, kind: "vocab", pre, words: WSET[w] });
const S = (name, sub) => ({ name, kind: "lit", sub });
const scope = (terms, parent) => ({ terms: new Map(terms.map((t) => [t.name, t])), parent });

const scTop = scope([], null);
const scSe = scope([], scTop);
const scSd = scope([ID("source"), ID("destination"), V("type", CBV + "SDT-", "sdt")], scTop);
const scBt = scope([ID("bizTransaction"), V("type", CBV + "BTT-", "btt")], scTop);
const scPd = scope([V("set", CBV + "Disp-", "disp"), V("unset", CBV + "Disp-", "disp")], scTop);
const scEd = scope([V("reason", CBV + "ER-", "er"), ID("correctiveEventIDs"), LITT("declarationTime")], scTop);
const scSm = scope([LITT("startTime"), LITT("endTime"), ID("bizRules")], scSe);
const scSr = scope(
  [
    V("type", VOC, "mt"), V("exception", VOC, "alert"), V("component", CBV + "Comp-", "comp"),
    ID("coordinateReferenceSystem"), ID("microorganism"), ID("chemicalSubstance"), ID("uriValue"),
    ...["time", "value", "stringValue", "booleanValue", "hexBinaryValue", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue"].map(LITT),
  ],
  scSe
);
for (const t of [ID("deviceID"), ID("deviceMetadata"), ID("rawData"), ID("dataProcessingMethod"), LITT("time"), TYPE("type"), S("sensorMetadata", scSm), S("sensorReport", scSr)])
  scSe.terms.set(t.name, t);
for (const t of [
  TYPE("type"), ID("id"), ID("eventID"), V("bizStep", CBV + "BizStep-", "bizstep"), V("disposition", CBV + "Disp-", "disp"),
  ID("certificationInfo"), ID("bizLocation"), ID("readPoint"), ID("transformationID"), ID("epcList"), ID("epcClass"),
  ID("parentID"), ID("childEPCs"), ID("inputEPCList"), ID("outputEPCList"), ID("member"), ID("children"),
  S("sourceList", scSd), S("destinationList", scSd), S("persistentDisposition", scPd), S("bizTransactionList", scBt),
  S("sensorElementList", scSe), S("errorDeclaration", scEd),
  ...["eventTime", "recordTime", "eventTimeZoneOffset", "action", "quantity", "uom", "quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList", "ilmd"].map(LITT),
])
  scTop.terms.set(t.name, t);

function termOf(sc, k) {
  for (; sc; sc = sc.parent) if (sc.terms.has(k)) return sc.terms.get(k);
  return null;
}

const PREFIXES = {
  epcis: "https://ref.gs1.org/epcis/", cbv: CBV, cbvmda: "urn:epcglobal:cbv:mda:", gs1: VOC,
  rdfs: "http://www.w3.org/2000/01/rdf-schema#", owl: "http://www.w3.org/2002/07/owl#",
  xsd: "http://www.w3.org/2001/XMLSchema#", dcterms: "http://purl.org/dc/terms/",
};

/* PROP_ORDER: [name, sub] (sub null: a leaf; [] : rendered generically) */
const L = (n) => [n, null];
const O = (n, s) => [n, s];
const oEpc = [L("epc")];
const oQe = [O("quantityElement", [L("epcClass"), L("quantity"), L("uom")])];
const oSm = ["time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "bizRules"].map(L);
const oSr = ["type", "exception", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "time", "microorganism", "chemicalSubstance", "value", "component", "stringValue", "booleanValue", "hexBinaryValue", "uriValue", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue", "uom", "coordinateReferenceSystem"].map(L);
const O_EVENT = [
  L("eventTime"), L("eventTimeZoneOffset"), L("certificationInfo"), L("parentID"), O("epcList", oEpc),
  O("inputEPCList", oEpc), O("childEPCs", oEpc), O("quantityList", oQe), O("childQuantityList", oQe),
  O("inputQuantityList", oQe), O("outputEPCList", oEpc), O("outputQuantityList", oQe), L("action"),
  L("transformationID"), L("bizStep"), L("disposition"), O("persistentDisposition", [L("set"), L("unset")]),
  O("readPoint", [L("id")]), O("bizLocation", [L("id")]), O("bizTransactionList", []), O("sourceList", []),
  O("destinationList", []), O("sensorElementList", [O("sensorElement", [O("sensorMetadata", oSm), O("sensorReport", oSr)])]),
];

/* ---- the computation ------------------------------------------------------ */

const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof KFloat);
const keepsOrder = (k) => k === "bizTransaction" || k === "source" || k === "destination";

class Hasher {
  constructor(context, event, ignore) {
    this.ns = [];
    const add = (c) => {
      if (isObj(c)) this.ns.push(c);
      else if (Array.isArray(c)) for (const el of c) if (isObj(el)) this.ns.push(el);
    };
    add(context);
    add(event["@context"]);
    this.S = new Set();
    this.ignore = Array.isArray(ignore) ? ignore : null;
  }

  nsGet(p) {
    if (p[0] === "@") return null;
    for (let i = this.ns.length - 1; i >= 0; i--)
      if (hasOwn(this.ns[i], p) && typeof this.ns[i][p] === "string") return this.ns[i][p];
    return null;
  }

  /* [iri, rest] of a prefixed s, or null */
  nsLookup(s) {
    if (!this.ns.length) return null;
    const c = s.indexOf(":");
    if (c < 0) return null;
    const iri = this.nsGet(s.slice(0, c));
    return iri === null ? null : [iri, s.slice(c + 1)];
  }

  expandPrefix(v) {
    const c = v.indexOf(":");
    if (c < 0 || (v[c + 1] === "/" && v[c + 2] === "/")) return null;
    const r = this.nsLookup(v);
    if (r) return r;
    const iri = PREFIXES[v.slice(0, c)];
    return iri && hasOwn(PREFIXES, v.slice(0, c)) ? [iri, v.slice(c + 1)] : null;
  }

  sAdd(a, b) {
    const x = a + b;
    if (x.startsWith("https://ref.gs1.org/cbv") || x.startsWith("https://gs1.org/voc")) this.S.add(x);
  }

  collectObject(o, sc, depth) {
    if (depth > MAX_DEPTH) throw new HashError("event nested too deeply");
    for (const k of Object.keys(o)) {
      let t;
      if (k[0] === "@") {
        if (k === "@id") t = { kind: "id" };
        else if (k === "@type") t = { kind: "type" };
        else if (k === "@value" || k === "@list" || k === "@set") t = { kind: "lit" };
        else continue;
      } else if ((t = termOf(sc, k)) === null) {
        if (!k.includes(":") && this.nsGet(k) === null) continue;
        t = { kind: "lit" };
      }
      this.collectValue(o[k], t, t.sub ? t.sub : sc, depth + 1);
    }
  }

  collectValue(v, t, sc, depth) {
    if (depth > MAX_DEPTH) throw new HashError("event nested too deeply");
    if (Array.isArray(v)) for (const el of v) this.collectValue(el, t, sc, depth + 1);
    else if (isObj(v)) this.collectObject(v, sc, depth);
    else if (typeof v === "string") {
      let r;
      if (t.kind === "vocab" && t.words.has(v)) this.sAdd(t.pre, v);
      else if (t.kind !== "lit" && (r = this.expandPrefix(v)) !== null) this.sAdd(r[0], r[1]);
      else if (v[0] === "h") this.sAdd(v, "");
    }
  }

  sReplace(v) {
    let hit = null;
    let count = 0;
    for (const m of this.S) {
      if (m.length > v.length && "-/".includes(m[m.length - v.length - 1]) && m.endsWith(v)) {
        hit = m;
        count++;
      }
    }
    return count === 1 ? hit : v;
  }

  node(name, text, canon = null) {
    return { name, text, canon, kids: [], live: 0, dead: false, pair: false };
  }

  scalar(j) {
    if (typeof j === "string") {
      if (j.includes("\0")) throw new HashError("a string of the event contains U+0000");
      let t = this.sReplace(j);
      const r = this.nsLookup(t);
      if (r) t = r[0] + r[1];
      return this.node("", t);
    }
    let t;
    let canon;
    if (typeof j === "bigint" || (typeof j === "number" && Number.isInteger(j))) {
      t = BigInt(j).toString();
      canon = t;
      const a = BigInt(j) < 0n ? -BigInt(j) : BigInt(j);
      if (a > 1n << 53n) canon = pyNumber(t) ?? t;
    } else if (j instanceof KFloat || typeof j === "number") {
      const d = j instanceof KFloat ? j.value : j;
      t = pyRepr(d);
      canon = t;
      if (d === Math.trunc(d)) canon = pyNumber(t) ?? t;
    } else {
      t = j === true ? "True" : j === false ? "False" : "None";
      canon = t;
    }
    return this.node("", t, canon);
  }

  keyName(k) {
    const r = this.nsLookup(k);
    return r ? "{" + r[0] + "}" + r[1] : k;
  }

  keyIgnored(k, top) {
    if (k === "#text" || k === "rdfs:comment" || k === "comment" || k === "@context" || k.startsWith("@xmlns")) return true;
    return !!(top && this.ignore && this.ignore.some((v) => typeof v === "string" && v === k));
  }

  addKid(n, k) {
    n.kids.push(k);
    n.live++;
  }

  convElements(a, n, depth) {
    if (depth > MAX_DEPTH) throw new HashError("event nested too deeply");
    const start = n.kids.length;
    let keep = false;
    for (const el of a) {
      this.addKid(n, this.conv(el, false, depth + 1));
      if (typeof el === "string" && keepsOrder(el)) keep = true;
    }
    if (!keep) {
      const part = n.kids.splice(start).sort(nodeCmp);
      n.kids.push(...part);
    }
  }

  convObject(j, top, depth) {
    let type = "";
    let text = "";
    let keep = false;
    for (const k of Object.keys(j)) {
      const v = j[k];
      if (k === "type" && typeof v === "string") type = this.sReplace(v);
      else if (k === "#text" && typeof v === "string") text = this.sReplace(v);
      else if (keepsOrder(k)) keep = true;
    }
    const n = this.node(type, text);
    for (const k of Object.keys(j)) {
      if (this.keyIgnored(k, top)) continue;
      const v = j[k];
      const start = n.kids.length;
      const name = this.keyName(k);
      if (Array.isArray(v)) this.convElements(v, n, depth + 1);
      else this.addKid(n, this.conv(v, false, depth + 1));
      for (let i = start; i < n.kids.length; i++) n.kids[i].name = name;
    }
    if (!keep) n.kids.sort(nodeCmp);
    return n;
  }

  conv(j, top, depth) {
    if (depth > MAX_DEPTH) throw new HashError("event nested too deeply");
    if (isObj(j)) return this.convObject(j, top, depth);
    if (!Array.isArray(j)) return this.scalar(j);
    const n = this.node("", "");
    this.convElements(j, n, depth);
    return n;
  }

  /* step 3: deep_structure_correction */
  correct(n, depth) {
    if (n.kids.length && !n.pair) {
      const groups = new Map();
      for (const k of n.kids) if (k.name.endsWith("List") && !groups.has(k.name)) groups.set(k.name, this.node(k.name, ""));
      let kid = [];
      let nepc = 0;
      for (const k of n.kids) {
        if (!k.name.endsWith("List")) {
          if (k.name === "childEPCs") nepc++;
          kid.push(k);
          continue;
        }
        const g = groups.get(k.name);
        if (isPairList(k.name) && k.kids.length > 0) {
          k.pair = true;
          k.name = "";
        } else {
          k.name = k.name.slice(0, -4);
        }
        this.addKid(g, k);
      }
      let epcs = null;
      if (nepc) {
        epcs = this.node("childEPCs", "");
        kid = kid.filter((k) => {
          if (k.name !== "childEPCs") return true;
          this.addKid(epcs, this.node("epc", k.text, k.canon));
          return false;
        });
      }
      for (const g of groups.values()) kid.push(g);
      if (epcs) kid.push(epcs);
      for (const k of kid) {
        if (depth > MAX_DEPTH) throw new HashError("event nested too deeply");
        if (isPairList(k.name)) continue;
        this.correct(k, depth + 1);
      }
      n.kids = kid;
      n.live = kid.length;
    }
    if (n.name === "inputEPC" || n.name === "outputEPC") n.name = "epc";
    else if (["inputQuantity", "outputQuantity", "childQuantity"].includes(n.name) || (n.name === "quantity" && n.kids.length > 0))
      n.name = "quantityElement";
    return n;
  }

  /* step 4 */
  canonValue(s) {
    if (s.length >= 18 && s.includes("urn:epcglobal:cbv:"))
      for (const [from, to] of [
        ["urn:epcglobal:cbv:bizstep:", CBV + "BizStep-"], ["urn:epcglobal:cbv:disp:", CBV + "Disp-"],
        ["urn:epcglobal:cbv:btt:", CBV + "BTT-"], ["urn:epcglobal:cbv:sdt:", CBV + "SDT-"], ["urn:epcglobal:cbv:er:", CBV + "ER-"],
      ])
        s = s.split(from).join(to);
    const n = pyNumber(s);
    if (n !== null) s = n;
    if (s.includes(".")) {
      const k = gs1KeyHash(s);
      if (k !== null) s = k;
    }
    return s;
  }

  nodeValue(k) {
    if (k.canon !== null) return k.canon;
    const t = pyStrip(k.text);
    return t.length ? this.canonValue(t) : t;
  }

  entry(k, t) {
    return k.name + (t.length ? "=" + t : "");
  }

  drop(parent, k) {
    if (!k.dead) {
      k.dead = true;
      parent.live--;
    }
  }

  generic(v) {
    const pieces = [];
    let sort = true;
    for (const k of v) {
      if (k.dead) continue;
      if (k.pair) pieces.push(this.generic(k.kids));
      else {
        if (keepsOrder(k.name)) sort = false;
        pieces.push(this.entry(k, this.nodeValue(k)) + this.generic(k.kids));
      }
    }
    if (pieces.length > 1 && sort) pieces.sort(strCmp);
    return pieces.join("");
  }

  childPre(k, sub, depth) {
    let t = "";
    if (k.text.length) {
      if (isTimeName(k.name)) {
        const s = pyStrip(k.text);
        t = pyTimeUtc(s) ?? s;
      } else t = this.nodeValue(k);
    }
    const head = this.entry(k, t);
    const body = sub ? this.ordered(k, sub, depth + 1) : "";
    if (!t.length && !body.length) return "";
    return head + body;
  }

  ordered(parent, ord, depth) {
    if (!parent.kids.length) return "";
    if (depth > MAX_DEPTH) throw new HashError("event nested too deeply");
    let ue = [];
    if (parent.live > 1) {
      const top = parent.kids.some((k) => !k.dead && !k.pair && (k.name.includes("eventTime") || k.name.includes("action")));
      if (!top) {
        ue = parent.kids.filter((k) => !k.dead && !k.pair && k.name.includes("{") && k.name.includes("/}"));
        for (const k of ue) this.drop(parent, k);
      }
    }
    const match = [];
    for (const k of parent.kids) {
      if (k.dead || k.pair) continue;
      const e = ord.findIndex((o) => o[0] === k.name);
      if (e >= 0) match.push([e, k]);
    }
    match.sort((a, b) => a[0] - b[0]); /* stable: kid order within a field */
    let out = "";
    for (let m = 0; m < match.length; ) {
      const e = match[m][0];
      const pieces = [];
      for (; m < match.length && match[m][0] === e; m++) {
        const k = match[m][1];
        const p = this.childPre(k, ord[e][1], depth);
        if (p.length) pieces.push(p);
        if (k.live === 0) this.drop(parent, k);
      }
      if (pieces.length > 1) pieces.sort(strCmp);
      out += pieces.join("");
    }
    if (ue.length) {
      for (const k of ue) k.dead = false;
      out += this.generic(ue);
      for (const k of ue) k.dead = true;
    }
    return out;
  }

  prehash(event) {
    this.collectObject(event, scTop, 0);
    const ev = this.correct(this.conv(event, true, 0), 0);
    let out = "eventType=" + ev.name + this.ordered(ev, O_EVENT, 0);
    if (!ev.live) return out;
    const rest = ev.kids.filter(
      (k) => !k.dead && (k.pair || !["recordTime", "eventID", "type", "errorDeclaration"].includes(k.name))
    );
    return out + this.generic(rest);
  }
}

function nodeCmp(a, b) {
  let r = strCmp(a.name, b.name);
  if (r) return r;
  if ((r = strCmp(a.text, b.text))) return r;
  for (let i = 0; i < a.kids.length && i < b.kids.length; i++) if ((r = nodeCmp(a.kids[i], b.kids[i]))) return r;
  return a.kids.length - b.kids.length;
}

const isPairList = (n) => n === "sourceList" || n === "destinationList" || n === "bizTransactionList";

function isTimeName(n) {
  const l = n.toLowerCase();
  return l.includes("time") && !l.includes("offset");
}

/* The pre-hash string of event (ledger_evhash_prehash_ex). */
export function eventPrehash(event, context = null, ignore = null) {
  if (!isObj(event)) throw new HashError("event hash: the event is not a JSON object");
  return new Hasher(context, event, ignore).prehash(event);
}

async function computeEventHash(event, context, ignore) {
  const pre = eventPrehash(event, context, ignore);
  return "ni:///sha-256;" + hex(await sha256(te.encode(pre))) + "?ver=CBV2.0";
}

/**
 * The EPCIS 2.0 event hash ID of an event (a parsed JSON-LD event object),
 * as keten computes it (ledger/epcis/ledger_evhash.c). context: the
 * document's @context (optional: the event's own @context is always read);
 * ignore: top-level fields to leave out (the GS1 examples' ignoreFields).
 * A JSON number with a fraction is a float; one without is an integer
 * (JSON.parse cannot tell 2.0 from 2).
 * @returns {Promise<string>} "ni:///sha-256;<64 hex>?ver=CBV2.0"
 */
export async function eventHash(event, context = null, ignore = null) {
  return computeEventHash(event, context, ignore);
}

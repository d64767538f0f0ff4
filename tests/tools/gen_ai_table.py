#!/usr/bin/env python3
"""gen_ai_table.py -- writes gs1/gs1__ai_table.h, the GS1 Application
Identifier dictionary compiled into keten, from the GS1 Barcode Syntax
Dictionary (gs1-syntax-dictionary.txt).

Run it by hand when the dictionary changes, and commit its output; the build
never runs it:

    python3 tests/tools/gen_ai_table.py \\
        ../shared/conformance/digital-link/gs1-syntax-dictionary.txt \\
        > gs1/gs1__ai_table.h

How the dictionary is read (see the comments at the top of the dictionary):

    AIs  [Flags]  Specification  [Attributes...]  [# Title]

- AIs: one AI or a range "3100-3105"; a range becomes one entry per AI.
- Flags: '*' = predefined length, no FNC1 separator needed; '?' = may be a
  GS1 Digital Link data attribute.  Other flag characters are reserved: an
  unknown one stops the generator.
- Specification: components "N14,csum,gcppos2", "X..20", "[N..12]" (optional),
  "[N3],iso3166" (the linters may follow the bracket).  Type N (digits),
  X (set 82), Y (set 39), Z (base64url); "N5" is exactly 5, "N..20" 1 to 20.
- Attributes: "dlpkey" / "dlpkey=22,10,21|235" (Digital Link primary key and
  its ordered qualifier alternatives), "req=..." and "ex=..." (several req=
  are all required; they are joined with a space).
- Title: after the first '#'.

The linter names must be ones gs1/gs1_ai.h knows (LINTERS below, in
the order of enum gs1_ai_lint): a new linter in a new dictionary release
stops the generator so that someone decides what it means.
"""
import re
import sys

# Same order as enum gs1_ai_lint in gs1/gs1_ai.h (index = value).
LINTERS = [
    None, "csum", "csumalpha", "gcppos1", "gcppos2", "yymmd0", "yymmdd", "yyyymmd0", "yyyymmdd",
    "hh", "hhmi", "mi", "ss", "zero", "nonzero", "nozeroprefix", "hasnondigit", "yesno",
    "hyphen", "winding", "pieceoftotal", "posinseqslash", "importeridx", "mediatype",
    "iso5218", "latitude", "longitude", "iban", "pcenc", "iso3166", "iso3166999",
    "iso3166alpha2", "iso3166list", "iso4217", "packagetype", "couponcode", "couponposoffer",
    "mmoptss", "yymmddhh", "hhmm", "key", "keyoff1", "latlong",
]
MAX_COMPS = 5
MAX_LINTS = 3
MAX_ALTS = 2
MAX_QUALS = 3
FLAG_CHARS = set("*!?\"$%&'()+,-./:;<=>@[\\]^_`{|}~")
COMP_RE = re.compile(r"^(\[?)([NXYZ])(\d+|\.\.\d+)(\]?)((?:,[a-z0-9]+)*)$")


def die(msg):
    sys.stderr.write("gen_ai_table: %s\n" % msg)
    sys.exit(1)


def c_str(s):
    if s is None:
        return "NULL"
    out = '"'
    for ch in s:
        if ch in '"\\':
            out += "\\" + ch
        elif 32 <= ord(ch) < 127:
            out += ch
        else:
            for b in ch.encode("utf-8"):
                out += "\\%03o" % b
    return out + '"'


def parse_line(line, lineno):
    title = None
    if "#" in line:
        line, title = line.split("#", 1)
        title = title.strip()
    toks = line.split()
    if not toks:
        return []
    ais = toks.pop(0)
    m = re.match(r"^(\d{2,4})(?:-(\d{2,4}))?$", ais)
    if not m:
        die("line %d: bad AI '%s'" % (lineno, ais))
    first, last = m.group(1), m.group(2) or m.group(1)
    if len(first) != len(last) or int(last) < int(first):
        die("line %d: bad AI range '%s'" % (lineno, ais))
    flags = ""
    if toks and all(c in FLAG_CHARS for c in toks[0]):
        flags = toks.pop(0)
        for c in flags:
            if c not in "*?":
                die("line %d: unknown flag '%s'" % (lineno, c))
    comps = []
    while toks and COMP_RE.match(toks[0]):
        t = toks.pop(0)
        m = COMP_RE.match(t)
        opt_open, cset, length, opt_close, lints = m.groups()
        if bool(opt_open) != bool(opt_close):
            die("line %d: unbalanced [] in '%s'" % (lineno, t))
        if length.startswith(".."):
            lo, hi = 1, int(length[2:])
        else:
            lo = hi = int(length)
        names = [x for x in lints.split(",") if x]
        for n in names:
            if n not in LINTERS:
                die("line %d: unknown linter '%s' (add it to gs1_ai.h and LINTERS)" %
                    (lineno, n))
        if len(names) > MAX_LINTS:
            die("line %d: more than %d linters on one component" % (lineno, MAX_LINTS))
        comps.append((cset, lo, hi, bool(opt_open), names))
    if not comps:
        die("line %d: no specification" % lineno)
    if len(comps) > MAX_COMPS:
        die("line %d: more than %d components" % (lineno, MAX_COMPS))
    dlpkey, req, ex = None, [], []
    for t in toks:
        if t == "dlpkey":
            dlpkey = ""
        elif t.startswith("dlpkey="):
            dlpkey = t[7:]
            alts = dlpkey.split("|")
            if len(alts) > MAX_ALTS or any(len(a.split(",")) > MAX_QUALS for a in alts):
                die("line %d: dlpkey '%s' exceeds %d x %d" % (lineno, dlpkey, MAX_ALTS, MAX_QUALS))
        elif t.startswith("req="):
            req.append(t[4:])
        elif t.startswith("ex="):
            ex.append(t[3:])
        else:
            die("line %d: unknown attribute '%s'" % (lineno, t))
    out = []
    for n in range(int(first), int(last) + 1):
        ai = str(n).zfill(len(first))
        out.append(dict(ai=ai, flags=flags, comps=comps, dlpkey=dlpkey,
                        req=" ".join(req) if req else None,
                        ex=" ".join(ex) if ex else None, title=title))
    return out


def main():
    if len(sys.argv) != 2:
        die("usage: gen_ai_table.py gs1-syntax-dictionary.txt > gs1/gs1__ai_table.h")
    release = "unknown"
    entries = []
    with open(sys.argv[1], encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            m = re.match(r"^#\s*Release:\s*(\S+)", line)
            if m:
                release = m.group(1)
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            entries.extend(parse_line(line, lineno))
    entries.sort(key=lambda e: e["ai"])
    for a, b in zip(entries, entries[1:]):
        if a["ai"] == b["ai"]:
            die("AI %s defined twice" % a["ai"])
    # every AI starting with the same two digits has the same length
    by_prefix = {}
    for e in entries:
        p = int(e["ai"][:2])
        if by_prefix.setdefault(p, len(e["ai"])) != len(e["ai"]):
            die("AIs starting %02d have different lengths" % p)

    w = sys.stdout.write
    w("/* gs1__ai_table.h -- GS1 Application Identifier table, GENERATED by\n")
    w(" * tests/tools/gen_ai_table.py from the GS1 Barcode Syntax Dictionary\n")
    w(" * (release %s). Do not edit: change the generator or the dictionary\n" % release)
    w(" * and run it again. Included only by gs1/gs1_ai.c; the unit test\n")
    w(" * test_gs1_dl checks it against the dictionary file at run time.\n")
    w(" * Dictionary: Copyright (c) BWIPP, Zint, GS1 AISBL; Apache-2.0.\n")
    w(" *\n * Entry: {AI, flags, components, min length, max length, {components:\n")
    w(" * {charset, min, max, optional, {linters}}}, dlpkey, req, ex, title}. */\n")
    w("/* clang-format off */\n")
    w("#ifndef KETEN_GS1__AI_TABLE_H\n#define KETEN_GS1__AI_TABLE_H\n\n")
    w("#define GS1__AI_DICT_RELEASE %s\n\n" % c_str(release))
    w("/* AI length (2, 3 or 4) by the AI's first two digits; 0 = no such AI. */\n")
    w("static const unsigned char gs1__ai_len_by_prefix[100] = {")
    for i in range(100):
        if i % 20 == 0:
            w("\n   ")
        w(" %d," % by_prefix.get(i, 0))
    w("\n};\n\n")
    w("/* Sorted by AI. */\n")
    w("static const gs1_ai_t gs1__ai_table[] = {\n")
    for e in entries:
        flags = []
        if "*" in e["flags"]:
            flags.append("GS1_AI_FIXED")
        if "?" in e["flags"]:
            flags.append("GS1_AI_DL_ATTR")
        if e["dlpkey"] is not None:
            flags.append("GS1_AI_DL_PKEY")
        minlen = sum(c[1] for c in e["comps"] if not c[3])
        maxlen = sum(c[2] for c in e["comps"])
        comps = []
        for cset, lo, hi, opt, names in e["comps"]:
            lints = ", ".join("GS1_LINT_%s" % n.upper() for n in names) or "0"
            comps.append("{'%s', %d, %d, %d, {%s}}" % (cset, lo, hi, int(opt), lints))
        # one entry per line: the table stays short to read and to diff
        w("    {%s, %s, %d, %d, %d, {%s}, %s, %s, %s, %s},\n" % (
            c_str(e["ai"]), " | ".join(flags) or "0", len(e["comps"]), minlen, maxlen,
            ", ".join(comps), c_str(e["dlpkey"]), c_str(e["req"]), c_str(e["ex"]),
            c_str(e["title"])))
    w("};\n\n#endif\n/* clang-format on */\n")


if __name__ == "__main__":
    main()

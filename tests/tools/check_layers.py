#!/usr/bin/env python3
"""check_layers.py -- keeps keten's layers true (make check-layers).

Reads the sources of cli/, node/, ledger/, readers/ and gs1/ (ledger/ in
its sub-folders, one per concern) and the objects `make all` built from
them (build/obj/<folder>/*.o, through `nm`), and prints one line per
violation, "file:line: rule: what", of these rules:

  layer          an #include "..." that runs against the layers.  Allowed:
                 cli -> cli, node, ledger, readers, gs1; node -> node, ledger;
                 ledger -> ledger, gs1; readers -> readers, gs1 and
                 ledger/base/ledger_error.h; gs1 -> gs1 only (libc).
                 Inside ledger/, between its sub-folders: base -> nothing;
                 epcis, log -> base; store -> base, epcis, log; query ->
                 base, epcis, log, store (SUB_ALLOWED).  A source directly
                 in ledger/, in no sub-folder, is a violation too.
  private        a private header (name with "__", or ending in "_int.h")
                 included from outside its folder (for ledger/: its
                 sub-folder).
  prefix         a global symbol defined in an object of libketen (or of
                 the program) without its folder's prefix: ledger/ ledger_,
                 node/ node_, readers/ reader_, gs1/ gs1_, cli/ cli_ (and main in
                 cli/keten.c).
  include-cycle  modules (a .c/.h pair by basename; a private header is a
                 node of its own) that include each other in a circle.
                 A private header that is the private half of a module of
                 its folder, by name (ledger__store.h of ledger_store,
                 node__int.h of node, reader__backend.h of reader), may
                 include that module's public header: that is the module
                 extending its own contract, not an arrow back.
  call-cycle     object files that call each other in a circle: A.o -> B.o
                 when a symbol undefined in A.o is defined in B.o.
  allowlist      an ALLOW entry below that no longer matches anything.

Each cycle (a strongly connected component of more than one member) is one
line.  Exit 0 with "check-layers: N files, M modules, 0 violations" when
clean, 1 on violations, 2 when it cannot run (no objects: run make all).
tests/, bench/ and the fuzz targets are not checked.

Usage: check_layers.py [--root DIR] [--build DIR]   (DIR defaults: the
source tree this file is in, and ROOT/build)
"""
import argparse
import os
import re
import subprocess
import sys

FOLDERS = ("cli", "node", "ledger", "readers", "gs1")
# -I order of the Makefile: a bare "x.h" is found in the including file's
# folder first, then in these.
SEARCH = ("gs1", "ledger/base", "ledger/epcis", "ledger/log", "ledger/store", "ledger/query",
          "node", "readers", "cli")
# The arrows between ledger/'s sub-folders (docs/architecture.md).
SUB_ALLOWED = {
    "ledger/base": set(),
    "ledger/epcis": {"ledger/base"},
    "ledger/log": {"ledger/base"},
    "ledger/store": {"ledger/base", "ledger/epcis", "ledger/log"},
    "ledger/query": {"ledger/base", "ledger/epcis", "ledger/log", "ledger/store"},
}
ALLOWED = {
    "cli": {"cli", "node", "ledger", "readers", "gs1"},
    "node": {"node", "ledger"},
    "ledger": {"ledger", "gs1"},
    "readers": {"readers", "gs1"},
    "gs1": {"gs1"},
}
READERS_MAY = {"ledger/base/ledger_error.h"}
PREFIX = {"cli": "cli_", "node": "node_", "ledger": "ledger_", "readers": "reader_",
          "gs1": "gs1_"}
EXTRA_SYMBOLS = {("cli", "main"): "cli/keten.c"}
# symbols that instrumented builds (make asan, coverage) add to every object
COMPILER_PREFIXES = ("__asan", "__ubsan", "__sanitizer", "__sancov", "__odr_asan", "__tsan",
                     "__msan", "__gcov", "__llvm")

# Known violations that are not fixed yet: (rule, key, why).  The key is the
# file for layer/private/prefix ("ledger/store/ledger_rows.c"), or the sorted
# members joined by " " for a cycle.  Keep this list empty where you can;
# an entry that no longer matches is itself a violation.
ALLOW = [
]

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def is_private(name):
    return "__" in name or name.endswith("_int.h")


def is_compiler_made(sym):
    """A symbol the compiler or a sanitizer adds, not one of ours: not a C
    name ("__odr_asan.ledger_x" of ASan), or a runtime's prefix."""
    return "." in sym or sym.startswith(COMPILER_PREFIXES)


def unit_of(f):
    """The folder a file is in: "cli", "ledger/store"."""
    return os.path.dirname(f)


def top_of(f):
    return f.split("/")[0]


def private_owners(name, modules):
    """The modules a private header is the private half of: those of its
    folder whose name begins its name (ledger__store.h -> ledger_store,
    reader__backend.h -> reader and reader_backend, node__int.h -> node)."""
    stem = name[:-2]
    if stem.endswith("_int"):
        stem = stem[:-4]
    parts = [p for p in stem.replace("__", "_").split("_") if p]
    return {"_".join(parts[:k]) for k in range(1, len(parts) + 1)} & set(modules)


class Checker:
    def __init__(self, root, build):
        self.root = root
        self.build = build
        self.violations = []  # (file, line, rule, msg, key)
        self.files = []       # "folder/name"

    def rel(self, *p):
        return os.path.join(self.root, *p)

    def add(self, f, line, rule, msg, key=None):
        self.violations.append((f, line, rule, msg, key if key is not None else f))

    # ---- sources ---------------------------------------------------------

    def scan(self):
        for folder in FOLDERS:
            d = self.rel(folder)
            if not os.path.isdir(d):
                continue
            subs = [folder]
            for name in sorted(os.listdir(d)):
                if os.path.isdir(os.path.join(d, name)):
                    subs.append(folder + "/" + name)
            for sub in subs:
                for name in sorted(os.listdir(self.rel(sub))):
                    if name.endswith((".c", ".h")):
                        self.files.append(sub + "/" + name)
        self.present = set(self.files)
        self.includes = {}  # file -> [(line, target file)]
        for f in self.files:
            out = []
            with open(self.rel(f), encoding="utf-8", errors="replace") as fh:
                for i, text in enumerate(fh, 1):
                    m = INCLUDE_RE.match(text)
                    if m:
                        t = self.resolve(f, m.group(1))
                        if t:
                            out.append((i, t))
            self.includes[f] = out

    def resolve(self, src, inc):
        folder = unit_of(src)
        if "/" in inc:  # "store/x.h" or "../ledger/base/x.h"
            cand = os.path.normpath(os.path.join(folder, inc))
            return cand if cand in self.present else None
        for d in (folder,) + SEARCH:
            if d + "/" + inc in self.present:
                return d + "/" + inc
        return None

    def check_includes(self):
        for f in self.files:
            src, su = top_of(f), unit_of(f)
            if src == "ledger" and su == "ledger":
                self.add(f, 1, "layer", "%s is in none of ledger/'s sub-folders (%s)"
                         % (f, ", ".join(sorted(SUB_ALLOWED))))
            for line, t in self.includes[f]:
                dst, du = top_of(t), unit_of(t)
                name = os.path.basename(t)
                if du != su and is_private(name):
                    self.add(f, line, "private",
                             "includes %s, a private header of %s/" % (t, du))
                    continue
                ok = dst in ALLOWED[src] or (src == "readers" and t in READERS_MAY)
                if not ok:
                    may = ", ".join(sorted(ALLOWED[src]))
                    if src == "readers":
                        may += " and " + ", ".join(sorted(READERS_MAY))
                    self.add(f, line, "layer",
                             "%s/ includes %s (%s/ may include %s)" % (src, t, src, may))
                elif src == dst == "ledger" and su != du and su in SUB_ALLOWED \
                        and du not in SUB_ALLOWED[su]:
                    may = ", ".join(sorted(SUB_ALLOWED[su])) or "nothing of ledger/"
                    self.add(f, line, "layer",
                             "%s/ includes %s (%s/ may include %s)" % (su, t, su, may))

    # ---- include cycles --------------------------------------------------

    def module_of(self, f):
        folder, name = unit_of(f), os.path.basename(f)
        if name.endswith(".h") and is_private(name):
            return f
        return folder + "/" + name[:-2]

    def check_include_cycles(self):
        edges = {}  # module -> {module: (file, line)}
        mods = set()
        names = {}  # folder -> module names with a .c or a public .h
        for f in self.files:
            folder, name = unit_of(f), os.path.basename(f)
            if not is_private(name):
                names.setdefault(folder, set()).add(name[:-2])
        for f in self.files:
            a = self.module_of(f)
            mods.add(a)
            edges.setdefault(a, {})
            name = os.path.basename(f)
            for line, t in self.includes[f]:
                b = self.module_of(t)
                if b == a:
                    continue
                folder = unit_of(f)
                if is_private(name) and name.endswith(".h") and unit_of(b) == folder \
                        and os.path.basename(b) in private_owners(name, names.get(folder, ())):
                    continue  # the private half extends its own module
                edges[a].setdefault(b, (f, line))
        self.nmodules = len(mods)
        for comp in scc(sorted(mods), {a: sorted(e) for a, e in edges.items()}):
            members = set(comp)
            steps = []
            for a in comp:
                for b in sorted(edges.get(a, {})):
                    if b in members:
                        f, line = edges[a][b]
                        steps.append("%s -> %s (%s:%d)" % (short(a), short(b), f, line))
            f, line = edges[comp[0]][next(b for b in sorted(edges[comp[0]]) if b in members)]
            self.add(f, line, "include-cycle",
                     "modules include each other: " + "; ".join(steps),
                     " ".join(sorted(comp)))

    # ---- objects ---------------------------------------------------------

    def nm(self, obj, *flags):
        try:
            out = subprocess.run(["nm", *flags, obj], check=True, capture_output=True,
                                 text=True).stdout
        except (OSError, subprocess.CalledProcessError) as e:
            raise SystemExit("check-layers: cannot read %s with nm: %s" % (obj, e))
        syms = []
        for text in out.splitlines():
            parts = text.split()
            if len(parts) >= 2:
                syms.append((parts[-2], parts[-1]))
        return syms

    def load_objects(self):
        self.objs = {}  # source .c -> (defined set, undefined set)
        missing = []
        for f in self.files:
            if not f.endswith(".c"):
                continue
            o = os.path.join(self.build, "obj", f[:-2] + ".o")
            if not os.path.exists(o):
                missing.append(o)
                continue
            defined = {s for t, s in self.nm(o, "-g", "--defined-only")}
            undefined = {s for t, s in self.nm(o, "-u")}
            self.objs[f] = (defined, undefined)
        if missing:
            raise SystemExit("check-layers: %d objects missing (%s ...): run make all first"
                             % (len(missing), missing[0]))

    def def_line(self, f, sym):
        pat = re.compile(r"\b%s\b" % re.escape(sym))
        first = None
        with open(self.rel(f), encoding="utf-8", errors="replace") as fh:
            for i, text in enumerate(fh, 1):
                if pat.search(text):
                    if first is None:
                        first = i
                    if not text[:1].isspace() and not text.startswith(("/", "#", "*")) \
                            and not text.rstrip().endswith(";"):
                        return i  # the definition, not a declaration
        return first or 1

    def check_prefixes(self):
        for f, (defined, _) in sorted(self.objs.items()):
            folder = top_of(f)
            for sym in sorted(defined):
                if is_compiler_made(sym):
                    continue
                if sym.startswith(PREFIX[folder]):
                    continue
                if EXTRA_SYMBOLS.get((folder, sym)) == f:
                    continue
                self.add(f, self.def_line(f, sym), "prefix",
                         "exports %s without the prefix %s of %s/"
                         % (sym, PREFIX[folder], folder))

    def check_call_cycles(self):
        owner = {}
        for f, (defined, _) in self.objs.items():
            for s in defined:
                owner.setdefault(s, f)
        edges = {}
        for f, (_, undefined) in self.objs.items():
            e = edges.setdefault(f, {})
            for s in sorted(undefined):
                g = owner.get(s)
                if g and g != f:
                    e.setdefault(g, []).append(s)
        nodes = sorted(self.objs)
        for comp in scc(nodes, {a: sorted(e) for a, e in edges.items()}):
            members = set(comp)
            steps = []
            for a in comp:
                for b in sorted(edges[a]):
                    if b in members:
                        syms = edges[a][b]
                        more = " ..." if len(syms) > 3 else ""
                        steps.append("%s -> %s (%s%s)" % (obj_name(a), obj_name(b),
                                                          ", ".join(syms[:3]), more))
            a = comp[0]
            b = next(x for x in sorted(edges[a]) if x in members)
            self.add(a, self.def_line(a, edges[a][b][0]), "call-cycle",
                     "objects call each other: " + "; ".join(steps),
                     " ".join(sorted(obj_name(x) for x in comp)))

    # ---- allowlist and report --------------------------------------------

    def names_present(self, key):
        """Every file or module an allowlist key names is in this tree (an
        entry for keten's tree is not stale in another one, --root)."""
        for part in key.split():
            base = part[:-2] if part.endswith((".o", ".c", ".h")) else part
            if not any(f == part or f[:-2] == base for f in self.files):
                return False
        return True

    def report(self):
        used = set()
        shown = []
        for v in self.violations:
            f, line, rule, msg, key = v
            hit = None
            for i, (r, k, _why) in enumerate(ALLOW):
                if r == rule and k == key:
                    hit = i
            if hit is None:
                shown.append("%s:%d: %s: %s" % (f, line, rule, msg))
            else:
                used.add(hit)
        for i, (r, k, why) in enumerate(ALLOW):
            if i not in used and self.names_present(k):
                shown.append("tests/tools/check_layers.py:1: allowlist: entry (%s, %s) matches "
                             "nothing any more: remove it" % (r, k))
        for s in shown:
            print(s)
        print("check-layers: %d files, %d modules, %d violations%s"
              % (len(self.files), self.nmodules, len(shown),
                 " (%d allowed)" % len(used) if used else ""))
        return 1 if shown else 0


def short(m):
    return os.path.basename(m)


def obj_name(f):
    return f[:-2] + ".o"


def scc(nodes, edges):
    """Tarjan's strongly connected components of more than one member,
    each sorted, in a stable order."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    sys.setrecursionlimit(max(10000, 4 * len(nodes) + 100))

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in nodes:
        if v not in index:
            visit(v)
    return sorted(out)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="keten's layer rules (make check-layers)")
    ap.add_argument("--root", default=os.path.normpath(os.path.join(here, "..", "..")),
                    help="the source tree (default: the one this file is in)")
    ap.add_argument("--build", help="the build directory (default: ROOT/build)")
    a = ap.parse_args()
    root = os.path.abspath(a.root)
    build = os.path.abspath(a.build) if a.build else os.path.join(root, "build")
    c = Checker(root, build)
    c.scan()
    if not c.files:
        print("check-layers: no sources under %s" % root, file=sys.stderr)
        return 2
    c.check_includes()
    c.check_include_cycles()
    c.load_objects()
    c.check_prefixes()
    c.check_call_cycles()
    return c.report()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit as e:
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
            sys.exit(2)
        raise

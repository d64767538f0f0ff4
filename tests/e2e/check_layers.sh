#!/usr/bin/env bash
# tests/tools/check_layers.py (make check-layers) fails where it must: a
# small tree of its own, clean first (exit 0), then spoilt one rule at a
# time (an include up the layers, a private header used from another folder,
# an exported symbol without its prefix, an include cycle, a call cycle,
# an arrow backwards between ledger/'s sub-folders, a file in none of them):
# each exits 1 with a line naming the file:line and the rule.  Last, the
# real tree passes.
set -eu -o pipefail
. "$(dirname "$0")/lib.bash"
: "${KETEN_BUILD:?}"
src=$(cd "$(dirname "$0")/../.." && pwd)
CHECK="$src/tests/tools/check_layers.py"
CC=${CC:-cc}

# tree NAME: a clean little keten in $T/NAME (sources and build/obj)
tree() {
    local r="$T/$1"
    mkdir -p "$r/ledger/base" "$r/ledger/store" "$r/node" "$r/readers" "$r/cli"
    printf '#ifndef LEDGER_ERROR_H\n#define LEDGER_ERROR_H\nint ledger_error_code(void);\n#endif\n' \
        >"$r/ledger/base/ledger_error.h"
    printf '#include "ledger_error.h"\nint ledger_error_code(void) { return 0; }\n' \
        >"$r/ledger/base/ledger_error.c"
    printf '#ifndef LEDGER_A_H\n#define LEDGER_A_H\nint ledger_a_f(void);\n#endif\n' >"$r/ledger/store/ledger_a.h"
    printf '#include "ledger_a.h"\n#include "ledger__a.h"\n#include "ledger_error.h"\nint ledger_a_f(void) { return ledger_error_code() + LEDGER__A; }\n' \
        >"$r/ledger/store/ledger_a.c"
    printf '#ifndef LEDGER__A_H\n#define LEDGER__A_H\n#include "ledger_a.h"\n#define LEDGER__A 1\n#endif\n' \
        >"$r/ledger/store/ledger__a.h"
    printf '#ifndef LEDGER_B_H\n#define LEDGER_B_H\nint ledger_b_g(void);\n#endif\n' >"$r/ledger/store/ledger_b.h"
    printf '#include "ledger_b.h"\n#include "ledger_a.h"\nint ledger_b_g(void) { return ledger_a_f(); }\n' \
        >"$r/ledger/store/ledger_b.c"
    printf '#ifndef NODE_H\n#define NODE_H\nint node_run(void);\n#endif\n' >"$r/node/node.h"
    printf '#include "node.h"\n#include "ledger_b.h"\nint node_run(void) { return ledger_b_g(); }\n' \
        >"$r/node/node.c"
    printf '#ifndef READER_H\n#define READER_H\nint reader_open(void);\n#endif\n' >"$r/readers/reader.h"
    printf '#include "reader.h"\n#include "ledger_error.h"\nint reader_open(void) { return ledger_error_code(); }\n' \
        >"$r/readers/reader.c"
    printf '#include "node.h"\n#include "reader.h"\nint main(void) { return node_run() + reader_open(); }\n' \
        >"$r/cli/keten.c"
}

# build NAME: compiles every .c of $T/NAME into $T/NAME/build/obj
build() {
    local r="$T/$1" c o
    for c in "$r"/*/*.c "$r"/ledger/*/*.c; do
        [ -e "$c" ] || continue
        o="$r/build/obj/${c#"$r"/}"
        o="${o%.c}.o"
        mkdir -p "$(dirname "$o")"
        "$CC" -std=c11 -Wall -Werror -I"$r/ledger/base" -I"$r/ledger/store" -I"$r/node" -I"$r/readers" -I"$r/cli" \
            -c "$c" -o "$o"
    done
}

# check WANT NAME: runs the checker on $T/NAME, output in $T/out
check() {
    local want=$1 got
    set +e
    python3 "$CHECK" --root "$T/$2" >"$T/out" 2>"$T/err"
    got=$?
    set -e
    if [ "$got" != "$want" ]; then
        echo "--- stdout"; cat "$T/out"; echo "--- stderr"; cat "$T/err"
        fail "check_layers.py on $2 exited $got, expected $want"
    fi
    ok
}

tree clean
build clean
check 0 clean
contains "$T/out" "check-layers: 12 files, 7 modules, 0 violations"

# -- an include up the layers: readers/ may use only ledger_error.h of ledger/
tree up
printf '#include "reader.h"\n#include "ledger_error.h"\n#include "ledger_a.h"\nint reader_open(void) { return ledger_error_code(); }\n' \
    >"$T/up/readers/reader.c"
build up
check 1 up
contains "$T/out" "readers/reader.c:3: layer: readers/ includes ledger/store/ledger_a.h"
contains "$T/out" "1 violations"

# -- node/ including ledger/ is fine; ledger/ including node/ is not
tree down
printf '#include "ledger_b.h"\n#include "ledger_a.h"\n#include "node.h"\nint ledger_b_g(void) { return ledger_a_f(); }\n' \
    >"$T/down/ledger/store/ledger_b.c"
build down
check 1 down
contains "$T/out" "ledger/store/ledger_b.c:3: layer: ledger/ includes node/node.h"

# -- a private header of ledger/ used by node/
tree private
printf '#include "node.h"\n#include "ledger_b.h"\n#include "ledger__a.h"\nint node_run(void) { return ledger_b_g() + LEDGER__A; }\n' \
    >"$T/private/node/node.c"
build private
check 1 private
contains "$T/out" "node/node.c:3: private: includes ledger/store/ledger__a.h, a private header of ledger/store/"

# -- a global symbol without its folder's prefix
tree prefix
printf 'int session_pump(void);\nint session_pump(void) { return 2; }\n' >>"$T/prefix/node/node.c"
build prefix
check 1 prefix
contains "$T/out" "node/node.c:5: prefix: exports session_pump without the prefix node_ of node/"

# -- two modules that include each other's header
tree icycle
printf '#include "ledger_a.h"\n#include "ledger__a.h"\n#include "ledger_b.h"\n#include "ledger_error.h"\nint ledger_a_f(void) { return ledger_error_code() + LEDGER__A; }\n' \
    >"$T/icycle/ledger/store/ledger_a.c"
build icycle
check 1 icycle
contains "$T/out" "include-cycle: modules include each other: ledger_a -> ledger_b (ledger/store/ledger_a.c:3); ledger_b -> ledger_a (ledger/store/ledger_b.c:2)"

# -- two objects that call each other (declared by hand: no include cycle)
tree ccycle
printf '#include "ledger_a.h"\n#include "ledger__a.h"\n#include "ledger_error.h"\nint ledger_b_g(void);\nint ledger_a_f(void) { return ledger_error_code() + LEDGER__A; }\nint ledger_a_h(void) { return ledger_b_g(); }\n' \
    >"$T/ccycle/ledger/store/ledger_a.c"
build ccycle
check 1 ccycle
contains "$T/out" "call-cycle: objects call each other: ledger/store/ledger_a.o -> ledger/store/ledger_b.o (ledger_b_g); ledger/store/ledger_b.o -> ledger/store/ledger_a.o (ledger_a_f)"
if grep -q include-cycle "$T/out"; then fail "a call cycle reported as an include cycle"; fi
ok

# -- ledger/base/ is below ledger/store/: base including store runs up
tree subup
printf '#include "ledger_error.h"\n#include "ledger_a.h"\nint ledger_error_code(void) { return 0; }\n' \
    >"$T/subup/ledger/base/ledger_error.c"
build subup
check 1 subup
contains "$T/out" "ledger/base/ledger_error.c:2: layer: ledger/base/ includes ledger/store/ledger_a.h (ledger/base/ may include nothing of ledger/)"

# -- a private header of ledger/store/ used from ledger/query/ (both ledger/)
tree subpriv
mkdir -p "$T/subpriv/ledger/query"
printf '#include "ledger__a.h"\nint ledger_q_f(void);\nint ledger_q_f(void) { return LEDGER__A; }\n' \
    >"$T/subpriv/ledger/query/ledger_q.c"
build subpriv
check 1 subpriv
contains "$T/out" "ledger/query/ledger_q.c:1: private: includes ledger/store/ledger__a.h, a private header of ledger/store/"

# -- a source in ledger/ itself, in none of its sub-folders
tree flat
printf 'int ledger_x_f(void);\nint ledger_x_f(void) { return 1; }\n' >"$T/flat/ledger/ledger_x.c"
build flat
check 1 flat
contains "$T/out" "ledger/ledger_x.c:1: layer: ledger/ledger_x.c is in none of ledger/'s sub-folders"

# -- no objects: it cannot check, and says so (exit 2), never "0 violations"
tree noobj
check 2 noobj
contains "$T/err" "run make all first"

# -- the real tree, as `make all` built it
set +e
python3 "$CHECK" --root "$src" --build "$KETEN_BUILD" >"$T/out" 2>"$T/err"
rc=$?
set -e
[ "$rc" = 0 ] || { cat "$T/out" "$T/err"; fail "the keten tree breaks its layers (exit $rc)"; }
ok
contains "$T/out" " 0 violations"

done_checks

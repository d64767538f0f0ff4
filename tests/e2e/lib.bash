# tests/e2e/lib.bash -- shared by the end-to-end scripts: run the real keten
# binary ($KETEN) in a fresh temporary directory ($TMPDIR, made by
# tests/run.sh), check exit codes and output, and say what failed.
set -u -o pipefail   # a keten that fails inside a pipeline fails the test
: "${KETEN:?run through tests/run.sh (KETEN=path/to/keten)}"
: "${KETEN_SHARED:?}"
T=$(mktemp -d "${TMPDIR:-/tmp}/e2e.XXXXXX")
trap 'rm -rf "$T"' EXIT
checks=0

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); }

# expect CODE CMD...: runs keten with args, output in $T/out and $T/err
expect() {
    local want=$1; shift
    set +e
    "$KETEN" "$@" >"$T/out" 2>"$T/err"
    local got=$?
    set -e
    if [ "$got" != "$want" ]; then
        echo "--- stdout"; head -20 "$T/out"; echo "--- stderr"; head -20 "$T/err"
        fail "keten $* exited $got, expected $want"
    fi
    ok
}

# contains FILE TEXT: FILE holds TEXT (fixed string)
contains() {
    grep -qF -- "$2" "$1" || { echo "--- $1"; head -20 "$1"; fail "$1 lacks \"$2\""; }
    ok
}

# nonempty FILE [WHAT]: FILE holds something (a test must not pass because
# a command printed nothing)
nonempty() {
    [ -s "$1" ] || fail "${2:-$1} is empty"
    ok
}

# nlines HOME: the number of entries `keten log` lists at HOME (fails the
# test when log fails)
nlines() {
    "$KETEN" --home "$1" log --json >"$T/nlines.out" || fail "keten --home $1 log failed"
    wc -l <"$T/nlines.out"
}

done_checks() { echo "$checks checks passed"; }

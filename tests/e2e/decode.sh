#!/usr/bin/env bash
# keten decode and keten label, no home needed: every form of one identifier
# (Digital Link, bracketed and raw element strings with GS and symbology
# identifiers, EPC hex, pure identity / class / tag URNs, nfc-uid), the same
# garment in several forms giving one canonical key, bad input exiting 3 with
# a message that names the problem, labels as PNG and SVG read back by
# `keten scan --reader qr:... --dry-run`, and a non-image file.
set -eu
. "$(dirname "$0")/lib.bash"
cd "$T"
GS=$(printf '\035')

# json_get FILE KEY: the value of "KEY" in the one-line JSON object in FILE
json_get() {
    python3 -c 'import json,sys; v=json.loads(open(sys.argv[1]).readline())[sys.argv[2]]; print("null" if v is None else v)' "$1" "$2"
}

# -- one Digital Link, every form
expect 0 decode 'https://id.gs1.org/01/05412345000013/10/LOT42/21/SN001'
contains "$T/out" "key             https://id.gs1.org/01/05412345000013/21/SN001"
contains "$T/out" "element string  (01)05412345000013(10)LOT42(21)SN001"
contains "$T/out" "sgtin"
contains "$T/out" "GS1 Company Prefix length unknown"      # never guessed
expect 0 decode 'https://id.gs1.org/01/05412345000013/10/LOT42/21/SN001' --gcp-length 7
contains "$T/out" "urn:epc:id:sgtin:5412345.000001.SN001"

# -- the same garment as Digital Link, element string, raw scan, EPC hex, URNs
KEY=https://id.gs1.org/01/80614141123458/21/6789
for code in "https://id.gs1.org/01/80614141123458/21/6789" \
            "https://example.com/shop/01/80614141123458/21/6789?17=271231" \
            "(01)80614141123458(21)6789" \
            "]C10180614141123458216789" \
            "3074257BF7194E4000001A85" \
            "urn:epc:id:sgtin:0614141.812345.6789" \
            "urn:epc:tag:sgtin-96:3.0614141.812345.6789"; do
    expect 0 --json decode "$code"
    [ "$(json_get "$T/out" key)" = "$KEY" ] || fail "decode $code: key $(json_get "$T/out" key), expected $KEY"
    ok
done
# EPC hex: every form at once
expect 0 decode --json 3074257BF7194E4000001A85
for k in '"kind":"epc-hex"' '"scheme":"sgtin"' '"epc_urn":"urn:epc:id:sgtin:0614141.812345.6789"' \
         '"epc_tag_urn":"urn:epc:tag:sgtin-96:3.0614141.812345.6789"' '"epc_hex":"3074257BF7194E4000001A85"' \
         '"element_string":"(01)80614141123458(21)6789"' '"gcp_length":7' '"gcp_source":"epc"' \
         '"ai":"21","title":"SERIAL","value":"6789"'; do
    contains "$T/out" "$k"
done
# every member always there (null when absent), nothing else
python3 -c 'import json,sys; o=json.loads(open(sys.argv[1]).readline()); m=["input","kind","scheme","key","dl","element_string","epc_urn","epc_tag_urn","epc_hex","gcp_length","gcp_source","note","fields"]; sys.exit(0 if sorted(o)==sorted(m) and o["note"] is None else 1)' "$T/out" ||
    fail "decode --json: members $(cat "$T/out")"

# -- raw scanner output: GS separators and symbology identifiers
expect 0 --json decode "]d2010541234500001310LOT42${GS}21SN001"
[ "$(json_get "$T/out" key)" = https://id.gs1.org/01/05412345000013/21/SN001 ] || fail "raw ]d2 scan"; ok
contains "$T/out" '"dl":"https://id.gs1.org/01/05412345000013/10/LOT42/21/SN001"'
expect 0 --json decode "]Q3011234567890123110ABC${GS}17251231"
contains "$T/out" '"key":"https://id.gs1.org/01/12345678901231/10/ABC"'
contains "$T/out" '"scheme":"lgtin"'
expect 0 decode "]d2010541234500001310LOT42${GS}21SN001"
contains "$T/out" "<GS>"                                    # shown, not printed raw
expect 0 --json decode 5412345000013                       # EAN-13 digits: a GTIN
contains "$T/out" '"key":"https://id.gs1.org/01/05412345000013"'

# -- other forms
expect 0 --json decode urn:epc:class:lgtin:0614141.812345.LOT42
contains "$T/out" '"key":"https://id.gs1.org/01/80614141123458/10/LOT42"'
expect 0 --json decode 3114257BF4499602D2000000           # SSCC-96
contains "$T/out" '"scheme":"sscc"'
contains "$T/out" '"key":"https://id.gs1.org/00/'
expect 0 --json decode nfc-uid:04A1B2C3D4E5F6
contains "$T/out" '"key":"nfc-uid:04a1b2c3d4e5f6"'
expect 0 --json decode https://example.com/x
contains "$T/out" '"kind":"url"'
# several codes, and codes from stdin
expect 0 decode --json 3074257BF7194E4000001A85 '(01)80614141123458(21)6789'
[ "$(wc -l < "$T/out")" = 2 ] || fail "two codes: two JSON lines"; ok
printf '%s\n' '(01)80614141123458(21)6789' 'urn:epc:id:sgtin:0614141.812345.6789' | "$KETEN" --json decode - >"$T/out"
[ "$(grep -c "\"key\":\"$KEY\"" "$T/out")" = 2 ] || fail "decode - : two keys"; ok

# -- GCP length from GS1's table format
cat >"$T/gcp.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<GCPPrefixFormatList date="2025-01-01T00:00:00">
  <entry prefix="541234" gcpLength="7"/>
</GCPPrefixFormatList>
EOF
expect 0 --json decode '(01)05412345000013(21)SN001' --gcp-table "$T/gcp.xml"
contains "$T/out" '"epc_urn":"urn:epc:id:sgtin:5412345.000001.SN001"'
contains "$T/out" '"gcp_source":"table"'
KETEN_GCP_TABLE="$T/gcp.xml" expect 0 --json decode '(01)05412345000013(21)SN001'
contains "$T/out" '"gcp_source":"table"'
expect 4 decode '(01)05412345000013' --gcp-table "$T/missing.xml"
contains "$T/err" "missing.xml"

# -- bad input: exit 3 and a message naming what is wrong
expect 3 decode 'https://id.gs1.org/01/05412345000014/21/SN1'
contains "$T/err" "check digit"
expect 3 decode '(01)05412345000014(21)SN1'
contains "$T/err" "check digit is 4, expected 3"
expect 3 decode "]C1010541234500001410LOT42"
contains "$T/err" "check digit"
expect 3 decode FF74257BF7194E4000001A85
contains "$T/err" "EPC header 0xFF"
expect 3 decode 'https://id.gs1.org/01/05412345000013/99/X'
contains "$T/err" "Digital Link"
expect 3 decode 'https://id.gs1.org/01/0541234500001X'
contains "$T/err" "not a digit"
expect 3 decode 'https://id.gs1.org/01/05412345000013/21/SN1/10/LOT'
contains "$T/err" "not allowed"
expect 3 decode 'urn:epc:id:sgtin:0614141.81234.6789'
contains "$T/err" "13 digits"
expect 3 decode 'hello'
contains "$T/err" "not a code keten knows"
expect 3 decode --json 3074257BF7194E4000001A85 FF74257BF7194E4000001A85   # one bad of two
[ "$(wc -l < "$T/out")" = 1 ] || fail "the good code is still decoded"; ok
expect 2 decode
expect 2 decode x --gcp-length 5
expect 0 decode --help
contains "$T/out" "usage: keten decode"

# -- labels: PNG and SVG, read back by the qr: reader
DL='https://id.gs1.org/01/05412345000013/10/LOT42'
expect 0 label "$DL" --out "$T/lot42.png"
contains "$T/out" "QR version"
head -c 8 "$T/lot42.png" | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a' || fail "not a PNG"; ok
expect 0 label "$DL" --out "$T/lot42.svg" --ec H --module 4
grep -q '<svg' "$T/lot42.svg" && grep -qF "$DL" "$T/lot42.svg" || fail "SVG lacks <svg> or the text"; ok
expect 0 --json label "$DL" --out "$T/q.png" --ec Q
contains "$T/out" '"ec":"Q"'
expect 0 scan --reader "qr:$T/lot42.png" --once --dry-run
contains "$T/out" "read $DL (dry run: not recorded)"
expect 0 scan --reader "qr:$T/lot42.png" --once --dry-run --json
[ "$(json_get "$T/out" key)" = "$DL" ] || fail "scan of the label: $(cat "$T/out")"; ok
contains "$T/out" '"tag_type":"QR-Code"'
# an element string is labelled as its Digital Link; the scan gives the same key
expect 0 label '(01)80614141123458(21)6789' --out "$T/garment.png"
contains "$T/err" "Digital Link"
expect 0 scan --reader "qr:$T/garment.png" --once --dry-run --json
[ "$(json_get "$T/out" key)" = "$KEY" ] || fail "garment label: $(cat "$T/out")"; ok
# not an identifier: refused unless --raw
expect 3 label 'hello world' --out "$T/h.png"
contains "$T/err" "--raw"
[ ! -e "$T/h.png" ] || fail "a refused label must not be written"; ok
expect 0 label 'hello world' --out "$T/h.png" --raw
expect 3 label 'https://id.gs1.org/01/05412345000014' --out "$T/bad.png"
contains "$T/err" "check digit"
expect 2 label "$DL" --out "$T/x.gif"
expect 0 label "$DL" --out "$T/x.gif" --format png
expect 2 label "$DL"
expect 2 label "$DL" --out "$T/y.png" --ec X

# -- a file that is not an image: a clear error, nothing read
echo "not an image" >"$T/notes.png"
expect 3 scan --reader "qr:$T/notes.png" --once --dry-run
contains "$T/err" "notes.png"
contains "$T/err" "not a PNG or JPEG"
expect 4 scan --reader "qr:$T/nothere.png" --once --dry-run
contains "$T/err" "nothere.png"
expect 2 scan --reader "bogus:x" --once --dry-run
contains "$T/err" "unknown kind"

done_checks

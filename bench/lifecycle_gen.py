#!/usr/bin/env python3
# bench/lifecycle_gen.py -- the laundry store of bench/lifecycle.sh as
# EPCIS 2.0 JSON-LD documents of at most PER events each, in time order:
#   commissioning of GARMENTS garments in carts of CART (one ObjectEvent
#   ADD per cart, garment:maxWashCycles 100), first issue of each cart to
#   one of 12 customers, then WASHES wash cycles per cart as a laundry's
#   tunnels record them (soiled-in receiving at the laundry, clean-out
#   shipping back to the customer), then a last soiled-in receiving: the
#   laundry holds every garment at the end, except the carts of every 50th
#   cart (numbers 0, 50, ...), which never come back from their last
#   shipping (what `lifecycle --missing` finds).
# Usage: lifecycle_gen.py OUTDIR GARMENTS WASHES [CART [PER]]
# Writes OUTDIR/doc-NNNN.jsonld and prints the number of events.
import datetime
import json
import os
import sys

out, n, washes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cart = int(sys.argv[4]) if len(sys.argv) > 4 else 200
per = int(sys.argv[5]) if len(sys.argv) > 5 else 10000
L = "urn:epc:id:sgln:5412345.00006.0"
CUST = ["urn:epc:id:sgln:5412345.%05d.0" % (100 + k) for k in range(12)]
CTX = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
       {"garment": "https://keten.dev/ns/garment#"}]
t0 = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
carts = [["urn:epc:id:sgtin:5412345.000020.%d" % g for g in range(c, min(c + cart, n))]
         for c in range(0, n, cart)]
buf, docs, total = [], 0, 0


def at(minutes):
    return (t0 + datetime.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def flush():
    global buf, docs
    if not buf:
        return
    with open(os.path.join(out, "doc-%04d.jsonld" % docs), "w") as f:
        json.dump({"@context": CTX, "type": "EPCISDocument", "schemaVersion": "2.0",
                   "creationDate": "2024-01-01T00:00:00.000Z",
                   "epcisBody": {"eventList": buf}}, f, separators=(",", ":"))
    docs += 1
    buf = []


def emit(e):
    global total
    buf.append(e)
    total += 1
    if len(buf) >= per:
        flush()


def obj(step, epcs, minutes, loc, dest=None, **kw):
    e = {"type": "ObjectEvent", "eventTime": at(minutes), "eventTimeZoneOffset": "+00:00",
         "action": kw.pop("action", "OBSERVE"), "bizStep": step, "epcList": epcs,
         "readPoint": {"id": loc}, "bizLocation": {"id": loc}}
    if dest:
        e["sourceList"] = [{"type": "location", "source": loc}]
        e["destinationList"] = [{"type": "location", "destination": dest}]
    e.update(kw)
    return e


for k, c in enumerate(carts):
    emit(obj("commissioning", c, k % 1000, L, action="ADD",
             ilmd={"garment:maxWashCycles": 100, "garment:fibreComposition": "65% polyester, 35% cotton"}))
for k, c in enumerate(carts):
    emit(obj("shipping", c, 1440 + k % 1000, L, dest=CUST[k % 12]))
day = 7 * 1440
for w in range(washes + 1):
    for k, c in enumerate(carts):
        if w == washes and k % 50 == 0:
            continue  # never back
        emit(obj("receiving", c, day + k % 1000, L))
    if w == washes:
        break
    for k, c in enumerate(carts):
        emit(obj("shipping", c, day + 1440 + k % 1000, L, dest=CUST[k % 12]))
    day += 7 * 1440
flush()
print(total)

#!/usr/bin/env python3
# tests/e2e/lifecycle_chain.py -- makes the workwear chain of
# tests/e2e/lifecycle.sh as EPCIS 2.0 JSON-LD documents, one per partner:
#   maker.jsonld     commissioning of 20 garments (garment ILMD), their
#                    receipt into the maker's store, packing
#                    into 4 SSCC cartons (AggregationEvent ADD), shipping
#   laundry.jsonld   receipt of the cartons, unpacking, first issue to two
#                    customers, then every wash cycle as the laundry's RFID
#                    tunnels record it (soiled-in receiving, clean-out
#                    shipping back to the customer), a repair trip to a
#                    repairer, and the end-of-life shipments to the recycler
#   recycler.jsonld  receipt at the recycler, recycling (a transformation
#                    into fibre) and collecting
# Usage: lifecycle_chain.py OUTDIR.  The expected answers are in the script.
import datetime
import json
import os
import sys

out = sys.argv[1]
M = "urn:epc:id:sgln:5412345.00005.0"    # maker
L = "urn:epc:id:sgln:5412345.00006.0"    # laundry
C1 = "urn:epc:id:sgln:5412345.00007.0"   # customer 1 (odd garments)
C2 = "urn:epc:id:sgln:5412345.00008.0"   # customer 2 (even garments)
R = "urn:epc:id:sgln:5412345.00010.0"    # repairer
Y = "urn:epc:id:sgln:5412345.00009.0"    # recycler
CTX = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
       {"garment": "https://keten.dev/ns/garment#"}]
LAUNDERING = "https://keten.dev/voc/bizstep/laundering"


def g(i):
    return "urn:epc:id:sgtin:5412345.000020.G%02d" % i


def sscc(k):
    return "urn:epc:id:sscc:5412345.000000000%d" % k


# washes per garment: G01 exactly its maximum (30), G02 26 (not due),
# G03 never washed, G04 32 then retired (recycled), G05 27 (due, now at
# the laundry), G06 31 (over, now at the laundry), G07 9 + one wash before
# a repair trip, G08 5 washes recorded with the laundering step, G19
# recorded without a composition, G20 30 then retired (collected)
WASHES = {1: 30, 2: 26, 3: 0, 4: 32, 5: 27, 6: 31, 7: 9, 8: 5, 19: 3, 20: 30}
for i in range(9, 19):
    WASHES[i] = (i * 7) % 20 + 1
AT_LAUNDRY = {5, 6}
RETIRED = {4: "recycled", 20: "collected"}

t0 = datetime.datetime(2024, 1, 8, 8, 0, tzinfo=datetime.timezone.utc)


def at(day, minute):
    return (t0 + datetime.timedelta(days=day, minutes=minute)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def ev(kind, time, loc, **kw):
    e = {"type": kind, "eventTime": time, "eventTimeZoneOffset": "+00:00",
         "bizLocation": {"id": loc}, "readPoint": {"id": loc}}
    e.update(kw)
    return e


def obj(step, epcs, time, loc, dest=None, **kw):
    e = ev("ObjectEvent", time, loc, action="OBSERVE", bizStep=step, epcList=epcs, **kw)
    if dest:
        e["destinationList"] = [{"type": "location", "destination": dest}]
        e["sourceList"] = [{"type": "location", "source": loc}]
    return e


def doc(events):
    return {"@context": CTX, "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": "2024-01-01T00:00:00.000Z", "epcisBody": {"eventList": events}}


maker, laundry, recycler = [], [], []
ilmd = {"garment:fibreComposition": {"polyester": 65, "cotton": 35},
        "garment:recycledContent": 20, "garment:maxWashCycles": 30, "garment:madeIn": "PT",
        "garment:manufacturer": "urn:epc:id:sgln:5412345.00005.0"}
maker.append(ev("ObjectEvent", at(0, 0), M, action="ADD", bizStep="commissioning",
                disposition="active", epcList=[g(i) for i in range(1, 21) if i != 19], ilmd=ilmd))
maker.append(ev("ObjectEvent", at(0, 1), M, action="ADD", bizStep="commissioning",
                disposition="active", epcList=[g(19)],
                ilmd={"garment:maxWashCycles": 30, "garment:madeIn": "PT"}))
# into the maker's own store from the sewing line: no laundry stay
maker.append(obj("receiving", [g(i) for i in range(1, 21)], at(0, 5), M))
for k in range(1, 5):
    maker.append(ev("AggregationEvent", at(0, 10 + k), M, action="ADD", bizStep="packing",
                    parentID=sscc(k), childEPCs=[g(i) for i in range(5 * k - 4, 5 * k + 1)]))
maker.append(obj("shipping", [sscc(k) for k in range(1, 5)], at(1, 0), M, dest=L))

laundry.append(obj("receiving", [sscc(k) for k in range(1, 5)], at(2, 0), L))
for k in range(1, 5):
    laundry.append(ev("AggregationEvent", at(2, 10 + k), L, action="DELETE", bizStep="unpacking",
                      parentID=sscc(k), childEPCs=[g(i) for i in range(5 * k - 4, 5 * k + 1)]))


def customer(i):
    return C1 if i % 2 else C2


last_out = {}   # garment -> time of its last shipping (the --missing rule)


def ship(i, time, loc, dest):
    last_out[g(i)] = time
    return obj("shipping", [g(i)], time, loc, dest=dest)


for i in range(1, 21):   # first issue: new garments to their customer
    laundry.append(ship(i, at(3, i), L, customer(i)))
for i in range(1, 21):
    day = 4
    for c in range(WASHES[i]):
        laundry.append(obj("receiving", [g(i)], at(day, i), L))
        if i == 8:
            laundry.append(obj(LAUNDERING, [g(i)], at(day, 60 + i), L))
        laundry.append(ship(i, at(day, 480 + i), L, customer(i)))
        if i == 2:   # G02's clean-out shippings have IDs: the test corrects one
            laundry[-1]["eventID"] = "urn:uuid:00000000-0000-4000-8000-0000000002%02d" % c
        day += 2
        if i == 7 and c == 4:   # soiled in, washed, off to the repairer and back
            laundry.append(obj("receiving", [g(i)], at(day, i), L))
            laundry.append(ship(i, at(day, 480 + i), L, R))
            laundry.append(obj("receiving", [g(i)], at(day + 1, i), R))
            laundry.append(obj("repairing", [g(i)], at(day + 1, 60 + i), R))
            laundry.append(ship(i, at(day + 1, 480 + i), R, L))
            laundry.append(obj("receiving", [g(i)], at(day + 2, i), L))
            laundry.append(ship(i, at(day + 2, 480 + i), L, customer(i)))
            day += 4
    if i in AT_LAUNDRY or i in RETIRED:   # back in soiled, not washed yet
        laundry.append(obj("receiving", [g(i)], at(day, i), L))
    if i in RETIRED:   # worn out: sorted out and sent to the recycler
        laundry.append(obj("shipping", [g(i)], at(day, 480 + i), L, dest=Y))
        recycler.append(obj("receiving", [g(i)], at(day + 1, i), Y))
        if RETIRED[i] == "recycled":
            recycler.append(ev("TransformationEvent", at(day + 2, i), Y, bizStep="disassembling",
                               inputEPCList=[g(i)],
                               outputQuantityList=[{"epcClass": "urn:epc:class:lgtin:5412345.000099.FIBRE1",
                                                    "quantity": 0.4, "uom": "KGM"}]))
        else:
            recycler.append(obj("collecting", [g(i)], at(day + 2, i), Y))

# a meat pack, and a garment from another maker, recorded by the laundry's
# neighbour: not garments of this chain (the pack is no garment at all)
laundry.append(ev("ObjectEvent", at(1, 5), L, action="ADD", bizStep="commissioning",
                  epcList=["urn:epc:id:sgtin:5412345.000002.PACK1"],
                  ilmd={"meat:species": "bovine"}))
for name, events in (("maker", maker), ("laundry", laundry), ("recycler", recycler)):
    d = doc(events)
    if name == "laundry":
        d["@context"] = CTX + [{"meat": "https://keten.dev/ns/meat#"}]
    with open(os.path.join(out, name + ".jsonld"), "w") as f:
        json.dump(d, f)
with open(os.path.join(out, "expect.json"), "w") as f:
    json.dump({"washes": {g(i): n + (1 if i == 7 else 0) for i, n in WASHES.items()},
               "customer": {g(i): customer(i) for i in range(1, 21)},
               # checked out and not back: last event a shipping to the customer
               "lastOut": {g(i): last_out[g(i)] for i in range(1, 21)
                           if i not in AT_LAUNDRY and i not in RETIRED}}, f)

// epcis2js.mjs BASE TOKEN -- run by tests/e2e/epcis2js.sh in a directory
// where tests/epcis2js/package.json was installed (npm ci).  epcis2.js, a
// third-party EPCIS 2.0 client (npm), builds events with its own classes,
// captures them into keten with its capture() (POST /capture), follows the
// job with its CaptureResponse (polls GET /capture/{id}), then reads them
// back with GET /events and checks that keten gives back the same events:
// each one read by epcis2.js's objectToEvent and valid by its schemas
// (isValid), equal to what was sent but for the eventID keten added, and
// that eventID, keten's EPCIS event hash, equal to epcis2.js's own
// eventToHashedId of the event sent (but for one defect of epcis2.js's
// SSCC conversion, checked as such below).  Exits non-zero with a message
// on the first difference.
import epcis2 from 'epcis2.js'; // CommonJS: its exports through the default

const {
  setup, capture, CaptureResponse, EPCISDocument, ObjectEvent, AggregationEvent,
  TransformationEvent, QuantityElement, ReadPoint, BizLocation, objectToEvent, eventToHashedId, cbv,
} = epcis2;

const [base, token] = process.argv.slice(2);
const CTX = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';
setup({
  apiUrl: base,
  headers: { 'content-type': 'application/ld+json', authorization: `Bearer ${token}` },
  timeout: 10000,
});

function fail(msg) {
  console.error(`epcis2js: ${msg}`);
  process.exit(1);
}

// ---- events built with epcis2.js's classes ----------------------------------
const loc = (C, id) => new C().setId(id);
const events = [];
events.push(new ObjectEvent()
  .setAction(cbv.actionTypes.add)
  .setEventTime('2025-11-03T06:10:00.000+01:00')
  .addEPCList(['urn:epc:id:sgtin:5412345.000012.E2J1', 'urn:epc:id:sgtin:5412345.000012.E2J2'])
  .setBizStep(cbv.bizSteps.commissioning)
  .setDisposition(cbv.dispositions.active)
  .setReadPoint(loc(ReadPoint, 'urn:epc:id:sgln:5412345.00001.1'))
  .setBizLocation(loc(BizLocation, 'urn:epc:id:sgln:5412345.00001.0')));
events.push(new ObjectEvent()
  .setAction(cbv.actionTypes.observe)
  .setEventTime('2025-11-03T08:00:00.000+01:00')
  .addQuantity(new QuantityElement().setEpcClass('urn:epc:class:lgtin:5412345.000029.L42')
    .setQuantity(12.5).setUom('KGM'))
  .setBizStep(cbv.bizSteps.shipping)
  .setDisposition(cbv.dispositions.in_transit));
events.push(new AggregationEvent()
  .setAction(cbv.actionTypes.add)
  .setEventTime('2025-11-03T07:00:00.000+01:00')
  .setParentId('urn:epc:id:sscc:5412345.0000000017')
  .addChildEPCList(['urn:epc:id:sgtin:5412345.000012.E2J1', 'urn:epc:id:sgtin:5412345.000012.E2J2'])
  .setBizStep(cbv.bizSteps.packing));
events.push(new TransformationEvent()
  .setEventTime('2025-11-03T05:00:00.000+01:00')
  .addInputQuantity(new QuantityElement().setEpcClass('urn:epc:class:lgtin:5412345.000036.C1')
    .setQuantity(300).setUom('KGM'))
  .addOutputQuantity(new QuantityElement().setEpcClass('urn:epc:class:lgtin:5412345.000029.L42')
    .setQuantity(280).setUom('KGM'))
  .setBizStep(cbv.bizSteps.commissioning));
// one with an eventID epcis2.js made itself: its own event hash
events.push(new ObjectEvent()
  .setAction(cbv.actionTypes.observe)
  .setEventTime('2025-11-03T09:30:00.000+01:00')
  .addEPC('urn:epc:id:sgtin:5412345.000012.E2J3')
  .setBizStep(cbv.bizSteps.receiving)
  .generateHashID({}));

const doc = new EPCISDocument();
doc.setCreationDate('2025-11-03T10:00:00.000Z');
for (const e of events) doc.addEvent(e);
if (!doc.isValid()) fail('epcis2.js finds its own document invalid');
const sent = events.map((e) => e.toObject());

// ---- capture, and the job as epcis2.js follows it -------------------------------
const res = await capture(doc);
if (res.status !== 202) fail(`capture: ${res.status} ${await res.text()}`);
const job = new CaptureResponse(res);
if (!/^\/capture\/c[0-9a-f]+$/.test(job.getLocation())) fail(`Location ${job.getLocation()}`);
await job.pollForTheCaptureToFinish(50, 100);
if (job.getRunningStatus() !== false) fail('the capture job never finished');
if (job.getSuccessStatus() !== true) fail(`the capture failed: ${JSON.stringify(job.getErrors())}`);
if (job.getErrors().length !== 0) fail(`errors: ${JSON.stringify(job.getErrors())}`);
const cj = await job.getCaptureJob();
if (cj['keten:stored'] !== events.length) fail(`stored ${cj['keten:stored']} of ${events.length}`);

// ---- read back ------------------------------------------------------------------
const q = await fetch(`${base}/events?perPage=100&orderBy=eventTime&orderDirection=ASC`, {
  headers: { authorization: `Bearer ${token}` },
});
if (q.status !== 200) fail(`GET /events: ${q.status}`);
const got = (await q.json()).epcisBody.queryResults.resultsBody.eventList;
if (got.length !== events.length) fail(`GET /events gave ${got.length} events, not ${events.length}`);

// the same JSON but for key order; numbers as numbers
const canon = (v) => (Array.isArray(v) ? v.map(canon)
  : v && typeof v === 'object'
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])])) : v);
const same = (a, b) => JSON.stringify(canon(a)) === JSON.stringify(canon(b));

const SSCC_URN = 'urn:epc:id:sscc:5412345.0000000017';
const SSCC_DL = 'https://id.gs1.org/00/054123450000000174';
let checked = 0;
let sscc_note = '';
for (const s of sent) {
  const hash = eventToHashedId(s, {});
  const r = got.find((g) => g.eventTime === s.eventTime && g.type === s.type);
  if (!r) fail(`not given back: ${JSON.stringify(s)}`);
  const ev = objectToEvent(r);
  if (!ev.isValid()) fail(`epcis2.js finds keten's answer invalid: ${JSON.stringify(r)}`);
  // keten adds the eventID (its event hash) where none was sent
  if (s.eventID && r.eventID !== s.eventID) fail(`eventID ${r.eventID}, sent ${s.eventID}`);
  if (r.eventID !== hash) {
    // epcis2.js 2.7.3 turns an SSCC EPC URN into a 19-digit Digital Link
    // (it keeps the extension digit twice: .../00/0541234500000000176);
    // the GS1 key is 18 digits, .../00/054123450000000174, as keten has
    // it.  Given the SSCC in Digital Link form, epcis2.js must agree.
    const dl = JSON.parse(JSON.stringify(s).replaceAll(SSCC_URN, SSCC_DL));
    if (!JSON.stringify(s).includes(SSCC_URN) || eventToHashedId(dl, {}) !== r.eventID)
      fail(`keten's event hash ${r.eventID} is not epcis2.js's ${hash} for ${JSON.stringify(s)}`);
    sscc_note = `epcis2.js hashes ${SSCC_URN} as 19 digits; with ${SSCC_DL} it agrees with keten`;
  }
  const back = ev.toObject();
  delete back.eventID;
  delete back['@context'];
  const mine = { ...s };
  delete mine.eventID;
  delete mine['@context'];
  if (!same(back, mine))
    fail(`not the same event:\n sent ${JSON.stringify(canon(mine))}\n got  ${JSON.stringify(canon(back))}`);
  checked++;
}
if (sscc_note) console.log(sscc_note);
console.log(`epcis2.js ${checked} events captured and read back the same, hashes agree`);

// tests/ws/subscribe.mjs -- a live subscription through a third-party
// WebSocket client (the npm package ws), for tests/e2e/http_subs.sh.
//
//   node subscribe.mjs WS_URL TOKEN TASKS.json [XMLDIR]
//
// With XMLDIR the opening asks for EPCIS XML (Accept: application/xml):
// every frame must then be an EPCIS 2.0 XML EPCISQueryDocument naming its
// queryName and subscriptionID, and is saved as XMLDIR/frame-N.xml (for
// xmllint against GS1's XSD); the EPCs are its <epc> elements.
//
// Opens WS_URL (a node's /queries/{name}/events?stream=true) with the
// bearer token, then runs the tasks of TASKS.json in order, each
// {"post": URL, "token": T, "body": {...}, "epc": EPC, "expect": true|false}:
// POSTs the body (an EPCISDocument to another node's /capture, say), and
// waits until a received EPCISQueryDocument names epc (expect true: the
// milliseconds from the POST's answer to that frame are printed) or 1.5 s
// pass without it (expect false); "pause": true then waits for a file
// named go in the working directory.  Every frame must be an
// EPCISQueryDocument text frame.  Prints one JSON line per task and
// {"done": true, "frames": N} at the end; exits 1 on any failure.
import fs from 'node:fs';
import WebSocket from 'ws';

const [url, token, tasksFile, xmlDir] = process.argv.slice(2);
const tasks = JSON.parse(fs.readFileSync(tasksFile, 'utf8'));
const seen = []; // [{epc, at}]
let frames = 0;

function fail(msg) {
  console.error('FAIL: ' + msg);
  process.exit(1);
}

const headers = { Authorization: 'Bearer ' + token };
if (xmlDir) headers.Accept = 'application/xml';
const ws = new WebSocket(url, { headers });
ws.on('unexpected-response', (req, res) => fail('the handshake was answered ' + res.statusCode));
ws.on('error', (e) => fail('websocket error: ' + e.message));
ws.on('close', (code) => {
  if (!finished) fail('the node closed the subscription: ' + code);
});
ws.on('message', (data, isBinary) => {
  if (isBinary) fail('a binary frame');
  if (xmlDir) {
    const text = data.toString('utf8');
    if (!text.startsWith('<?xml') || !/<epcisq:EPCISQueryDocument[\s>]/.test(text))
      fail('not an XML EPCISQueryDocument: ' + text.slice(0, 200));
    if (!/<queryName>[^<]+<\/queryName>\s*<subscriptionID>[^<]+<\/subscriptionID>/.test(text))
      fail('no queryName/subscriptionID: ' + text.slice(0, 400));
    frames++;
    fs.writeFileSync(xmlDir + '/frame-' + frames + '.xml', text);
    for (const m of text.matchAll(/<epc>([^<]*)<\/epc>/g)) seen.push({ epc: m[1], at: Date.now() });
    return;
  }
  const doc = JSON.parse(data.toString('utf8'));
  if (doc.type !== 'EPCISQueryDocument') fail('not an EPCISQueryDocument: ' + data);
  const qr = doc.epcisBody.queryResults;
  if (!qr.subscriptionID || !qr.queryName) fail('no subscriptionID/queryName: ' + data);
  frames++;
  for (const ev of qr.resultsBody.eventList)
    for (const e of ev.epcList || []) seen.push({ epc: e, at: Date.now() });
});

let finished = false;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function run() {
  for (const t of tasks) {
    const res = await fetch(t.post, {
      method: 'POST',
      headers: { Authorization: 'Bearer ' + t.token, 'Content-Type': 'application/ld+json' },
      body: JSON.stringify(t.body),
    });
    const t0 = Date.now();
    if (res.status !== 202 && res.status !== 201) fail(t.post + ' answered ' + res.status);
    let hit = null;
    while (!hit && Date.now() - t0 < (t.expect ? 5000 : 1500)) {
      hit = seen.find((s) => s.epc === t.epc);
      if (!hit) await sleep(5);
    }
    if (t.expect && !hit) fail(t.epc + ' did not arrive within 5 s');
    if (!t.expect && hit) fail(t.epc + ' arrived but does not match the query');
    console.log(JSON.stringify({ epc: t.epc, expect: t.expect, ms: hit ? hit.at - t0 : null }));
    if (t.pause) // wait for the test to say go (a file "go" here)
      while (!fs.existsSync('go')) await sleep(20);
  }
  finished = true;
  console.log(JSON.stringify({ done: true, frames }));
  ws.close(1000);
  setTimeout(() => process.exit(0), 200);
}

ws.on('open', () => {
  run().catch((e) => fail(String(e)));
});

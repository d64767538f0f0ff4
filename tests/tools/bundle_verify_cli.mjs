#!/usr/bin/env node
// bundle_verify_cli.mjs -- runs web/keten-verify.js (the browser's bundle
// verifier) under Node 20, for tests/e2e/bundle_js.sh.
//
//   node tests/tools/bundle_verify_cli.mjs FILE [--trust KEYS] [--require-witnesses N]
//       prints what `keten bundle verify --json` prints: the story with
//       "verified": true (exit 0), or {"verified": false, "error": REASON}
//       (exit 1), or the story with "verified": false and its "demands"
//       when a demand is not met (exit 1); exit 3 when FILE or KEYS cannot
//       be read (KEYS: keten's trust file, "FEED-ID [label]" per line)
//   node tests/tools/bundle_verify_cli.mjs --hash DOC
//       prints the event hash of each event of the EPCIS document DOC
//       (JSON-LD: epcisBody.eventList or queryResults...eventList), one a
//       line, through eventHash(event, document @context, ignoreFields)
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const { verifyBundle, eventHash } = await import(join(here, "..", "..", "web", "keten-verify.js"));

const args = process.argv.slice(2);
if (args.length === 2 && args[0] === "--hash") {
  const doc = JSON.parse(readFileSync(args[1], "utf8"));
  const body = doc.epcisBody || {};
  const events = body.eventList || (body.queryResults && body.queryResults.resultsBody && body.queryResults.resultsBody.eventList) || [];
  // the ignoreFields of GS1's examples: the key bound to repository-x
  let prefix = "";
  for (const el of Array.isArray(doc["@context"]) ? doc["@context"] : [])
    if (el && typeof el === "object")
      for (const [k, v] of Object.entries(el)) if (v === "https://repository-x.example.com/") prefix = k;
  const where = body.queryResults && !body.eventList ? body.queryResults : doc;
  const ign = where[prefix + ":ignoreFields"];
  for (const ev of events) console.log(await eventHash(ev, doc["@context"], Array.isArray(ign) ? ign : null));
  process.exit(0);
}
const opts = { trust: null, requireWitnesses: 0 };
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--trust" && i + 1 < args.length) {
    let text;
    try {
      text = readFileSync(args[++i], "utf8");
    } catch (e) {
      process.stderr.write(`bundle_verify_cli: cannot read ${args[i]}: ${e.message}\n`);
      process.exit(3);
    }
    opts.trust = new Map();
    for (const [n, raw] of text.split("\n").entries()) {
      const line = raw.replace(/\r$/, "").replace(/^[ \t]+/, "");
      if (!line || line.startsWith("#")) continue;
      const m = line.match(/^([0-9a-f]{64})(?:[ \t]+(.*))?$/);
      if (!m) {
        process.stderr.write(`bundle_verify_cli: ${args[i]} line ${n + 1}: not "FEED-ID [label]"\n`);
        process.exit(3);
      }
      opts.trust.set(m[1], m[2] || "");
    }
  } else if (args[i] === "--require-witnesses" && i + 1 < args.length) {
    opts.requireWitnesses = Number(args[++i]);
  } else {
    files.push(args[i]);
  }
}
if (files.length !== 1 || files[0].startsWith("--")) {
  process.stderr.write("usage: bundle_verify_cli.mjs FILE [--trust KEYS] [--require-witnesses N] | --hash DOC\n");
  process.exit(2);
}
let bytes;
try {
  bytes = new Uint8Array(readFileSync(files[0]));
} catch (e) {
  process.stderr.write(`bundle_verify_cli: cannot read ${files[0]}: ${e.message}\n`);
  process.exit(3);
}
const v = await verifyBundle(bytes, opts);
if (v.state === "verified" || v.story) {
  console.log(JSON.stringify(v.story, null, 2));
  if (v.story.demands) for (const m of v.story.demands.failures) process.stderr.write(`bundle_verify_cli: bundle ${files[0]}: demand not met: ${m}\n`);
  process.exit(v.state === "verified" ? 0 : 1);
}
console.log(JSON.stringify({ verified: false, error: v.reason }));
process.stderr.write(`bundle_verify_cli: bundle ${files[0]} does not verify: ${v.reason}\n`);
process.exit(1);

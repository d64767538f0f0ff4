/* page.js -- the product page (web/page.html), served by the keten node.
 *
 * At /page/{Digital Link path} it fetches the item's provenance bundle from
 * the same node (/bundle/{path}), verifies it here with keten-verify.js
 * (every signature, hash, inclusion proof and event hash) and shows the
 * verdict in #verdict (data-state "verified" or "failed", the reason in its
 * text) and the story as a timeline across partners: each step's partner
 * (name and short key), event type, business step, time and place, what is
 * sealed, corrections (errorDeclaration), temperatures of sensor data as a
 * small SVG chart, and for a garment its wash cycles against the rated
 * maximum.  A bundle file opened or dropped on the page is verified the
 * same way, with no node (at /_keten/ the page has no item of its own).
 *
 * Offline: it registers the service worker (/_keten/keten-sw.js, scope
 * "/"), which keeps the page's files in the browser, so that the page
 * opens with no node once served; the root element gets
 * data-offline="ready" once the worker is active, "unavailable" where the
 * browser has none (a page over plain http from another machine is no
 * secure context); on every visit it asks the node for a newer worker (a
 * new keten build).  It keeps the last bundle of each product page it was
 * given by the node in the cache keten-bundles (BUNDLE_COPIES pages at
 * most, BUNDLE_COPY_DAYS days): when the node cannot be reached (or gives
 * no answer within BUNDLE_WAIT_MS), it verifies that copy and says in the
 * verdict that it is the copy of the time the node signed it (#verdict's
 * data-copy holds that time), which may not be current.  A node that
 * answers with no bundle (a 404) is believed and its copy deleted.
 *
 * Everything is built with DOM calls (textContent, createElementNS): no
 * innerHTML of bundle data, no inline script or style (the node's
 * Content-Security-Policy forbids them).
 */
import { verifyBundle } from "./keten-verify.js";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const LAUNDERING = "https://keten.dev/voc/bizstep/laundering";
const END_OF_LIFE = new Set(["collecting", "disassembling", "recycling", "destroying", "decommissioning"]);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function svgEl(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/* ---- words -------------------------------------------------------------- */

/* The short word of a CBV value ("shipping" of any of its forms). */
function cbvWord(v) {
  if (!v || typeof v !== "string") return "";
  const m = v.match(/(?:BizStep-|Disp-|bizstep:|disp:)([A-Za-z_]+)$/);
  if (m) return m[1];
  const slash = v.lastIndexOf("/");
  return slash >= 0 && /^https?:/.test(v) ? v.slice(slash + 1) : v;
}

function humanWord(w) {
  return w ? w.replace(/_/g, " ") : "";
}

const TYPE_WORDS = {
  ObjectEvent: "Observed",
  AggregationEvent: "Packed or unpacked",
  TransformationEvent: "Made from inputs",
  TransactionEvent: "Business transaction",
  AssociationEvent: "Associated",
};

function placeOf(ev) {
  const b = ev && ev.bizLocation && ev.bizLocation.id;
  const r = ev && ev.readPoint && ev.readPoint.id;
  return b || r || "";
}

/* "2025-11-29 11:00 (+01:00)" of an RFC 3339 time. */
function timeText(t, offset) {
  if (!t) return "";
  const m = String(t).match(/^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)/);
  const off = offset || (String(t).match(/([+-]\d\d:\d\d|Z)$/) || [])[1] || "";
  return m ? m[1] + " " + m[2] + (off ? " (" + (off === "Z" ? "UTC" : off) + ")" : "") : String(t);
}

function shortKey(feed) {
  return feed ? feed.slice(0, 8) + "…" + feed.slice(-4) : "";
}

/* ---- identifiers ------------------------------------------------------- */

function checkDigit(digits) {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(digits.length - 1 - i) - 48;
    sum += i % 2 === 0 ? 3 * d : d;
  }
  return String((10 - (sum % 10)) % 10);
}

/* The Digital Link path of an SGTIN or SSCC URN ("/01/…/21/…", "/00/…"),
 * or null: events name items as EPC URNs, the page's subject is a Digital
 * Link. */
function urnToPath(urn) {
  let m = /^urn:epc:id:sgtin:(\d+)\.(\d+)\.(.+)$/.exec(urn || "");
  if (m && m[1].length + m[2].length === 13) {
    const g13 = m[2][0] + m[1] + m[2].slice(1);
    return "/01/" + g13 + checkDigit(g13) + "/21/" + m[3];
  }
  m = /^urn:epc:id:sscc:(\d+)\.(\d+)$/.exec(urn || "");
  if (m && m[1].length + m[2].length === 17) {
    const s17 = m[2][0] + m[1] + m[2].slice(1);
    return "/00/" + s17 + checkDigit(s17);
  }
  return null;
}

function subjectPath(subject) {
  if (!subject) return null;
  const m = /^https?:\/\/[^/]+(\/.*)$/.exec(subject);
  if (m) return m[1].replace(/\?.*$/, "");
  return urnToPath(subject) || subject;
}

function sameItem(id, subj) {
  if (!id || !subj) return false;
  return id === subj || urnToPath(id) === subj || subjectPath(id) === subj;
}

/* Every identifier an event names, with its role. */
function idsOf(ev) {
  const out = [];
  const add = (role, v) => { if (typeof v === "string") out.push([role, v]); };
  for (const k of ["epcList", "childEPCs", "inputEPCList", "outputEPCList"])
    for (const v of ev[k] || []) add(k, v);
  add("parentID", ev.parentID);
  for (const k of ["quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"])
    for (const q of ev[k] || []) if (q && q.epcClass) add(k, q.epcClass);
  return out;
}

/* ---- what the events say ------------------------------------------------ */

/* Temperature readings of an event's sensor data: [{t (ms), v, uom}]. */
function temperatures(ev) {
  const out = [];
  for (const se of (ev && ev.sensorElementList) || []) {
    const meta = se.sensorMetadata || {};
    for (const r of se.sensorReport || []) {
      const type = String(r.type || meta.type || "");
      if (!/Temperature$/.test(type)) continue;
      const v = typeof r.value === "number" ? r.value : typeof r.meanValue === "number" ? r.meanValue : null;
      const t = Date.parse(r.time || meta.time || ev.eventTime);
      if (v !== null && !Number.isNaN(t)) out.push({ t, v, uom: r.uom || "CEL" });
    }
  }
  return out.sort((a, b) => a.t - b.t);
}

function ilmdValue(ev, local) {
  const ilmd = (ev && ev.ilmd) || {};
  for (const [k, v] of Object.entries(ilmd)) if (k === local || k.endsWith(":" + local) || k.endsWith("#" + local)) return v;
  return undefined;
}

/* The garment's wash cycles among the disclosed events, by the rules of
 * docs/trace.md ("What one wash cycle is"): a laundering step counts one;
 * a stay (a receiving at a place, up to the next shipping from it) that
 * began soiled-in (the stay before it ended with a dispatch, and was no
 * repair) counts one when no laundering or repair was recorded in it and
 * its dispatch does not lead to the end of life.  Stays at the place of
 * commissioning are the maker's own.  Returns null when the bundle shows no
 * garment (no garment:maxWashCycles). */
function washCount(steps, subj, declared) {
  const evs = steps.filter((s) => s.event && !s.errorDeclaration && !declared.has(s.eventID)).map((s) => s.event);
  let max = null, made = null, commissioned = "";
  for (const ev of evs) {
    const m = ilmdValue(ev, "maxWashCycles");
    if (typeof m === "number") { max = m; made = ev; commissioned = placeOf(ev); }
  }
  if (max === null) return null;
  /* the garment's own events and those of a container it is in */
  const inside = new Set();
  const mine = [];
  for (const ev of evs) {
    const ids = idsOf(ev).map(([, v]) => v);
    const names = ids.some((v) => sameItem(v, subj));
    if (ev.type === "AggregationEvent" && ev.parentID && (ev.childEPCs || []).some((v) => sameItem(v, subj))) {
      if (ev.action === "ADD") inside.add(ev.parentID);
      if (ev.action === "DELETE") inside.delete(ev.parentID);
      mine.push(ev);
      continue;
    }
    if (names || ids.some((v) => inside.has(v))) mine.push(ev);
  }
  let washes = 0, stay = null, prev = null, pendingShip = null;
  const close = (eol) => {
    if (pendingShip) {
      if (pendingShip.soiled && !pendingShip.laundered && !pendingShip.repair && !eol) washes++;
      pendingShip = null;
    }
  };
  for (const ev of mine) {
    const step = cbvWord(ev.bizStep);
    const loc = placeOf(ev);
    if (ev.bizStep === LAUNDERING || step === "laundering") {
      washes++;
      if (stay) stay.laundered = true;
      continue;
    }
    if (END_OF_LIFE.has(step)) { close(true); stay = null; continue; }
    if (step === "repairing" && stay) stay.repair = true;
    if (step === "receiving" && loc && loc !== commissioned) {
      close(false);
      stay = { loc, soiled: !!(prev && prev.dispatched && !prev.repair), laundered: false, repair: false };
      continue;
    }
    if (step === "shipping") {
      const from = loc || "";
      if (stay && (from === stay.loc || ((ev.sourceList || []).some((s) => s.source === stay.loc)))) {
        close(false);
        stay.dispatched = true;
        pendingShip = stay;
        prev = stay;
        stay = null;
      } else close(false);
    }
  }
  close(false);
  return { washes, max, made };
}

/* ---- rendering ---------------------------------------------------------- */

function setVerdict(state, text, sub) {
  const v = $("verdict");
  clear(v);
  v.dataset.state = state;
  delete v.dataset.copy; /* fromCopy sets it again */
  v.append(el("span", "head", text));
  if (sub) v.append(" ", el("span", "sub", sub));
}

function partnerClass(story) {
  const cls = new Map();
  (story.feeds || []).forEach((f, i) => cls.set(f.feed, "c" + (i % 6)));
  return (feed) => cls.get(feed) || "";
}

function renderPartners(story, pc) {
  const ul = $("partners");
  clear(ul);
  for (const f of story.feeds || []) {
    const li = el("li");
    li.append(el("span", "dot " + pc(f.feed)));
    li.append(el("strong", null, f.name || "(no name)"));
    li.append(" ");
    const key = el("span", "key mono", shortKey(f.feed));
    key.title = f.feed;
    li.append(key);
    const n = f.steps === 1 ? "1 step" : f.steps + " steps";
    li.append(el("div", "note",
      n + " (" + f.disclosed + " disclosed, " + f.sealed + " sealed), " +
      (f.proof === "tree" ? "proven in its signed log of " + f.treeSize + (f.treeSize === 1 ? " entry" : " entries")
                          : "entries linked from seq " + f.from + " to " + f.to)));
    if (story.bundle >= 3) renderTrust(li, f, story);
    ul.append(li);
  }
  $("partners-box").hidden = false;
}

/* The name a bundle gives a key: its stated identity, else the partner's
 * name, else the short key. */
function keyName(story, feed) {
  for (const st of story.statements || [])
    if (st.kind === "identity" && st.feed === feed) return st.name;
  for (const p of story.partners || []) if (p.feed === feed && p.name) return p.name;
  return "key " + shortKey(feed);
}

function idText(st) {
  return st.name + (st.gln ? ", GLN " + st.gln : "") + (st.gcp ? ", GS1 Company Prefix " + st.gcp : "") +
    (st.domain ? ", " + st.domain : "");
}

/* Version 3: who the partner says it is (its own signed identity
 * statement), who endorses its key, who witnessed its checkpoint. */
function renderTrust(li, f, story) {
  const box = el("div", "trust");
  box.append(el("div", "note ident", f.identity ? "states: " + idText(f.identity) + " (signed by this key)"
                                                : "no identity statement of this key"));
  for (const e of f.endorsedBy || []) {
    const d = el("div", "note endorsed" + (e.agrees ? "" : " differs"),
      "endorsed by " + (e.name || "key " + shortKey(e.feed)) + " (" + shortKey(e.feed) + ")" +
      (e.agrees ? "" : " as " + idText(e.endorsed) + ": does not match its statement"));
    d.title = e.feed;
    box.append(d);
  }
  if (!(f.endorsedBy || []).length) box.append(el("div", "note endorsed", "endorsed by no other key in this bundle"));
  if (f.proof === "tree") {
    const ws = f.witnesses || [];
    for (const w of ws) {
      const d = el("div", "note witnessed", "witnessed by " + keyName(story, w.witness) + " (" + shortKey(w.witness) +
        ") on " + timeText(w.timeText));
      d.title = w.witness;
      box.append(d);
    }
    if (!ws.length) box.append(el("div", "note witnessed", "its checkpoint is witnessed by no other key in this bundle"));
  }
  li.append(box);
}

function chart(readings, limit) {
  const w = 320, h = 110, pad = 26;
  const t0 = readings[0].t, t1 = readings[readings.length - 1].t;
  let lo = Math.min(...readings.map((r) => r.v)), hi = Math.max(...readings.map((r) => r.v));
  if (limit !== null) { lo = Math.min(lo, limit); hi = Math.max(hi, limit); }
  if (hi - lo < 1) { hi += 0.5; lo -= 0.5; }
  const x = (t) => pad + (t1 === t0 ? (w - 2 * pad) / 2 : ((t - t0) / (t1 - t0)) * (w - 2 * pad));
  const y = (v) => h - pad + 8 - ((v - lo) / (hi - lo)) * (h - pad - 8 - 8);
  const s = svgEl("svg", { viewBox: "0 0 " + w + " " + h, class: "chart", role: "img" });
  const unit = readings[0].uom === "FAH" ? "°F" : readings[0].uom === "KEL" ? "K" : "°C";
  const title = svgEl("title");
  title.textContent = "Temperature, " + readings.length + " readings, " + lo.toFixed(1) + " to " + hi.toFixed(1) + " " + unit;
  s.append(title);
  s.append(svgEl("line", { x1: pad, y1: h - pad + 8, x2: w - pad, y2: h - pad + 8, class: "axis" }));
  s.append(svgEl("line", { x1: pad, y1: 8, x2: pad, y2: h - pad + 8, class: "axis" }));
  if (limit !== null) s.append(svgEl("line", { x1: pad, y1: y(limit), x2: w - pad, y2: y(limit), class: "limit" }));
  s.append(svgEl("polyline", { points: readings.map((r) => x(r.t).toFixed(1) + "," + y(r.v).toFixed(1)).join(" "), class: "line" }));
  for (const r of readings) s.append(svgEl("circle", { cx: x(r.t).toFixed(1), cy: y(r.v).toFixed(1), r: 2.5 }));
  const label = (tx, ty, text, anchor) => {
    const t = svgEl("text", { x: tx, y: ty, "text-anchor": anchor || "start" });
    t.textContent = text;
    s.append(t);
  };
  label(pad - 3, y(hi) + 3, hi.toFixed(1), "end");
  label(pad - 3, y(lo) + 3, lo.toFixed(1), "end");
  label(pad, h - 4, new Date(t0).toISOString().slice(11, 16) + " UTC");
  label(w - pad, h - 4, new Date(t1).toISOString().slice(11, 16) + " UTC", "end");
  label(w - pad, 10, unit, "end");
  return s;
}

function dd(dl, term, value, mono) {
  if (value === undefined || value === null || value === "") return;
  dl.append(el("dt", null, term));
  dl.append(el("dd", mono ? "mono" : null, typeof value === "string" ? value : JSON.stringify(value)));
}

function whatText(ev) {
  const ids = idsOf(ev);
  if (!ids.length) return "";
  const shown = ids.slice(0, 4).map(([, v]) => v);
  return shown.join(", ") + (ids.length > 4 ? " and " + (ids.length - 4) + " more" : "");
}

function renderStep(s, pc, declared, disputes) {
  const li = el("li", "step " + pc(s.feed));
  if (s.sealed) li.classList.add("sealed");
  const ev = s.event || null;
  const when = el("div", "when", s.sealed ? "time not disclosed (recorded " + timeText(s.recordTime) + ")"
                                          : timeText(s.eventTime, ev && ev.eventTimeZoneOffset));
  li.append(when);
  const what = el("div", "what");
  if (s.sealed) {
    what.textContent = "A step of " + (s.name || "a partner") + ", sealed";
    what.append(el("span", "tag seal", "sealed"));
  } else {
    const step = humanWord(cbvWord(s.bizStep || (ev && ev.bizStep)));
    what.textContent = (step ? step[0].toUpperCase() + step.slice(1) : TYPE_WORDS[s.type] || s.type || "Event");
    if (s.errorDeclaration) what.append(el("span", "tag fix", s.disputes ? "dispute" : "correction"));
    if (!s.errorDeclaration && declared.has(s.eventID)) {
      li.classList.add("erroneous");
      what.append(el("span", "tag bad", "declared erroneous"));
    }
    if (disputes.has(s.eventID)) what.append(el("span", "tag bad", "disputed"));
  }
  li.append(what);
  const who = el("div", "who");
  who.append(el("span", "dot " + pc(s.feed)));
  who.append((s.name || "(no name)") + " ");
  const key = el("span", "key mono", shortKey(s.feed) + " · seq " + s.seq);
  key.title = s.feed;
  who.append(key);
  li.append(who);
  const dl = el("dl");
  if (s.sealed) {
    dd(dl, "sealed", "its partner did not disclose this step: only its signature, its place in the partner's log and its size (" + s.payloadLength + " bytes) are proven");
    dd(dl, "recorded", timeText(s.recordTime));
  } else {
    dd(dl, "event", (s.type || "") + (s.action ? " " + s.action : ""));
    dd(dl, "business step", cbvWord(s.bizStep));
    dd(dl, "disposition", humanWord(cbvWord(s.disposition)));
    dd(dl, "place", s.bizLocation || (ev && placeOf(ev)), true);
    if (s.readPoint && s.readPoint !== s.bizLocation) dd(dl, "read point", s.readPoint, true);
    if (ev) {
      dd(dl, "what", whatText(ev), true);
      for (const d of ev.destinationList || []) dd(dl, "to (" + humanWord(cbvWord(d.type)) + ")", d.destination, true);
      for (const d of ev.sourceList || []) dd(dl, "from (" + humanWord(cbvWord(d.type)) + ")", d.source, true);
      for (const [k, v] of Object.entries(ev.ilmd || {})) dd(dl, k.replace(/^.*[#:]/, ""), Array.isArray(v) ? v.join(", ") : v);
      if (ev.certificationInfo) dd(dl, "certification", ev.certificationInfo);
      if (ev.errorDeclaration) {
        dd(dl, "corrects", (ev.errorDeclaration.correctiveEventIDs || []).join(", ") || s.eventID, true);
        dd(dl, "reason", humanWord(cbvWord(ev.errorDeclaration.reason)) || "(none given)");
        dd(dl, "declared", timeText(ev.errorDeclaration.declarationTime));
      }
    }
    dd(dl, "event ID", s.eventID, true);
  }
  li.append(dl);
  const temps = ev ? temperatures(ev) : [];
  if (temps.length) li.append(chart(temps, null));
  return li;
}

function renderFacts(story, subj, declared) {
  const box = $("facts");
  clear(box);
  const fact = (title, body) => {
    const f = el("div", "fact");
    f.append(el("h3", null, title));
    if (typeof body === "string") f.append(el("p", null, body));
    else f.append(body);
    box.append(f);
  };
  const steps = story.steps || [];
  const disclosed = steps.filter((s) => !s.sealed).length;
  fact("Steps", steps.length + " (" + disclosed + " disclosed, " + (steps.length - disclosed) + " sealed) from " +
    (story.feeds || []).length + " partner" + ((story.feeds || []).length === 1 ? "" : "s"));
  fact("Bundle signed by", (story.creator && story.creator.name ? story.creator.name + ", " : "") +
    "key " + shortKey(story.creator && story.creator.feed) + " on " + timeText(story.created));
  const w = washCount(steps, subj, declared);
  if (w) {
    const p = el("div");
    const over = w.washes > w.max;
    p.append(el("p", over || w.washes >= 0.9 * w.max ? "warn" : null,
      w.washes + " of " + w.max + " wash cycles" + (over ? " (" + (w.washes - w.max) + " past the rated maximum)" :
        w.washes === w.max ? " (at its rated maximum)" : "")));
    const m = el("meter");
    m.min = 0; m.max = w.max; m.value = Math.min(w.washes, w.max);
    m.low = Math.floor(0.9 * w.max); m.high = w.max; m.optimum = 0;
    m.id = "washes";
    m.dataset.washes = String(w.washes);
    m.dataset.max = String(w.max);
    p.append(m);
    fact("Washes", p);
    const comp = ilmdValue(w.made, "fibreComposition");
    if (comp !== undefined)
      fact("Materials", typeof comp === "string" ? comp : Object.entries(comp).map(([k, v]) => v + "% " + k).join(", "));
    const rec = ilmdValue(w.made, "recycledContent");
    if (rec !== undefined) fact("Recycled content", rec + "%");
    const madeIn = ilmdValue(w.made, "madeIn");
    if (madeIn !== undefined) fact("Made in", String(madeIn));
  }
  const all = steps.flatMap((s) => (s.event ? temperatures(s.event) : []));
  if (all.length) {
    const lo = Math.min(...all.map((r) => r.v)), hi = Math.max(...all.map((r) => r.v));
    fact("Temperature", all.length + " readings, " + lo.toFixed(1) + " to " + hi.toFixed(1) + (all[0].uom === "FAH" ? " °F" : " °C"));
  }
  for (const s of steps) {
    const born = s.event && ilmdValue(s.event, "bornIn");
    if (born) fact("Origin", "born in " + born + ", reared in " + (ilmdValue(s.event, "rearedIn") || "?") +
      ", slaughtered in " + (ilmdValue(s.event, "slaughteredIn") || "?"));
  }
  box.hidden = false;
}

function renderProof(story) {
  const box = $("proof");
  clear(box);
  const tree = (story.feeds || []).some((f) => f.proof === "tree");
  const chain = (story.feeds || []).some((f) => f.proof !== "tree");
  box.append(el("p", null, "Proven: each step is signed by the key shown for its partner."));
  if (tree) box.append(el("p", null, "A partner's step \"proven in its signed log\" is entry seq S of that log, whose tree of N entries the partner's key signed (a checkpoint and an inclusion proof): the partner cannot show another entry there without signing two histories."));
  if (chain) box.append(el("p", null, "For a partner whose entries are linked, no entry between its first and last step is missing or out of order."));
  box.append(el("p", null, "Every disclosed event matches the payload hash its signer committed to, and its EPCIS event hash; the creator's key signed this selection, the names and the subject."));
  if (story.bundle >= 3) box.append(el("p", null, "Each partner's identity is the statement its own key signed; an endorsement is another partner's signed word that it checked that key; a witness cosigned the partner's checkpoint, so the partner cannot show it a second history. All of them are checked here."));
  box.append(el("p", null, "Not proven: that a key belongs to the named company (compare the keys, or the endorsers' keys, with ones you know), what a sealed step contains, that no other event of the item exists, or that the events tell the truth."));
  $("proof-box").hidden = false;
}

function render(story) {
  const subj = subjectPath(story.subject);
  $("subject").textContent = story.subject || "";
  const pc = partnerClass(story);
  const declared = new Set(), disputes = new Set();
  for (const s of story.steps || []) {
    if (!s.errorDeclaration) continue;
    (s.disputes ? disputes : declared).add(s.eventID);
  }
  renderFacts(story, subj, declared);
  renderPartners(story, pc);
  const ol = $("timeline");
  clear(ol);
  for (const s of story.steps || []) ol.append(renderStep(s, pc, declared, disputes));
  $("story-box").hidden = false;
  renderProof(story);
}

function hideStory() {
  for (const id of ["facts", "partners-box", "story-box", "proof-box"]) $(id).hidden = true;
}

/* Verifies bytes and shows the result; source says where they came from. */
async function check(bytes, source) {
  const res = await verifyBundle(bytes);
  if (res.state === "verified" && res.story) {
    const n = (res.story.steps || []).length, p = (res.story.feeds || []).length;
    setVerdict("verified", "Verified: every signature, hash and proof of this bundle holds.",
      source + ": " + n + " step" + (n === 1 ? "" : "s") + " from " + p + " partner" + (p === 1 ? "" : "s") +
      ", checked in this browser.");
    render(res.story);
  } else {
    hideStory();
    setVerdict("failed", "Not verified: " + (res.reason || "the bundle does not verify"),
      source + ": do not rely on this bundle.");
  }
  return res;
}

/* ---- offline ------------------------------------------------------------ */

const BUNDLES = "keten-bundles";
const BUNDLE_COPIES = 50;
const BUNDLE_COPY_DAYS = 30;
const SAVED = "x-keten-saved"; /* when this browser kept the copy (ms) */
const BUNDLE_WAIT_MS = 20000; /* a node that does not answer by then is unreachable */

function offlineNote(state, text) {
  document.documentElement.dataset.offline = state;
  $("offline").textContent = text;
}

function setupOffline() {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) {
    offlineNote("unavailable", "This browser cannot keep this page for use offline here " +
      "(it does so only for a page served over https or from this machine).");
    return;
  }
  navigator.serviceWorker.register("/_keten/keten-sw.js", { scope: "/" })
    .then((reg) => {
      /* ask for a new build now, not when the browser gets to it: a node
       * that answers with another keten-sw.js installs that build's shell */
      reg.update().catch(() => { /* no node: the kept page goes on */ });
      return navigator.serviceWorker.ready;
    })
    .then(() => offlineNote("ready", "This page is kept in this browser: open its address again " +
      "with no network to check a bundle file."))
    .catch((e) => offlineNote("unavailable", "This page could not be kept for use offline (" + e.message + ")."));
}

async function bundleCache() {
  return "caches" in window && window.isSecureContext ? caches.open(BUNDLES) : null;
}

/* Keeps the bundle bytes of the page's bundle URL; forgets the oldest
 * copies past BUNDLE_COPIES.  Failure only means no copy. */
async function keepBundle(url, bytes) {
  try {
    const c = await bundleCache();
    if (!c) return;
    await c.put(url, new Response(bytes, { headers: {
      "Content-Type": "application/vnd.keten.bundle+cbor", [SAVED]: String(Date.now()) } }));
    const keys = await c.keys();
    if (keys.length <= BUNDLE_COPIES) return;
    const aged = await Promise.all(keys.map(async (k) => [k, Number((await c.match(k)).headers.get(SAVED)) || 0]));
    aged.sort((a, b) => a[1] - b[1]);
    for (const [k] of aged.slice(0, keys.length - BUNDLE_COPIES)) await c.delete(k);
  } catch (e) { /* storage full or refused: no copy */ }
}

/* The kept copy of url (bytes), null when there is none or it is older than
 * BUNDLE_COPY_DAYS (then it is deleted). */
async function keptBundle(url) {
  try {
    const c = await bundleCache();
    const r = c && (await c.match(url));
    if (!r) return null;
    if (Date.now() - (Number(r.headers.get(SAVED)) || 0) > BUNDLE_COPY_DAYS * 864e5) {
      await c.delete(url);
      return null;
    }
    return new Uint8Array(await r.arrayBuffer());
  } catch (e) {
    return null;
  }
}

async function forgetBundle(url) {
  try {
    const c = await bundleCache();
    if (c) await c.delete(url);
  } catch (e) { /* nothing kept */ }
}

/* Verifies the kept copy of url when the node cannot be reached (why: the
 * fetch's error, said when there is no copy); the verdict says it is the
 * copy of its signed time. */
async function fromCopy(url, why) {
  const bytes = await keptBundle(url);
  if (!bytes) {
    setVerdict("failed", "Not verified: the bundle could not be fetched (" + why + ")",
      "This browser kept no copy of it: drop a bundle file below to check it.");
    return;
  }
  const res = await verifyBundle(bytes);
  if (res.state !== "verified" || !res.story) {
    hideStory();
    setVerdict("failed", "Not verified: " + (res.reason || "the bundle does not verify"),
      "the copy of this bundle kept in this browser: do not rely on it.");
    return;
  }
  const t = timeText(res.story.created);
  const n = (res.story.steps || []).length;
  setVerdict("verified", "Verified, the copy of " + t + ": every signature, hash and proof of it holds.",
    "The node could not be reached, so this is the bundle it signed on " + t +
    ", kept in this browser: events recorded since are not in it. " + n + " step" + (n === 1 ? "" : "s") +
    ", checked in this browser.");
  $("verdict").dataset.copy = t;
  render(res.story);
}

async function fromNode() {
  const path = location.pathname;
  if (!path.startsWith("/page/")) {
    $("title").textContent = "Check a provenance bundle";
    $("verdict").textContent = "Open or drop a bundle file below to check it.";
    return;
  }
  const dl = path.slice("/page".length);
  const url = "/bundle" + dl + location.search;
  $("subject").textContent = dl;
  let r;
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), BUNDLE_WAIT_MS);
  try {
    r = await fetch(url, { headers: { Accept: "application/vnd.keten.bundle+cbor" }, cache: "no-store",
                           signal: ctl.signal });
  } catch (e) {
    await fromCopy(url, ctl.signal.aborted ? "no answer in " + BUNDLE_WAIT_MS / 1000 + " s" : e.message);
    return;
  } finally {
    clearTimeout(timer);
  }
  if (!r.ok) {
    let detail = r.status + " " + r.statusText;
    try { detail = (await r.json()).detail || detail; } catch (e) { /* not a problem document */ }
    if (r.status === 404) await forgetBundle(url);
    setVerdict("failed", "Not verified: this node gives no bundle of it: " + detail);
    return;
  }
  const bytes = new Uint8Array(await r.arrayBuffer());
  await keepBundle(url, bytes); /* offline it is verified again, as this is now */
  await check(bytes, "the bundle of this node");
}

async function fromFile(file) {
  $("drop-note").textContent = file.name + ", " + file.size + " bytes";
  const v = $("verdict");
  delete v.dataset.state;
  v.textContent = "Checking " + file.name + "…";
  await check(new Uint8Array(await file.arrayBuffer()), file.name);
  v.scrollIntoView({ block: "start" });
}

function setupDrop() {
  const input = $("file");
  input.addEventListener("change", () => { if (input.files && input.files[0]) fromFile(input.files[0]); });
  const zone = document.body;
  const drop = $("drop");
  zone.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  zone.addEventListener("dragleave", () => drop.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const f = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
    if (f) fromFile(f);
  });
}

setupDrop();
setupOffline();
fromNode();

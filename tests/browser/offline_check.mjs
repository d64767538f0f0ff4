// tests/browser/offline_check.mjs -- drives Debian's chromium (never a
// downloaded browser) through playwright-core for tests/e2e/page_offline.sh:
// one run is one start of the browser on a browser profile (a user data
// directory) that outlives it, so that a second run sees what the first
// left there (the service worker and its caches), as a buyer's browser does.
//
//   node offline_check.mjs PROFILE TASKS.json
//
// TASKS.json is a list of {"url", "verdict" (optional: false when the page
// shows no verdict of its own, as the drop page), "waitOffline" (optional: wait, 15 s at
// most, for the page to say it is kept for offline use), "waitShell"
// (optional: wait, 15 s at most, until the only cache named keten-shell-*
// is this one, as after a service worker's update), "files" (optional:
// a list of {"path", "how": "drop"|"input"}, each bundle given to the page
// in turn: dropped onto it as a browser drops a file, or set on #file),
// "shot" (optional: a PNG path for a screenshot, taken after the files)}.
// For each task it prints one JSON line: {"url", "loaded" (false with the
// error in "text" when the page did not load), "state" and "text" of
// #verdict once it has data-state (null when it got none in 15 s), "copy"
// (its data-copy), "title", "offline" (the root's data-offline), "caches"
// (the names in the origin's Cache Storage), "files": [{"path", "how",
// "state", "text", "copy"}], "errors": the page's console errors and failed
// requests}.  Exits 0 unless the browser itself fails: the caller judges.
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const [profile, tasksFile] = process.argv.slice(2);
const tasks = JSON.parse(readFileSync(tasksFile, "utf8"));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  headless: true,
  viewport: { width: 412, height: 915 },
  serviceWorkers: "allow",
});

/* The verdict once it has data-state and is not "Checking" (null after 15 s). */
async function verdict(page) {
  try {
    await page.waitForFunction(() => {
      const v = document.getElementById("verdict");
      return v && v.dataset.state && v.textContent.indexOf("Checking") < 0;
    }, null, { timeout: 15000 });
  } catch (e) {
    return { state: null, text: String(e) };
  }
  return page.evaluate(() => {
    const v = document.getElementById("verdict");
    return { state: v.dataset.state, text: v.textContent, copy: v.dataset.copy || null };
  });
}

/* Drops the file at path onto the page, as a browser does: a dragover and
 * a drop event whose DataTransfer holds a File of its bytes. */
async function drop(page, path) {
  const name = path.split("/").pop();
  const b64 = readFileSync(path).toString("base64");
  await page.evaluate(({ name, b64 }) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], name, { type: "application/vnd.keten.bundle+cbor" }));
    for (const type of ["dragover", "drop"])
      document.body.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, { name, b64 });
}

try {
  for (const t of tasks) {
    const page = await ctx.newPage();
    const errors = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("requestfailed", (r) => errors.push("request failed: " + r.url()));
    const out = { url: t.url, loaded: true, files: [] };
    try {
      await page.goto(t.url, { waitUntil: "load" });
    } catch (e) {
      Object.assign(out, { loaded: false, state: null, text: String(e) });
    }
    if (out.loaded) {
      if (t.verdict !== false) Object.assign(out, await verdict(page));
      if (t.waitOffline) {
        try {
          await page.waitForSelector("html[data-offline=ready]", { timeout: 15000 });
        } catch (e) { /* judged by the caller from "offline" */ }
      }
      for (let end = Date.now() + 15000; t.waitShell && Date.now() < end;) {
        const shells = await page.evaluate(async () =>
          (await caches.keys()).filter((k) => k.startsWith("keten-shell-")));
        if (shells.length === 1 && shells[0] === t.waitShell) break;
        await new Promise((ok) => setTimeout(ok, 200));
      }
      for (const f of t.files || []) {
        if (f.how === "drop") await drop(page, f.path);
        else await page.setInputFiles("#file", f.path);
        const name = f.path.split("/").pop();
        let r;
        try {
          await page.waitForFunction((name) => {
            const v = document.getElementById("verdict");
            return v.dataset.state && v.textContent.indexOf("Checking") < 0 &&
              document.getElementById("drop-note").textContent.indexOf(name) === 0;
          }, name, { timeout: 15000 });
          r = await page.evaluate(() => {
            const v = document.getElementById("verdict");
            return { state: v.dataset.state, text: v.textContent, copy: v.dataset.copy || null };
          });
        } catch (e) {
          r = { state: null, text: String(e) };
        }
        out.files.push({ path: f.path, how: f.how, ...r });
      }
      if (t.shot) await page.screenshot({ path: t.shot });
      Object.assign(out, await page.evaluate(async () => ({
        title: document.title,
        offline: document.documentElement.dataset.offline || null,
        caches: "caches" in self ? await caches.keys() : null,
      })));
    }
    out.errors = errors;
    console.log(JSON.stringify(out));
    await page.close();
  }
} finally {
  await ctx.close();
}

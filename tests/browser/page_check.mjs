// tests/browser/page_check.mjs -- drives Debian's chromium (never a
// downloaded browser) through playwright-core for tests/e2e/page.sh.
//
//   node page_check.mjs TASKS.json
//
// TASKS.json is a list of {"url", "file" (optional: a bundle to give the
// page's file input), "shot" (optional: a PNG path), "width", "height"}.
// For each task the page is loaded, the file (if any) is set on #file,
// and the script waits (15 s at most) for #verdict to have data-state; it
// prints one JSON line per task: {"url", "state", "text", "washes",
// "steps", "sealed", "partners" (the partner list's text), "errors"} where errors are the page's console errors
// and failed requests (a Content-Security-Policy violation is one).
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const tasks = JSON.parse(readFileSync(process.argv[2], "utf8"));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
let failed = 0;
try {
  for (const t of tasks) {
    const ctx = await browser.newContext({
      viewport: { width: t.width || 412, height: t.height || 915 },
      deviceScaleFactor: 1,
      isMobile: (t.width || 412) < 600,
    });
    const page = await ctx.newPage();
    const errors = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("requestfailed", (r) => errors.push("request failed: " + r.url()));
    const out = { url: t.url };
    try {
      await page.goto(t.url, { waitUntil: "load" });
      if (t.file) {
        await page.waitForSelector("#file");
        await page.setInputFiles("#file", t.file);
        await page.waitForFunction((name) => {
          const v = document.getElementById("verdict");
          return v.dataset.state && v.textContent.indexOf("Checking") < 0 &&
            document.getElementById("drop-note").textContent.indexOf(name) === 0;
        }, t.file.split("/").pop(), { timeout: 15000 });
      } else {
        await page.waitForSelector("#verdict[data-state]", { timeout: 15000 });
      }
      Object.assign(out, await page.evaluate(() => {
        const v = document.getElementById("verdict");
        const w = document.getElementById("washes");
        return {
          state: v.dataset.state, text: v.textContent,
          washes: w ? Number(w.dataset.washes) : null, max: w ? Number(w.dataset.max) : null,
          steps: document.querySelectorAll("#timeline > li").length,
          sealed: document.querySelectorAll("#timeline > li.sealed").length,
          charts: document.querySelectorAll("#timeline svg.chart").length,
          corrections: document.querySelectorAll("#timeline .tag.fix").length,
          erroneous: document.querySelectorAll("#timeline li.erroneous").length,
          partners: (document.getElementById("partners") || {}).textContent || "",
        };
      }));
      if (t.shot) await page.screenshot({ path: t.shot, fullPage: !!t.full });
    } catch (e) {
      out.state = "error";
      out.text = String(e);
      failed++;
    }
    out.errors = errors;
    console.log(JSON.stringify(out));
    await ctx.close();
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);

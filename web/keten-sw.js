/* keten-sw.js -- the product page's service worker (docs/http.md, "Offline:
 * the page kept in the browser"), served by the node at /_keten/keten-sw.js
 * with Service-Worker-Allowed: / and registered by page.js with scope "/".
 *
 * It keeps the page's shell -- page.html, page.css, page.js, keten-verify.js
 * -- in one cache, keten-shell-{BUILD}, so that the page opens with no node
 * at all once it has been served: at a product page path (/page/01/...)
 * and at the drop page (/_keten/, /_keten/verify), where a buyer drops a
 * bundle file and the page verifies it in the browser.
 *
 * BUILD is a hash of every embedded file of web/, stamped in by web/embed.py
 * when keten is built: a new build is a new script, so the browser installs
 * it, and it deletes the caches of every other build when it takes over.
 *
 * Network first: while the node answers (within SHELL_WAIT_MS) the shell
 * comes from it, revalidated (cache "no-cache": a 304 for what has not
 * changed) and the copy in the cache replaced, so the page is never stale
 * online; only when the node cannot be reached does the cache answer.  An
 * answer of the node that is not 200 (a 400 for a bad Digital Link, a 404)
 * is passed on as it is, never replaced by the cache.
 *
 * It caches nothing else: bundles, traces, events and queries go to the
 * network as if there were no worker.  (page.js keeps the last bundle of
 * each product page in the cache keten-bundles itself and shows such a
 * copy offline only as "the copy of" its signed time.)
 */
const BUILD = "@KETEN_BUILD@";
const SHELL = "keten-shell-" + BUILD;
const SHELL_WAIT_MS = 5000;
const PAGE = "/_keten/page.html";
const FILES = [PAGE, "/_keten/page.css", "/_keten/page.js", "/_keten/keten-verify.js"];

self.addEventListener("install", (e) => {
  e.waitUntil((async () => {
    const c = await caches.open(SHELL);
    await c.addAll(FILES.map((f) => new Request(f, { cache: "no-cache" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (e) => {
  e.waitUntil((async () => {
    for (const k of await caches.keys())
      if (k.startsWith("keten-shell-") && k !== SHELL) await caches.delete(k);
    await self.clients.claim();
  })());
});

/* The key in the cache of a request to the shell, or null when it is none:
 * a navigation to a page path is the page itself. */
function shellKey(req, url) {
  if (url.origin !== self.location.origin || req.method !== "GET") return null;
  const p = url.pathname;
  if (FILES.includes(p)) return p;
  if (req.mode === "navigate" && (p.startsWith("/page/") || p === "/_keten/" || p === "/_keten/verify"))
    return PAGE;
  return null;
}

async function networkFirst(req, key) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), SHELL_WAIT_MS);
  try {
    /* a navigation is fetched as it is (page.html is no-cache already);
     * a file revalidated, past the browser's HTTP cache */
    const r = req.mode === "navigate" ? await fetch(req, { signal: ctl.signal })
                                      : await fetch(req.url, { cache: "no-cache", signal: ctl.signal });
    if (r.status === 200 && !r.redirected) {
      const copy = r.clone();
      caches.open(SHELL).then((c) => c.put(key, copy)).catch(() => {});
    }
    return r;
  } catch (err) {
    const cached = await caches.match(key, { cacheName: SHELL });
    if (cached) return cached;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

self.addEventListener("fetch", (e) => {
  const url = new URL(e.request.url);
  const key = shellKey(e.request, url);
  if (key) e.respondWith(networkFirst(e.request, key));
});

// bench/hypercore/append.mjs -- the comparison of bench/ingest.sh: N entries
// of SIZE bytes appended to one Hypercore, BATCH entries per append() call
// (the same count keten commits durably at once). Hypercore signs once per
// append() and does not fsync. Installed by bench/hypercore/ensure.sh into
// bench/hypercore/node_modules (git-ignored); it is not part of keten.
//
//   node append.mjs DIR N SIZE BATCH
//
// Prints one JSON line: entries, ms (the appends only), entriesPerSec,
// cpuMs, maxRssMB, bytesOnDisk.
import Hypercore from 'hypercore'
import fs from 'fs'
import path from 'path'

const [dir, n, size, batch] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])]

function du (p) {
  let total = 0
  for (const e of fs.readdirSync(p, { withFileTypes: true })) {
    const f = path.join(p, e.name)
    total += e.isDirectory() ? du(f) : fs.statSync(f).size
  }
  return total
}

const core = new Hypercore(dir)
await core.ready()
const pending = []
let ms = 0
for (let i = 0; i < n;) {
  const k = Math.min(batch, n - i)
  pending.length = 0
  for (let j = 0; j < k; j++, i++) {
    const b = Buffer.alloc(size, ' ')
    b.write(`{"type":"ObjectEvent","eventTime":"2026-12-07T10:00:00Z","epcList":["urn:epc:id:sgtin:4012345.011111.${i}"]}`)
    pending.push(b)
  }
  const t0 = process.hrtime.bigint()
  await core.append(pending)
  ms += Number(process.hrtime.bigint() - t0) / 1e6
}
await core.close()
const u = process.resourceUsage()
console.log(JSON.stringify({
  entries: n,
  ms: Math.round(ms),
  entriesPerSec: Math.round(n / (ms / 1000)),
  cpuMs: Math.round((u.userCPUTime + u.systemCPUTime) / 1000),
  maxRssMB: Math.round(u.maxRSS / 1024),
  bytesOnDisk: du(dir)
}))

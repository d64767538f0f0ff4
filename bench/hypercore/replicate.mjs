// bench/hypercore/replicate.mjs -- the comparison of bench/replicate.sh:
// N entries of SIZE bytes replicated between two Hypercore processes over
// TCP on 127.0.0.1. Hypercore is installed by bench/replicate.sh into
// bench/hypercore/node_modules (git-ignored); it is not part of keten.
//
//   node replicate.mjs writer DIR N SIZE PORTFILE   appends N entries, serves them
//   node replicate.mjs reader DIR KEYHEX PORT N     downloads all N, prints figures
//
// Each prints one JSON line with its CPU time and peak RSS; the reader also
// prints the wall time of the replication (connect to the last block stored).
import Hypercore from 'hypercore'
import net from 'net'
import fs from 'fs'

const [role, dir] = process.argv.slice(2, 4)

function usage () {
  const u = process.resourceUsage()
  return { cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, maxRssMB: Math.round(u.maxRSS / 1024) }
}

if (role === 'writer') {
  const n = Number(process.argv[4]); const size = Number(process.argv[5]); const portfile = process.argv[6]
  const core = new Hypercore(dir)
  await core.ready()
  const t0 = Date.now()
  const batch = []
  for (let i = 0; i < n; i++) {
    const b = Buffer.alloc(size, 'x')
    b.write(`{"entry":${i},"type":"ObjectEvent"}`)
    batch.push(b)
    if (batch.length === 10000) { await core.append(batch); batch.length = 0 }
  }
  if (batch.length) await core.append(batch)
  const appendMs = Date.now() - t0
  const cpuBefore = usage().cpuMs
  const server = net.createServer(socket => {
    const s = core.replicate(false, { keepAlive: true })
    socket.pipe(s).pipe(socket)
    socket.on('error', () => {}); s.on('error', () => {})
  })
  server.listen(0, '127.0.0.1', () => {
    fs.writeFileSync(portfile, JSON.stringify({ port: server.address().port, key: core.key.toString('hex'), appendMs }))
  })
  process.on('SIGTERM', () => {
    const u = usage()
    console.log(JSON.stringify({ role: 'writer', appendMs, replCpuMs: Math.round(u.cpuMs - cpuBefore), maxRssMB: u.maxRssMB }))
    process.exit(0)
  })
} else {
  const key = Buffer.from(process.argv[4], 'hex'); const port = Number(process.argv[5]); const n = Number(process.argv[6])
  const core = new Hypercore(dir, key)
  await core.ready()
  const t0 = Date.now()
  const socket = net.connect(port, '127.0.0.1')
  const s = core.replicate(true, { keepAlive: true })
  socket.pipe(s).pipe(socket)
  await core.download({ start: 0, end: n }).done()
  const have = core.contiguousLength
  await core.close() // flushes the storage
  const ms = Date.now() - t0
  const u = usage()
  console.log(JSON.stringify({ role: 'reader', entries: have, ms, entriesPerSec: Math.round(n * 1000 / ms), cpuMs: Math.round(u.cpuMs), maxRssMB: u.maxRssMB }))
  socket.destroy()
  process.exit(0)
}

// ws_push.js - a WebSocket protocol that is not MQTT, for make_real.sh: the
// server pushes bursts of random binary frames (1..300 bytes, most under
// 126: unmasked, each is byte for byte an MQTT SUBSCRIBE) and JSON text
// frames to each client; the client sends a few masked binary frames and
// Pings, then closes. Deterministic in what it sends (a seeded LCG).
//   node ws_push.js server PORT | client PORT SEED FRAMES
const WS = require('ws')
const mode = process.argv[2]
const port = Number(process.argv[3])
const lcg = (seed) => () => { seed = (seed * 1664525 + 1013904223) >>> 0; return seed / 4294967296 }
const randomBytes = (rnd, n) => { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256); return b }
if (mode === 'server') {
  const wss = new WS.WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false })
  wss.on('connection', (ws, req) => {
    const rnd = lcg(Number(new URL(req.url, 'http://x').searchParams.get('seed')) >>> 0)
    const frames = Number(new URL(req.url, 'http://x').searchParams.get('frames'))
    let sent = 0
    const burst = () => {
      if (ws.readyState !== WS.OPEN) return
      const n = 1 + Math.floor(rnd() * 5)
      for (let i = 0; i < n && sent < frames; i++, sent++) {
        if (rnd() < 0.8) ws.send(randomBytes(rnd, rnd() < 0.85 ? 1 + Math.floor(rnd() * 120) : 126 + Math.floor(rnd() * 175)), { binary: true })
        else ws.send(JSON.stringify({ seq: sent, v: rnd() }))
      }
      if (sent < frames) setTimeout(burst, Math.floor(rnd() * 30))
      else ws.send('done')
    }
    burst()
    ws.on('message', () => {})
  })
  wss.on('listening', () => console.log('listening'))
} else {
  const seed = Number(process.argv[4])
  const frames = Number(process.argv[5])
  const rnd = lcg(seed + 7)
  const ws = new WS(`ws://127.0.0.1:${port}/push?seed=${seed}&frames=${frames}`, { perMessageDeflate: false })
  ws.on('message', (d, isBinary) => {
    if (!isBinary && d.toString() === 'done') { ws.close(1000, 'done'); return }
    if (rnd() < 0.05) ws.send(randomBytes(rnd, 1 + Math.floor(rnd() * 60)), { binary: true })
    if (rnd() < 0.02) ws.ping('p')
  })
  ws.on('close', () => process.exit(0))
  ws.on('error', (e) => { console.error(String(e)); process.exit(1) })
}

// A WebSocket protocol that is not MQTT (make-verdicts.sh): Node ws, subprotocol "chat.bin",
// the client sends seeded random binary frames (1..300 bytes, many of 2 bytes) and Pings; the
// server echoes. argv: server PORT | client PORT SEED LOG
const WS = require('ws')
const fs = require('fs')
const mode = process.argv[2]
const port = Number(process.argv[3])
if (mode === 'server') {
  const wss = new WS.WebSocketServer({ host: '127.0.0.1', port, handleProtocols: (p) => (p.has('chat.bin') ? 'chat.bin' : false) })
  wss.on('connection', (ws) => ws.on('message', (d, isBinary) => ws.send(d, { binary: isBinary })))
  wss.on('listening', () => console.log('listening'))
} else {
  let seed = Number(process.argv[4]) >>> 0
  const rnd = () => { seed = (seed * 1664525 + 1013904223) >>> 0; return seed / 4294967296 }  // LCG, seeded
  const out = fs.openSync(process.argv[5], 'w')
  const log = (m) => fs.writeSync(out, `${(Date.now() / 1000).toFixed(6)} ${m}\n`)
  const ws = new WS(`ws://127.0.0.1:${port}/chat`, ['chat.bin'])
  let sent = 0
  const step = () => {
    if (sent >= 50) { log('CLOSE 1000 sent'); ws.close(1000, 'done'); return }
    const r = rnd()
    const size = r < 0.35 ? 2 : r < 0.7 ? 3 + Math.floor(rnd() * 38) : 41 + Math.floor(rnd() * 260)
    const buf = Buffer.alloc(size)
    for (let i = 0; i < size; i++) buf[i] = Math.floor(rnd() * 256)
    ws.send(buf, { binary: true })
    if (sent % 10 === 0) ws.ping('p' + sent)
    sent += 1
    setTimeout(step, [0, 20, 150, 400][Math.floor(rnd() * 4)])
  }
  ws.on('open', () => { log(`OPEN LOCAL_PORT ${ws._socket.localPort}`); step() })
  ws.on('close', (code) => { log(`CLOSED ${code} after ${sent} frames`); process.exit(0) })
}

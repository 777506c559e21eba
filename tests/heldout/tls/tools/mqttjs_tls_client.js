// MQTT.js client for the held-out TLS captures (tests/heldout/make-tls.sh). argv[2]: JSON
// { url, protocolVersion, keepalive, clientId, sub, pub, duration, end, tls, ciphers, ca, keylog, log }.
// Logs "<epoch> <message>"; SEND/RECV lines come from MQTT.js's packetsend/packetreceive events,
// TLS_INFO from the TLS socket's getProtocol()/getCipher()/servername at CONNACK.
//
// Key log: Node's TLS sockets emit 'keylog' (NSS key log lines). For mqtts:// MQTT.js builds its
// TLS socket synchronously inside mqtt.connect(), so client.stream is that socket right after the
// call; for wss:// the WebSocket's https request goes through an https.Agent, whose 'keylog' event
// carries every line of its sockets. (node --tls-keylog=FILE does the same for a whole process.)
//
// tls: "off" (cleartext twin), "1.2" (maxVersion TLSv1.2 + ciphers), "1.3" (minVersion TLSv1.3,
// ciphers = one TLS 1.3 suite).
// end "disconnect": DISCONNECT after DURATION s; "exit": process.exit after DURATION s (kernel FIN,
// no DISCONNECT, no close_notify, no WebSocket Close); "hold": stay until the connection is lost
// (keepalive timeout on a frozen broker), then exit.
const mqtt = require('mqtt')
const WS = require('ws')
const fs = require('fs')
const https = require('https')
const a = JSON.parse(process.argv[2])
const out = fs.openSync(a.log, 'w')
const now = () => (performance.timeOrigin + performance.now()) / 1000
const log = (m) => fs.writeSync(out, `${now().toFixed(6)} ${m}\n`)
const keylog = (line) => { if (a.keylog) fs.appendFileSync(a.keylog, line) }
let rawWs = null
const tlsOpts = {}
if (a.tls && a.tls !== 'off') {
  tlsOpts.ca = fs.readFileSync(a.ca)
  tlsOpts.rejectUnauthorized = true
  if (a.tls === '1.2') { tlsOpts.minVersion = 'TLSv1.2'; tlsOpts.maxVersion = 'TLSv1.2' } else { tlsOpts.minVersion = 'TLSv1.3'; tlsOpts.maxVersion = 'TLSv1.3' }
  if (a.ciphers) tlsOpts.ciphers = a.ciphers
}
const opts = {
  protocolVersion: a.protocolVersion || 4,
  keepalive: a.keepalive,
  clientId: a.clientId || '',
  clean: true,
  reconnectPeriod: 0,
  connectTimeout: 30000,   // a loaded machine takes seconds to start a client
  ...tlsOpts,
  createWebsocket: (url, protocols, o) => {
    const wo = { ...tlsOpts }
    if (a.tls && a.tls !== 'off') {
      const agent = new https.Agent({ ...tlsOpts, keepAlive: false })
      agent.on('keylog', (line) => keylog(line))
      wo.agent = agent
    }
    rawWs = new WS(url, protocols, wo)
    rawWs.on('open', () => log(`LOCAL_ADDR ${rawWs._socket.localAddress} LOCAL_PORT ${rawWs._socket.localPort}`))
    rawWs.on('close', (code, reason) => log(`WS_CLOSE code=${code} reason=${reason}`))
    return rawWs
  }
}
log(`START pid=${process.pid} mqtt.js ${require('mqtt/package.json').version} node ${process.version} openssl ${process.versions.openssl} url=${a.url}`)
const c = mqtt.connect(a.url, opts)
if (!a.url.startsWith('ws') && a.tls && a.tls !== 'off' && c.stream && c.stream.on) c.stream.on('keylog', (line) => keylog(line))
c.on('packetsend', (p) => log(`SEND ${p.cmd}`))
c.on('packetreceive', (p) => {
  log(`RECV ${p.cmd}${p.cmd === 'connack' ? ' ' + JSON.stringify({ rc: p.returnCode ?? p.reasonCode, properties: p.properties || {} }) : ''}`)
})
c.on('error', (e) => log(`ERROR ${e.message}`))
c.on('close', () => {
  log('CLOSE')
  if (a.end === 'hold') setTimeout(() => process.exit(0), 300)
})
c.on('message', (t, m) => log(`MESSAGE topic=${t} len=${m.length}`))
c.on('connect', () => {
  log('CONNECTED')
  const s = rawWs ? rawWs._socket : c.stream
  if (!rawWs && s) log(`LOCAL_ADDR ${s.localAddress} LOCAL_PORT ${s.localPort}`)
  if (s && typeof s.getProtocol === 'function') {
    const ci = s.getCipher()
    log(`TLS_INFO version=${s.getProtocol()} cipher=${ci.name} standard_name=${ci.standardName} sni=${s.servername || ''}`)
  }
  for (const t of a.sub || []) c.subscribe(t, { qos: 1 })
  for (const p of a.pub || []) {
    setTimeout(() => {
      c.publish(p.topic, Buffer.alloc(p.size, 'mqttka-heldout-'), { qos: p.qos })
      log(`PUBLISH_CALLED topic=${p.topic} len=${p.size} qos=${p.qos}`)
    }, p.at * 1000)
  }
  if (a.duration >= 0 && (a.end === 'disconnect' || a.end === 'exit')) {
    setTimeout(() => {
      if (a.end === 'disconnect') {
        log('END disconnect')
        c.end(false, () => { log('END done'); setTimeout(() => process.exit(0), 300) })
      } else {
        log('END exit (no DISCONNECT, process exits, kernel closes the socket)')
        process.exit(0)
      }
    }, a.duration * 1000)
  }
})

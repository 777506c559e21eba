// MQTT.js client for the held-out captures (tests/heldout/make-verdicts.sh). argv[2]: JSON
// { url, protocolVersion, keepalive, clientId, sub, pub, duration, end, stallAfter, pingdiscAfter, wsOptions, log }.
// Logs "<epoch> <message>"; SEND/RECV lines come from MQTT.js's packetsend/packetreceive events.
//
// end "exit":     process.exit DURATION s after CONNACK (kernel FIN, no DISCONNECT, no Close).
// end "stall":    from the STALLAFTER-th PINGREQ on, the process stops itself (SIGSTOP) in the
//                 event loop's check phase (setImmediate) right after its PINGREQ was written and
//                 before the PINGRESP was read; if the PINGRESP was already read, it waits for
//                 the next PINGREQ. The script sends SIGCONT later: the next loop iteration runs
//                 timers before reading the socket, so MQTT.js's keepalive check fires
//                 ("Keepalive timeout") with the PINGRESP in its socket buffer.
// end "pingdisc": DISCONNECT (client.end) queued right behind the PINGDISCAFTER-th PINGREQ.
const mqtt = require('mqtt')
const WS = require('ws')
const fs = require('fs')
const a = JSON.parse(process.argv[2])
const out = fs.openSync(a.log, 'w')
const now = () => (performance.timeOrigin + performance.now()) / 1000
const log = (m) => fs.writeSync(out, `${now().toFixed(6)} ${m}\n`)
let rawWs = null
const opts = {
  protocolVersion: a.protocolVersion || 4,
  keepalive: a.keepalive,
  clientId: a.clientId || '',
  clean: true,
  reconnectPeriod: 0,
  connectTimeout: 30000,   // a loaded machine takes seconds to start a client
  ...(a.wsOptions ? { wsOptions: a.wsOptions } : {}),   // e.g. { perMessageDeflate: { threshold: 0 } } (deflate/make-deflate.sh)
  createWebsocket: (url, protocols, o) => {
    rawWs = new WS(url, protocols, o.wsOptions)
    rawWs.on('open', () => log(`LOCAL_ADDR ${rawWs._socket.localAddress} LOCAL_PORT ${rawWs._socket.localPort}`))
    if (a.wsOptions) rawWs.on('open', () => log(`WS_EXTENSIONS ${rawWs.extensions}`))
    rawWs.on('close', (code, reason) => log(`WS_CLOSE code=${code} reason=${reason}`))
    return rawWs
  }
}
log(`START pid=${process.pid} mqtt.js ${require('mqtt/package.json').version} url=${a.url}`)
const c = mqtt.connect(a.url, opts)
let pings = 0
let awaitingPingresp = false
c.on('packetsend', (p) => {
  log(`SEND ${p.cmd}`)
  if (p.cmd !== 'pingreq') return
  pings += 1
  awaitingPingresp = true
  if (a.end === 'stall' && pings >= (a.stallAfter || 1)) {
    setImmediate(() => {
      if (!awaitingPingresp) { log(`STALL_MISSED PINGREQ ${pings}: PINGRESP already read`); return }
      log(`SELF_STOP after PINGREQ ${pings}`)
      process.kill(process.pid, 'SIGSTOP')
      log('RESUMED')
      a.end = 'stalled'
    })
  } else if (a.end === 'pingdisc' && pings === (a.pingdiscAfter || 1)) {
    process.nextTick(() => {
      log(`END pingdisc: DISCONNECT right after PINGREQ ${pings}`)
      c.end(false, () => { log('END done'); setTimeout(() => process.exit(0), 300) })
    })
  }
})
c.on('packetreceive', (p) => {
  if (p.cmd === 'pingresp') awaitingPingresp = false
  log(`RECV ${p.cmd}${p.cmd === 'connack' ? ' ' + JSON.stringify({ rc: p.returnCode ?? p.reasonCode, properties: p.properties || {} }) : ''}`)
})
c.on('error', (e) => log(`ERROR ${e.message}`))
c.on('close', () => {
  log('CLOSE')
  if (a.end === 'stalled' || a.end === 'stall') setTimeout(() => process.exit(0), 300)
})
c.on('message', (t, m) => log(`MESSAGE topic=${t} len=${m.length}`))
c.on('connect', () => {
  log('CONNECTED')
  if (!rawWs && c.stream) log(`LOCAL_ADDR ${c.stream.localAddress} LOCAL_PORT ${c.stream.localPort}`)
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

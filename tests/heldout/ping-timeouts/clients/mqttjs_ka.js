// MQTT.js client for tests/heldout/ping-timeouts: plain TCP, subscribe, then only keepalive.
// No reconnect (reconnectPeriod 0); exits when the connection closes. Log lines "<epoch> <message>".
//   node mqttjs_ka.js MODULE KA ID LOGFILE [PORT]      (MODULE: the folder of mqtt@4 or mqtt@5)
'use strict'
const fs = require('fs')
const [mod, ka, id, logf, port] = process.argv.slice(2)
const mqtt = require(mod)
const version = require(mod + '/package.json').version
const out = fs.openSync(logf, 'a')
const log = (m) => fs.writeSync(out, (Date.now() / 1000).toFixed(3) + ' ' + m + '\n')
log('START mqttjs ' + version + ' ka=' + ka)
const c = mqtt.connect({ host: '127.0.0.1', port: Number(port || 1883), protocol: 'mqtt',
  keepalive: Number(ka), clientId: id, reconnectPeriod: 0, protocolVersion: 4 })
c.on('connect', () => { log('CONNACK'); c.subscribe('ka/' + id) })
c.on('packetsend', (p) => { if (p.cmd === 'pingreq') log('PINGREQ sent') })
c.on('packetreceive', (p) => { if (p.cmd === 'pingresp') log('PINGRESP received') })
c.on('error', (e) => log('ERROR ' + e.message))
c.on('close', () => { log('CLOSE'); process.exit(0) })

// aedes behind Node's `ws` with permessage-deflate, for tests/heldout/deflate/make-deflate.sh.
// argv[2]: port; argv[3]: ws's perMessageDeflate option as JSON. Logs "<epoch> <event> port=<client port> ..."
// lines: the WebSocket connection (with the negotiated extensions), the MQTT client id of each
// connection, every PINGREQ received (aedes answers it at once), client disconnects and errors.
import http from 'node:http'
import { Aedes } from 'aedes'
import { WebSocketServer, createWebSocketStream } from 'ws'
const port = Number(process.argv[2] || 1882)
const perMessageDeflate = JSON.parse(process.argv[3] || '{"threshold": 0}')
const t = () => (Date.now() / 1000).toFixed(3)
const aedes = await Aedes.createBroker()
const server = http.createServer((req, res) => { res.statusCode = 404; res.end() })
const wss = new WebSocketServer({ server, perMessageDeflate })
wss.on('connection', (websocket, req) => {
  const peer = req.socket.remotePort
  console.log(`${t()} ws_connection port=${peer} extensions=${websocket.extensions}`)
  websocket.on('close', (code) => console.log(`${t()} ws_close port=${peer} code=${code}`))
  const stream = createWebSocketStream(websocket)
  stream.mqttkaPort = peer
  aedes.handle(stream, req)
})
const portOf = (c) => (c && c.conn && c.conn.mqttkaPort) || '?'
aedes.on('client', (c) => console.log(`${t()} client port=${portOf(c)} id=${c.id}`))
aedes.on('ping', (p, c) => console.log(`${t()} pingreq port=${portOf(c)} id=${c.id}`))
aedes.on('clientDisconnect', (c) => console.log(`${t()} clientDisconnect port=${portOf(c)} id=${c.id}`))
aedes.on('clientError', (c, e) => console.log(`${t()} clientError port=${portOf(c)} id=${c.id} ${e.message}`))
server.listen(port, '127.0.0.1', () => console.log(`${t()} listening port=${port} pid=${process.pid}`))

-- ws_mqtt.lua - for bench/run.sh: stock tshark's nearest equivalent of what
-- mqttka does by itself. Wireshark 4.0 hands a WebSocket's payload to the
-- dissector registered for its subprotocol in "ws.protocol", and registers
-- none for "mqtt": this line routes it to the MQTT dissector.
DissectorTable.get("ws.protocol"):add("mqtt", Dissector.get("mqtt"))

// paho.mqtt.golang client for tests/heldout/ping-timeouts (Debian's
// golang-github-eclipse-paho.mqtt.golang-dev, built in GOPATH mode): plain TCP, subscribe, then
// only keepalive, with the library's default PingTimeout. No auto-reconnect; exits when the
// connection is lost. Log lines "<epoch> <message>".
//
//	golang_ka KA ID LOGFILE [PORT]
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

func main() {
	ka, _ := strconv.Atoi(os.Args[1])
	id, logf := os.Args[2], os.Args[3]
	port := "1883"
	if len(os.Args) > 4 {
		port = os.Args[4]
	}
	out, err := os.OpenFile(logf, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0644)
	if err != nil {
		panic(err)
	}
	log := func(m string) {
		fmt.Fprintf(out, "%.6f %s\n", float64(time.Now().UnixNano())/1e9, m)
	}
	opts := mqtt.NewClientOptions().AddBroker("tcp://127.0.0.1:" + port).SetClientID(id)
	opts.SetKeepAlive(time.Duration(ka) * time.Second)
	opts.SetAutoReconnect(false)
	opts.SetConnectionLostHandler(func(c mqtt.Client, e error) {
		log("CONNECTION_LOST " + e.Error())
		os.Exit(0)
	})
	log(fmt.Sprintf("START golang ka=%d ping_timeout=%s", ka, opts.PingTimeout))
	c := mqtt.NewClient(opts)
	if t := c.Connect(); t.Wait() && t.Error() != nil {
		log("CONNECT_ERROR " + t.Error().Error())
		os.Exit(1)
	}
	log("CONNACK")
	c.Subscribe("ka/"+id, 0, nil)
	select {}
}

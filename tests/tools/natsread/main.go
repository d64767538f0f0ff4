// natsread -- an independent reader of a JetStream stream for the keten
// e2e tests (tests/e2e/nats.sh): Debian's Go client (golang-github-nats-io-
// go-nats-dev), not keten's code.  Reads every message of the stream from
// the first with an ordered consumer and prints one line per message:
//
//	<stream seq> <subject> <Keten-Feed> <Keten-Seq> <Nats-Msg-Id> <Keten-Event-Hash or -> <body bytes>
//
// then "END <count>" once the stream's last message (at start) was read.
// With -headers it prints each header as "Key: value" after its line,
// with -body each body on a line of its own.
// Exits 1 on any error or when -timeout passes first.  With -mkstream
// SUBJECT it only creates the stream with that one subject (for a test of
// a stream that exists with other subjects) and prints "CREATED"; with
// -count it prints the number of messages in the stream.  With -publish
// SUBJECT it publishes each file named after the flags as one message on
// SUBJECT (JetStream, waiting for each acknowledgement) and prints
// "PUBLISHED <n>" (the documents of a capture test: node_capture_nats.h).
//
//	natsread -server nats://127.0.0.1:4222 -stream KETEN [-body] [-timeout 20s]
//	natsread -server nats://127.0.0.1:4222 -stream OTHER -mkstream 'other.>'
//	natsread -server nats://127.0.0.1:4222 -publish mes.events a.json b.json
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
)

func main() {
	server := flag.String("server", nats.DefaultURL, "NATS URL(s), comma-separated")
	stream := flag.String("stream", "KETEN", "the JetStream stream")
	body := flag.Bool("body", false, "print each body too")
	headers := flag.Bool("headers", false, "print each message's headers too")
	timeout := flag.Duration("timeout", 20*time.Second, "give up after")
	mk := flag.String("mkstream", "", "create the stream with this subject, then exit")
	replicas := flag.Int("replicas", 1, "with -mkstream: the stream's replicas")
	count := flag.Bool("count", false, "print the number of messages in the stream, then exit")
	latency := flag.Int("latency", 0, "receive this many new messages, print latency percentiles")
	publish := flag.String("publish", "", "publish each file argument as one message on this subject")
	flag.Parse()
	nc, err := nats.Connect(*server, nats.Timeout(5*time.Second))
	if err != nil {
		fmt.Fprintln(os.Stderr, "natsread: connect:", err)
		os.Exit(1)
	}
	defer nc.Close()
	js, err := nc.JetStream()
	if err != nil {
		fmt.Fprintln(os.Stderr, "natsread: jetstream:", err)
		os.Exit(1)
	}
	if *publish != "" {
		for _, f := range flag.Args() {
			data, err := os.ReadFile(f)
			if err != nil {
				fmt.Fprintln(os.Stderr, "natsread:", err)
				os.Exit(1)
			}
			if _, err := js.Publish(*publish, data); err != nil {
				fmt.Fprintln(os.Stderr, "natsread: publish", f+":", err)
				os.Exit(1)
			}
		}
		fmt.Printf("PUBLISHED %d\n", len(flag.Args()))
		return
	}
	if *mk != "" {
		if _, err := js.AddStream(&nats.StreamConfig{Name: *stream, Subjects: []string{*mk},
			Replicas: *replicas, Storage: nats.FileStorage}); err != nil {
			fmt.Fprintln(os.Stderr, "natsread: add stream:", err)
			os.Exit(1)
		}
		fmt.Println("CREATED")
		return
	}
	if *latency > 0 {
		measure(js, *stream, *latency, *timeout)
		return
	}
	si, err := js.StreamInfo(*stream)
	if err != nil {
		fmt.Fprintln(os.Stderr, "natsread: stream info:", err)
		os.Exit(1)
	}
	if *count {
		fmt.Println(si.State.Msgs)
		return
	}
	last := si.State.LastSeq
	if si.State.Msgs == 0 {
		fmt.Println("END 0")
		return
	}
	sub, err := js.SubscribeSync(">", nats.BindStream(*stream), nats.OrderedConsumer(),
		nats.DeliverAll())
	if err != nil {
		fmt.Fprintln(os.Stderr, "natsread: subscribe:", err)
		os.Exit(1)
	}
	deadline := time.Now().Add(*timeout)
	n := 0
	for {
		m, err := sub.NextMsg(time.Until(deadline))
		if err != nil {
			fmt.Fprintln(os.Stderr, "natsread: next:", err)
			os.Exit(1)
		}
		md, err := m.Metadata()
		if err != nil {
			fmt.Fprintln(os.Stderr, "natsread: metadata:", err)
			os.Exit(1)
		}
		h := func(k string) string {
			if v := m.Header.Get(k); v != "" {
				return v
			}
			return "-"
		}
		fmt.Printf("%d %s %s %s %s %s %d\n", md.Sequence.Stream, m.Subject, h("Keten-Feed"),
			h("Keten-Seq"), h("Nats-Msg-Id"), h("Keten-Event-Hash"), len(m.Data))
		if *headers {
			keys := make([]string, 0, len(m.Header))
			for k := range m.Header {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Printf("%s: %s\n", k, m.Header.Get(k))
			}
		}
		if *body {
			fmt.Println(string(m.Data))
		}
		n++
		if md.Sequence.Stream >= last {
			break
		}
	}
	fmt.Printf("END %d\n", n)
}

// measure receives n new messages and prints the percentiles of receive
// time minus Keten-Record-Time (ms, the entry's signed record time).
func measure(js nats.JetStreamContext, stream string, n int, timeout time.Duration) {
	sub, err := js.SubscribeSync(">", nats.BindStream(stream), nats.OrderedConsumer(),
		nats.DeliverNew())
	if err != nil {
		fmt.Fprintln(os.Stderr, "natsread: subscribe:", err)
		os.Exit(1)
	}
	fmt.Println("READY")
	deadline := time.Now().Add(timeout)
	lat := make([]float64, 0, n)
	for len(lat) < n {
		m, err := sub.NextMsg(time.Until(deadline))
		if err != nil {
			fmt.Fprintln(os.Stderr, "natsread: next:", err)
			os.Exit(1)
		}
		now := float64(time.Now().UnixNano()) / 1e6
		rt, err := strconv.ParseFloat(m.Header.Get("Keten-Record-Time"), 64)
		if err != nil {
			fmt.Fprintln(os.Stderr, "natsread: no Keten-Record-Time")
			os.Exit(1)
		}
		lat = append(lat, now-rt)
	}
	sort.Float64s(lat)
	p := func(q float64) float64 { return lat[int(q*float64(len(lat)-1))] }
	fmt.Printf("latency ms over %d messages: p50 %.1f p99 %.1f max %.1f\n", n, p(0.5), p(0.99),
		lat[len(lat)-1])
}

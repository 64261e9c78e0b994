package main

// Optional behaviour for end-to-end tests (tests/e2e), all off by default:
//
//	--events-script FILE   act like an OpenAI Realtime data channel: no pattern messages; send the
//	                       script's messages when the channel opens and when a text message of a
//	                       given `type` arrives; report every received text message on stdout as
//	                       {"type":"event","event":"dc_message","label":…,"text":…}
//	--record-messages FILE append every received text message to FILE, one per line
//	--rtp-on-command       send the pattern RTP only after {"type":"send_rtp"} on stdin
//	--dtmf N               send N telephone-event packets (RFC 4733, PT --dtmf-pt) among the
//	                       pattern; the report counts received telephone-event-like packets
//	--states               report connection state changes as {"type":"event","event":"state",…}
//	                       and the first received RTP packet as {"type":"event","event":"first_rtp",…}
//	--report-rtp           report every received RTP packet as {"type":"event","event":"rtp","seq":…,
//	                       "ts":…,"pt":…,"marker":…,"payload":hex,"t_ms":ms since start} (a test
//	                       checks exactly what arrived, e.g. an announcement's Opus packets)
//
// Extra stdin commands (any mode): {"type":"send_rtp"}, {"type":"dc_send","text":…} (a text
// message on the data channel), {"type":"hangup"} (close the PeerConnection, then keep waiting for
// `close` so the report still comes).

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/pion/datachannel"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v3"
)

// scriptRule sends `Send` when the channel opens (On == "open") or when a text message whose
// `type` equals On arrives; DelayMs postpones the sending.
type scriptRule struct {
	On      string            `json:"on"`
	DelayMs int               `json:"delay_ms"`
	Send    []json.RawMessage `json:"send"`
}

type control struct {
	tcpListener  *resettableListener // with --tcp-passive: for the tcp_reset command
	rules        []scriptRule
	scripted     bool
	recordPath   string
	rtpOnCommand bool
	states       bool
	reportRTP    bool
	started      time.Time
	dtmf         int
	dtmfPT       uint8

	mu       sync.Mutex
	channel  datachannel.ReadWriteCloser
	label    string
	rtpGate  chan struct{}
	dtmfSent int
	// received packets that look like telephone-event (its PT, or a 4-byte payload); under p.mu
	dtmfLikeReceived int
	gateOnce         sync.Once
	record           *os.File
}

func newControl(o options) (*control, error) {
	c := &control{recordPath: o.recordMessages, rtpOnCommand: o.rtpOnCommand, states: o.states,
		reportRTP: o.reportRTP, started: time.Now(), rtpGate: make(chan struct{}), dtmf: o.dtmf,
		dtmfPT: uint8(o.dtmfPT)}
	if o.eventsScript != "" {
		raw, err := os.ReadFile(o.eventsScript)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &c.rules); err != nil {
			return nil, fmt.Errorf("events script %s: %v", o.eventsScript, err)
		}
		c.scripted = true
	}
	if c.recordPath != "" {
		f, err := os.OpenFile(c.recordPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, err
		}
		c.record = f
	}
	if !c.rtpOnCommand {
		close(c.rtpGate)
	}
	return c, nil
}

// openChannel remembers the channel for dc_send and runs the "open" rules.
func (c *control) openChannel(p *peer, label string, raw datachannel.ReadWriteCloser) {
	c.mu.Lock()
	c.channel, c.label = raw, label
	c.mu.Unlock()
	if c.scripted {
		p.emit(map[string]interface{}{"type": "event", "event": "dc_open", "label": label})
	}
	c.run(raw, "open")
}

// onText records a received text message and runs the rules for its type.
func (c *control) onText(p *peer, label string, data []byte) {
	if c.record != nil {
		c.mu.Lock()
		_, _ = c.record.Write(append(append([]byte{}, data...), '\n'))
		c.mu.Unlock()
	}
	if !c.scripted {
		return
	}
	p.emit(map[string]interface{}{"type": "event", "event": "dc_message", "label": label,
		"text": string(data)})
	var m struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(data, &m) == nil && m.Type != "" {
		c.mu.Lock()
		raw := c.channel
		c.mu.Unlock()
		c.run(raw, m.Type)
	}
}

func (c *control) run(raw datachannel.ReadWriteCloser, on string) {
	for _, r := range c.rules {
		if r.On != on {
			continue
		}
		send := func(r scriptRule) {
			for _, msg := range r.Send {
				if _, err := raw.WriteDataChannel(msg, true); err != nil {
					logf("script send: %v", err)
				}
			}
		}
		if r.DelayMs > 0 {
			go func(r scriptRule) {
				time.Sleep(time.Duration(r.DelayMs) * time.Millisecond)
				send(r)
			}(r)
		} else {
			send(r)
		}
	}
}

// command handles the extra stdin commands; returns false for lines it does not know.
func (c *control) command(p *peer, pc *webrtc.PeerConnection, m map[string]interface{}) bool {
	switch m["type"] {
	case "send_rtp":
		c.gateOnce.Do(func() { close(c.rtpGate) })
	case "dc_send":
		text, _ := m["text"].(string)
		c.mu.Lock()
		raw := c.channel
		c.mu.Unlock()
		if raw == nil {
			p.emit(map[string]interface{}{"type": "event", "event": "dc_send_failed", "reason": "no open channel"})
			return true
		}
		if _, err := raw.WriteDataChannel([]byte(text), true); err != nil {
			p.emit(map[string]interface{}{"type": "event", "event": "dc_send_failed", "reason": err.Error()})
		}
	case "tcp_reset":
		// Aborts the ICE-TCP connections (RST), as a crashed or cut-off server would.
		n := 0
		if c.tcpListener != nil {
			n = c.tcpListener.resetAll()
		}
		p.emit(map[string]interface{}{"type": "event", "event": "tcp_reset", "connections": n})
	case "hangup":
		p.closing.Store(true)
		go func() {
			err := pc.Close()
			p.emit(map[string]interface{}{"type": "event", "event": "hung_up", "error": fmt.Sprint(err)})
		}()
	default:
		return false
	}
	return true
}

func (c *control) stateChanged(p *peer, s webrtc.PeerConnectionState) {
	if c.states {
		p.emit(map[string]interface{}{"type": "event", "event": "state", "state": s.String()})
	}
}

// firstRTP reports the first received RTP packet (called with p.mu held), so a test can tell
// when media began.
func (c *control) firstRTP(p *peer, pkt *rtp.Packet) {
	if c.states {
		go p.emit(map[string]interface{}{"type": "event", "event": "first_rtp", "pt": pkt.PayloadType,
			"size": len(pkt.Payload)})
	}
}

// receivedRTP reports one received packet (--report-rtp); called with p.mu held, so the events
// leave in arrival order.
func (c *control) receivedRTP(p *peer, pkt *rtp.Packet) {
	if !c.reportRTP {
		return
	}
	p.emit(map[string]interface{}{"type": "event", "event": "rtp", "seq": pkt.SequenceNumber,
		"ts": pkt.Timestamp, "pt": pkt.PayloadType, "marker": pkt.Marker, "ssrc": pkt.SSRC,
		"payload": hex.EncodeToString(pkt.Payload),
		"t_ms":    float64(time.Since(c.started).Microseconds()) / 1000})
}

func (c *control) channelClosed(p *peer, label string) {
	if c.states || c.scripted {
		p.emit(map[string]interface{}{"type": "event", "event": "dc_closed", "label": label})
	}
}

func (c *control) close() {
	if c.record != nil {
		_ = c.record.Close()
	}
}

// dtmfDue says whether a telephone-event packet follows pattern packet i (spread over the run).
// It and dtmfPacket are called with p.mu held (report() reads dtmfSent).
func (c *control) dtmfDue(i int) bool {
	if c.dtmfSent >= c.dtmf {
		return false
	}
	step := packetCount / (c.dtmf + 1)
	if step < 1 {
		step = 1
	}
	return (i+1)%step == 0
}

// dtmfPacket is an RFC 4733 event "5", volume 10, end bit on the last one. Its 4-byte payload
// tells the interceptor to give it the telephone-event payload type.
func (c *control) dtmfPacket(seq uint16, ts uint32) *rtp.Packet {
	c.dtmfSent++
	flags := byte(10)
	if c.dtmfSent == c.dtmf {
		flags |= 0x80
	}
	return &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts},
		Payload: []byte{5, flags, 0x03, 0x20}}
}

// countReceived notes telephone-event-like packets (called with p.mu held).
func (c *control) countReceived(pkt *rtp.Packet) {
	if pkt.PayloadType == c.dtmfPT || len(pkt.Payload) == 4 {
		c.dtmfLikeReceived++
	}
}

func (c *control) addToReport(r map[string]interface{}) {
	if c.states || c.dtmf > 0 {
		r["rtp_dtmf_sent"] = c.dtmfSent
		r["rtp_dtmf_like_received"] = c.dtmfLikeReceived
	}
}

// dtmfRegistry holds one interceptor that gives 4-byte payloads (our telephone events) the
// telephone-event payload type: TrackLocalStaticRTP stamps every packet with the Opus PT.
func dtmfRegistry(pt int) *interceptor.Registry {
	r := &interceptor.Registry{}
	r.Add(dtmfFactory{pt: uint8(pt)})
	return r
}

type dtmfFactory struct{ pt uint8 }

func (f dtmfFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &dtmfInterceptor{pt: f.pt}, nil
}

type dtmfInterceptor struct {
	interceptor.NoOp
	pt uint8
}

func (d *dtmfInterceptor) BindLocalStream(_ *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		if len(payload) == 4 {
			event := *h
			event.PayloadType = d.pt
			event.Marker = false
			return w.Write(&event, payload, a)
		}
		return w.Write(h, payload, a)
	})
}

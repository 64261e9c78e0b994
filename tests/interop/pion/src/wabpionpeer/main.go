// Command wabpionpeer is the Pion peer of the interop harness (docs/INTEROP.md): it speaks the
// JSON-lines protocol on stdin/stdout, sends the pattern RTP payloads and the data-channel
// messages, and reports what it received.
//
// Modes:
//
//	--role offer|answer            full ICE, all interfaces (harness self-tests)
//	--role answer --lite --setup active
//	                               answers like OpenAI: ice-lite, DTLS client, 127.0.0.1 only
//	--role offer --whatsapp        offers like WhatsApp (ice-lite, mid "audio", opus 111 with the
//	                               captured fmtp, telephone-event 126, 127.0.0.1 only)
//	--srtp gcm|cm|any              restricts the offered/accepted SRTP profiles
//	--opus-pt N --dtmf-pt N        payload types (default 111, 126; WhatsApp's SIP sample uses 107, 101)
//
// Switches for the end-to-end tests (--events-script, --record-messages, --rtp-on-command,
// --states, --report-rtp) and the extra stdin commands are described in control.go.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/pion/dtls/v2"
	"github.com/pion/rtp"
	"github.com/pion/sctp"
	"github.com/pion/webrtc/v3"
)

const (
	packetCount      = 100
	packetInterval   = 20 * time.Millisecond
	samplesPerPacket = 960
	binarySize       = 204800
	// What we can send and receive in one data-channel message (the test sends 200 KiB).
	maxMessageSize = 262144
	// WhatsApp's Opus parameters, from the captured offers.
	whatsappOpusFmtp = "maxaveragebitrate=20000;maxplaybackrate=16000;minptime=20;sprop-maxcapturerate=16000;useinbandfec=1"
)

func pattern(i int) []byte {
	p := make([]byte, 60)
	p[0] = 0xF8
	p[1] = byte(i >> 8)
	p[2] = byte(i)
	for k := 3; k < 60; k++ {
		p[k] = byte(i*31 + k)
	}
	return p
}

func binaryMessage() []byte {
	b := make([]byte, binarySize)
	for k := range b {
		b[k] = byte(k*7 + 3)
	}
	return b
}

type message struct {
	Binary bool `json:"binary"`
	Size   int  `json:"size"`
	Valid  bool `json:"valid"`
}

type peer struct {
	name     string
	wantData bool
	ctl      *control

	outMu sync.Mutex
	out   *json.Encoder

	mu           sync.Mutex
	rtpReceived  int
	validIndices map[int]bool
	payloadTypes map[uint8]bool
	rtpSent      int
	messages     []message
	messagesSent int
	doneSent     bool

	closing atomic.Bool // set on `close`: errors from tearing down are expected then
}

func (p *peer) emit(v map[string]interface{}) {
	p.outMu.Lock()
	defer p.outMu.Unlock()
	_ = p.out.Encode(v)
}

func logf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "[pion-peer] "+format+"\n", args...)
}

func (p *peer) onRTP(pkt *rtp.Packet) {
	p.mu.Lock()
	if p.rtpReceived == 0 {
		p.ctl.firstRTP(p, pkt)
	}
	p.rtpReceived++
	p.ctl.countReceived(pkt)
	p.ctl.receivedRTP(p, pkt)
	p.payloadTypes[pkt.PayloadType] = true
	if len(pkt.Payload) == 60 {
		i := int(pkt.Payload[1])<<8 | int(pkt.Payload[2])
		if string(pkt.Payload) == string(pattern(i)) {
			p.validIndices[i] = true
		}
	}
	p.mu.Unlock()
	p.checkDone()
}

func (p *peer) onMessage(label string, data []byte, isString bool) {
	if isString {
		p.ctl.onText(p, label, data)
	}
	want := binaryMessage()
	p.mu.Lock()
	if isString {
		p.messages = append(p.messages, message{false, len(data), strings.HasPrefix(string(data), "hello from ")})
	} else {
		p.messages = append(p.messages, message{true, len(data), string(data) == string(want)})
	}
	p.mu.Unlock()
	p.checkDone()
}

// checkDone emits the optional `done` event once everything was sent and received.
func (p *peer) checkDone() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.doneSent || p.rtpSent < packetCount || len(p.validIndices) < packetCount {
		return
	}
	if p.wantData {
		text, bin := false, false
		for _, m := range p.messages {
			text = text || (m.Valid && !m.Binary)
			bin = bin || (m.Valid && m.Binary)
		}
		if p.messagesSent < 2 || !text || !bin {
			return
		}
	}
	p.doneSent = true
	go p.emit(map[string]interface{}{"type": "event", "event": "done"})
}

func (p *peer) report() map[string]interface{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	pts := []int{}
	for pt := range p.payloadTypes {
		pts = append(pts, int(pt))
	}
	msgs := append([]message{}, p.messages...)
	r := map[string]interface{}{
		"type": "report", "peer": p.name, "rtp_received": p.rtpReceived,
		"rtp_valid": len(p.validIndices), "rtp_sent": p.rtpSent,
		"rtp_payload_types": pts, "messages": msgs,
	}
	p.ctl.addToReport(r)
	return r
}

// raiseSendLimit lifts pion/sctp's 64 KiB per-message send limit (this Pion version exposes no
// setting for it) so the 200 KiB test message can go out in one message.
func raiseSendLimit(pc *webrtc.PeerConnection) {
	field := reflect.ValueOf(pc.SCTP()).Elem().FieldByName("sctpAssociation")
	if !field.IsValid() || field.IsNil() {
		logf("cannot reach the SCTP association; large messages will fail")
		return
	}
	assoc := (*sctp.Association)(unsafe.Pointer(field.Pointer()))
	assoc.SetMaxMessageSize(maxMessageSize)
}

// srtpProfileName reads the negotiated SRTP profile (unexported in this Pion version).
func srtpProfileName(pc *webrtc.PeerConnection) string {
	field := reflect.ValueOf(pc.SCTP().Transport()).Elem().FieldByName("srtpProtectionProfile")
	if !field.IsValid() {
		return "unknown"
	}
	switch field.Uint() {
	case 0x0001:
		return "cm"
	case 0x0007:
		return "gcm"
	}
	return fmt.Sprintf("0x%04x", field.Uint())
}

func (p *peer) attachChannel(pc *webrtc.PeerConnection, dc *webrtc.DataChannel) {
	dc.OnOpen(func() {
		raiseSendLimit(pc)
		raw, err := dc.Detach()
		if err != nil {
			logf("detach: %v", err)
			return
		}
		// Known to control.go before the first message can arrive (scripts answer on it).
		p.ctl.openChannel(p, dc.Label(), raw)
		go func() {
			buf := make([]byte, maxMessageSize+1)
			for {
				n, isString, err := raw.ReadDataChannel(buf)
				if err != nil {
					if err != io.EOF && !p.closing.Load() {
						logf("data channel read: %v", err)
					}
					p.ctl.channelClosed(p, dc.Label())
					return
				}
				p.onMessage(dc.Label(), append([]byte{}, buf[:n]...), isString)
			}
		}()
		if p.ctl.scripted { // an OpenAI-like channel carries only the script's JSON events
			return
		}
		if _, err := raw.WriteDataChannel([]byte("hello from "+p.name), true); err != nil {
			logf("send text: %v", err)
		}
		if _, err := raw.WriteDataChannel(binaryMessage(), false); err != nil {
			logf("send binary: %v", err)
		}
		p.mu.Lock()
		p.messagesSent = 2
		p.mu.Unlock()
		p.checkDone()
	})
}

func (p *peer) sendPattern(track *webrtc.TrackLocalStaticRTP) {
	<-p.ctl.rtpGate
	seq := uint16(time.Now().UnixNano())
	ts := uint32(time.Now().UnixNano() >> 8)
	start := time.Now()
	for i := 0; i < packetCount; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * packetInterval)))
		pkt := &rtp.Packet{
			Header: rtp.Header{
				Version: 2, Marker: i == 0, SequenceNumber: seq,
				Timestamp: ts + uint32(i*samplesPerPacket),
			},
			Payload: pattern(i),
		}
		seq++
		if err := track.WriteRTP(pkt); err != nil {
			logf("write rtp: %v", err)
			return
		}
		p.mu.Lock()
		p.rtpSent = i + 1
		var event *rtp.Packet // --dtmf: a telephone-event packet in the same stream
		if p.ctl.dtmfDue(i) {
			event = p.ctl.dtmfPacket(seq, ts+uint32(i*samplesPerPacket))
		}
		p.mu.Unlock()
		if event != nil {
			if err := track.WriteRTP(event); err != nil {
				logf("write dtmf: %v", err)
			}
			seq++
		}
	}
	p.checkDone()
}

type options struct {
	role, setup, srtp, name string
	lite, whatsapp, data    bool
	loopback                bool
	tcpPassive              bool // only an ICE-TCP passive candidate (icetcp.go)
	tcpAndUDP               bool // with tcpPassive: a UDP host candidate beside it
	udpBlackhole            bool // the answer's UDP candidates name a port nobody answers
	tcpListener             *resettableListener
	// tests/e2e switches (control.go)
	eventsScript, recordMessages string
	rtpOnCommand, states         bool
	reportRTP                    bool
	dcLabel                      string
	opusPT, dtmfPT, dtmf         int
}

func newAPI(o *options) (*webrtc.API, webrtc.RTPCodecCapability, error) {
	me := &webrtc.MediaEngine{}
	opus := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
	if o.whatsapp {
		opus.SDPFmtpLine = whatsappOpusFmtp
		opus.RTCPFeedback = []webrtc.RTCPFeedback{{Type: "transport-cc"}}
	} else {
		opus.SDPFmtpLine = "minptime=10;useinbandfec=1"
	}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: opus, PayloadType: webrtc.PayloadType(o.opusPT)},
		webrtc.RTPCodecTypeAudio); err != nil {
		return nil, opus, err
	}
	dtmf := webrtc.RTPCodecCapability{MimeType: "audio/telephone-event", ClockRate: 8000}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: dtmf, PayloadType: webrtc.PayloadType(o.dtmfPT)},
		webrtc.RTPCodecTypeAudio); err != nil {
		return nil, opus, err
	}

	se := webrtc.SettingEngine{}
	se.DetachDataChannels()
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	if o.loopback {
		se.SetIncludeLoopbackCandidate(true)
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() && ip.To4() != nil })
	}
	if o.lite {
		se.SetLite(true)
	}
	if o.tcpPassive {
		l, err := useTCPPassive(&se, o.tcpAndUDP)
		if err != nil {
			return nil, opus, err
		}
		o.tcpListener = l
	}
	switch o.setup {
	case "active":
		if err := se.SetAnsweringDTLSRole(webrtc.DTLSRoleClient); err != nil {
			return nil, opus, err
		}
	case "passive":
		if err := se.SetAnsweringDTLSRole(webrtc.DTLSRoleServer); err != nil {
			return nil, opus, err
		}
	}
	switch o.srtp {
	case "gcm":
		se.SetSRTPProtectionProfiles(dtls.SRTP_AEAD_AES_128_GCM)
	case "cm":
		se.SetSRTPProtectionProfiles(dtls.SRTP_AES128_CM_HMAC_SHA1_80)
	default:
		se.SetSRTPProtectionProfiles(dtls.SRTP_AEAD_AES_128_GCM, dtls.SRTP_AES128_CM_HMAC_SHA1_80)
	}
	options := []func(*webrtc.API){webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)}
	if o.dtmf > 0 {
		options = append(options, webrtc.WithInterceptorRegistry(dtmfRegistry(o.dtmfPT)))
	}
	return webrtc.NewAPI(options...), opus, nil
}

// localSDP waits for gathering to finish (no trickle) and returns the local description.
func localSDP(pc *webrtc.PeerConnection, desc webrtc.SessionDescription) (string, error) {
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(desc); err != nil {
		return "", err
	}
	select {
	case <-gathered:
	case <-time.After(10 * time.Second):
		return "", fmt.Errorf("ICE gathering timed out")
	}
	return pc.LocalDescription().SDP, nil
}

// withMaxMessageSize declares in the application section that we take 256 KiB messages.
func withMaxMessageSize(sdp string) string {
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(sdp, "\r\n", "\n"), "\n"), "\n")
	out := []string{}
	inApp := false
	flush := func() {
		if inApp {
			out = append(out, fmt.Sprintf("a=max-message-size:%d", maxMessageSize))
		}
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "m=") {
			flush()
			inApp = strings.HasPrefix(l, "m=application")
		}
		if strings.HasPrefix(l, "a=max-message-size:") {
			continue
		}
		out = append(out, l)
	}
	flush()
	return strings.Join(out, "\r\n") + "\r\n"
}

type stdinLines struct {
	scanner *bufio.Scanner
	command func(map[string]interface{}) bool // extra commands (control.go); may be nil
}

func (s *stdinLines) next(want string) (map[string]interface{}, error) {
	for s.scanner.Scan() {
		var m map[string]interface{}
		if json.Unmarshal(s.scanner.Bytes(), &m) != nil {
			continue
		}
		if m["type"] == want {
			return m, nil
		}
		if s.command != nil && s.command(m) {
			continue
		}
		if m["type"] == "close" {
			return nil, fmt.Errorf("close while waiting for %s", want)
		}
	}
	return nil, fmt.Errorf("stdin closed while waiting for %s", want)
}

func run(o options) error {
	ctl, err := newControl(o)
	if err != nil {
		return err
	}
	defer ctl.close()
	p := &peer{name: o.name, wantData: o.data && !ctl.scripted, ctl: ctl,
		out: json.NewEncoder(os.Stdout), validIndices: map[int]bool{}, payloadTypes: map[uint8]bool{}}
	in := &stdinLines{scanner: bufio.NewScanner(os.Stdin)}
	in.scanner.Buffer(make([]byte, 1<<20), 1<<20)

	api, opus, err := newAPI(&o)
	if err != nil {
		return err
	}
	ctl.tcpListener = o.tcpListener
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return err
	}
	defer pc.Close()
	in.command = func(m map[string]interface{}) bool { return ctl.command(p, pc, m) }

	track, err := webrtc.NewTrackLocalStaticRTP(opus, "audio", "wab-pion")
	if err != nil {
		return err
	}
	var connectOnce sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		logf("connection state %s", s)
		ctl.stateChanged(p, s)
		switch s {
		case webrtc.PeerConnectionStateConnected:
			connectOnce.Do(func() {
				p.emit(map[string]interface{}{"type": "event", "event": "connected", "peer": p.name,
					"srtp": srtpProfileName(pc)})
				go p.sendPattern(track)
			})
		case webrtc.PeerConnectionStateFailed:
			p.emit(map[string]interface{}{"type": "event", "event": "failed", "reason": "pion connection failed"})
		}
	})
	pc.OnTrack(func(remote *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		logf("remote track %s pt %d", remote.Codec().MimeType, remote.PayloadType())
		for {
			pkt, _, err := remote.ReadRTP()
			if err != nil {
				return
			}
			p.onRTP(pkt)
		}
	})
	pc.OnDataChannel(func(dc *webrtc.DataChannel) { p.attachChannel(pc, dc) })

	if o.role == "offer" {
		if _, err := pc.AddTrack(track); err != nil {
			return err
		}
		if o.data {
			dc, err := pc.CreateDataChannel(o.dcLabel, nil)
			if err != nil {
				return err
			}
			p.attachChannel(pc, dc)
		}
		offer, err := pc.CreateOffer(nil)
		if err != nil {
			return err
		}
		sdp, err := localSDP(pc, offer)
		if err != nil {
			return err
		}
		if o.whatsapp {
			sdp, err = whatsappOffer(sdp, o.opusPT, o.dtmfPT)
			if err != nil {
				return err
			}
		} else if o.data {
			sdp = withMaxMessageSize(sdp)
		}
		p.emit(map[string]interface{}{"type": "offer", "sdp": sdp})
		answer, err := in.next("answer")
		if err != nil {
			return err
		}
		answerSDP, _ := answer["sdp"].(string)
		if o.whatsapp {
			var fmtpChanged bool
			answerSDP, fmtpChanged = answerForPion(answerSDP)
			if fmtpChanged {
				logf("note: the answer's opus fmtp differs from the offer's; using the offer's")
			}
		}
		if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answerSDP}); err != nil {
			p.emit(map[string]interface{}{"type": "event", "event": "failed", "reason": "set answer: " + err.Error()})
			return err
		}
	} else {
		offer, err := in.next("offer")
		if err != nil {
			return err
		}
		offerSDP, _ := offer["sdp"].(string)
		p.mu.Lock()
		p.wantData = strings.Contains(offerSDP, "m=application") && !ctl.scripted
		p.mu.Unlock()
		if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offerSDP}); err != nil {
			p.emit(map[string]interface{}{"type": "event", "event": "failed", "reason": "set offer: " + err.Error()})
			return err
		}
		if _, err := pc.AddTrack(track); err != nil {
			return err
		}
		answer, err := pc.CreateAnswer(nil)
		if err != nil {
			return err
		}
		sdp, err := localSDP(pc, answer)
		if err != nil {
			return err
		}
		if strings.Contains(sdp, "m=application") {
			sdp = withMaxMessageSize(sdp)
		}
		if o.udpBlackhole {
			hole, err := newUDPBlackhole()
			if err != nil {
				return err
			}
			defer hole.conn.Close()
			sdp = hole.redirect(sdp)
		}
		p.emit(map[string]interface{}{"type": "answer", "sdp": sdp})
	}

	if _, err := in.next("close"); err != nil {
		return err
	}
	p.closing.Store(true)
	p.emit(p.report())
	return nil
}

func main() {
	var o options
	flag.StringVar(&o.role, "role", "", "offer or answer")
	flag.StringVar(&o.setup, "setup", "", "answerer DTLS role: active or passive (default: Pion's)")
	flag.StringVar(&o.srtp, "srtp", "any", "SRTP profiles: gcm, cm or any")
	flag.StringVar(&o.name, "name", "pion", "name used in the text message")
	flag.BoolVar(&o.lite, "lite", false, "ice-lite agent (implies --loopback)")
	flag.BoolVar(&o.whatsapp, "whatsapp", false, "offer shaped like WhatsApp's (implies --lite)")
	flag.BoolVar(&o.data, "data", false, "offer: add a data channel")
	flag.BoolVar(&o.loopback, "loopback", false, "only a 127.0.0.1 host candidate")
	flag.BoolVar(&o.tcpPassive, "tcp-passive", false, "only an ICE-TCP passive candidate (implies --loopback)")
	flag.BoolVar(&o.tcpAndUDP, "tcp-and-udp", false, "with --tcp-passive: also a UDP host candidate")
	flag.BoolVar(&o.udpBlackhole, "udp-blackhole", false, "answer: UDP candidates name a port that drops every check")
	flag.StringVar(&o.eventsScript, "events-script", "", "JSON rules: act like an OpenAI data channel (control.go)")
	flag.StringVar(&o.recordMessages, "record-messages", "", "append received text messages to this file")
	flag.BoolVar(&o.rtpOnCommand, "rtp-on-command", false, "send the pattern RTP only after {\"type\":\"send_rtp\"}")
	flag.IntVar(&o.opusPT, "opus-pt", 111, "payload type of Opus (also in the WhatsApp-shaped offer)")
	flag.IntVar(&o.dtmfPT, "dtmf-pt", 126, "payload type of telephone-event")
	flag.IntVar(&o.dtmf, "dtmf", 0, "also send this many telephone-event packets among the pattern")
	flag.StringVar(&o.dcLabel, "dc-label", "wab", "offer: label of the data channel")
	flag.BoolVar(&o.states, "states", false, "report connection state changes as events")
	flag.BoolVar(&o.reportRTP, "report-rtp", false, "report every received RTP packet as an event (control.go)")
	flag.Parse()
	if o.role != "offer" && o.role != "answer" {
		fmt.Fprintln(os.Stderr, "usage: wabpionpeer --role offer|answer [--lite] [--setup active|passive] [--whatsapp] [--srtp gcm|cm|any] [--data] [--name NAME]")
		os.Exit(2)
	}
	if o.whatsapp {
		o.lite = true
		o.data = false
	}
	if o.lite || o.tcpPassive {
		o.loopback = true
	}
	if o.role == "answer" {
		o.data = false // the offer decides
	}
	if err := run(o); err != nil {
		logf("%v", err)
		os.Exit(1)
	}
	os.Exit(0)
}

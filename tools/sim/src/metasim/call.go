package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v3"

	"simcore"
)

// result is one call's line in the final report.
type result struct {
	CallID          string   `json:"call_id"`
	PhoneNumberID   string   `json:"phone_number_id"`
	Outcome         string   `json:"outcome"` // completed | failed | rejected | not_answered | ...
	Cause           string   `json:"cause"`
	Status          string   `json:"status"`
	Accepted        bool     `json:"accepted"`
	Connected       bool     `json:"connected"`
	PacketsSent     int      `json:"packets_sent"`
	PacketsReceived int      `json:"packets_received"`
	DTMFSent        string   `json:"dtmf_sent,omitempty"`
	GraphActions    []string `json:"graph_actions"`
	DurationS       int      `json:"duration_s"`
	RecordedPackets int      `json:"recorded_packets"`
	Record          string   `json:"record,omitempty"`
	Fault           string   `json:"fault"`
	Outbound        bool     `json:"outbound,omitempty"` // placed by the business (outbound.go)
}

type call struct {
	s        *sim
	id       string
	caller   string
	number   string // the business phone number id called
	outbound bool   // business-initiated: caller is the callee's wa id (outbound.go)
	pc       *webrtc.PeerConnection
	track    *simcore.RawTrack
	pacer    *simcore.Pacer
	pionMid  string
	recorder *simcore.Recorder
	record   string
	done     chan result
	plan     plan
	gate     *simcore.GatedConn // silent: the phone's only socket

	mu             sync.Mutex
	connectAt      time.Time
	preAcceptSDP   string
	answerApplied  bool
	accepted       bool
	acceptedAt     time.Time
	expired        bool
	ended          bool
	connected      bool
	received       int
	lastMediaAt    time.Time
	dtmfSent       string
	actions        []string
	bizOpaque      string
	terminatedByUs bool
	endedByGraph   bool             // a reject or terminate was accepted
	sprayer        *simcore.Sprayer // garbage
}

func (s *sim) recordPath(i int) string {
	if s.cfg.record == "" || i == 1 {
		return s.cfg.record
	}
	ext := filepath.Ext(s.cfg.record)
	return fmt.Sprintf("%s.%d%s", strings.TrimSuffix(s.cfg.record, ext), i, ext)
}

// placeCall runs one user-initiated call to its end.
func (s *sim) placeCall(i int) result {
	c := &call{s: s, id: simcore.RandomWACallID(), caller: "1555" + simcore.RandomDigits(7),
		number: s.numberOf(i), done: make(chan result, 1), record: s.recordPath(i), plan: s.plans[i-1]}
	fail := func(err error) result {
		s.log.Event("call_setup_failed", simcore.F{"call_id": c.id, "error": err.Error()})
		return result{CallID: c.id, PhoneNumberID: c.number, Outcome: "setup_failed", Cause: err.Error(), Fault: c.plan.Fault}
	}
	time.Sleep(c.plan.StartDelay)
	var err error
	if c.recorder, err = simcore.NewRecorder(c.record); err != nil {
		return fail(err)
	}
	opts := simcore.APIOptions{Lite: true, Loopback: true, OpusPT: 111,
		OpusFmtp: simcore.WhatsAppOpusFmtp, DTMFPT: 126, TransportCC: true,
		ReceiverReports: time.Second}
	if c.plan.Fault == faultSilent || c.plan.Fault == faultGarbageCaller {
		if c.gate, err = simcore.NewGatedConn(); err != nil {
			return fail(err)
		}
		opts.UDPConn = c.gate
	}
	api, err := simcore.NewAPI(opts)
	if err != nil {
		return fail(err)
	}
	if c.pc, err = api.NewPeerConnection(webrtc.Configuration{}); err != nil {
		return fail(err)
	}
	c.track = simcore.NewRawTrack("WhatsAppTrack1", "whatsapp")
	sender, err := c.pc.AddTrack(c.track)
	if err != nil {
		return fail(err)
	}
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, _, err := sender.Read(buf); err != nil {
				return
			}
		}
	}()
	c.watchPeer()
	offer, err := c.pc.CreateOffer(nil)
	if err != nil {
		return fail(err)
	}
	pionSDP, err := simcore.LocalSDP(c.pc, offer)
	if err != nil {
		return fail(err)
	}
	waOffer, mid, err := simcore.WhatsAppOffer(pionSDP)
	if err != nil {
		return fail(err)
	}
	c.pionMid = mid
	c.pacer = simcore.NewPacer(c.track, true)

	s.mu.Lock()
	s.calls[c.id] = c
	s.mu.Unlock()

	now := time.Now()
	c.mu.Lock()
	c.connectAt = now
	c.mu.Unlock()
	item := map[string]interface{}{
		"id": c.id, "from": c.caller, "to": s.cfg.displayNumber, "event": "connect",
		"timestamp": fmt.Sprint(now.Unix()), "direction": "USER_INITIATED",
		"session": map[string]interface{}{"sdp_type": "offer", "sdp": waOffer},
	}
	body := s.envelopeFor(c.number, c.caller, item, nil)
	if s.cfg.chaosSeed != 0 {
		s.log.Event("chaos_fault", c.plan.fields(c.id, i))
	}
	s.log.Event("call_placed", simcore.F{"call_id": c.id, "from": c.caller, "phone_number_id": c.number})
	if c.plan.Fault == faultTerminateFirst {
		return c.terminateFirst(body)
	}
	copies := 1
	if s.cfg.duplicateConnect || c.plan.Fault == faultDupConnect {
		copies = 2
	}
	for k := 0; k < copies; k++ {
		if st := s.postWebhook(c.id, "connect", body); st != 200 {
			c.end("FAILED", nil, fmt.Sprintf("connect webhook answered %d", st))
		}
	}
	time.AfterFunc(s.cfg.acceptWindow, c.acceptWindowOver)
	return <-c.done
}

// watchPeer follows the phone's peer connection: connected, failed (138020), received RTP.
func (c *call) watchPeer() {
	s := c.s
	c.pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		s.log.Event("peer_state", simcore.F{"call_id": c.id, "state": st.String()})
		if c.gate != nil && c.gate.Silent() {
			return // a dead phone reports nothing: the business has to notice
		}
		switch st {
		case webrtc.PeerConnectionStateConnected:
			c.mu.Lock()
			c.connected = true
			c.mu.Unlock()
		case webrtc.PeerConnectionStateFailed:
			c.end("FAILED", []interface{}{metaError(138020, "Relay connection failed",
				"ICE/DTLS with the business failed")}, "ice_failed")
		}
	})
	c.pc.OnTrack(func(t *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
		go simcore.ReadRTCPForever(receiver)
		opusPT := t.PayloadType()
		for {
			pkt, _, err := t.ReadRTP()
			if err != nil {
				return
			}
			c.onRTP(pkt, uint8(opusPT))
		}
	})
}

func metaError(code int, title, details string) map[string]interface{} {
	return map[string]interface{}{"code": code, "title": title, "message": title,
		"error_data": map[string]interface{}{"details": details}}
}

func (c *call) onRTP(pkt *rtp.Packet, opusPT uint8) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	first := c.received == 0
	c.received++
	c.lastMediaAt = time.Now()
	accepted := c.accepted
	c.mu.Unlock()
	if first {
		c.s.log.Event("first_media_received", simcore.F{"call_id": c.id, "pt": pkt.PayloadType,
			"before_accept": !accepted})
	}
	if pkt.PayloadType == opusPT {
		c.recorder.Write(pkt)
	}
}

func (c *call) acceptWindowOver() {
	c.mu.Lock()
	if c.accepted || c.ended {
		c.mu.Unlock()
		return
	}
	c.expired = true
	c.mu.Unlock()
	c.s.log.Event("accept_window_over", simcore.F{"call_id": c.id})
	c.end("FAILED", []interface{}{metaError(138007, "Connect Timeout",
		"The business did not accept the call in time")}, "not_answered")
}

// validateAnswer applies Meta's checks to a business answer; returns a reason or "".
func validateAnswer(sdp string) string {
	low := strings.ToLower(sdp)
	switch {
	case !strings.HasPrefix(strings.TrimSpace(sdp), "v=0"):
		return "SDP Validation error - Provided SDP is invalid"
	case !strings.Contains(low, "a=fingerprint:sha-256 "):
		return "No fingerprint found in SDP"
	case strings.Contains(low, "a=ice-lite"):
		return "SDP Validation error - the answer must come from a full ICE agent (no a=ice-lite)"
	case !strings.Contains(low, "a=setup:active"):
		return "SDP Validation error - a=setup:active expected for an actpass offer"
	case !strings.Contains(low, "a=ice-ufrag:") || !strings.Contains(low, "a=ice-pwd:"):
		return "SDP Validation error - missing ICE credentials"
	case !strings.Contains(low, "a=candidate:"):
		return "SDP Validation error - no candidates"
	case simcore.OpusPT(sdp) == "":
		return "SDP Validation error - no Opus codec"
	}
	return ""
}

func normalizeSDP(s string) string { return strings.Join(simcore.SplitLines(s), "\r\n") }

func (c *call) graphAction(w http.ResponseWriter, req *graphRequest) {
	c.mu.Lock()
	c.actions = append(c.actions, req.Action)
	seq := len(c.actions) // the order Meta took the requests in (their logs may interleave)
	ended, expired := c.ended || c.endedByGraph, c.expired
	if !ended && (req.Action == "reject" || req.Action == "terminate") {
		c.endedByGraph = true // later actions see a finished call, even before end() has run
	}
	c.mu.Unlock()
	log := func(status string, extra simcore.F) {
		f := simcore.F{"call_id": c.id, "action": req.Action, "result": status, "seq": seq}
		for k, v := range extra {
			f[k] = v
		}
		c.s.log.Event("graph_action", f)
	}
	switch req.Action {
	case "pre_accept", "accept":
		if c.outbound { // the callee answers a business-initiated call; nothing to accept
			log("error", simcore.F{"code": 100})
			graphError(w, 400, 100, "OAuthException", "(#100) Invalid parameter",
				req.Action+" is not allowed on a business-initiated call")
			return
		}
		if expired && req.Action == "accept" {
			log("error", simcore.F{"code": 138007})
			graphError(w, 500, 138007, "OAuthException", "(#138007) Connect Timeout",
				"The call was not accepted within the allowed time")
			return
		}
		if ended {
			log("error", simcore.F{"code": 138000})
			graphError(w, 400, 100, "OAuthException", "(#100) Invalid parameter", "The call is no longer active")
			return
		}
		if req.Session == nil || req.Session.SDPType != "answer" || req.Session.SDP == "" {
			log("error", simcore.F{"code": 100})
			graphError(w, 400, 100, "OAuthException", "(#100) Invalid parameter", "session with sdp_type answer and sdp is required")
			return
		}
		sdp := req.Session.SDP
		if why := validateAnswer(sdp); why != "" {
			log("error", simcore.F{"code": 100, "details": why})
			graphError(w, 400, 100, "OAuthException", "(#100) Invalid parameter", why)
			return
		}
		c.mu.Lock()
		if req.Action == "accept" && c.preAcceptSDP != "" && normalizeSDP(c.preAcceptSDP) != normalizeSDP(sdp) {
			c.mu.Unlock()
			log("error", simcore.F{"code": 100, "details": "SDP differs from pre_accept"})
			graphError(w, 400, 100, "OAuthException", "(#100) Invalid parameter",
				"SDP Validation error - the accept SDP does not match the pre_accept SDP")
			return
		}
		if req.Action == "accept" && c.accepted {
			c.mu.Unlock()
			log("ok_duplicate", nil)
			graphOK(w)
			return
		}
		needApply := !c.answerApplied
		c.answerApplied = true
		if req.Action == "pre_accept" {
			c.preAcceptSDP = sdp
		}
		c.mu.Unlock()
		if needApply {
			forPion, changed := simcore.AnswerForPion(sdp, c.pionMid, simcore.WhatsAppOpusFmtp)
			if changed {
				c.s.log.Event("note", simcore.F{"call_id": c.id, "text": "answer opus fmtp differs from the offer's"})
			}
			if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer,
				SDP: forPion}); err != nil {
				c.mu.Lock()
				c.answerApplied = false
				c.mu.Unlock()
				log("error", simcore.F{"code": 100, "details": err.Error()})
				graphError(w, 400, 100, "OAuthException", "(#100) Invalid parameter",
					"SDP Validation error - "+err.Error())
				return
			}
			if c.plan.Fault == faultGarbage {
				go c.startGarbage(sdp, nil)
			}
		}
		if req.Action == "accept" {
			c.mu.Lock()
			c.accepted = true
			c.acceptedAt = time.Now()
			c.bizOpaque = req.BizOpaque
			c.mu.Unlock()
			c.startMedia()
			if c.plan.Fault == faultGarbageCaller {
				go c.startGarbage(sdp, c.gate)
			}
		}
		log("ok", nil)
		graphOK(w)
	case "reject":
		if ended {
			log("error", simcore.F{"code": 100})
			graphError(w, 400, 100, "OAuthException", "(#100) Invalid parameter", "The call is no longer active")
			return
		}
		log("ok", nil)
		graphOK(w)
		go c.end("REJECTED", nil, "rejected_by_business")
	case "terminate":
		if ended {
			log("error", simcore.F{"code": 100})
			graphError(w, 400, 100, "OAuthException", "(#100) Invalid parameter", "The call is no longer active")
			return
		}
		log("ok", nil)
		graphOK(w)
		c.mu.Lock()
		c.terminatedByUs = true
		c.mu.Unlock()
		go c.end("COMPLETED", nil, "terminated_by_business")
	default:
		log("error", simcore.F{"code": 100})
		graphError(w, 400, 100, "OAuthException", "(#100) Param action must be one of {pre_accept, accept, reject, terminate, connect}", "")
	}
}

// startMedia runs once after accept: the caller's phone streams (silence, then the caller's clip),
// presses DTMF, hangs up, and drops the call if the business sends nothing.
func (c *call) startMedia() {
	cfg := c.s.cfg
	c.s.log.Event("accepted", simcore.F{"call_id": c.id})
	if len(c.s.callAudio) > 0 {
		time.AfterFunc(cfg.callerAudioAt, func() {
			if c.isEnded() {
				return
			}
			c.s.log.Event("caller_speaks", simcore.F{"call_id": c.id, "packets": len(c.s.callAudio)})
			done := c.pacer.Play(c.s.callAudio)
			<-done
			c.s.log.Event("caller_done", simcore.F{"call_id": c.id})
		})
	}
	if cfg.dtmf != "" {
		time.AfterFunc(cfg.dtmfAt, func() {
			for i := 0; i < len(cfg.dtmf) && !c.isEnded(); i++ {
				c.pacer.Hold(true)
				err := c.track.SendDigit(cfg.dtmf[i], 200*time.Millisecond)
				c.pacer.Hold(false)
				if err != nil {
					c.s.log.Event("dtmf_failed", simcore.F{"call_id": c.id, "error": err.Error()})
					return
				}
				c.mu.Lock()
				c.dtmfSent += string(cfg.dtmf[i])
				c.mu.Unlock()
				c.s.log.Event("dtmf_sent", simcore.F{"call_id": c.id, "digit": string(cfg.dtmf[i])})
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
	if c.plan.Fault == faultSilent {
		time.AfterFunc(c.plan.SilentAfter, c.goSilent)
		return // no hang-up, no media watch: the phone is about to die
	}
	if c.plan.HangupAfter > 0 {
		time.AfterFunc(c.plan.HangupAfter, func() { c.end("COMPLETED", nil, "caller_hangup") })
	}
	go c.watchMedia()
}

func (c *call) isEnded() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.ended }

// watchMedia enforces WhatsApp's media timeouts: nothing in the first 20 s after accept, or 30 s
// of nothing later, drops the call with 138021.
func (c *call) watchMedia() {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		c.mu.Lock()
		ended, received, last, at := c.ended, c.received, c.lastMediaAt, c.acceptedAt
		c.mu.Unlock()
		if ended {
			return
		}
		if (received == 0 && time.Since(at) > c.s.cfg.noMediaTimeout) ||
			(received > 0 && time.Since(last) > 30*time.Second) {
			c.s.log.Event("media_timeout", simcore.F{"call_id": c.id, "packets_received": received})
			c.end("FAILED", []interface{}{metaError(138021, "Media receive timeout",
				"The WhatsApp client received no media from the business")}, "media_timeout")
			return
		}
	}
}

// end finishes the call once: stops media, posts the terminate webhook, reports.
func (c *call) end(status string, errs []interface{}, cause string) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.ended = true
	accepted, acceptedAt, connected, received := c.accepted, c.acceptedAt, c.connected, c.received
	actions := append([]string{}, c.actions...)
	dtmf, biz := c.dtmfSent, c.bizOpaque
	sprayer := c.sprayer
	c.mu.Unlock()
	if c.pacer != nil {
		c.pacer.Stop()
	}
	if sprayer != nil {
		c.s.log.Event("garbage_sent", simcore.F{"call_id": c.id, "datagrams": sprayer.Stop()})
	}
	sent := c.track.Sent()
	now := time.Now()
	duration := 0
	hookStatus := status
	if status == "REJECTED" {
		hookStatus = "COMPLETED"
	}
	from, to, direction := c.caller, c.s.cfg.displayNumber, "USER_INITIATED"
	if c.outbound {
		from, to, direction = c.s.cfg.displayNumber, c.caller, "BUSINESS_INITIATED"
	}
	item := map[string]interface{}{"id": c.id, "from": from, "to": to,
		"event": "terminate", "direction": direction, "timestamp": fmt.Sprint(now.Unix()),
		"status": hookStatus}
	if accepted {
		duration = int(now.Sub(acceptedAt).Round(time.Second) / time.Second)
		item["start_time"] = fmt.Sprint(acceptedAt.Unix())
		item["end_time"] = fmt.Sprint(now.Unix())
		item["duration"] = duration
	}
	if biz != "" {
		item["biz_opaque_callback_data"] = biz
	}
	if len(errs) > 0 {
		item["errors"] = errs
	}
	c.s.log.Event("terminate", simcore.F{"call_id": c.id, "status": hookStatus, "cause": cause,
		"duration": duration, "packets_sent": sent, "packets_received": received})
	c.s.postWebhook(c.id, "terminate", c.s.envelopeFor(c.number, c.caller, item, errs))
	if c.plan.Fault == faultDupTerminate {
		c.s.postWebhook(c.id, "terminate", c.s.envelopeFor(c.number, c.caller, item, errs))
	}
	if c.pc != nil {
		_ = c.pc.Close()
	}
	if c.gate != nil {
		_ = c.gate.Close() // ends Pion's UDP mux reader
	}
	recPackets, _, recErr := c.recorder.Close()
	if c.record != "" && recErr != nil {
		c.s.log.Event("record_empty", simcore.F{"call_id": c.id, "file": c.record})
	}
	outcome := "failed"
	switch {
	case status == "REJECTED":
		outcome = "rejected"
	case cause == "not_answered":
		outcome = "not_answered"
	case status == "COMPLETED" && accepted && connected && received > 0:
		outcome = "completed"
	}
	c.done <- result{CallID: c.id, PhoneNumberID: c.number, Outcome: outcome, Cause: cause, Status: hookStatus,
		Accepted: accepted, Connected: connected, PacketsSent: sent, PacketsReceived: received,
		DTMFSent: dtmf, GraphActions: actions, DurationS: duration, RecordedPackets: recPackets,
		Record: c.record, Fault: c.plan.Fault, Outbound: c.outbound}
}

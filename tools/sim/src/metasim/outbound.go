package main

// Business-initiated (outbound) calls: with --outbound metasim plays the callee. A Graph
// `connect` with the business's offer is checked like Meta does, answered with a call id, and
// the callee's phone (an ice-lite Pion answerer, DTLS client) rings, then answers (connect
// webhook with the answer, ACCEPTED status) or declines (REJECTED status, then terminate).

import (
	"fmt"
	"net/http"
	"time"

	"github.com/pion/webrtc/v3"

	"simcore"
)

// businessConnect answers a business-initiated `connect`.
func (s *sim) businessConnect(w http.ResponseWriter, number string, req *graphRequest) {
	if req.To == "" || req.Session == nil || req.Session.SDPType != "offer" || req.Session.SDP == "" {
		graphError(w, 400, 100, "OAuthException", "(#100) Invalid parameter", "connect needs to and session{sdp_type:offer,sdp}")
		return
	}
	if !s.cfg.outbound {
		s.log.Event("graph_action", simcore.F{"action": "connect", "result": "error", "code": 138006})
		graphError(w, 401, 138006, "OAuthException", "(#138006) No approved call permission from the recipient",
			"metasim was started without --outbound")
		return
	}
	if why := simcore.ValidateBusinessOffer(req.Session.SDP); why != "" {
		s.log.Event("graph_action", simcore.F{"action": "connect", "result": "error", "code": 100, "details": why})
		graphError(w, 400, 100, "OAuthException", "(#100) Invalid parameter", why)
		return
	}
	s.mu.Lock()
	s.placed++
	i := s.placed
	s.mu.Unlock()
	if i > s.cfg.calls {
		s.log.Event("graph_action", simcore.F{"action": "connect", "result": "error", "code": 100,
			"details": "more connects than --calls"})
		graphError(w, 400, 100, "OAuthException", "(#100) Invalid parameter", "metasim takes --calls outbound calls")
		return
	}
	c := &call{s: s, id: simcore.RandomWACallID(), caller: req.To, number: number, outbound: true,
		done: make(chan result, 1), record: s.recordPath(i), plan: s.plans[i-1], bizOpaque: req.BizOpaque}
	answer, err := c.answerOffer(req.Session.SDP)
	if err != nil {
		if c.pc != nil {
			_ = c.pc.Close()
		}
		if c.recorder != nil {
			_, _, _ = c.recorder.Close()
		}
		s.log.Event("graph_action", simcore.F{"action": "connect", "result": "error", "code": 100, "details": err.Error()})
		graphError(w, 400, 100, "OAuthException", "(#100) Invalid parameter", "SDP Validation error - "+err.Error())
		s.results <- result{CallID: c.id, PhoneNumberID: number, Outcome: "setup_failed", Cause: err.Error(),
			Fault: c.plan.Fault, Outbound: true}
		return
	}
	s.mu.Lock()
	s.calls[c.id] = c
	s.mu.Unlock()
	c.mu.Lock()
	c.connectAt = time.Now()
	c.mu.Unlock()
	s.log.Event("graph_action", simcore.F{"call_id": c.id, "action": "connect", "result": "ok", "to": req.To})
	s.log.Event("call_placed", simcore.F{"call_id": c.id, "to": req.To, "phone_number_id": number, "outbound": true})
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"messaging_product":"whatsapp","calls":[{"id":%q}]}`, c.id)
	go func() { c.ring(answer); s.results <- <-c.done }()
}

// answerOffer builds the callee's peer: applies the business's offer and returns Meta's answer.
func (c *call) answerOffer(offer string) (string, error) {
	var err error
	if c.recorder, err = simcore.NewRecorder(c.record); err != nil {
		return "", err
	}
	opusPT, dtmfPT := parsePT(simcore.OpusPT(offer)), parsePT(simcore.TelephoneEventPT(offer))
	api, err := simcore.NewAPI(simcore.APIOptions{Lite: true, Loopback: true, DTLSClient: true,
		OpusPT: opusPT, OpusFmtp: simcore.Fmtp(offer, simcore.OpusPT(offer)), DTMFPT: dtmfPT})
	if err != nil {
		return "", err
	}
	if c.pc, err = api.NewPeerConnection(webrtc.Configuration{}); err != nil {
		return "", err
	}
	c.track = simcore.NewRawTrack("WhatsAppTrack1", "whatsapp")
	sender, err := c.pc.AddTrack(c.track)
	if err != nil {
		return "", err
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
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", err
	}
	desc, err := c.pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	pionSDP, err := simcore.LocalSDP(c.pc, desc)
	if err != nil {
		return "", err
	}
	return simcore.WhatsAppAnswer(pionSDP, offer)
}

func parsePT(s string) uint8 {
	var pt int
	if _, err := fmt.Sscan(s, &pt); err != nil || pt < 0 || pt > 127 {
		return 0
	}
	return uint8(pt)
}

// ring plays the callee's phone: RINGING, then after --ring-time the answer (connect webhook,
// ACCEPTED status --accepted-after later, media) or the refusal (REJECTED status, then terminate).
func (c *call) ring(answer string) {
	s := c.s
	time.Sleep(50 * time.Millisecond) // Meta's webhooks follow its Graph answer
	s.postWebhook(c.id, "status_ringing", s.statusEnvelope(c, "RINGING"))
	time.Sleep(s.cfg.ringTime)
	if c.isEnded() { // the business hung up while it rang
		return
	}
	if s.cfg.outboundReject {
		s.log.Event("callee_rejected", simcore.F{"call_id": c.id})
		s.postWebhook(c.id, "status_rejected", s.statusEnvelope(c, "REJECTED"))
		c.end("REJECTED", nil, "callee_rejected")
		return
	}
	// The phone sends from the moment the answer is out (Meta's relay), like an inbound caller.
	c.pacer = simcore.NewPacer(c.track, true)
	item := map[string]interface{}{
		"id": c.id, "from": s.cfg.displayNumber, "to": c.caller, "event": "connect",
		"timestamp": fmt.Sprint(time.Now().Unix()), "direction": "BUSINESS_INITIATED",
		"session": map[string]interface{}{"sdp_type": "answer", "sdp": answer},
	}
	if c.bizOpaque != "" {
		item["biz_opaque_callback_data"] = c.bizOpaque
	}
	if st := s.postWebhook(c.id, "connect", s.envelopeFor(c.number, c.caller, item, nil)); st != 200 {
		c.end("FAILED", nil, fmt.Sprintf("connect webhook answered %d", st))
		return
	}
	// Meta reports ACCEPTED once the call is up (whatsapp.md §3.3): a bridge must wait for it,
	// not for its media, before the agent speaks.
	time.Sleep(s.cfg.acceptedAfter)
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.accepted = true
	c.acceptedAt = time.Now()
	c.mu.Unlock()
	s.postWebhook(c.id, "status_accepted", s.statusEnvelope(c, "ACCEPTED"))
	c.startMedia()
}

// statusEnvelope is a `statuses[]` webhook of a business-initiated call (whatsapp.md §3.3).
func (s *sim) statusEnvelope(c *call, status string) []byte {
	item := map[string]interface{}{"id": c.id, "timestamp": fmt.Sprint(time.Now().Unix()), "type": "call",
		"status": status, "recipient_id": c.caller}
	if c.bizOpaque != "" {
		item["biz_opaque_callback_data"] = c.bizOpaque
	}
	s.log.Event("status_sent", simcore.F{"call_id": c.id, "status": status})
	return s.envelopeWith(c.number, c.caller, "statuses", item, nil)
}

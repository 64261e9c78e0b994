package main

// GPT-Live (openai.md §6): POST /v1/live/sessions with the project API key and a JSON body
// {"session": {model, instructions, audio.output.voice, …}, "transport": {"type": "webrtc", "sdp"}}
// answers {"session": {…, "id"}, "transport": {"type": "webrtc", "sdp"}}. On the data channel the
// session announces itself with session.started, reports both sides' speech as transcript deltas
// with start_ms/end_ms, decides turns and barge-in itself (no VAD events, no output_audio_buffer.*)
// and may close with session.closed.

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strings"
	"time"

	"simcore"
)

var liveModels = map[string]bool{"gpt-live-1": true, "gpt-live-1.1": true}

// The session fields a WebRTC create may carry.
var liveSessionFields = map[string]bool{"model": true, "instructions": true, "audio": true,
	"delegation": true, "input": true, "client": true, "store": true}

const liveMaxInput = 128 // session.input: at most this many text messages

var liveClientEvents = []string{"session.update", "session.input_audio.mute",
	"session.input_audio.unmute", "session.instructions.append", "session.thinking.append",
	"session.commentary.append", "response.item.create", "response.create", "session.close"}

// checkLiveSession returns the parameter at fault and why, or "" when the session is acceptable.
func checkLiveSession(sess map[string]interface{}) (string, string) {
	keys := make([]string, 0, len(sess))
	for k := range sess {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !liveSessionFields[k] {
			return "session." + k, "Unknown parameter: 'session." + k + "'."
		}
	}
	model, _ := sess["model"].(string)
	if !liveModels[model] {
		return "session.model", fmt.Sprintf("Invalid value: '%v'. Supported values are: 'gpt-live-1' and 'gpt-live-1.1'.", sess["model"])
	}
	if a, ok := sess["audio"]; ok {
		audio, _ := a.(map[string]interface{})
		if audio == nil {
			return "session.audio", "Invalid type for 'session.audio': expected an object."
		}
		for _, dir := range []string{"input", "output"} {
			if d, _ := audio[dir].(map[string]interface{}); d != nil && d["format"] != nil {
				// Over WebRTC the codec is negotiated in SDP.
				return "session.audio." + dir + ".format",
					"'session.audio." + dir + ".format' cannot be set for a WebRTC session; the codec is negotiated in SDP."
			}
		}
	}
	if in, ok := sess["input"]; ok {
		items, _ := in.([]interface{})
		if items == nil || len(items) > liveMaxInput {
			return "session.input", fmt.Sprintf("'session.input' must be an array of at most %d messages.", liveMaxInput)
		}
	}
	if d, ok := sess["delegation"]; ok {
		del, _ := d.(map[string]interface{})
		if t, _ := del["type"].(string); t != "client" && t != "responses" {
			return "session.delegation.type", "Invalid value for 'session.delegation.type': expected 'client' or 'responses'."
		}
	}
	return "", ""
}

func (s *server) serveLiveSessions(w http.ResponseWriter, r *http.Request) {
	if r.Method != "POST" {
		apiError(w, 405, "invalid_request_error", "method_not_allowed", "Use POST")
		return
	}
	if !s.checkAPIKey(w, r) { // the project key itself: no ephemeral keys here
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		apiError(w, 400, "invalid_request_error", "unsupported_content_type", "Content-Type must be application/json")
		return
	}
	var req struct {
		Session   map[string]interface{} `json:"session"`
		Transport map[string]interface{} `json:"transport"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := json.Unmarshal(body, &req); err != nil {
		apiError(w, 400, "invalid_request_error", "invalid_json", "We could not parse the JSON body of your request.")
		return
	}
	if req.Session == nil {
		apiError(w, 400, "invalid_request_error", "missing_required_parameter", "Missing required parameter: 'session'.")
		return
	}
	if param, why := checkLiveSession(req.Session); param != "" {
		apiError(w, 400, "invalid_request_error", "invalid_value", why)
		return
	}
	if req.Transport == nil || req.Transport["type"] != "webrtc" {
		apiError(w, 400, "invalid_request_error", "invalid_value", "'transport.type' must be 'webrtc' on this endpoint.")
		return
	}
	offer, _ := req.Transport["sdp"].(string)
	plan := s.nextPlan()
	s.log.Event("call_request", simcore.F{"api": "live", "auth": "apikey", "offer_bytes": len(offer),
		"seq": plan.Seq, "path": r.URL.Path, "key_header": keyHeader(r), "session": req.Session})
	if s.refuseCall(w, r, offer, plan) {
		return
	}
	sess := map[string]interface{}{"object": "live.session",
		"instructions": "You are a helpful assistant.",
		"audio":        map[string]interface{}{"output": map[string]interface{}{"voice": "marin"}},
		"delegation":   map[string]interface{}{"type": "client"}, "store": false}
	merge(sess, deepCopy(req.Session))
	c, answer, err := s.newCall(offer, sess, "apikey", plan.DieAfter, true)
	if err != nil {
		s.log.Event("call_failed", simcore.F{"error": err.Error()})
		apiError(w, 400, "invalid_request_error", "invalid_offer",
			"Invalid SDP offer. Please try again with a WHIP-compliant offer.")
		return
	}
	if plan.Fault == agentDie {
		s.log.Event("chaos_fault", simcore.F{"seq": plan.Seq, "fault": plan.Fault, "call_id": c.id,
			"die_after_ms": plan.DieAfter.Milliseconds()})
	}
	c.mu.Lock()
	c.session["id"] = c.id
	out := deepCopy(c.session)
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", "req_"+simcore.RandomToken(12))
	_ = json.NewEncoder(w).Encode(map[string]interface{}{"session": out,
		"transport": map[string]interface{}{"type": "webrtc", "sdp": answer}})
}

// serveLiveAction handles POST /v1/live/sessions/{id}/hangup (the SIP-only actions are not
// simulated).
func (s *server) serveLiveAction(w http.ResponseWriter, r *http.Request) {
	rest := r.URL.Path[strings.Index(r.URL.Path, "/live/sessions/")+len("/live/sessions/"):]
	parts := strings.Split(rest, "/")
	if r.Method != "POST" || len(parts) != 2 || parts[1] != "hangup" {
		apiError(w, 404, "invalid_request_error", "not_found", "Unknown endpoint")
		return
	}
	if !s.checkAPIKey(w, r) {
		return
	}
	s.mu.Lock()
	c := s.calls[parts[0]]
	s.mu.Unlock()
	if c == nil || !c.live {
		apiError(w, 404, "invalid_request_error", "session_not_found", "Session "+parts[0]+" not found")
		return
	}
	s.log.Event("hangup_request", simcore.F{"call_id": c.id, "path": r.URL.Path, "key_header": keyHeader(r)})
	w.WriteHeader(200)
	go c.close("hangup")
}

// sendLiveError is GPT-Live's error event; client_event_id names the event that caused it.
func (c *call) sendLiveError(code, msg, clientEventID string) {
	ev := map[string]interface{}{"type": "error", "error": map[string]interface{}{
		"type": "invalid_request_error", "code": code, "message": msg}}
	if clientEventID != "" {
		ev["client_event_id"] = clientEventID
	}
	c.send(ev)
}

func (c *call) onLiveMessage(typ string, ev map[string]interface{}, eventID string) {
	switch typ {
	case "session.update":
		// Only the delegated Responses backend can change after creation.
		upd, _ := ev["session"].(map[string]interface{})
		del, _ := upd["delegation"].(map[string]interface{})
		ok := upd != nil && len(upd) == 1 && del != nil && len(del) == 1 && del["responses"] != nil
		if !ok {
			c.sendLiveError("invalid_value", "Only 'session.delegation.responses' can be updated on a live session.", eventID)
			return
		}
		c.mu.Lock()
		merge(c.session, deepCopy(upd))
		c.sessionUpdates++
		sess := deepCopy(c.session)
		c.mu.Unlock()
		c.send(map[string]interface{}{"type": "session.updated", "session": sess})
	case "session.input_audio.mute", "session.input_audio.unmute":
		c.mu.Lock()
		c.muted = typ == "session.input_audio.mute"
		c.mu.Unlock()
	case "session.instructions.append", "session.thinking.append", "session.commentary.append",
		"response.item.create":
		// Context for the model: recorded (--record-events), nothing to answer.
	case "response.create":
		c.mu.Lock()
		busy := c.respID != "" && !c.respDone
		c.mu.Unlock()
		if busy {
			c.sendLiveError("response_in_progress", "The model is already speaking.", eventID)
			return
		}
		go c.liveRespond()
	case "session.close":
		c.send(map[string]interface{}{"type": "session.closed", "reason": "close_requested"})
		go func() {
			time.Sleep(200 * time.Millisecond)
			c.close("session_close")
		}()
	case "session.start":
		c.sendLiveError("invalid_event", "'session.start' is not used over WebRTC: the session starts when the connection is up.", eventID)
	default:
		c.sendLiveError("invalid_event", fmt.Sprintf("Invalid value: '%s'. Supported values are: '%s'.",
			typ, strings.Join(liveClientEvents, "', '")), eventID)
	}
}

// liveRespond speaks one turn: the greeting clip first, the reply clip after that, with its
// transcript as deltas timed within the audio.
func (c *call) liveRespond() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.responses++
	first := c.responses == 1
	respID := "turn_" + simcore.RandomToken(12)
	c.respID, c.respDone = respID, false
	at := time.Since(c.startedAt).Milliseconds()
	c.mu.Unlock()
	clip, text := c.s.reply, c.s.cfg.replyTranscript
	if first {
		clip, text = c.s.greeting, c.s.cfg.greetingTranscript
	}
	played := c.pacer.Play(clip)
	c.s.log.Event("agent_speaks", simcore.F{"call_id": c.id, "response_id": respID, "packets": len(clip)})
	words := strings.SplitAfter(text, " ")
	per := int64(len(clip)) * 20 / int64(len(words))
	for i, w := range words {
		if c.currentResponse() != respID {
			break // cut off by the caller
		}
		c.send(map[string]interface{}{"type": "session.output_transcript.delta", "delta": w,
			"start_ms": at + int64(i)*per, "end_ms": at + int64(i+1)*per})
		time.Sleep(40 * time.Millisecond)
	}
	<-played
	c.mu.Lock()
	if c.respID == respID {
		c.respID, c.respDone = "", true
	}
	c.mu.Unlock()
}

// liveBargeIn: the caller talks over the model, which stops (GPT-Live decides this itself and
// tells the client nothing).
func (c *call) liveBargeIn() {
	c.mu.Lock()
	respID := c.respID
	if respID != "" {
		c.respID, c.respDone = "", true
	}
	c.mu.Unlock()
	if respID != "" && c.pacer.Cut() {
		c.s.log.Event("barge_in", simcore.F{"call_id": c.id, "response_id": respID})
	}
}

// liveCallerTurn ends a caller turn: its transcript as deltas spread over the speech, then the
// model answers.
func (c *call) liveCallerTurn(endMs int64) {
	c.mu.Lock()
	startMs := c.speechStart.Sub(c.startedAt).Milliseconds()
	c.mu.Unlock()
	c.s.log.Event("caller_speech_stopped", simcore.F{"call_id": c.id})
	words := strings.SplitAfter(c.s.cfg.callerTranscript, " ")
	per := (endMs - startMs) / int64(len(words))
	for i, w := range words {
		c.send(map[string]interface{}{"type": "session.input_transcript.delta", "delta": w,
			"start_ms": startMs + int64(i)*per, "end_ms": startMs + int64(i+1)*per})
	}
	go c.liveRespond()
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/datachannel"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v3"

	"simcore"
)

// call is one Realtime GA call or GPT-Live session (live): the Pion answerer, its data channel
// and the turn state.
type call struct {
	s        *server
	id       string
	auth     string
	live     bool // GPT-Live's event protocol (live.go) instead of Realtime GA's
	pc       *webrtc.PeerConnection
	track    *simcore.RawTrack
	pacer    *simcore.Pacer
	recorder *simcore.Recorder
	record   string
	opusPT   uint8

	sendMu sync.Mutex // serialises data-channel writes
	dc     datachannel.ReadWriteCloser

	mu             sync.Mutex
	session        map[string]interface{}
	closed         bool
	cause          string
	received       int
	otherPT        int // packets on the audio track that are not Opus (e.g. telephone-event)
	sessionUpdates int
	eventsIn       map[string]int
	responses      int
	// voice activity
	speaking    bool
	muted       bool // GPT-Live session.input_audio.mute: the model hears nothing
	speechRun   int
	lastSpeech  time.Time
	speechStart time.Time
	// the response being spoken
	respID     string
	respDone   bool
	respPlayed chan struct{}
	itemCount  int
	startedAt  time.Time
}

func (s *server) recordPath(n int) string {
	if s.cfg.record == "" || n == 1 {
		return s.cfg.record
	}
	ext := filepath.Ext(s.cfg.record)
	return fmt.Sprintf("%s.%d%s", strings.TrimSuffix(s.cfg.record, ext), n, ext)
}

func deepCopy(m map[string]interface{}) map[string]interface{} {
	b, _ := json.Marshal(m)
	var out map[string]interface{}
	_ = json.Unmarshal(b, &out)
	return out
}

// newCall answers an offer: ice-lite, DTLS client, Opus with the offer's payload type and fmtp.
func (s *server) newCall(offer string, sess map[string]interface{}, auth string, dieAfter time.Duration,
	live bool) (*call, string, error) {
	s.mu.Lock()
	n := len(s.order) + 1
	s.mu.Unlock()
	id := "rtc_u1_" + simcore.RandomToken(18)
	if live {
		id = "sess_live_" + simcore.RandomToken(18)
	}
	c := &call{s: s, id: id, auth: auth, live: live, session: deepCopy(sess),
		eventsIn: map[string]int{}, record: s.recordPath(n), startedAt: time.Now()}
	pt, _ := strconv.Atoi(simcore.OpusPT(offer))
	c.opusPT = uint8(pt)
	var err error
	if c.recorder, err = simcore.NewRecorder(c.record); err != nil {
		return nil, "", err
	}
	api, err := simcore.NewAPI(simcore.APIOptions{Lite: true, Loopback: true, DTLSClient: true,
		OpusPT: uint8(pt), OpusFmtp: simcore.Fmtp(offer, strconv.Itoa(pt)), ReceiverReports: time.Second})
	if err != nil {
		return nil, "", err
	}
	if c.pc, err = api.NewPeerConnection(webrtc.Configuration{}); err != nil {
		return nil, "", err
	}
	c.pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		s.log.Event("peer_state", simcore.F{"call_id": c.id, "state": st.String()})
		switch st {
		case webrtc.PeerConnectionStateConnected:
			if s.cfg.fail == "close-midcall" {
				time.AfterFunc(s.cfg.closeAfter, func() { c.close("fail_close_midcall") })
			}
			if dieAfter > 0 {
				time.AfterFunc(dieAfter, func() { c.close("chaos_die") })
			}
		case webrtc.PeerConnectionStateFailed:
			c.close("peer_failed")
		}
	})
	c.pc.OnTrack(func(t *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
		go simcore.ReadRTCPForever(receiver)
		for {
			pkt, _, err := t.ReadRTP()
			if err != nil {
				return
			}
			c.onRTP(pkt)
		}
	})
	c.pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		s.log.Event("data_channel", simcore.F{"call_id": c.id, "label": dc.Label()})
		dc.OnOpen(func() { c.onOpen(dc) })
	})
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		c.pc.Close()
		return nil, "", err
	}
	c.track = simcore.NewRawTrack("audio", "openai")
	sender, err := c.pc.AddTrack(c.track)
	if err != nil {
		c.pc.Close()
		return nil, "", err
	}
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, _, err := sender.Read(buf); err != nil {
				return
			}
		}
	}()
	answer, err := c.pc.CreateAnswer(nil)
	if err != nil {
		c.pc.Close()
		return nil, "", err
	}
	sdp, err := simcore.LocalSDP(c.pc, answer)
	if err != nil {
		c.pc.Close()
		return nil, "", err
	}
	sdp = simcore.WithMaxMessageSize(sdp)
	c.pacer = simcore.NewPacer(c.track, false)
	s.mu.Lock()
	s.calls[c.id] = c
	s.order = append(s.order, c)
	s.mu.Unlock()
	s.log.Event("call_created", simcore.F{"call_id": c.id, "auth": auth, "opus_pt": pt,
		"model": c.session["model"], "live": live})
	if s.cfg.maxSession > 0 {
		time.AfterFunc(s.cfg.maxSession, c.expire)
	}
	go c.watchSpeech()
	return c, sdp, nil
}

func (c *call) onOpen(dc *webrtc.DataChannel) {
	if !simcore.RaiseSendLimit(c.pc) {
		c.s.log.Event("note", simcore.F{"call_id": c.id, "text": "cannot raise the SCTP send limit"})
	}
	raw, err := dc.Detach()
	if err != nil {
		c.s.log.Event("detach_failed", simcore.F{"call_id": c.id, "error": err.Error()})
		return
	}
	c.sendMu.Lock()
	c.dc = raw
	c.sendMu.Unlock()
	c.mu.Lock()
	sess := deepCopy(c.session)
	c.mu.Unlock()
	if c.live {
		// GPT-Live: configured at creation; the client waits for this and never sends session.start.
		c.send(map[string]interface{}{"type": "session.started", "session": sess})
	} else {
		c.send(map[string]interface{}{"type": "session.created", "session": sess})
	}
	if !c.live {
		c.send(map[string]interface{}{"type": "conversation.created", "conversation": map[string]interface{}{
			"id": "conv_" + simcore.RandomToken(12), "object": "realtime.conversation"}})
	}
	go func() {
		buf := make([]byte, simcore.MaxMessageSize+1)
		for {
			n, isString, err := raw.ReadDataChannel(buf)
			if err != nil {
				if err != io.EOF {
					c.s.log.Event("data_channel_closed", simcore.F{"call_id": c.id, "error": err.Error()})
				}
				return
			}
			c.onMessage(append([]byte{}, buf[:n]...), isString)
		}
	}()
}

// send writes one server event (adds event_id) and logs its type.
func (c *call) send(ev map[string]interface{}) {
	ev["event_id"] = "event_" + simcore.RandomToken(12)
	b, _ := json.Marshal(ev)
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	if c.dc == nil {
		return
	}
	if _, err := c.dc.WriteDataChannel(b, true); err != nil {
		c.s.log.Event("send_failed", simcore.F{"call_id": c.id, "type": ev["type"], "error": err.Error()})
		return
	}
	c.s.log.Event("event_sent", simcore.F{"call_id": c.id, "type": ev["type"], "bytes": len(b)})
}

func (c *call) sendError(code, msg, param, eventID string) {
	e := map[string]interface{}{"type": "invalid_request_error", "code": code, "message": msg,
		"param": nil, "event_id": nil}
	if param != "" {
		e["param"] = param
	}
	if eventID != "" {
		e["event_id"] = eventID
	}
	c.send(map[string]interface{}{"type": "error", "error": e})
}

func (c *call) onMessage(b []byte, isString bool) {
	var ev map[string]interface{}
	if !isString || json.Unmarshal(b, &ev) != nil {
		c.sendError("invalid_json", "The message is not valid JSON text.", "", "")
		return
	}
	typ, _ := ev["type"].(string)
	eventID, _ := ev["event_id"].(string)
	c.mu.Lock()
	c.eventsIn[typ]++
	c.mu.Unlock()
	c.s.log.Event("event_received", simcore.F{"call_id": c.id, "type": typ, "bytes": len(b)})
	c.s.recordEvent(c.id, b)
	if c.live {
		c.onLiveMessage(typ, ev, eventID)
		return
	}
	switch typ {
	case "session.update":
		c.onSessionUpdate(b, ev, eventID)
	case "response.create":
		c.mu.Lock()
		busy := c.respID != "" && !c.respDone
		c.mu.Unlock()
		if busy {
			c.sendError("conversation_already_has_active_response",
				"Conversation already has an active response in progress.", "", eventID)
			return
		}
		go c.respond()
	case "response.cancel":
		if !c.cancelResponse("client_cancelled") {
			c.sendError("response_cancel_not_active", "Cancellation failed: no active response found.", "", eventID)
		}
	case "output_audio_buffer.clear":
		if c.pacer.Cut() {
			c.send(map[string]interface{}{"type": "output_audio_buffer.cleared", "response_id": c.currentResponse()})
		}
	case "conversation.item.create":
		item, _ := ev["item"].(map[string]interface{})
		if item == nil {
			c.sendError("missing_required_parameter", "Missing required parameter: 'item'.", "item", eventID)
			return
		}
		item["id"] = "item_" + simcore.RandomToken(12)
		c.send(map[string]interface{}{"type": "conversation.item.added", "item": item})
		c.send(map[string]interface{}{"type": "conversation.item.done", "item": item})
	case "input_audio_buffer.commit":
		c.send(map[string]interface{}{"type": "input_audio_buffer.committed",
			"item_id": "item_" + simcore.RandomToken(12), "previous_item_id": nil})
	case "input_audio_buffer.clear":
		c.send(map[string]interface{}{"type": "input_audio_buffer.cleared"})
	default:
		c.sendError("invalid_event", fmt.Sprintf("Invalid value: '%s'. Supported values are: 'session.update', 'input_audio_buffer.append', 'input_audio_buffer.commit', 'input_audio_buffer.clear', 'conversation.item.create', 'conversation.item.truncate', 'conversation.item.delete', 'conversation.item.retrieve', 'response.create', 'response.cancel', and 'output_audio_buffer.clear'.", typ), "type", eventID)
	}
}

func (c *call) onSessionUpdate(raw []byte, ev map[string]interface{}, eventID string) {
	if f := c.s.sessFile; f != nil {
		c.s.mu.Lock()
		_, _ = f.Write(append(append([]byte{}, raw...), '\n'))
		_ = f.Sync()
		c.s.mu.Unlock()
	}
	upd, _ := ev["session"].(map[string]interface{})
	if upd == nil {
		c.sendError("missing_required_parameter", "Missing required parameter: 'session'.", "session", eventID)
		return
	}
	if upd["type"] != "realtime" {
		c.sendError("missing_required_parameter", "Missing required parameter: 'session.type'.", "session.type", eventID)
		return
	}
	c.mu.Lock()
	if m, ok := upd["model"]; ok && m != c.session["model"] {
		c.mu.Unlock()
		c.sendError("invalid_value", "Cannot update a session's model.", "session.model", eventID)
		return
	}
	merge(c.session, deepCopy(upd))
	c.sessionUpdates++
	sess := deepCopy(c.session)
	c.mu.Unlock()
	if c.s.cfg.fail == "no-session-updated" {
		c.s.log.Event("withholding_session_updated", simcore.F{"call_id": c.id})
		return
	}
	c.send(map[string]interface{}{"type": "session.updated", "session": sess})
}

func (c *call) currentResponse() string { c.mu.Lock(); defer c.mu.Unlock(); return c.respID }

// turnDetection returns the session's turn_detection object (nil when disabled).
func (c *call) turnDetection() map[string]interface{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, _ := c.session["audio"].(map[string]interface{})
	in, _ := a["input"].(map[string]interface{})
	td, _ := in["turn_detection"].(map[string]interface{})
	return td
}

func (c *call) transcriptionOn() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, _ := c.session["audio"].(map[string]interface{})
	in, _ := a["input"].(map[string]interface{})
	t, _ := in["transcription"].(map[string]interface{})
	return t != nil
}

// respond speaks one response: the greeting clip first, the reply clip after that.
func (c *call) respond() { c.respondWith(nil) }

// respondWith is respond, ending the response with a function call when tc is set (after the
// spoken item, as the model does when it says something and then calls a tool).
func (c *call) respondWith(tc *toolCall) {
	if c.live {
		c.liveRespond()
		return
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.responses++
	first := c.responses == 1
	respID := "resp_" + simcore.RandomToken(12)
	itemID := "item_" + simcore.RandomToken(12)
	c.respID, c.respDone = respID, false
	c.mu.Unlock()
	clip, text := c.s.reply, c.s.cfg.replyTranscript
	if first {
		clip, text = c.s.greeting, c.s.cfg.greetingTranscript
	}
	resp := map[string]interface{}{"id": respID, "object": "realtime.response", "status": "in_progress",
		"output": []interface{}{}, "output_modalities": []interface{}{"audio"}}
	c.send(map[string]interface{}{"type": "response.created", "response": resp})
	item := map[string]interface{}{"id": itemID, "object": "realtime.item", "type": "message",
		"status": "in_progress", "role": "assistant", "content": []interface{}{}}
	c.send(map[string]interface{}{"type": "conversation.item.added", "item": item})
	c.send(map[string]interface{}{"type": "response.output_item.added", "response_id": respID,
		"output_index": 0, "item": item})
	c.send(map[string]interface{}{"type": "response.content_part.added", "response_id": respID,
		"item_id": itemID, "output_index": 0, "content_index": 0,
		"part": map[string]interface{}{"type": "output_audio", "transcript": ""}})
	played := c.pacer.Play(clip)
	c.send(map[string]interface{}{"type": "output_audio_buffer.started", "response_id": respID})
	c.s.log.Event("agent_speaks", simcore.F{"call_id": c.id, "response_id": respID, "packets": len(clip)})
	// The model generates faster than real time: transcript deltas and response.done come early,
	// output_audio_buffer.stopped when the audio has drained.
	for _, w := range strings.SplitAfter(text, " ") {
		if c.currentResponse() != respID {
			return
		}
		c.send(map[string]interface{}{"type": "response.output_audio_transcript.delta",
			"response_id": respID, "item_id": itemID, "output_index": 0, "content_index": 0, "delta": w})
		time.Sleep(40 * time.Millisecond)
	}
	c.mu.Lock()
	if c.respID != respID || c.respDone {
		c.mu.Unlock()
		return
	}
	c.respDone = true
	c.mu.Unlock()
	c.send(map[string]interface{}{"type": "response.output_audio_transcript.done", "response_id": respID,
		"item_id": itemID, "output_index": 0, "content_index": 0, "transcript": text})
	part := map[string]interface{}{"type": "output_audio", "transcript": text}
	c.send(map[string]interface{}{"type": "response.content_part.done", "response_id": respID,
		"item_id": itemID, "output_index": 0, "content_index": 0, "part": part})
	item["status"], item["content"] = "completed", []interface{}{part}
	c.send(map[string]interface{}{"type": "response.output_item.done", "response_id": respID,
		"output_index": 0, "item": item})
	c.send(map[string]interface{}{"type": "conversation.item.done", "item": item})
	output := []interface{}{item}
	if tc != nil {
		output = append(output, c.sendFunctionCall(respID, tc))
	}
	resp["status"], resp["output"] = "completed", output
	resp["usage"] = map[string]interface{}{"total_tokens": 120, "input_tokens": 80, "output_tokens": 40}
	c.send(map[string]interface{}{"type": "response.done", "response": resp})
	<-played
	if c.currentResponse() == respID {
		c.send(map[string]interface{}{"type": "output_audio_buffer.stopped", "response_id": respID})
		c.mu.Lock()
		c.respID = ""
		c.mu.Unlock()
	}
}

// sendFunctionCall streams a function_call output item (index 1) the GA way; returns the item.
func (c *call) sendFunctionCall(respID string, tc *toolCall) map[string]interface{} {
	itemID, callID := "item_"+simcore.RandomToken(12), "call_"+simcore.RandomToken(12)
	item := map[string]interface{}{"id": itemID, "object": "realtime.item", "type": "function_call",
		"status": "in_progress", "name": tc.name, "call_id": callID, "arguments": ""}
	c.send(map[string]interface{}{"type": "response.output_item.added", "response_id": respID,
		"output_index": 1, "item": item})
	c.send(map[string]interface{}{"type": "conversation.item.added", "item": item})
	c.send(map[string]interface{}{"type": "response.function_call_arguments.delta", "response_id": respID,
		"item_id": itemID, "output_index": 1, "call_id": callID, "delta": tc.args})
	c.send(map[string]interface{}{"type": "response.function_call_arguments.done", "response_id": respID,
		"item_id": itemID, "output_index": 1, "call_id": callID, "name": tc.name, "arguments": tc.args})
	done := map[string]interface{}{"id": itemID, "object": "realtime.item", "type": "function_call",
		"status": "completed", "name": tc.name, "call_id": callID, "arguments": tc.args}
	c.send(map[string]interface{}{"type": "response.output_item.done", "response_id": respID,
		"output_index": 1, "item": done})
	c.send(map[string]interface{}{"type": "conversation.item.done", "item": done})
	c.s.log.Event("tool_call_sent", simcore.F{"call_id": c.id, "response_id": respID, "name": tc.name,
		"tool_call_id": callID, "arguments": tc.args})
	return done
}

// cancelResponse stops the response being spoken (barge-in or response.cancel).
func (c *call) cancelResponse(reason string) bool {
	c.mu.Lock()
	respID, done := c.respID, c.respDone
	if respID == "" {
		c.mu.Unlock()
		return false
	}
	c.respID, c.respDone = "", true
	c.mu.Unlock()
	if !done {
		c.send(map[string]interface{}{"type": "response.done", "response": map[string]interface{}{
			"id": respID, "object": "realtime.response", "status": "cancelled",
			"status_details": map[string]interface{}{"type": "cancelled", "reason": reason}}})
	}
	rest := c.pacer.Remaining()
	if c.pacer.Cut() {
		c.send(map[string]interface{}{"type": "output_audio_buffer.cleared", "response_id": respID})
		if n := c.s.cfg.leakAfterClear; n > 0 && len(rest) > 0 {
			// Audio already in flight when the buffer was cleared: a correct bridge drops it.
			if n > len(rest) {
				n = len(rest)
			}
			c.pacer.Play(rest[:n])
			c.s.log.Event("leaked_after_clear", simcore.F{"call_id": c.id, "response_id": respID,
				"packets": n, "payloads": rest[:n]}) // base64 in JSON
		}
	}
	return true
}

// onRTP records the caller's audio and feeds the voice-activity detector: payloads larger than
// a silence frame are speech.
func (c *call) onRTP(pkt *rtp.Packet) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.received++
	if pkt.PayloadType != c.opusPT {
		c.otherPT++
		if c.otherPT == 1 {
			c.s.log.Event("unexpected_payload_type", simcore.F{"call_id": c.id, "pt": pkt.PayloadType})
		}
		c.mu.Unlock()
		return // not audio: neither recorded nor heard by the VAD
	}
	big := len(pkt.Payload) > c.s.cfg.speechBytes && !c.muted
	start := false
	if big {
		c.speechRun++
		c.lastSpeech = time.Now()
		if !c.speaking && c.speechRun >= 3 {
			c.speaking, start = true, true
			c.speechStart = time.Now()
		}
	} else {
		c.speechRun = 0
	}
	startMs := time.Since(c.startedAt).Milliseconds()
	c.mu.Unlock()
	if pkt.PayloadType == c.opusPT {
		c.recorder.Write(pkt)
	}
	if start && c.live {
		c.s.log.Event("caller_speech_started", simcore.F{"call_id": c.id})
		c.liveBargeIn()
	}
	if start && !c.live && c.turnDetection() != nil {
		itemID := "item_" + simcore.RandomToken(12)
		c.s.log.Event("caller_speech_started", simcore.F{"call_id": c.id})
		c.send(map[string]interface{}{"type": "input_audio_buffer.speech_started",
			"audio_start_ms": startMs, "item_id": itemID})
		if td := c.turnDetection(); td["interrupt_response"] != false {
			c.cancelResponse("turn_detected")
		}
	}
}

// watchSpeech ends a caller turn after --vad-silence without speech packets.
func (c *call) watchSpeech() {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return
		}
		stop := c.speaking && time.Since(c.lastSpeech) > c.s.cfg.silence
		if stop {
			c.speaking = false
			c.speechRun = 0
		}
		endMs := time.Since(c.startedAt).Milliseconds()
		c.mu.Unlock()
		if !stop {
			continue
		}
		if c.live {
			c.liveCallerTurn(endMs)
			continue
		}
		td := c.turnDetection()
		if td == nil {
			continue
		}
		itemID := "item_" + simcore.RandomToken(12)
		c.s.log.Event("caller_speech_stopped", simcore.F{"call_id": c.id})
		c.send(map[string]interface{}{"type": "input_audio_buffer.speech_stopped", "audio_end_ms": endMs,
			"item_id": itemID})
		c.send(map[string]interface{}{"type": "input_audio_buffer.committed", "item_id": itemID,
			"previous_item_id": nil})
		item := map[string]interface{}{"id": itemID, "object": "realtime.item", "type": "message",
			"status": "completed", "role": "user", "content": []interface{}{
				map[string]interface{}{"type": "input_audio", "transcript": nil}}}
		c.send(map[string]interface{}{"type": "conversation.item.added", "item": item})
		c.send(map[string]interface{}{"type": "conversation.item.done", "item": item})
		if td["create_response"] != false {
			go c.respondWith(c.s.nextToolCall())
		}
		if c.transcriptionOn() {
			go func() {
				time.Sleep(300 * time.Millisecond)
				c.send(map[string]interface{}{"type": "conversation.item.input_audio_transcription.completed",
					"item_id": itemID, "content_index": 0, "transcript": c.s.cfg.callerTranscript,
					"usage": map[string]interface{}{"type": "duration", "seconds": 3}})
			}()
		} else {
			c.s.log.Event("note", simcore.F{"call_id": c.id,
				"text": "no caller transcript: session.audio.input.transcription is not set"})
		}
	}
}

// expire ends the session at --max-session the way the service does at its limit: Realtime GA
// sends an error with code session_expired, GPT-Live session.closed with reason expired; then the
// connection closes.
func (c *call) expire() {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return
	}
	c.s.log.Event("session_expired", simcore.F{"call_id": c.id, "after_ms": c.s.cfg.maxSession.Milliseconds()})
	if c.live {
		c.send(map[string]interface{}{"type": "session.closed", "reason": "expired"})
	} else {
		c.send(map[string]interface{}{"type": "error", "error": map[string]interface{}{
			"type": "invalid_request_error", "code": "session_expired", "param": nil, "event_id": nil,
			"message": fmt.Sprintf("Your session hit the maximum duration of %v.", c.s.cfg.maxSession)}})
	}
	time.Sleep(200 * time.Millisecond) // the event leaves before the connection goes
	c.close("session_expired")
}

// close ends the call (hangup, failure switch, peer failure, shutdown).
func (c *call) close(cause string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed, c.cause = true, cause
	c.mu.Unlock()
	c.pacer.Stop()
	_ = c.pc.Close()
	packets, _, _ := c.recorder.Close()
	c.s.log.Event("call_closed", simcore.F{"call_id": c.id, "cause": cause, "recorded_packets": packets})
}

func (c *call) report() map[string]interface{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return map[string]interface{}{"call_id": c.id, "auth": c.auth, "live": c.live, "cause": c.cause,
		"packets_received": c.received, "packets_other_pt": c.otherPT, "packets_sent": c.track.Sent(),
		"session_updates": c.sessionUpdates, "responses": c.responses, "events_received": c.eventsIn,
		"record": c.record}
}

package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v3"
)

func liveBody(session interface{}, transport interface{}) *strings.Reader {
	b, _ := json.Marshal(map[string]interface{}{"session": session, "transport": transport})
	return strings.NewReader(string(b))
}

func TestLiveSessionErrors(t *testing.T) {
	_, ts := newTestServer(t, config{apiKey: "sk-right"})
	url := ts.URL + "/v1/live/sessions"
	webrtcOffer := map[string]interface{}{"type": "webrtc", "sdp": "not sdp"}
	cases := []struct {
		name, ctype, key string
		session          interface{}
		transport        interface{}
		status           int
		code             string
	}{
		{"wrong key", "application/json", "sk-wrong", map[string]interface{}{"model": "gpt-live-1"}, webrtcOffer, 401, "invalid_api_key"},
		{"ephemeral key", "application/json", "ek_x", map[string]interface{}{"model": "gpt-live-1"}, webrtcOffer, 401, "invalid_api_key"},
		{"not JSON", "application/sdp", "sk-right", map[string]interface{}{"model": "gpt-live-1"}, webrtcOffer, 400, "unsupported_content_type"},
		{"no session", "application/json", "sk-right", nil, webrtcOffer, 400, "missing_required_parameter"},
		{"realtime model", "application/json", "sk-right", map[string]interface{}{"model": "gpt-realtime-2.1"}, webrtcOffer, 400, "invalid_value"},
		{"GA session shape", "application/json", "sk-right", map[string]interface{}{"model": "gpt-live-1", "type": "realtime"}, webrtcOffer, 400, "invalid_value"},
		{"audio format on WebRTC", "application/json", "sk-right", map[string]interface{}{"model": "gpt-live-1",
			"audio": map[string]interface{}{"output": map[string]interface{}{"format": map[string]interface{}{"type": "audio/pcm"}}}}, webrtcOffer, 400, "invalid_value"},
		{"websocket transport", "application/json", "sk-right", map[string]interface{}{"model": "gpt-live-1"},
			map[string]interface{}{"type": "websocket"}, 400, "invalid_value"},
		{"bad offer", "application/json", "sk-right", map[string]interface{}{"model": "gpt-live-1"}, webrtcOffer, 400, "invalid_offer"},
	}
	for _, c := range cases {
		if r, b := post(t, url, c.ctype, c.key, liveBody(c.session, c.transport)); r.StatusCode != c.status || errorCode(b) != c.code {
			t.Errorf("%s: %d %s", c.name, r.StatusCode, b)
		}
	}
	if r, _ := post(t, url+"/sess_nope/hangup", "", "sk-right", nil); r.StatusCode != 404 {
		t.Errorf("hangup of an unknown session: %d", r.StatusCode)
	}
}

// A GPT-Live session over WebRTC: JSON create, session.started, response.create speaks with
// transcript deltas, GA events are refused with client_event_id, session.close closes.
func TestLiveSession(t *testing.T) {
	s, ts := newTestServer(t, config{apiKey: "sk-right"})
	c, offer := newClient(t)
	r, b := post(t, ts.URL+"/v1/live/sessions", "application/json", "sk-right", liveBody(
		map[string]interface{}{"model": "gpt-live-1.1", "instructions": "Be brief.",
			"audio": map[string]interface{}{"output": map[string]interface{}{"voice": "cedar"}}, "store": false},
		map[string]interface{}{"type": "webrtc", "sdp": offer}))
	var created struct {
		Session   map[string]interface{} `json:"session"`
		Transport map[string]interface{} `json:"transport"`
	}
	if r.StatusCode != 200 || json.Unmarshal(b, &created) != nil || created.Transport["type"] != "webrtc" {
		t.Fatalf("create: %d %s", r.StatusCode, b)
	}
	id, _ := created.Session["id"].(string)
	answer, _ := created.Transport["sdp"].(string)
	if !strings.HasPrefix(id, "sess_") || created.Session["model"] != "gpt-live-1.1" || !strings.Contains(answer, "a=ice-lite") {
		t.Fatalf("create answer: %s", b)
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	started := c.next(t, "session.started")
	sess := started["session"].(map[string]interface{})
	voice := sess["audio"].(map[string]interface{})["output"].(map[string]interface{})["voice"]
	if sess["id"] != id || sess["instructions"] != "Be brief." || voice != "cedar" {
		t.Fatalf("session.started: %v", started)
	}
	<-c.open
	c.send(map[string]interface{}{"type": "response.create"})
	var said string
	for said != "reply" {
		d := c.next(t, "session.output_transcript.delta")
		said += d["delta"].(string)
		if _, ok := d["end_ms"].(float64); !ok {
			t.Fatalf("delta without end_ms: %v", d)
		}
	}
	c.send(map[string]interface{}{"type": "conversation.item.create", "event_id": "ev_1"})
	if e := c.next(t, "error"); e["client_event_id"] != "ev_1" || e["error"].(map[string]interface{})["code"] != "invalid_event" {
		t.Fatalf("GA event: %v", e)
	}
	c.send(map[string]interface{}{"type": "session.update", "event_id": "ev_2",
		"session": map[string]interface{}{"instructions": "x"}})
	if e := c.next(t, "error"); e["client_event_id"] != "ev_2" {
		t.Fatalf("session.update of instructions: %v", e)
	}
	c.send(map[string]interface{}{"type": "session.close"})
	if e := c.next(t, "session.closed"); e["reason"] != "close_requested" {
		t.Fatalf("session.closed: %v", e)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.calls[id].report()["cause"] != "session_close" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if s.calls[id].report()["cause"] != "session_close" {
		t.Fatal("session not closed by session.close")
	}
}

// --max-session: a Realtime call gets error session_expired and is closed.
func TestMaxSession(t *testing.T) {
	s, ts := newTestServer(t, config{maxSession: 1500 * time.Millisecond})
	c, offer := newClient(t)
	body, ct := multipartBody(t, offer, `{"type":"realtime"}`)
	r, b := post(t, ts.URL+"/v1/realtime/calls", ct, "sk-any", body)
	if r.StatusCode != 201 {
		t.Fatalf("calls: %d %s", r.StatusCode, b)
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(b)}); err != nil {
		t.Fatal(err)
	}
	c.next(t, "session.created")
	e := c.next(t, "error")
	if e["error"].(map[string]interface{})["code"] != "session_expired" {
		t.Fatalf("expiry: %v", e)
	}
	id := strings.TrimPrefix(r.Header.Get("Location"), "/v1/realtime/calls/")
	deadline := time.Now().Add(5 * time.Second)
	for s.calls[id].report()["cause"] != "session_expired" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if s.calls[id].report()["cause"] != "session_expired" {
		t.Fatal("call not closed at its limit")
	}
}

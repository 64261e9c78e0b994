package main

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v3"

	"simcore"
)

func newTestServer(t *testing.T, c config) (*server, *httptest.Server) {
	t.Helper()
	if c.replyTranscript == "" {
		c.replyTranscript = "reply"
	}
	c.greetingTranscript = c.replyTranscript
	if c.silence == 0 {
		c.silence = 600 * time.Millisecond
	}
	if c.speechBytes == 0 {
		c.speechBytes = 20
	}
	s := &server{cfg: c, log: simcore.NewLogger("openaisim-test"), secrets: map[string]secret{},
		calls: map[string]*call{}}
	if c.recordSession != "" {
		f, err := os.Create(c.recordSession)
		if err != nil {
			t.Fatal(err)
		}
		s.sessFile = f
	}
	ts := httptest.NewServer(s.handler())
	t.Cleanup(func() { ts.Close(); s.shutdown() })
	return s, ts
}

func multipartBody(t *testing.T, sdp, session string) (*bytes.Buffer, string) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, p := range [][3]string{{"sdp", "application/sdp", sdp}, {"session", "application/json", session}} {
		if p[2] == "" {
			continue
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+p[0]+`"`)
		h.Set("Content-Type", p[1])
		w, _ := mw.CreatePart(h)
		_, _ = w.Write([]byte(p[2]))
	}
	mw.Close()
	return &body, mw.FormDataContentType()
}

func post(t *testing.T, url, ctype, key string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, body)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

func errorCode(b []byte) string {
	var e struct {
		Error struct {
			Code interface{} `json:"code"`
			Type string      `json:"type"`
		} `json:"error"`
	}
	_ = json.Unmarshal(b, &e)
	if e.Error.Code == nil {
		return e.Error.Type
	}
	return e.Error.Code.(string)
}

func TestCallsErrors(t *testing.T) {
	_, ts := newTestServer(t, config{apiKey: "sk-right"})
	body, ct := multipartBody(t, "v=0\r\n", `{"type":"realtime"}`)
	if r, b := post(t, ts.URL+"/v1/realtime/calls", ct, "sk-wrong", body); r.StatusCode != 401 || errorCode(b) != "invalid_api_key" {
		t.Fatalf("wrong key: %d %s", r.StatusCode, b)
	}
	body, ct = multipartBody(t, "not sdp", `{"type":"realtime"}`)
	if r, b := post(t, ts.URL+"/v1/realtime/calls", ct, "sk-right", body); r.StatusCode != 400 || errorCode(b) != "invalid_offer" {
		t.Fatalf("bad offer: %d %s", r.StatusCode, b)
	}
	body, ct = multipartBody(t, "v=0\r\n", `{"model":"x"}`)
	if r, b := post(t, ts.URL+"/v1/realtime/calls", ct, "sk-right", body); r.StatusCode != 400 || errorCode(b) != "missing_required_parameter" {
		t.Fatalf("session without type: %d %s", r.StatusCode, b)
	}
	if r, b := post(t, ts.URL+"/v1/realtime/calls", "application/sdp", "ek_unknown", strings.NewReader("v=0")); r.StatusCode != 401 {
		t.Fatalf("unknown ek: %d %s", r.StatusCode, b)
	}
	if r, _ := post(t, ts.URL+"/v1/realtime/calls/rtc_nope/hangup", "", "sk-right", nil); r.StatusCode != 404 {
		t.Fatalf("hangup of an unknown call: %d", r.StatusCode)
	}
	if r, b := post(t, ts.URL+"/v1/realtime/client_secrets", "application/json", "sk-right",
		strings.NewReader(`{"expires_after":{"anchor":"created_at","seconds":5},"session":{"type":"realtime"}}`)); r.StatusCode != 400 {
		t.Fatalf("ttl 5 s: %d %s", r.StatusCode, b)
	}
}

func TestFailHTTP500(t *testing.T) {
	_, ts := newTestServer(t, config{fail: "http500"})
	body, ct := multipartBody(t, "v=0\r\n", `{"type":"realtime"}`)
	if r, b := post(t, ts.URL+"/v1/realtime/calls", ct, "sk-any", body); r.StatusCode != 500 || errorCode(b) != "server_error" {
		t.Fatalf("got %d %s", r.StatusCode, b)
	}
}

// client is the bridge's OpenAI leg in miniature: audio track + oai-events, raised message size.
type client struct {
	pc     *webrtc.PeerConnection
	events chan map[string]interface{}
	send   func(v interface{})
	open   chan struct{}
}

func newClient(t *testing.T) (*client, string) {
	api, err := simcore.NewAPI(simcore.APIOptions{Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	c := &client{pc: pc, events: make(chan map[string]interface{}, 100), open: make(chan struct{})}
	dc, err := pc.CreateDataChannel("oai-events", nil)
	if err != nil {
		t.Fatal(err)
	}
	dc.OnOpen(func() {
		simcore.RaiseSendLimit(pc)
		raw, err := dc.Detach()
		if err != nil {
			return
		}
		c.send = func(v interface{}) {
			b, _ := json.Marshal(v)
			if _, err := raw.WriteDataChannel(b, true); err != nil {
				t.Errorf("send: %v", err)
			}
		}
		close(c.open)
		go func() {
			buf := make([]byte, simcore.MaxMessageSize+1)
			for {
				n, _, err := raw.ReadDataChannel(buf)
				if err != nil {
					return
				}
				var ev map[string]interface{}
				if json.Unmarshal(buf[:n], &ev) == nil {
					c.events <- ev
				}
			}
		}()
	})
	if _, err := pc.AddTrack(simcore.NewRawTrack("a", "s")); err != nil {
		t.Fatal(err)
	}
	offer, _ := pc.CreateOffer(nil)
	sdp, err := simcore.LocalSDP(pc, offer)
	if err != nil {
		t.Fatal(err)
	}
	return c, simcore.WithMaxMessageSize(sdp)
}

func (c *client) next(t *testing.T, typ string) map[string]interface{} {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-c.events:
			if ev["type"] == typ {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s event", typ)
		}
	}
}

func TestEphemeralCallAndDataChannel(t *testing.T) {
	sessFile := filepath.Join(t.TempDir(), "session.jsonl")
	s, ts := newTestServer(t, config{apiKey: "sk-right", model: "gpt-realtime", recordSession: sessFile})
	r, b := post(t, ts.URL+"/v1/realtime/client_secrets", "application/json", "sk-right",
		strings.NewReader(`{"expires_after":{"anchor":"created_at","seconds":600},"session":{"type":"realtime","model":"gpt-realtime-2.1","audio":{"output":{"voice":"marin"}}}}`))
	var secret struct {
		Value     string                 `json:"value"`
		ExpiresAt int64                  `json:"expires_at"`
		Session   map[string]interface{} `json:"session"`
	}
	if r.StatusCode != 200 || json.Unmarshal(b, &secret) != nil || !strings.HasPrefix(secret.Value, "ek_") ||
		secret.ExpiresAt < time.Now().Unix()+590 || secret.Session["model"] != "gpt-realtime-2.1" {
		t.Fatalf("client_secrets: %d %s", r.StatusCode, b)
	}
	c, offer := newClient(t)
	r, b = post(t, ts.URL+"/v1/realtime/calls", "application/sdp", secret.Value, strings.NewReader(offer))
	if r.StatusCode != 201 || r.Header.Get("Content-Type") != "application/sdp" ||
		!strings.HasPrefix(r.Header.Get("Location"), "/v1/realtime/calls/rtc_") {
		t.Fatalf("calls: %d %v %s", r.StatusCode, r.Header, b)
	}
	answer := string(b)
	for _, want := range []string{"a=ice-lite", "a=setup:active", " 127.0.0.1 ", "a=max-message-size:262144", "opus/48000/2"} {
		if !strings.Contains(answer, want) {
			t.Errorf("answer lacks %q:\n%s", want, answer)
		}
	}
	if strings.Count(answer, "a=candidate:") != 2 { // one per m-section, loopback only
		t.Errorf("candidates:\n%s", answer)
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	created := c.next(t, "session.created")
	if sess := created["session"].(map[string]interface{}); sess["model"] != "gpt-realtime-2.1" || sess["type"] != "realtime" {
		t.Fatalf("session.created: %v", created)
	}
	<-c.open
	// Larger than Pion's default 64 KiB in both directions (the echo comes back in session.updated).
	long := strings.Repeat("Be kind. ", 10000)
	c.send(map[string]interface{}{"type": "session.update", "session": map[string]interface{}{
		"type": "realtime", "instructions": long}})
	upd := c.next(t, "session.updated")
	sess := upd["session"].(map[string]interface{})
	voice := sess["audio"].(map[string]interface{})["output"].(map[string]interface{})["voice"]
	if sess["instructions"] != long || voice != "marin" {
		t.Fatalf("session.updated did not merge: voice %v, %d chars", voice, len(sess["instructions"].(string)))
	}
	c.send(map[string]interface{}{"type": "session.update", "session": map[string]interface{}{"instructions": "x"}})
	if e := c.next(t, "error"); e["error"].(map[string]interface{})["code"] != "missing_required_parameter" {
		t.Fatalf("error: %v", e)
	}
	rec, _ := os.ReadFile(sessFile)
	lines := strings.Split(strings.TrimSpace(string(rec)), "\n")
	var first map[string]interface{}
	if len(lines) != 2 || json.Unmarshal([]byte(lines[0]), &first) != nil ||
		first["session"].(map[string]interface{})["instructions"] != long {
		t.Fatalf("recorded %d session.update lines", len(lines))
	}
	// A response with no audio clip still runs its event sequence.
	c.send(map[string]interface{}{"type": "response.create"})
	if d := c.next(t, "response.output_audio_transcript.done"); d["transcript"] != "reply" {
		t.Fatalf("transcript: %v", d)
	}
	c.next(t, "response.done")
	c.next(t, "output_audio_buffer.stopped")

	id := strings.TrimPrefix(r.Header.Get("Location"), "/v1/realtime/calls/")
	if r, _ := post(t, ts.URL+"/v1/realtime/calls/"+id+"/hangup", "", "sk-right", nil); r.StatusCode != 200 {
		t.Fatalf("hangup: %d", r.StatusCode)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.calls[id].report()["cause"] != "hangup" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if s.calls[id].report()["cause"] != "hangup" {
		t.Fatal("call not closed by hangup")
	}
}

package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"simcore"
)

func testSim(webhook string) *sim {
	return &sim{cfg: config{webhookURL: webhook, appSecret: "sec", accessToken: "tok", phoneNumberID: "123",
		displayNumber: "15550001111", wabaID: "999"}, log: simcore.NewLogger("metasim-test"),
		calls: map[string]*call{}, client: &http.Client{Timeout: 5 * time.Second}}
}

func graphPost(t *testing.T, url, token, body string) (int, map[string]interface{}) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]interface{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func code(out map[string]interface{}) float64 {
	e, _ := out["error"].(map[string]interface{})
	if e == nil || e["fbtrace_id"] == nil || e["message"] == nil || e["type"] == nil {
		return -1
	}
	return e["code"].(float64)
}

func TestGraphErrors(t *testing.T) {
	s := testSim("")
	ts := httptest.NewServer(http.HandlerFunc(s.serveGraph))
	defer ts.Close()
	body := `{"messaging_product":"whatsapp","call_id":"wacid.x","action":"accept"}`
	cases := []struct {
		path, token, body string
		status            int
		code              float64
	}{
		{"/v24.0/123/calls", "bad", body, 401, 190},
		{"/v24.0/456/calls", "tok", body, 400, 100},
		{"/v24.0/123/calls", "tok", body, 400, 100}, // unknown call
		{"/v24.0/123/calls", "tok", `{"call_id":"wacid.x","action":"accept"}`, 400, 100},
		{"/v24.0/123/calls", "tok", `{`, 400, 100},
		{"/v24.0/123/messages", "tok", body, 400, 100},
		{"/v24.0/123/calls", "tok", `{"messaging_product":"whatsapp","action":"connect","to":"1555"}`, 400, 100},
	}
	for _, c := range cases {
		st, out := graphPost(t, ts.URL+c.path, c.token, c.body)
		if st != c.status || code(out) != c.code {
			t.Errorf("%s %s: %d %v", c.path, c.body, st, out)
		}
	}
}

func TestValidateAnswer(t *testing.T) {
	good := "v=0\r\na=ice-ufrag:abcd\r\na=ice-pwd:x\r\na=fingerprint:sha-256 AA:BB\r\na=setup:active\r\n" +
		"a=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\na=rtpmap:111 opus/48000/2\r\n"
	if why := validateAnswer(good); why != "" {
		t.Fatalf("good answer refused: %s", why)
	}
	bad := map[string]string{
		"no fingerprint": strings.Replace(good, "a=fingerprint:sha-256 AA:BB\r\n", "", 1),
		"sha-1":          strings.Replace(good, "sha-256", "sha-1", 1),
		"ice-lite":       good + "a=ice-lite\r\n",
		"actpass":        strings.Replace(good, "setup:active", "setup:actpass", 1),
		"no candidate":   strings.Replace(good, "a=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\n", "", 1),
		"no opus":        strings.Replace(good, "opus", "PCMU", 1),
		"garbage":        "hello",
	}
	for name, sdp := range bad {
		if validateAnswer(sdp) == "" {
			t.Errorf("%s: accepted", name)
		}
	}
	if normalizeSDP("a\nb\n") != normalizeSDP("a\r\nb\r\n") || normalizeSDP("a\r\nb") == normalizeSDP("a\r\nc") {
		t.Fatal("normalizeSDP")
	}
}

func TestWebhookIsSignedAndShaped(t *testing.T) {
	got := make(chan map[string]interface{}, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if !simcore.VerifySignature("sec", b, r.Header.Get("X-Hub-Signature-256")) {
			w.WriteHeader(401)
			return
		}
		var env map[string]interface{}
		_ = json.Unmarshal(b, &env)
		got <- env
	}))
	defer hook.Close()
	s := testSim(hook.URL)
	id := simcore.RandomWACallID()
	item := map[string]interface{}{"id": id, "event": "connect", "direction": "USER_INITIATED"}
	if st := s.postWebhook(id, "connect", s.envelope("15551234567", item, nil)); st != 200 {
		t.Fatalf("status %d", st)
	}
	env := <-got
	entry := env["entry"].([]interface{})[0].(map[string]interface{})
	change := entry["changes"].([]interface{})[0].(map[string]interface{})
	value := change["value"].(map[string]interface{})
	call := value["calls"].([]interface{})[0].(map[string]interface{})
	meta := value["metadata"].(map[string]interface{})
	if env["object"] != "whatsapp_business_account" || entry["id"] != "999" || change["field"] != "calls" ||
		value["messaging_product"] != "whatsapp" || meta["phone_number_id"] != "123" || call["id"] != id ||
		!strings.HasPrefix(id, "wacid.") {
		t.Fatalf("envelope: %v", env)
	}
	s.cfg.appSecret = "other" // a wrong key must be refused by the receiver
	if st := s.postWebhook(id, "connect", s.envelope("1", item, nil)); st != 401 {
		t.Fatalf("wrongly signed webhook got %d", st)
	}
}

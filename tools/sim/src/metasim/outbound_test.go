package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v3"

	"simcore"
)

// A business offer (Pion, full ICE, actpass) placed through Graph connect: the callee rings,
// answers with an ice-lite setup:active SDP by webhook, reports ACCEPTED, and ICE/DTLS come up.
func TestOutboundCallIsAnswered(t *testing.T) {
	var mu sync.Mutex
	var hooks []map[string]interface{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if !simcore.VerifySignature("sec", b, r.Header.Get("X-Hub-Signature-256")) {
			t.Errorf("webhook without a valid signature")
		}
		var env map[string]interface{}
		_ = json.Unmarshal(b, &env)
		value := env["entry"].([]interface{})[0].(map[string]interface{})["changes"].([]interface{})[0].(map[string]interface{})["value"].(map[string]interface{})
		mu.Lock()
		hooks = append(hooks, value)
		mu.Unlock()
	}))
	defer hook.Close()
	s := testSim(hook.URL)
	s.cfg.outbound, s.cfg.calls, s.cfg.ringTime, s.cfg.hangupAfter = true, 1, 200*time.Millisecond, time.Hour
	s.cfg.acceptedAfter = 100 * time.Millisecond
	s.cfg.noMediaTimeout = time.Hour
	s.plans = makePlans(s.cfg, nil)
	s.results = make(chan result, 1)
	graph := httptest.NewServer(http.HandlerFunc(s.serveGraph))
	defer graph.Close()

	api, err := simcore.NewAPI(simcore.APIOptions{Loopback: true, DTMFPT: 126})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	connected := make(chan struct{})
	var once sync.Once
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		if st == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(connected) })
		}
	})
	offer, _ := pc.CreateOffer(nil)
	sdp, err := simcore.LocalSDP(pc, offer)
	if err != nil {
		t.Fatal(err)
	}
	lite := strings.Replace(sdp, "a=setup:actpass", "a=setup:active", 1)
	body, _ := json.Marshal(map[string]interface{}{"messaging_product": "whatsapp", "to": "15551234567",
		"action": "connect", "session": map[string]string{"sdp_type": "offer", "sdp": lite}})
	if st, out := graphPost(t, graph.URL+"/v24.0/123/calls", "tok", string(body)); st != 400 || code(out) != 100 {
		t.Fatalf("offer without actpass: %d %v", st, out)
	}
	body, _ = json.Marshal(map[string]interface{}{"messaging_product": "whatsapp", "to": "15551234567",
		"action": "connect", "session": map[string]string{"sdp_type": "offer", "sdp": sdp}})
	st, out := graphPost(t, graph.URL+"/v24.0/123/calls", "tok", string(body))
	calls, _ := out["calls"].([]interface{})
	if st != 200 || len(calls) != 1 {
		t.Fatalf("connect: %d %v", st, out)
	}
	id := calls[0].(map[string]interface{})["id"].(string)
	if !strings.HasPrefix(id, "wacid.") {
		t.Fatalf("call id %q", id)
	}

	// Wait for RINGING, the connect answer and ACCEPTED, in that order.
	var kinds []string
	var answer string
	deadline := time.Now().Add(10 * time.Second)
	for len(kinds) < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		kinds, answer = kinds[:0], ""
		for _, v := range hooks {
			if st, ok := v["statuses"].([]interface{}); ok {
				item := st[0].(map[string]interface{})
				if item["id"] != id || item["type"] != "call" {
					t.Errorf("status item %v", item)
				}
				kinds = append(kinds, item["status"].(string))
			} else if c, ok := v["calls"].([]interface{}); ok {
				item := c[0].(map[string]interface{})
				kinds = append(kinds, item["event"].(string))
				if item["direction"] != "BUSINESS_INITIATED" {
					t.Errorf("connect direction %v", item["direction"])
				}
				answer = item["session"].(map[string]interface{})["sdp"].(string)
			}
		}
		mu.Unlock()
	}
	if strings.Join(kinds, ",") != "RINGING,connect,ACCEPTED" {
		t.Fatalf("webhooks %v", kinds)
	}
	for _, want := range []string{"a=ice-lite", "a=setup:active", "a=fingerprint:sha-256 ", "cname:WhatsAppAudioStream1"} {
		if !strings.Contains(answer, want) {
			t.Errorf("answer lacks %q:\n%s", want, answer)
		}
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		t.Fatal("the business peer never connected to the callee")
	}
	// A Graph accept is refused for calls the business placed; terminate ends the call.
	acc := `{"messaging_product":"whatsapp","call_id":"` + id + `","action":"accept","session":{"sdp_type":"answer","sdp":"v=0"}}`
	if st, out := graphPost(t, graph.URL+"/v24.0/123/calls", "tok", acc); st != 400 || code(out) != 100 {
		t.Errorf("accept on an outbound call: %d %v", st, out)
	}
	term := `{"messaging_product":"whatsapp","call_id":"` + id + `","action":"terminate"}`
	if st, _ := graphPost(t, graph.URL+"/v24.0/123/calls", "tok", term); st != 200 {
		t.Errorf("terminate: %d", st)
	}
	select {
	case r := <-s.results:
		if !r.Outbound || !r.Accepted || r.Cause != "terminated_by_business" {
			t.Errorf("result %+v", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no result")
	}
}

func TestConnectWithoutOutboundIs138006(t *testing.T) {
	s := testSim("")
	graph := httptest.NewServer(http.HandlerFunc(s.serveGraph))
	defer graph.Close()
	body := `{"messaging_product":"whatsapp","to":"1555","action":"connect","session":{"sdp_type":"offer","sdp":"v=0"}}`
	if st, out := graphPost(t, graph.URL+"/v24.0/123/calls", "tok", body); st != 401 || code(out) != 138006 {
		t.Errorf("%d %v", st, out)
	}
}

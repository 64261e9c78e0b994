// Command fakebridge is a small stand-in for wabridge, written only to test the simulators and
// scripts/demo.sh before the real bridge serves. It follows the runtime contract's call flow
// (connect webhook → pre_accept → OpenAI leg → accept → forward Opus both ways) with Pion on both
// legs, reads the same environment variables and logs the same `transcript` / `call_ended` events.
// It is not a reference implementation: no retries, one happy path, minimal validation.
//
// Test knobs (environment): FAKEBRIDGE_SKIP_PRE_ACCEPT=1, FAKEBRIDGE_ACCEPT_DELAY=<duration>,
// FAKEBRIDGE_ACCEPT_SDP=mismatch (accept with an SDP that differs from pre_accept's),
// FAKEBRIDGE_MUTE=1 (never send media to WhatsApp).
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pion/datachannel"
	"github.com/pion/webrtc/v3"

	"simcore"
)

type env struct {
	port, host, token, secret, verify, graph, apiKey, base, model, voice, instructions, auth string
}

func getenv(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

type bridge struct {
	e      env
	mu     sync.Mutex
	calls  map[string]*bcall
	client *http.Client
}

type bcall struct {
	b       *bridge
	id      string
	wa, ai  *webrtc.PeerConnection
	waTrack *simcore.RawTrack
	aiTrack *simcore.RawTrack
	answer  string
	aiID    string
	phoneID string

	sendMu sync.Mutex
	dc     datachannel.ReadWriteCloser

	mu          sync.Mutex
	accepted    bool
	ended       bool
	lastAI      time.Time
	greeted     bool
	waConnected chan struct{}
	once        sync.Once
}

func logEvent(level, event, callID string, f simcore.F) {
	line := simcore.F{"ts": time.Now().UTC().Format(time.RFC3339Nano), "level": level, "event": event}
	if callID != "" {
		line["call_id"] = callID
	}
	for k, v := range f {
		line[k] = v
	}
	b, _ := json.Marshal(line)
	logMu.Lock()
	os.Stdout.Write(append(b, '\n'))
	logMu.Unlock()
}

var logMu sync.Mutex

func main() {
	e := env{port: getenv("PORT", "3000"), host: getenv("HTTP_HOST", "0.0.0.0"),
		token: os.Getenv("WHATSAPP_ACCESS_TOKEN"), secret: os.Getenv("WHATSAPP_APP_SECRET"),
		verify: os.Getenv("WHATSAPP_VERIFY_TOKEN"), graph: getenv("WHATSAPP_GRAPH_URL", "https://graph.facebook.com/v24.0"),
		apiKey: os.Getenv("OPENAI_API_KEY"), base: getenv("OPENAI_BASE_URL", "https://api.openai.com/v1"),
		model: getenv("OPENAI_MODEL", "gpt-realtime"), voice: getenv("OPENAI_VOICE", "alloy"),
		instructions: getenv("OPENAI_INSTRUCTIONS", "You are a polite phone assistant."),
		auth:         getenv("OPENAI_AUTH", "apikey")}
	b := &bridge{e: e, calls: map[string]*bcall{}, client: &http.Client{Timeout: 15 * time.Second}}
	mux := http.NewServeMux()
	mux.HandleFunc("/webhook", b.webhook)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	srv := &http.Server{Addr: e.host + ":" + e.port, Handler: mux}
	go func() {
		if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
			logEvent("error", "listen_failed", "", simcore.F{"error": err.Error()})
			os.Exit(1)
		}
	}()
	logEvent("info", "listening", "", simcore.F{"addr": srv.Addr})
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	<-sigs
	b.mu.Lock()
	for _, c := range b.calls {
		go c.end("shutdown", true)
	}
	b.mu.Unlock()
	time.Sleep(300 * time.Millisecond)
}

type hookCall struct {
	ID        string `json:"id"`
	Event     string `json:"event"`
	Status    string `json:"status"`
	Direction string `json:"direction"`
	Session   *struct {
		SDPType string `json:"sdp_type"`
		SDP     string `json:"sdp"`
	} `json:"session"`
}

func (b *bridge) webhook(w http.ResponseWriter, r *http.Request) {
	if r.Method == "GET" {
		q := r.URL.Query()
		if q.Get("hub.mode") == "subscribe" && q.Get("hub.verify_token") == b.e.verify {
			_, _ = w.Write([]byte(q.Get("hub.challenge")))
			return
		}
		w.WriteHeader(403)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if !simcore.VerifySignature(b.e.secret, body, r.Header.Get("X-Hub-Signature-256")) {
		logEvent("warn", "webhook_bad_signature", "", nil)
		w.WriteHeader(401)
		return
	}
	w.WriteHeader(200)
	var env struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Metadata struct {
						PhoneNumberID string `json:"phone_number_id"`
					} `json:"metadata"`
					Calls []hookCall `json:"calls"`
				} `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	if json.Unmarshal(body, &env) != nil {
		return
	}
	for _, e := range env.Entry {
		for _, ch := range e.Changes {
			for _, hc := range ch.Value.Calls {
				go b.onCall(ch.Value.Metadata.PhoneNumberID, hc)
			}
		}
	}
}

func (b *bridge) onCall(phoneID string, hc hookCall) {
	switch hc.Event {
	case "connect":
		b.mu.Lock()
		if _, dup := b.calls[hc.ID]; dup {
			b.mu.Unlock()
			logEvent("info", "duplicate_connect", hc.ID, nil)
			return
		}
		c := &bcall{b: b, id: hc.ID, phoneID: phoneID, waConnected: make(chan struct{})}
		b.calls[hc.ID] = c
		b.mu.Unlock()
		if hc.Session == nil {
			return
		}
		if err := c.start(phoneID, hc.Session.SDP); err != nil {
			logEvent("error", "call_setup_failed", hc.ID, simcore.F{"error": err.Error()})
			_ = c.graph(phoneID, "reject", "")
			c.end("setup_failed", false)
		}
	case "terminate":
		b.mu.Lock()
		c := b.calls[hc.ID]
		b.mu.Unlock()
		logEvent("info", "terminate_webhook", hc.ID, simcore.F{"status": hc.Status})
		if c != nil {
			c.end("remote_terminate:"+hc.Status, true)
		}
	}
}

func (c *bcall) graph(phoneID, action, sdp string) error {
	req := map[string]interface{}{"messaging_product": "whatsapp", "call_id": c.id, "action": action}
	if sdp != "" {
		req["session"] = map[string]interface{}{"sdp_type": "answer", "sdp": sdp}
	}
	body, _ := json.Marshal(req)
	hr, _ := http.NewRequest("POST", c.b.e.graph+"/"+phoneID+"/calls", bytes.NewReader(body))
	hr.Header.Set("Authorization", "Bearer "+c.b.e.token)
	hr.Header.Set("Content-Type", "application/json")
	resp, err := c.b.client.Do(hr)
	if err != nil {
		logEvent("error", "graph_failed", c.id, simcore.F{"action": action, "error": err.Error()})
		return err
	}
	rb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	logEvent("info", "graph_action", c.id, simcore.F{"action": action, "status": resp.StatusCode})
	if resp.StatusCode != 200 {
		return fmt.Errorf("graph %s: %d %s", action, resp.StatusCode, rb)
	}
	return nil
}

func (c *bcall) start(phoneID, offer string) error {
	c.aiTrack = simcore.NewRawTrack("bridge-audio", "bridge") // before any media callback reads it
	pt := simcore.OpusPT(offer)
	ptn, _ := strconv.Atoi(pt)
	api, err := simcore.NewAPI(simcore.APIOptions{Loopback: true, DTLSClient: true, OpusPT: uint8(ptn),
		OpusFmtp: simcore.Fmtp(offer, pt), DTMFPT: 126, TransportCC: true})
	if err != nil {
		return err
	}
	if c.wa, err = api.NewPeerConnection(webrtc.Configuration{}); err != nil {
		return err
	}
	c.wa.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		logEvent("info", "whatsapp_leg_state", c.id, simcore.F{"state": st.String()})
		if st == webrtc.PeerConnectionStateConnected {
			c.once.Do(func() { close(c.waConnected) })
		}
	})
	c.wa.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			pkt, _, err := t.ReadRTP()
			if err != nil {
				return
			}
			if pkt.PayloadType == 126 {
				if pkt.Marker && len(pkt.Payload) >= 4 { // first packet of an RFC 4733 event
					logEvent("info", "dtmf", c.id, simcore.F{"digit_event": pkt.Payload[0]})
				}
				continue // never forwarded to OpenAI
			}
			if c.aiTrack != nil && c.aiTrack.Bound() {
				_ = c.aiTrack.WriteOpus(pkt.Payload, false)
			}
		}
	})
	if err := c.wa.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return err
	}
	c.waTrack = simcore.NewRawTrack("bridge-audio", "bridge")
	if _, err := c.wa.AddTrack(c.waTrack); err != nil {
		return err
	}
	ans, err := c.wa.CreateAnswer(nil)
	if err != nil {
		return err
	}
	if c.answer, err = simcore.LocalSDP(c.wa, ans); err != nil {
		return err
	}
	if os.Getenv("FAKEBRIDGE_SKIP_PRE_ACCEPT") == "" {
		if err := c.graph(phoneID, "pre_accept", c.answer); err != nil {
			return err
		}
	}
	if err := c.startAI(ptn); err != nil {
		return err
	}
	if os.Getenv("FAKEBRIDGE_SKIP_PRE_ACCEPT") == "" { // without pre_accept Meta connects after accept
		select {
		case <-c.waConnected:
		case <-time.After(15 * time.Second):
			return fmt.Errorf("whatsapp leg did not connect")
		}
	}
	if d, err := time.ParseDuration(os.Getenv("FAKEBRIDGE_ACCEPT_DELAY")); err == nil {
		time.Sleep(d)
	}
	acceptSDP := c.answer
	if os.Getenv("FAKEBRIDGE_ACCEPT_SDP") == "mismatch" {
		acceptSDP = strings.Replace(acceptSDP, "a=sendrecv", "a=sendrecv\r\na=ptime:20", 1)
	}
	if err := c.graph(phoneID, "accept", acceptSDP); err != nil {
		return err
	}
	c.mu.Lock()
	c.accepted = true
	c.mu.Unlock()
	if os.Getenv("FAKEBRIDGE_MUTE") == "" {
		go c.silence()
	}
	return nil
}

// silence keeps WhatsApp fed while the agent is quiet.
func (c *bcall) silence() {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		c.mu.Lock()
		ended, quiet := c.ended, time.Since(c.lastAI) > 100*time.Millisecond
		c.mu.Unlock()
		if ended {
			return
		}
		if quiet {
			_ = c.waTrack.WriteOpus(simcore.SilenceFrame, false)
		}
	}
}

func (c *bcall) session() map[string]interface{} {
	return map[string]interface{}{"type": "realtime", "model": c.b.e.model,
		"instructions": c.b.e.instructions,
		"audio": map[string]interface{}{
			"output": map[string]interface{}{"voice": c.b.e.voice},
			"input": map[string]interface{}{
				"transcription":  map[string]interface{}{"model": "gpt-4o-transcribe"},
				"turn_detection": map[string]interface{}{"type": "server_vad", "silence_duration_ms": 200},
			},
		}}
}

func (c *bcall) startAI(pt int) error {
	api, err := simcore.NewAPI(simcore.APIOptions{Loopback: true, OpusPT: uint8(pt)})
	if err != nil {
		return err
	}
	if c.ai, err = api.NewPeerConnection(webrtc.Configuration{}); err != nil {
		return err
	}
	dc, err := c.ai.CreateDataChannel("oai-events", nil)
	if err != nil {
		return err
	}
	dc.OnOpen(func() { c.onOpen(dc) })
	if _, err := c.ai.AddTrack(c.aiTrack); err != nil {
		return err
	}
	c.ai.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		logEvent("info", "openai_leg_state", c.id, simcore.F{"state": st.String()})
		if st == webrtc.PeerConnectionStateFailed || st == webrtc.PeerConnectionStateClosed ||
			st == webrtc.PeerConnectionStateDisconnected {
			go c.end("agent_leg_"+st.String(), false)
		}
	})
	c.ai.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			pkt, _, err := t.ReadRTP()
			if err != nil {
				return
			}
			c.mu.Lock()
			ok := c.accepted && !c.ended
			if ok {
				c.lastAI = time.Now()
			}
			c.mu.Unlock()
			if ok && os.Getenv("FAKEBRIDGE_MUTE") == "" {
				_ = c.waTrack.WriteOpus(pkt.Payload, false)
			}
		}
	})
	offer, err := c.ai.CreateOffer(nil)
	if err != nil {
		return err
	}
	sdp, err := simcore.LocalSDP(c.ai, offer)
	if err != nil {
		return err
	}
	sdp = simcore.WithMaxMessageSize(sdp)
	var body bytes.Buffer
	ctype, key := "application/sdp", c.b.e.apiKey
	if c.b.e.auth == "ephemeral" {
		if key, err = c.clientSecret(); err != nil {
			return err
		}
		body.WriteString(sdp)
	} else {
		mw := multipart.NewWriter(&body)
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="sdp"`)
		h.Set("Content-Type", "application/sdp")
		pw, _ := mw.CreatePart(h)
		_, _ = pw.Write([]byte(sdp))
		h = textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="session"`)
		h.Set("Content-Type", "application/json")
		pw, _ = mw.CreatePart(h)
		sj, _ := json.Marshal(c.session())
		_, _ = pw.Write(sj)
		mw.Close()
		ctype = mw.FormDataContentType()
	}
	req, _ := http.NewRequest("POST", c.b.e.base+"/realtime/calls", &body)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", ctype)
	resp, err := c.b.client.Do(req)
	if err != nil {
		return err
	}
	ans, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 {
		return fmt.Errorf("openai calls: %d %s", resp.StatusCode, ans)
	}
	loc := resp.Header.Get("Location")
	c.aiID = loc[strings.LastIndex(loc, "/")+1:]
	logEvent("info", "openai_call_created", c.id, simcore.F{"openai_call_id": c.aiID})
	return c.ai.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(ans)})
}

func (c *bcall) clientSecret() (string, error) {
	body, _ := json.Marshal(map[string]interface{}{
		"expires_after": map[string]interface{}{"anchor": "created_at", "seconds": 600},
		"session":       c.session()})
	req, _ := http.NewRequest("POST", c.b.e.base+"/realtime/client_secrets", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.b.e.apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.b.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Value string `json:"value"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&out) != nil || out.Value == "" {
		return "", fmt.Errorf("client_secrets: %d", resp.StatusCode)
	}
	return out.Value, nil
}

func (c *bcall) sendEvent(ev map[string]interface{}) {
	b, _ := json.Marshal(ev)
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	if c.dc != nil {
		_, _ = c.dc.WriteDataChannel(b, true)
	}
}

func (c *bcall) onOpen(dc *webrtc.DataChannel) {
	simcore.RaiseSendLimit(c.ai)
	raw, err := dc.Detach()
	if err != nil {
		return
	}
	c.sendMu.Lock()
	c.dc = raw
	c.sendMu.Unlock()
	go func() {
		buf := make([]byte, simcore.MaxMessageSize+1)
		for {
			n, _, err := raw.ReadDataChannel(buf)
			if err != nil {
				go c.end("agent_data_channel_closed", false)
				return
			}
			var ev map[string]interface{}
			if json.Unmarshal(buf[:n], &ev) != nil {
				continue
			}
			switch ev["type"] {
			case "session.created":
				c.sendEvent(map[string]interface{}{"type": "session.update", "session": c.session()})
			case "session.updated":
				c.mu.Lock()
				first := !c.greeted
				c.greeted = true
				c.mu.Unlock()
				if first {
					c.sendEvent(map[string]interface{}{"type": "response.create"})
				}
			case "conversation.item.input_audio_transcription.completed":
				logEvent("info", "transcript", c.id, simcore.F{"speaker": "caller", "text": ev["transcript"]})
			case "response.output_audio_transcript.done", "response.audio_transcript.done":
				logEvent("info", "transcript", c.id, simcore.F{"speaker": "agent", "text": ev["transcript"]})
			case "error":
				logEvent("warn", "openai_error", c.id, simcore.F{"error": ev["error"]})
			}
		}
	}()
}

// end closes both legs once; hangs up OpenAI, and terminates on WhatsApp unless Meta ended it.
func (c *bcall) end(cause string, remote bool) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.ended = true
	c.mu.Unlock()
	if c.aiID != "" {
		req, _ := http.NewRequest("POST", c.b.e.base+"/realtime/calls/"+c.aiID+"/hangup", nil)
		req.Header.Set("Authorization", "Bearer "+c.b.e.apiKey)
		if resp, err := c.b.client.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	if !remote {
		_ = c.graph(c.phoneID, "terminate", "")
	}
	if c.ai != nil {
		_ = c.ai.Close()
	}
	if c.wa != nil {
		_ = c.wa.Close()
	}
	logEvent("info", "call_ended", c.id, simcore.F{"cause": cause})
}

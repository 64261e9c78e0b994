// Command openaisim plays OpenAI's side of a Realtime GA WebRTC call: POST /v1/realtime/calls
// (multipart with the API key, or raw SDP with an ephemeral key from /v1/realtime/client_secrets),
// an ice-lite Pion answerer (a=setup:active, 127.0.0.1 only), the `oai-events` data channel with GA
// events, a crude voice-activity detector on the caller's Opus packets and canned replies played
// from an Ogg Opus file. It also plays GPT-Live (POST /v1/live/sessions, its own data-channel
// events; live.go) and can end sessions at a maximum length as the service does (--max-session).
// See docs/SIMULATORS.md.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"simcore"
)

type config struct {
	listen, apiKey, replyAudio, replyTranscript, greetingAudio, greetingTranscript string
	callerTranscript, record, recordSession, fail, model                           string
	closeAfter, silence, maxSession                                                time.Duration
	speechBytes                                                                    int
	recordEvents                                                                   string
	toolCalls                                                                      toolCallList // --tool-call, in order
	leakAfterClear                                                                 int
	// chaos test (chaos.go)
	chaosSeed           int64
	chaosRate           float64
	chaosFaults         string
	dieAfter, dieSpread time.Duration
}

type server struct {
	cfg         config
	chaosFaults []string
	requests    int64 // call requests so far (atomic)
	log         *simcore.Logger
	reply       [][]byte
	greeting    [][]byte

	mu       sync.Mutex
	secrets  map[string]secret
	calls    map[string]*call
	order    []*call
	sessFile *os.File
	evFile   *os.File
	turns    int // caller-turn responses so far, over all calls (picks the next --tool-call)
}

type secret struct {
	session   map[string]interface{}
	expiresAt time.Time
}

func main() {
	var c config
	flag.StringVar(&c.listen, "listen", "127.0.0.1:8901", "HTTP listen address")
	flag.StringVar(&c.apiKey, "api-key", "", "API key to require (default: any non-ephemeral Bearer key)")
	flag.StringVar(&c.model, "model", "gpt-realtime", "model reported when the session names none")
	flag.StringVar(&c.replyAudio, "reply-audio", "", "Ogg Opus file the agent speaks for every response")
	flag.StringVar(&c.replyTranscript, "reply-transcript", "Certainly! A table for two tonight. What time would you like?", "transcript of --reply-audio")
	flag.StringVar(&c.greetingAudio, "greeting-audio", "", "Ogg Opus file for the first response (default: --reply-audio)")
	flag.StringVar(&c.greetingTranscript, "greeting-transcript", "", "transcript of the first response (default: --reply-transcript)")
	flag.StringVar(&c.callerTranscript, "caller-transcript", "Hello, I would like to book a table for two tonight.", "transcript reported for each caller turn")
	flag.StringVar(&c.record, "record", "", "Ogg file of the audio the agent receives (call N>1: name.N.ogg)")
	flag.StringVar(&c.recordSession, "record-session", "", "file receiving each session.update as one JSON line")
	flag.StringVar(&c.fail, "fail", "", "failure switch: http500 | timeout | close-midcall | no-session-updated")
	flag.DurationVar(&c.closeAfter, "close-after", 5*time.Second, "with --fail close-midcall: close this long after connecting")
	flag.DurationVar(&c.maxSession, "max-session", 0, "end every session this long after its creation, as the service does at its limit (Realtime: error session_expired; GPT-Live: session.closed expired); 0: never")
	flag.DurationVar(&c.silence, "vad-silence", 600*time.Millisecond, "silence that ends a caller turn")
	flag.IntVar(&c.speechBytes, "vad-speech-bytes", 20, "Opus payloads larger than this count as speech")
	flag.StringVar(&c.recordEvents, "record-events", "", "file receiving every client event as one JSON line {ts, call_id, event}")
	flag.Var(&c.toolCalls, "tool-call", "NAME:JSON-ARGS; the k-th caller turn (over all calls) ends its reply with the k-th function call (repeatable)")
	flag.IntVar(&c.leakAfterClear, "leak-after-clear", 0, "after a barge-in's output_audio_buffer.cleared, send this many more packets of the clip (audio in flight)")
	flag.Int64Var(&c.chaosSeed, "chaos-seed", 0, "fail some calls, chosen reproducibly from this seed (0: off)")
	flag.Float64Var(&c.chaosRate, "chaos-rate", 0.25, "with --chaos-seed: share of call requests that get a fault")
	flag.StringVar(&c.chaosFaults, "chaos-faults", strings.Join(agentFaults, ","), "faults to choose from (a repeated kind weighs more)")
	flag.DurationVar(&c.dieAfter, "chaos-die-after", time.Second, "die: the earliest close after connecting")
	flag.DurationVar(&c.dieSpread, "chaos-die-spread", 5*time.Second, "die: the close comes up to this much later")
	flag.Parse()
	kinds, err := simcore.ParseFaults(c.chaosFaults, agentFaults)
	if err != nil {
		fmt.Fprintln(os.Stderr, "openaisim:", err)
		os.Exit(2)
	}
	switch c.fail {
	case "", "http500", "timeout", "close-midcall", "no-session-updated":
	default:
		fmt.Fprintln(os.Stderr, "openaisim: unknown --fail", c.fail)
		os.Exit(2)
	}
	s := &server{cfg: c, chaosFaults: kinds, log: simcore.NewLogger("openaisim"), secrets: map[string]secret{},
		calls: map[string]*call{}}
	load := func(path string) [][]byte {
		if path == "" {
			return nil
		}
		p, err := simcore.ReadOpusFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "openaisim:", err)
			os.Exit(2)
		}
		return p
	}
	s.reply = load(c.replyAudio)
	s.greeting = load(c.greetingAudio)
	if s.greeting == nil {
		s.greeting = s.reply
	}
	if c.greetingTranscript == "" {
		s.cfg.greetingTranscript = c.replyTranscript
	}
	if c.recordSession != "" {
		f, err := os.Create(c.recordSession)
		if err != nil {
			fmt.Fprintln(os.Stderr, "openaisim:", err)
			os.Exit(2)
		}
		s.sessFile = f
	}
	if c.recordEvents != "" {
		f, err := os.Create(c.recordEvents)
		if err != nil {
			fmt.Fprintln(os.Stderr, "openaisim:", err)
			os.Exit(2)
		}
		s.evFile = f
	}
	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "openaisim:", err)
		os.Exit(2)
	}
	go func() { _ = http.Serve(ln, s.handler()) }()
	s.log.Event("listening", simcore.F{"addr": ln.Addr().String(), "fail": c.fail})

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	<-sigs
	s.shutdown()
}

func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	// /openai/v1 is Azure OpenAI's GA prefix (with its api-key header); the same API behind it.
	for _, prefix := range []string{"/v1", "/openai/v1"} {
		mux.HandleFunc(prefix+"/realtime/client_secrets", s.serveClientSecrets)
		mux.HandleFunc(prefix+"/realtime/calls", s.serveCalls)
		mux.HandleFunc(prefix+"/realtime/calls/", s.serveCallAction)
		mux.HandleFunc(prefix+"/live/sessions", s.serveLiveSessions)
		mux.HandleFunc(prefix+"/live/sessions/", s.serveLiveAction)
	}
	return mux
}

func (s *server) shutdown() {
	s.mu.Lock()
	calls := append([]*call{}, s.order...)
	s.mu.Unlock()
	reports := []interface{}{}
	for _, c := range calls {
		c.close("shutdown")
		reports = append(reports, c.report())
	}
	if s.sessFile != nil {
		s.sessFile.Close()
	}
	if s.evFile != nil {
		s.mu.Lock()
		s.evFile.Close()
		s.evFile = nil
		s.mu.Unlock()
	}
	s.log.Event("report", simcore.F{"calls": len(calls), "results": reports})
}

// apiError writes OpenAI's error shape.
// refuseCall answers a call request that must fail — an injected fault (--fail, or the chaos
// plan's 500 or no answer at all) or an offer OpenAI would refuse — and says whether it did.
func (s *server) refuseCall(w http.ResponseWriter, r *http.Request, offer string, plan agentPlan) bool {
	fail := s.cfg.fail
	if plan.Fault == agentHTTP500 || plan.Fault == agentHang {
		s.log.Event("chaos_fault", simcore.F{"seq": plan.Seq, "fault": plan.Fault})
		fail = map[string]string{agentHTTP500: "http500", agentHang: "timeout"}[plan.Fault]
	}
	switch fail {
	case "http500":
		apiError(w, 500, "server_error", "", "The server had an error while processing your request. Sorry about that!")
		return true
	case "timeout":
		s.log.Event("not_answering", nil)
		<-r.Context().Done()
		return true
	}
	if !strings.HasPrefix(strings.TrimSpace(offer), "v=0") || !strings.Contains(offer, "m=application") ||
		simcore.OpusPT(offer) == "" {
		apiError(w, 400, "invalid_request_error", "invalid_offer",
			"Invalid SDP offer. Please try again with a WHIP-compliant offer.")
		return true
	}
	return false
}

func apiError(w http.ResponseWriter, status int, typ, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	var c interface{}
	if code != "" {
		c = code
	}
	_ = json.NewEncoder(w).Encode(map[string]interface{}{"error": map[string]interface{}{
		"message": msg, "type": typ, "param": nil, "code": c}})
}

// bearer returns the request's key: a Bearer token, or Azure's api-key header when there is no
// Authorization header at all.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if h == "" {
		return strings.TrimSpace(r.Header.Get("api-key"))
	}
	if !strings.HasPrefix(h, "Bearer ") {
		return ""
	}
	return strings.TrimSpace(h[len("Bearer "):])
}

// keyHeader names how the request authenticated: authorization, api-key (Azure), both or none.
func keyHeader(r *http.Request) string {
	a, k := r.Header.Get("Authorization") != "", r.Header.Get("api-key") != ""
	switch {
	case a && k:
		return "both"
	case a:
		return "authorization"
	case k:
		return "api-key"
	}
	return "none"
}

// checkAPIKey accepts the configured key, or any non-empty non-ephemeral key when none is set.
func (s *server) checkAPIKey(w http.ResponseWriter, r *http.Request) bool {
	k := bearer(r)
	if k == "" || strings.HasPrefix(k, "ek_") || (s.cfg.apiKey != "" && k != s.cfg.apiKey) {
		apiError(w, 401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided.")
		return false
	}
	return true
}

func (s *server) serveClientSecrets(w http.ResponseWriter, r *http.Request) {
	if r.Method != "POST" {
		apiError(w, 405, "invalid_request_error", "method_not_allowed", "Use POST")
		return
	}
	if !s.checkAPIKey(w, r) {
		return
	}
	var req struct {
		ExpiresAfter *struct {
			Anchor  string `json:"anchor"`
			Seconds int    `json:"seconds"`
		} `json:"expires_after"`
		Session map[string]interface{} `json:"session"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := json.Unmarshal(body, &req); err != nil {
		apiError(w, 400, "invalid_request_error", "invalid_json", "We could not parse the JSON body of your request.")
		return
	}
	ttl := 600
	if req.ExpiresAfter != nil {
		if req.ExpiresAfter.Seconds < 10 || req.ExpiresAfter.Seconds > 7200 {
			apiError(w, 400, "invalid_request_error", "integer_out_of_range", "expires_after.seconds must be between 10 and 7200")
			return
		}
		ttl = req.ExpiresAfter.Seconds
	}
	if req.Session != nil && req.Session["type"] != "realtime" {
		apiError(w, 400, "invalid_request_error", "missing_required_parameter", "Missing required parameter: 'session.type'.")
		return
	}
	sess := s.newSession(req.Session)
	value := "ek_" + simcore.RandomToken(24)
	exp := time.Now().Add(time.Duration(ttl) * time.Second)
	s.mu.Lock()
	s.secrets[value] = secret{session: sess, expiresAt: exp}
	s.mu.Unlock()
	s.log.Event("client_secret_created", simcore.F{"expires_in": ttl})
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]interface{}{"value": value, "expires_at": exp.Unix(),
		"session": sess})
}

func (s *server) serveCalls(w http.ResponseWriter, r *http.Request) {
	if r.Method != "POST" {
		apiError(w, 405, "invalid_request_error", "method_not_allowed", "Use POST")
		return
	}
	var offer string
	var sess map[string]interface{}
	auth := "apikey"
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		if !s.checkAPIKey(w, r) {
			return
		}
		_ = params
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			apiError(w, 400, "invalid_request_error", "invalid_multipart", "Could not parse the multipart body: "+err.Error())
			return
		}
		part := func(name string) (string, bool) {
			if v := r.MultipartForm.Value[name]; len(v) > 0 {
				return v[0], true
			}
			if f := r.MultipartForm.File[name]; len(f) > 0 {
				fh, err := f[0].Open()
				if err == nil {
					b, _ := io.ReadAll(fh)
					fh.Close()
					return string(b), true
				}
			}
			return "", false
		}
		var ok bool
		if offer, ok = part("sdp"); !ok {
			apiError(w, 400, "invalid_request_error", "missing_required_parameter", "Missing required parameter: 'sdp'.")
			return
		}
		if js, ok := part("session"); ok {
			if err := json.Unmarshal([]byte(js), &sess); err != nil {
				apiError(w, 400, "invalid_request_error", "invalid_json", "The 'session' part is not valid JSON.")
				return
			}
			if sess["type"] != "realtime" {
				apiError(w, 400, "invalid_request_error", "missing_required_parameter", "Missing required parameter: 'session.type'.")
				return
			}
		}
		sess = s.newSession(sess)
	case "application/sdp", "text/plain":
		k := bearer(r)
		s.mu.Lock()
		sec, ok := s.secrets[k]
		s.mu.Unlock()
		switch {
		case ok && time.Now().After(sec.expiresAt):
			apiError(w, 401, "invalid_request_error", "expired_ephemeral_key", "The ephemeral key has expired.")
			return
		case ok:
			sess, auth = sec.session, "ephemeral"
		case s.checkAPIKey(w, r):
			sess = s.newSession(nil) // a standard key with a raw SDP body: default session
		default:
			return
		}
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		offer = string(b)
	default:
		apiError(w, 400, "invalid_request_error", "unsupported_content_type",
			"Content-Type must be application/sdp or multipart/form-data")
		return
	}
	plan := s.nextPlan()
	s.log.Event("call_request", simcore.F{"auth": auth, "offer_bytes": len(offer), "seq": plan.Seq,
		"path": r.URL.Path, "key_header": keyHeader(r)})
	if s.refuseCall(w, r, offer, plan) {
		return
	}
	c, answer, err := s.newCall(offer, sess, auth, plan.DieAfter, false)
	if err == nil && plan.Fault == agentDie {
		s.log.Event("chaos_fault", simcore.F{"seq": plan.Seq, "fault": plan.Fault, "call_id": c.id,
			"die_after_ms": plan.DieAfter.Milliseconds()})
	}
	if err != nil {
		s.log.Event("call_failed", simcore.F{"error": err.Error()})
		apiError(w, 400, "invalid_request_error", "invalid_offer",
			"Invalid SDP offer. Please try again with a WHIP-compliant offer.")
		return
	}
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", strings.TrimSuffix(r.URL.Path, "/")+"/"+c.id)
	w.Header().Set("Access-Control-Expose-Headers", "Location, X-Request-Id")
	w.Header().Set("X-Request-Id", "req_"+simcore.RandomToken(12))
	w.WriteHeader(201)
	_, _ = io.WriteString(w, answer)
}

// serveCallAction handles POST /v1/realtime/calls/{id}/hangup.
func (s *server) serveCallAction(w http.ResponseWriter, r *http.Request) {
	rest := r.URL.Path[strings.Index(r.URL.Path, "/realtime/calls/")+len("/realtime/calls/"):]
	parts := strings.Split(rest, "/")
	if r.Method != "POST" || len(parts) != 2 || parts[1] != "hangup" {
		apiError(w, 404, "invalid_request_error", "not_found", "Unknown endpoint")
		return
	}
	if bearer(r) == "" {
		apiError(w, 401, "invalid_request_error", "invalid_api_key", "Missing bearer token.")
		return
	}
	s.mu.Lock()
	c := s.calls[parts[0]]
	s.mu.Unlock()
	if c == nil || c.live { // a GPT-Live session is hung up under /live/sessions
		apiError(w, 404, "invalid_request_error", "call_id_not_found", "Call "+parts[0]+" not found")
		return
	}
	s.log.Event("hangup_request", simcore.F{"call_id": c.id, "path": r.URL.Path, "key_header": keyHeader(r)})
	w.WriteHeader(200)
	go c.close("hangup")
}

// newSession merges a requested GA session over the defaults that session.created reports.
func (s *server) newSession(req map[string]interface{}) map[string]interface{} {
	sess := map[string]interface{}{
		"type": "realtime", "object": "realtime.session", "id": "sess_" + simcore.RandomToken(16),
		"model": s.cfg.model, "output_modalities": []interface{}{"audio"},
		"instructions": "You are a helpful assistant.", "tools": []interface{}{}, "tool_choice": "auto",
		"max_output_tokens": "inf", "tracing": nil, "prompt": nil, "truncation": "auto",
		"expires_at": time.Now().Add(time.Hour).Unix(),
		"audio": map[string]interface{}{
			"input": map[string]interface{}{
				"format":        map[string]interface{}{"type": "audio/pcm", "rate": 24000},
				"transcription": nil, "noise_reduction": nil,
				"turn_detection": map[string]interface{}{"type": "server_vad", "threshold": 0.5,
					"prefix_padding_ms": 300, "silence_duration_ms": 200, "idle_timeout_ms": nil,
					"create_response": true, "interrupt_response": true},
			},
			"output": map[string]interface{}{
				"format": map[string]interface{}{"type": "audio/pcm", "rate": 24000},
				"voice":  "alloy", "speed": 1.0,
			},
		},
		"include": nil,
	}
	merge(sess, req)
	return sess
}

// merge copies src into dst; nested objects merge, everything else (null included) replaces.
func merge(dst, src map[string]interface{}) {
	for k, v := range src {
		if vm, ok := v.(map[string]interface{}); ok {
			if dm, ok := dst[k].(map[string]interface{}); ok {
				merge(dm, vm)
				continue
			}
		}
		dst[k] = v
	}
}

// toolCall is one --tool-call: the function the model calls and its JSON arguments.
type toolCall struct{ name, args string }

type toolCallList []toolCall

func (l *toolCallList) String() string { return fmt.Sprint(len(*l), " tool calls") }

func (l *toolCallList) Set(v string) error {
	name, args, ok := strings.Cut(v, ":")
	if !ok || name == "" || !json.Valid([]byte(args)) {
		return fmt.Errorf("want NAME:JSON-ARGS, got %q", v)
	}
	*l = append(*l, toolCall{name, args})
	return nil
}

// nextToolCall hands out the function call of the next caller turn's reply (nil when used up).
func (s *server) nextToolCall() *toolCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.turns++
	if s.turns > len(s.cfg.toolCalls) {
		return nil
	}
	return &s.cfg.toolCalls[s.turns-1]
}

// recordEvent appends one received client event to --record-events.
func (s *server) recordEvent(callID string, raw []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.evFile == nil {
		return
	}
	line, _ := json.Marshal(map[string]interface{}{"ts": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"call_id": callID, "event": json.RawMessage(raw)})
	_, _ = s.evFile.Write(append(line, '\n'))
}

// Command metasim plays Meta's side of a WhatsApp Business user-initiated call: it serves the
// Graph API calls endpoint, places calls by posting signed `connect` webhooks with a WhatsApp-shaped
// ice-lite offer, enforces Meta's rules (pre_accept/accept SDP equality, accept window, 20 s media
// timeout), plays the caller's audio, records what the caller hears and ends calls with signed
// `terminate` webhooks. With --outbound it plays the callee of business-initiated calls instead
// (outbound.go). See docs/SIMULATORS.md.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
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
	graphListen, webhookURL, appSecret, accessToken, phoneNumberID, displayNumber, wabaID string
	callerAudio, record, dtmf                                                             string
	hangupAfter, acceptWindow, noMediaTimeout, callerAudioAt, dtmfAt, gap, maxRun, linger time.Duration
	calls                                                                                 int
	phoneNumberIDs                                                                        []string // --phone-number-ids, else the one id
	concurrent, duplicateConnect, lateTerminateFirst                                      bool
	// business-initiated calls (outbound.go)
	outbound, outboundReject bool
	ringTime, acceptedAfter  time.Duration
	// chaos test (chaos.go)
	chaosSeed                             int64
	chaosFaults                           string
	chaosRamp, chaosObserve, silenceLimit time.Duration
}

type sim struct {
	cfg       config
	plans     []plan
	log       *simcore.Logger
	callAudio [][]byte
	client    *http.Client

	results chan result // every call's end

	mu     sync.Mutex
	calls  map[string]*call
	placed int // --outbound: connects taken so far
}

func main() {
	var c config
	flag.StringVar(&c.graphListen, "graph-listen", "127.0.0.1:8900", "address of the simulated Graph API")
	flag.StringVar(&c.webhookURL, "webhook-url", "http://127.0.0.1:3000/webhook", "the business's webhook")
	flag.StringVar(&c.appSecret, "app-secret", "test-app-secret", "key of X-Hub-Signature-256")
	flag.StringVar(&c.accessToken, "access-token", "test-access-token", "Bearer token the Graph API requires")
	flag.StringVar(&c.phoneNumberID, "phone-number-id", "106540352242922", "business phone number id")
	numbers := flag.String("phone-number-ids", "", "comma-separated business numbers the calls go to in turn (overrides --phone-number-id)")
	flag.StringVar(&c.displayNumber, "display-phone-number", "15550783881", "business display number")
	flag.StringVar(&c.wabaID, "waba-id", "102290129340398", "WhatsApp Business Account id")
	flag.StringVar(&c.callerAudio, "caller-audio", "", "Ogg Opus file the caller says after accept")
	flag.DurationVar(&c.callerAudioAt, "caller-audio-at", 0, "delay after accept before the caller speaks")
	flag.StringVar(&c.record, "record", "", "Ogg file of what the caller hears (call N>1: name.N.ogg)")
	flag.DurationVar(&c.hangupAfter, "hangup-after", 15*time.Second, "caller hangs up this long after accept")
	flag.IntVar(&c.calls, "calls", 1, "number of calls to place")
	flag.BoolVar(&c.concurrent, "concurrent", false, "place the calls at once instead of one after another")
	flag.DurationVar(&c.gap, "gap", time.Second, "pause between sequential calls")
	flag.DurationVar(&c.acceptWindow, "accept-window", 30*time.Second, "time the business has to accept")
	flag.DurationVar(&c.noMediaTimeout, "no-media-timeout", 20*time.Second, "drop the call (138021) if no media arrives this long after accept")
	flag.StringVar(&c.dtmf, "dtmf", "", "DTMF digits the caller presses (RFC 4733, PT 126)")
	flag.DurationVar(&c.dtmfAt, "dtmf-at", 3*time.Second, "delay after accept before the DTMF digits")
	flag.BoolVar(&c.duplicateConnect, "duplicate-connect", false, "deliver every connect webhook twice (Meta retries)")
	flag.DurationVar(&c.maxRun, "max-run", 5*time.Minute, "give up after this long")
	flag.DurationVar(&c.linger, "linger", time.Second, "keep serving the Graph API this long after the last call")
	flag.Int64Var(&c.chaosSeed, "chaos-seed", 0, "inject one fault per call, chosen reproducibly from this seed (0: off)")
	flag.StringVar(&c.chaosFaults, "chaos-faults", strings.Join(metaFaults, ","), "faults to choose from (a repeated kind weighs more)")
	flag.DurationVar(&c.chaosRamp, "chaos-ramp", 2*time.Second, "with --chaos-seed: spread the call starts over this long")
	flag.DurationVar(&c.chaosObserve, "chaos-observe", 3*time.Second, "terminate_first: watch Graph this long after the late connect")
	flag.DurationVar(&c.silenceLimit, "silence-limit", 60*time.Second, "silent: fail the call if the business has not ended it this long after the silence")
	flag.BoolVar(&c.outbound, "outbound", false, "play the callee of --calls business-initiated calls (Graph connect) instead of placing calls")
	flag.BoolVar(&c.outboundReject, "outbound-reject", false, "with --outbound: the callee declines (REJECTED) after the ring time")
	flag.DurationVar(&c.ringTime, "ring-time", 2*time.Second, "with --outbound: how long the callee's phone rings")
	flag.DurationVar(&c.acceptedAfter, "accepted-after", time.Second, "with --outbound: the ACCEPTED status follows the connect answer this long after")
	flag.Parse()
	if c.outboundReject {
		c.outbound = true
	}
	if c.outbound && c.chaosSeed != 0 {
		fmt.Fprintln(os.Stderr, "metasim: --chaos-seed is for user-initiated calls only")
		os.Exit(2)
	}
	c.phoneNumberIDs = parseNumbers(*numbers, c.phoneNumberID)
	kinds, err := simcore.ParseFaults(c.chaosFaults, metaFaults)
	if err != nil {
		fmt.Fprintln(os.Stderr, "metasim:", err)
		os.Exit(2)
	}

	s := &sim{cfg: c, plans: makePlans(c, kinds), log: simcore.NewLogger("metasim"), calls: map[string]*call{},
		client: &http.Client{Timeout: 20 * time.Second}, results: make(chan result, c.calls)}
	if c.callerAudio != "" {
		pkts, err := simcore.ReadOpusFile(c.callerAudio)
		if err != nil {
			fmt.Fprintln(os.Stderr, "metasim:", err)
			os.Exit(2)
		}
		s.callAudio = pkts
	}
	ln, err := net.Listen("tcp", c.graphListen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "metasim:", err)
		os.Exit(2)
	}
	go func() { _ = http.Serve(ln, http.HandlerFunc(s.serveGraph)) }()
	s.log.Event("graph_listening", simcore.F{"addr": ln.Addr().String()})

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	results := s.results
	go func() {
		if c.outbound {
			return // the business places the calls (Graph connect)
		}
		var wg sync.WaitGroup
		for i := 1; i <= c.calls; i++ {
			if c.concurrent {
				wg.Add(1)
				go func(i int) { defer wg.Done(); results <- s.placeCall(i) }(i)
				continue
			}
			results <- s.placeCall(i)
			if i < c.calls {
				time.Sleep(c.gap)
			}
		}
		wg.Wait()
	}()
	var all []result
	timeout := time.After(c.maxRun)
	for len(all) < c.calls {
		select {
		case r := <-results:
			all = append(all, r)
		case <-sigs:
			s.log.Event("interrupted", nil)
			s.endAll("interrupted")
			all = append(all, s.unplaced("interrupted")...)
		case <-timeout:
			s.log.Event("max_run_reached", nil)
			s.endAll("max_run")
			all = append(all, s.unplaced("max_run")...)
		}
	}
	time.Sleep(c.linger) // late Graph requests (e.g. an accept after the window) still get answers
	ok, broken := 0, 0
	faults := map[string]int{}
	want := "completed"
	if c.outboundReject {
		want = "rejected"
	}
	for _, r := range all {
		if r.Outcome == want {
			ok++
		}
		if r.Outcome == "setup_failed" || r.Cause == "max_run" || r.Cause == "interrupted" {
			broken++
		}
		faults[r.Fault]++
	}
	report := simcore.F{"calls": len(all), "completed": ok, "results": all}
	if c.outboundReject {
		report["completed"], report["rejected"] = 0, ok
	}
	if c.chaosSeed != 0 {
		report["chaos_seed"], report["faults"] = c.chaosSeed, faults
	}
	s.log.Event("report", report)
	// Under chaos most calls are meant to fail: only a broken run (the simulator could not play a
	// call to its end) is an error; the test judges each call by its fault.
	if (c.chaosSeed == 0 && ok != len(all)) || broken > 0 {
		os.Exit(1)
	}
}

func (s *sim) endAll(cause string) {
	s.mu.Lock()
	calls := []*call{}
	for _, c := range s.calls {
		calls = append(calls, c)
	}
	s.mu.Unlock()
	for _, c := range calls {
		c.end("COMPLETED", nil, cause)
	}
}

// unplaced closes --outbound to further connects and returns a result for each call the business
// never placed (nil without --outbound: metasim places its calls itself).
func (s *sim) unplaced(cause string) []result {
	if !s.cfg.outbound {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []result
	for ; s.placed < s.cfg.calls; s.placed++ {
		out = append(out, result{Outcome: "not_placed", Cause: cause, Fault: faultNormal, Outbound: true})
	}
	return out
}

// postWebhook signs and posts a webhook body; returns the HTTP status (0 on a transport error).
func (s *sim) postWebhook(callID, kind string, body []byte) int {
	req, err := http.NewRequest("POST", s.cfg.webhookURL, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", simcore.Sign(s.cfg.appSecret, body))
	req.Header.Set("User-Agent", "facebookexternalua")
	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		s.log.Event("webhook_failed", simcore.F{"call_id": callID, "kind": kind, "error": err.Error()})
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	s.log.Event("webhook_sent", simcore.F{"call_id": callID, "kind": kind, "status": resp.StatusCode,
		"ms": time.Since(start).Milliseconds()})
	return resp.StatusCode
}

// parseNumbers splits --phone-number-ids; empty: the single --phone-number-id.
func parseNumbers(list, single string) []string {
	var out []string
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		out = []string{single}
	}
	return out
}

// numberOf is the business number call i (from 1) goes to: the list in turn.
func (s *sim) numberOf(i int) string {
	ids := s.cfg.phoneNumberIDs
	if len(ids) == 0 {
		return s.cfg.phoneNumberID
	}
	return ids[(i-1)%len(ids)]
}

// knownNumber reports whether the Graph API serves this phone number id.
func (s *sim) knownNumber(id string) bool {
	if len(s.cfg.phoneNumberIDs) == 0 {
		return id == s.cfg.phoneNumberID
	}
	for _, n := range s.cfg.phoneNumberIDs {
		if n == id {
			return true
		}
	}
	return false
}

// envelope wraps a calls[] item in Meta's webhook envelope (whatsapp.md §3.3).
func (s *sim) envelope(caller string, item map[string]interface{}, errs []interface{}) []byte {
	return s.envelopeFor(s.cfg.phoneNumberID, caller, item, errs)
}

// envelopeFor is envelope for a given business number (metadata.phone_number_id).
func (s *sim) envelopeFor(number, caller string, item map[string]interface{}, errs []interface{}) []byte {
	return s.envelopeWith(number, caller, "calls", item, errs)
}

// envelopeWith puts item in value[list] (`calls` or `statuses`).
func (s *sim) envelopeWith(number, caller, list string, item map[string]interface{}, errs []interface{}) []byte {
	value := map[string]interface{}{
		"messaging_product": "whatsapp",
		"metadata": map[string]interface{}{"display_phone_number": s.cfg.displayNumber,
			"phone_number_id": number},
		"contacts": []interface{}{map[string]interface{}{"profile": map[string]interface{}{"name": "Sim Caller"},
			"wa_id": caller}},
		list: []interface{}{item},
	}
	if len(errs) > 0 {
		value["errors"] = errs
	}
	env := map[string]interface{}{
		"object": "whatsapp_business_account",
		"entry": []interface{}{map[string]interface{}{"id": s.cfg.wabaID,
			"changes": []interface{}{map[string]interface{}{"field": "calls", "value": value}}}},
	}
	b, _ := json.Marshal(env)
	return b
}

// graphError writes Graph's error shape.
func graphError(w http.ResponseWriter, status, code int, typ, msg, details string) {
	e := map[string]interface{}{"message": msg, "type": typ, "code": code,
		"fbtrace_id": "A" + simcore.RandomToken(16)}
	if details != "" {
		e["error_data"] = map[string]interface{}{"messaging_product": "whatsapp", "details": details}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]interface{}{"error": e})
}

type graphRequest struct {
	MessagingProduct string `json:"messaging_product"`
	CallID           string `json:"call_id"`
	Action           string `json:"action"`
	To               string `json:"to"`
	Session          *struct {
		SDPType string `json:"sdp_type"`
		SDP     string `json:"sdp"`
	} `json:"session"`
	BizOpaque string `json:"biz_opaque_callback_data"`
}

func (s *sim) serveGraph(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if r.Method != "POST" || len(parts) != 3 || parts[2] != "calls" || !strings.HasPrefix(parts[0], "v") {
		graphError(w, 400, 100, "GraphMethodException", "Unsupported request - method type: "+strings.ToLower(r.Method), "")
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+s.cfg.accessToken {
		graphError(w, 401, 190, "OAuthException", "Invalid OAuth access token - Cannot parse access token", "")
		return
	}
	if !s.knownNumber(parts[1]) {
		graphError(w, 400, 100, "GraphMethodException", fmt.Sprintf("Unsupported post request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", parts[1]), "")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var req graphRequest
	if err := json.Unmarshal(body, &req); err != nil {
		graphError(w, 400, 100, "OAuthException", "(#100) Invalid JSON body", err.Error())
		return
	}
	if req.MessagingProduct != "whatsapp" {
		graphError(w, 400, 100, "OAuthException", "(#100) The parameter messaging_product is required.", "")
		return
	}
	s.log.Event("graph_request", simcore.F{"call_id": req.CallID, "action": req.Action})
	if req.Action == "connect" {
		s.businessConnect(w, parts[1], &req)
		return
	}
	s.mu.Lock()
	c := s.calls[req.CallID]
	s.mu.Unlock()
	if c == nil {
		graphError(w, 400, 100, "OAuthException", "(#100) Invalid parameter", "call_id "+req.CallID+" is not a known call")
		return
	}
	if c.number != parts[1] { // a call belongs to the number it was placed to
		s.log.Event("graph_wrong_number", simcore.F{"call_id": req.CallID, "number": parts[1], "call_number": c.number})
		graphError(w, 400, 100, "OAuthException", "(#100) Invalid parameter", "call_id "+req.CallID+" belongs to another phone number")
		return
	}
	c.graphAction(w, &req)
}

func graphOK(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"messaging_product":"whatsapp","success":true}`))
}

package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestPhoneNumberIDs(t *testing.T) {
	if got := parseNumbers(" 1, 2,,", "9"); len(got) != 2 || got[0] != "1" || got[1] != "2" {
		t.Fatalf("parse: %v", got)
	}
	if got := parseNumbers("", "9"); len(got) != 1 || got[0] != "9" {
		t.Fatalf("default: %v", got)
	}
	s := testSim("http://127.0.0.1:1/webhook")
	s.cfg.phoneNumberIDs = []string{"111", "222"}
	if s.numberOf(1) != "111" || s.numberOf(2) != "222" || s.numberOf(3) != "111" {
		t.Fatal("calls must alternate over the numbers")
	}
	if !s.knownNumber("222") || s.knownNumber("123") {
		t.Fatal("the Graph API serves exactly the listed numbers")
	}
	// A call is only reachable under its own number.
	s.calls["wacid.x"] = &call{s: s, id: "wacid.x", number: "111"}
	ts := httptest.NewServer(http.HandlerFunc(s.serveGraph))
	defer ts.Close()
	body := `{"messaging_product":"whatsapp","call_id":"wacid.x","action":"terminate"}`
	if st, out := graphPost(t, ts.URL+"/v24.0/222/calls", "tok", body); st != 400 || code(out) != 100 {
		t.Fatalf("other number: %d %v", st, out)
	}
	if st, out := graphPost(t, ts.URL+"/v24.0/333/calls", "tok", body); st != 400 || code(out) != 100 {
		t.Fatalf("unserved number: %d %v", st, out)
	}
}

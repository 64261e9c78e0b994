package main

import (
	"io"
	"net/http"
	"testing"
)

func TestToolCallFlag(t *testing.T) {
	var l toolCallList
	if err := l.Set(`lookup:{"party":2}`); err != nil || len(l) != 1 || l[0].name != "lookup" || l[0].args != `{"party":2}` {
		t.Fatalf("good flag: %v %v", err, l)
	}
	for _, bad := range []string{"lookup", ":{}", "lookup:{not json"} {
		if err := l.Set(bad); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
	s := &server{cfg: config{toolCalls: toolCallList{{"a", "{}"}, {"b", "{}"}}}}
	if a, b, c := s.nextToolCall(), s.nextToolCall(), s.nextToolCall(); a.name != "a" || b.name != "b" || c != nil {
		t.Fatalf("tool calls in turn: %v %v %v", a, b, c)
	}
}

// Azure's prefix and api-key header reach the same endpoints; the key is still checked.
func TestAzureEndpoints(t *testing.T) {
	_, ts := newTestServer(t, config{apiKey: "az-key"})
	send := func(path, header, key string) (int, string) {
		body, ct := multipartBody(t, "not sdp", `{"type":"realtime"}`)
		req, _ := http.NewRequest("POST", ts.URL+path, body)
		req.Header.Set("Content-Type", ct)
		req.Header.Set(header, key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, errorCode(b)
	}
	if st, c := send("/openai/v1/realtime/calls", "api-key", "az-key"); st != 400 || c != "invalid_offer" {
		t.Fatalf("api-key accepted, offer checked: %d %s", st, c)
	}
	if st, c := send("/openai/v1/realtime/calls", "api-key", "wrong"); st != 401 || c != "invalid_api_key" {
		t.Fatalf("wrong api-key: %d %s", st, c)
	}
	if st, c := send("/v1/realtime/calls", "Authorization", "Bearer az-key"); st != 400 || c != "invalid_offer" {
		t.Fatalf("bearer still works: %d %s", st, c)
	}
}

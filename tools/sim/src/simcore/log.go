// Package simcore holds what the WhatsApp and OpenAI simulators share: JSON-lines logging, Ogg
// Opus reading/recording, RTP pacing, Pion setup and the SDP rewrites that Pion 3.1.56 needs.
package simcore

import (
	"encoding/json"
	"os"
	"sync"
	"time"
)

// Logger writes one JSON object per line to stdout; safe for concurrent use.
type Logger struct {
	mu   sync.Mutex
	enc  *json.Encoder
	name string
}

// NewLogger returns a logger whose lines carry "sim": name.
func NewLogger(name string) *Logger {
	return &Logger{enc: json.NewEncoder(os.Stdout), name: name}
}

// Event logs an event with fields (the map is not retained).
func (l *Logger) Event(event string, fields map[string]interface{}) {
	line := map[string]interface{}{}
	for k, v := range fields {
		line[k] = v
	}
	line["ts"] = time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00")
	line["sim"] = l.name
	line["event"] = event
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.enc.Encode(line)
}

// F is shorthand for a field map.
type F = map[string]interface{}

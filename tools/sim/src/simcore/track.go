package simcore

import (
	"errors"
	"math/rand"
	"strings"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v3"
)

// RawTrack is a local audio track that sends RTP packets with the payload type we choose, so Opus
// and telephone-event share one SSRC and sequence space as on a phone. (TrackLocalStaticRTP
// rewrites every packet's payload type to the bound codec's.) It keeps one sequence number and
// timestamp space across everything sent. Safe for concurrent use.
type RawTrack struct {
	mu     sync.Mutex
	id     string
	stream string
	ssrc   uint32
	writer webrtc.TrackLocalWriter
	opusPT uint8
	dtmfPT uint8
	seq    uint16
	ts     uint32
	sent   int
}

// NewRawTrack creates an unbound audio track.
func NewRawTrack(id, stream string) *RawTrack {
	return &RawTrack{id: id, stream: stream, seq: uint16(rand.Uint32()), ts: rand.Uint32()}
}

// Bind picks Opus (and telephone-event, if negotiated) from the negotiated codecs.
func (t *RawTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var opus *webrtc.RTPCodecParameters
	for i, c := range ctx.CodecParameters() {
		switch strings.ToLower(c.MimeType) {
		case "audio/opus":
			if opus == nil {
				opus = &ctx.CodecParameters()[i]
			}
		case "audio/telephone-event":
			t.dtmfPT = uint8(c.PayloadType)
		}
	}
	if opus == nil {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	t.opusPT = uint8(opus.PayloadType)
	t.ssrc = uint32(ctx.SSRC())
	t.writer = ctx.WriteStream()
	return *opus, nil
}

// Unbind detaches the track.
func (t *RawTrack) Unbind(webrtc.TrackLocalContext) error {
	t.mu.Lock()
	t.writer = nil
	t.mu.Unlock()
	return nil
}

func (t *RawTrack) ID() string                { return t.id }
func (t *RawTrack) RID() string               { return "" }
func (t *RawTrack) StreamID() string          { return t.stream }
func (t *RawTrack) Kind() webrtc.RTPCodecType { return webrtc.RTPCodecTypeAudio }
func (t *RawTrack) OpusPT() uint8             { t.mu.Lock(); defer t.mu.Unlock(); return t.opusPT }
func (t *RawTrack) Sent() int                 { t.mu.Lock(); defer t.mu.Unlock(); return t.sent }
func (t *RawTrack) Bound() bool               { t.mu.Lock(); defer t.mu.Unlock(); return t.writer != nil }

var errUnbound = errors.New("track not bound")

// WriteOpus sends one Opus packet and advances the timestamp by its duration.
func (t *RawTrack) WriteOpus(payload []byte, marker bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.writer == nil {
		return errUnbound
	}
	h := rtp.Header{Version: 2, Marker: marker, PayloadType: t.opusPT, SequenceNumber: t.seq,
		Timestamp: t.ts, SSRC: t.ssrc}
	t.seq++
	samples := OpusSamples(payload)
	if samples == 0 {
		samples = 960
	}
	t.ts += uint32(samples)
	t.sent++
	_, err := t.writer.WriteRTP(&h, payload)
	return err
}

// SendDigit sends an RFC 4733 event (digit 0-9, *, #) lasting about duration, on the
// telephone-event payload type at 8 kHz, then pauses the Opus timestamp by the same time. Blocks
// for the duration.
func (t *RawTrack) SendDigit(digit byte, duration time.Duration) error {
	events := map[byte]byte{'*': 10, '#': 11, 'A': 12, 'B': 13, 'C': 14, 'D': 15}
	ev, ok := events[digit]
	if digit >= '0' && digit <= '9' {
		ev, ok = digit-'0', true
	}
	if !ok {
		return errors.New("not a DTMF digit")
	}
	t.mu.Lock()
	pt, start := t.dtmfPT, t.ts
	t.mu.Unlock()
	if pt == 0 {
		return errors.New("telephone-event not negotiated")
	}
	steps := int(duration / (20 * time.Millisecond))
	for i := 1; i <= steps+2; i++ { // the end packet is sent three times (RFC 4733 §2.5.1.4)
		end := i >= steps
		dur := i * 160
		if end {
			dur = steps * 160
		}
		payload := []byte{ev, 10, byte(dur >> 8), byte(dur)}
		if end {
			payload[1] |= 0x80
		}
		t.mu.Lock()
		if t.writer == nil {
			t.mu.Unlock()
			return errUnbound
		}
		h := rtp.Header{Version: 2, Marker: i == 1, PayloadType: pt, SequenceNumber: t.seq,
			Timestamp: start, SSRC: t.ssrc}
		t.seq++
		_, err := t.writer.WriteRTP(&h, payload)
		t.mu.Unlock()
		if err != nil {
			return err
		}
		if !end {
			time.Sleep(20 * time.Millisecond)
		}
	}
	t.mu.Lock()
	t.ts = start + uint32(steps*960)
	t.mu.Unlock()
	return nil
}

// Source is what a Pacer sends every 20 ms: the next packet, or nil for silence.
type Source func() []byte

// Pacer sends one Opus packet every 20 ms on a RawTrack until stopped: audio from the current
// clip, else the silence frame (if silenceWhenIdle) or nothing.
type Pacer struct {
	mu       sync.Mutex
	track    *RawTrack
	clip     [][]byte
	pos      int
	done     chan struct{} // closed when the current clip finished
	idleSend bool
	stop     chan struct{}
	stopOnce sync.Once
	hold     bool // paused (e.g. while a DTMF event goes out)
}

// NewPacer starts the 20 ms clock.
func NewPacer(track *RawTrack, silenceWhenIdle bool) *Pacer {
	p := &Pacer{track: track, idleSend: silenceWhenIdle, stop: make(chan struct{})}
	go p.run()
	return p
}

// Play queues a clip (replacing any current one) and returns a channel closed when it ends or
// is cut.
func (p *Pacer) Play(clip [][]byte) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done != nil {
		close(p.done)
	}
	p.clip, p.pos, p.done = clip, 0, make(chan struct{})
	return p.done
}

// Cut stops the current clip; reports whether one was playing.
func (p *Pacer) Cut() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done == nil {
		return false
	}
	close(p.done)
	p.clip, p.done = nil, nil
	return true
}

// Remaining returns the packets of the current clip not sent yet (nil when idle).
func (p *Pacer) Remaining() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done == nil || p.pos >= len(p.clip) {
		return nil
	}
	return append([][]byte{}, p.clip[p.pos:]...)
}

// Hold pauses sending (true) or resumes it.
func (p *Pacer) Hold(h bool) { p.mu.Lock(); p.hold = h; p.mu.Unlock() }

// Stop ends the clock.
func (p *Pacer) Stop() { p.stopOnce.Do(func() { close(p.stop); p.Cut() }) }

func (p *Pacer) run() {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
		p.mu.Lock()
		var pkt []byte
		marker := false
		if p.hold {
			p.mu.Unlock()
			continue
		}
		if p.done != nil {
			if p.pos < len(p.clip) {
				pkt, marker = p.clip[p.pos], p.pos == 0
				p.pos++
			}
			if p.pos >= len(p.clip) {
				close(p.done)
				p.clip, p.done = nil, nil
			}
		}
		if pkt == nil && p.idleSend {
			pkt = SilenceFrame
		}
		p.mu.Unlock()
		if pkt != nil && p.track.Bound() {
			_ = p.track.WriteOpus(pkt, marker)
		}
	}
}

package simcore

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v3/pkg/media/oggwriter"
)

// ReadOpusFile returns the Opus packets of an Ogg Opus file, in order, without the OpusHead and
// OpusTags headers. It follows the Ogg lacing values, so pages holding many packets (what opusenc
// writes by default) split correctly; Pion's oggreader returns whole pages, which is only right for
// one packet per page.
func ReadOpusFile(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var packets [][]byte
	var partial []byte
	hdr := make([]byte, 27)
	for {
		if _, err := io.ReadFull(r, hdr); err != nil {
			if err == io.EOF {
				break
			}
			return nil, fmt.Errorf("%s: truncated Ogg page: %w", path, err)
		}
		if string(hdr[:4]) != "OggS" {
			return nil, fmt.Errorf("%s: not an Ogg file", path)
		}
		lacing := make([]byte, hdr[26])
		if _, err := io.ReadFull(r, lacing); err != nil {
			return nil, err
		}
		for _, l := range lacing {
			seg := make([]byte, l)
			if _, err := io.ReadFull(r, seg); err != nil {
				return nil, err
			}
			partial = append(partial, seg...)
			if l < 255 {
				packets = append(packets, partial)
				partial = nil
			}
		}
	}
	if len(packets) < 2 || string(packets[0][:min(8, len(packets[0]))]) != "OpusHead" {
		return nil, fmt.Errorf("%s: not an Ogg Opus file", path)
	}
	return packets[2:], nil
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

// OpusSamples is the number of 48 kHz samples in an Opus packet (RFC 6716 §3.1 TOC byte).
func OpusSamples(p []byte) int {
	if len(p) == 0 {
		return 0
	}
	toc := p[0]
	config := int(toc >> 3)
	var per int // samples per frame at 48 kHz
	switch {
	case config < 12:
		per = []int{480, 960, 1920, 2880}[config%4]
	case config < 16:
		per = []int{480, 960}[config%2]
	default:
		per = []int{120, 240, 480, 960}[config%4]
	}
	frames := 1
	switch toc & 3 {
	case 1, 2:
		frames = 2
	case 3:
		if len(p) < 2 {
			return 0
		}
		frames = int(p[1] & 0x3f)
	}
	return per * frames
}

// SilenceFrame is a 20 ms Opus packet that decodes to silence (CELT, one frame, no data).
var SilenceFrame = []byte{0xF8, 0xFF, 0xFE}

// Recorder writes the Opus payloads of received RTP packets to an Ogg Opus file as they are (no
// transcoding). Nil-safe: a nil *Recorder ignores everything. Safe for concurrent use.
type Recorder struct {
	mu      sync.Mutex
	path    string
	closed  bool
	w       *oggwriter.OggWriter
	packets int
	bytes   int
}

// NewRecorder creates path; an empty path gives a nil recorder.
func NewRecorder(path string) (*Recorder, error) {
	if path == "" {
		return nil, nil
	}
	// Fail early on an unwritable path; the writer itself is created on the first packet because
	// oggwriter's Close assumes at least one data page.
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	f.Close()
	return &Recorder{path: path}, nil
}

// Write records one packet; packets that are not Opus (e.g. telephone-event) must be filtered by
// the caller.
func (r *Recorder) Write(pkt *rtp.Packet) {
	if r == nil || len(pkt.Payload) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	if r.w == nil {
		w, err := oggwriter.New(r.path, 48000, 2)
		if err != nil {
			return
		}
		r.w = w
	}
	if err := r.w.WriteRTP(pkt); err == nil {
		r.packets++
		r.bytes += len(pkt.Payload)
	}
}

// Close finishes the file; returns packets and payload bytes recorded.
func (r *Recorder) Close() (int, int, error) {
	if r == nil {
		return 0, 0, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return r.packets, r.bytes, nil
	}
	r.closed = true
	if r.w == nil {
		return 0, 0, errors.New("nothing recorded")
	}
	err := r.w.Close()
	r.w = nil
	return r.packets, r.bytes, err
}

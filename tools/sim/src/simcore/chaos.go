package simcore

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ParseFaults reads a simulator's --chaos-faults: kinds out of known, separated by commas; a
// repeated kind weighs more, so the result keeps every repetition.
func ParseFaults(list string, known []string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		ok := false
		for _, k := range known {
			ok = ok || k == f
		}
		if !ok {
			return nil, fmt.Errorf("unknown chaos fault %q (known: %s)", f, strings.Join(known, ", "))
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--chaos-faults names no fault")
	}
	return out, nil
}

// GatedConn is a UDP socket that can go dead: once Silence is called every datagram read is
// dropped and every write is swallowed, so the peer behind it answers nothing (no STUN, no DTLS,
// no RTP) without saying goodbye. Used as the socket of Pion's UDP mux (APIOptions.UDPConn).
type GatedConn struct {
	net.PacketConn
	silent atomic.Bool
}

// NewGatedConn binds a UDP socket on 127.0.0.1 (any free port).
func NewGatedConn() (*GatedConn, error) {
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return &GatedConn{PacketConn: c}, nil
}

// Silence makes the socket deaf and mute for good.
func (g *GatedConn) Silence() { g.silent.Store(true) }

// Silent reports whether Silence was called.
func (g *GatedConn) Silent() bool { return g.silent.Load() }

func (g *GatedConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := g.PacketConn.ReadFrom(b)
		if err != nil || !g.silent.Load() {
			return n, addr, err
		}
	}
}

func (g *GatedConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if g.silent.Load() {
		return len(b), nil
	}
	return g.PacketConn.WriteTo(b, addr)
}

// GarbageClasses names the first-byte ranges a WebRTC endpoint demultiplexes on (RFC 7983):
// STUN 0–3, ZRTP 16–19, DTLS 20–63, TURN channel 64–79, RTP/RTCP 128–191, and the rest.
var GarbageClasses = []string{"stun", "zrtp", "dtls", "turn", "rtp", "rtcp", "other", "empty"}

// Garbage returns one hostile datagram of a class chosen by rng: random bytes behind a first
// byte of that class, often with a plausible header (STUN magic cookie, DTLS record header,
// RTP version 2 with Opus or RTCP payload types) so parsers get past their first check.
func Garbage(rng *rand.Rand) (class string, pkt []byte) {
	class = GarbageClasses[rng.Intn(len(GarbageClasses))]
	if class == "empty" {
		return class, []byte{}
	}
	sizes := []int{1, 2, 4, 8, 12, 20, 24, 28, 40, 100, 172, 500, 1200, 1500}
	n := sizes[rng.Intn(len(sizes))]
	if rng.Intn(3) == 0 {
		n = 1 + rng.Intn(1500)
	}
	pkt = make([]byte, n)
	rng.Read(pkt)
	plausible := rng.Intn(2) == 0
	switch class {
	case "stun":
		pkt[0] = byte(rng.Intn(4))
		if plausible && n >= 20 {
			types := []uint16{0x0001, 0x0101, 0x0111, 0x0011, 0x0003}
			binary.BigEndian.PutUint16(pkt[0:], types[rng.Intn(len(types))])
			binary.BigEndian.PutUint16(pkt[2:], uint16(n-20)&^3|uint16(rng.Intn(2)))
			binary.BigEndian.PutUint32(pkt[4:], 0x2112A442)
		}
	case "zrtp":
		pkt[0] = byte(16 + rng.Intn(4))
	case "dtls":
		pkt[0] = byte(20 + rng.Intn(44))
		if plausible && n >= 13 {
			pkt[0] = byte(20 + rng.Intn(4)) // change_cipher_spec, alert, handshake, application_data
			pkt[1], pkt[2] = 0xfe, []byte{0xff, 0xfd}[rng.Intn(2)]
			binary.BigEndian.PutUint16(pkt[11:], uint16(n-13+rng.Intn(3)-1))
			if pkt[0] == 22 && n >= 25 {
				pkt[13] = byte(1 + rng.Intn(20)) // a handshake type, fragment fields stay random
			}
		}
	case "turn":
		pkt[0] = byte(64 + rng.Intn(16))
	case "rtp", "rtcp":
		pkt[0] = byte(128 + rng.Intn(64))
		if plausible && n >= 2 {
			pkt[0] = 0x80 | pkt[0]&0x3f
			if class == "rtp" {
				pkt[1] = []byte{111, 126, 0, 96, 0x80 | 111}[rng.Intn(5)]
			} else {
				pkt[1] = byte(192 + rng.Intn(16)) // 200–207 sit in here: SR, RR, SDES, BYE, APP, feedback
			}
		}
	default:
		others := []int{4 + rng.Intn(12), 80 + rng.Intn(48), 192 + rng.Intn(64)}
		pkt[0] = byte(others[rng.Intn(len(others))])
	}
	return class, pkt
}

var reUDPCandidate = regexp.MustCompile(`(?mi)^a=candidate:\S+ \d+ udp \d+ (\S+) (\d+) typ`)

// CandidateAddrs returns the UDP addresses of an SDP's candidates, without duplicates.
func CandidateAddrs(sdp string) []*net.UDPAddr {
	var out []*net.UDPAddr
	seen := map[string]bool{}
	for _, l := range SplitLines(sdp) {
		m := reUDPCandidate.FindStringSubmatch(l)
		if m == nil || seen[m[1]+":"+m[2]] {
			continue
		}
		ip := net.ParseIP(m[1])
		port, err := strconv.Atoi(m[2])
		if ip == nil || err != nil {
			continue
		}
		seen[m[1]+":"+m[2]] = true
		out = append(out, &net.UDPAddr{IP: ip, Port: port})
	}
	return out
}

// Sprayer sends garbage datagrams to targets from its own socket until stopped.
type Sprayer struct {
	stop   chan struct{}
	done   chan struct{}
	mu     sync.Mutex
	counts map[string]int
}

// Spray starts sending one datagram every interval to each target (seeded: reproducible bytes)
// from conn, or from a socket of its own when conn is nil (closed when stopped; a given conn is
// left open).
func Spray(conn net.PacketConn, targets []*net.UDPAddr, seed int64, interval time.Duration) (*Sprayer, error) {
	own := conn == nil
	if own {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return nil, err
		}
		conn = c
	}
	s := &Sprayer{stop: make(chan struct{}), done: make(chan struct{}), counts: map[string]int{}}
	rng := rand.New(rand.NewSource(seed))
	go func() {
		defer close(s.done)
		if own {
			defer conn.Close()
		}
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
			for _, t := range targets {
				class, pkt := Garbage(rng)
				if _, err := conn.WriteTo(pkt, t); err == nil {
					s.mu.Lock()
					s.counts[class]++
					s.mu.Unlock()
				}
			}
		}
	}()
	return s, nil
}

// Stop ends the spray and returns how many datagrams of each class were sent.
func (s *Sprayer) Stop() map[string]int {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

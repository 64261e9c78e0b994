package simcore

import (
	"bytes"
	"math/rand"
	"net"
	"reflect"
	"testing"
	"time"
)

func TestGarbageCoversEveryClassReproducibly(t *testing.T) {
	seen := map[string]bool{}
	first := map[string][2]int{"stun": {0, 3}, "zrtp": {16, 19}, "dtls": {20, 63}, "turn": {64, 79},
		"rtp": {128, 191}, "rtcp": {128, 191}}
	a, b := rand.New(rand.NewSource(7)), rand.New(rand.NewSource(7))
	for i := 0; i < 2000; i++ {
		class, pkt := Garbage(a)
		class2, pkt2 := Garbage(b)
		if class != class2 || !bytes.Equal(pkt, pkt2) {
			t.Fatal("same seed, different garbage")
		}
		seen[class] = true
		if len(pkt) > 1500 || (class != "empty" && len(pkt) == 0) {
			t.Fatalf("%s datagram of %d bytes", class, len(pkt))
		}
		if r, ok := first[class]; ok && (int(pkt[0]) < r[0] || int(pkt[0]) > r[1]) {
			t.Fatalf("%s datagram starts with %d", class, pkt[0])
		}
	}
	for _, c := range GarbageClasses {
		if !seen[c] {
			t.Errorf("class %s never drawn", c)
		}
	}
}

func TestCandidateAddrs(t *testing.T) {
	sdp := "v=0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 40002 typ host\r\n" +
		"a=candidate:2 1 UDP 1694498815 192.0.2.7 40002 typ srflx raddr 0.0.0.0 rport 0\r\n" +
		"a=candidate:3 1 udp 2130706431 127.0.0.1 40002 typ host\r\n" +
		"a=candidate:4 1 tcp 1 127.0.0.1 9 typ host tcptype active\r\n"
	got := CandidateAddrs(sdp)
	if len(got) != 2 || got[0].String() != "127.0.0.1:40002" || got[1].String() != "192.0.2.7:40002" {
		t.Fatalf("got %v", got)
	}
}

func TestGatedConnGoesDeaf(t *testing.T) {
	g, err := NewGatedConn()
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	other, _ := net.ListenPacket("udp4", "127.0.0.1:0")
	defer other.Close()
	buf := make([]byte, 100)
	if _, err := other.WriteTo([]byte("a"), g.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if n, _, err := g.ReadFrom(buf); err != nil || string(buf[:n]) != "a" {
		t.Fatalf("before silence: %q %v", buf[:n], err)
	}
	g.Silence()
	if n, err := g.WriteTo([]byte("b"), other.LocalAddr()); n != 1 || err != nil {
		t.Fatalf("silenced write: %d %v", n, err)
	}
	_ = other.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, _, err := other.ReadFrom(buf); err == nil {
		t.Fatal("a silenced conn still sends")
	}
	_, _ = other.WriteTo([]byte("c"), g.LocalAddr())
	_ = g.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if n, _, err := g.ReadFrom(buf); err == nil {
		t.Fatalf("a silenced conn still delivers %q", buf[:n])
	}
}

func TestSprayerSends(t *testing.T) {
	sink, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	defer sink.Close()
	sp, err := Spray(nil, []*net.UDPAddr{sink.LocalAddr().(*net.UDPAddr)}, 1, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2000)
	_ = sink.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, _, err := sink.ReadFrom(buf); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range sp.Stop() {
		total += n
	}
	if total == 0 {
		t.Fatal("no datagrams counted")
	}
}

func TestParseFaultsKeepsRepetitionsAndRefusesUnknownKinds(t *testing.T) {
	known := []string{"normal", "silent"}
	got, err := ParseFaults(" silent, normal,,silent ", known)
	if err != nil || !reflect.DeepEqual(got, []string{"silent", "normal", "silent"}) {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := ParseFaults("normal,bogus", known); err == nil {
		t.Error("unknown fault accepted")
	}
	if _, err := ParseFaults(" , ", known); err == nil {
		t.Error("an empty list accepted")
	}
}

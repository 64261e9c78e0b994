package simcore

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v3"
)

func TestOpusSamples(t *testing.T) {
	cases := []struct {
		pkt  []byte
		want int
	}{
		{SilenceFrame, 960},        // CELT FB 20 ms, one frame
		{[]byte{0x08}, 960},        // SILK NB 20 ms (config 1)
		{[]byte{0x09}, 1920},       // two frames of 20 ms
		{[]byte{0x0b, 0x03}, 2880}, // code 3, three frames
		{[]byte{0x78}, 480},        // hybrid SWB 10 ms (config 15 → 20 ms? no: 15%2=1 → 960)
		{[]byte{0xE0}, 120},        // CELT 2.5 ms (config 28)
		{nil, 0},
	}
	cases[4].want = 960 // config 15 is hybrid FB 20 ms
	for _, c := range cases {
		if got := OpusSamples(c.pkt); got != c.want {
			t.Errorf("OpusSamples(%x) = %d, want %d", c.pkt, got, c.want)
		}
	}
}

// page builds an Ogg page (CRC left zero: ReadOpusFile does not check it).
func page(segments []byte, payload []byte) []byte {
	h := make([]byte, 27)
	copy(h, "OggS")
	binary.LittleEndian.PutUint32(h[14:], 7)
	h[26] = byte(len(segments))
	return append(append(h, segments...), payload...)
}

func TestReadOpusFileFollowsLacing(t *testing.T) {
	head := append([]byte("OpusHead"), make([]byte, 11)...)
	tags := append([]byte("OpusTags"), make([]byte, 8)...)
	big := bytes.Repeat([]byte{0xAB}, 300) // spans two pages: 255 here, 45 on the next page
	small := []byte{0xF8, 1, 2}
	var f []byte
	f = append(f, page([]byte{19}, head)...)
	f = append(f, page([]byte{16}, tags)...)
	f = append(f, page([]byte{3, 255}, append(append([]byte{}, small...), big[:255]...))...)
	f = append(f, page([]byte{45, 3}, append(append([]byte{}, big[255:]...), small...))...)
	path := filepath.Join(t.TempDir(), "x.ogg")
	if err := os.WriteFile(path, f, 0o644); err != nil {
		t.Fatal(err)
	}
	pkts, err := ReadOpusFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkts) != 3 || !bytes.Equal(pkts[0], small) || !bytes.Equal(pkts[1], big) || !bytes.Equal(pkts[2], small) {
		t.Fatalf("got %d packets with sizes %v", len(pkts), sizes(pkts))
	}
	if _, err := ReadOpusFile(filepath.Join(t.TempDir(), "missing.ogg")); err == nil {
		t.Fatal("missing file accepted")
	}
	bad := filepath.Join(t.TempDir(), "bad.ogg")
	_ = os.WriteFile(bad, []byte("RIFF....WAVEfmt "+strings.Repeat(" ", 20)), 0o644)
	if _, err := ReadOpusFile(bad); err == nil {
		t.Fatal("non-Ogg file accepted")
	}
}

func sizes(p [][]byte) []int {
	s := []int{}
	for _, x := range p {
		s = append(s, len(x))
	}
	return s
}

func TestRecorderRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.ogg")
	r, err := NewRecorder(path)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]byte{{0xF8, 1, 2, 3}, {0xF8, 4, 5}, SilenceFrame}
	for i, p := range want {
		r.Write(&rtp.Packet{Header: rtp.Header{Timestamp: uint32(1000 + 960*i)}, Payload: p})
	}
	n, _, err := r.Close()
	if err != nil || n != 3 {
		t.Fatalf("close: %d packets, %v", n, err)
	}
	got, err := ReadOpusFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || !bytes.Equal(got[0], want[0]) || !bytes.Equal(got[2], want[2]) {
		t.Fatalf("read back %v", sizes(got))
	}
	empty, _ := NewRecorder(filepath.Join(t.TempDir(), "empty.ogg"))
	if _, _, err := empty.Close(); err == nil {
		t.Fatal("an empty recording must report an error")
	}
	var none *Recorder
	none.Write(&rtp.Packet{Payload: []byte{1}})
}

func TestSignature(t *testing.T) {
	// HMAC-SHA256 test vector (key "key", the quick brown fox).
	body := []byte("The quick brown fox jumps over the lazy dog")
	want := "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
	if got := Sign("key", body); got != want {
		t.Fatalf("Sign = %s", got)
	}
	if !VerifySignature("key", body, want) || VerifySignature("other", body, want) ||
		VerifySignature("key", append(body, '.'), want) {
		t.Fatal("VerifySignature")
	}
}

// TestWhatsAppOfferShape checks the rewritten offer line by line against whatsapp.md §2.1.
func TestWhatsAppOfferShape(t *testing.T) {
	api, err := NewAPI(APIOptions{Lite: true, Loopback: true, OpusFmtp: WhatsAppOpusFmtp, DTMFPT: 126, TransportCC: true})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTrack(NewRawTrack("a", "s")); err != nil {
		t.Fatal(err)
	}
	offer, _ := pc.CreateOffer(nil)
	sdp, err := LocalSDP(pc, offer)
	if err != nil {
		t.Fatal(err)
	}
	wa, mid, err := WhatsAppOffer(sdp)
	if err != nil {
		t.Fatal(err)
	}
	if mid == "" || !strings.HasSuffix(wa, "\r\n") {
		t.Fatalf("mid %q", mid)
	}
	prefixes := []string{"v=0", "o=- ", "s=-", "t=0 0", "a=group:BUNDLE audio", "a=msid-semantic: WMS ",
		"a=ice-lite", "m=audio ", "c=IN IP4 127.0.0.1", "a=rtcp:9 IN IP4 0.0.0.0", "a=candidate:",
		"a=ice-ufrag:", "a=ice-pwd:", "a=fingerprint:sha-256 ", "a=setup:actpass", "a=mid:audio",
		"a=sendrecv", "a=msid:", "a=rtcp-mux", "a=rtpmap:111 opus/48000/2", "a=rtcp-fb:111 transport-cc",
		"a=fmtp:111 " + WhatsAppOpusFmtp, "a=rtpmap:126 telephone-event/8000", "a=maxptime:20", "a=ptime:20",
		"a=ssrc:"}
	lines := SplitLines(wa)
	if len(lines) != len(prefixes) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(prefixes), wa)
	}
	for i, p := range prefixes {
		if !strings.HasPrefix(lines[i], p) {
			t.Errorf("line %d = %q, want prefix %q", i, lines[i], p)
		}
	}
	if !strings.HasSuffix(lines[len(lines)-1], " cname:WhatsAppAudioStream1") ||
		!strings.Contains(lines[10], " 127.0.0.1 ") || !strings.HasSuffix(lines[10], "typ host generation 0 network-cost 50") {
		t.Errorf("ssrc/candidate lines: %q %q", lines[len(lines)-1], lines[10])
	}

	answer := "v=0\r\na=group:BUNDLE audio\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 126\r\na=mid:audio\r\n" +
		"a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
	fixed, changed := AnswerForPion(answer, mid, WhatsAppOpusFmtp)
	if !changed || !strings.Contains(fixed, "a=mid:"+mid+"\r\n") || !strings.Contains(fixed, "a=group:BUNDLE "+mid+"\r\n") ||
		!strings.Contains(fixed, "a=fmtp:111 "+WhatsAppOpusFmtp) {
		t.Fatalf("AnswerForPion:\n%s", fixed)
	}
	if OpusPT(wa) != "111" || Fmtp(wa, "111") != WhatsAppOpusFmtp || Fmtp(wa, "126") != "" {
		t.Fatal("OpusPT/Fmtp")
	}
}

func TestWithMaxMessageSize(t *testing.T) {
	in := "v=0\r\nm=audio 9 X 111\r\na=mid:0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=max-message-size:65536\r\na=sctp-port:5000\r\n"
	out := WithMaxMessageSize(in)
	if strings.Count(out, "a=max-message-size:") != 1 || !strings.HasSuffix(out, "a=sctp-port:5000\r\na=max-message-size:262144\r\n") {
		t.Fatalf("got:\n%s", out)
	}
}

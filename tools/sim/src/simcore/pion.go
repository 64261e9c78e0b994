package simcore

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"reflect"
	"regexp"
	"strings"
	"time"
	"unsafe"

	"github.com/pion/dtls/v2"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/sctp"
	"github.com/pion/webrtc/v3"
)

// WhatsAppOpusFmtp is the Opus fmtp of real WhatsApp offers (whatsapp.md §2.1).
const WhatsAppOpusFmtp = "maxaveragebitrate=20000;maxplaybackrate=16000;minptime=20;sprop-maxcapturerate=16000;useinbandfec=1"

// MaxMessageSize is the data-channel message size we send and accept (OpenAI's events can pass
// 64 KiB, Pion's default).
const MaxMessageSize = 262144

// APIOptions selects how a simulated peer behaves.
type APIOptions struct {
	Lite        bool   // ice-lite agent
	Loopback    bool   // only a 127.0.0.1 host candidate
	DTLSClient  bool   // as answerer, take the DTLS client role (a=setup:active)
	OpusPT      uint8  // default 111
	OpusFmtp    string // default "minptime=10;useinbandfec=1"
	DTMFPT      uint8  // 0: no telephone-event
	TransportCC bool
	// UDPConn, when set, is the peer's only socket (through Pion's UDP mux): its address is the
	// host candidate. A GatedConn here lets the chaos test silence the peer.
	UDPConn net.PacketConn
	// ReceiverReports, when positive, sends an RTCP receiver report about each incoming stream
	// this often, as the WebRTC stacks of WhatsApp and OpenAI do. The peer must read RTCP
	// (ReadRTCPForever) for our sender reports to reach the interceptor (its RTT).
	ReceiverReports time.Duration
}

// NewAPI builds a Pion API for one peer connection: no NACK/TWCC machinery, plain RTP, and
// receiver reports only when asked.
func NewAPI(o APIOptions) (*webrtc.API, error) {
	if o.OpusPT == 0 {
		o.OpusPT = 111
	}
	if o.OpusFmtp == "" {
		o.OpusFmtp = "minptime=10;useinbandfec=1"
	}
	me := &webrtc.MediaEngine{}
	opus := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
		SDPFmtpLine: o.OpusFmtp}
	if o.TransportCC {
		opus.RTCPFeedback = []webrtc.RTCPFeedback{{Type: "transport-cc"}}
	}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: opus,
		PayloadType: webrtc.PayloadType(o.OpusPT)}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	if o.DTMFPT != 0 {
		dtmf := webrtc.RTPCodecCapability{MimeType: "audio/telephone-event", ClockRate: 8000}
		if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: dtmf,
			PayloadType: webrtc.PayloadType(o.DTMFPT)}, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	se := webrtc.SettingEngine{}
	se.DetachDataChannels()
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	if o.Loopback || o.Lite {
		se.SetIncludeLoopbackCandidate(true)
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() && ip.To4() != nil })
	}
	se.SetLite(o.Lite)
	if o.UDPConn != nil {
		se.SetICEUDPMux(webrtc.NewICEUDPMux(nil, o.UDPConn))
	}
	if o.DTLSClient {
		if err := se.SetAnsweringDTLSRole(webrtc.DTLSRoleClient); err != nil {
			return nil, err
		}
	}
	se.SetSRTPProtectionProfiles(dtls.SRTP_AEAD_AES_128_GCM, dtls.SRTP_AES128_CM_HMAC_SHA1_80)
	options := []func(*webrtc.API){webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)}
	if o.ReceiverReports > 0 {
		rr, err := report.NewReceiverInterceptor(report.ReceiverInterval(o.ReceiverReports))
		if err != nil {
			return nil, err
		}
		registry := &interceptor.Registry{}
		registry.Add(rr)
		options = append(options, webrtc.WithInterceptorRegistry(registry))
	}
	return webrtc.NewAPI(options...), nil
}

// ReadRTCPForever drains a receiver's RTCP (so interceptors see it) until the receiver closes.
func ReadRTCPForever(r *webrtc.RTPReceiver) {
	for {
		if _, _, err := r.ReadRTCP(); err != nil {
			return
		}
	}
}

// LocalSDP sets the local description, waits for gathering to finish (no trickle) and returns it.
func LocalSDP(pc *webrtc.PeerConnection, desc webrtc.SessionDescription) (string, error) {
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(desc); err != nil {
		return "", err
	}
	select {
	case <-gathered:
	case <-time.After(10 * time.Second):
		return "", fmt.Errorf("ICE gathering timed out")
	}
	return pc.LocalDescription().SDP, nil
}

// RaiseSendLimit lifts pion/sctp's 64 KiB per-message send limit (Pion 3.1.56 has no setting
// for it), reaching the association by reflection. Call when a data channel opens.
func RaiseSendLimit(pc *webrtc.PeerConnection) bool {
	field := reflect.ValueOf(pc.SCTP()).Elem().FieldByName("sctpAssociation")
	if !field.IsValid() || field.IsNil() {
		return false
	}
	assoc := (*sctp.Association)(unsafe.Pointer(field.Pointer()))
	assoc.SetMaxMessageSize(MaxMessageSize)
	return true
}

// WithMaxMessageSize declares a=max-message-size in the application section.
func WithMaxMessageSize(sdp string) string {
	lines := SplitLines(sdp)
	out := []string{}
	inApp := false
	flush := func() {
		if inApp {
			out = append(out, fmt.Sprintf("a=max-message-size:%d", MaxMessageSize))
		}
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "m=") {
			flush()
			inApp = strings.HasPrefix(l, "m=application")
		}
		if strings.HasPrefix(l, "a=max-message-size:") {
			continue
		}
		out = append(out, l)
	}
	flush()
	return strings.Join(out, "\r\n") + "\r\n"
}

// SplitLines splits SDP text on CRLF or LF, without the trailing empty line.
func SplitLines(sdp string) []string {
	return strings.Split(strings.TrimRight(strings.ReplaceAll(sdp, "\r\n", "\n"), "\n"), "\n")
}

var (
	reUfrag       = regexp.MustCompile(`(?m)^a=ice-ufrag:(\S+)`)
	rePwd         = regexp.MustCompile(`(?m)^a=ice-pwd:(\S+)`)
	reFingerprint = regexp.MustCompile(`(?m)^a=fingerprint:sha-256 (\S+)`)
	reCandidate   = regexp.MustCompile(`(?m)^a=candidate:\S+ 1 udp \d+ (127\.0\.0\.1) (\d+) typ host`)
	reSsrc        = regexp.MustCompile(`(?m)^a=ssrc:(\d+) `)
	reMid         = regexp.MustCompile(`(?m)^a=mid:(\S+)`)
	reOpusRtpmap  = regexp.MustCompile(`(?i)^a=rtpmap:(\d+) opus/48000`)
	reFmtp        = regexp.MustCompile(`^a=fmtp:(\d+) (.*)$`)
)

// WhatsAppOffer rewrites Pion's offer into the exact shape of a real WhatsApp user-initiated
// offer (whatsapp.md §2.1), keeping Pion's credentials, fingerprint, port and SSRC. It returns
// the offer and the mid Pion used (needed to map the answer back).
func WhatsAppOffer(pion string) (offer string, pionMid string, err error) {
	find := func(re *regexp.Regexp, what string) []string {
		m := re.FindStringSubmatch(pion)
		if m == nil && err == nil {
			err = fmt.Errorf("pion offer has no %s", what)
		}
		return m
	}
	ufrag, pwd := find(reUfrag, "ice-ufrag"), find(rePwd, "ice-pwd")
	fp, cand := find(reFingerprint, "sha-256 fingerprint"), find(reCandidate, "127.0.0.1 host candidate")
	ssrc, mid := find(reSsrc, "ssrc"), find(reMid, "mid")
	if err != nil {
		return "", "", err
	}
	port := cand[2]
	stream := RandomUUID()
	lines := []string{
		"v=0",
		fmt.Sprintf("o=- %d 2 IN IP4 127.0.0.1", time.Now().UnixMilli()),
		"s=-",
		"t=0 0",
		"a=group:BUNDLE audio",
		"a=msid-semantic: WMS " + stream,
		"a=ice-lite",
		"m=audio " + port + " UDP/TLS/RTP/SAVPF 111 126",
		"c=IN IP4 127.0.0.1",
		"a=rtcp:9 IN IP4 0.0.0.0",
		"a=candidate:" + RandomDigits(10) + " 1 udp 2122260223 127.0.0.1 " + port + " typ host generation 0 network-cost 50",
		"a=ice-ufrag:" + ufrag[1],
		"a=ice-pwd:" + pwd[1],
		"a=fingerprint:sha-256 " + strings.ToUpper(fp[1]),
		"a=setup:actpass",
		"a=mid:audio",
		"a=sendrecv",
		"a=msid:" + stream + " WhatsAppTrack1",
		"a=rtcp-mux",
		"a=rtpmap:111 opus/48000/2",
		"a=rtcp-fb:111 transport-cc",
		"a=fmtp:111 " + WhatsAppOpusFmtp,
		"a=rtpmap:126 telephone-event/8000",
		"a=maxptime:20",
		"a=ptime:20",
		"a=ssrc:" + ssrc[1] + " cname:WhatsAppAudioStream1",
	}
	return strings.Join(lines, "\r\n") + "\r\n", mid[1], nil
}

// AnswerForPion maps the mid "audio" of a business answer back to Pion's mid and gives the
// answer's Opus the offer's fmtp (Pion 3.1.56 refuses to send when they differ; the real
// WhatsApp does not care). Returns whether the fmtp was changed.
func AnswerForPion(answer, pionMid, offerFmtp string) (string, bool) {
	lines := SplitLines(answer)
	opusPT := OpusPT(answer)
	changed := false
	for i, l := range lines {
		switch {
		case opusPT != "" && strings.HasPrefix(l, "a=fmtp:"+opusPT+" "):
			want := "a=fmtp:" + opusPT + " " + offerFmtp
			if l != want {
				lines[i], changed = want, true
			}
		case l == "a=mid:audio":
			lines[i] = "a=mid:" + pionMid
		case strings.HasPrefix(l, "a=group:BUNDLE"):
			items := strings.Fields(l)
			for j := 1; j < len(items); j++ {
				if items[j] == "audio" {
					items[j] = pionMid
				}
			}
			lines[i] = strings.Join(items, " ")
		}
	}
	return strings.Join(lines, "\r\n") + "\r\n", changed
}

// OpusPT returns the payload type of the first opus/48000 rtpmap ("" if none).
func OpusPT(sdp string) string {
	for _, l := range SplitLines(sdp) {
		if m := reOpusRtpmap.FindStringSubmatch(l); m != nil {
			return m[1]
		}
	}
	return ""
}

// Fmtp returns the fmtp parameters of payload type pt ("" if none).
func Fmtp(sdp, pt string) string {
	for _, l := range SplitLines(sdp) {
		if m := reFmtp.FindStringSubmatch(l); m != nil && m[1] == pt {
			return m[2]
		}
	}
	return ""
}

// HasAttr reports whether some line equals or starts with prefix.
func HasAttr(sdp, prefix string) bool {
	for _, l := range SplitLines(sdp) {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// Sign returns the X-Hub-Signature-256 header value for body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature checks an X-Hub-Signature-256 header in constant time.
func VerifySignature(secret string, body []byte, header string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(header))
}

// RandomToken returns n random bytes in URL-safe base64 without padding.
func RandomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// RandomWACallID returns an id shaped like Meta's: "wacid." + standard base64 (may hold = + /).
func RandomWACallID() string {
	b := make([]byte, 30)
	_, _ = rand.Read(b)
	return "wacid." + base64.StdEncoding.EncodeToString(b)
}

// RandomDigits returns n random decimal digits.
func RandomDigits(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	if b[0] == '0' {
		b[0] = '1'
	}
	return string(b)
}

// RandomUUID returns a random version-4 UUID string.
func RandomUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

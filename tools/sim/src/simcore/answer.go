package simcore

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

var (
	reTelephoneEvent = regexp.MustCompile(`(?mi)^a=rtpmap:(\d+) telephone-event/8000`)
	reSetup          = regexp.MustCompile(`(?m)^a=setup:(\S+)`)
)

// TelephoneEventPT returns the payload type of telephone-event/8000 ("" if none).
func TelephoneEventPT(sdp string) string {
	if m := reTelephoneEvent.FindStringSubmatch(strings.ReplaceAll(sdp, "\r\n", "\n")); m != nil {
		return m[1]
	}
	return ""
}

// ValidateBusinessOffer applies Meta's checks to the offer of a business-initiated `connect`;
// returns a reason or "". Meta's callee is ice-lite and DTLS client, so the offer must come from
// a full ICE agent offering actpass.
func ValidateBusinessOffer(sdp string) string {
	low := strings.ToLower(strings.ReplaceAll(sdp, "\r\n", "\n"))
	switch {
	case !strings.HasPrefix(strings.TrimSpace(sdp), "v=0"):
		return "SDP Validation error - Provided SDP is invalid"
	case !strings.Contains(low, "\nm=audio "):
		return "SDP Validation error - no audio section"
	case !strings.Contains(low, "a=fingerprint:sha-256 "):
		return "No fingerprint found in SDP"
	case strings.Contains(low, "a=ice-lite"):
		return "SDP Validation error - the offer must come from a full ICE agent (no a=ice-lite)"
	case !strings.Contains(low, "a=setup:actpass"):
		return "SDP Validation error - a=setup:actpass expected in the offer"
	case !strings.Contains(low, "a=ice-ufrag:") || !strings.Contains(low, "a=ice-pwd:"):
		return "SDP Validation error - missing ICE credentials"
	case !strings.Contains(low, "a=candidate:"):
		return "SDP Validation error - no candidates"
	case OpusPT(sdp) == "":
		return "SDP Validation error - no Opus codec"
	}
	return ""
}

// WhatsAppAnswer rewrites Pion's answer to a business offer into the shape of Meta's callee
// answer (whatsapp.md §2.3, in the line style of §2.1): session-level ice-lite, candidate before
// ufrag/pwd, uppercase fingerprint, a=setup:active, the offer's mid and payload types, one ssrc
// line. Pion's credentials, fingerprint, port and SSRC are kept.
func WhatsAppAnswer(pion, offer string) (string, error) {
	var err error
	find := func(re *regexp.Regexp, src, what string) []string {
		m := re.FindStringSubmatch(src)
		if m == nil && err == nil {
			err = fmt.Errorf("no %s", what)
		}
		return m
	}
	ufrag, pwd := find(reUfrag, pion, "ice-ufrag"), find(rePwd, pion, "ice-pwd")
	fp, cand := find(reFingerprint, pion, "sha-256 fingerprint"), find(reCandidate, pion, "127.0.0.1 host candidate")
	ssrc, setup := find(reSsrc, pion, "ssrc"), find(reSetup, pion, "setup")
	mid := find(reMid, offer, "mid in the offer")
	if err != nil {
		return "", err
	}
	if setup[1] != "active" {
		return "", fmt.Errorf("pion answered a=setup:%s, want active", setup[1])
	}
	opus, te := OpusPT(offer), TelephoneEventPT(offer)
	formats := opus
	if te != "" {
		formats += " " + te
	}
	port, stream := cand[2], RandomUUID()
	lines := []string{
		"v=0",
		fmt.Sprintf("o=- %d 2 IN IP4 127.0.0.1", time.Now().UnixMilli()),
		"s=-",
		"t=0 0",
		"a=group:BUNDLE " + mid[1],
		"a=msid-semantic: WMS " + stream,
		"a=ice-lite",
		"m=audio " + port + " UDP/TLS/RTP/SAVPF " + formats,
		"c=IN IP4 127.0.0.1",
		"a=rtcp:9 IN IP4 0.0.0.0",
		"a=candidate:" + RandomDigits(10) + " 1 udp 2122260223 127.0.0.1 " + port + " typ host generation 0 network-cost 50",
		"a=ice-ufrag:" + ufrag[1],
		"a=ice-pwd:" + pwd[1],
		"a=fingerprint:sha-256 " + strings.ToUpper(fp[1]),
		"a=setup:active",
		"a=mid:" + mid[1],
		"a=sendrecv",
		"a=msid:" + stream + " WhatsAppTrack1",
		"a=rtcp-mux",
		"a=rtpmap:" + opus + " opus/48000/2",
		"a=fmtp:" + opus + " minptime=10;useinbandfec=1",
	}
	if te != "" {
		lines = append(lines, "a=rtpmap:"+te+" telephone-event/8000")
	}
	lines = append(lines, "a=ssrc:"+ssrc[1]+" cname:WhatsAppAudioStream1")
	return strings.Join(lines, "\r\n") + "\r\n", nil
}

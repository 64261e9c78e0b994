package main

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// pionMid is the mid Pion gave the audio section; the WhatsApp-shaped offer calls it "audio".
var pionMid = "0"

var (
	reUfrag       = regexp.MustCompile(`(?m)^a=ice-ufrag:(\S+)`)
	rePwd         = regexp.MustCompile(`(?m)^a=ice-pwd:(\S+)`)
	reFingerprint = regexp.MustCompile(`(?m)^a=fingerprint:sha-256 (\S+)`)
	reCandidate   = regexp.MustCompile(`(?m)^a=candidate:\S+ 1 udp \d+ (127\.0\.0\.1) (\d+) typ host`)
	reSsrc        = regexp.MustCompile(`(?m)^a=ssrc:(\d+) `)
	reMid         = regexp.MustCompile(`(?m)^a=mid:(\S+)`)
)

// whatsappOffer rewrites Pion's offer into the shape of a real WhatsApp user-initiated offer
// (whatsapp.md §2.1): same line order and attributes, Pion's credentials, fingerprint, port and
// SSRC. Pion itself keeps its own local description; only the text sent out changes.
func whatsappOffer(pion string, opusPT, dtmfPT int) (string, error) {
	opus, dtmf := fmt.Sprint(opusPT), fmt.Sprint(dtmfPT)
	find := func(re *regexp.Regexp, what string) ([]string, error) {
		m := re.FindStringSubmatch(pion)
		if m == nil {
			return nil, fmt.Errorf("pion offer has no %s", what)
		}
		return m, nil
	}
	ufrag, err := find(reUfrag, "ice-ufrag")
	if err != nil {
		return "", err
	}
	pwd, err := find(rePwd, "ice-pwd")
	if err != nil {
		return "", err
	}
	fp, err := find(reFingerprint, "sha-256 fingerprint")
	if err != nil {
		return "", err
	}
	cand, err := find(reCandidate, "127.0.0.1 host candidate")
	if err != nil {
		return "", err
	}
	ssrc, err := find(reSsrc, "ssrc")
	if err != nil {
		return "", err
	}
	mid, err := find(reMid, "mid")
	if err != nil {
		return "", err
	}
	pionMid = mid[1]
	port := cand[2]
	stream := "5f3c2a8e-1b7d-4c9a-9e21-6d0f4b8a7c13"
	lines := []string{
		"v=0",
		fmt.Sprintf("o=- %d 2 IN IP4 127.0.0.1", time.Now().UnixMilli()),
		"s=-",
		"t=0 0",
		"a=group:BUNDLE audio",
		"a=msid-semantic: WMS " + stream,
		"a=ice-lite",
		"m=audio " + port + " UDP/TLS/RTP/SAVPF " + opus + " " + dtmf,
		"c=IN IP4 127.0.0.1",
		"a=rtcp:9 IN IP4 0.0.0.0",
		"a=candidate:1 1 udp 2122260223 127.0.0.1 " + port + " typ host generation 0 network-cost 50",
		"a=ice-ufrag:" + ufrag[1],
		"a=ice-pwd:" + pwd[1],
		"a=fingerprint:sha-256 " + fp[1],
		"a=setup:actpass",
		"a=mid:audio",
		"a=sendrecv",
		"a=msid:" + stream + " WhatsAppTrack1",
		"a=rtcp-mux",
		"a=rtpmap:" + opus + " opus/48000/2",
		"a=rtcp-fb:" + opus + " transport-cc",
		"a=fmtp:" + opus + " " + whatsappOpusFmtp,
		"a=rtpmap:" + dtmf + " telephone-event/8000",
		"a=maxptime:20",
		"a=ptime:20",
		"a=ssrc:" + ssrc[1] + " cname:WhatsAppAudioStream1",
	}
	return strings.Join(lines, "\r\n") + "\r\n", nil
}

var reOpusRtpmap = regexp.MustCompile(`(?i)^a=rtpmap:(\d+) opus/48000`)

// answerForPion maps the mid "audio" of an answer to our WhatsApp-shaped offer back to the mid
// Pion generated, so Pion can match the section to its transceiver. It also gives the answer's
// Opus the offer's fmtp: this Pion version refuses to send when the fmtp differs ("codec is not
// supported by remote"), which the real WhatsApp does not. Returns whether fmtp was changed.
func answerForPion(answer string) (string, bool) {
	lines := strings.Split(strings.ReplaceAll(answer, "\r\n", "\n"), "\n")
	opusPT := ""
	for _, l := range lines {
		if m := reOpusRtpmap.FindStringSubmatch(l); m != nil {
			opusPT = m[1]
		}
	}
	fmtpChanged := false
	for i, l := range lines {
		switch {
		case opusPT != "" && strings.HasPrefix(l, "a=fmtp:"+opusPT+" "):
			want := "a=fmtp:" + opusPT + " " + whatsappOpusFmtp
			if l != want {
				lines[i] = want
				fmtpChanged = true
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
	return strings.Join(lines, "\r\n"), fmtpChanged
}

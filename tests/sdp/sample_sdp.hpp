#pragma once
// Realistic SDPs of the peers wabridge meets, built from the captures and docs summarised in the
// specs (values are plausible stand-ins with the captured structure, line order and quirks).
// Written with LF here; `crlf()` gives the on-the-wire form.
#include <string>
#include <string_view>

namespace wab::sdp::samples {

inline std::string crlf(std::string_view lf) {
  std::string out;
  for (char c : lf) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

// WhatsApp user-initiated offer, current format (whatsapp.md §2.1): ice-lite, BUNDLE "audio",
// candidates before credentials, IPv4 + IPv6 host candidates, no end-of-candidates, no extmap.
inline constexpr std::string_view kWhatsAppOffer = R"(v=0
o=- 1760702640123 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE audio
a=msid-semantic: WMS 3f1c6a2e-7b8d-4e1f-9a0c-5d2b8e7f6a14
a=ice-lite
m=audio 3484 UDP/TLS/RTP/SAVPF 111 126
c=IN IP4 57.144.215.49
a=rtcp:9 IN IP4 0.0.0.0
a=candidate:2960263522 1 udp 2122260223 57.144.215.49 3484 typ host generation 0 network-cost 50
a=candidate:1834097413 1 udp 2122262783 2a03:2880:f23d:1c2:face:b00c:0:699c 3484 typ host generation 0 network-cost 50
a=ice-ufrag:Kq8Zr2XvN4bT7wLm
a=ice-pwd:Yk3vQ9mW2xR7tL5pN8sJ1a==
a=fingerprint:sha-256 A5:4D:CA:18:25:30:BB:1D:6D:13:2C:DE:D6:23:7B:2E:D9:1E:3F:72:1F:CB:19:71:17:44:94:D6:49:3C:9D:5C
a=setup:actpass
a=mid:audio
a=sendrecv
a=msid:3f1c6a2e-7b8d-4e1f-9a0c-5d2b8e7f6a14 WhatsAppTrack1
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 maxaveragebitrate=20000;maxplaybackrate=16000;minptime=20;sprop-maxcapturerate=16000;useinbandfec=1
a=rtpmap:126 telephone-event/8000
a=maxptime:20
a=ptime:20
a=ssrc:1583913426 cname:WhatsAppAudioStream1
)";

// WhatsApp offer, older format (whatsapp.md §2.2): "/" in the ufrag, `ufrag` candidate extension,
// extmaps, four ssrc lines, no ptime.
inline constexpr std::string_view kWhatsAppOlderOffer = R"(v=0
o=- 7669997803033704573 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE audio
a=msid-semantic: WMS 3c7d3ba5-2f4c-4bd4-8c5e-3a2a6bbf1c20
a=ice-lite
m=audio 40012 UDP/TLS/RTP/SAVPF 111 126
c=IN IP4 31.13.65.60
a=rtcp:9 IN IP4 0.0.0.0
a=candidate:3243228335 1 udp 2113937151 31.13.65.60 40012 typ host generation 0 ufrag 6k2qP1R6kBfI/2 network-cost 50
a=candidate:3243228336 1 udp 2113939711 2a03:2880:f20c:c1:face:b00c:0:167 40012 typ host generation 0 ufrag 6k2qP1R6kBfI/2 network-cost 50
a=ice-ufrag:6k2qP1R6kBfI/2
a=ice-pwd:Vw1p3CjbLdvKz8gFqS0tAeNrXyH5oU7m
a=fingerprint:sha-256 34:60:BE:31:20:1E:69:FE:DA:A0:EE:E8:B9:99:7F:5C:7C:29:99:FD:AF:E5:93:25:3C:D6:54:AF:4D:FA:D7:14
a=setup:actpass
a=mid:audio
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=sendrecv
a=msid:3c7d3ba5-2f4c-4bd4-8c5e-3a2a6bbf1c20 audio#1709654321
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:126 telephone-event/8000
a=ssrc:1898392101 cname:WhatsAppAudioStream1
a=ssrc:1898392101 msid:3c7d3ba5-2f4c-4bd4-8c5e-3a2a6bbf1c20 audio#1709654321
a=ssrc:1898392101 mslabel:3c7d3ba5-2f4c-4bd4-8c5e-3a2a6bbf1c20
a=ssrc:1898392101 label:audio#1709654321
)";

// Meta's answer to a business-initiated call (whatsapp.md §2.3): ice-lite, setup:active, many
// codecs, two telephone-event clocks.
inline constexpr std::string_view kMetaBusinessAnswer = R"(v=0
o=- 1761234567890 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0
a=extmap-allow-mixed
a=msid-semantic: WMS 8e2b4c61-0f3a-4d5e-b6c7-d8e9f0a1b2c3
a=ice-lite
m=audio 3482 UDP/TLS/RTP/SAVPF 111 9 0 8 110 126
c=IN IP4 31.13.65.130
a=rtcp:9 IN IP4 0.0.0.0
a=candidate:1131371414 1 udp 2113937151 31.13.65.130 3482 typ host generation 0 ufrag pQ7rS2tU network-cost 50
a=candidate:1131371415 1 udp 2113939711 2a03:2880:f216:c5:face:b00c:0:6ac 3482 typ host generation 0 ufrag pQ7rS2tU network-cost 50
a=ice-ufrag:pQ7rS2tU
a=ice-pwd:m3N8bV5cX1zL9kJ4hG7fD2sA6q
a=ice-options:trickle
a=fingerprint:sha-256 27:A0:AE:B3:FE:E9:23:2F:8A:F2:21:1F:9E:E4:91:C5:B1:0B:EC:B5:56:3B:FC:1E:6F:93:42:7E:CB:C8:FE:29
a=setup:active
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=sendrecv
a=msid:8e2b4c61-0f3a-4d5e-b6c7-d8e9f0a1b2c3 WhatsAppTrack1
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
a=ssrc:2215664012 cname:WhatsAppAudioStream1
)";

// OpenAI Realtime GA answer (openai.md §2.1): Pion-style, ice-lite, session-level fingerprint,
// UDP 3478 + TCP passive 443 host candidates, data channel with sctp-port.
inline constexpr std::string_view kOpenAiAnswer = R"(v=0
o=- 6243589870138429837 1763991234 IN IP4 0.0.0.0
s=-
t=0 0
a=msid-semantic:WMS *
a=fingerprint:sha-256 55:E5:CD:8E:46:DC:8E:D4:B7:C2:76:4D:2A:5A:4D:76:77:06:F8:5D:86:90:02:4A:D6:BD:A3:40:1B:E9:C8:CB
a=ice-lite
a=extmap-allow-mixed
a=group:BUNDLE 0 1
m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8
c=IN IP4 0.0.0.0
a=setup:active
a=mid:0
a=ice-ufrag:rlyAbCdEfGhIjKlM0011aBcD
a=ice-pwd:hJkLmNoPqRsTuVwXyZaBcDeFgHiJkLmN
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:111 opus/48000/2
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=ssrc:3482112907 cname:realtime-transceiver
a=ssrc:3482112907 msid:realtime-transceiver audio
a=msid:realtime-transceiver audio
a=sendrecv
a=candidate:1652297163 1 udp 2130706431 172.203.40.12 3478 typ host
a=candidate:1652297163 1 tcp 1671430143 172.203.40.12 443 typ host tcptype passive
a=end-of-candidates
m=application 9 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
a=setup:active
a=mid:1
a=sendrecv
a=sctp-port:5000
a=ice-ufrag:rlyAbCdEfGhIjKlM0011aBcD
a=ice-pwd:hJkLmNoPqRsTuVwXyZaBcDeFgHiJkLmN
)";

// aiortc 1.4 offer (environment.md §2a): per-m-section ufrag/pwd and port, legacy DTLS/SCTP +
// sctpmap, upper-case "SHA-256", Opus on PT 96, credentials after candidates.
inline constexpr std::string_view kAiortcOffer = R"(v=0
o=- 3918171234 3918171234 IN IP4 0.0.0.0
s=-
t=0 0
a=group:BUNDLE 0 1
a=msid-semantic:WMS *
m=audio 51764 UDP/TLS/RTP/SAVPF 96 0 8
c=IN IP4 192.0.2.2
a=sendrecv
a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid
a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=mid:0
a=msid:4d7f2c1e-8a9b-4c3d-9e0f-1a2b3c4d5e6f 5e8a1b2c-3d4e-4f5a-8b6c-7d8e9f0a1b2c
a=rtcp:9 IN IP4 0.0.0.0
a=rtcp-mux
a=ssrc:2934587126 cname:9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d
a=rtpmap:96 opus/48000/2
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=candidate:8a4c7e1f0b2d3c5e6f7a8b9c0d1e2f3a 1 udp 2130706431 192.0.2.2 51764 typ host
a=candidate:1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e 1 udp 2130706431 fd00::2 46321 typ host
a=end-of-candidates
a=ice-ufrag:Xy3a
a=ice-pwd:Qk9LmN2pR5sT8vW1xZ4bC7
a=fingerprint:SHA-256 A5:4D:CA:18:25:30:BB:1D:6D:13:2C:DE:D6:23:7B:2E:D9:1E:3F:72:1F:CB:19:71:17:44:94:D6:49:3C:9D:5C
a=setup:actpass
m=application 41234 DTLS/SCTP 5000
c=IN IP4 192.0.2.2
a=mid:1
a=sctpmap:5000 webrtc-datachannel 65535
a=max-message-size:65536
a=candidate:9f8e7d6c5b4a39281706f5e4d3c2b1a0 1 udp 2130706431 192.0.2.2 41234 typ host
a=end-of-candidates
a=ice-ufrag:Pq7z
a=ice-pwd:Lm3nO6pQ9rS2tU5vW8xY1z
a=fingerprint:SHA-256 A5:4D:CA:18:25:30:BB:1D:6D:13:2C:DE:D6:23:7B:2E:D9:1E:3F:72:1F:CB:19:71:17:44:94:D6:49:3C:9D:5C
a=setup:actpass
)";

// Chromium offer with a track and a data channel (environment.md §2b): extmaps, many codecs with
// opus 111, red 63, telephone-event 110/126, mDNS candidates, "msid-semantic: WMS", trickle.
inline constexpr std::string_view kChromiumOffer = R"(v=0
o=- 4215775240449105457 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1
a=extmap-allow-mixed
a=msid-semantic: WMS
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=candidate:1467250027 1 udp 2122260223 5b1e3f9a-7c2d-4e8b-a1f6-0d9c8b7a6e5f.local 54400 typ host generation 0 network-cost 999
a=candidate:1853887674 1 tcp 1518280447 5b1e3f9a-7c2d-4e8b-a1f6-0d9c8b7a6e5f.local 9 typ host tcptype active generation 0 network-cost 999
a=ice-ufrag:Ab1c
a=ice-pwd:Zr8tYq2wXv5uTs7rQp4oNm6l
a=ice-options:trickle
a=fingerprint:sha-256 34:60:BE:31:20:1E:69:FE:DA:A0:EE:E8:B9:99:7F:5C:7C:29:99:FD:AF:E5:93:25:3C:D6:54:AF:4D:FA:D7:14
a=setup:actpass
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=sendrecv
a=msid:- 2f3e4d5c-6b7a-4988-b7a6-c5d4e3f2a1b0
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
a=ssrc:3735928559 cname:Kx7pQ2rS9tU4vW1y
a=ssrc:3735928559 msid:- 2f3e4d5c-6b7a-4988-b7a6-c5d4e3f2a1b0
m=application 9 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
a=candidate:1467250027 1 udp 2122260223 5b1e3f9a-7c2d-4e8b-a1f6-0d9c8b7a6e5f.local 54400 typ host generation 0 network-cost 999
a=ice-ufrag:Ab1c
a=ice-pwd:Zr8tYq2wXv5uTs7rQp4oNm6l
a=ice-options:trickle
a=fingerprint:sha-256 34:60:BE:31:20:1E:69:FE:DA:A0:EE:E8:B9:99:7F:5C:7C:29:99:FD:AF:E5:93:25:3C:D6:54:AF:4D:FA:D7:14
a=setup:actpass
a=mid:1
a=sctp-port:5000
a=max-message-size:262144
)";

} // namespace wab::sdp::samples

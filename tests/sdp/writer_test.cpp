#include "sdp/writer.hpp"

#include "sdp/parser.hpp"
#include "sdp/sample_sdp.hpp"

#include <gtest/gtest.h>

#include <string>

namespace wab::sdp {
namespace {

TEST(SdpWriter, RoundTripsEverySample) {
  for (std::string_view sample :
       {samples::kWhatsAppOffer, samples::kWhatsAppOlderOffer, samples::kMetaBusinessAnswer,
        samples::kOpenAiAnswer, samples::kAiortcOffer, samples::kChromiumOffer}) {
    const SessionDescription parsed = parse(samples::crlf(sample));
    const std::string written = write(parsed);
    EXPECT_EQ(parse(written), parsed) << written;
    EXPECT_EQ(write(parse(written)), written);
    EXPECT_EQ(written.find('\n'), written.find("\r\n") + 1);
    EXPECT_TRUE(written.ends_with("\r\n"));
  }
}

TEST(SdpWriter, WritesLinesInTheDocumentedOrder) {
  SessionDescription sd;
  sd.origin.session_id = "42";
  sd.origin.session_version = "2";
  sd.bundle_mids = {"a0"};
  sd.msid_semantic = "WMS s";
  sd.other_lines = {{'b', "AS:30"}, {'k', "prompt"}};
  sd.other_attributes = {{"x-sess", std::nullopt}};
  MediaSection m;
  m.kind = MediaKind::audio;
  m.media = "audio";
  m.port = 9;
  m.proto = "UDP/TLS/RTP/SAVPF";
  m.formats = {"111", "126"};
  m.connection = "IN IP4 0.0.0.0";
  m.rtcp = "9 IN IP4 0.0.0.0";
  m.ice_ufrag = "uf";
  m.ice_pwd = "pw";
  m.ice_options = {"trickle", "renomination"};
  m.fingerprints = {{"sha-256", "AB:CD"}};
  m.setup = SetupRole::active;
  m.mid = "a0";
  m.extmaps = {{1, "sendonly", "urn:x", "attr"}};
  m.direction = Direction::sendrecv;
  m.msid = "s t";
  m.rtcp_mux = true;
  m.rtcp_rsize = true;
  m.codecs = {{111, "opus", 48000, 2, "minptime=10", {"transport-cc", "nack"}},
              {126, "telephone-event", 8000, 0, "0-15", {}}};
  m.ptime = 20;
  m.maxptime = 60;
  m.ssrcs = {{7, "cname", "c"}};
  m.candidates = {"1 1 udp 2130706431 192.0.2.1 4000 typ host"};
  m.end_of_candidates = true;
  m.other_attributes = {{"x-media", "v"}};
  m.other_lines = {{'i', "info"}, {'b', "TIAS:1"}};
  sd.media.push_back(m);
  MediaSection d;
  d.kind = MediaKind::application;
  d.media = "application";
  d.proto = "DTLS/SCTP";
  d.formats = {"5000"};
  d.sctpmap = SctpMap{5000, "webrtc-datachannel", 1024};
  d.max_message_size = 262144;
  sd.media.push_back(d);

  EXPECT_EQ(write(sd), "v=0\r\n"
                       "o=- 42 2 IN IP4 127.0.0.1\r\n"
                       "s=-\r\n"
                       "b=AS:30\r\n"
                       "t=0 0\r\n"
                       "k=prompt\r\n"
                       "a=group:BUNDLE a0\r\n"
                       "a=msid-semantic: WMS s\r\n"
                       "a=x-sess\r\n"
                       "m=audio 9 UDP/TLS/RTP/SAVPF 111 126\r\n"
                       "i=info\r\n"
                       "c=IN IP4 0.0.0.0\r\n"
                       "b=TIAS:1\r\n"
                       "a=rtcp:9 IN IP4 0.0.0.0\r\n"
                       "a=ice-ufrag:uf\r\n"
                       "a=ice-pwd:pw\r\n"
                       "a=ice-options:trickle renomination\r\n"
                       "a=fingerprint:sha-256 AB:CD\r\n"
                       "a=setup:active\r\n"
                       "a=mid:a0\r\n"
                       "a=extmap:1/sendonly urn:x attr\r\n"
                       "a=sendrecv\r\n"
                       "a=msid:s t\r\n"
                       "a=rtcp-mux\r\n"
                       "a=rtcp-rsize\r\n"
                       "a=rtpmap:111 opus/48000/2\r\n"
                       "a=rtcp-fb:111 transport-cc\r\n"
                       "a=rtcp-fb:111 nack\r\n"
                       "a=fmtp:111 minptime=10\r\n"
                       "a=rtpmap:126 telephone-event/8000\r\n"
                       "a=fmtp:126 0-15\r\n"
                       "a=ptime:20\r\n"
                       "a=maxptime:60\r\n"
                       "a=ssrc:7 cname:c\r\n"
                       "a=candidate:1 1 udp 2130706431 192.0.2.1 4000 typ host\r\n"
                       "a=end-of-candidates\r\n"
                       "a=x-media:v\r\n"
                       "m=application 9 DTLS/SCTP 5000\r\n"
                       "a=sctpmap:5000 webrtc-datachannel 1024\r\n"
                       "a=max-message-size:262144\r\n");
  EXPECT_EQ(parse(write(sd)), sd);
}

} // namespace
} // namespace wab::sdp

#include "sdp/offer_answer.hpp"

#include "sdp/parser.hpp"
#include "sdp/sample_sdp.hpp"
#include "sdp/writer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace wab::sdp {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kOurFingerprint[] =
    "sha-256 0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:"
    "C6:D7:E8:F9";

LocalParameters local() {
  LocalParameters p;
  p.ice_ufrag = "wAb1";
  p.ice_pwd = "0123456789abcdefghijklmn";
  p.fingerprint = kOurFingerprint;
  p.candidates = {"1 1 udp 2130706431 203.0.113.7 40002 typ host",
                  "a=candidate:2 1 udp 2130706175 2001:db8::7 40002 typ host"};
  p.audio_ssrc = 305419896;
  p.cname = "wabridge";
  p.msid_stream = "wab-stream";
  p.msid_track = "wab-audio";
  p.session_id = 1234567890123;
  return p;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(line);
  }
  return out;
}

// Lines of the m-section that starts with `mline_prefix`.
std::vector<std::string> section_lines(const std::string& text, const std::string& mline_prefix) {
  std::vector<std::string> out;
  bool in = false;
  for (const std::string& l : lines_of(text)) {
    if (l.starts_with("m=")) in = l.starts_with(mline_prefix);
    if (in) out.push_back(l);
  }
  return out;
}

TEST(WhatsAppAnswer, CurrentOfferGetsTheExactAnswerMetaExpects) {
  const SessionDescription offer = parse(samples::crlf(samples::kWhatsAppOffer));
  const std::string answer = write(answer_whatsapp_offer(offer, local()));
  EXPECT_EQ(answer,
            "v=0\r\n"
            "o=- 1234567890123 2 IN IP4 127.0.0.1\r\n"
            "s=-\r\n"
            "t=0 0\r\n"
            "a=group:BUNDLE audio\r\n"
            "a=msid-semantic: WMS wab-stream\r\n"
            "m=audio 9 UDP/TLS/RTP/SAVPF 111 126\r\n"
            "c=IN IP4 0.0.0.0\r\n"
            "a=rtcp:9 IN IP4 0.0.0.0\r\n"
            "a=ice-ufrag:wAb1\r\n"
            "a=ice-pwd:0123456789abcdefghijklmn\r\n"
            "a=fingerprint:sha-256 0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:"
            "4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9\r\n"
            "a=setup:active\r\n"
            "a=mid:audio\r\n"
            "a=sendrecv\r\n"
            "a=msid:wab-stream wab-audio\r\n"
            "a=rtcp-mux\r\n"
            "a=rtpmap:111 opus/48000/2\r\n"
            "a=fmtp:111 maxaveragebitrate=20000;maxplaybackrate=16000;minptime=20;"
            "sprop-maxcapturerate=16000;useinbandfec=1\r\n"
            "a=rtpmap:126 telephone-event/8000\r\n"
            "a=ptime:20\r\n"
            "a=maxptime:20\r\n"
            "a=ssrc:305419896 cname:wabridge\r\n"
            "a=candidate:1 1 udp 2130706431 203.0.113.7 40002 typ host\r\n"
            "a=candidate:2 1 udp 2130706175 2001:db8::7 40002 typ host\r\n"
            "a=end-of-candidates\r\n");
  // What Meta checks, stated separately so a reordering of the writer names the real problem.
  const auto lines = lines_of(answer);
  EXPECT_THAT(lines, Not(Contains("a=ice-lite")));
  EXPECT_THAT(lines, Not(Contains(HasSubstr("a=extmap"))));
  EXPECT_THAT(lines, Not(Contains("a=recvonly")));
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                          [](const std::string& l) { return l.starts_with("a=fingerprint:"); }),
            1);
}

TEST(WhatsAppAnswer, OlderOfferEchoesItsFmtpAndDropsExtensions) {
  const SessionDescription offer = parse(samples::crlf(samples::kWhatsAppOlderOffer));
  const SessionDescription answer = answer_whatsapp_offer(offer, local());
  const auto lines = lines_of(write(answer));
  EXPECT_THAT(lines, Contains("a=fmtp:111 minptime=10;useinbandfec=1"));
  EXPECT_THAT(lines, Contains("a=rtpmap:126 telephone-event/8000"));
  EXPECT_THAT(lines, Contains("a=mid:audio"));
  EXPECT_THAT(lines, Contains("a=group:BUNDLE audio"));
  EXPECT_THAT(lines, Not(Contains(HasSubstr("a=extmap"))));
  EXPECT_THAT(lines, Not(Contains(HasSubstr("a=ptime"))));
  EXPECT_THAT(lines, Not(Contains(HasSubstr("transport-cc"))));
  EXPECT_EQ(answer.media.at(0).ssrcs.size(), 1u);
}

TEST(WhatsAppAnswer, ReadsSipStylePayloadTypes) {
  std::string text(samples::kWhatsAppOffer);
  for (auto [from, to] : {std::pair<std::string, std::string>{"111", "107"}, {"126", "101"}}) {
    for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + 1)) {
      text.replace(pos, from.size(), to);
    }
  }
  const SessionDescription offer = parse(text);
  const SessionDescription answer = answer_whatsapp_offer(offer, local());
  const std::string written = write(answer);
  EXPECT_THAT(written, HasSubstr("m=audio 9 UDP/TLS/RTP/SAVPF 107 101\r\n"));
  EXPECT_THAT(written, HasSubstr("a=rtpmap:107 opus/48000/2\r\n"));
  EXPECT_THAT(written, HasSubstr("a=fmtp:107 maxaveragebitrate=20000;"));
  EXPECT_THAT(written, HasSubstr("a=rtpmap:101 telephone-event/8000\r\n"));
  EXPECT_EQ(negotiated_opus(answer)->payload_type, 107);
  EXPECT_EQ(telephone_event_pt(answer), 101);
}

TEST(WhatsAppAnswer, AlwaysSendrecvAndOnly8kTelephoneEvent) {
  SessionDescription offer = parse(samples::crlf(samples::kWhatsAppOffer));
  offer.media[0].direction = Direction::sendonly;
  offer.media[0].codecs[1].clock_rate = 48000; // telephone-event/48000: WhatsApp can't use it
  const SessionDescription answer = answer_whatsapp_offer(offer, local());
  EXPECT_EQ(answer.media[0].direction, Direction::sendrecv);
  EXPECT_EQ(answer.media[0].formats, std::vector<std::string>{"111"});
  EXPECT_EQ(answer.media[0].codecs.size(), 1u);
}

TEST(WhatsAppAnswer, RejectsExtraSectionsAndKeepsLineCount) {
  std::string text = samples::crlf(samples::kWhatsAppOffer);
  text.replace(text.find("a=group:BUNDLE audio"), 20, "a=group:BUNDLE audio v");
  text += "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:v\r\na=rtpmap:96 VP8/90000\r\n";
  const SessionDescription answer = answer_whatsapp_offer(parse(text), local());
  ASSERT_EQ(answer.media.size(), 2u);
  EXPECT_EQ(answer.media[1].port, 0);
  EXPECT_EQ(answer.media[1].mid, "v");
  EXPECT_TRUE(answer.media[1].candidates.empty());
  EXPECT_EQ(answer.bundle_mids, std::vector<std::string>{"audio"});
}

struct OfferDefect {
  const char* name;
  void (*mutate)(SessionDescription&);
  const char* message_part;
};

class WhatsAppAnswerErrors : public ::testing::TestWithParam<OfferDefect> {};

TEST_P(WhatsAppAnswerErrors, RefusesOfferMissingEssentials) {
  SessionDescription offer = parse(samples::crlf(samples::kWhatsAppOffer));
  GetParam().mutate(offer);
  try {
    answer_whatsapp_offer(offer, local());
    FAIL() << GetParam().name;
  } catch (const SdpError& e) {
    EXPECT_THAT(e.what(), HasSubstr(GetParam().message_part));
  }
  EXPECT_THROW(answer_generic_offer(offer, local()), SdpError);
}

INSTANTIATE_TEST_SUITE_P(
    Defects, WhatsAppAnswerErrors,
    ::testing::Values(
        OfferDefect{"no audio", [](SessionDescription& o) { o.media.clear(); }, "no audio"},
        OfferDefect{"audio rejected", [](SessionDescription& o) { o.media[0].port = 0; },
                    "no audio"},
        OfferDefect{"no opus", [](SessionDescription& o) { o.media[0].codecs[0].name = "PCMU"; },
                    "no opus"},
        OfferDefect{"opus not on m= line",
                    [](SessionDescription& o) { o.media[0].formats = {"126"}; }, "no opus"},
        OfferDefect{"no fingerprint",
                    [](SessionDescription& o) { o.media[0].fingerprints.clear(); },
                    "no a=fingerprint"},
        OfferDefect{"no ufrag", [](SessionDescription& o) { o.media[0].ice_ufrag.clear(); },
                    "no ICE credentials"},
        OfferDefect{"holdconn",
                    [](SessionDescription& o) { o.media[0].setup = SetupRole::holdconn; },
                    "holdconn"}),
    [](const auto& info) {
      std::string n = info.param.name;
      for (char& c : n) {
        if (c == ' ' || c == '=') c = '_';
      }
      return n;
    });

TEST(LocalParametersCheck, RefusesValuesThatWouldBreakTheSdp) {
  const SessionDescription offer = parse(samples::crlf(samples::kWhatsAppOffer));
  LocalParameters p = local();
  p.fingerprint = "sha-1 AB:CD";
  EXPECT_THROW(answer_whatsapp_offer(offer, p), SdpError);
  p = local();
  p.ice_pwd = "";
  EXPECT_THROW(answer_whatsapp_offer(offer, p), SdpError);
  p = local();
  p.candidates.push_back("1 1 udp 1 192.0.2.1 9 typ host\r\na=ice-lite");
  EXPECT_THROW(answer_whatsapp_offer(offer, p), SdpError);
  p = local();
  p.candidates = {"1 1 udp 1 192.0.2.1 9 typ host\\na=ice-lite"}; // a JSON-style escape
  EXPECT_THROW(answer_whatsapp_offer(offer, p), SdpError);
  p = local();
  p.candidates.clear();
  EXPECT_THROW(answer_generic_offer(offer, p), SdpError);
  p = local();
  p.cname = "two words";
  EXPECT_THROW(offer_for_openai(p), SdpError);
}

TEST(OpenAiOffer, ContainsTheChecklist) {
  const std::string offer = write(offer_for_openai(local()));
  EXPECT_EQ(offer,
            "v=0\r\n"
            "o=- 1234567890123 2 IN IP4 127.0.0.1\r\n"
            "s=-\r\n"
            "t=0 0\r\n"
            "a=group:BUNDLE 0 1\r\n"
            "a=msid-semantic: WMS wab-stream\r\n"
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
            "c=IN IP4 0.0.0.0\r\n"
            "a=rtcp:9 IN IP4 0.0.0.0\r\n"
            "a=ice-ufrag:wAb1\r\n"
            "a=ice-pwd:0123456789abcdefghijklmn\r\n"
            "a=ice-options:trickle\r\n"
            "a=fingerprint:sha-256 0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:"
            "4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9\r\n"
            "a=setup:actpass\r\n"
            "a=mid:0\r\n"
            "a=sendrecv\r\n"
            "a=msid:wab-stream wab-audio\r\n"
            "a=rtcp-mux\r\n"
            "a=rtpmap:111 opus/48000/2\r\n"
            "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
            "a=ssrc:305419896 cname:wabridge\r\n"
            "a=candidate:1 1 udp 2130706431 203.0.113.7 40002 typ host\r\n"
            "a=candidate:2 1 udp 2130706175 2001:db8::7 40002 typ host\r\n"
            "a=end-of-candidates\r\n"
            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
            "c=IN IP4 0.0.0.0\r\n"
            "a=ice-ufrag:wAb1\r\n"
            "a=ice-pwd:0123456789abcdefghijklmn\r\n"
            "a=ice-options:trickle\r\n"
            "a=fingerprint:sha-256 0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:"
            "4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9\r\n"
            "a=setup:actpass\r\n"
            "a=mid:1\r\n"
            "a=candidate:1 1 udp 2130706431 203.0.113.7 40002 typ host\r\n"
            "a=candidate:2 1 udp 2130706175 2001:db8::7 40002 typ host\r\n"
            "a=end-of-candidates\r\n"
            "a=sctp-port:5000\r\n"
            "a=max-message-size:262144\r\n");
}

TEST(OpenAiOffer, UsesWhatsAppsPayloadTypeAndOptionalDataChannel) {
  const SessionDescription offer =
      offer_for_openai(local(), OpenAiOfferOptions{107, false, 262144});
  ASSERT_EQ(offer.media.size(), 1u);
  EXPECT_EQ(offer.bundle_mids, std::vector<std::string>{"0"});
  EXPECT_EQ(offer.media[0].formats, std::vector<std::string>{"107"});
  EXPECT_EQ(negotiated_opus(offer)->fmtp, "minptime=10;useinbandfec=1");
  EXPECT_EQ(negotiated_opus(offer)->payload_type, 107);
  EXPECT_THROW(offer_for_openai(local(), OpenAiOfferOptions{200, true, 1}), SdpError);
}

TEST(OpenAiOffer, TheirAnswerMakesUsDtlsServerWithTheirParameters) {
  const SessionDescription answer = parse(samples::crlf(samples::kOpenAiAnswer));
  EXPECT_EQ(dtls_role_from_answer(answer), DtlsRole::server);
  EXPECT_EQ(negotiated_opus(answer)->payload_type, 111);
  EXPECT_EQ(remote_sctp_port(answer), 5000);
  EXPECT_EQ(remote_max_message_size(answer), 65536u); // absent → RFC 8841 default
  EXPECT_EQ(answer.effective_ice_credentials().ufrag, "rlyAbCdEfGhIjKlM0011aBcD");
}

TEST(GenericAnswer, ChromiumOfferGetsModernDataChannelAndOneBundle) {
  const SessionDescription offer = parse(samples::crlf(samples::kChromiumOffer));
  const SessionDescription answer = answer_generic_offer(offer, local());
  const std::string text = write(answer);
  EXPECT_EQ(answer.bundle_mids, (std::vector<std::string>{"0", "1"}));
  const auto audio = section_lines(text, "m=audio");
  EXPECT_EQ(audio.front(), "m=audio 9 UDP/TLS/RTP/SAVPF 111 126");
  EXPECT_THAT(audio, Contains("a=setup:active"));
  EXPECT_THAT(audio, Contains("a=sendrecv"));
  EXPECT_THAT(audio, Contains("a=fmtp:111 minptime=10;useinbandfec=1"));
  EXPECT_THAT(audio, Contains("a=ice-ufrag:wAb1"));
  EXPECT_THAT(audio, Not(Contains(HasSubstr("red/48000"))));
  EXPECT_THAT(audio, Not(Contains(HasSubstr("a=extmap"))));
  const auto data = section_lines(text, "m=application");
  EXPECT_EQ(data.front(), "m=application 9 UDP/DTLS/SCTP webrtc-datachannel");
  EXPECT_THAT(data, Contains("a=mid:1"));
  EXPECT_THAT(data, Contains("a=setup:active"));
  EXPECT_THAT(data, Contains("a=ice-ufrag:wAb1"));
  EXPECT_THAT(data, Contains("a=sctp-port:5000"));
  EXPECT_THAT(data, Contains("a=max-message-size:262144"));
  EXPECT_THAT(data, Contains("a=candidate:1 1 udp 2130706431 203.0.113.7 40002 typ host"));
  EXPECT_THAT(data, Not(Contains(HasSubstr("sctpmap"))));
  EXPECT_EQ(dtls_role_from_offer(offer), DtlsRole::client);
}

TEST(GenericAnswer, AiortcOfferGetsLegacyDataChannelAndOpusOn96) {
  const SessionDescription offer = parse(samples::crlf(samples::kAiortcOffer));
  const SessionDescription answer = answer_generic_offer(offer, local());
  const std::string text = write(answer);
  const auto audio = section_lines(text, "m=audio");
  EXPECT_EQ(audio.front(), "m=audio 9 UDP/TLS/RTP/SAVPF 96");
  EXPECT_THAT(audio, Contains("a=rtpmap:96 opus/48000/2"));
  EXPECT_THAT(audio, Not(Contains(HasSubstr("a=fmtp")))); // none offered, none invented
  const auto data = section_lines(text, "m=application");
  EXPECT_EQ(data.front(), "m=application 9 DTLS/SCTP 5000");
  EXPECT_THAT(data, Contains("a=sctpmap:5000 webrtc-datachannel 65535"));
  EXPECT_THAT(data, Contains("a=max-message-size:262144"));
  EXPECT_THAT(data, Not(Contains(HasSubstr("a=sctp-port"))));
  EXPECT_THAT(data, Contains("a=ice-pwd:0123456789abcdefghijklmn"));
  EXPECT_EQ(answer.bundle_mids, (std::vector<std::string>{"0", "1"}));
  // And the offer's own data channel parameters, read back.
  EXPECT_EQ(remote_sctp_port(offer), 5000);
  EXPECT_EQ(remote_max_message_size(offer), 65536u);
  // The answer parses back to the same model (what the peer will read).
  EXPECT_EQ(parse(text), answer);
}

TEST(GenericAnswer, ComplementsSetupAndDirection) {
  SessionDescription offer = parse(samples::crlf(samples::kChromiumOffer));
  for (MediaSection& m : offer.media)
    m.setup = SetupRole::active;
  offer.media[0].direction = Direction::sendonly;
  const SessionDescription answer = answer_generic_offer(offer, local());
  EXPECT_EQ(answer.media[0].setup, SetupRole::passive);
  EXPECT_EQ(answer.media[1].setup, SetupRole::passive);
  EXPECT_EQ(answer.media[0].direction, Direction::recvonly);
  EXPECT_EQ(dtls_role_from_offer(offer), DtlsRole::server);
  EXPECT_EQ(dtls_role_from_answer(answer), DtlsRole::client);
}

TEST(GenericAnswer, AudioOnlyOfferWithoutBundle) {
  SessionDescription offer = parse(samples::crlf(samples::kAiortcOffer));
  offer.media.pop_back();
  offer.bundle_mids.clear();
  const SessionDescription answer = answer_generic_offer(offer, local());
  EXPECT_EQ(answer.media.size(), 1u);
  EXPECT_TRUE(answer.bundle_mids.empty());
  EXPECT_FALSE(remote_sctp_port(answer));
  EXPECT_FALSE(remote_max_message_size(answer));
}

} // namespace
} // namespace wab::sdp

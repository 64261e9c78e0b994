#include "sdp/negotiation.hpp"

#include "sdp/parser.hpp"
#include "sdp/sample_sdp.hpp"

#include <gtest/gtest.h>

namespace wab::sdp {
namespace {

TEST(Negotiation, OpusAndTelephoneEventFromEachSample) {
  const SessionDescription wa = parse(samples::crlf(samples::kWhatsAppOffer));
  EXPECT_EQ(negotiated_opus(wa),
            (NegotiatedCodec{111, 48000, 2,
                             "maxaveragebitrate=20000;maxplaybackrate=16000;minptime=20;"
                             "sprop-maxcapturerate=16000;useinbandfec=1"}));
  EXPECT_EQ(telephone_event_pt(wa), 126);

  const SessionDescription meta = parse(samples::crlf(samples::kMetaBusinessAnswer));
  EXPECT_EQ(telephone_event_pt(meta), 126);
  EXPECT_EQ(telephone_event_pt(meta, 48000), 110);

  const SessionDescription aiortc = parse(samples::crlf(samples::kAiortcOffer));
  EXPECT_EQ(negotiated_opus(aiortc)->payload_type, 96);
  EXPECT_FALSE(telephone_event_pt(aiortc));

  const SessionDescription chrome = parse(samples::crlf(samples::kChromiumOffer));
  EXPECT_EQ(negotiated_opus(chrome)->payload_type, 111);
  EXPECT_EQ(telephone_event_pt(chrome), 126);
  EXPECT_EQ(remote_max_message_size(chrome), 262144u);
}

TEST(Negotiation, FollowsTheMLineOrderAndNameCase) {
  const SessionDescription sd =
      parse("v=0\nm=audio 9 UDP/TLS/RTP/SAVPF 100 101\na=rtpmap:101 opus/48000/2\n"
            "a=rtpmap:100 OPUS/48000/2\na=fmtp:100 stereo=1\na=rtpmap:102 opus/48000/2\n");
  EXPECT_EQ(negotiated_opus(sd)->payload_type, 100);
  EXPECT_EQ(negotiated_opus(sd)->fmtp, "stereo=1");
  // A rejected audio section negotiates nothing.
  const SessionDescription rejected =
      parse("v=0\nm=audio 0 UDP/TLS/RTP/SAVPF 111\na=rtpmap:111 opus/48000/2\n");
  EXPECT_FALSE(negotiated_opus(rejected));
}

TEST(Negotiation, SctpPortFromEveryForm) {
  EXPECT_EQ(remote_sctp_port(parse("v=0\nm=application 9 DTLS/SCTP 5001\n")), 5001);
  EXPECT_EQ(remote_sctp_port(parse("v=0\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\n")),
            5000);
  EXPECT_EQ(remote_sctp_port(parse("v=0\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\n"
                                   "a=sctp-port:6000\n")),
            6000);
  EXPECT_EQ(remote_max_message_size(parse("v=0\nm=application 9 UDP/DTLS/SCTP x\n"
                                          "a=max-message-size:0\n")),
            0u);
  EXPECT_FALSE(remote_sctp_port(parse("v=0\nm=application 9 UDP/BFCP *\n")));
}

TEST(Negotiation, DtlsRoles) {
  auto with_setup = [](const char* role) {
    return parse(std::string("v=0\nm=audio 9 UDP/TLS/RTP/SAVPF 111\na=setup:") + role + "\n");
  };
  EXPECT_EQ(dtls_role_from_answer(with_setup("active")), DtlsRole::server);
  EXPECT_EQ(dtls_role_from_answer(with_setup("passive")), DtlsRole::client);
  EXPECT_FALSE(dtls_role_from_answer(with_setup("actpass")));
  EXPECT_EQ(dtls_role_from_answer(parse("v=0\nm=audio 9 UDP/TLS/RTP/SAVPF 111\n")),
            DtlsRole::server);
  EXPECT_EQ(dtls_role_from_offer(with_setup("actpass")), DtlsRole::client);
  EXPECT_EQ(dtls_role_from_offer(with_setup("ACTIVE")), DtlsRole::server);
  EXPECT_EQ(dtls_role_from_offer(with_setup("passive")), DtlsRole::client);
  EXPECT_FALSE(dtls_role_from_offer(with_setup("holdconn")));
}

} // namespace
} // namespace wab::sdp

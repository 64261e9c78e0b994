#include "sdp/parser.hpp"

#include "sdp/sample_sdp.hpp"

#include <gtest/gtest.h>

#include <string>

namespace wab::sdp {
namespace {

using samples::crlf;

TEST(SdpParser, WhatsAppCurrentOffer) {
  const SessionDescription sd = parse(crlf(samples::kWhatsAppOffer));
  EXPECT_EQ(sd.origin.session_id, "1760702640123");
  EXPECT_EQ(sd.origin.session_version, "2");
  EXPECT_EQ(sd.origin.address, "127.0.0.1");
  EXPECT_TRUE(sd.ice_lite);
  EXPECT_EQ(sd.bundle_mids, std::vector<std::string>{"audio"});
  EXPECT_EQ(sd.msid_semantic, "WMS 3f1c6a2e-7b8d-4e1f-9a0c-5d2b8e7f6a14");
  ASSERT_EQ(sd.media.size(), 1u);

  const MediaSection& m = sd.media[0];
  EXPECT_EQ(m.kind, MediaKind::audio);
  EXPECT_EQ(m.port, 3484);
  EXPECT_EQ(m.proto, "UDP/TLS/RTP/SAVPF");
  EXPECT_EQ(m.formats, (std::vector<std::string>{"111", "126"}));
  EXPECT_EQ(m.connection, "IN IP4 57.144.215.49");
  EXPECT_EQ(m.rtcp, "9 IN IP4 0.0.0.0");
  ASSERT_EQ(m.candidates.size(), 2u);
  EXPECT_EQ(m.candidates[0],
            "2960263522 1 udp 2122260223 57.144.215.49 3484 typ host generation 0 network-cost 50");
  EXPECT_NE(m.candidates[1].find("2a03:2880:f23d:1c2:face:b00c:0:699c"), std::string::npos);
  EXPECT_FALSE(m.end_of_candidates);
  EXPECT_EQ(m.ice_ufrag, "Kq8Zr2XvN4bT7wLm");
  EXPECT_EQ(m.ice_pwd, "Yk3vQ9mW2xR7tL5pN8sJ1a==");
  ASSERT_EQ(m.fingerprints.size(), 1u);
  EXPECT_EQ(m.fingerprints[0].algorithm, "sha-256");
  EXPECT_EQ(m.fingerprints[0].value.size(), 95u);
  EXPECT_EQ(m.setup, SetupRole::actpass);
  EXPECT_EQ(m.mid, "audio");
  EXPECT_EQ(m.direction, Direction::sendrecv);
  EXPECT_EQ(m.msid, "3f1c6a2e-7b8d-4e1f-9a0c-5d2b8e7f6a14 WhatsAppTrack1");
  EXPECT_TRUE(m.rtcp_mux);
  EXPECT_FALSE(m.rtcp_rsize);
  EXPECT_TRUE(m.extmaps.empty());
  ASSERT_EQ(m.codecs.size(), 2u);
  EXPECT_EQ(m.codecs[0], (Codec{111,
                                "opus",
                                48000,
                                2,
                                "maxaveragebitrate=20000;maxplaybackrate=16000;minptime=20;"
                                "sprop-maxcapturerate=16000;useinbandfec=1",
                                {"transport-cc"}}));
  EXPECT_EQ(m.codecs[1], (Codec{126, "telephone-event", 8000, 0, "", {}}));
  EXPECT_EQ(m.ptime, 20u);
  EXPECT_EQ(m.maxptime, 20u);
  ASSERT_EQ(m.ssrcs.size(), 1u);
  EXPECT_EQ(m.ssrcs[0], (SsrcAttribute{1583913426, "cname", "WhatsAppAudioStream1"}));
  EXPECT_TRUE(m.other_attributes.empty());
  EXPECT_TRUE(sd.other_attributes.empty());

  // Credentials come after the candidates in the text; the accessors still find them.
  EXPECT_EQ(sd.effective_ice_credentials(),
            (IceCredentials{"Kq8Zr2XvN4bT7wLm", "Yk3vQ9mW2xR7tL5pN8sJ1a=="}));
  EXPECT_EQ(sd.effective_setup(), SetupRole::actpass);
  ASSERT_TRUE(sd.effective_fingerprint());
  EXPECT_EQ(sd.effective_fingerprint()->value.substr(0, 8), "A5:4D:CA");
}

TEST(SdpParser, WhatsAppOlderOfferWithSlashInUfragAndExtmaps) {
  const SessionDescription sd = parse(crlf(samples::kWhatsAppOlderOffer));
  ASSERT_EQ(sd.media.size(), 1u);
  const MediaSection& m = sd.media[0];
  EXPECT_EQ(m.port, 40012);
  EXPECT_EQ(m.ice_ufrag, "6k2qP1R6kBfI/2");
  EXPECT_EQ(m.ice_pwd.size(), 32u);
  EXPECT_NE(m.candidates[0].find("ufrag 6k2qP1R6kBfI/2 network-cost 50"), std::string::npos);
  ASSERT_EQ(m.extmaps.size(), 3u);
  EXPECT_EQ(m.extmaps[0], (Extmap{1, "", "urn:ietf:params:rtp-hdrext:ssrc-audio-level", ""}));
  EXPECT_EQ(m.extmaps[2].id, 3);
  ASSERT_EQ(m.ssrcs.size(), 4u);
  EXPECT_EQ(m.ssrcs[1].attribute, "msid");
  EXPECT_EQ(m.ssrcs[1].value, "3c7d3ba5-2f4c-4bd4-8c5e-3a2a6bbf1c20 audio#1709654321");
  EXPECT_EQ(m.ssrcs[3], (SsrcAttribute{1898392101, "label", "audio#1709654321"}));
  EXPECT_FALSE(m.ptime);
  EXPECT_EQ(m.find_codec(111)->fmtp, "minptime=10;useinbandfec=1");
}

TEST(SdpParser, MetaBusinessInitiatedAnswer) {
  const SessionDescription sd = parse(crlf(samples::kMetaBusinessAnswer));
  EXPECT_TRUE(sd.ice_lite);
  EXPECT_TRUE(sd.extmap_allow_mixed);
  const MediaSection& m = sd.media.at(0);
  EXPECT_EQ(m.formats, (std::vector<std::string>{"111", "9", "0", "8", "110", "126"}));
  EXPECT_EQ(m.setup, SetupRole::active);
  EXPECT_EQ(m.ice_options, std::vector<std::string>{"trickle"});
  EXPECT_EQ(m.codecs.size(), 6u);
  EXPECT_EQ(m.find_codec(110)->clock_rate, 48000u);
  EXPECT_EQ(m.find_codec(0)->name, "PCMU");
}

TEST(SdpParser, OpenAiAnswerWithSessionLevelFingerprint) {
  const SessionDescription sd = parse(crlf(samples::kOpenAiAnswer));
  EXPECT_TRUE(sd.ice_lite);
  EXPECT_EQ(sd.msid_semantic, "WMS *");
  EXPECT_EQ(sd.bundle_mids, (std::vector<std::string>{"0", "1"}));
  ASSERT_EQ(sd.fingerprints.size(), 1u);
  ASSERT_EQ(sd.media.size(), 2u);
  EXPECT_TRUE(sd.media[0].fingerprints.empty());
  // Session-level fingerprint applies to both sections.
  EXPECT_EQ(sd.effective_fingerprint(sd.media[1]), sd.fingerprints[0]);
  EXPECT_EQ(sd.media[0].candidates.size(), 2u);
  EXPECT_NE(sd.media[0].candidates[1].find("tcptype passive"), std::string::npos);
  EXPECT_TRUE(sd.media[0].end_of_candidates);
  EXPECT_TRUE(sd.media[1].is_data_channel());
  EXPECT_FALSE(sd.media[1].is_legacy_data_channel());
  EXPECT_EQ(sd.media[1].sctp_port, 5000);
  EXPECT_EQ(sd.media[1].formats, std::vector<std::string>{"webrtc-datachannel"});
  // a=sendrecv on the data section is modelled, not lost.
  EXPECT_EQ(sd.media[1].direction, Direction::sendrecv);
}

TEST(SdpParser, AiortcOfferPerSectionCredentialsAndLegacyDataChannel) {
  const SessionDescription sd = parse(crlf(samples::kAiortcOffer));
  ASSERT_EQ(sd.media.size(), 2u);
  const MediaSection& audio = sd.media[0];
  const MediaSection& data = sd.media[1];
  EXPECT_EQ(audio.port, 51764);
  EXPECT_EQ(data.port, 41234);
  EXPECT_EQ(audio.ice_ufrag, "Xy3a");
  EXPECT_EQ(data.ice_ufrag, "Pq7z");
  // BUNDLE: the first bundled section's credentials govern the transport.
  EXPECT_EQ(sd.effective_ice_credentials(), (IceCredentials{"Xy3a", "Qk9LmN2pR5sT8vW1xZ4bC7"}));
  EXPECT_EQ(sd.effective_ice_credentials(data).ufrag, "Pq7z");
  // Upper-case algorithm token is normalised.
  ASSERT_EQ(audio.fingerprints.size(), 1u);
  EXPECT_EQ(audio.fingerprints[0].algorithm, "sha-256");
  EXPECT_EQ(data.proto, "DTLS/SCTP");
  EXPECT_EQ(data.formats, std::vector<std::string>{"5000"});
  EXPECT_TRUE(data.is_data_channel());
  EXPECT_TRUE(data.is_legacy_data_channel());
  ASSERT_TRUE(data.sctpmap);
  EXPECT_EQ(*data.sctpmap, (SctpMap{5000, "webrtc-datachannel", 65535}));
  EXPECT_EQ(data.max_message_size, 65536u);
  EXPECT_TRUE(audio.end_of_candidates);
  EXPECT_EQ(audio.find_codec(96)->name, "opus");
}

TEST(SdpParser, ChromiumOffer) {
  const SessionDescription sd = parse(crlf(samples::kChromiumOffer));
  EXPECT_TRUE(sd.extmap_allow_mixed);
  EXPECT_EQ(sd.msid_semantic, "WMS");
  EXPECT_FALSE(sd.ice_lite);
  const MediaSection& audio = sd.media.at(0);
  EXPECT_EQ(audio.extmaps.size(), 4u);
  EXPECT_TRUE(audio.rtcp_rsize);
  EXPECT_EQ(audio.codecs.size(), 8u);
  EXPECT_EQ(audio.find_codec(63)->fmtp, "111/111");
  EXPECT_EQ(audio.ice_options, std::vector<std::string>{"trickle"});
  EXPECT_NE(audio.candidates[0].find(".local 54400 typ host"), std::string::npos);
  EXPECT_EQ(audio.msid, "- 2f3e4d5c-6b7a-4988-b7a6-c5d4e3f2a1b0");
  EXPECT_EQ(sd.media.at(1).max_message_size, 262144u);
}

TEST(SdpParser, AcceptsLfMixedEndingsTrailingSpaceAndNoFinalNewline) {
  std::string text = crlf(samples::kWhatsAppOffer);
  // Mixed: turn every other CRLF into LF, add trailing blanks, drop the final line break.
  bool flip = false;
  std::string mixed;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      flip = !flip;
      mixed += flip ? "  \t" : "\r";
      continue;
    }
    mixed += text[i];
  }
  while (!mixed.empty() && (mixed.back() == '\n' || mixed.back() == '\r'))
    mixed.pop_back();
  EXPECT_EQ(parse(mixed), parse(text));
  EXPECT_EQ(parse(std::string(samples::kWhatsAppOffer)), parse(text));
}

TEST(SdpParser, TurnsLiteralJsonEscapesIntoLineBreaks) {
  std::string escaped;
  for (char c : std::string(samples::kWhatsAppOffer)) {
    if (c == '\n') {
      escaped += "\\r\\n";
    } else {
      escaped += c;
    }
  }
  ASSERT_EQ(escaped.find('\n'), std::string::npos);
  EXPECT_EQ(parse(escaped), parse(crlf(samples::kWhatsAppOffer)));
  // Copied together with the JSON string's quotes.
  EXPECT_EQ(parse("\"" + escaped + "\""), parse(crlf(samples::kWhatsAppOffer)));
}

TEST(SdpParser, AcceptsCrOnlyAndLfEscapes) {
  std::string cr, lf_escaped;
  for (char c : std::string(samples::kChromiumOffer)) {
    cr += c == '\n' ? std::string("\r") : std::string(1, c);
    lf_escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
  }
  const SessionDescription expected = parse(samples::crlf(samples::kChromiumOffer));
  EXPECT_EQ(parse(cr), expected);
  EXPECT_EQ(parse(lf_escaped), expected);
}

TEST(SdpParser, BundleTagIsTheFirstMidOfTheGroupNotTheFirstSection) {
  const SessionDescription sd =
      parse("v=0\na=group:BUNDLE b a\nm=audio 1 UDP/TLS/RTP/SAVPF 111\na=mid:a\n"
            "a=ice-ufrag:ua\na=ice-pwd:pa\na=setup:passive\n"
            "m=audio 2 UDP/TLS/RTP/SAVPF 111\na=mid:b\na=ice-ufrag:ub\na=ice-pwd:pb\n"
            "a=setup:active\n");
  EXPECT_EQ(sd.transport_section(), &sd.media[1]);
  EXPECT_EQ(sd.effective_ice_credentials(), (IceCredentials{"ub", "pb"}));
  EXPECT_EQ(sd.effective_setup(), SetupRole::active);
  // A group naming an unknown mid falls back to the first section.
  const SessionDescription dangling =
      parse("v=0\na=group:BUNDLE zz\nm=audio 1 RTP/AVP 0\na=mid:a\n");
  EXPECT_EQ(dangling.transport_section(), &dangling.media[0]);
}

TEST(SdpParser, KeepsUnknownLinesAndAttributesInOrder) {
  const SessionDescription sd =
      parse("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nb=AS:64\r\nt=0 0\r\na=x-session-thing\r\n"
            "a=group:LS 0 1\r\nm=audio 9 RTP/SAVP 0\r\nb=TIAS:64000\r\na=crypto:1 "
            "AES_CM_128_HMAC_SHA1_80 "
            "inline:abc\r\na=rtcp-fb:* nack\r\na=x-foo:bar:baz\r\na=quality\r\n");
  ASSERT_EQ(sd.other_lines.size(), 1u);
  EXPECT_EQ(sd.other_lines[0], (OtherLine{'b', "AS:64"}));
  ASSERT_EQ(sd.other_attributes.size(), 2u);
  EXPECT_EQ(sd.other_attributes[0], (Attribute{"x-session-thing", std::nullopt}));
  EXPECT_EQ(sd.other_attributes[1], (Attribute{"group", "LS 0 1"}));
  const MediaSection& m = sd.media.at(0);
  EXPECT_EQ(m.other_lines, (std::vector<OtherLine>{{'b', "TIAS:64000"}}));
  ASSERT_EQ(m.other_attributes.size(), 4u);
  EXPECT_EQ(m.other_attributes[0].name, "crypto");
  EXPECT_EQ(m.other_attributes[1], (Attribute{"rtcp-fb", "* nack"}));
  EXPECT_EQ(m.other_attributes[2], (Attribute{"x-foo", "bar:baz"}));
  EXPECT_EQ(m.other_attributes[3], (Attribute{"quality", std::nullopt}));
  // Static PT 0 has no rtpmap: no codec entry is invented.
  EXPECT_TRUE(m.codecs.empty());
}

TEST(SdpParser, MediaLevelCredentialsOverrideSessionLevel) {
  const SessionDescription sd =
      parse("v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\na=ice-ufrag:sess\na=ice-pwd:sesspwd\n"
            "a=setup:passive\nm=audio 9 UDP/TLS/RTP/SAVPF 111\na=ice-ufrag:med\n"
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\n");
  EXPECT_EQ(sd.effective_ice_credentials(sd.media[0]), (IceCredentials{"med", "sesspwd"}));
  EXPECT_EQ(sd.effective_ice_credentials(sd.media[1]), (IceCredentials{"sess", "sesspwd"}));
  EXPECT_EQ(sd.effective_setup(sd.media[1]), SetupRole::passive);
  EXPECT_FALSE(sd.effective_fingerprint());
}

TEST(SdpParser, FractionalPtimeAndPortCount) {
  const SessionDescription sd =
      parse("v=0\ns=-\nm=audio 5004/2 RTP/AVP 0\na=ptime:20.5\na=maxptime:abc\n");
  EXPECT_EQ(sd.media[0].port, 5004);
  EXPECT_EQ(sd.media[0].ptime, 20u);
  EXPECT_FALSE(sd.media[0].maxptime);
  EXPECT_EQ(sd.media[0].other_attributes.at(0), (Attribute{"maxptime", "abc"}));
}

struct BrokenCase {
  const char* text;
  const char* message_part;
  std::size_t line;
};

class SdpParserErrors : public ::testing::TestWithParam<BrokenCase> {};

TEST_P(SdpParserErrors, ThrowsNamingTheProblemAndLine) {
  const BrokenCase& c = GetParam();
  try {
    parse(c.text);
    FAIL() << "no error for: " << c.text;
  } catch (const SdpError& e) {
    EXPECT_NE(std::string(e.what()).find(c.message_part), std::string::npos) << e.what();
    EXPECT_EQ(e.line(), c.line) << e.what();
  }
  std::string error;
  EXPECT_FALSE(try_parse(c.text, &error));
  EXPECT_NE(error.find(c.message_part), std::string::npos) << error;
}

INSTANTIATE_TEST_SUITE_P(
    Broken, SdpParserErrors,
    ::testing::Values(
        BrokenCase{"", "no v= line", 0}, BrokenCase{"\r\n\r\n", "no v= line", 0},
        BrokenCase{"o=- 1 1 IN IP4 0.0.0.0\r\nv=0\r\n", "must start with v=0", 1},
        BrokenCase{"{\"sdp\":\"v=0\"}", "expected '<type>=<value>'", 1},
        BrokenCase{"v=1\r\n", "unsupported SDP version", 1},
        BrokenCase{"v=0\r\nv=0\r\n", "second v=", 2},
        BrokenCase{"v=0\r\no=- 1\r\n", "bad o= line", 2},
        BrokenCase{"v=0\r\n\r\nm=audio\r\n", "bad m= line", 3},
        BrokenCase{"v=0\r\nm=audio 70000 RTP/AVP 0\r\n", "bad port", 2},
        BrokenCase{"v=0\r\nm=audio x RTP/AVP 0\r\n", "bad port", 2},
        BrokenCase{"v=0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:300 opus/48000\r\n", "bad payload type",
                   3},
        BrokenCase{"v=0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:111 opus\r\n", "bad a=rtpmap", 3},
        BrokenCase{"v=0\r\na=fingerprint:sha-256 XYZ\r\n", "bad a=fingerprint", 2},
        BrokenCase{"v=0\r\na=setup:sideways\r\n", "bad a=setup", 2},
        BrokenCase{"v=0\r\nm=application 9 UDP/DTLS/SCTP x\r\na=sctp-port:99999\r\n",
                   "bad a=sctp-port", 3},
        BrokenCase{"v=0\r\nm=audio 9 RTP/AVP 0\r\na=ssrc:abc cname:x\r\n", "bad a=ssrc", 3},
        BrokenCase{"v=0\r\nm=audio 9 RTP/AVP 0\r\na=extmap:x urn:y\r\n", "bad a=extmap", 3},
        BrokenCase{"v=0\r\n1=bad\r\n", "bad line type", 2}));

TEST(SdpParserLimits, RefusesOversizedInputBeforeSplitting) {
  std::string big = "v=0\r\n";
  while (big.size() <= 64 * 1024)
    big += "a=x-padding:0123456789abcdef0123456789abcdef\r\n";
  try {
    parse(big);
    FAIL();
  } catch (const SdpError& e) {
    EXPECT_NE(std::string(e.what()).find("too large"), std::string::npos);
  }
}

TEST(SdpParserLimits, RefusesTooManyLinesAndSections) {
  std::string many = "v=0\n";
  for (int i = 0; i < 3000; ++i)
    many += "a=x\n";
  EXPECT_THROW(parse(many), SdpError);
  std::string sections = "v=0\n";
  for (int i = 0; i < 40; ++i)
    sections += "m=audio 9 RTP/AVP 0\n";
  try {
    parse(sections);
    FAIL();
  } catch (const SdpError& e) {
    EXPECT_NE(std::string(e.what()).find("more than 32 m= sections"), std::string::npos);
    EXPECT_EQ(e.line(), 34u);
  }
}

TEST(SdpFingerprint, ParsesAnyCaseAndRejectsGarbage) {
  EXPECT_EQ(parse_fingerprint("SHA-256 ab:CD:0f"), (Fingerprint{"sha-256", "AB:CD:0F"}));
  EXPECT_FALSE(parse_fingerprint("sha-256"));
  EXPECT_FALSE(parse_fingerprint("sha-256 AB:CD:"));
  EXPECT_FALSE(parse_fingerprint("sha-256 ABC:D"));
  EXPECT_FALSE(parse_fingerprint("sha 256 AB:CD"));
}

} // namespace
} // namespace wab::sdp

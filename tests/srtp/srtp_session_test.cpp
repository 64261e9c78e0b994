#include "srtp/srtp_session.hpp"

#include "srtp_test_util.hpp"

#include <gtest/gtest.h>

namespace wab::srtp {
namespace {

using testing::from_hex;
using testing::make_key_pair;
using testing::make_rtcp;
using testing::make_rtp;

class SrtpProfiles : public ::testing::TestWithParam<SrtpProfile> {};

TEST_P(SrtpProfiles, RtpRoundTrip) {
  const auto keys = make_key_pair(GetParam());
  SrtpSession a(keys.a);
  SrtpSession b(keys.b);
  for (std::uint16_t seq = 1000; seq < 1010; ++seq) {
    auto packet = make_rtp(seq);
    const auto plain = packet.bytes();
    ASSERT_TRUE(a.protect_rtp(packet.data(), packet.len, packet.buf.size()));
    EXPECT_EQ(packet.len, plain.size() + srtp_overhead(GetParam(), false));
    // Header in the clear, payload encrypted.
    EXPECT_TRUE(std::equal(plain.begin(), plain.begin() + 12, packet.buf.begin()));
    EXPECT_FALSE(std::equal(plain.begin() + 12, plain.end(), packet.buf.begin() + 12));
    ASSERT_TRUE(b.unprotect_rtp(packet.data(), packet.len));
    EXPECT_EQ(packet.bytes(), plain);
  }
  // And the other direction, with the other key.
  auto packet = make_rtp(7, 0x55667788);
  const auto plain = packet.bytes();
  ASSERT_TRUE(b.protect_rtp(packet.data(), packet.len, packet.buf.size()));
  ASSERT_TRUE(a.unprotect_rtp(packet.data(), packet.len));
  EXPECT_EQ(packet.bytes(), plain);
  EXPECT_EQ(a.profile(), GetParam());
}

TEST_P(SrtpProfiles, RtcpRoundTrip) {
  const auto keys = make_key_pair(GetParam());
  SrtpSession a(keys.a);
  SrtpSession b(keys.b);
  for (int i = 0; i < 3; ++i) {
    auto packet = make_rtcp();
    const auto plain = packet.bytes();
    ASSERT_TRUE(a.protect_rtcp(packet.data(), packet.len, packet.buf.size()));
    EXPECT_EQ(packet.len, plain.size() + srtp_overhead(GetParam(), true));
    ASSERT_TRUE(b.unprotect_rtcp(packet.data(), packet.len));
    EXPECT_EQ(packet.bytes(), plain);
  }
}

TEST_P(SrtpProfiles, TamperedPacketsAreRejected) {
  const auto keys = make_key_pair(GetParam());
  SrtpSession a(keys.a);
  SrtpSession b(keys.b);
  std::uint16_t seq = 1;
  for (std::size_t offset : {std::size_t{2}, std::size_t{20}, std::size_t{171}}) {
    auto packet = make_rtp(seq++);
    ASSERT_TRUE(a.protect_rtp(packet.data(), packet.len, packet.buf.size()));
    ASSERT_LT(offset, packet.len);
    packet.buf[offset] ^= 0x01; // header, payload, auth tag
    EXPECT_FALSE(b.unprotect_rtp(packet.data(), packet.len)) << offset;
  }
  auto rtcp = make_rtcp();
  ASSERT_TRUE(a.protect_rtcp(rtcp.data(), rtcp.len, rtcp.buf.size()));
  rtcp.buf[10] ^= 0x80;
  EXPECT_FALSE(b.unprotect_rtcp(rtcp.data(), rtcp.len));
  EXPECT_EQ(b.counters().auth_failures, 4u);
}

TEST_P(SrtpProfiles, WrongKeyIsAnAuthenticationFailure) {
  const auto keys = make_key_pair(GetParam());
  SrtpSession a(keys.a);
  SrtpSession also_a(keys.a); // expects the key a sends with as its remote key: it does not
  auto packet = make_rtp(1);
  ASSERT_TRUE(a.protect_rtp(packet.data(), packet.len, packet.buf.size()));
  EXPECT_FALSE(also_a.unprotect_rtp(packet.data(), packet.len));
  EXPECT_EQ(also_a.counters().auth_failures, 1u);
}

TEST_P(SrtpProfiles, ReplaysAreRejectedButSendersMayRepeat) {
  const auto keys = make_key_pair(GetParam());
  SrtpSession a(keys.a);
  SrtpSession b(keys.b);
  auto first = make_rtp(500);
  auto again = make_rtp(500);
  ASSERT_TRUE(a.protect_rtp(first.data(), first.len, first.buf.size()));
  // allow_repeat_tx: forwarding the same sequence number twice is not our failure.
  ASSERT_TRUE(a.protect_rtp(again.data(), again.len, again.buf.size()));
  auto copy = first;
  ASSERT_TRUE(b.unprotect_rtp(first.data(), first.len));
  EXPECT_FALSE(b.unprotect_rtp(copy.data(), copy.len));
  EXPECT_FALSE(b.unprotect_rtp(again.data(), again.len));
  EXPECT_EQ(b.counters().replays, 2u);

  auto rtcp = make_rtcp();
  ASSERT_TRUE(a.protect_rtcp(rtcp.data(), rtcp.len, rtcp.buf.size()));
  auto rtcp_copy = rtcp;
  ASSERT_TRUE(b.unprotect_rtcp(rtcp.data(), rtcp.len));
  EXPECT_FALSE(b.unprotect_rtcp(rtcp_copy.data(), rtcp_copy.len));
  EXPECT_EQ(b.counters().replays, 3u);
}

TEST_P(SrtpProfiles, ReplayWindowAcceptsLateButNotTooLatePackets) {
  const auto keys = make_key_pair(GetParam());
  SrtpSession a(keys.a);
  SrtpSession b(keys.b);
  std::vector<testing::Packet> sent;
  for (std::uint16_t seq = 0; seq <= 1100; ++seq) {
    sent.push_back(make_rtp(seq, 0x11223344, 20));
    ASSERT_TRUE(a.protect_rtp(sent.back().data(), sent.back().len, sent.back().buf.size()));
  }
  ASSERT_TRUE(b.unprotect_rtp(sent[0].data(), sent[0].len));
  ASSERT_TRUE(b.unprotect_rtp(sent[1100].data(), sent[1100].len));
  // 1000 behind the newest: inside a 1024 window (libsrtp's default of 128 would refuse it).
  EXPECT_TRUE(b.unprotect_rtp(sent[100].data(), sent[100].len));
  // 1090 behind: outside.
  EXPECT_FALSE(b.unprotect_rtp(sent[10].data(), sent[10].len));
  EXPECT_EQ(b.counters().replays, 1u);
}

TEST_P(SrtpProfiles, ShortPacketsAndSmallBuffersAreRefused) {
  const auto keys = make_key_pair(GetParam());
  SrtpSession a(keys.a);
  std::uint8_t buf[200] = {0x80, 111};
  std::size_t len = 11;
  EXPECT_FALSE(a.protect_rtp(buf, len, sizeof buf));
  len = 12 + 40;
  EXPECT_FALSE(a.protect_rtp(buf, len, len + kMaxTrailer - 1)); // no room for the trailer
  EXPECT_EQ(a.counters().protect_failures, 2u);
  len = 7;
  EXPECT_FALSE(a.protect_rtcp(buf, len, sizeof buf));

  len = 12 + srtp_overhead(GetParam(), false) - 1;
  EXPECT_FALSE(a.unprotect_rtp(buf, len));
  len = 8 + srtp_overhead(GetParam(), true) - 1;
  EXPECT_FALSE(a.unprotect_rtcp(buf, len));
  len = 0;
  EXPECT_FALSE(a.unprotect_rtp(buf, len));
  EXPECT_EQ(a.counters().too_short, 3u);
}

INSTANTIATE_TEST_SUITE_P(BothProfiles, SrtpProfiles,
                         ::testing::Values(SrtpProfile::kAes128CmSha1_80,
                                           SrtpProfile::kAeadAes128Gcm),
                         [](const auto& info) {
                           return info.param == SrtpProfile::kAeadAes128Gcm ? "Gcm" : "CmSha1";
                         });

// Known answers: libsrtp's reference packets (its test driver's srtp_validate and
// srtp_validate_gcm), produced by an implementation independent of ours and re-derived by other
// SRTP stacks. SSRC 0xcafebabe, sequence 0x1234, first SRTCP index 1.
struct KnownAnswer {
  SrtpProfile profile;
  const char* master_key;
  const char* master_salt;
  const char* srtp;
  const char* srtcp;
};

const KnownAnswer kKnownAnswers[] = {
    {SrtpProfile::kAes128CmSha1_80, "e1f97a0d3e018be0d64fa32c06de4139",
     "0ec675ad498afeebb6960b3aabe6",
     "800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc99ea179b8dbb",
     "81c8000bcafebabe7128035be487b9bdbef89041f977a5a880000001993e08cd54d6c1230798"},
    {SrtpProfile::kAeadAes128Gcm, "000102030405060708090a0b0c0d0e0f", "a0a1a2a3a4a5a6a7a8a9aaab",
     "800f1234decafbadcafebabec5002ede04cfdd2eb91159e0880aa06ed2976826f796b201df3131a127e8a392",
     "81c8000bcafebabec98b8b5df0392a55852b6c21ac8e7025c52c6fbea2b3b446ea31123ba88ce61e80000001"},
};

SrtpKeyingMaterial known_keys(const KnownAnswer& k) {
  SrtpKeyingMaterial m;
  m.profile = k.profile;
  const auto key = from_hex(k.master_key);
  const auto salt = from_hex(k.master_salt);
  std::copy(key.begin(), key.end(), m.local_key.begin());
  std::copy(key.begin(), key.end(), m.remote_key.begin());
  std::copy(salt.begin(), salt.end(), m.local_salt.begin());
  std::copy(salt.begin(), salt.end(), m.remote_salt.begin());
  return m;
}

TEST(SrtpKnownAnswer, ProtectsAndUnprotectsReferencePackets) {
  const auto rtp_plain = from_hex("800f1234decafbadcafebabe"
                                  "abababababababababababababababab");
  const auto rtcp_plain = from_hex("81c8000bcafebabe"
                                   "abababababababababababababababab");
  for (const KnownAnswer& k : kKnownAnswers) {
    SCOPED_TRACE(std::string(dtls::srtp_profile_name(k.profile)));
    SrtpSession session(known_keys(k));
    const auto expected_srtp = from_hex(k.srtp);
    const auto expected_srtcp = from_hex(k.srtcp);

    std::vector<std::uint8_t> buf(rtp_plain.size() + kMaxTrailer);
    std::copy(rtp_plain.begin(), rtp_plain.end(), buf.begin());
    std::size_t len = rtp_plain.size();
    ASSERT_TRUE(session.protect_rtp(buf.data(), len, buf.size()));
    EXPECT_EQ(std::vector<std::uint8_t>(buf.begin(), buf.begin() + len), expected_srtp);

    std::copy(rtcp_plain.begin(), rtcp_plain.end(), buf.begin());
    len = rtcp_plain.size();
    ASSERT_TRUE(session.protect_rtcp(buf.data(), len, buf.size()));
    EXPECT_EQ(std::vector<std::uint8_t>(buf.begin(), buf.begin() + len), expected_srtcp);

    // Our inbound context holds the same key here, so it decrypts the references.
    std::copy(expected_srtp.begin(), expected_srtp.end(), buf.begin());
    len = expected_srtp.size();
    ASSERT_TRUE(session.unprotect_rtp(buf.data(), len));
    EXPECT_EQ(std::vector<std::uint8_t>(buf.begin(), buf.begin() + len), rtp_plain);

    std::copy(expected_srtcp.begin(), expected_srtcp.end(), buf.begin());
    len = expected_srtcp.size();
    ASSERT_TRUE(session.unprotect_rtcp(buf.data(), len));
    EXPECT_EQ(std::vector<std::uint8_t>(buf.begin(), buf.begin() + len), rtcp_plain);
  }
}

TEST(SrtpSession, RejectsUnusableReplayWindow) {
  const auto keys = make_key_pair(SrtpProfile::kAeadAes128Gcm);
  EXPECT_THROW(SrtpSession(keys.a, SrtpConfig{16}), std::runtime_error);
  EXPECT_NO_THROW(SrtpSession(keys.a, SrtpConfig{128}));
}

TEST(SrtpOverhead, MatchesTheProfiles) {
  EXPECT_EQ(srtp_overhead(SrtpProfile::kAes128CmSha1_80, false), 10u);
  EXPECT_EQ(srtp_overhead(SrtpProfile::kAes128CmSha1_80, true), 14u);
  EXPECT_EQ(srtp_overhead(SrtpProfile::kAeadAes128Gcm, false), 16u);
  EXPECT_EQ(srtp_overhead(SrtpProfile::kAeadAes128Gcm, true), 20u);
  EXPECT_GE(kMaxTrailer, srtp_overhead(SrtpProfile::kAeadAes128Gcm, true));
}

} // namespace
} // namespace wab::srtp

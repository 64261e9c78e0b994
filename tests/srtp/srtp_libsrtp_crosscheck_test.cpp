// Our SrtpSession against libsrtp (an independent implementation, kept for tests only): what one
// protects the other must unprotect, in both directions, for both profiles, across a ROC wrap,
// reordered within the replay window, and both must refuse replays and tampered tags alike.
#include "srtp/srtp_session.hpp"

#include "libsrtp_reference.hpp"
#include "srtp_test_util.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace wab::srtp {
namespace {

using testing::LibsrtpSession;
using testing::make_key_pair;
using testing::make_rtcp;
using testing::make_rtp;
using testing::Packet;

constexpr int kOk = 0;
constexpr int kAuthFail = 7;   // srtp_err_status_auth_fail
constexpr int kReplayFail = 9; // srtp_err_status_replay_fail
constexpr int kReplayOld = 10; // srtp_err_status_replay_old

class CrossCheck : public ::testing::TestWithParam<SrtpProfile> {
protected:
  // ours is end a, libsrtp end b: a's local key is b's remote key.
  testing::KeyPair keys = make_key_pair(GetParam());
  SrtpSession ours{keys.a};
  LibsrtpSession theirs{keys.b};
};

// An RTP packet with two CSRCs and a one-byte header extension, so the header is 12 + 8 + 8.
Packet make_rtp_with_extension(std::uint16_t seq) {
  Packet p = make_rtp(seq, 0x0badcafe, 50);
  std::vector<std::uint8_t> payload(p.buf.begin() + 12, p.buf.begin() + p.len);
  const std::uint8_t extra[16] = {0, 0, 0, 1, 0, 0, 0, 2, 0xbe, 0xde, 0, 1, 0x10, 0x7f, 0, 0};
  p.buf.resize(28 + payload.size() + kMaxTrailer);
  p.buf[0] = 0x92; // V=2, X=1, CC=2
  std::copy(std::begin(extra), std::end(extra), p.buf.begin() + 12);
  std::copy(payload.begin(), payload.end(), p.buf.begin() + 28);
  p.len = 28 + payload.size();
  return p;
}

TEST_P(CrossCheck, RtpBothWaysAcrossRocWrap) {
  for (std::uint32_t i = 0; i < 40; ++i) {
    const auto seq = static_cast<std::uint16_t>(65515 + i); // wraps 65535 -> 0 at i = 21
    SCOPED_TRACE(seq);
    Packet p = make_rtp(seq);
    const auto plain = p.bytes();
    ASSERT_TRUE(ours.protect_rtp(p.data(), p.len, p.buf.size()));
    ASSERT_EQ(theirs.unprotect_rtp(p.data(), p.len), kOk);
    EXPECT_EQ(p.bytes(), plain);

    Packet q = make_rtp(seq, 0x55667788);
    const auto q_plain = q.bytes();
    ASSERT_EQ(theirs.protect_rtp(q.data(), q.len), kOk);
    ASSERT_TRUE(ours.unprotect_rtp(q.data(), q.len));
    EXPECT_EQ(q.bytes(), q_plain);
  }
}

TEST_P(CrossCheck, RtpWithCsrcsAndExtension) {
  for (std::uint16_t seq = 1; seq < 4; ++seq) {
    Packet p = make_rtp_with_extension(seq);
    const auto plain = p.bytes();
    ASSERT_TRUE(ours.protect_rtp(p.data(), p.len, p.buf.size()));
    // CSRCs and extension stay in the clear.
    EXPECT_TRUE(std::equal(plain.begin(), plain.begin() + 28, p.buf.begin()));
    ASSERT_EQ(theirs.unprotect_rtp(p.data(), p.len), kOk);
    EXPECT_EQ(p.bytes(), plain);

    Packet q = make_rtp_with_extension(seq);
    ASSERT_EQ(theirs.protect_rtp(q.data(), q.len), kOk);
    ASSERT_TRUE(ours.unprotect_rtp(q.data(), q.len));
    EXPECT_EQ(q.bytes(), plain);
  }
}

TEST_P(CrossCheck, RtcpBothWays) {
  for (int i = 0; i < 5; ++i) {
    Packet p = make_rtcp();
    const auto plain = p.bytes();
    ASSERT_TRUE(ours.protect_rtcp(p.data(), p.len, p.buf.size()));
    ASSERT_EQ(theirs.unprotect_rtcp(p.data(), p.len), kOk);
    EXPECT_EQ(p.bytes(), plain);

    Packet q = make_rtcp(0x99aabbcc);
    ASSERT_EQ(theirs.protect_rtcp(q.data(), q.len), kOk);
    ASSERT_TRUE(ours.unprotect_rtcp(q.data(), q.len));
    EXPECT_EQ(q.bytes(), make_rtcp(0x99aabbcc).bytes());
  }
}

TEST_P(CrossCheck, ReorderedWithinTheWindowAcrossTheWrap) {
  // libsrtp sends 65500..65535, 0..63; we receive them shuffled (a fixed permutation).
  std::vector<Packet> sent;
  for (std::uint32_t i = 0; i < 100; ++i) {
    sent.push_back(make_rtp(static_cast<std::uint16_t>(65500 + i), 0x11223344, 30));
    ASSERT_EQ(theirs.protect_rtp(sent.back().data(), sent.back().len), kOk);
  }
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < 100; i += 10) {
    for (std::size_t j = 0; j < 10; ++j)
      order.push_back(i + (j * 7) % 10); // reordered inside each block of 10
  }
  std::swap(order[30], order[45]); // and one packet 15 late, across the wrap at 36
  for (const std::size_t i : order) {
    SCOPED_TRACE(i);
    Packet p = sent[i];
    ASSERT_TRUE(ours.unprotect_rtp(p.data(), p.len));
    EXPECT_EQ(p.bytes(), make_rtp(static_cast<std::uint16_t>(65500 + i), 0x11223344, 30).bytes());
  }
  // Every one of them again: all replays.
  for (std::size_t i = 0; i < 100; ++i) {
    Packet p = sent[i];
    EXPECT_FALSE(ours.unprotect_rtp(p.data(), p.len));
  }
  EXPECT_EQ(ours.counters().replays, 100u);
  EXPECT_EQ(ours.counters().auth_failures, 0u);

  // The other way round: libsrtp receives ours reordered.
  std::vector<Packet> ours_sent;
  for (std::uint32_t i = 0; i < 100; ++i) {
    ours_sent.push_back(make_rtp(static_cast<std::uint16_t>(65500 + i), 0x11223344, 30));
    ASSERT_TRUE(ours.protect_rtp(ours_sent.back().data(), ours_sent.back().len,
                                 ours_sent.back().buf.size()));
  }
  for (const std::size_t i : order) {
    SCOPED_TRACE(i);
    Packet p = ours_sent[i];
    ASSERT_EQ(theirs.unprotect_rtp(p.data(), p.len), kOk);
  }
}

TEST_P(CrossCheck, ReplaysAreRefusedBothWays) {
  Packet p = make_rtp(10);
  ASSERT_EQ(theirs.protect_rtp(p.data(), p.len), kOk);
  Packet copy = p;
  ASSERT_TRUE(ours.unprotect_rtp(p.data(), p.len));
  EXPECT_FALSE(ours.unprotect_rtp(copy.data(), copy.len));
  EXPECT_EQ(ours.counters().replays, 1u);

  Packet q = make_rtp(10);
  ASSERT_TRUE(ours.protect_rtp(q.data(), q.len, q.buf.size()));
  Packet q_copy = q;
  ASSERT_EQ(theirs.unprotect_rtp(q.data(), q.len), kOk);
  EXPECT_EQ(theirs.unprotect_rtp(q_copy.data(), q_copy.len), kReplayFail);

  Packet r = make_rtcp();
  ASSERT_TRUE(ours.protect_rtcp(r.data(), r.len, r.buf.size()));
  Packet r_copy = r;
  ASSERT_EQ(theirs.unprotect_rtcp(r.data(), r.len), kOk);
  const int status = theirs.unprotect_rtcp(r_copy.data(), r_copy.len);
  EXPECT_TRUE(status == kReplayFail || status == kReplayOld) << status;

  Packet s = make_rtcp(0x99aabbcc);
  ASSERT_EQ(theirs.protect_rtcp(s.data(), s.len), kOk);
  Packet s_copy = s;
  ASSERT_TRUE(ours.unprotect_rtcp(s.data(), s.len));
  EXPECT_FALSE(ours.unprotect_rtcp(s_copy.data(), s_copy.len));
  EXPECT_EQ(ours.counters().replays, 2u);
}

TEST_P(CrossCheck, TamperedTagsAreRefusedBothWays) {
  Packet p = make_rtp(20);
  ASSERT_EQ(theirs.protect_rtp(p.data(), p.len), kOk);
  p.buf[p.len - 1] ^= 0x40;
  EXPECT_FALSE(ours.unprotect_rtp(p.data(), p.len));
  EXPECT_EQ(ours.counters().auth_failures, 1u);

  Packet q = make_rtp(21);
  ASSERT_TRUE(ours.protect_rtp(q.data(), q.len, q.buf.size()));
  q.buf[q.len - 1] ^= 0x40;
  EXPECT_EQ(theirs.unprotect_rtp(q.data(), q.len), kAuthFail);

  Packet r = make_rtcp();
  ASSERT_TRUE(ours.protect_rtcp(r.data(), r.len, r.buf.size()));
  r.buf[12] ^= 0x01;
  EXPECT_EQ(theirs.unprotect_rtcp(r.data(), r.len), kAuthFail);

  Packet s = make_rtcp(0x99aabbcc);
  ASSERT_EQ(theirs.protect_rtcp(s.data(), s.len), kOk);
  s.buf[12] ^= 0x01;
  EXPECT_FALSE(ours.unprotect_rtcp(s.data(), s.len));
  EXPECT_EQ(ours.counters().auth_failures, 2u);
  // A failed packet does not poison the stream: the next good one passes.
  Packet t = make_rtp(22);
  ASSERT_EQ(theirs.protect_rtp(t.data(), t.len), kOk);
  EXPECT_TRUE(ours.unprotect_rtp(t.data(), t.len));
}

INSTANTIATE_TEST_SUITE_P(BothProfiles, CrossCheck,
                         ::testing::Values(SrtpProfile::kAes128CmSha1_80,
                                           SrtpProfile::kAeadAes128Gcm),
                         [](const auto& info) {
                           return info.param == SrtpProfile::kAeadAes128Gcm ? "Gcm" : "CmSha1";
                         });

} // namespace
} // namespace wab::srtp

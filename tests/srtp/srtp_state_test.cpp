// The per-SSRC state behind SrtpSession: the replay window on its own, and through a session the
// fixed SSRC capacity and the ROC across sequence-number wraps.
#include "srtp/replay_window.hpp"
#include "srtp/srtp_session.hpp"

#include "srtp_test_util.hpp"

#include <gtest/gtest.h>

namespace wab::srtp {
namespace {

using testing::make_key_pair;
using testing::make_rtcp;
using testing::make_rtp;

TEST(ReplayWindow, AcceptsFreshRefusesSeenAndTooOld) {
  std::uint64_t words[2];
  ReplayWindow w(words, 2, 100);
  EXPECT_EQ(w.check(5), ReplayWindow::Verdict::kFresh);
  w.accept(5);
  EXPECT_EQ(w.check(5), ReplayWindow::Verdict::kReplay);
  EXPECT_EQ(w.check(4), ReplayWindow::Verdict::kFresh); // below the first, still in the window
  w.accept(200);
  EXPECT_EQ(w.check(101), ReplayWindow::Verdict::kFresh);
  EXPECT_EQ(w.check(100), ReplayWindow::Verdict::kTooOld);
  w.accept(150);
  EXPECT_EQ(w.check(150), ReplayWindow::Verdict::kReplay);
  // A jump by more than the bitmap clears stale bits: 150 + 128 maps onto 150's bit.
  w.accept(150 + 128);
  EXPECT_EQ(w.check(150 + 128), ReplayWindow::Verdict::kReplay);
  EXPECT_EQ(w.check(200 + 128), ReplayWindow::Verdict::kFresh);
  w.accept(1000);
  EXPECT_EQ(w.check(1000 - 128), ReplayWindow::Verdict::kTooOld);
  EXPECT_EQ(w.check(999), ReplayWindow::Verdict::kFresh);
}

TEST(SrtpSsrcTable, NewSsrcsBeyondTheCapacityAreRefusedNotAllocated) {
  const auto keys = make_key_pair(SrtpProfile::kAeadAes128Gcm);
  SrtpSession a(keys.a);
  SrtpSession b(keys.b);
  for (std::uint32_t i = 0; i <= kMaxSsrcsPerDirection; ++i) {
    auto p = make_rtp(1, 0x1000 + i);
    const bool sent = a.protect_rtp(p.data(), p.len, p.buf.size());
    EXPECT_EQ(sent, i < kMaxSsrcsPerDirection) << i;
  }
  EXPECT_EQ(a.counters().protect_failures, 1u);

  SrtpSession c(keys.a); // a second sender with the same key: it has its own slots
  for (std::uint32_t i = 0; i <= kMaxSsrcsPerDirection; ++i) {
    auto p = make_rtp(1, i < 4 ? 0x1000 + i : 0x2000 + i);
    SrtpSession& from = i < 4 ? a : c;
    ASSERT_TRUE(from.protect_rtp(p.data(), p.len, p.buf.size()));
    EXPECT_EQ(b.unprotect_rtp(p.data(), p.len), i < kMaxSsrcsPerDirection) << i;
  }
  EXPECT_EQ(b.counters().other_failures, 1u);
  // Known SSRCs keep working.
  auto p = make_rtp(2, 0x1000);
  ASSERT_TRUE(a.protect_rtp(p.data(), p.len, p.buf.size()));
  EXPECT_TRUE(b.unprotect_rtp(p.data(), p.len));
}

TEST(SrtpSsrcTable, ForgeriesFromNewSsrcsTakeNoSlot) {
  const auto keys = make_key_pair(SrtpProfile::kAes128CmSha1_80);
  SrtpSession a(keys.a);
  SrtpSession b(keys.b);
  for (std::uint32_t i = 0; i < 3 * kMaxSsrcsPerDirection; ++i) {
    auto p = make_rtp(1, 0x5000 + i);
    p.len += srtp_overhead(SrtpProfile::kAes128CmSha1_80, false); // garbage tag
    EXPECT_FALSE(b.unprotect_rtp(p.data(), p.len));
  }
  EXPECT_EQ(b.counters().auth_failures, 3 * kMaxSsrcsPerDirection);
  auto p = make_rtp(1);
  ASSERT_TRUE(a.protect_rtp(p.data(), p.len, p.buf.size()));
  EXPECT_TRUE(b.unprotect_rtp(p.data(), p.len));
}

TEST(SrtpRoc, SeveralWrapsInOrderAndALatePacketFromBeforeAWrap) {
  const auto keys = make_key_pair(SrtpProfile::kAeadAes128Gcm);
  SrtpSession a(keys.a);
  SrtpSession b(keys.b);
  testing::Packet late;
  std::uint16_t seq = 60000;
  for (int i = 0; i < 3 * 65536 / 500; ++i) {
    seq = static_cast<std::uint16_t>(seq + 500); // gaps well under half the space
    auto p = make_rtp(seq, 0x11223344, 10);
    ASSERT_TRUE(a.protect_rtp(p.data(), p.len, p.buf.size()));
    if (i == 11) {
      late = p; // seq 65500, ROC 0
      continue;
    }
    ASSERT_TRUE(b.unprotect_rtp(p.data(), p.len)) << i;
    if (i == 12) { // seq 464 after the wrap: the late one is still inside the window
      auto l = late;
      EXPECT_TRUE(b.unprotect_rtp(l.data(), l.len));
    }
  }
  EXPECT_EQ(b.counters().auth_failures, 0u);
  EXPECT_EQ(b.counters().replays, 0u);
}

TEST(SrtpRtcp, IndexIsPerSsrcAndSurvivesMany) {
  const auto keys = make_key_pair(SrtpProfile::kAes128CmSha1_80);
  SrtpSession a(keys.a);
  SrtpSession b(keys.b);
  for (int i = 0; i < 300; ++i) {
    auto p = make_rtcp(i % 2 ? 0x1111 : 0x2222);
    ASSERT_TRUE(a.protect_rtcp(p.data(), p.len, p.buf.size()));
    ASSERT_TRUE(b.unprotect_rtcp(p.data(), p.len)) << i;
  }
}

} // namespace
} // namespace wab::srtp

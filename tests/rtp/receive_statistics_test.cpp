#include "rtp/receive_statistics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "rtp/rtcp_writer.hpp"

namespace wab::rtp {
namespace {

constexpr std::uint32_t kRate = 48000;
const TimePoint kT0 = TimePoint{} + std::chrono::hours(1);

// Packet i of a 20 ms stream: seq base+i, ts 960*i, arriving at 20 ms * i (+ extra delay).
void deliver(ReceiveStatistics& s, std::uint16_t base, int i,
             microseconds extra = microseconds(0)) {
  s.on_packet(static_cast<std::uint16_t>(base + i), 960u * static_cast<std::uint32_t>(i),
              kT0 + milliseconds(20 * i) + extra);
}

TEST(ReceiveStatistics, PerfectStreamHasNoLossNoJitter) {
  ReceiveStatistics s(5, kRate);
  for (int i = 0; i < 100; ++i)
    deliver(s, 1000, i);
  EXPECT_EQ(s.packets_received(), 100u);
  EXPECT_EQ(s.expected(), 100);
  EXPECT_EQ(s.cumulative_lost(), 0);
  EXPECT_EQ(s.extended_highest_sequence(), 1099u);
  EXPECT_EQ(s.jitter(), 0u);
  const ReportBlock b = s.make_report_block(kT0 + seconds(2));
  EXPECT_EQ(b.ssrc, 5u);
  EXPECT_EQ(b.fraction_lost, 0);
  EXPECT_EQ(b.cumulative_lost, 0);
  EXPECT_EQ(b.last_sr, 0u);
  EXPECT_EQ(b.delay_since_last_sr, 0u);
}

TEST(ReceiveStatistics, LossAndReorderingPerInterval) {
  ReceiveStatistics s(5, kRate);
  // Interval 1: packets 0..99, with 10 lost (every 10th from 5) and 20/21 swapped.
  for (int i = 0; i < 100; ++i) {
    if (i % 10 == 5) continue;
    if (i == 20) {
      deliver(s, 0, 21);
      deliver(s, 0, 20);
      continue;
    }
    if (i == 21) continue;
    deliver(s, 0, i);
  }
  EXPECT_EQ(s.expected(), 100);
  EXPECT_EQ(s.cumulative_lost(), 10);
  ReportBlock b1 = s.make_report_block(kT0);
  EXPECT_EQ(b1.fraction_lost, (10 * 256) / 100); // 25
  EXPECT_EQ(b1.cumulative_lost, 10);
  EXPECT_EQ(b1.extended_highest_sequence, 99u);

  // Interval 2: packets 100..149 all arrive: fraction resets to 0, cumulative stays.
  for (int i = 100; i < 150; ++i)
    deliver(s, 0, i);
  ReportBlock b2 = s.make_report_block(kT0);
  EXPECT_EQ(b2.fraction_lost, 0);
  EXPECT_EQ(b2.cumulative_lost, 10);
  EXPECT_EQ(b2.extended_highest_sequence, 149u);
}

TEST(ReceiveStatistics, DuplicatesMakeLossNegative) {
  ReceiveStatistics s(5, kRate);
  for (int i = 0; i < 10; ++i)
    deliver(s, 0, i);
  deliver(s, 0, 9);
  deliver(s, 0, 8);
  EXPECT_EQ(s.cumulative_lost(), -2);
  EXPECT_EQ(s.make_report_block(kT0).cumulative_lost, -2);
}

TEST(ReceiveStatistics, SequenceWrapCountsCycles) {
  ReceiveStatistics s(5, kRate);
  for (int i = 0; i < 20; ++i)
    deliver(s, 65530, i); // 65530 .. 65535, 0 .. 13
  EXPECT_EQ(s.extended_highest_sequence(), 65536u + 13u);
  EXPECT_EQ(s.expected(), 20);
  EXPECT_EQ(s.cumulative_lost(), 0);
  // A late pre-wrap packet does not count as another wrap.
  s.on_packet(65534, 0, kT0);
  EXPECT_EQ(s.extended_highest_sequence(), 65536u + 13u);
}

TEST(ReceiveStatistics, LargeJumpNeedsConfirmationThenRestarts) {
  ReceiveStatistics s(5, kRate);
  for (int i = 0; i < 10; ++i)
    deliver(s, 100, i);
  s.on_packet(40000, 0, kT0); // one stray packet: ignored
  EXPECT_EQ(s.packets_received(), 10u);
  EXPECT_EQ(s.extended_highest_sequence(), 109u);
  s.on_packet(20000, 0, kT0);
  s.on_packet(20001, 960, kT0 + milliseconds(20)); // confirms: the sender restarted
  EXPECT_EQ(s.extended_highest_sequence(), 20001u);
  EXPECT_EQ(s.packets_received(), 1u);
  EXPECT_EQ(s.expected(), 1);
}

TEST(ReceiveStatistics, JitterFollowsRfcEstimator) {
  ReceiveStatistics s(5, kRate);
  // Odd packets arrive 5 ms late: |D| = 240 units for every pair after the first.
  double reference = 0;
  for (int i = 0; i < 200; ++i) {
    deliver(s, 0, i, microseconds(i % 2 ? 5000 : 0));
    if (i > 0) reference += (240.0 - reference) / 16.0;
  }
  EXPECT_NEAR(static_cast<double>(s.jitter()), reference, 1.0);
  EXPECT_GT(s.jitter(), 230u);
  EXPECT_EQ(s.make_report_block(kT0).jitter, s.jitter());

  // Constant extra delay is not jitter.
  ReceiveStatistics steady(6, kRate);
  for (int i = 0; i < 50; ++i)
    deliver(steady, 0, i, milliseconds(70));
  EXPECT_EQ(steady.jitter(), 0u);
}

TEST(ReceiveStatistics, LsrAndDlsrFromLastSenderReport) {
  ReceiveStatistics s(5, kRate);
  deliver(s, 0, 0);
  const std::uint64_t ntp = 0x0123456789abcdefull;
  s.on_sender_report(ntp, kT0 + seconds(1));
  const ReportBlock b = s.make_report_block(kT0 + seconds(1) + milliseconds(1500));
  EXPECT_EQ(b.last_sr, ntp_middle32(ntp));
  EXPECT_EQ(b.delay_since_last_sr, 98304u); // 1.5 s in 1/65536 s
}

} // namespace
} // namespace wab::rtp

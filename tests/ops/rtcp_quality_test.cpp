// Reception-report reading for the per-leg RTCP metrics: finding the block about our stream in
// SR/RR compounds, the loss/jitter/RTT arithmetic, and malformed input never read past its end.
#include "rtp/rtcp_quality.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "rtp/rtcp_writer.hpp"

namespace wab::rtp {
namespace {

ReportBlock block(std::uint32_t ssrc, std::uint8_t fraction, std::int32_t lost,
                  std::uint32_t jitter, std::uint32_t lsr = 0, std::uint32_t dlsr = 0) {
  ReportBlock b;
  b.ssrc = ssrc;
  b.fraction_lost = fraction;
  b.cumulative_lost = lost;
  b.extended_highest_sequence = 1000;
  b.jitter = jitter;
  b.last_sr = lsr;
  b.delay_since_last_sr = dlsr;
  return b;
}

std::vector<std::uint8_t> rr(std::uint32_t sender, std::vector<ReportBlock> blocks) {
  std::vector<std::uint8_t> out(8 + 24 * blocks.size());
  out.resize(write_receiver_report(MutableBytes(out.data(), out.size()), sender, blocks));
  return out;
}

TEST(RtcpQuality, FindsTheBlockAboutOurStreamInAReceiverReport) {
  const auto packet = rr(7, {block(1, 0, 0, 0), block(42, 64, 12, 480)});
  const auto found = find_report_block(packet, 42);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->fraction_lost, 64);
  EXPECT_EQ(found->cumulative_lost, 12);
  EXPECT_EQ(found->jitter, 480u);
  EXPECT_FALSE(find_report_block(packet, 99));
}

TEST(RtcpQuality, FindsTheBlockInASenderReportFollowedBySdes) {
  std::uint8_t buf[256];
  SenderInfo info;
  info.ssrc = 5;
  const ReportBlock blocks[] = {block(42, 128, -3, 96)};
  std::size_t len = write_sender_report(MutableBytes(buf, sizeof buf), info, blocks);
  ASSERT_GT(len, 0u);
  len += write_sdes_cname(MutableBytes(buf + len, sizeof buf - len), 5, "peer");
  const auto found = find_report_block(Bytes(buf, len), 42);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->fraction_lost, 128);
  EXPECT_EQ(found->cumulative_lost, -3);
}

TEST(RtcpQuality, TheLastBlockOfACompoundWins) {
  auto compound = rr(7, {block(42, 10, 1, 1)});
  const auto second = rr(7, {block(42, 20, 2, 2)});
  compound.insert(compound.end(), second.begin(), second.end());
  EXPECT_EQ(find_report_block(compound, 42)->fraction_lost, 20);
}

TEST(RtcpQuality, LossJitterAndRoundTrip) {
  // NTP now = 1000 s + 0.5 s; the far end got our SR at 1000.25 and held it 0.125 s: RTT 0.125 s.
  const std::uint64_t now = (1000ull << 32) | 0x80000000ull;
  const std::uint32_t lsr = static_cast<std::uint32_t>(((1000ull << 32) | 0x40000000ull) >> 16);
  const auto q = quality_of(block(42, 64, 12, 480, lsr, 0x2000), 48000, now);
  EXPECT_DOUBLE_EQ(q.fraction_lost, 0.25);
  EXPECT_EQ(q.cumulative_lost, 12);
  EXPECT_DOUBLE_EQ(q.jitter_seconds, 0.01);
  ASSERT_TRUE(q.rtt_seconds);
  EXPECT_DOUBLE_EQ(*q.rtt_seconds, 0.125);
}

TEST(RtcpQuality, RoundTripAcrossTheMiddle32BitWrap) {
  const std::uint64_t now = 0x0000000100000000ull + 0x0000000000010000ull; // mid32 = 0x00010001
  const auto q = quality_of(block(42, 0, 0, 0, 0xffff0000u, 0), 48000, now);
  ASSERT_TRUE(q.rtt_seconds);
  EXPECT_NEAR(*q.rtt_seconds, (0x10001 + 0x10000) / 65536.0, 1e-9);
}

TEST(RtcpQuality, NoRoundTripWithoutAnSrOrWhenNegative) {
  const std::uint64_t now = 1000ull << 32;
  EXPECT_FALSE(quality_of(block(42, 0, 0, 0, 0, 0), 48000, now).rtt_seconds);
  // LSR + DLSR later than now: a stepped clock or a lying peer, not a huge RTT.
  const auto mid = static_cast<std::uint32_t>(now >> 16);
  EXPECT_FALSE(quality_of(block(42, 0, 0, 0, mid, 0x10000), 48000, now).rtt_seconds);
}

TEST(RtcpQuality, MalformedInputYieldsNothing) {
  const auto packet = rr(7, {block(42, 64, 12, 480)});
  for (std::size_t cut = 0; cut < packet.size(); ++cut) {
    EXPECT_FALSE(find_report_block(Bytes(packet.data(), cut), 42)) << cut;
  }
  // A report count larger than the packet holds.
  auto lying = packet;
  lying[0] = static_cast<std::uint8_t>((lying[0] & 0xe0) | 5);
  EXPECT_FALSE(find_report_block(lying, 42));
}

TEST(RtcpQuality, RandomBytesAreHandled) {
  // A short in-test fuzz (the compound reader has its own libFuzzer target): any bytes, any
  // length, never a crash or a read out of bounds (the sanitizer build checks that).
  std::mt19937 rng(7);
  const auto valid = rr(7, {block(42, 1, 1, 1), block(43, 2, 2, 2)});
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::uint8_t> data = valid;
    data.resize(rng() % 80);
    for (auto& b : data) {
      if (rng() % 4 == 0) b = static_cast<std::uint8_t>(rng());
    }
    if (auto found = find_report_block(data, 42)) {
      (void)quality_of(*found, 48000, rng());
    }
  }
}

} // namespace
} // namespace wab::rtp

// Durations from the Opus TOC byte (RFC 6716 §3.1), the basis of pacing stored announcements.
#include <gtest/gtest.h>

#include <vector>

#include "rtp/opus.hpp"

namespace wab::rtp {
namespace {

std::uint32_t samples_of(std::vector<std::uint8_t> packet) {
  return opus_packet_samples(packet);
}

TEST(OpusPacket, FrameSizesOfEachModeAndFrameCount) {
  EXPECT_EQ(samples_of({0xF8, 0xFF, 0xFE}), 960u); // CELT FB 20 ms, one frame (our silence)
  EXPECT_EQ(samples_of({0x08}), 960u);             // SILK NB 20 ms
  EXPECT_EQ(samples_of({0x18}), 2880u);            // SILK NB 60 ms
  EXPECT_EQ(samples_of({0x60}), 480u);             // hybrid SWB 10 ms
  EXPECT_EQ(samples_of({0x80}), 120u);             // CELT NB 2.5 ms
  EXPECT_EQ(samples_of({0xF9, 0, 0}), 1920u);      // code 1: two equal frames
  EXPECT_EQ(samples_of({0xFA, 0, 0}), 1920u);      // code 2: two frames
  EXPECT_EQ(samples_of({0xFB, 0x03}), 2880u);      // code 3: three frames
}

TEST(OpusPacket, RejectsEmptyTruncatedAndOverlongPackets) {
  EXPECT_EQ(samples_of({}), 0u);
  EXPECT_EQ(samples_of({0xFB}), 0u);       // code 3 without its frame count byte
  EXPECT_EQ(samples_of({0xFB, 0x00}), 0u); // zero frames
  EXPECT_EQ(samples_of({0xFB, 0x07}), 0u); // 7 × 20 ms > 120 ms
  EXPECT_EQ(samples_of({0x1B, 0x03}), 0u); // 3 × 60 ms
}

} // namespace
} // namespace wab::rtp

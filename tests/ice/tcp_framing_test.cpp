#include "ice/tcp_framing.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wab::ice {
namespace {

std::vector<std::uint8_t> framed(const std::vector<std::string>& payloads) {
  std::vector<std::uint8_t> out;
  for (const auto& p : payloads) {
    const auto header = frame_header(p.size());
    out.insert(out.end(), header->begin(), header->end());
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

// Feeds `stream` in pieces of `step` bytes and returns the frames as strings.
std::vector<std::string> read_in_steps(std::vector<std::uint8_t> stream, std::size_t step) {
  FrameReader reader;
  std::vector<std::string> frames;
  for (std::size_t at = 0; at < stream.size(); at += step) {
    const std::size_t n = std::min(step, stream.size() - at);
    reader.feed(MutableBytes(stream.data() + at, n), [&](MutableBytes f) {
      frames.emplace_back(reinterpret_cast<const char*>(f.data()), f.size());
    });
  }
  EXPECT_EQ(reader.buffered(), 0u);
  return frames;
}

TEST(TcpFraming, HeaderIsTheBigEndianLength) {
  EXPECT_EQ(*frame_header(0), (std::array<std::uint8_t, 2>{0, 0}));
  EXPECT_EQ(*frame_header(0x1234), (std::array<std::uint8_t, 2>{0x12, 0x34}));
  EXPECT_EQ(*frame_header(65535), (std::array<std::uint8_t, 2>{0xff, 0xff}));
  EXPECT_FALSE(frame_header(65536).has_value());
}

TEST(TcpFraming, FramesComeOutWholeHoweverTheStreamIsCut) {
  const std::vector<std::string> payloads = {
      "a", "stun binding request", std::string(1500, 'x'), "", "dtls", std::string(65535, 'm')};
  const std::vector<std::string> expected = {payloads[0], payloads[1], payloads[2], payloads[4],
                                             payloads[5]}; // the empty frame is skipped
  const auto stream = framed(payloads);
  for (std::size_t step : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7},
                           std::size_t{1500}, std::size_t{4096}, stream.size()}) {
    EXPECT_EQ(read_in_steps(stream, step), expected) << "step " << step;
  }
}

TEST(TcpFraming, WholeFramesInAChunkAreDeliveredInPlace) {
  auto stream = framed({"one", "two"});
  FrameReader reader;
  std::vector<const std::uint8_t*> where;
  EXPECT_EQ(reader.feed(MutableBytes(stream), [&](MutableBytes f) { where.push_back(f.data()); }),
            2u);
  ASSERT_EQ(where.size(), 2u);
  EXPECT_EQ(where[0], stream.data() + 2);
  EXPECT_EQ(where[1], stream.data() + 7);
}

TEST(TcpFraming, IncompleteFrameWaitsForTheRest) {
  auto stream = framed({"hello"});
  FrameReader reader;
  int frames = 0;
  reader.feed(MutableBytes(stream.data(), 4), [&](MutableBytes) { ++frames; });
  EXPECT_EQ(frames, 0);
  EXPECT_EQ(reader.buffered(), 4u);
  reader.reset(); // a new connection starts clean
  EXPECT_EQ(reader.buffered(), 0u);
}

} // namespace
} // namespace wab::ice

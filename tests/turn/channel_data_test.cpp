#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "turn/channel_data.hpp"

namespace wab::turn {
namespace {

TEST(TurnChannelData, RoundTripsAndPadsOnlyOverStreams) {
  const std::vector<std::uint8_t> payload = {1, 2, 3, 4, 5};
  std::array<std::uint8_t, 64> buf{};
  const std::size_t udp = write_channel_data(buf, 0x4001, payload, false);
  EXPECT_EQ(udp, 9u);
  auto cd = parse_channel_data(Bytes(buf.data(), udp));
  ASSERT_TRUE(cd);
  EXPECT_EQ(cd->channel, 0x4001);
  EXPECT_EQ(std::vector<std::uint8_t>(cd->data.begin(), cd->data.end()), payload);
  const std::size_t tcp = write_channel_data(buf, 0x4001, payload, true);
  EXPECT_EQ(tcp, 12u);
  EXPECT_EQ(stream_frame_size(Bytes(buf.data(), tcp)), 12u);
  EXPECT_EQ(stream_frame_size(Bytes(buf.data(), 11)), 0u); // incomplete
}

TEST(TurnChannelData, RejectsBadChannelsAndLengths) {
  std::array<std::uint8_t, 8> buf{};
  EXPECT_EQ(write_channel_data(buf, 0x3FFF, {}, false), 0u);
  EXPECT_EQ(write_channel_data(buf, 0x5000, {}, false), 0u);
  const std::array<std::uint8_t, 6> big{};
  EXPECT_EQ(write_channel_data(buf, 0x4000, big, true), 0u); // 12 bytes do not fit in 8
  const std::uint8_t too_long[] = {0x40, 0x00, 0x00, 0x09, 1, 2, 3};
  EXPECT_FALSE(parse_channel_data(too_long));
  const std::uint8_t bad_channel[] = {0x50, 0x00, 0x00, 0x00};
  EXPECT_FALSE(parse_channel_data(bad_channel));
  const std::uint8_t junk[] = {0x99, 0, 0, 0};
  EXPECT_FALSE(stream_frame_size(junk));
  EXPECT_FALSE(is_channel_data(junk));
}

} // namespace
} // namespace wab::turn

#include "turn/stream_reader.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "stun/builder.hpp"
#include "turn/channel_data.hpp"

namespace wab::turn {
namespace {

std::vector<std::uint8_t> stun_request() {
  std::array<std::uint8_t, 64> buf{};
  stun::MessageBuilder b(buf, stun::Method::binding, stun::MessageClass::request,
                         stun::TransactionId{});
  b.add_u32(stun::attr::lifetime, 600);
  return {b.bytes().begin(), b.bytes().end()};
}

std::vector<std::uint8_t> channel_data(std::size_t data_size) {
  std::vector<std::uint8_t> data(data_size, 0xab);
  std::vector<std::uint8_t> out(channel_data_size(data_size, true));
  write_channel_data(out, 0x4001, data, true);
  return out;
}

TEST(TurnStreamReader, SplitsMessagesWhateverTheChunks) {
  std::vector<std::uint8_t> stream = stun_request();
  const auto cd = channel_data(5); // padded to 12
  stream.insert(stream.end(), cd.begin(), cd.end());
  const auto big = channel_data(1200);
  stream.insert(stream.end(), big.begin(), big.end());
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{7}, stream.size()}) {
    StreamReader reader;
    std::vector<std::size_t> sizes;
    for (std::size_t i = 0; i < stream.size(); i += chunk) {
      const std::size_t n = std::min(chunk, stream.size() - i);
      ASSERT_TRUE(reader.feed(Bytes(stream.data() + i, n),
                              [&](MutableBytes m) { sizes.push_back(m.size()); }));
    }
    EXPECT_EQ(sizes, (std::vector<std::size_t>{stun_request().size(), 12u, 1204u})) << chunk;
    EXPECT_EQ(reader.buffered(), 0u);
  }
}

TEST(TurnStreamReader, HoldsAnIncompleteMessage) {
  const auto cd = channel_data(100);
  StreamReader reader;
  int messages = 0;
  EXPECT_TRUE(reader.feed(Bytes(cd.data(), 50), [&](MutableBytes) { ++messages; }));
  EXPECT_EQ(messages, 0);
  EXPECT_EQ(reader.buffered(), 50u);
  EXPECT_TRUE(reader.feed(Bytes(cd.data() + 50, cd.size() - 50), [&](MutableBytes m) {
    ++messages;
    EXPECT_EQ(m.size(), 104u);
  }));
  EXPECT_EQ(messages, 1);
}

TEST(TurnStreamReader, JunkBreaksTheStreamForGood) {
  StreamReader reader;
  const std::uint8_t junk[] = {0x16, 0x03, 0x01, 0x00, 0x10}; // a TLS record: wrong transport
  int messages = 0;
  EXPECT_FALSE(reader.feed(junk, [&](MutableBytes) { ++messages; }));
  EXPECT_TRUE(reader.broken());
  const auto cd = channel_data(4);
  EXPECT_FALSE(reader.feed(cd, [&](MutableBytes) { ++messages; }));
  EXPECT_EQ(messages, 0);
}

} // namespace
} // namespace wab::turn

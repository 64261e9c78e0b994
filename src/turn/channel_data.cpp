#include "turn/channel_data.hpp"

#include <cstring>

#include "stun/constants.hpp"

namespace wab::turn {

std::optional<ChannelData> parse_channel_data(Bytes message) {
  if (message.size() < kChannelDataHeaderSize) return std::nullopt;
  const std::uint16_t channel = load_be16(message.data());
  const std::uint16_t length = load_be16(message.data() + 2);
  if (channel < kFirstChannel || channel > kLastChannel) return std::nullopt;
  if (length > message.size() - kChannelDataHeaderSize) return std::nullopt;
  return ChannelData{channel, message.subspan(kChannelDataHeaderSize, length)};
}

std::size_t channel_data_size(std::size_t data_size, bool stream) {
  const std::size_t n = kChannelDataHeaderSize + data_size;
  return stream ? (n + 3) & ~std::size_t{3} : n;
}

std::size_t write_channel_data(MutableBytes out, std::uint16_t channel, Bytes data, bool stream) {
  const std::size_t n = channel_data_size(data.size(), stream);
  if (channel < kFirstChannel || channel > kLastChannel || data.size() > 0xFFFF || n > out.size()) {
    return 0;
  }
  store_be16(out.data(), channel);
  store_be16(out.data() + 2, static_cast<std::uint16_t>(data.size()));
  if (!data.empty()) std::memmove(out.data() + kChannelDataHeaderSize, data.data(), data.size());
  std::memset(out.data() + kChannelDataHeaderSize + data.size(), 0,
              n - kChannelDataHeaderSize - data.size());
  return n;
}

std::optional<std::size_t> stream_frame_size(Bytes buffer) {
  if (buffer.size() < 4) return 0;
  const std::uint8_t first = buffer[0];
  const std::size_t length = load_be16(buffer.data() + 2);
  if (first <= 3) {
    if (buffer.size() >= 8 && load_be32(buffer.data() + 4) != stun::kMagicCookie) {
      return std::nullopt;
    }
    if (length % 4 != 0) return std::nullopt;
    const std::size_t n = stun::kHeaderSize + length;
    return buffer.size() >= n ? n : 0;
  }
  if (first >= 64 && first <= 79) {
    const std::size_t n = channel_data_size(length, true);
    return buffer.size() >= n ? n : 0;
  }
  return std::nullopt;
}

} // namespace wab::turn

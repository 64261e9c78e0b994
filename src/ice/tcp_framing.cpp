#include "ice/tcp_framing.hpp"

#include <algorithm>

namespace wab::ice {

std::optional<std::array<std::uint8_t, kFrameHeaderSize>> frame_header(std::size_t length) {
  if (length > kMaxFrameSize) return std::nullopt;
  std::array<std::uint8_t, kFrameHeaderSize> header;
  store_be16(header.data(), static_cast<std::uint16_t>(length));
  return header;
}

FrameReader::FrameReader() : partial_(kFrameHeaderSize + kMaxFrameSize) {}

MutableBytes FrameReader::absorb(MutableBytes& chunk) {
  // First the header, then exactly the rest of this frame: never bytes of the next one.
  std::size_t wanted = kFrameHeaderSize;
  if (partial_size_ >= kFrameHeaderSize) wanted += load_be16(partial_.data());
  const std::size_t take = std::min(wanted - partial_size_, chunk.size());
  std::memcpy(partial_.data() + partial_size_, chunk.data(), take);
  partial_size_ += take;
  chunk = chunk.subspan(take);
  if (partial_size_ < kFrameHeaderSize) return {};
  const std::size_t length = load_be16(partial_.data());
  if (partial_size_ < kFrameHeaderSize + length) return {};
  partial_size_ = 0;
  return MutableBytes(partial_.data() + kFrameHeaderSize, length);
}

} // namespace wab::ice

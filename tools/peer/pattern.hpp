#pragma once
// The payloads every interop peer sends and checks (docs/INTEROP.md), so that "arrived" means
// "arrived byte-identical".
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace wab::peer {

inline constexpr std::size_t kPatternPackets = 100;
inline constexpr std::size_t kPatternPayloadSize = 60;
inline constexpr std::size_t kBigMessageSize = 204800;

// pattern(i): a valid Opus TOC (CELT FB 20 ms, mono, one frame), the index, then a ramp.
inline void fill_rtp_pattern(std::size_t index, std::span<std::uint8_t> out) {
  out[0] = 0xF8;
  out[1] = static_cast<std::uint8_t>(index >> 8);
  out[2] = static_cast<std::uint8_t>(index);
  for (std::size_t k = 3; k < kPatternPayloadSize; ++k) {
    out[k] = static_cast<std::uint8_t>((index * 31 + k) & 0xff);
  }
}

// The index of a payload that equals pattern(index), or nullopt.
inline std::optional<std::size_t> match_rtp_pattern(std::span<const std::uint8_t> payload) {
  if (payload.size() != kPatternPayloadSize || payload[0] != 0xF8) return std::nullopt;
  const std::size_t index = (std::size_t{payload[1]} << 8) | payload[2];
  if (index >= kPatternPackets) return std::nullopt;
  for (std::size_t k = 3; k < kPatternPayloadSize; ++k) {
    if (payload[k] != static_cast<std::uint8_t>((index * 31 + k) & 0xff)) return std::nullopt;
  }
  return index;
}

inline std::vector<std::uint8_t> big_message() {
  std::vector<std::uint8_t> m(kBigMessageSize);
  for (std::size_t k = 0; k < m.size(); ++k)
    m[k] = static_cast<std::uint8_t>((k * 7 + 3) & 0xff);
  return m;
}

inline bool is_big_message(std::span<const std::uint8_t> m) {
  if (m.size() != kBigMessageSize) return false;
  for (std::size_t k = 0; k < m.size(); ++k) {
    if (m[k] != static_cast<std::uint8_t>((k * 7 + 3) & 0xff)) return false;
  }
  return true;
}

} // namespace wab::peer

#include "rtp/opus.hpp"

namespace wab::rtp {

std::uint32_t opus_packet_samples(Bytes packet) {
  if (packet.empty()) return 0;
  const unsigned config = packet[0] >> 3;
  // Frame sizes in units of 2.5 ms (120 samples at 48 kHz), RFC 6716 table 2.
  std::uint32_t frame_units = 0;
  if (config < 12) {
    constexpr std::uint32_t silk[] = {4, 8, 16, 24}; // 10, 20, 40, 60 ms
    frame_units = silk[config % 4];
  } else if (config < 16) {
    frame_units = config % 2 == 0 ? 4 : 8; // hybrid: 10, 20 ms
  } else {
    constexpr std::uint32_t celt[] = {1, 2, 4, 8}; // 2.5, 5, 10, 20 ms
    frame_units = celt[config % 4];
  }
  std::uint32_t frames = 0;
  switch (packet[0] & 0x3) {
  case 0: frames = 1; break;
  case 1:
  case 2: frames = 2; break;
  default:
    if (packet.size() < 2) return 0;
    frames = packet[1] & 0x3f;
    break;
  }
  const std::uint32_t samples = frames * frame_units * 120;
  // A packet longer than 120 ms is invalid (RFC 6716 §3.2.5).
  return samples <= 5760 ? samples : 0;
}

} // namespace wab::rtp

#pragma once
// Opus facts the forwarder needs without linking libopus.
#include <array>
#include <cstdint>

#include "common/bytes.hpp"

namespace wab::rtp {

// A complete 20 ms Opus packet that decodes to silence: TOC 0xF8 (CELT-only, fullband, 20 ms,
// mono, one frame) followed by a frame that codes digital silence. Sent as keep-alive media when a
// leg has nothing to forward (WhatsApp hangs up on legs with no media).
inline constexpr std::array<std::uint8_t, 3> kOpusSilenceFrame = {0xF8, 0xFF, 0xFE};

inline constexpr std::uint32_t kOpusClockRate = 48000;
// Timestamp units per 20 ms packet at 48 kHz.
inline constexpr std::uint32_t kOpusSamplesPer20ms = 960;

// Samples (at 48 kHz) one Opus packet decodes to, from its TOC byte and frame count (RFC 6716
// §3.1); 0 for an empty or malformed packet. Lets a player pace stored packets without decoding.
std::uint32_t opus_packet_samples(Bytes packet);

} // namespace wab::rtp

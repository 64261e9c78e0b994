#pragma once
// RTCP builders: each writes one packet into the caller's buffer and returns its length, or 0
// when the buffer is too small or the input exceeds what the format can carry (then nothing
// useful was written). Concatenate the results for a compound packet (SR/RR first). No
// allocation; any thread.
#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/bytes.hpp"
#include "rtp/rtcp.hpp"

namespace wab::rtp {

// NTP 32.32 timestamp (seconds since 1900) for a wall-clock time.
std::uint64_t ntp_from_system_time(std::chrono::system_clock::time_point t);
// The middle 32 bits of an NTP timestamp, as carried in LSR (RFC 3550 §6.4.1).
inline std::uint32_t ntp_middle32(std::uint64_t ntp) {
  return static_cast<std::uint32_t>(ntp >> 16);
}

// SR with up to 31 report blocks: 28 + 24 * blocks bytes.
std::size_t write_sender_report(MutableBytes out, const SenderInfo& sender,
                                std::span<const ReportBlock> blocks = {});
// RR with up to 31 report blocks: 8 + 24 * blocks bytes.
std::size_t write_receiver_report(MutableBytes out, std::uint32_t ssrc,
                                  std::span<const ReportBlock> blocks = {});
// SDES with one chunk holding one CNAME item (cname up to 255 bytes).
std::size_t write_sdes_cname(MutableBytes out, std::uint32_t ssrc, std::string_view cname);
// BYE for up to 31 SSRCs with an optional reason (up to 255 bytes).
std::size_t write_bye(MutableBytes out, std::span<const std::uint32_t> ssrcs,
                      std::string_view reason = {});

} // namespace wab::rtp

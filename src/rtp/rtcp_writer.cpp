#include "rtp/rtcp_writer.hpp"

#include <algorithm>
#include <cstring>

namespace wab::rtp {
namespace {

// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (Unix epoch).
constexpr std::uint64_t kNtpUnixOffsetSeconds = 2208988800ull;

void write_header(std::uint8_t* p, std::uint8_t count, RtcpType type, std::size_t size) {
  p[0] = static_cast<std::uint8_t>(0x80 | (count & 0x1f));
  p[1] = static_cast<std::uint8_t>(type);
  store_be16(p + 2, static_cast<std::uint16_t>(size / 4 - 1));
}

void write_report_block(std::uint8_t* p, const ReportBlock& b) {
  store_be32(p, b.ssrc);
  const std::int32_t lost = std::clamp<std::int32_t>(b.cumulative_lost, -0x800000, 0x7fffff);
  store_be32(p + 4, (std::uint32_t{b.fraction_lost} << 24) |
                        (static_cast<std::uint32_t>(lost) & 0xffffffu));
  store_be32(p + 8, b.extended_highest_sequence);
  store_be32(p + 12, b.jitter);
  store_be32(p + 16, b.last_sr);
  store_be32(p + 20, b.delay_since_last_sr);
}

std::size_t padded4(std::size_t n) {
  return (n + 3) & ~std::size_t{3};
}

} // namespace

std::uint64_t ntp_from_system_time(std::chrono::system_clock::time_point t) {
  const auto since_epoch =
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch());
  const auto ns = static_cast<std::uint64_t>(since_epoch.count());
  const std::uint64_t seconds = ns / 1'000'000'000ull;
  const std::uint64_t remainder = ns % 1'000'000'000ull;
  const std::uint64_t fraction = (remainder << 32) / 1'000'000'000ull;
  return ((seconds + kNtpUnixOffsetSeconds) << 32) | fraction;
}

std::size_t write_sender_report(MutableBytes out, const SenderInfo& sender,
                                std::span<const ReportBlock> blocks) {
  if (blocks.size() > kMaxReportBlocks) return 0;
  const std::size_t size = kRtcpHeaderSize + 24 + blocks.size() * kReportBlockSize;
  if (out.size() < size) return 0;
  std::uint8_t* p = out.data();
  write_header(p, static_cast<std::uint8_t>(blocks.size()), RtcpType::sender_report, size);
  store_be32(p + 4, sender.ssrc);
  store_be64(p + 8, sender.ntp_timestamp);
  store_be32(p + 16, sender.rtp_timestamp);
  store_be32(p + 20, sender.packet_count);
  store_be32(p + 24, sender.octet_count);
  for (std::size_t i = 0; i < blocks.size(); ++i)
    write_report_block(p + 28 + i * 24, blocks[i]);
  return size;
}

std::size_t write_receiver_report(MutableBytes out, std::uint32_t ssrc,
                                  std::span<const ReportBlock> blocks) {
  if (blocks.size() > kMaxReportBlocks) return 0;
  const std::size_t size = kRtcpHeaderSize + 4 + blocks.size() * kReportBlockSize;
  if (out.size() < size) return 0;
  std::uint8_t* p = out.data();
  write_header(p, static_cast<std::uint8_t>(blocks.size()), RtcpType::receiver_report, size);
  store_be32(p + 4, ssrc);
  for (std::size_t i = 0; i < blocks.size(); ++i)
    write_report_block(p + 8 + i * 24, blocks[i]);
  return size;
}

std::size_t write_sdes_cname(MutableBytes out, std::uint32_t ssrc, std::string_view cname) {
  if (cname.size() > 255) return 0;
  // SSRC + (type, length, text) + at least one terminating zero, padded to 32 bits.
  const std::size_t chunk = padded4(4 + 2 + cname.size() + 1);
  const std::size_t size = kRtcpHeaderSize + chunk;
  if (out.size() < size) return 0;
  std::uint8_t* p = out.data();
  std::memset(p, 0, size);
  write_header(p, 1, RtcpType::source_description, size);
  store_be32(p + 4, ssrc);
  p[8] = kSdesCname;
  p[9] = static_cast<std::uint8_t>(cname.size());
  if (!cname.empty()) std::memcpy(p + 10, cname.data(), cname.size());
  return size;
}

std::size_t write_bye(MutableBytes out, std::span<const std::uint32_t> ssrcs,
                      std::string_view reason) {
  if (ssrcs.size() > kMaxReportBlocks || reason.size() > 255) return 0;
  const std::size_t reason_bytes = reason.empty() ? 0 : padded4(1 + reason.size());
  const std::size_t size = kRtcpHeaderSize + 4 * ssrcs.size() + reason_bytes;
  if (out.size() < size) return 0;
  std::uint8_t* p = out.data();
  std::memset(p, 0, size);
  write_header(p, static_cast<std::uint8_t>(ssrcs.size()), RtcpType::bye, size);
  for (std::size_t i = 0; i < ssrcs.size(); ++i)
    store_be32(p + 4 + 4 * i, ssrcs[i]);
  if (!reason.empty()) {
    std::uint8_t* r = p + 4 + 4 * ssrcs.size();
    r[0] = static_cast<std::uint8_t>(reason.size());
    std::memcpy(r + 1, reason.data(), reason.size());
  }
  return size;
}

} // namespace wab::rtp

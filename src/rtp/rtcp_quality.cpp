#include "rtp/rtcp_quality.hpp"

namespace wab::rtp {

std::optional<ReportBlock> find_report_block(Bytes compound, std::uint32_t media_ssrc) {
  std::optional<ReportBlock> found;
  RtcpCompoundReader reader(compound);
  while (auto packet = reader.next()) {
    if (packet->packet_type() == static_cast<std::uint8_t>(RtcpType::sender_report)) {
      if (auto sr = SenderReportView::parse(*packet)) {
        for (std::size_t i = 0; i < sr->report_count(); ++i) {
          const auto block = sr->report_block(i);
          if (block.ssrc == media_ssrc) found = block;
        }
      }
    } else if (packet->packet_type() == static_cast<std::uint8_t>(RtcpType::receiver_report)) {
      if (auto rr = ReceiverReportView::parse(*packet)) {
        for (std::size_t i = 0; i < rr->report_count(); ++i) {
          const auto block = rr->report_block(i);
          if (block.ssrc == media_ssrc) found = block;
        }
      }
    }
  }
  return found;
}

ReportQuality quality_of(const ReportBlock& block, std::uint32_t clock_rate,
                         std::uint64_t ntp_now) {
  ReportQuality q;
  q.fraction_lost = block.fraction_lost / 256.0;
  q.cumulative_lost = block.cumulative_lost;
  if (clock_rate > 0) q.jitter_seconds = static_cast<double>(block.jitter) / clock_rate;
  if (block.last_sr != 0) {
    // The middle 32 bits of NTP time, 1/65536 s units; modular arithmetic handles the wrap.
    const auto now_mid = static_cast<std::uint32_t>(ntp_now >> 16);
    const std::uint32_t rtt = now_mid - block.last_sr - block.delay_since_last_sr;
    if (static_cast<std::int32_t>(rtt) >= 0) q.rtt_seconds = rtt / 65536.0;
  }
  return q;
}

} // namespace wab::rtp

// RTCP compound walk plus every typed view (the parsed packets must tile the input), and the
// link-quality reading of report blocks.
#include <cstdint>
#include <cstdlib>

#include "rtp/rtcp.hpp"
#include "rtp/rtcp_quality.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace wab::rtp;
  const wab::Bytes input(data, size);
  RtcpCompoundReader reader(input);
  std::uint64_t sink = 0;
  while (auto packet = reader.next()) {
    const auto bytes = packet->bytes();
    if (bytes.size() < kRtcpHeaderSize || bytes.data() < data ||
        bytes.data() + bytes.size() > data + size) {
      std::abort();
    }
    if (auto sr = SenderReportView::parse(*packet)) {
      sink += sr->sender().ntp_timestamp;
      for (std::size_t i = 0; i < sr->report_count(); ++i)
        sink += sr->report_block(i).jitter;
    }
    if (auto rr = ReceiverReportView::parse(*packet)) {
      for (std::size_t i = 0; i < rr->report_count(); ++i)
        sink += static_cast<std::uint32_t>(rr->report_block(i).cumulative_lost);
    }
    if (auto sdes = SdesReader::parse(*packet)) {
      while (auto item = sdes->next())
        sink += item->text.size();
      if (sdes->error()) std::abort(); // parse() promised a well-formed packet
    }
    if (auto bye = ByeView::parse(*packet)) {
      for (std::size_t i = 0; i < bye->ssrc_count(); ++i)
        sink += bye->ssrc(i);
      sink += bye->reason().size();
    }
    if (auto fb = FeedbackView::parse(*packet)) sink += fb->fci().size();
    if (auto app = AppView::parse(*packet)) sink += app->data().size();
    (void)packet->sender_ssrc();
  }
  // What a leg does with every RTCP datagram it receives: our report block and its link quality.
  if (size >= 4) {
    const std::uint32_t ssrc = (std::uint32_t{data[0]} << 24) | (std::uint32_t{data[1]} << 16) |
                               (std::uint32_t{data[2]} << 8) | data[3];
    if (auto block = find_report_block(input, ssrc)) {
      const auto quality = quality_of(*block, 48000, size);
      sink += static_cast<std::uint64_t>(quality.fraction_lost * 256) +
              static_cast<std::uint64_t>(quality.rtt_seconds.value_or(0));
    }
  }
  (void)validate_rtcp_compound(input);
  return static_cast<int>(sink & 0);
}

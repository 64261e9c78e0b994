#pragma once
// Link quality from RTCP reception reports (RFC 3550 §6.4.1): what the far end says about the
// stream we send it — loss, interarrival jitter and, from LSR/DLSR, the round-trip time.
// Zero-copy and allocation-free (it is called for every RTCP datagram a leg receives); malformed
// input yields nullopt. Value types; any thread.
#include <cstdint>
#include <optional>

#include "common/bytes.hpp"
#include "rtp/rtcp.hpp"

namespace wab::rtp {

struct ReportQuality {
  double fraction_lost = 0;         // 0..1, over the far end's last report interval
  std::int32_t cumulative_lost = 0; // since the stream started (negative with duplicates)
  double jitter_seconds = 0;
  std::optional<double> rtt_seconds; // absent until the far end got one of our SRs
};

// The last report block about `media_ssrc` in a compound datagram (SR or RR), or nullopt when
// none is there or the compound is malformed before one is found.
std::optional<ReportBlock> find_report_block(Bytes compound, std::uint32_t media_ssrc);

// `clock_rate` converts jitter from timestamp units; `ntp_now` is the current NTP time (32.32)
// for the round trip: now - LSR - DLSR (RFC 3550 §6.4.1), absent when LSR is 0 or the result
// would be negative (clock steps, a far end that lies).
ReportQuality quality_of(const ReportBlock& block, std::uint32_t clock_rate, std::uint64_t ntp_now);

} // namespace wab::rtp

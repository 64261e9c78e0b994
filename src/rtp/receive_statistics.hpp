#pragma once
// Reception statistics for one incoming SSRC, as RFC 3550 A.1 (sequence tracking with wrap and
// restart detection), A.3 (expected / lost / fraction lost per report interval) and A.8
// (interarrival jitter) define them; produces the report block an RR or SR carries.
//
// Sans-I/O: arrival times come from the caller. One per incoming stream; single-threaded.
#include <cstdint>
#include <optional>

#include "common/clock.hpp"
#include "rtp/rtcp.hpp"

namespace wab::rtp {

class ReceiveStatistics {
public:
  // `clock_rate`: RTP timestamp units per second (48000 for Opus).
  ReceiveStatistics(std::uint32_t ssrc, std::uint32_t clock_rate);

  // Feed every valid (authenticated) packet of this SSRC, in arrival order.
  void on_packet(std::uint16_t sequence, std::uint32_t rtp_timestamp, TimePoint arrival);
  // Feed the NTP timestamp of each SR from this SSRC, for LSR/DLSR.
  void on_sender_report(std::uint64_t ntp_timestamp, TimePoint arrival);

  // The block for the next RR/SR. Starts a new interval for fraction_lost, so call once per
  // report sent. `now` sets DLSR.
  ReportBlock make_report_block(TimePoint now);

  std::uint32_t ssrc() const { return ssrc_; }
  bool has_packets() const { return started_; }
  std::uint64_t packets_received() const { return received_; }
  // Cycles (wraps) in the high 16 bits, highest sequence number in the low 16.
  std::uint32_t extended_highest_sequence() const { return cycles_ + max_seq_; }
  std::int64_t expected() const;
  // Expected minus received: negative with duplicates, as the RFC allows.
  std::int64_t cumulative_lost() const;
  // Interarrival jitter in timestamp units.
  std::uint32_t jitter() const { return jitter_q4_ >> 4; }

private:
  void restart(std::uint16_t sequence);
  void update_jitter(std::uint32_t rtp_timestamp, TimePoint arrival);

  std::uint32_t ssrc_;
  std::uint32_t clock_rate_;

  bool started_ = false;
  std::uint16_t max_seq_ = 0;
  std::uint32_t cycles_ = 0; // count of wraps << 16
  std::uint32_t base_seq_ = 0;
  std::uint32_t bad_seq_ = 0; // RFC A.1: next sequence expected after a suspicious jump
  std::uint64_t received_ = 0;
  std::uint64_t received_prior_ = 0;
  std::int64_t expected_prior_ = 0;

  bool have_transit_ = false;
  TimePoint epoch_{}; // first arrival; arrival times are taken relative to it
  std::uint32_t last_transit_ = 0;
  std::uint32_t jitter_q4_ = 0; // jitter * 16, the RFC's fixed-point form

  std::optional<std::uint32_t> last_sr_; // middle 32 bits of the last SR's NTP
  TimePoint last_sr_arrival_{};
};

} // namespace wab::rtp

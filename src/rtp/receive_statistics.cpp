#include "rtp/receive_statistics.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "rtp/rtcp_writer.hpp"

namespace wab::rtp {
namespace {

constexpr std::uint32_t kSeqMod = 1u << 16;
constexpr std::uint16_t kMaxDropout = 3000;
constexpr std::uint16_t kMaxMisorder = 100;

} // namespace

ReceiveStatistics::ReceiveStatistics(std::uint32_t ssrc, std::uint32_t clock_rate)
    : ssrc_(ssrc), clock_rate_(clock_rate) {}

void ReceiveStatistics::restart(std::uint16_t sequence) {
  base_seq_ = sequence;
  max_seq_ = sequence;
  bad_seq_ = kSeqMod + 1; // so seq == bad_seq is false
  cycles_ = 0;
  received_ = 0;
  received_prior_ = 0;
  expected_prior_ = 0;
}

void ReceiveStatistics::on_packet(std::uint16_t sequence, std::uint32_t rtp_timestamp,
                                  TimePoint arrival) {
  // SRTP authentication already vouches for the source, so no probation period: the first
  // packet starts the sequence.
  if (!started_) {
    started_ = true;
    restart(sequence);
  } else {
    const auto udelta = static_cast<std::uint16_t>(sequence - max_seq_);
    if (udelta < kMaxDropout) {
      if (sequence < max_seq_) cycles_ += kSeqMod; // in order, with a permissible gap, wrapped
      max_seq_ = sequence;
    } else if (udelta <= kSeqMod - kMaxMisorder) {
      // A very large jump: believe it only if the next packet continues from it (the sender
      // restarted); otherwise ignore this packet entirely.
      if (sequence == bad_seq_) {
        restart(sequence);
      } else {
        bad_seq_ = (std::uint32_t{sequence} + 1) & (kSeqMod - 1);
        return;
      }
    }
    // else: duplicate or reordered within kMaxMisorder: counted, max unchanged.
  }
  ++received_;
  update_jitter(rtp_timestamp, arrival);
}

void ReceiveStatistics::update_jitter(std::uint32_t rtp_timestamp, TimePoint arrival) {
  if (!have_transit_) epoch_ = arrival;
  // Arrival in timestamp units; only differences matter, so the epoch and wrap are irrelevant.
  const auto since =
      std::chrono::duration_cast<std::chrono::microseconds>(arrival - epoch_).count();
  const auto arrival_units =
      static_cast<std::uint32_t>(static_cast<std::int64_t>(since) * clock_rate_ / 1'000'000);
  const std::uint32_t transit = arrival_units - rtp_timestamp;
  if (have_transit_) {
    const auto d = static_cast<std::int32_t>(transit - last_transit_);
    const std::uint32_t abs_d = d < 0 ? static_cast<std::uint32_t>(-static_cast<std::int64_t>(d))
                                      : static_cast<std::uint32_t>(d);
    // J += (|D| - J) / 16 in the RFC's scaled-by-16 integer form.
    jitter_q4_ += abs_d - ((jitter_q4_ + 8) >> 4);
  }
  last_transit_ = transit;
  have_transit_ = true;
}

void ReceiveStatistics::on_sender_report(std::uint64_t ntp_timestamp, TimePoint arrival) {
  last_sr_ = ntp_middle32(ntp_timestamp);
  last_sr_arrival_ = arrival;
}

std::int64_t ReceiveStatistics::expected() const {
  if (!started_) return 0;
  return static_cast<std::int64_t>(extended_highest_sequence()) - base_seq_ + 1;
}

std::int64_t ReceiveStatistics::cumulative_lost() const {
  return expected() - static_cast<std::int64_t>(received_);
}

ReportBlock ReceiveStatistics::make_report_block(TimePoint now) {
  ReportBlock b;
  b.ssrc = ssrc_;
  const std::int64_t expected_now = expected();
  b.cumulative_lost =
      static_cast<std::int32_t>(std::clamp<std::int64_t>(cumulative_lost(), -0x800000, 0x7fffff));
  b.extended_highest_sequence = extended_highest_sequence();
  b.jitter = jitter();

  const std::int64_t expected_interval = expected_now - expected_prior_;
  const std::int64_t received_interval =
      static_cast<std::int64_t>(received_) - static_cast<std::int64_t>(received_prior_);
  const std::int64_t lost_interval = expected_interval - received_interval;
  expected_prior_ = expected_now;
  received_prior_ = received_;
  b.fraction_lost = (expected_interval <= 0 || lost_interval <= 0)
                        ? 0
                        : static_cast<std::uint8_t>(std::min<std::int64_t>(
                              255, (lost_interval << 8) / expected_interval));

  if (last_sr_) {
    b.last_sr = *last_sr_;
    const auto delay =
        std::chrono::duration_cast<std::chrono::microseconds>(now - last_sr_arrival_);
    const std::int64_t units = std::max<std::int64_t>(0, delay.count()) * 65536 / 1'000'000;
    b.delay_since_last_sr = static_cast<std::uint32_t>(std::min<std::int64_t>(units, 0xffffffff));
  }
  return b;
}

} // namespace wab::rtp

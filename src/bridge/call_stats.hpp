#pragma once
// What one call measures about itself, for the metrics endpoint now and a dashboard later: media
// counters per direction, setup times, and the link quality each leg's far end reports over RTCP.
// Plain integers and doubles written on the loop thread by the call's media path (no locks, no
// allocation per packet) and read on the same thread by whoever lists the calls.
#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.hpp"

namespace wab::bridge {

struct MediaCounter {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0; // RTP header + payload, before SRTP
  void add(std::size_t len) {
    ++packets;
    bytes += len;
  }
  void add(const MediaCounter& other) {
    packets += other.packets;
    bytes += other.bytes;
  }
};

// The latest RTCP reception report about the stream we send on one leg.
struct LegQuality {
  std::uint64_t reports = 0; // report blocks about our stream received so far
  double fraction_lost = 0;  // 0..1, the far end's last interval
  std::int64_t cumulative_lost = 0;
  double jitter_seconds = 0;
  std::optional<double> rtt_seconds;
};

struct CallStats {
  MediaCounter to_agent;  // caller audio forwarded to the agent
  MediaCounter to_caller; // everything the caller gets: agent audio, silence, announcement
  // Since the connect webhook (placed calls: since they were placed).
  std::optional<Duration> pre_accept;        // Graph pre_accept answered 200
  std::optional<Duration> accept;            // Graph accept answered 200
  std::optional<Duration> first_agent_audio; // first agent packet sent to the caller
  LegQuality caller_leg;                     // what Meta's media server reports
  LegQuality agent_leg;                      // what the agent's peer reports
};

// One line of a live-call list.
struct CallSnapshot {
  std::string call_id;
  std::string phone_number_id;
  bool outbound = false;
  bool softphone = false; // a browser softphone call (no Meta)
  std::string phase;      // answering | accepted | ended
  Duration age{};
  CallStats stats;
};

} // namespace wab::bridge

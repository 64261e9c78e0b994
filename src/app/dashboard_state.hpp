#pragma once
// What the dashboard shows, kept from the call observer's callbacks and the once-a-second stats
// tick: the live calls (their setup timeline, transcript so far, packet rates) and the last 50
// ended calls with their cause. Every update returns the JSON of the event to push to the page;
// calls() is the whole picture (GET /api/calls and the first event of a stream). No I/O.
//
// Threads: the loop's thread only.
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bridge/call_stats.hpp"
#include "common/clock.hpp"

namespace wab::app {

class DashboardState {
public:
  static constexpr std::size_t kRecentCalls = 50;
  static constexpr std::size_t kTranscriptLines = 200; // per call, the latest

  // `wall_ms`: milliseconds since the epoch, for the page's clock times.
  nlohmann::json started(const bridge::CallSnapshot& call, std::int64_t wall_ms);
  nlohmann::json step(const bridge::CallSnapshot& call, std::string_view step,
                      std::int64_t wall_ms);
  nlohmann::json transcript(const std::string& call_id, std::string_view speaker,
                            const std::string& text, std::int64_t wall_ms);
  nlohmann::json ended(const bridge::CallSnapshot& call, const std::string& cause,
                       const std::string& outcome, std::int64_t wall_ms);
  // The live calls' figures now, packet rates since the previous tick included.
  nlohmann::json tick(const std::vector<bridge::CallSnapshot>& live, TimePoint now,
                      std::int64_t wall_ms);

  nlohmann::json calls() const; // {"live": [...], "recent": [...] newest first}
  std::size_t live_count() const { return live_.size(); }
  std::size_t recent_count() const { return recent_.size(); }

private:
  struct Line {
    std::string speaker;
    std::string text;
    std::int64_t wall_ms = 0;
  };
  struct Live {
    bridge::CallSnapshot last;
    std::int64_t started_wall_ms = 0;
    std::vector<std::pair<std::string, std::int64_t>> steps; // step, ms since the webhook
    std::deque<Line> transcript;
    // Packet rates, from the counters of the previous tick.
    TimePoint sampled_at{};
    std::uint64_t to_agent_packets = 0;
    std::uint64_t to_caller_packets = 0;
    double to_agent_pps = 0;
    double to_caller_pps = 0;
  };
  Live& entry(const bridge::CallSnapshot& call, std::int64_t wall_ms);
  static nlohmann::json call_json(const Live& live, bool with_transcript);

  std::map<std::string, Live> live_; // by call id
  std::deque<nlohmann::json> recent_;
};

} // namespace wab::app

#include "app/dashboard_state.hpp"

#include <cmath>

namespace wab::app {
namespace {

std::int64_t ms(Duration d) {
  return std::chrono::duration_cast<milliseconds>(d).count();
}

nlohmann::json optional_ms(const std::optional<Duration>& d) {
  return d ? nlohmann::json(ms(*d)) : nlohmann::json(nullptr);
}

// Two decimals are plenty on a screen and keep the events short.
double rounded(double v) {
  return std::round(v * 100) / 100;
}

nlohmann::json leg_json(const bridge::LegQuality& q) {
  return {{"reports", q.reports},
          {"loss_percent", rounded(q.fraction_lost * 100)},
          {"cumulative_lost", q.cumulative_lost},
          {"jitter_ms", rounded(q.jitter_seconds * 1000)},
          {"rtt_ms", q.rtt_seconds ? nlohmann::json(rounded(*q.rtt_seconds * 1000))
                                   : nlohmann::json(nullptr)}};
}

nlohmann::json line_json(const std::string& call_id, std::string_view speaker,
                         const std::string& text, std::int64_t wall_ms) {
  return {{"call_id", call_id}, {"speaker", speaker}, {"text", text}, {"ts", wall_ms}};
}

} // namespace

DashboardState::Live& DashboardState::entry(const bridge::CallSnapshot& call,
                                            std::int64_t wall_ms) {
  auto [it, inserted] = live_.try_emplace(call.call_id);
  if (inserted) it->second.started_wall_ms = wall_ms - ms(call.age);
  it->second.last = call;
  return it->second;
}

nlohmann::json DashboardState::call_json(const Live& live, bool with_transcript) {
  const bridge::CallSnapshot& c = live.last;
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& [name, at] : live.steps)
    steps.push_back({{"step", name}, {"at_ms", at}});
  nlohmann::json out = {
      {"call_id", c.call_id},
      {"phone_number_id", c.phone_number_id},
      {"direction", c.softphone  ? "softphone"
                    : c.outbound ? "outbound"
                                 : "inbound"},
      {"phase", c.phase},
      {"age_ms", ms(c.age)},
      {"started_ts", live.started_wall_ms},
      {"steps", steps},
      {"setup_ms",
       {{"pre_accept", optional_ms(c.stats.pre_accept)},
        {"accept", optional_ms(c.stats.accept)},
        {"first_agent_audio", optional_ms(c.stats.first_agent_audio)}}},
      {"media",
       {{"to_agent",
         {{"packets", c.stats.to_agent.packets},
          {"bytes", c.stats.to_agent.bytes},
          {"pps", rounded(live.to_agent_pps)}}},
        {"to_caller",
         {{"packets", c.stats.to_caller.packets},
          {"bytes", c.stats.to_caller.bytes},
          {"pps", rounded(live.to_caller_pps)}}}}},
      {"legs",
       {{"whatsapp", leg_json(c.stats.caller_leg)}, {"agent", leg_json(c.stats.agent_leg)}}}};
  if (with_transcript) {
    nlohmann::json lines = nlohmann::json::array();
    for (const Line& l : live.transcript)
      lines.push_back({{"speaker", l.speaker}, {"text", l.text}, {"ts", l.wall_ms}});
    out["transcript"] = std::move(lines);
  }
  return out;
}

nlohmann::json DashboardState::started(const bridge::CallSnapshot& call, std::int64_t wall_ms) {
  Live& live = entry(call, wall_ms);
  if (live.steps.empty()) live.steps.emplace_back(call.outbound ? "placed" : "webhook", 0);
  return call_json(live, true);
}

nlohmann::json DashboardState::step(const bridge::CallSnapshot& call, std::string_view step,
                                    std::int64_t wall_ms) {
  // The call's clock, not the wall's: steps line up with the setup figures.
  Live& live = entry(call, wall_ms);
  live.steps.emplace_back(std::string(step), ms(call.age));
  nlohmann::json out = call_json(live, false);
  out["step"] = step;
  return out;
}

nlohmann::json DashboardState::transcript(const std::string& call_id, std::string_view speaker,
                                          const std::string& text, std::int64_t wall_ms) {
  if (auto it = live_.find(call_id); it != live_.end()) {
    auto& lines = it->second.transcript;
    lines.push_back({std::string(speaker), text, wall_ms});
    if (lines.size() > kTranscriptLines) lines.pop_front();
  }
  return line_json(call_id, speaker, text, wall_ms);
}

nlohmann::json DashboardState::ended(const bridge::CallSnapshot& call, const std::string& cause,
                                     const std::string& outcome, std::int64_t wall_ms) {
  Live& live = entry(call, wall_ms);
  nlohmann::json out = call_json(live, true);
  out["cause"] = cause;
  out["outcome"] = outcome;
  out["duration_ms"] = ms(call.age);
  out["ended_ts"] = wall_ms;
  live_.erase(call.call_id);
  recent_.push_front(out);
  if (recent_.size() > kRecentCalls) recent_.pop_back();
  return out;
}

nlohmann::json DashboardState::tick(const std::vector<bridge::CallSnapshot>& calls, TimePoint now,
                                    std::int64_t wall_ms) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& call : calls) {
    if (call.call_id.empty()) continue; // a placed call before Meta named it
    Live& live = entry(call, wall_ms);
    const double elapsed = std::chrono::duration<double>(now - live.sampled_at).count();
    if (live.sampled_at != TimePoint{} && elapsed > 0) {
      live.to_agent_pps = (call.stats.to_agent.packets - live.to_agent_packets) / elapsed;
      live.to_caller_pps = (call.stats.to_caller.packets - live.to_caller_packets) / elapsed;
    }
    live.sampled_at = now;
    live.to_agent_packets = call.stats.to_agent.packets;
    live.to_caller_packets = call.stats.to_caller.packets;
    list.push_back(call_json(live, false));
  }
  return {{"ts", wall_ms}, {"calls", list}};
}

nlohmann::json DashboardState::calls() const {
  nlohmann::json live = nlohmann::json::array();
  for (const auto& [id, entry] : live_)
    live.push_back(call_json(entry, true));
  nlohmann::json recent = nlohmann::json::array();
  for (const auto& r : recent_)
    recent.push_back(r);
  return {{"live", live}, {"recent", recent}};
}

} // namespace wab::app

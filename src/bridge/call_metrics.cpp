#include "bridge/call_metrics.hpp"

namespace wab::bridge {
namespace {

template <typename Map> void add_counts(Map& into, const Map& from) {
  for (const auto& [key, n] : from)
    into[key] += n;
}

} // namespace

void CallMetrics::add(const CallMetrics& other) {
  to_pre_accept.add(other.to_pre_accept);
  to_accept.add(other.to_accept);
  to_first_agent_audio.add(other.to_first_agent_audio);
  add_counts(ended_by_cause, other.ended_by_cause);
  add_counts(ended_by_outcome, other.ended_by_outcome);
  add_counts(agent_errors, other.agent_errors);
  add_counts(graph_errors, other.graph_errors);
  add_counts(legs_connected, other.legs_connected);
  ended_to_agent.add(other.ended_to_agent);
  ended_to_caller.add(other.ended_to_caller);
  caller_leg.add(other.caller_leg);
  agent_leg.add(other.agent_leg);
}

} // namespace wab::bridge

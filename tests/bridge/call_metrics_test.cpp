// Adding one worker's figures to another's: what /metrics shows for a process of several workers
// is the sum of theirs, histograms bucket by bucket and counters key by key.
#include <gtest/gtest.h>

#include "bridge/call_registry.hpp"

namespace wab::bridge {
namespace {

TEST(CallMetrics, AddSumsHistogramsAndCountersKeyByKey) {
  CallMetrics a;
  a.to_accept.observe(0.2);
  a.to_accept.observe(4);
  ++a.ended_by_cause["caller_hung_up"];
  a.agent_error("agent_unavailable", 503);
  a.graph_error("accept", 500, 0);
  ++a.legs_connected[{"caller", "host"}];
  a.ended_to_agent.add(100);
  a.caller_leg.jitter.observe(0.003);

  CallMetrics b;
  b.to_accept.observe(0.2);
  ++b.ended_by_cause["caller_hung_up"];
  ++b.ended_by_cause["agent_hung_up"];
  b.agent_error("agent_unavailable", 503);
  ++b.legs_connected[{"agent", "relay"}];
  b.ended_to_agent.add(50);
  b.caller_leg.jitter.observe(0.5);

  a.add(b);
  EXPECT_EQ(a.to_accept.count(), 3u);
  EXPECT_DOUBLE_EQ(a.to_accept.sum(), 4.4);
  // Bounds 0.05, 0.1, 0.25, …: the two 0.2 s observations are in the 0.25 bucket and above.
  EXPECT_EQ(a.to_accept.buckets()[1], 0u);
  EXPECT_EQ(a.to_accept.buckets()[2], 2u);
  EXPECT_EQ(a.to_accept.buckets().back(), 3u);
  EXPECT_EQ(a.ended_by_cause.at("caller_hung_up"), 2u);
  EXPECT_EQ(a.ended_by_cause.at("agent_hung_up"), 1u);
  EXPECT_EQ((a.agent_errors.at({"agent_unavailable", 503})), 2u);
  EXPECT_EQ((a.graph_errors.at({"accept", "http_500"})), 1u);
  EXPECT_EQ((a.legs_connected.at({"caller", "host"})), 1u);
  EXPECT_EQ((a.legs_connected.at({"agent", "relay"})), 1u);
  EXPECT_EQ(a.ended_to_agent.packets, 2u);
  EXPECT_EQ(a.ended_to_agent.bytes, 150u);
  EXPECT_EQ(a.caller_leg.jitter.count(), 2u);
  EXPECT_EQ(a.caller_leg.jitter.buckets()[1], 0u);
  EXPECT_EQ(a.caller_leg.jitter.buckets()[2], 1u); // 0.003 <= 0.005
}

TEST(RegistryFigures, AddSumsEveryField) {
  RegistryFigures a;
  a.active_calls = 3;
  a.calls_started = 10;
  a.duplicates_ignored = 1;
  a.datagrams_dropped = 7;
  a.media_to_agent.add(80);
  a.media_to_caller.add(90);
  ++a.metrics.ended_by_outcome["answered"];
  RegistryFigures b = a;
  b.active_calls = 2;
  a.add(b);
  EXPECT_EQ(a.active_calls, 5u);
  EXPECT_EQ(a.calls_started, 20u);
  EXPECT_EQ(a.duplicates_ignored, 2u);
  EXPECT_EQ(a.datagrams_dropped, 14u);
  EXPECT_EQ(a.media_to_agent.packets, 2u);
  EXPECT_EQ(a.media_to_caller.bytes, 180u);
  EXPECT_EQ(a.metrics.ended_by_outcome.at("answered"), 2u);
}

} // namespace
} // namespace wab::bridge

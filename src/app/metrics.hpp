#pragma once
// GET /metrics: renders the server's counters, the calls' metrics (bridge::CallMetrics plus the
// live calls' own figures) and the process figures in Prometheus text format. Every name and
// label is listed in README.md ("Metrics"). Any thread: it reads only the figures it is given.
#include <cstdint>
#include <optional>
#include <string>

#include "app/cluster_router.hpp"
#include "bridge/call_registry.hpp"

namespace wab::app {

// What the server itself counts.
struct ServerFigures {
  std::uint64_t webhooks_received = 0;
  std::uint64_t webhooks_bad_signature = 0;
  std::uint64_t webhooks_malformed = 0;
  bool draining = false;
  std::size_t loop_fds = 0;
  std::size_t loop_timers = 0;
  std::size_t http_in_flight = 0;
};

// Cluster mode only: this node's view of the cluster.
struct ClusterReport {
  cluster::ClusterFigures figures;
  ClusterCounters counters;
  std::uint64_t calls_orphaned = 0; // calls of dead nodes this node ended
};

std::string render_metrics(const bridge::RegistryFigures& registry, const ServerFigures& server,
                           const std::optional<ClusterReport>& cluster = std::nullopt);

} // namespace wab::app

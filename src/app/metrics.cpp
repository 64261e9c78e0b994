#include "app/metrics.hpp"

#include "app/metrics_text.hpp"
#include "app/process_stats.hpp"

namespace wab::app {
namespace {

template <std::size_t N>
void histogram(MetricsText& m, const char* name, const Labels& labels,
               const bridge::Histogram<N>& h) {
  m.histogram(name, labels, h.bounds().data(), h.buckets().data(), N, h.sum(), h.count());
}

void calls(MetricsText& m, const bridge::RegistryFigures& registry) {
  const auto& cm = registry.metrics;
  m.family("wabridge_active_calls", "gauge", "Calls in progress (placed calls ringing included).");
  m.sample("wabridge_active_calls", static_cast<double>(registry.active_calls));
  m.family("wabridge_calls_started_total", "counter", "Calls answered or placed since start.");
  m.sample("wabridge_calls_started_total", static_cast<double>(registry.calls_started));

  m.family("wabridge_calls_ended_total", "counter",
           "Calls ended, by the cause call_ended logs (see docs/RELIABILITY.md).");
  for (const auto& [cause, n] : cm.ended_by_cause)
    m.sample("wabridge_calls_ended_total", {{"cause", cause}}, static_cast<double>(n));
  m.family("wabridge_calls_outcome_total", "counter",
           "Calls ended, by outcome: answered (accepted, agent served), announcement (accepted, "
           "fallback recording played), not_answered (ended before accept).");
  for (const char* outcome : {"answered", "announcement", "not_answered"}) {
    const auto it = cm.ended_by_outcome.find(outcome);
    m.sample("wabridge_calls_outcome_total", {{"outcome", outcome}},
             it == cm.ended_by_outcome.end() ? 0.0 : static_cast<double>(it->second));
  }

  m.family("wabridge_legs_connected_total", "counter",
           "Call legs connected, by leg (caller, agent) and the selected pair's local candidate "
           "type (host, srflx, prflx, relay; tcp for ICE-TCP).");
  for (const auto& [key, n] : cm.legs_connected) {
    m.sample("wabridge_legs_connected_total", {{"leg", key.first}, {"candidate", key.second}},
             static_cast<double>(n));
  }

  m.family("wabridge_setup_seconds", "histogram",
           "Seconds from the connect webhook to a setup step: pre_accept and accept (Graph "
           "answered 200), first_agent_audio (the first agent packet sent to the caller).");
  histogram(m, "wabridge_setup_seconds", {{"step", "pre_accept"}}, cm.to_pre_accept);
  histogram(m, "wabridge_setup_seconds", {{"step", "accept"}}, cm.to_accept);
  histogram(m, "wabridge_setup_seconds", {{"step", "first_agent_audio"}}, cm.to_first_agent_audio);
}

void media(MetricsText& m, const bridge::RegistryFigures& registry) {
  const auto& to_agent = registry.media_to_agent;
  const auto& to_caller = registry.media_to_caller;
  m.family("wabridge_media_packets_total", "counter",
           "RTP packets sent: to_agent (caller audio forwarded), to_caller (agent audio, silence "
           "fill and announcement).");
  m.sample("wabridge_media_packets_total", {{"direction", "to_agent"}},
           static_cast<double>(to_agent.packets));
  m.sample("wabridge_media_packets_total", {{"direction", "to_caller"}},
           static_cast<double>(to_caller.packets));
  m.family("wabridge_media_bytes_total", "counter",
           "RTP bytes sent (header and payload, before SRTP), by direction.");
  m.sample("wabridge_media_bytes_total", {{"direction", "to_agent"}},
           static_cast<double>(to_agent.bytes));
  m.sample("wabridge_media_bytes_total", {{"direction", "to_caller"}},
           static_cast<double>(to_caller.bytes));
  m.family("wabridge_media_datagrams_dropped_total", "counter",
           "Datagrams the call legs refused: garbage, unselected addresses, failed "
           "authentication.");
  m.sample("wabridge_media_datagrams_dropped_total",
           static_cast<double>(registry.datagrams_dropped));

  // RTCP: one observation per reception report about our stream, per leg (caller: Meta's media
  // server about what we send the caller; agent: the agent's peer about what we send it).
  const auto& cm = registry.metrics;
  const std::pair<const char*, const bridge::LegQualityHistograms*> legs[] = {
      {"whatsapp", &cm.caller_leg}, {"agent", &cm.agent_leg}};
  m.family("wabridge_rtcp_loss_ratio", "histogram",
           "Fraction lost (0-1) in each RTCP reception report the leg's far end sent about our "
           "stream.");
  for (const auto& [leg, h] : legs)
    histogram(m, "wabridge_rtcp_loss_ratio", {{"leg", leg}}, h->fraction_lost);
  m.family("wabridge_rtcp_jitter_seconds", "histogram",
           "Interarrival jitter in each RTCP reception report about our stream.");
  for (const auto& [leg, h] : legs)
    histogram(m, "wabridge_rtcp_jitter_seconds", {{"leg", leg}}, h->jitter);
  m.family("wabridge_rtcp_rtt_seconds", "histogram",
           "Round-trip time from each RTCP reception report that echoes one of our sender reports "
           "(now - LSR - DLSR).");
  for (const auto& [leg, h] : legs)
    histogram(m, "wabridge_rtcp_rtt_seconds", {{"leg", leg}}, h->rtt);
}

void errors(MetricsText& m, const bridge::RegistryFigures& registry) {
  const auto& cm = registry.metrics;
  m.family("wabridge_agent_errors_total", "counter",
           "Agent failures that ran the fallback, by kind (the call_ended / agent_unavailable "
           "cause) and HTTP status (0: none).");
  for (const auto& [key, n] : cm.agent_errors) {
    m.sample("wabridge_agent_errors_total",
             {{"kind", key.first}, {"http_status", std::to_string(key.second)}},
             static_cast<double>(n));
  }
  m.family("wabridge_graph_errors_total", "counter",
           "Graph API call actions that failed, by action and Graph error code (http_<status> "
           "without one, transport when no HTTP answer came).");
  for (const auto& [key, n] : cm.graph_errors) {
    m.sample("wabridge_graph_errors_total", {{"action", key.first}, {"code", key.second}},
             static_cast<double>(n));
  }
}

void process(MetricsText& m) {
  const ProcessStats p = read_process_stats();
  const std::tuple<const char*, const char*, const char*, double> rows[] = {
      {"process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.",
       p.cpu_seconds},
      {"process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
       p.resident_bytes},
      {"process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", p.virtual_bytes},
      {"process_open_fds", "gauge", "Number of open file descriptors.", p.open_fds},
      {"process_max_fds", "gauge", "Maximum number of open file descriptors.", p.max_fds},
      {"process_start_time_seconds", "gauge",
       "Start time of the process since unix epoch in seconds.", p.start_time_seconds}};
  for (const auto& [name, type, help, value] : rows) {
    if (value < 0) continue; // /proc could not tell
    m.family(name, type, help);
    m.sample(name, value);
  }
}

void cluster_rows(MetricsText& m, const ClusterReport& c) {
  const auto& f = c.figures;
  const std::tuple<const char*, const char*, const char*, double> rows[] = {
      {"wabridge_cluster_redis_up", "gauge", "1 while this node reaches Redis (cluster mode).",
       f.redis_up ? 1.0 : 0.0},
      {"wabridge_cluster_nodes", "gauge", "Nodes whose heartbeat is alive, as last read.",
       static_cast<double>(f.nodes)},
      {"wabridge_cluster_nodes_draining", "gauge", "Of those, nodes that are draining.",
       static_cast<double>(f.draining_nodes)},
      {"wabridge_cluster_active_calls", "gauge", "Calls held by all live nodes, as last read.",
       static_cast<double>(f.calls)},
      {"wabridge_cluster_webhooks_forwarded_total", "counter",
       "Webhook events sent to the node that holds their call.",
       static_cast<double>(c.counters.forwarded)},
      {"wabridge_cluster_webhooks_delivered_total", "counter",
       "Webhook bodies other nodes sent to this one.", static_cast<double>(c.counters.delivered)},
      {"wabridge_cluster_duplicate_connects_total", "counter",
       "Connects of calls another node already holds.",
       static_cast<double>(c.counters.duplicates_elsewhere)},
      {"wabridge_cluster_calls_orphaned_total", "counter",
       "Calls of dead nodes this node ended through the Graph API.",
       static_cast<double>(c.calls_orphaned)}};
  for (const auto& [name, type, help, value] : rows) {
    m.family(name, type, help);
    m.sample(name, value);
  }
  m.family("wabridge_cluster_calls_refused_total", "counter",
           "Connects rejected by the cluster, by cause: number_limit (MAX_CALLS_PER_NUMBER), "
           "redis_unavailable, draining (this node was shutting down).");
  m.sample("wabridge_cluster_calls_refused_total", {{"cause", "number_limit"}},
           static_cast<double>(c.counters.refused_limit));
  m.sample("wabridge_cluster_calls_refused_total", {{"cause", "redis_unavailable"}},
           static_cast<double>(c.counters.refused_unavailable));
  m.sample("wabridge_cluster_calls_refused_total", {{"cause", "draining"}},
           static_cast<double>(c.counters.refused_draining));
}

} // namespace

std::string render_metrics(const bridge::RegistryFigures& registry, const ServerFigures& server,
                           const std::optional<ClusterReport>& cluster) {
  MetricsText m;
  calls(m, registry);
  const std::tuple<const char*, const char*, const char*, double> rows[] = {
      {"wabridge_webhooks_received_total", "counter", "POST /webhook requests.",
       static_cast<double>(server.webhooks_received)},
      {"wabridge_webhooks_bad_signature_total", "counter", "Webhooks refused for their signature.",
       static_cast<double>(server.webhooks_bad_signature)},
      {"wabridge_webhooks_malformed_total", "counter", "Webhooks whose body was unusable.",
       static_cast<double>(server.webhooks_malformed)},
      {"wabridge_webhook_duplicates_total", "counter", "Duplicate webhook events ignored.",
       static_cast<double>(registry.duplicates_ignored)},
      {"wabridge_draining", "gauge", "1 while shutting down.", server.draining ? 1.0 : 0.0},
      // Resource gauges: back to their idle values once every call has ended (nothing leaked).
      {"wabridge_event_loop_fds", "gauge",
       "File descriptors watched by the event loop (sockets of legs and HTTP, signals).",
       static_cast<double>(server.loop_fds)},
      {"wabridge_event_loop_timers", "gauge", "Timers armed on the event loop.",
       static_cast<double>(server.loop_timers)},
      {"wabridge_http_requests_in_flight", "gauge", "Outgoing Graph/OpenAI requests.",
       static_cast<double>(server.http_in_flight)}};
  for (const auto& [name, type, help, value] : rows) {
    m.family(name, type, help);
    m.sample(name, value);
  }
  if (cluster) cluster_rows(m, *cluster);
  media(m, registry);
  errors(m, registry);
  process(m);
  return m.text();
}

} // namespace wab::app

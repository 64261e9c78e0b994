#pragma once
// ClusterRouter: in cluster mode (REDIS_URL set), the path of every verified webhook event. A
// caller's connect is claimed in Redis first (one node per call cluster-wide, within the
// per-number limit); the other events of a call go to the node that holds it, over its pub/sub
// channel, carrying the webhook body cut down to that one call; what no node holds is handled
// here as in single-node mode. Calls of dead nodes that this node took over are ended through
// the Graph API. Redis unreachable: new calls are rejected through the Graph API (cause logged),
// live calls go on, and ownership is recorded again once Redis is back. Draining: a new call is
// rejected without ever being recorded as this node's (and stays refused cluster-wide).
//
// Owns: the ClusterNode. Threads: the loop's thread only.
#include <cstdint>
#include <memory>
#include <string>

#include "app/call_workers.hpp"
#include "cluster/cluster_node.hpp"
#include "whatsapp/graph_client.hpp"
#include "whatsapp/webhook.hpp"

namespace wab::app {

struct ClusterCounters {
  std::uint64_t forwarded = 0;            // events sent to the node that holds their call
  std::uint64_t delivered = 0;            // bodies other nodes sent here
  std::uint64_t refused_limit = 0;        // connects over MAX_CALLS_PER_NUMBER
  std::uint64_t refused_unavailable = 0;  // connects while Redis was unreachable
  std::uint64_t refused_draining = 0;     // new calls that reached this node while it drained
  std::uint64_t duplicates_elsewhere = 0; // connects of calls another node holds
};

class ClusterRouter {
public:
  ClusterRouter(net::EventLoop& loop, cluster::ClusterSettings settings, CallWorkers& workers,
                whatsapp::GraphClient& graph);

  void start() { node_.start(); }
  // A verified webhook: `batch` parsed from `body`. Events act in body order.
  void handle(std::shared_ptr<const whatsapp::WebhookBatch> batch,
              std::shared_ptr<const std::string> body);
  void set_draining() { node_.set_draining(); }

  const cluster::ClusterNode& node() const { return node_; }
  cluster::ClusterNode& node() { return node_; }
  const ClusterCounters& counters() const { return counters_; }

private:
  void route(std::shared_ptr<const whatsapp::WebhookBatch> batch,
             std::shared_ptr<const std::string> body, std::size_t index);
  void route_connect(const whatsapp::CallConnect& connect, const std::string& body,
                     std::function<void()> next);
  void route_to_owner(const whatsapp::WebhookEvent& event, const std::string& call_id,
                      const std::string& body, std::function<void()> next);
  void handle_here(const whatsapp::WebhookEvent& event);
  void refuse(const whatsapp::CallConnect& connect, const char* event, bool number_limit = false);
  void on_delivered(const std::string& from_node, const std::string& body);
  void on_orphaned(const cluster::OrphanedCall& call);
  std::vector<cluster::LocalCall> local_calls() const;

  net::EventLoop& loop_;
  CallWorkers& workers_;
  whatsapp::GraphClient& graph_;
  ClusterCounters counters_;
  cluster::ClusterNode node_; // last: its callbacks use the members above
};

// The webhook body cut down to the items of one call (calls[] and statuses[] entries of other
// calls and messages are left out); "" when the body is not JSON. The owner parses it as if Meta
// had sent it.
std::string webhook_body_for_call(const std::string& body, const std::string& call_id);

} // namespace wab::app

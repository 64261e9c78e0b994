#pragma once
// ClusterNode: this process's place in a cluster of wabridge nodes that share one Redis
// (REDIS_URL). It claims calls atomically (one node per call id, cluster-wide, within the
// per-number limit), keeps its calls' records and its heartbeat alive, gives calls up when they
// end, finds the owner of a call for a webhook, delivers webhooks to other nodes over pub/sub
// and receives theirs, and takes over the calls of nodes whose heartbeat expired (exactly one
// survivor gets each). docs/ARCHITECTURE.md, "Cluster mode", has the keys and the failure cases.
//
// Owns: two Redis connections (commands; subscriber) and its timers. Talks to the calls only
// through Hooks. Threads: the loop's thread only; callbacks run there. Hooks must not destroy
// the node.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cluster/redis_connection.hpp"
#include "cluster/redis_url.hpp"
#include "common/clock.hpp"
#include "net/event_loop.hpp"

namespace wab::cluster {

struct Script;

struct ClusterSettings {
  RedisUrl redis;
  std::string node_id;
  Duration call_ttl = seconds(15); // records and heartbeats expire this long after a refresh
  std::uint32_t max_calls_per_number = 1000;
  Duration remember_ended = std::chrono::minutes(10); // retried webhooks of ended calls
};

struct LocalCall {
  std::string call_id;
  std::string phone_number_id;
};

struct OrphanedCall {
  std::string call_id;
  std::string phone_number_id;
  std::string dead_node;
};

struct ClusterFigures {
  bool redis_up = false;
  bool known = false; // the figures below were read from Redis at least once
  std::uint64_t nodes = 0;
  std::uint64_t draining_nodes = 0;
  std::uint64_t calls = 0;
};

enum class ClaimOutcome {
  claimed,         // ours now: start it
  owned_here,      // a repeat of a call this node holds
  owned_elsewhere, // another node holds it (`node`)
  ended,           // it ended (or was refused) already
  limit_reached,   // the number has max_calls_per_number live calls: refuse it
  draining,        // this node is draining and no node holds the call: refuse it
  unavailable      // Redis cannot be reached: refuse it
};
struct ClaimResult {
  ClaimOutcome outcome = ClaimOutcome::unavailable;
  std::string node;
};

enum class OwnerKind { here, elsewhere, ended, unknown, unavailable };
struct Owner {
  OwnerKind kind = OwnerKind::unavailable;
  std::string node;
};

class ClusterNode {
public:
  struct Hooks {
    // The calls this node holds now (placed calls once they have an id).
    std::function<std::vector<LocalCall>()> local_calls;
    // A message another node delivered for one of our calls.
    std::function<void(const std::string& from_node, const std::string& payload)> delivered;
    // A call of a dead node that this node must end.
    std::function<void(const OrphanedCall& call)> orphaned;
  };

  ClusterNode(net::EventLoop& loop, ClusterSettings settings, Hooks hooks);
  ~ClusterNode();
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

  void start();

  void claim(const std::string& call_id, const std::string& phone_number_id,
             std::function<void(const ClaimResult&)> done);
  void owner_of(const std::string& call_id, std::function<void(const Owner&)> done);
  // Remembers a call as ended unless it has a record (a terminate that came first): a connect
  // delivered later to any node starts nothing.
  void remember_ended(const std::string& call_id);
  // Publishes `payload` on `node`'s channel; `done(false)` when no one listens there (the node is
  // gone) or Redis is down.
  void deliver(const std::string& node, const std::string& payload,
               std::function<void(bool delivered)> done);
  // The heartbeat says "draining" from now on: the node takes no new calls (claim() answers
  // `draining` instead of recording one as ours).
  void set_draining();
  bool draining() const { return draining_; }
  // Before the process exits: gives up the calls that ended since the last tick (else a
  // survivor would take them for orphans). `in_flight()` tells when Redis has answered.
  void flush() { tick(); }
  std::size_t in_flight() const { return commands_.pending(); }

  bool redis_up() const { return commands_.up() && subscriber_.up(); }
  ClusterFigures figures() const;
  const ClusterSettings& settings() const { return settings_; }
  std::uint64_t calls_orphaned() const { return orphans_taken_; }

private:
  void eval(const Script& script, std::vector<std::string> keys, std::vector<std::string> args,
            RedisConnection::ReplyHandler done);
  void on_commands_up();
  void on_subscriber_up();
  void tick();      // every second: release calls that ended here, record new ones
  void heartbeat(); // every call_ttl / 3: refresh, sweep, figures
  void release(const std::string& call_id, const std::string& phone_number_id);
  std::int64_t ttl_ms() const;
  std::int64_t remember_ms() const;

  net::EventLoop& loop_;
  ClusterSettings settings_;
  Hooks hooks_;
  RedisConnection commands_;
  RedisConnection subscriber_;
  net::LoopTimer tick_timer_;
  net::LoopTimer heartbeat_timer_;
  bool draining_ = false;
  // Calls recorded in Redis as ours, by id → phone_number_id (what tick() compares against).
  std::map<std::string, std::string> recorded_;
  // Calls of ours that another node took over (we looked dead): never recorded again.
  std::set<std::string> taken_;
  ClusterFigures figures_;
  std::uint64_t orphans_taken_ = 0;
};

} // namespace wab::cluster

#include "cluster/cluster_node.hpp"

#include <algorithm>
#include <unordered_set>

#include "cluster/keys.hpp"
#include "cluster/scripts.hpp"
#include "common/log.hpp"

namespace wab::cluster {
namespace {

constexpr Duration kTick = seconds(1);

} // namespace

ClusterNode::ClusterNode(net::EventLoop& loop, ClusterSettings settings, Hooks hooks)
    : loop_(loop), settings_(std::move(settings)), hooks_(std::move(hooks)),
      commands_(
          loop, settings_.redis, "commands", [this] { on_commands_up(); }, [] {}),
      subscriber_(
          loop, settings_.redis, "subscriber", [this] { on_subscriber_up(); }, [] {}),
      tick_timer_(loop, [this] { tick(); }), heartbeat_timer_(loop, [this] { heartbeat(); }) {}

ClusterNode::~ClusterNode() = default;

void ClusterNode::start() {
  log::info("cluster_node_started", {{"node_id", settings_.node_id},
                                     {"redis", settings_.redis.describe()},
                                     {"call_ttl_ms", ttl_ms()},
                                     {"max_calls_per_number", settings_.max_calls_per_number}});
  commands_.start();
  subscriber_.start();
  tick_timer_.arm(loop_.now() + kTick);
  heartbeat_timer_.arm(loop_.now() + settings_.call_ttl / 3);
}

std::int64_t ClusterNode::ttl_ms() const {
  return std::chrono::duration_cast<milliseconds>(settings_.call_ttl).count();
}

std::int64_t ClusterNode::remember_ms() const {
  return std::chrono::duration_cast<milliseconds>(settings_.remember_ended).count();
}

ClusterFigures ClusterNode::figures() const {
  ClusterFigures f = figures_;
  f.redis_up = redis_up();
  return f;
}

void ClusterNode::eval(const Script& script, std::vector<std::string> keys,
                       std::vector<std::string> args, RedisConnection::ReplyHandler done) {
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(script.sha1);
  argv.push_back(std::to_string(keys.size()));
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  // Redis forgets scripts when it restarts: on NOSCRIPT the source goes once with EVAL.
  auto retry = [this, argv, source = script.source, done](const RedisValue& reply) mutable {
    if (!reply.is_error() || reply.text.rfind("NOSCRIPT", 0) != 0) {
      done(reply);
      return;
    }
    argv[0] = "EVAL";
    argv[1] = std::string(source);
    if (!commands_.command(argv, done)) done(RedisValue::error("redis unavailable"));
  };
  if (!commands_.command(argv, std::move(retry))) done(RedisValue::error("redis unavailable"));
}

void ClusterNode::claim(const std::string& call_id, const std::string& phone_number_id,
                        std::function<void(const ClaimResult&)> done) {
  eval(claim_script(),
       {keys::call(call_id), keys::number(phone_number_id), keys::node_calls(settings_.node_id)},
       {settings_.node_id, phone_number_id, call_id, std::to_string(ttl_ms()),
        std::to_string(settings_.max_calls_per_number), std::to_string(remember_ms()),
        draining_ ? "1" : "0"},
       [this, call_id, phone_number_id, done = std::move(done)](const RedisValue& reply) {
         ClaimResult result;
         if (reply.is_error() || reply.elements.size() != 2) {
           if (reply.is_error()) {
             log::warn("cluster_claim_failed", {{"call_id", call_id}, {"error", reply.text}});
           }
           result.outcome = ClaimOutcome::unavailable;
         } else if (reply.element_text(0) == "claimed") {
           recorded_[call_id] = phone_number_id;
           result.outcome = ClaimOutcome::claimed;
         } else if (reply.element_text(0) == "limit") {
           result.outcome = ClaimOutcome::limit_reached;
         } else if (reply.element_text(0) == "draining") {
           result.outcome = ClaimOutcome::draining;
         } else {
           const auto record = keys::parse_call_record(reply.element_text(1));
           if (record.state != keys::CallRecord::State::live) {
             result.outcome = ClaimOutcome::ended;
           } else if (record.node == settings_.node_id) {
             result.outcome = ClaimOutcome::owned_here;
           } else {
             result.outcome = ClaimOutcome::owned_elsewhere;
             result.node = record.node;
           }
         }
         done(result);
       });
}

void ClusterNode::owner_of(const std::string& call_id, std::function<void(const Owner&)> done) {
  const bool sent =
      commands_.command({"GET", keys::call(call_id)}, [this, done](const RedisValue& reply) {
        Owner owner;
        if (reply.is_error()) {
          owner.kind = OwnerKind::unavailable;
        } else if (reply.is_nil()) {
          owner.kind = OwnerKind::unknown;
        } else {
          const auto record = keys::parse_call_record(reply.text);
          if (record.state == keys::CallRecord::State::live) {
            owner.kind = record.node == settings_.node_id ? OwnerKind::here : OwnerKind::elsewhere;
            owner.node = record.node;
          } else {
            owner.kind = OwnerKind::ended;
          }
        }
        done(owner);
      });
  if (!sent) done(Owner{OwnerKind::unavailable, {}});
}

void ClusterNode::remember_ended(const std::string& call_id) {
  commands_.command(
      {"SET", keys::call(call_id), "ended", "PX", std::to_string(remember_ms()), "NX"},
      [](const RedisValue&) {});
}

void ClusterNode::deliver(const std::string& node, const std::string& payload,
                          std::function<void(bool)> done) {
  const bool sent = commands_.command(
      {"PUBLISH", keys::delivery_channel(node), settings_.node_id + "\n" + payload},
      [done](const RedisValue& reply) {
        done(reply.kind == RedisValue::Kind::integer && reply.integer > 0);
      });
  if (!sent) done(false);
}

void ClusterNode::set_draining() {
  draining_ = true;
  heartbeat(); // at once: the others see it before the next beat
}

void ClusterNode::on_commands_up() {
  // Back (or first up): the records may have expired or Redis may have restarted empty.
  tick();
  heartbeat();
}

void ClusterNode::on_subscriber_up() {
  subscriber_.subscribe(keys::delivery_channel(settings_.node_id),
                        [this](const std::string&, const std::string& message) {
                          const auto newline = message.find('\n');
                          if (newline == std::string::npos || !hooks_.delivered) return;
                          hooks_.delivered(message.substr(0, newline), message.substr(newline + 1));
                        });
}

void ClusterNode::tick() {
  tick_timer_.arm(loop_.now() + kTick);
  if (!commands_.up()) return;
  std::unordered_set<std::string> live;
  bool unrecorded = false; // e.g. a placed call that just got its id: record it now
  for (auto& call : hooks_.local_calls()) {
    unrecorded =
        unrecorded || (recorded_.count(call.call_id) == 0 && taken_.count(call.call_id) == 0);
    live.insert(std::move(call.call_id));
  }
  for (auto it = recorded_.begin(); it != recorded_.end();) {
    if (live.count(it->first) != 0) {
      ++it;
      continue;
    }
    release(it->first, it->second);
    it = recorded_.erase(it);
  }
  std::erase_if(taken_, [&](const std::string& id) { return live.count(id) == 0; });
  if (unrecorded) heartbeat();
}

void ClusterNode::release(const std::string& call_id, const std::string& phone_number_id) {
  eval(release_script(),
       {keys::call(call_id), keys::number(phone_number_id), keys::node_calls(settings_.node_id)},
       {settings_.node_id, call_id, std::to_string(remember_ms())}, [call_id](const RedisValue& r) {
         if (r.is_error()) {
           log::warn("cluster_release_failed", {{"call_id", call_id}, {"error", r.text}});
         }
       });
}

void ClusterNode::heartbeat() {
  heartbeat_timer_.arm(loop_.now() + settings_.call_ttl / 3);
  if (!commands_.up()) return;
  std::vector<std::string> args = {settings_.node_id, std::to_string(ttl_ms()),
                                   draining_ ? "draining" : "up", std::string(keys::kPrefix)};
  for (auto& call : hooks_.local_calls()) {
    if (call.call_id.empty() || call.phone_number_id.empty() || taken_.count(call.call_id) != 0) {
      continue;
    }
    args.push_back(call.call_id);
    args.push_back(call.phone_number_id);
    recorded_[call.call_id] = call.phone_number_id;
  }
  eval(refresh_script(),
       {keys::node(settings_.node_id), keys::nodes(), keys::node_calls(settings_.node_id)},
       std::move(args), [this](const RedisValue& reply) {
         if (reply.is_error()) {
           log::warn("cluster_heartbeat_failed", {{"error", reply.text}});
           return;
         }
         for (const auto& taken : reply.elements) {
           // Another node ended it while we could not refresh it (we looked dead).
           log::warn("cluster_call_taken_over", {{"call_id", taken.text}});
           recorded_.erase(taken.text);
           taken_.insert(taken.text);
         }
       });
  eval(sweep_script(), {keys::nodes()}, {std::string(keys::kPrefix), std::to_string(remember_ms())},
       [this](const RedisValue& reply) {
         if (reply.is_error()) {
           log::warn("cluster_sweep_failed", {{"error", reply.text}});
           return;
         }
         for (std::size_t i = 0; i + 2 < reply.elements.size(); i += 3) {
           OrphanedCall orphan{reply.element_text(i), reply.element_text(i + 1),
                               reply.element_text(i + 2)};
           ++orphans_taken_;
           log::warn("cluster_call_orphaned", {{"call_id", orphan.call_id},
                                               {"phone_number_id", orphan.phone_number_id},
                                               {"dead_node", orphan.dead_node}});
           if (hooks_.orphaned) hooks_.orphaned(orphan);
         }
       });
  eval(stats_script(), {keys::nodes()}, {std::string(keys::kPrefix)},
       [this](const RedisValue& reply) {
         if (reply.is_error() || reply.elements.size() != 3) return;
         figures_.known = true;
         figures_.nodes =
             static_cast<std::uint64_t>(std::max<std::int64_t>(0, reply.elements[0].integer));
         figures_.draining_nodes =
             static_cast<std::uint64_t>(std::max<std::int64_t>(0, reply.elements[1].integer));
         figures_.calls =
             static_cast<std::uint64_t>(std::max<std::int64_t>(0, reply.elements[2].integer));
       });
}

} // namespace wab::cluster

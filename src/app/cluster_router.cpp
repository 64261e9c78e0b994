#include "app/cluster_router.hpp"

#include <nlohmann/json.hpp>

#include "common/log.hpp"

namespace wab::app {
namespace {

// The call id an event belongs to ("" for value-level errors).
std::string call_id_of(const whatsapp::WebhookEvent& event) {
  return std::visit(
      [](const auto& e) -> std::string {
        if constexpr (requires { e.call_id; }) {
          return e.call_id;
        } else {
          return {};
        }
      },
      event);
}

bool is_new_call(const whatsapp::CallConnect& connect) {
  return connect.direction == whatsapp::CallDirection::user_initiated &&
         connect.sdp_type == whatsapp::SdpType::offer;
}

} // namespace

std::string webhook_body_for_call(const std::string& body, const std::string& call_id) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return {};
  const auto keep_only = [&](nlohmann::json& value, const char* field) {
    auto it = value.find(field);
    if (it == value.end() || !it->is_array()) return;
    nlohmann::json kept = nlohmann::json::array();
    for (auto& item : *it) {
      if (item.is_object() && item.value("id", std::string()) == call_id) {
        kept.push_back(std::move(item));
      }
    }
    *it = std::move(kept);
  };
  if (auto entries = json.find("entry"); entries != json.end() && entries->is_array()) {
    for (auto& entry : *entries) {
      if (!entry.is_object()) continue;
      auto changes = entry.find("changes");
      if (changes == entry.end() || !changes->is_array()) continue;
      for (auto& change : *changes) {
        if (!change.is_object()) continue;
        auto value = change.find("value");
        if (value == change.end() || !value->is_object()) continue;
        value->erase("messages");
        keep_only(*value, "calls");
        keep_only(*value, "statuses");
      }
    }
  }
  return json.dump();
}

ClusterRouter::ClusterRouter(net::EventLoop& loop, cluster::ClusterSettings settings,
                             CallWorkers& workers, whatsapp::GraphClient& graph)
    : loop_(loop), workers_(workers), graph_(graph),
      node_(loop, std::move(settings),
            {[this] { return local_calls(); },
             [this](const std::string& from, const std::string& body) { on_delivered(from, body); },
             [this](const cluster::OrphanedCall& call) { on_orphaned(call); }}) {}

void ClusterRouter::handle(std::shared_ptr<const whatsapp::WebhookBatch> batch,
                           std::shared_ptr<const std::string> body) {
  route(std::move(batch), std::move(body), 0);
}

// One event at a time, the next once Redis answered for this one: a connect and a terminate of
// the same call in one body keep their order.
void ClusterRouter::route(std::shared_ptr<const whatsapp::WebhookBatch> batch,
                          std::shared_ptr<const std::string> body, std::size_t index) {
  if (index >= batch->events.size()) return;
  // Through the loop, not a nested call: Redis may answer at once (it is down), and a body may
  // hold thousands of events.
  auto next = [this, batch, body, index] {
    loop_.post([this, batch, body, index] { route(batch, body, index + 1); });
  };
  const auto& event = batch->events[index];
  const auto* connect = std::get_if<whatsapp::CallConnect>(&event);
  if (connect != nullptr && is_new_call(*connect)) {
    route_connect(*connect, *body, std::move(next));
    return;
  }
  const std::string call_id = call_id_of(event);
  if (call_id.empty()) {
    handle_here(event);
    next();
    return;
  }
  route_to_owner(event, call_id, *body, std::move(next));
}

void ClusterRouter::route_connect(const whatsapp::CallConnect& connect, const std::string& body,
                                  std::function<void()> next) {
  node_.claim(connect.call_id, connect.business.phone_number_id,
              [this, &connect, &body, next = std::move(next)](const cluster::ClaimResult& claim) {
                switch (claim.outcome) {
                case cluster::ClaimOutcome::claimed:
                case cluster::ClaimOutcome::owned_here: handle_here(connect); break;
                case cluster::ClaimOutcome::owned_elsewhere:
                  // A retry that reached another node: its owner counts it as a duplicate.
                  ++counters_.duplicates_elsewhere;
                  log::info("cluster_duplicate_connect",
                            {{"call_id", connect.call_id}, {"owner", claim.node}});
                  node_.deliver(claim.node, webhook_body_for_call(body, connect.call_id),
                                [](bool) {});
                  break;
                case cluster::ClaimOutcome::ended:
                  log::info("webhook_connect_after_terminate",
                            {{"call_id", connect.call_id}, {"cluster", true}});
                  break;
                case cluster::ClaimOutcome::limit_reached:
                  ++counters_.refused_limit;
                  refuse(connect, "call_refused_number_limit", true);
                  break;
                case cluster::ClaimOutcome::draining:
                  // Same event as single-node mode; the claim recorded it as ended, not ours.
                  ++counters_.refused_draining;
                  refuse(connect, "call_refused_draining");
                  break;
                case cluster::ClaimOutcome::unavailable:
                  ++counters_.refused_unavailable;
                  refuse(connect, "call_refused_cluster_unavailable");
                  break;
                }
                next();
              });
}

void ClusterRouter::route_to_owner(const whatsapp::WebhookEvent& event, const std::string& call_id,
                                   const std::string& body, std::function<void()> next) {
  node_.owner_of(call_id, [this, &event, call_id, &body,
                           next = std::move(next)](const cluster::Owner& owner) mutable {
    if (owner.kind != cluster::OwnerKind::elsewhere) {
      // A terminate of a call no node knows may come before its connect: remember it
      // cluster-wide so that connect starts nothing wherever it lands.
      if (owner.kind == cluster::OwnerKind::unknown &&
          std::holds_alternative<whatsapp::CallTerminate>(event)) {
        node_.remember_ended(call_id);
      }
      handle_here(event);
      next();
      return;
    }
    node_.deliver(
        owner.node, webhook_body_for_call(body, call_id),
        [this, &event, call_id, node = owner.node, next](bool delivered) {
          if (delivered) {
            ++counters_.forwarded;
            log::info("cluster_webhook_forwarded", {{"call_id", call_id}, {"owner", node}});
          } else {
            // The owner is gone (its calls are swept) or Redis is down.
            log::warn("cluster_owner_unreachable", {{"call_id", call_id}, {"owner", node}});
            handle_here(event);
          }
          next();
        });
  });
}

void ClusterRouter::handle_here(const whatsapp::WebhookEvent& event) {
  whatsapp::WebhookBatch one;
  one.events.push_back(event);
  workers_.handle(one);
}

void ClusterRouter::refuse(const whatsapp::CallConnect& connect, const char* event,
                           bool number_limit) {
  if (number_limit) {
    log::warn(event, {{"call_id", connect.call_id},
                      {"phone_number_id", connect.business.phone_number_id},
                      {"max_calls_per_number", node_.settings().max_calls_per_number}});
  } else {
    log::warn(event, {{"call_id", connect.call_id},
                      {"phone_number_id", connect.business.phone_number_id}});
  }
  graph_.reject(
      connect.business.phone_number_id, connect.call_id,
      [call_id = connect.call_id](const whatsapp::GraphResult& r) {
        if (!r.ok) {
          log::warn("graph_reject_failed", {{"call_id", call_id}, {"http_status", r.http_status}});
        }
      });
}

void ClusterRouter::on_delivered(const std::string& from_node, const std::string& body) {
  auto batch = whatsapp::parse_webhook(body);
  if (!batch.ok()) {
    log::warn("cluster_delivery_malformed", {{"from_node", from_node}, {"error", batch.error}});
    return;
  }
  ++counters_.delivered;
  log::info("cluster_webhook_delivered",
            {{"from_node", from_node}, {"events", batch.events.size()}});
  workers_.handle(batch); // the sender already routed it here: no second hop
}

void ClusterRouter::on_orphaned(const cluster::OrphanedCall& call) {
  graph_.terminate(call.phone_number_id, call.call_id,
                   [call_id = call.call_id, dead = call.dead_node](const whatsapp::GraphResult& r) {
                     log::info("cluster_orphan_terminated", {{"call_id", call_id},
                                                             {"dead_node", dead},
                                                             {"ok", r.ok},
                                                             {"http_status", r.http_status}});
                   });
}

std::vector<cluster::LocalCall> ClusterRouter::local_calls() const {
  std::vector<cluster::LocalCall> out;
  for (auto& snapshot : workers_.snapshots()) {
    // Softphone calls never touch Meta; placed calls count once Meta gave them an id.
    if (snapshot.softphone || snapshot.call_id.empty()) continue;
    out.push_back({std::move(snapshot.call_id), std::move(snapshot.phone_number_id)});
  }
  return out;
}

} // namespace wab::app

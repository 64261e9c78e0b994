#include "bridge/call_registry.hpp"

#include "common/log.hpp"

namespace wab::bridge {

CallRegistry::CallRegistry(CallServices& services, Duration remember_for)
    : services_(services), remember_for_(remember_for) {}

CallRegistry::~CallRegistry() = default;

void CallRegistry::handle(const whatsapp::WebhookBatch& batch) {
  forget_old(services_.loop.now());
  for (const auto& event : batch.events) {
    if (const auto* connect = std::get_if<whatsapp::CallConnect>(&event)) {
      on_connect(*connect);
    } else if (const auto* terminate = std::get_if<whatsapp::CallTerminate>(&event)) {
      on_terminate(*terminate);
    } else if (const auto* status = std::get_if<whatsapp::CallStatus>(&event)) {
      auto it = calls_.find(status->call_id);
      if (it != calls_.end()) {
        it->second->on_status_webhook(*status);
      } else {
        log::info("call_status", {{"call_id", status->call_id}, {"status", status->status_text}});
      }
    } else if (const auto* errors = std::get_if<whatsapp::ValueErrors>(&event)) {
      for (const auto& e : errors->errors) {
        log::warn("webhook_error", {{"code", e.code}, {"title", e.title}, {"message", e.message}});
      }
    }
  }
}

bool CallRegistry::seen_recently(const std::string& key) {
  const auto [it, inserted] = seen_.emplace(key, services_.loop.now());
  return !inserted;
}

void CallRegistry::forget_old(TimePoint now) {
  for (auto it = seen_.begin(); it != seen_.end();) {
    it = now - it->second > remember_for_ ? seen_.erase(it) : std::next(it);
  }
  for (auto it = early_answers_.begin(); it != early_answers_.end();) {
    it = seen_.count("answer:" + it->first) == 0 ? early_answers_.erase(it) : std::next(it);
  }
}

void CallRegistry::on_connect(const whatsapp::CallConnect& connect) {
  if (connect.direction == whatsapp::CallDirection::business_initiated &&
      connect.sdp_type == whatsapp::SdpType::answer) {
    if (seen_recently("answer:" + connect.call_id)) {
      ++duplicates_ignored_;
      return;
    }
    auto it = calls_.find(connect.call_id);
    if (it != calls_.end()) {
      it->second->on_callee_answer(connect.sdp);
    } else if (early_answers_.size() < 1024) {
      early_answers_[connect.call_id] = connect.sdp; // its connect request is still answering
    }
    return;
  }
  if (connect.direction != whatsapp::CallDirection::user_initiated ||
      connect.sdp_type != whatsapp::SdpType::offer) {
    log::info("webhook_connect_ignored",
              {{"call_id", connect.call_id},
               {"direction", std::string(whatsapp::to_string(connect.direction))}});
    return;
  }
  if (seen_recently("connect:" + connect.call_id)) {
    ++duplicates_ignored_;
    log::info("webhook_duplicate", {{"call_id", connect.call_id}, {"webhook_event", "connect"}});
    return;
  }
  if (seen_.count("terminate:" + connect.call_id) != 0) {
    log::info("webhook_connect_after_terminate", {{"call_id", connect.call_id}});
    return;
  }
  if (!accepting_) {
    log::info("call_refused_draining", {{"call_id", connect.call_id}});
    services_.graph.reject(connect.business.phone_number_id, connect.call_id,
                           [](const whatsapp::GraphResult&) {});
    return;
  }
  ++calls_started_;
  auto call = std::make_unique<Call>(services_, connect, [this](Call& c) { on_call_ended(c); });
  call->set_metrics(&metrics_);
  if (services_.observer) services_.observer->call_started(call->snapshot());
  calls_.emplace(connect.call_id, std::move(call));
}

void CallRegistry::on_terminate(const whatsapp::CallTerminate& terminate) {
  if (seen_recently("terminate:" + terminate.call_id)) {
    ++duplicates_ignored_;
    return;
  }
  log::info("webhook_terminate",
            {{"call_id", terminate.call_id}, {"status", terminate.status_text}});
  auto it = calls_.find(terminate.call_id);
  if (it != calls_.end()) it->second->on_terminate_webhook(terminate);
}

void CallRegistry::on_call_ended(Call& call) {
  // Posted by the call after it ended: safe to destroy it here.
  dropped_by_ended_calls_ += call.datagrams_dropped();
  ++metrics_.ended_by_cause[call.end_cause()];
  ++metrics_.ended_by_outcome[call.outcome()];
  if (services_.observer)
    services_.observer->call_ended(call.snapshot(), call.end_cause(), call.outcome());
  const CallStats& stats = call.stats();
  metrics_.ended_to_agent.packets += stats.to_agent.packets;
  metrics_.ended_to_agent.bytes += stats.to_agent.bytes;
  metrics_.ended_to_caller.packets += stats.to_caller.packets;
  metrics_.ended_to_caller.bytes += stats.to_caller.bytes;
  for (auto it = placing_.begin(); it != placing_.end(); ++it) {
    if (it->get() == &call) {
      placing_.erase(it);
      return;
    }
  }
  early_answers_.erase(call.call_id());
  calls_.erase(call.call_id());
}

void CallRegistry::place_call(OutboundCall outbound, PlaceDone done) {
  if (!accepting_) {
    whatsapp::GraphResult refused;
    refused.message = "wabridge is shutting down";
    services_.loop.post([done = std::move(done), refused] { done(refused); });
    return;
  }
  ++calls_started_;
  placing_.push_back(std::make_unique<Call>(
      services_, std::move(outbound), [this](Call& c) { on_call_ended(c); },
      [this, done = std::move(done)](Call& call, const whatsapp::GraphResult& result) {
        done(result);
        // A failed or already ended call stays in placing_, where on_call_ended frees it.
        if (!result.ok || call.phase() == CallPhase::ended) return;
        for (auto it = placing_.begin(); it != placing_.end(); ++it) {
          if (it->get() != &call) continue;
          auto owned = std::move(*it);
          placing_.erase(it);
          calls_.emplace(call.call_id(), std::move(owned));
          if (services_.observer) services_.observer->call_started(call.snapshot());
          break;
        }
        if (auto early = early_answers_.find(call.call_id()); early != early_answers_.end()) {
          const std::string sdp = std::move(early->second);
          early_answers_.erase(early);
          call.on_callee_answer(sdp);
        }
      }));
  placing_.back()->set_metrics(&metrics_);
}

bool CallRegistry::start_softphone_call(SoftphoneCall softphone, SoftphoneAnswered done) {
  if (!accepting_ || softphone.call_id.empty() || calls_.count(softphone.call_id) != 0) {
    return false;
  }
  ++calls_started_;
  const std::string id = softphone.call_id;
  auto call = std::make_unique<Call>(
      services_, std::move(softphone), [this](Call& c) { on_call_ended(c); },
      [done = std::move(done)](Call& c, const std::string& answer_sdp) {
        done(answer_sdp, answer_sdp.empty() ? c.end_cause() : std::string());
      });
  call->set_metrics(&metrics_);
  if (services_.observer) services_.observer->call_started(call->snapshot());
  calls_.emplace(id, std::move(call));
  return true;
}

bool CallRegistry::hang_up_softphone_call(const std::string& call_id, const std::string& cause) {
  auto it = calls_.find(call_id);
  if (it == calls_.end() || !it->second->softphone()) return false;
  it->second->hang_up(cause);
  return true;
}

std::uint64_t CallRegistry::datagrams_dropped() const {
  std::uint64_t total = dropped_by_ended_calls_;
  for (const auto& [id, call] : calls_)
    total += call->datagrams_dropped();
  for (const auto& call : placing_)
    total += call->datagrams_dropped();
  return total;
}

MediaCounter CallRegistry::media_to_agent() const {
  MediaCounter total = metrics_.ended_to_agent;
  for_each_call([&](const Call& c) {
    total.packets += c.stats().to_agent.packets;
    total.bytes += c.stats().to_agent.bytes;
  });
  return total;
}

MediaCounter CallRegistry::media_to_caller() const {
  MediaCounter total = metrics_.ended_to_caller;
  for_each_call([&](const Call& c) {
    total.packets += c.stats().to_caller.packets;
    total.bytes += c.stats().to_caller.bytes;
  });
  return total;
}

std::vector<CallSnapshot> CallRegistry::snapshots() const {
  std::vector<CallSnapshot> out;
  out.reserve(active_calls());
  for_each_call([&](const Call& c) { out.push_back(c.snapshot()); });
  return out;
}

RegistryFigures CallRegistry::figures() const {
  RegistryFigures f;
  f.active_calls = active_calls();
  f.calls_started = calls_started_;
  f.duplicates_ignored = duplicates_ignored_;
  f.datagrams_dropped = datagrams_dropped();
  f.media_to_agent = media_to_agent();
  f.media_to_caller = media_to_caller();
  f.metrics = metrics_;
  return f;
}

void RegistryFigures::add(const RegistryFigures& other) {
  active_calls += other.active_calls;
  calls_started += other.calls_started;
  duplicates_ignored += other.duplicates_ignored;
  datagrams_dropped += other.datagrams_dropped;
  media_to_agent.add(other.media_to_agent);
  media_to_caller.add(other.media_to_caller);
  metrics.add(other.metrics);
}

void CallRegistry::shut_down_all(const std::string& cause) {
  accepting_ = false;
  for (auto& [id, call] : calls_)
    call->shut_down(cause);
  for (auto& call : placing_)
    call->shut_down(cause);
}

} // namespace wab::bridge

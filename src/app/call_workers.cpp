#include "app/call_workers.hpp"

#include <functional>

namespace wab::app {
namespace {

// FNV-1a: the same id always picks the same worker, whatever the standard library's hash does.
std::uint64_t hash_id(std::string_view id) {
  std::uint64_t h = 1469598103934665603ull;
  for (const unsigned char c : id) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

} // namespace

CallWorkers::CallWorkers(net::EventLoop& control_loop, const Config& config,
                         const bridge::AgentProfiles& profiles,
                         const rtc::TransportConfig& transport)
    : control_loop_(control_loop) {
  const std::size_t n = std::max<std::size_t>(1, config.workers);
  workers_.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    workers_.push_back(std::make_unique<CallWorker>(i, i == 0 ? &control_loop : nullptr, config,
                                                    profiles, transport));
  }
}

CallWorkers::~CallWorkers() {
  stop();
}

void CallWorkers::set_observer(bridge::CallObserver* observer) {
  for (auto& w : workers_)
    w->set_observer(observer, control_loop_);
}

void CallWorkers::start() {
  for (auto& w : workers_)
    w->start();
}

void CallWorkers::stop() {
  for (auto& w : workers_)
    w->stop();
}

std::size_t CallWorkers::route(const whatsapp::WebhookEvent& event) const {
  if (workers_.size() == 1) return 0;
  const std::string* id = nullptr;
  bool placed_by_us = false;
  if (const auto* connect = std::get_if<whatsapp::CallConnect>(&event)) {
    id = &connect->call_id;
    placed_by_us = connect->direction == whatsapp::CallDirection::business_initiated;
  } else if (const auto* terminate = std::get_if<whatsapp::CallTerminate>(&event)) {
    id = &terminate->call_id;
    placed_by_us = terminate->direction == whatsapp::CallDirection::business_initiated;
  } else {
    return 0; // statuses (of placed calls) and errors
  }
  if (placed_by_us || workers_.front()->registry().holds(*id)) return 0;
  return static_cast<std::size_t>(hash_id(*id) % workers_.size());
}

void CallWorkers::handle(const whatsapp::WebhookBatch& batch) {
  if (workers_.size() == 1) {
    workers_.front()->registry().handle(batch);
    return;
  }
  std::vector<whatsapp::WebhookBatch> shares(workers_.size());
  for (const auto& event : batch.events)
    shares[route(event)].events.push_back(event);
  for (std::size_t i = 0; i < shares.size(); ++i) {
    if (shares[i].events.empty()) continue;
    CallWorker& w = *workers_[i];
    w.run([&w, share = std::move(shares[i])] { w.registry().handle(share); });
  }
}

void CallWorkers::stop_accepting() {
  for (auto& w : workers_)
    w->run([&w = *w] { w.registry().stop_accepting(); });
}

void CallWorkers::shut_down_all(const std::string& cause) {
  for (auto& w : workers_)
    w->run([&w = *w, cause] { w.registry().shut_down_all(cause); });
}

template <typename Query, typename Combine>
void CallWorkers::for_each_answer(Query query, Combine combine) const {
  for (const auto& w : workers_)
    combine(w->ask([&w = *w, &query] { return query(w); }));
}

std::size_t CallWorkers::active_calls() const {
  std::size_t total = 0;
  for_each_answer([](CallWorker& w) { return w.registry().active_calls(); },
                  [&](std::size_t n) { total += n; });
  return total;
}

std::vector<bridge::CallSnapshot> CallWorkers::snapshots() const {
  std::vector<bridge::CallSnapshot> all;
  for_each_answer([](CallWorker& w) { return w.registry().snapshots(); },
                  [&](std::vector<bridge::CallSnapshot> some) {
                    all.insert(all.end(), std::make_move_iterator(some.begin()),
                               std::make_move_iterator(some.end()));
                  });
  return all;
}

bridge::RegistryFigures CallWorkers::figures() const {
  bridge::RegistryFigures total;
  for_each_answer([](CallWorker& w) { return w.registry().figures(); },
                  [&](const bridge::RegistryFigures& f) { total.add(f); });
  return total;
}

std::size_t CallWorkers::http_in_flight() const {
  std::size_t total = 0;
  for_each_answer([](CallWorker& w) { return w.http().in_flight(); },
                  [&](std::size_t n) { total += n; });
  return total;
}

std::size_t CallWorkers::loop_fds() const {
  std::size_t total = 0;
  for_each_answer([](CallWorker& w) { return w.loop().watched_fds(); },
                  [&](std::size_t n) { total += n; });
  return total;
}

std::size_t CallWorkers::loop_timers() const {
  std::size_t total = 0;
  for_each_answer([](CallWorker& w) { return w.loop().pending_timers(); },
                  [&](std::size_t n) { total += n; });
  return total;
}

} // namespace wab::app

#pragma once
// CallWorkers: the workers that carry the calls (WORKERS of them; worker 0 is the control loop)
// and which worker a webhook event goes to. A caller's call goes to the worker its call id hashes
// to, so its connect and terminate meet on one thread without any shared table. Calls the
// business places and softphone calls stay on worker 0: their ids are known only once they are
// running there, and worker 0's registry is on the control thread, where routing is decided.
//
// Owns: the workers. Threads: the control thread only; it blocks briefly in the queries (ask())
// while a worker answers.
#include <memory>
#include <vector>

#include "app/call_worker.hpp"

namespace wab::app {

class CallWorkers {
public:
  // Throws ConfigError as CallWorker does.
  CallWorkers(net::EventLoop& control_loop, const Config& config,
              const bridge::AgentProfiles& profiles, const rtc::TransportConfig& transport);
  ~CallWorkers();

  void set_observer(bridge::CallObserver* observer);
  void start();
  // Stops and joins the worker threads; worker 0 stays usable on the control loop.
  void stop();

  std::size_t size() const { return workers_.size(); }
  CallWorker& control() { return *workers_.front(); }
  CallWorker& at(std::size_t index) { return *workers_.at(index); }

  // Hands each event of a webhook body to its call's worker, in body order per worker.
  void handle(const whatsapp::WebhookBatch& batch);
  void stop_accepting();
  void shut_down_all(const std::string& cause);

  // Queries summed or joined over the workers.
  std::size_t active_calls() const;
  std::vector<bridge::CallSnapshot> snapshots() const;
  bridge::RegistryFigures figures() const;
  std::size_t http_in_flight() const;
  // Over every worker's loop, the control loop (worker 0's) included.
  std::size_t loop_fds() const;
  std::size_t loop_timers() const;

  // Which worker an event goes to (exposed for tests).
  std::size_t route(const whatsapp::WebhookEvent& event) const;

private:
  template <typename Query, typename Combine>
  void for_each_answer(Query query, Combine combine) const;

  net::EventLoop& control_loop_;
  std::vector<std::unique_ptr<CallWorker>> workers_;
};

} // namespace wab::app

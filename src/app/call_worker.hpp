#pragma once
// CallWorker: one thread's share of the calls. A worker has its own event loop and receive batch
// (the legs' sockets), its own HTTP client with the Graph API, agent signalling and tool clients
// its calls use, and its own CallRegistry: a call lives on one worker from start to end, so
// forwarding never crosses threads. Worker 0 lives on the control loop (the one serving HTTP);
// every other worker runs its loop on a thread of its own, started by start().
//
// Owns: the loop (not worker 0's), the clients, the registry and its calls, the thread.
// Threads: loop(), registry(), services(), graph() and http() belong to the worker's loop thread.
// run() and ask() are for the control thread. Calls report to the control thread's observer
// through posted copies of what they report.
#include <future>
#include <memory>
#include <thread>
#include <type_traits>

#include "agent/realtime_signaling.hpp"
#include "agent/tool_invoker.hpp"
#include "app/config.hpp"
#include "bridge/call_registry.hpp"
#include "http/client.hpp"
#include "net/event_loop.hpp"
#include "whatsapp/graph_client.hpp"

namespace wab::app {

class CallWorker {
public:
  // `control_loop`: the control loop for worker 0 (which then runs on it), null for the others.
  // `profiles` are the configured agent profiles; the worker points them at its own signalling.
  // Throws ConfigError when a profile names a provider that is not configured.
  CallWorker(std::size_t index, net::EventLoop* control_loop, const Config& config,
             bridge::AgentProfiles profiles, rtc::TransportConfig transport);
  ~CallWorker();
  CallWorker(const CallWorker&) = delete;
  CallWorker& operator=(const CallWorker&) = delete;

  // Where the calls report (the control thread's observer; null: nobody). Before start().
  void set_observer(bridge::CallObserver* observer, net::EventLoop& control_loop);
  // Starts the thread (not for worker 0). stop() ends the loop and joins; the calls left are
  // destroyed with the worker.
  void start();
  void stop();

  std::size_t index() const { return index_; }
  net::EventLoop& loop() { return loop_; }
  bridge::CallRegistry& registry() { return registry_; }
  bridge::CallServices& services() { return services_; }
  whatsapp::GraphClient& graph() { return graph_; }
  const http::Client& http() const { return http_; }

  // Runs `task` on the worker's thread: now for worker 0 (or once stopped), else posted.
  void run(std::function<void()> task);
  // Runs `query` on the worker's thread and waits for its result (control thread only: a worker
  // never waits for another thread, so this cannot deadlock).
  template <typename Query> std::invoke_result_t<Query&> ask(Query query) {
    if (!thread_.joinable()) return query();
    std::packaged_task<std::invoke_result_t<Query&>()> task(std::move(query));
    auto result = task.get_future();
    loop_.post([&task] { task(); });
    return result.get();
  }

private:
  class ForwardingObserver;
  void use_providers(bridge::AgentProfile& profile, const std::string& where);

  std::size_t index_;
  std::unique_ptr<net::EventLoop> own_loop_; // null for worker 0
  net::EventLoop& loop_;
  net::ReceiveBatch batch_;
  http::Client http_;
  whatsapp::GraphClient graph_;
  std::unique_ptr<agent::RealtimeSignaling> realtime_;
  std::unique_ptr<agent::RealtimeSignaling> azure_;
  std::unique_ptr<agent::RealtimeSignaling> live_; // GPT-Live, same key and base as OpenAI
  agent::ToolInvoker tool_invoker_;
  bridge::CallServices services_;
  bridge::CallRegistry registry_;
  std::unique_ptr<ForwardingObserver> forwarding_observer_;
  std::thread thread_;
};

} // namespace wab::app

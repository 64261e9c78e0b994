#pragma once
// The wabridge server: one control loop with the HTTP server (webhooks, health, metrics,
// dashboard), and the call workers (app/call_workers.hpp): worker 0 on the control loop, the
// others on threads of their own, each with its calls, their media legs and the HTTP client they
// use (Graph API, OpenAI). SIGTERM/SIGINT drain: /healthz turns 503, new calls are refused, live
// calls may finish for the grace period, then they are ended cleanly.
//
// Threads: run() runs the control loop on the calling thread and the workers' threads.
#include <memory>

#include "app/config.hpp"

namespace wab::app {

class Server {
public:
  explicit Server(Config config);
  ~Server();
  // Serves until drained after a signal; returns the exit code.
  int run();

  class Impl;

private:
  std::unique_ptr<Impl> impl_;
};

} // namespace wab::app

#pragma once
// The wabridge server: one control loop with the HTTP server (webhooks, health, metrics), the
// HTTP client (Graph API, OpenAI), and the calls with their media legs. SIGTERM/SIGINT drain:
// /healthz turns 503, new calls are refused, live calls may finish for the grace period, then
// they are ended cleanly.
//
// Threads: run() runs the loop on the calling thread; everything else happens on it.
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

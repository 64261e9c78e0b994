#pragma once
// The load generator: plays Meta (signed webhooks in, the Graph API calls endpoint) and OpenAI
// (the Realtime calls endpoint and the agent's leg) for N concurrent calls against a wabridge
// process it starts, sends a probe packet every 20 ms in both directions of every call, and
// measures steady-state windows: loss, one-way latency, the bridge's CPU and memory.
//
// Everything runs on one EventLoop thread; the bridge is a separate process.
#include <sys/resource.h>

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/client.hpp"
#include "http/server.hpp"
#include "net/event_loop.hpp"
#include "net/udp_socket.hpp"
#include "tools/loadgen/bridge_process.hpp"
#include "tools/loadgen/options.hpp"
#include "tools/loadgen/sim_peer.hpp"
#include "tools/loadgen/stats.hpp"

namespace wab::loadgen {

struct SimCall {
  std::string id;
  std::unique_ptr<SimPeer> caller;
  std::string offer;
  TimePoint webhook_at{};
  std::optional<TimePoint> pre_accept_at;
  std::optional<TimePoint> accept_at;
  bool started = false; // the answer was applied to the caller's leg
  bool ended = false;   // the bridge sent reject/terminate
  bool established() const { return accept_at && caller->connected(); }
};

struct StepResult {
  std::size_t calls = 0;
  std::size_t established = 0;
  std::size_t agents_ready = 0;
  std::size_t failed_legs = 0;
  bool setup_timed_out = false;
  Percentiles setup_pre_accept_ms, setup_accept_ms;
  double setups_per_s = 0; // calls of the step placed and up, per second of the setup phase
  double setup_cpu_ms = 0; // bridge CPU during the setup phase per call placed
  std::uint64_t sent[2] = {}, received[2] = {}; // [0] caller→agent, [1] agent→caller
  double loss[2] = {};
  Percentiles latency_us[2];
  double window_s = 0;
  double bridge_cpu_s = 0;
  double generator_cpu_s = 0;
  std::uint64_t skipped_ticks = 0; // 1 ms send ticks the generator was too late for
  double cpu_us_per_packet = 0;
  std::uint64_t bridge_rss = 0, idle_rss = 0;
  std::size_t bridge_fds = 0;
  std::size_t gcm_legs[2] = {}; // legs that negotiated [0] GCM, [1] CM-SHA1-80
  bool pass = false;
};

class Generator {
public:
  explicit Generator(Options options);
  ~Generator();
  // Runs every step; returns the process exit code.
  int run();

private:
  // services.cpp: the simulated HTTP endpoints and the webhooks.
  void install_routes();
  void on_graph(const http::ServerRequest& r, http::Responder respond);
  void on_openai_call(const http::ServerRequest& r, http::Responder respond);
  void post_webhook(const std::string& body, std::function<void(bool)> done = {});
  std::string connect_body(const SimCall& call) const;
  std::string terminate_body(const SimCall& call) const;
  std::vector<std::string> bridge_environment() const;

  // generator.cpp: the schedule.
  void wait_healthy(TimePoint deadline);
  void begin_step(std::size_t target);
  void place_next();
  void check_established();
  void open_window();
  void close_window();
  void finish_step();
  void finish();
  void wait_teardown(TimePoint deadline);
  void on_media_tick();
  void on_probe(SimPeer::Role receiver, const Probe& probe, TimePoint now);
  void on_sent(SimPeer::Role sender, std::int64_t sent_ns);
  void print_step(const StepResult& r) const;
  void print_sample();
  double generator_cpu() const;
  void after(Duration d, std::function<void()> f);

  Options options_;
  net::EventLoop loop_;
  net::ReceiveBatch batch_;
  http::Server services_;
  http::Client client_;
  std::uint16_t services_port_ = 0;
  std::uint16_t bridge_port_ = 0;
  std::unique_ptr<BridgeProcess> bridge_;

  std::vector<std::unique_ptr<SimCall>> calls_;
  std::unordered_map<std::string, std::size_t> by_id_;
  std::vector<std::unique_ptr<SimPeer>> agents_;
  std::size_t hangups_ = 0;
  std::size_t webhook_failures_ = 0;
  std::size_t graph_errors_ = 0;

  DirectionStats stats_[2];
  std::size_t target_ = 0;
  std::size_t step_first_call_ = 0;
  TimePoint step_deadline_{};
  TimePoint setup_start_{};
  double setup_start_cpu_ = 0;
  TimePoint next_tick_{};
  std::uint64_t tick_ = 0;
  std::uint64_t skipped_ticks_ = 0, window_start_skipped_ = 0;
  bool media_on_ = false;

  StepResult current_;
  ProcessSample window_start_sample_;
  double window_start_gen_cpu_ = 0;
  TimePoint window_start_{};
  std::vector<StepResult> results_;
  std::uint64_t idle_rss_ = 0;
  int exit_code_ = 0;
};

} // namespace wab::loadgen

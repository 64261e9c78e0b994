#pragma once
// The live dashboard (enabled by ADMIN_TOKEN): GET /dashboard serves the page, GET /api/calls the
// live and recent calls as JSON, GET /api/events pushes changes as server-sent events:
//   snapshot     the whole picture, first on every stream (so a page never misses what came
//                before it connected)
//   call_started, call_state (a setup step), transcript, call_ended
//   stats        every second: the live calls' counters, packet rates and RTCP figures, and in
//                cluster mode `cluster` {node_id, redis_up, nodes, draining_nodes, calls}
// The API wants the admin token as a Bearer header or the cookie of a session opened with it
// (POST /dashboard/login with the Bearer header; POST /dashboard/logout ends it): see
// DashboardAuth. The token is never logged.
//
// Implements the bridge's CallObserver; reads the calls' counters on its own 1 s timer, never
// per packet. Threads: the control loop's thread only (calls on other workers report through
// posted copies, see CallWorker). Owned by the app; outlives nothing it observes (the app unsets
// the observer before the workers go).
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "app/call_workers.hpp"
#include "app/dashboard_auth.hpp"
#include "app/dashboard_state.hpp"
#include "bridge/call_observer.hpp"
#include "http/server.hpp"
#include "net/event_loop.hpp"

namespace wab::app {

// One of the operator pages compiled into the binary: no caching, and a CSP that loads nothing
// from elsewhere (all inline) and lets no other site frame it; `extra_csp` ("media-src …; ")
// widens it for one page.
http::ServerResponse embedded_page(std::string_view html, std::string_view extra_csp = {});

class Dashboard final : public bridge::CallObserver {
public:
  static constexpr std::size_t kMaxStreams = 16;

  Dashboard(net::EventLoop& loop, const CallWorkers& workers, std::string admin_token);
  ~Dashboard() override;
  Dashboard(const Dashboard&) = delete;
  Dashboard& operator=(const Dashboard&) = delete;

  void add_routes(http::Server& server);
  // Cluster mode: what each stats event carries under "cluster" (read on the loop thread).
  void set_cluster_figures(std::function<nlohmann::json()> figures) {
    cluster_figures_ = std::move(figures);
  }
  std::size_t streams() const { return streams_.size(); }

  // bridge::CallObserver
  void call_started(const bridge::CallSnapshot& call) override;
  void call_step(const bridge::CallSnapshot& call, std::string_view step) override;
  void transcript(const std::string& call_id, std::string_view speaker,
                  const std::string& text) override;
  void call_ended(const bridge::CallSnapshot& call, const std::string& cause,
                  const std::string& outcome) override;

  // True when the request is signed in; otherwise answers 401 and logs it. Shared with the
  // softphone, which uses the same sign-in.
  bool authorize(const http::ServerRequest& request, const http::Responder& reply);

private:
  void open_stream(const http::ServerRequest& request, const http::Responder& reply);
  void push(std::string_view event, const nlohmann::json& data);
  void on_tick();

  net::EventLoop& loop_;
  const CallWorkers& workers_;
  DashboardAuth auth_;
  DashboardState state_;
  std::vector<http::ResponseStream> streams_;
  net::LoopTimer tick_;
  std::function<nlohmann::json()> cluster_figures_;
};

} // namespace wab::app

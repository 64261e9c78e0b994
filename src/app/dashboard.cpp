#include "app/dashboard.hpp"

#include "app/dashboard_page.hpp"
#include "common/log.hpp"
#include "http/sse.hpp"

namespace wab::app {
namespace {

constexpr auto kTickEvery = seconds(1);

std::int64_t wall_ms() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void json_reply(const http::Responder& reply, int status, const nlohmann::json& body) {
  http::ServerResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  response.headers.emplace_back("Cache-Control", "no-store");
  reply.send(std::move(response));
}

} // namespace

Dashboard::Dashboard(net::EventLoop& loop, const CallWorkers& workers, std::string admin_token)
    : loop_(loop), workers_(workers), auth_(std::move(admin_token)),
      tick_(loop, [this] { on_tick(); }) {
  tick_.arm(loop_.now() + kTickEvery);
}

http::ServerResponse embedded_page(std::string_view html, std::string_view extra_csp) {
  http::ServerResponse response;
  response.content_type = "text/html; charset=utf-8";
  response.body = std::string(html);
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("Content-Security-Policy",
                                std::string("default-src 'none'; style-src 'unsafe-inline'; "
                                            "script-src 'unsafe-inline'; connect-src 'self'; ") +
                                    std::string(extra_csp) + "frame-ancestors 'none'");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return response;
}

Dashboard::~Dashboard() {
  for (const auto& stream : streams_)
    stream.close();
}

void Dashboard::add_routes(http::Server& server) {
  server.route("GET", "/dashboard", [](const http::ServerRequest&, const http::Responder& reply) {
    reply.send(embedded_page(dashboard_page()));
  });
  server.route(
      "POST", "/dashboard/login",
      [this](const http::ServerRequest& req, const http::Responder& reply) {
        if (!auth_.bearer_ok(req)) {
          log::warn("dashboard_unauthorized", {{"peer", req.peer.ip_string()}, {"path", req.path}});
          json_reply(reply, 401, {{"error", "wrong admin token"}});
          return;
        }
        const bool secure = req.header("x-forwarded-proto") == "https";
        http::ServerResponse response;
        response.status = 204;
        response.headers.emplace_back("Set-Cookie", auth_.open_session(loop_.now(), secure));
        response.headers.emplace_back("Cache-Control", "no-store");
        log::info("dashboard_login", {{"peer", req.peer.ip_string()}});
        reply.send(std::move(response));
      });
  server.route("POST", "/dashboard/logout",
               [this](const http::ServerRequest& req, const http::Responder& reply) {
                 http::ServerResponse response;
                 response.status = 204;
                 response.headers.emplace_back("Set-Cookie", auth_.close_session(req));
                 reply.send(std::move(response));
               });
  server.route("GET", "/api/calls",
               [this](const http::ServerRequest& req, const http::Responder& reply) {
                 if (!authorize(req, reply)) return;
                 json_reply(reply, 200, state_.calls());
               });
  server.route("GET", "/api/events",
               [this](const http::ServerRequest& req, const http::Responder& reply) {
                 open_stream(req, reply);
               });
}

bool Dashboard::authorize(const http::ServerRequest& request, const http::Responder& reply) {
  if (auth_.allowed(request, loop_.now())) return true;
  log::warn("dashboard_unauthorized", {{"peer", request.peer.ip_string()}, {"path", request.path}});
  json_reply(reply, 401, {{"error", "sign in with the admin token (Bearer or dashboard login)"}});
  return false;
}

void Dashboard::open_stream(const http::ServerRequest& request, const http::Responder& reply) {
  if (!authorize(request, reply)) return;
  std::erase_if(streams_, [](const http::ResponseStream& s) { return !s.open(); });
  if (streams_.size() >= kMaxStreams) {
    json_reply(reply, 503, {{"error", "too many dashboard streams"}});
    return;
  }
  http::ServerResponse head;
  head.content_type = "text/event-stream; charset=utf-8";
  head.headers.emplace_back("Cache-Control", "no-store");
  head.headers.emplace_back("X-Accel-Buffering", "no"); // nginx: pass events on at once
  head.body =
      http::sse_retry(3000) +
      http::sse_event("snapshot", state_.calls().dump(-1, ' ', false,
                                                      nlohmann::json::error_handler_t::replace));
  auto stream = reply.stream(std::move(head));
  if (stream.open()) streams_.push_back(std::move(stream));
}

void Dashboard::push(std::string_view event, const nlohmann::json& data) {
  if (streams_.empty()) return;
  const std::string framed =
      http::sse_event(event, data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  std::erase_if(streams_, [&](const http::ResponseStream& s) { return !s.write(framed); });
}

void Dashboard::on_tick() {
  tick_.arm(loop_.now() + kTickEvery);
  // Rates are kept up to date even without a viewer, so the first one sees real figures.
  auto stats = state_.tick(workers_.snapshots(), loop_.now(), wall_ms());
  if (cluster_figures_) stats["cluster"] = cluster_figures_();
  push("stats", stats);
}

void Dashboard::call_started(const bridge::CallSnapshot& call) {
  push("call_started", state_.started(call, wall_ms()));
}

void Dashboard::call_step(const bridge::CallSnapshot& call, std::string_view step) {
  push("call_state", state_.step(call, step, wall_ms()));
}

void Dashboard::transcript(const std::string& call_id, std::string_view speaker,
                           const std::string& text) {
  push("transcript", state_.transcript(call_id, speaker, text, wall_ms()));
}

void Dashboard::call_ended(const bridge::CallSnapshot& call, const std::string& cause,
                           const std::string& outcome) {
  push("call_ended", state_.ended(call, cause, outcome, wall_ms()));
}

} // namespace wab::app

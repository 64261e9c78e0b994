#include "app/server.hpp"

#include <algorithm>

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <fmt/format.h>

#include "app/agent_profiles.hpp"
#include "app/call_workers.hpp"
#include "app/cluster_router.hpp"
#include "app/dashboard.hpp"
#include "app/dashboard_auth.hpp"
#include "app/metrics.hpp"
#include "app/softphone.hpp"
#include "common/json_input.hpp"
#include "common/log.hpp"
#include "http/server.hpp"
#include "net/event_loop.hpp"
#include "net/interfaces.hpp"
#include "tls/client_context.hpp"
#include "turn/server_url.hpp"
#include "whatsapp/signature.hpp"
#include "whatsapp/webhook.hpp"

namespace wab::app {
namespace {

rtc::TransportConfig transport_config(const Config& c) {
  rtc::TransportConfig t;
  if (!c.media_public_ip.empty()) {
    auto ip = net::SocketAddress::parse(c.media_public_ip, 0);
    if (!ip) throw ConfigError("MEDIA_PUBLIC_IP: not an IP address: '" + c.media_public_ip + "'");
    t.host_addresses.push_back(*ip);
  } else {
    t.host_addresses = net::local_addresses();
    if (t.host_addresses.empty()) {
      throw ConfigError("MEDIA_PUBLIC_IP: no usable interface address found; set it explicitly");
    }
  }
  if (!c.stun_server.empty()) {
    try {
      t.stun_server = net::resolve_host_port(c.stun_server);
    } catch (const std::exception& e) {
      throw ConfigError(std::string("STUN_SERVER: ") + e.what());
    }
  }
  // One TLS context for every `turns:` server and leg: the trust store is loaded once, at start.
  std::shared_ptr<const tls::ClientContext> tls_context;
  for (const auto& text : c.turn_urls) {
    std::string error;
    const auto url = turn::ServerUrl::parse(text, error);
    if (!url) throw ConfigError("TURN_URLS: '" + text + "': " + error);
    const bool v6 = url->host.find(':') != std::string::npos;
    rtc::TurnServer server;
    server.url = url->to_string();
    server.transport = url->transport;
    server.host = url->host;
    if (url->transport == turn::ServerTransport::tls) {
      if (!tls_context) {
        try {
          tls_context = std::make_shared<const tls::ClientContext>(c.turn_tls_ca_file);
        } catch (const std::exception& e) {
          throw ConfigError(std::string("TURN_TLS_CA_FILE: ") + e.what());
        }
      }
      server.tls_context = tls_context;
    }
    try {
      server.address = net::resolve_host_port((v6 ? "[" + url->host + "]" : url->host) + ":" +
                                              std::to_string(url->port));
    } catch (const std::exception& e) {
      throw ConfigError("TURN_URLS: " + server.url + ": " + e.what());
    }
    server.username = c.turn_username;
    server.password = c.turn_password;
    t.turn_servers.push_back(std::move(server));
  }
  t.relay_only = c.ice_transport_policy == "relay";
  t.socket.min_port = c.media_port_min;
  t.socket.max_port = c.media_port_max;
  return t;
}

} // namespace

class Server::Impl {
public:
  explicit Impl(Config config)
      : config_(std::move(config)), http_server_(loop_),
        workers_(loop_, config_, build_agent_profiles(config_, announcements_),
                 transport_config(config_)) {
    if (!config_.redis_url.empty()) {
      cluster::ClusterSettings cs;
      cs.redis = cluster::parse_redis_url(config_.redis_url);
      cs.node_id = config_.node_id;
      cs.call_ttl = config_.cluster_call_ttl;
      cs.max_calls_per_number = config_.max_calls_per_number;
      cluster_ = std::make_unique<ClusterRouter>(loop_, std::move(cs), workers_,
                                                 workers_.control().graph());
    }
    if (!config_.admin_token.empty()) {
      dashboard_ = std::make_unique<Dashboard>(loop_, workers_, config_.admin_token);
      if (cluster_) {
        dashboard_->set_cluster_figures([this] {
          const auto f = cluster_->node().figures();
          return nlohmann::json{{"node_id", cluster_->node().settings().node_id},
                                {"redis_up", f.redis_up},
                                {"nodes", f.nodes},
                                {"draining_nodes", f.draining_nodes},
                                {"calls", f.calls}};
        });
      }
      workers_.set_observer(dashboard_.get());
      softphone_ = std::make_unique<Softphone>(workers_.control().registry(),
                                               workers_.control().services(), *dashboard_);
    }
    routes();
  }

  // The calls outlive the dashboard (members go in reverse order): they must not report to it,
  // and the worker threads must be stopped before anything they use goes.
  ~Impl() {
    workers_.stop();
    workers_.set_observer(nullptr);
  }

  int run() {
    watch_signals();
    sweep_call_data();
    const std::uint16_t port = http_server_.listen(config_.http_host, config_.port);
    nlohmann::json addresses = nlohmann::json::array();
    for (const auto& a : workers_.control().services().transport.host_addresses)
      addresses.push_back(a.ip_string());
    log::info(
        "wabridge_listening",
        {{"host", config_.http_host},
         {"port", port},
         {"media_addresses", addresses},
         {"media_ports", fmt::format("{}-{}", config_.media_port_min, config_.media_port_max)},
         {"agent", workers_.control().services().realtime != nullptr ? "openai_realtime"
                                                                     : "none (calls are rejected)"},
         {"openai_auth", config_.openai_auth},
         {"fallback", config_.fallback},
         {"numbers_configured", workers_.control().services().profiles.by_number.size()},
         {"workers", workers_.size()}});
    if (dashboard_) {
      log::info("dashboard_enabled", {{"path", "/dashboard"}, {"softphone", "/softphone"}});
    } else {
      log::info("dashboard_disabled", {{"reason", "ADMIN_TOKEN is not set"}});
    }
    if (config_.whatsapp_insecure_skip_signature) {
      log::warn("webhook_signature_check_disabled",
                {{"setting", "WHATSAPP_INSECURE_SKIP_SIGNATURE"}});
    }
    workers_.start();
    if (cluster_) cluster_->start();
    loop_.run();
    workers_.stop();
    log::info("wabridge_stopped", {});
    return 0;
  }

private:
  void routes() {
    http_server_.route(
        "GET", "/webhook", [this](const http::ServerRequest& req, const http::Responder& reply) {
          auto challenge = whatsapp::verify_subscription(
              req.query_param("hub.mode").value_or(""),
              req.query_param("hub.verify_token").value_or(""),
              req.query_param("hub.challenge").value_or(""), config_.whatsapp_verify_token);
          if (challenge) {
            reply.send(200, *challenge);
          } else {
            log::warn("webhook_verification_refused", {});
            reply.send(403, "forbidden");
          }
        });
    http_server_.route(
        "POST", "/webhook",
        [this](const http::ServerRequest& req, http::Responder reply) { on_webhook(req, reply); });
    http_server_.route("GET", "/healthz",
                       [this](const http::ServerRequest&, const http::Responder& r) {
                         if (draining_)
                           r.send(503, "draining\n");
                         else if (cluster_ && !cluster_->node().redis_up())
                           // Up, but new calls are refused until Redis is back.
                           r.send(200, "ok\nredis: unavailable, new calls are refused\n");
                         else
                           r.send(200, "ok\n");
                       });
    http_server_.route("POST", "/calls", [this](const http::ServerRequest& req, http::Responder r) {
      on_place_call(req, std::move(r));
    });
    http_server_.route("GET", "/metrics",
                       [this](const http::ServerRequest&, const http::Responder& r) {
                         r.send(200, metrics(), "text/plain; version=0.0.4");
                       });
    if (dashboard_) dashboard_->add_routes(http_server_); // else /dashboard and /api/* are 404
    if (softphone_) softphone_->add_routes(http_server_); // likewise /softphone
  }

  void on_webhook(const http::ServerRequest& req, const http::Responder& reply) {
    ++webhooks_received_;
    if (!config_.whatsapp_insecure_skip_signature &&
        !whatsapp::verify_signature(config_.whatsapp_app_secret, req.body,
                                    req.header("x-hub-signature-256"))) {
      ++webhooks_bad_signature_;
      log::warn("webhook_bad_signature", {{"peer", req.peer.ip_string()}});
      reply.send(403, "bad signature");
      return;
    }
    auto batch = std::make_shared<whatsapp::WebhookBatch>(whatsapp::parse_webhook(req.body));
    // Answer at once: Meta retries slow deliveries. Malformed bodies are acknowledged too, so
    // Meta does not retry them forever.
    reply.send(200, "");
    if (!batch->ok()) {
      ++webhooks_malformed_;
      log::warn("webhook_malformed", {{"error", batch->error}});
      return;
    }
    // A hang-up takes effect before the loop reads more media. A caller that hangs up also
    // closes its DTLS, and when its socket is already readable in this epoll batch (e.g. while
    // it is sprayed with garbage) the close_notify would be read before a posted task runs: a
    // different cause and a needless Graph terminate. A connect's work (sockets, SDP) stays
    // behind the answer, as does everything in cluster mode (ownership lives in Redis).
    if (!cluster_ && std::none_of(batch->events.begin(), batch->events.end(), [](const auto& e) {
          return std::holds_alternative<whatsapp::CallConnect>(e);
        })) {
      if (draining_) workers_.stop_accepting();
      workers_.handle(*batch);
      return;
    }
    std::shared_ptr<const std::string> body;
    if (cluster_) body = std::make_shared<const std::string>(req.body);
    loop_.post([this, batch = std::move(batch), body = std::move(body)] {
      if (draining_) workers_.stop_accepting();
      if (cluster_) {
        cluster_->handle(batch, body);
      } else {
        workers_.handle(*batch);
      }
    });
  }

  // POST /calls {"to", "phone_number_id", "biz_opaque_callback_data"?} with the admin token:
  // places a business-initiated call and answers with Graph's call id once Meta took it.
  void on_place_call(const http::ServerRequest& req, http::Responder reply) {
    const auto json_reply = [](http::Responder& r, int status, const nlohmann::json& body) {
      r.send(status, body.dump(), "application/json");
    };
    if (config_.admin_token.empty()) {
      json_reply(reply, 404, {{"error", "outbound calls are disabled: set ADMIN_TOKEN"}});
      return;
    }
    if (!same_secret(req.header("authorization"), "Bearer " + config_.admin_token)) {
      log::warn("admin_unauthorized", {{"peer", req.peer.ip_string()}});
      json_reply(reply, 401, {{"error", "missing or wrong Bearer token"}});
      return;
    }
    std::string why;
    const auto body = parse_untrusted_json(req.body, {64 * 1024, 8}, why);
    bridge::OutboundCall call;
    if (body) {
      call.to = string_field(*body, "to");
      call.phone_number_id = string_field(*body, "phone_number_id");
      if (auto data = string_field(*body, "biz_opaque_callback_data"); !data.empty()) {
        call.biz_opaque_callback_data = data.substr(0, 512);
      }
    }
    if (!body || call.to.empty() || call.phone_number_id.empty()) {
      json_reply(reply, 400, {{"error", "expected JSON {\"to\", \"phone_number_id\"}"}});
      return;
    }
    if (draining_) {
      json_reply(reply, 503, {{"error", "wabridge is shutting down"}});
      return;
    }
    const bridge::CallServices& services = workers_.control().services();
    if (services.profiles.for_number(call.phone_number_id).realtime == nullptr &&
        services.realtime == nullptr) {
      json_reply(reply, 503, {{"error", "no agent is configured for this number"}});
      return;
    }
    // Placed calls run on worker 0, the control loop: see CallWorkers.
    workers_.control().registry().place_call(
        std::move(call),
        [reply = std::move(reply), json_reply](const whatsapp::GraphResult& r) mutable {
          if (r.ok) {
            json_reply(reply, 200, {{"call_id", r.call_id}});
          } else {
            json_reply(
                reply, 502,
                {{"error", r.message}, {"code", r.error_code}, {"http_status", r.http_status}});
          }
        });
  }

  std::string metrics() const {
    std::optional<ClusterReport> cluster;
    if (cluster_) {
      cluster = ClusterReport{cluster_->node().figures(), cluster_->counters(),
                              cluster_->node().calls_orphaned()};
    }
    return render_metrics(workers_.figures(),
                          {webhooks_received_, webhooks_bad_signature_, webhooks_malformed_,
                           draining_, workers_.loop_fds(), workers_.loop_timers(),
                           workers_.http_in_flight()},
                          cluster);
  }

  // Retention: at start and then hourly, call files older than the setting are deleted.
  void sweep_call_data() {
    if (config_.call_data_dir.empty() || config_.call_data_retention_days == 0) return;
    const auto removed = bridge::remove_old_call_data(
        config_.call_data_dir, std::chrono::hours(24) * config_.call_data_retention_days);
    if (removed > 0) log::info("call_data_removed", {{"files", removed}});
    loop_.add_timer(loop_.now() + std::chrono::hours(1), [this] { sweep_call_data(); });
  }

  void watch_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    signal_fd_ = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signal_fd_ < 0) throw std::runtime_error("signalfd failed");
    loop_.add_fd(signal_fd_, [this] {
      signalfd_siginfo info{};
      while (::read(signal_fd_, &info, sizeof info) == sizeof info) {
        start_drain(info.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
      }
    });
  }

  void start_drain(const char* signal_name) {
    if (draining_) { // a second signal: stop now
      workers_.shut_down_all("shutdown");
      finish_drain(loop_.now() + seconds(5));
      return;
    }
    draining_ = true;
    workers_.stop_accepting();
    if (cluster_) cluster_->set_draining();
    log::info(
        "drain_started",
        {{"signal", signal_name},
         {"active_calls", workers_.active_calls()},
         {"grace_seconds", std::chrono::duration_cast<seconds>(config_.drain_grace).count()}});
    drain_deadline_ = loop_.now() + config_.drain_grace;
    poll_drain();
  }

  void poll_drain() {
    if (workers_.active_calls() == 0) {
      finish_drain(loop_.now() + seconds(5));
      return;
    }
    if (loop_.now() >= drain_deadline_) {
      workers_.shut_down_all("shutdown");
      finish_drain(loop_.now() + seconds(5));
      return;
    }
    loop_.add_timer(loop_.now() + milliseconds(100), [this] { poll_drain(); });
  }

  // Lets outgoing Graph/OpenAI requests (terminate, hangup) finish, then stops the loop.
  void finish_drain(TimePoint deadline) {
    http_server_.stop_accepting();
    if (cluster_) cluster_->node().flush(); // the calls that just ended are no orphans
    const bool redis_done = !cluster_ || cluster_->node().in_flight() == 0;
    if ((workers_.http_in_flight() == 0 && workers_.active_calls() == 0 && redis_done) ||
        loop_.now() >= deadline) {
      loop_.stop();
      return;
    }
    loop_.add_timer(loop_.now() + milliseconds(50), [this, deadline] { finish_drain(deadline); });
  }

  Config config_;
  net::EventLoop loop_;
  http::Server http_server_;
  AnnouncementStore announcements_; // before workers_: their profiles point into it
  CallWorkers workers_;
  std::unique_ptr<Dashboard> dashboard_;   // null without ADMIN_TOKEN
  std::unique_ptr<Softphone> softphone_;   // likewise
  std::unique_ptr<ClusterRouter> cluster_; // null without REDIS_URL
  int signal_fd_ = -1;
  bool draining_ = false;
  TimePoint drain_deadline_{};
  std::uint64_t webhooks_received_ = 0;
  std::uint64_t webhooks_bad_signature_ = 0;
  std::uint64_t webhooks_malformed_ = 0;
};

Server::Server(Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Server::~Server() = default;
int Server::run() {
  return impl_->run();
}

} // namespace wab::app

#include "app/call_worker.hpp"

#include "common/log.hpp"

namespace wab::app {
namespace {

agent::AuthMode auth_mode(const Config& c) {
  return c.openai_auth == "ephemeral" ? agent::AuthMode::ephemeral : agent::AuthMode::api_key;
}

} // namespace

// Hands what the calls report to the observer on the control thread, as copies.
class CallWorker::ForwardingObserver final : public bridge::CallObserver {
public:
  ForwardingObserver(bridge::CallObserver& target, net::EventLoop& control)
      : target_(target), control_(control) {}

  void call_started(const bridge::CallSnapshot& call) override {
    control_.post([this, call] { target_.call_started(call); });
  }
  void call_step(const bridge::CallSnapshot& call, std::string_view step) override {
    control_.post([this, call, step = std::string(step)] { target_.call_step(call, step); });
  }
  void transcript(const std::string& call_id, std::string_view speaker,
                  const std::string& text) override {
    control_.post([this, call_id, speaker = std::string(speaker), text] {
      target_.transcript(call_id, speaker, text);
    });
  }
  void call_ended(const bridge::CallSnapshot& call, const std::string& cause,
                  const std::string& outcome) override {
    control_.post([this, call, cause, outcome] { target_.call_ended(call, cause, outcome); });
  }

private:
  bridge::CallObserver& target_;
  net::EventLoop& control_;
};

CallWorker::CallWorker(std::size_t index, net::EventLoop* control_loop, const Config& config,
                       bridge::AgentProfiles profiles, rtc::TransportConfig transport)
    : index_(index),
      own_loop_(control_loop != nullptr ? nullptr : std::make_unique<net::EventLoop>()),
      loop_(control_loop != nullptr ? *control_loop : *own_loop_), http_(loop_),
      graph_(http_, whatsapp::GraphConfig{config.whatsapp_graph_url, config.whatsapp_access_token,
                                          seconds(10)}),
      tool_invoker_(http_), services_{loop_,
                                      batch_,
                                      graph_,
                                      nullptr,
                                      std::move(profiles),
                                      std::move(transport),
                                      config.accept_window,
                                      config.agent_setup_timeout,
                                      config.max_call_duration,
                                      config.agent_rollover_after,
                                      &tool_invoker_,
                                      {config.call_data_dir, config.record_calls}},
      registry_(services_) {
  if (!config.openai_api_key.empty()) {
    agent::RealtimeConfig rc;
    rc.base_url = config.openai_base_url;
    rc.api_key = config.openai_api_key;
    rc.auth = auth_mode(config);
    realtime_ = std::make_unique<agent::RealtimeSignaling>(http_, rc);
    services_.realtime = realtime_.get();

    agent::RealtimeConfig live;
    live.api = agent::AgentApi::live;
    live.base_url = config.openai_base_url;
    live.api_key = config.openai_api_key;
    live_ = std::make_unique<agent::RealtimeSignaling>(http_, live);
  }
  if (!config.azure_openai_api_key.empty()) {
    agent::RealtimeConfig rc;
    rc.base_url = config.azure_openai_base_url;
    rc.api_key = config.azure_openai_api_key;
    rc.azure_api_key_header = true;
    rc.auth = auth_mode(config);
    azure_ = std::make_unique<agent::RealtimeSignaling>(http_, rc);
  }
  use_providers(services_.profiles.default_profile, "[agent]");
  for (auto& [id, profile] : services_.profiles.by_number)
    use_providers(profile, "[numbers.\"" + id + "\"]");
}

CallWorker::~CallWorker() {
  stop();
  // The calls outlive the observer (the app's, destroyed first): they must not report to it.
  services_.observer = nullptr;
}

// Points a profile at its agent service; Azure must be configured when a profile names it.
void CallWorker::use_providers(bridge::AgentProfile& profile, const std::string& where) {
  if (profile.provider == "gpt-live") {
    if (!live_) throw ConfigError(where + ": provider gpt-live needs OPENAI_API_KEY");
    profile.realtime = live_.get();
    return;
  }
  if (profile.provider != "azure") return;
  if (!azure_) {
    throw ConfigError(where + ": provider azure needs AZURE_OPENAI_API_KEY and "
                              "AZURE_OPENAI_BASE_URL");
  }
  profile.realtime = azure_.get();
}

void CallWorker::set_observer(bridge::CallObserver* observer, net::EventLoop& control_loop) {
  if (observer == nullptr || !own_loop_) {
    services_.observer = observer;
    return;
  }
  forwarding_observer_ = std::make_unique<ForwardingObserver>(*observer, control_loop);
  services_.observer = forwarding_observer_.get();
}

void CallWorker::start() {
  if (!own_loop_ || thread_.joinable()) return;
  thread_ = std::thread([this] {
    try {
      loop_.run();
    } catch (const std::exception& e) {
      // As on the control loop, an escaped exception is a bug that ends the process, loudly.
      log::error("worker_failed", {{"worker", index_}, {"error", e.what()}});
      throw;
    }
  });
}

void CallWorker::stop() {
  if (!thread_.joinable()) return;
  loop_.stop();
  thread_.join();
}

void CallWorker::run(std::function<void()> task) {
  if (thread_.joinable()) {
    loop_.post(std::move(task));
  } else {
    task();
  }
}

} // namespace wab::app

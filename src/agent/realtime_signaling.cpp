#include "agent/realtime_signaling.hpp"

#include "common/log.hpp"

namespace wab::agent {

RealtimeSignaling::RealtimeSignaling(Sender sender, RealtimeConfig config)
    : sender_(std::move(sender)), config_(std::move(config)) {}

void RealtimeSignaling::create_call(std::string offer_sdp, const nlohmann::json& session,
                                    CallCallback done) {
  std::weak_ptr<int> alive = alive_;
  if (config_.api == AgentApi::live) {
    sender_(build_live_session_request(config_, offer_sdp, live_session_from_realtime(session)),
            [this, alive, done = std::move(done)](http::Response response) mutable {
              if (alive.expired()) return;
              CallResult result = parse_live_session_response(response, secrets_of(config_));
              if (result.ok) {
                log::info("openai_call_created", {{"openai_call_id", result.call_id},
                                                  {"http_status", result.http_status},
                                                  {"api", "live"}});
              } else {
                log::warn("openai_call_failed", {{"stage", "live_sessions"},
                                                 {"http_status", result.http_status},
                                                 {"error", result.error}});
              }
              if (done) done(std::move(result));
            });
    return;
  }
  if (config_.auth == AuthMode::api_key) {
    sender_(build_unified_call_request(config_, offer_sdp, session),
            [this, alive, done = std::move(done)](http::Response response) mutable {
              if (alive.expired()) return;
              finish_call(response, secrets_of(config_), done);
            });
    return;
  }
  sender_(build_client_secret_request(config_, session),
          [this, alive, offer_sdp = std::move(offer_sdp),
           done = std::move(done)](http::Response response) mutable {
            if (alive.expired()) return;
            std::string error;
            auto secret = parse_client_secret(response, secrets_of(config_), error);
            if (!secret) {
              CallResult result;
              result.http_status = response.status;
              result.error = std::move(error);
              log::warn("openai_call_failed", {{"stage", "client_secret"},
                                               {"http_status", result.http_status},
                                               {"error", result.error}});
              if (done) done(std::move(result));
              return;
            }
            post_offer_with_ephemeral_key(std::move(secret->value), std::move(offer_sdp),
                                          std::move(done));
          });
}

void RealtimeSignaling::post_offer_with_ephemeral_key(std::string ephemeral_key,
                                                      std::string offer_sdp, CallCallback done) {
  std::weak_ptr<int> alive = alive_;
  http::Request request = build_sdp_call_request(config_, ephemeral_key, offer_sdp);
  sender_(std::move(request), [this, alive, ephemeral_key = std::move(ephemeral_key),
                               done = std::move(done)](http::Response response) mutable {
    if (alive.expired()) return;
    std::vector<std::string> secrets = secrets_of(config_);
    secrets.push_back(ephemeral_key);
    finish_call(response, secrets, done);
  });
}

void RealtimeSignaling::finish_call(const http::Response& response,
                                    const std::vector<std::string>& secrets, CallCallback& done) {
  CallResult result = parse_call_response(response, secrets);
  if (result.ok) {
    log::info("openai_call_created",
              {{"openai_call_id", result.call_id}, {"http_status", result.http_status}});
  } else {
    log::warn("openai_call_failed",
              {{"stage", "calls"}, {"http_status", result.http_status}, {"error", result.error}});
  }
  if (done) done(std::move(result));
}

void RealtimeSignaling::hangup(std::string_view call_id, HangupCallback done) {
  auto request = build_hangup_request(config_, call_id);
  if (!request) {
    HangupResult result;
    result.error = "invalid call id";
    if (done) done(std::move(result));
    return;
  }
  std::weak_ptr<int> alive = alive_;
  sender_(std::move(*request), [this, alive, call_id = std::string(call_id),
                                done = std::move(done)](http::Response response) mutable {
    if (alive.expired()) return;
    HangupResult result = parse_hangup_response(response, secrets_of(config_));
    log::info(
        "openai_call_hangup",
        {{"openai_call_id", call_id}, {"http_status", result.http_status}, {"ok", result.ok}});
    if (done) done(std::move(result));
  });
}

} // namespace wab::agent

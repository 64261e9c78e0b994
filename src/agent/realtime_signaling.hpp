#pragma once
// Creates and ends the agent leg's OpenAI Realtime GA WebRTC call over HTTP: our SDP offer in,
// OpenAI's SDP answer and call id out; `/hangup` to end it.
//
// Owns: a copy of the RealtimeConfig (including the API key, never logged or returned). Does not
// own the http::Client, which must outlive it.
// Threads: the http::Client's loop thread only. Each callback runs exactly once on that thread,
// unless this object is destroyed first: then pending callbacks are dropped. The one synchronous
// case: hangup() with an unsafe call id reports the failure from inside the call.
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "agent/realtime_api.hpp"
#include "http/client.hpp"

namespace wab::agent {

class RealtimeSignaling {
public:
  using CallCallback = std::function<void(CallResult)>;
  using HangupCallback = std::function<void(HangupResult)>;
  // How a request leaves the process; a test substitutes a fake.
  using Sender = std::function<void(http::Request, http::Client::Callback)>;

  RealtimeSignaling(http::Client& http, RealtimeConfig config)
      : RealtimeSignaling(
            [&http](http::Request request, http::Client::Callback done) {
              http.send(std::move(request), std::move(done));
            },
            std::move(config)) {}
  RealtimeSignaling(Sender sender, RealtimeConfig config);
  RealtimeSignaling(const RealtimeSignaling&) = delete;
  RealtimeSignaling& operator=(const RealtimeSignaling&) = delete;

  // `session` is the GA session object (session_config.hpp). API-key mode: one multipart POST.
  // Ephemeral mode: mint a client secret carrying `session`, then POST the raw offer with it.
  void create_call(std::string offer_sdp, const nlohmann::json& session, CallCallback done);
  // POST {base}/realtime/calls/{call_id}/hangup with the API key.
  void hangup(std::string_view call_id, HangupCallback done);

  const RealtimeConfig& config() const { return config_; }

private:
  void post_offer_with_ephemeral_key(std::string ephemeral_key, std::string offer_sdp,
                                     CallCallback done);
  void finish_call(const http::Response& response, const std::vector<std::string>& secrets,
                   CallCallback& done);

  Sender sender_;
  RealtimeConfig config_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

} // namespace wab::agent

#pragma once
// Graph API client for the calling actions (pre_accept, accept, reject, terminate, connect).
//
// Owns: a copy of the GraphConfig (including the access token, which it never logs or puts in a
// result). Does not own the http::Client, which must outlive it.
// Threads: the http::Client's loop thread only. Each callback runs exactly once on that thread,
// unless this GraphClient is destroyed first: then pending callbacks are dropped. The one
// synchronous case: an unsafe phone_number_id is reported from inside the call, nothing is sent.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/client.hpp"
#include "whatsapp/graph_api.hpp"

namespace wab::whatsapp {

class GraphClient {
public:
  using Callback = std::function<void(GraphResult)>;
  // How a request leaves the process; a test substitutes a fake.
  using Sender = std::function<void(http::Request, http::Client::Callback)>;

  GraphClient(http::Client& http, GraphConfig config)
      : GraphClient(
            [&http](http::Request request, http::Client::Callback done) {
              http.send(std::move(request), std::move(done));
            },
            std::move(config)) {}
  GraphClient(Sender sender, GraphConfig config);
  GraphClient(const GraphClient&) = delete;
  GraphClient& operator=(const GraphClient&) = delete;

  // `session:{sdp_type:"answer", sdp}`; accept must carry the same SDP as pre_accept.
  void pre_accept(std::string_view phone_number_id, std::string_view call_id,
                  std::string_view answer_sdp, Callback done);
  void accept(std::string_view phone_number_id, std::string_view call_id,
              std::string_view answer_sdp, std::optional<std::string> biz_opaque_callback_data,
              Callback done);
  void reject(std::string_view phone_number_id, std::string_view call_id, Callback done);
  void terminate(std::string_view phone_number_id, std::string_view call_id, Callback done);
  // Business-initiated call; on success GraphResult::call_id holds the new "wacid.…".
  void connect(std::string_view phone_number_id, std::string_view to, std::string_view offer_sdp,
               std::optional<std::string> biz_opaque_callback_data, Callback done);

  const GraphConfig& config() const { return config_; }

private:
  void post(CallAction action, std::string_view phone_number_id, std::string call_id,
            const nlohmann::json& body, Callback done);

  Sender sender_;
  GraphConfig config_;
  // Callbacks hold a weak reference: once this object is gone they are dropped, not run.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

} // namespace wab::whatsapp

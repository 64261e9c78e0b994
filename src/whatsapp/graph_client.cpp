#include "whatsapp/graph_client.hpp"

#include "common/log.hpp"

namespace wab::whatsapp {

GraphClient::GraphClient(Sender sender, GraphConfig config)
    : sender_(std::move(sender)), config_(std::move(config)) {}

void GraphClient::pre_accept(std::string_view phone_number_id, std::string_view call_id,
                             std::string_view answer_sdp, Callback done) {
  post(CallAction::pre_accept, phone_number_id, std::string(call_id),
       pre_accept_body(call_id, answer_sdp), std::move(done));
}

void GraphClient::accept(std::string_view phone_number_id, std::string_view call_id,
                         std::string_view answer_sdp,
                         std::optional<std::string> biz_opaque_callback_data, Callback done) {
  post(CallAction::accept, phone_number_id, std::string(call_id),
       accept_body(call_id, answer_sdp, biz_opaque_callback_data), std::move(done));
}

void GraphClient::reject(std::string_view phone_number_id, std::string_view call_id,
                         Callback done) {
  post(CallAction::reject, phone_number_id, std::string(call_id), reject_body(call_id),
       std::move(done));
}

void GraphClient::terminate(std::string_view phone_number_id, std::string_view call_id,
                            Callback done) {
  post(CallAction::terminate, phone_number_id, std::string(call_id), terminate_body(call_id),
       std::move(done));
}

void GraphClient::connect(std::string_view phone_number_id, std::string_view to,
                          std::string_view offer_sdp,
                          std::optional<std::string> biz_opaque_callback_data, Callback done) {
  post(CallAction::connect, phone_number_id, {},
       connect_body(to, offer_sdp, biz_opaque_callback_data), std::move(done));
}

void GraphClient::post(CallAction action, std::string_view phone_number_id, std::string call_id,
                       const nlohmann::json& body, Callback done) {
  if (!is_safe_path_segment(phone_number_id)) {
    // A bad id is a configuration error, not a network one: reported at once, synchronously.
    GraphResult result;
    result.message = "invalid phone_number_id";
    if (done) done(std::move(result));
    return;
  }
  std::weak_ptr<int> alive = alive_;
  std::string secret = config_.access_token;
  auto on_response = [alive, action, call_id = std::move(call_id), secret = std::move(secret),
                      done = std::move(done)](http::Response response) mutable {
    if (alive.expired()) return;
    GraphResult result = parse_graph_response(response, secret);
    if (result.ok && action == CallAction::connect && result.call_id.empty()) {
      // Without the new call's id nothing that follows (webhooks, terminate) can be matched.
      result.ok = false;
      result.message = "connect answer has no calls[0].id";
    }
    nlohmann::json fields{{"action", to_string(action)}, {"http_status", result.http_status}};
    if (!call_id.empty()) fields["call_id"] = call_id;
    if (!result.call_id.empty()) fields["call_id"] = result.call_id;
    if (result.ok) {
      log::info("graph_call_action", fields);
    } else {
      fields["error_code"] = result.error_code;
      fields["message"] = result.message;
      if (!result.fbtrace_id.empty()) fields["fbtrace_id"] = result.fbtrace_id;
      log::warn("graph_call_action_failed", fields);
    }
    if (done) done(std::move(result));
  };
  sender_(build_calls_request(config_, phone_number_id, body), std::move(on_response));
}

} // namespace wab::whatsapp

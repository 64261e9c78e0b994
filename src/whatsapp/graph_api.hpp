#pragma once
// Graph API calling endpoint as pure functions: request bodies and requests for
// `POST {base}/{phone_number_id}/calls`, and the parse of Graph's answers and error shape.
// No I/O; any thread. GraphClient (graph_client.hpp) sends what these build.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "http/client.hpp"

namespace wab::whatsapp {

struct GraphConfig {
  std::string base_url = "https://graph.facebook.com/v24.0"; // including the version
  std::string access_token;                                  // secret: never logged
  Duration timeout = seconds(10);
};

// Outcome of one Graph call. On failure `message` is safe to log (never contains the token).
struct GraphResult {
  bool ok = false;
  int http_status = 0; // 0: no HTTP answer (transport failure or request not sent)
  std::int64_t error_code = 0;
  std::optional<std::int64_t> error_subcode;
  std::string error_type; // e.g. "OAuthException"
  std::string message;
  std::string details; // error.error_data.details (SDP validation problems land here)
  std::string fbtrace_id;
  std::string call_id; // `connect` only: calls[0].id
};

enum class CallAction { pre_accept, accept, reject, terminate, connect };
std::string_view to_string(CallAction action);

// JSON bodies, exactly as the Graph API expects them.
nlohmann::json pre_accept_body(std::string_view call_id, std::string_view answer_sdp);
nlohmann::json accept_body(std::string_view call_id, std::string_view answer_sdp,
                           const std::optional<std::string>& biz_opaque_callback_data);
nlohmann::json reject_body(std::string_view call_id);
nlohmann::json terminate_body(std::string_view call_id);
nlohmann::json connect_body(std::string_view to, std::string_view offer_sdp,
                            const std::optional<std::string>& biz_opaque_callback_data);

// True for a non-empty id of [A-Za-z0-9._-]: safe as a URL path segment.
bool is_safe_path_segment(std::string_view segment);

// `POST {base}/{phone_number_id}/calls` with Bearer auth and a JSON body. The caller checks
// `phone_number_id` with is_safe_path_segment first.
http::Request build_calls_request(const GraphConfig& config, std::string_view phone_number_id,
                                  const nlohmann::json& body);

// Reads a Graph answer (success or `{"error":{message,type,code,error_subcode,error_data,
// fbtrace_id}}`). `secret` (the access token) is scrubbed from every text it returns.
GraphResult parse_graph_response(const http::Response& response, std::string_view secret);

// Replaces each occurrence of `secret` in `text` by "[redacted]"; no-op for an empty secret.
std::string redact(std::string text, std::string_view secret);

} // namespace wab::whatsapp

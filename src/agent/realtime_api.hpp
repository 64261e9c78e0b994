#pragma once
// OpenAI Realtime GA signalling as pure functions: the HTTP requests that create a WebRTC call
// (unified multipart with the API key, or client secret + raw SDP with an ephemeral key), hang it
// up, and the parse of OpenAI's answers and error shape. No I/O; any thread.
// RealtimeSignaling (realtime_signaling.hpp) sends what these build.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "http/client.hpp"

namespace wab::agent {

enum class AuthMode {
  api_key,   // POST /realtime/calls multipart (sdp + session) with the API key
  ephemeral, // POST /realtime/client_secrets, then /realtime/calls application/sdp with the key
};

// Which OpenAI API the agent leg speaks: Realtime GA (/realtime/calls) or GPT-Live
// (/live/sessions, openai.md §6).
enum class AgentApi { realtime, live };

struct RealtimeConfig {
  std::string base_url = "https://api.openai.com/v1";
  std::string api_key; // secret: never logged, never in a result
  AuthMode auth = AuthMode::api_key;
  // Azure OpenAI: requests made with the API key carry `api-key: <key>` instead of
  // `Authorization: Bearer <key>` (ephemeral keys are always sent as Bearer).
  bool azure_api_key_header = false;
  Duration timeout = seconds(10);
  int ephemeral_ttl_seconds = 600; // 10–7200
  AgentApi api = AgentApi::realtime;
};

// `{"error":{message,type,code,param}}` as OpenAI sends it.
struct ApiError {
  std::string message;
  std::string type;
  std::string code;
};

struct CallResult {
  bool ok = false;
  int http_status = 0;    // of the last request made; 0: no HTTP answer
  std::string answer_sdp; // ok only
  std::string call_id;    // "rtc_…" from Location; may be empty if OpenAI sent none
  std::string error;      // safe to log: secrets are scrubbed
  std::optional<ApiError> api_error;
};

struct HangupResult {
  bool ok = false;
  int http_status = 0;
  std::string error;
  std::optional<ApiError> api_error;
};

struct ClientSecret {
  std::string value; // "ek_…"
  std::int64_t expires_at = 0;
};

std::vector<std::string> secrets_of(const RealtimeConfig& config);

http::Request build_unified_call_request(const RealtimeConfig& config, std::string_view offer_sdp,
                                         const nlohmann::json& session);
http::Request build_client_secret_request(const RealtimeConfig& config,
                                          const nlohmann::json& session);
// On failure returns nullopt and a loggable reason in `error`.
std::optional<ClientSecret> parse_client_secret(const http::Response& response,
                                                const std::vector<std::string>& secrets,
                                                std::string& error);
http::Request build_sdp_call_request(const RealtimeConfig& config, std::string_view ephemeral_key,
                                     std::string_view offer_sdp);
// 200/201 with an SDP body (application/sdp or text/plain) and the call id from `Location`.
CallResult parse_call_response(const http::Response& response,
                               const std::vector<std::string>& secrets);

// The call id: the last path segment of a relative or absolute Location (query, fragment and
// trailing slashes ignored). Nullopt unless it is a safe URL segment ([A-Za-z0-9._-]).
std::optional<std::string> call_id_from_location(std::string_view location);

// Nullopt if `call_id` is not a safe URL segment.
std::optional<http::Request> build_hangup_request(const RealtimeConfig& config,
                                                  std::string_view call_id);
HangupResult parse_hangup_response(const http::Response& response,
                                   const std::vector<std::string>& secrets);

// GPT-Live: the session of a WebRTC create, from the GA session object the bridge builds
// (model, instructions, voice; audio formats are negotiated in SDP, nothing is stored).
nlohmann::json live_session_from_realtime(const nlohmann::json& ga_session);
// POST {base}/live/sessions {"session", "transport": {"type": "webrtc", "sdp"}} with the API key.
http::Request build_live_session_request(const RealtimeConfig& config, std::string_view offer_sdp,
                                         const nlohmann::json& live_session);
// 200/201 JSON {"session": {"id"}, "transport": {"type": "webrtc", "sdp"}}.
CallResult parse_live_session_response(const http::Response& response,
                                       const std::vector<std::string>& secrets);

std::optional<ApiError> parse_api_error(std::string_view body);
// One loggable line for a failed response: "HTTP 401 invalid_request_error/invalid_api_key: …",
// or the transport failure; every secret replaced by "[redacted]".
std::string describe_failure(const http::Response& response,
                             const std::vector<std::string>& secrets);
std::string redact(std::string text, const std::vector<std::string>& secrets);

// Case-insensitive header lookup; empty if absent.
std::string header_value(const http::Response& response, std::string_view name);

} // namespace wab::agent

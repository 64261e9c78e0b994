#include "agent/realtime_api.hpp"

#include "common/json_input.hpp"

namespace wab::agent {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxAnswerBytes = 256 * 1024;
constexpr JsonLimits kResponseJsonLimits{256 * 1024, 32};

std::string_view trim_trailing_slashes(std::string_view s) {
  while (!s.empty() && s.back() == '/')
    s.remove_suffix(1);
  return s;
}

std::string endpoint(const RealtimeConfig& config, std::string_view path) {
  return std::string(trim_trailing_slashes(config.base_url)) + std::string(path);
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

bool starts_with_ignoring_case(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (lower(s[i]) != lower(prefix[i])) return false;
  }
  return true;
}

bool is_safe_segment(std::string_view s) {
  if (s.empty() || s.size() > 256 || s == "." || s == "..") return false;
  for (char c : s) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Authentication with the long-lived key (OpenAI Bearer, or Azure's api-key header).
http::Headers api_key_auth(const RealtimeConfig& config) {
  if (config.azure_api_key_header) return {{"api-key", config.api_key}};
  return {{"Authorization", "Bearer " + config.api_key}};
}

bool http_success(int status) {
  return status >= 200 && status < 300;
}

} // namespace

std::vector<std::string> secrets_of(const RealtimeConfig& config) {
  std::vector<std::string> out;
  if (!config.api_key.empty()) out.push_back(config.api_key);
  return out;
}

http::Request build_unified_call_request(const RealtimeConfig& config, std::string_view offer_sdp,
                                         const json& session) {
  http::Request request;
  request.method = "POST";
  request.url = endpoint(config, "/realtime/calls");
  request.headers = api_key_auth(config);
  auto [content_type, body] =
      http::build_multipart({{"sdp", "application/sdp", std::string(offer_sdp)},
                             {"session", "application/json",
                              session.dump(-1, ' ', false, json::error_handler_t::replace)}});
  request.headers.emplace_back("Content-Type", std::move(content_type));
  request.body = std::move(body);
  request.timeout = config.timeout;
  return request;
}

http::Request build_client_secret_request(const RealtimeConfig& config, const json& session) {
  http::Request request;
  request.method = "POST";
  request.url = endpoint(config, "/realtime/client_secrets");
  request.headers = api_key_auth(config);
  request.headers.emplace_back("Content-Type", "application/json");
  const json body{
      {"expires_after", {{"anchor", "created_at"}, {"seconds", config.ephemeral_ttl_seconds}}},
      {"session", session}};
  request.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  request.timeout = config.timeout;
  return request;
}

std::optional<ClientSecret> parse_client_secret(const http::Response& response,
                                                const std::vector<std::string>& secrets,
                                                std::string& error) {
  if (!response.error.empty() || !http_success(response.status)) {
    error = "client secret: " + describe_failure(response, secrets);
    return std::nullopt;
  }
  std::string parse_error;
  const auto body = parse_untrusted_json(response.body, kResponseJsonLimits, parse_error);
  if (!body) {
    error = "client secret: response is " + parse_error;
    return std::nullopt;
  }
  ClientSecret secret;
  secret.value = string_field(*body, "value");
  // The beta shape nested it; accept both so an older proxy still works.
  if (secret.value.empty()) {
    if (const json* nested = object_field(*body, "client_secret")) {
      secret.value = string_field(*nested, "value");
    }
  }
  if (secret.value.empty()) {
    error = "client secret: response has no \"value\"";
    return std::nullopt;
  }
  secret.expires_at = integer_field(*body, "expires_at").value_or(0);
  return secret;
}

http::Request build_sdp_call_request(const RealtimeConfig& config, std::string_view ephemeral_key,
                                     std::string_view offer_sdp) {
  http::Request request;
  request.method = "POST";
  request.url = endpoint(config, "/realtime/calls");
  request.headers = {{"Authorization", "Bearer " + std::string(ephemeral_key)},
                     {"Content-Type", "application/sdp"}};
  request.body = std::string(offer_sdp);
  request.timeout = config.timeout;
  return request;
}

CallResult parse_call_response(const http::Response& response,
                               const std::vector<std::string>& secrets) {
  CallResult result;
  result.http_status = response.status;
  if (!response.error.empty() || (response.status != 200 && response.status != 201)) {
    result.error = describe_failure(response, secrets);
    if (response.error.empty()) result.api_error = parse_api_error(response.body);
    return result;
  }
  // A 2xx created the call even when its answer is unusable: the caller must still hang it up.
  result.call_id = call_id_from_location(header_value(response, "location")).value_or("");
  const std::string type = header_value(response, "content-type");
  if (!type.empty() && !starts_with_ignoring_case(type, "application/sdp") &&
      !starts_with_ignoring_case(type, "text/plain")) {
    result.error = "answer has unexpected content type " + redact(type, secrets);
    return result;
  }
  if (response.body.size() > kMaxAnswerBytes || response.body.rfind("v=0", 0) != 0) {
    result.error = "answer body is not an SDP";
    return result;
  }
  result.ok = true;
  result.answer_sdp = response.body;
  return result;
}

json live_session_from_realtime(const json& ga) {
  json session = {{"model", ga.value("model", "gpt-live-1")}, {"store", false}};
  if (const auto it = ga.find("instructions"); it != ga.end()) session["instructions"] = *it;
  const json* audio = object_field(ga, "audio");
  const json* output = audio != nullptr ? object_field(*audio, "output") : nullptr;
  if (output != nullptr && output->contains("voice")) {
    session["audio"] = {{"output", {{"voice", (*output)["voice"]}}}};
  }
  return session;
}

http::Request build_live_session_request(const RealtimeConfig& config, std::string_view offer_sdp,
                                         const json& live_session) {
  http::Request request;
  request.method = "POST";
  request.url = endpoint(config, "/live/sessions");
  request.headers = api_key_auth(config);
  request.headers.push_back({"Content-Type", "application/json"});
  request.body = json{{"session", live_session},
                      {"transport", {{"type", "webrtc"}, {"sdp", std::string(offer_sdp)}}}}
                     .dump(-1, ' ', false, json::error_handler_t::replace);
  request.timeout = config.timeout;
  return request;
}

CallResult parse_live_session_response(const http::Response& response,
                                       const std::vector<std::string>& secrets) {
  CallResult result;
  result.http_status = response.status;
  if (!response.error.empty() || !http_success(response.status)) {
    result.error = describe_failure(response, secrets);
    if (response.error.empty()) result.api_error = parse_api_error(response.body);
    return result;
  }
  std::string why;
  const auto body = parse_untrusted_json(response.body, {kMaxAnswerBytes, 16}, why);
  const json* session = body ? object_field(*body, "session") : nullptr;
  const json* transport = body ? object_field(*body, "transport") : nullptr;
  // A created session is hung up even when its answer is unusable: keep its id first.
  if (session != nullptr) {
    const std::string id = string_field(*session, "id");
    if (is_safe_segment(id)) result.call_id = id;
  }
  const std::string sdp = transport != nullptr ? string_field(*transport, "sdp") : "";
  if (sdp.rfind("v=0", 0) != 0) {
    result.error = body ? "live session answer has no SDP" : "live session answer is not JSON";
    return result;
  }
  if (result.call_id.empty()) {
    result.error = "live session answer has no usable session id";
    return result;
  }
  result.ok = true;
  result.answer_sdp = sdp;
  return result;
}

std::optional<std::string> call_id_from_location(std::string_view location) {
  if (const auto cut = location.find_first_of("?#"); cut != std::string_view::npos) {
    location = location.substr(0, cut);
  }
  location = trim_trailing_slashes(location);
  const auto slash = location.rfind('/');
  const std::string_view last =
      slash == std::string_view::npos ? location : location.substr(slash + 1);
  if (!is_safe_segment(last)) return std::nullopt;
  return std::string(last);
}

std::optional<http::Request> build_hangup_request(const RealtimeConfig& config,
                                                  std::string_view call_id) {
  if (!is_safe_segment(call_id)) return std::nullopt;
  http::Request request;
  request.method = "POST";
  request.url =
      endpoint(config, config.api == AgentApi::live ? "/live/sessions/" : "/realtime/calls/") +
      std::string(call_id) + "/hangup";
  request.headers = api_key_auth(config);
  request.timeout = config.timeout;
  return request;
}

HangupResult parse_hangup_response(const http::Response& response,
                                   const std::vector<std::string>& secrets) {
  HangupResult result;
  result.http_status = response.status;
  if (response.ok()) {
    result.ok = true;
    return result;
  }
  result.error = describe_failure(response, secrets);
  if (response.error.empty()) result.api_error = parse_api_error(response.body);
  return result;
}

std::optional<ApiError> parse_api_error(std::string_view body) {
  std::string parse_error;
  const auto root = parse_untrusted_json(body, kResponseJsonLimits, parse_error);
  if (!root) return std::nullopt;
  const json* error = object_field(*root, "error");
  if (!error) return std::nullopt;
  ApiError out;
  out.message = string_field(*error, "message");
  out.type = string_field(*error, "type");
  out.code = string_field(*error, "code");
  if (out.code.empty()) {
    if (const auto numeric = integer_field(*error, "code")) out.code = std::to_string(*numeric);
  }
  return out;
}

std::string describe_failure(const http::Response& response,
                             const std::vector<std::string>& secrets) {
  if (!response.error.empty()) return redact("transport failure: " + response.error, secrets);
  std::string text = "HTTP " + std::to_string(response.status);
  if (const auto api = parse_api_error(response.body)) {
    if (!api->type.empty() || !api->code.empty()) {
      text += " " + api->type + (api->code.empty() ? "" : "/" + api->code);
    }
    if (!api->message.empty()) text += ": " + api->message;
  }
  return redact(std::move(text), secrets);
}

std::string redact(std::string text, const std::vector<std::string>& secrets) {
  constexpr std::string_view kMark = "[redacted]";
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    std::size_t pos = 0;
    while ((pos = text.find(secret, pos)) != std::string::npos) {
      text.replace(pos, secret.size(), kMark);
      pos += kMark.size();
    }
  }
  return text;
}

std::string header_value(const http::Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < key.size() && same; ++i)
      same = lower(key[i]) == lower(name[i]);
    if (same) return value;
  }
  return {};
}

} // namespace wab::agent

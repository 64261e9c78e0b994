#include "whatsapp/graph_api.hpp"

#include "common/json_input.hpp"

namespace wab::whatsapp {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxResponseBytes = 256 * 1024;

json sdp_session(std::string_view type, std::string_view sdp) {
  return json{{"sdp_type", type}, {"sdp", sdp}};
}

json action_body(std::string_view call_id, CallAction action) {
  return json{
      {"messaging_product", "whatsapp"}, {"call_id", call_id}, {"action", to_string(action)}};
}

std::string_view trim_trailing_slashes(std::string_view s) {
  while (!s.empty() && s.back() == '/')
    s.remove_suffix(1);
  return s;
}

std::string lowercase_header(const http::Response& response, std::string_view lower_name) {
  for (const auto& [name, value] : response.headers) {
    if (name.size() != lower_name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) {
      const char c = (name[i] >= 'A' && name[i] <= 'Z') ? static_cast<char>(name[i] + 32) : name[i];
      same = c == lower_name[i];
    }
    if (same) return value;
  }
  return {};
}

} // namespace

std::string_view to_string(CallAction action) {
  switch (action) {
  case CallAction::pre_accept: return "pre_accept";
  case CallAction::accept: return "accept";
  case CallAction::reject: return "reject";
  case CallAction::terminate: return "terminate";
  case CallAction::connect: return "connect";
  }
  return "unknown";
}

json pre_accept_body(std::string_view call_id, std::string_view answer_sdp) {
  json body = action_body(call_id, CallAction::pre_accept);
  body["session"] = sdp_session("answer", answer_sdp);
  return body;
}

json accept_body(std::string_view call_id, std::string_view answer_sdp,
                 const std::optional<std::string>& biz_opaque_callback_data) {
  json body = action_body(call_id, CallAction::accept);
  body["session"] = sdp_session("answer", answer_sdp);
  if (biz_opaque_callback_data) body["biz_opaque_callback_data"] = *biz_opaque_callback_data;
  return body;
}

json reject_body(std::string_view call_id) {
  return action_body(call_id, CallAction::reject);
}

json terminate_body(std::string_view call_id) {
  return action_body(call_id, CallAction::terminate);
}

json connect_body(std::string_view to, std::string_view offer_sdp,
                  const std::optional<std::string>& biz_opaque_callback_data) {
  json body{{"messaging_product", "whatsapp"}, {"to", to}, {"action", "connect"}};
  body["session"] = sdp_session("offer", offer_sdp);
  if (biz_opaque_callback_data) body["biz_opaque_callback_data"] = *biz_opaque_callback_data;
  return body;
}

bool is_safe_path_segment(std::string_view segment) {
  if (segment.empty() || segment.size() > 256 || segment == "." || segment == "..") return false;
  for (char c : segment) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

http::Request build_calls_request(const GraphConfig& config, std::string_view phone_number_id,
                                  const json& body) {
  http::Request request;
  request.method = "POST";
  request.url = std::string(trim_trailing_slashes(config.base_url)) + "/" +
                std::string(phone_number_id) + "/calls";
  request.headers = {{"Authorization", "Bearer " + config.access_token},
                     {"Content-Type", "application/json"}};
  // Replacement characters instead of an exception: an invalid UTF-8 byte in an SDP must not
  // abort the call setup, and Graph answers with a clear error if it cares.
  request.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  request.timeout = config.timeout;
  return request;
}

GraphResult parse_graph_response(const http::Response& response, std::string_view secret) {
  GraphResult result;
  result.http_status = response.status;
  if (!response.error.empty()) {
    result.message = redact("transport failure: " + response.error, secret);
    return result;
  }
  std::string parse_error;
  const auto body = parse_untrusted_json(response.body, {kMaxResponseBytes, 32}, parse_error);
  const json* error = body ? object_field(*body, "error") : nullptr;
  const bool http_ok = response.status >= 200 && response.status < 300;

  if (http_ok && !error) {
    result.ok = true;
    if (body) {
      if (const json* calls = array_field(*body, "calls"); calls && !calls->empty()) {
        result.call_id = string_field((*calls)[0], "id");
      }
    }
    return result;
  }
  if (error) {
    result.error_code = integer_field(*error, "code").value_or(0);
    result.error_subcode = integer_field(*error, "error_subcode");
    result.error_type = redact(string_field(*error, "type"), secret);
    result.message = redact(string_field(*error, "message"), secret);
    result.fbtrace_id = string_field(*error, "fbtrace_id");
    if (const json* data = object_field(*error, "error_data")) {
      result.details = redact(string_field(*data, "details"), secret);
    }
    if (result.message.empty()) result.message = "Graph error without message";
    return result;
  }
  const std::string type = lowercase_header(response, "content-type");
  result.message = "HTTP " + std::to_string(response.status) + " without a Graph error body" +
                   (type.empty() ? std::string{} : " (" + redact(type, secret) + ")");
  return result;
}

std::string redact(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  constexpr std::string_view kMark = "[redacted]";
  std::size_t pos = 0;
  while ((pos = text.find(secret, pos)) != std::string::npos) {
    text.replace(pos, secret.size(), kMark);
    pos += kMark.size();
  }
  return text;
}

} // namespace wab::whatsapp

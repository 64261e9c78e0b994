// OpenAI's HTTP answers (SDP answer, GPT-Live session, client secret, error shape) through the
// signalling parsers.
// The first byte picks the status, the second the content type; the rest up to a newline is the
// Location header, after it the body. Secrets must never come back in any text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/realtime_api.hpp"

using namespace wab::agent;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static constexpr int kStatuses[] = {200, 201, 204, 400, 401, 404, 429, 500};
  static constexpr const char* kTypes[] = {"application/sdp", "text/plain; charset=utf-8",
                                           "application/json", ""};
  const std::string_view rest(reinterpret_cast<const char*>(data + 2), size - 2);
  const auto newline = rest.find('\n');
  wab::http::Response response;
  response.status = kStatuses[data[0] % 8];
  if (const char* type = kTypes[data[1] % 4]; *type)
    response.headers.emplace_back("content-type", type);
  if (newline != std::string_view::npos) {
    response.headers.emplace_back("location", std::string(rest.substr(0, newline)));
    response.body = std::string(rest.substr(newline + 1));
  } else {
    response.body = std::string(rest);
  }

  const std::vector<std::string> secrets{"sk-x", "ek_y"};
  const auto leaks = [&](const std::string& text) {
    for (const auto& s : secrets) {
      if (text.find(s) != std::string::npos) __builtin_trap();
    }
  };
  const CallResult call = parse_call_response(response, secrets);
  leaks(call.error);
  if (call.ok && call.answer_sdp.rfind("v=0", 0) != 0) __builtin_trap();
  if (!call.call_id.empty() && call.call_id.find('/') != std::string::npos) __builtin_trap();
  std::string error;
  (void)parse_client_secret(response, secrets, error);
  leaks(error);
  leaks(parse_hangup_response(response, secrets).error);
  // GPT-Live's JSON answer: the same promises (an SDP when ok, a safe session id, no secrets).
  const CallResult live = parse_live_session_response(response, secrets);
  leaks(live.error);
  if (live.ok && live.answer_sdp.rfind("v=0", 0) != 0) __builtin_trap();
  if (live.call_id.find_first_of("/?#") != std::string::npos) __builtin_trap();
  if (const auto id = call_id_from_location(rest)) {
    if (id->empty() || id->find_first_of("/?#") != std::string::npos) __builtin_trap();
  }
  return 0;
}

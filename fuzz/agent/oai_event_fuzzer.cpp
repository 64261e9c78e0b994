// Data-channel messages from OpenAI through the server-event parser, and any text through the
// client-event builders, whose output must always be JSON that parses.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agent/client_events.hpp"
#include "agent/events.hpp"

using namespace wab::agent;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto event = parse_server_event(text);
  if (event) {
    if (event->type.empty()) __builtin_trap();
    if (event->kind != server_event_kind(event->type)) __builtin_trap();
  }
  const auto valid = [](const std::string& out) {
    if (nlohmann::json::parse(out, nullptr, false).is_discarded()) __builtin_trap();
  };
  valid(user_text_message(text));
  valid(function_call_output(text, text));
  valid(response_create(text));
  valid(response_cancel(text));
  return 0;
}

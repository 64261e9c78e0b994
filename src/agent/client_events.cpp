#include "agent/client_events.hpp"

namespace wab::agent {
namespace {

using nlohmann::json;

std::string to_text(const json& event) {
  return event.dump(-1, ' ', false, json::error_handler_t::replace);
}

json event_of(std::string_view type, std::string_view event_id) {
  json event{{"type", type}};
  if (!event_id.empty()) event["event_id"] = event_id;
  return event;
}

} // namespace

std::string session_update(const json& session, std::string_view event_id) {
  json event = event_of("session.update", event_id);
  event["session"] = session;
  return to_text(event);
}

std::string response_create(std::optional<std::string_view> instructions,
                            std::string_view event_id) {
  json event = event_of("response.create", event_id);
  if (instructions) event["response"] = json{{"instructions", *instructions}};
  return to_text(event);
}

std::string user_text_message(std::string_view text, std::string_view event_id) {
  json event = event_of("conversation.item.create", event_id);
  event["item"] = json{{"type", "message"},
                       {"role", "user"},
                       {"content", json::array({json{{"type", "input_text"}, {"text", text}}})}};
  return to_text(event);
}

std::string function_call_output(std::string_view call_id, std::string_view output,
                                 std::string_view event_id) {
  json event = event_of("conversation.item.create", event_id);
  event["item"] = json{{"type", "function_call_output"}, {"call_id", call_id}, {"output", output}};
  return to_text(event);
}

std::string response_cancel(std::optional<std::string_view> response_id) {
  json event = event_of("response.cancel", {});
  if (response_id) event["response_id"] = *response_id;
  return to_text(event);
}

std::string output_audio_buffer_clear() {
  return to_text(event_of("output_audio_buffer.clear", {}));
}

} // namespace wab::agent

#include "agent/events.hpp"

#include <utility>

#include "common/json_input.hpp"

namespace wab::agent {
namespace {

using nlohmann::json;
using K = ServerEventKind;

constexpr std::pair<std::string_view, ServerEventKind> kNames[] = {
    {"session.created", K::session_created},
    {"session.updated", K::session_updated},
    {"error", K::error},
    {"input_audio_buffer.speech_started", K::speech_started},
    {"input_audio_buffer.speech_stopped", K::speech_stopped},
    {"input_audio_buffer.committed", K::input_committed},
    {"input_audio_buffer.cleared", K::input_cleared},
    {"input_audio_buffer.timeout_triggered", K::input_timeout_triggered},
    {"conversation.item.input_audio_transcription.delta", K::input_transcript_delta},
    {"conversation.item.input_audio_transcription.completed", K::input_transcript_done},
    {"conversation.item.input_audio_transcription.failed", K::input_transcript_failed},
    {"conversation.item.added", K::item_added},
    {"conversation.item.created", K::item_added},
    {"conversation.item.done", K::item_done},
    {"response.created", K::response_created},
    {"response.done", K::response_done},
    {"response.output_item.added", K::output_item_added},
    {"response.output_item.done", K::output_item_done},
    {"response.output_audio.delta", K::output_audio_delta},
    {"response.output_audio.done", K::output_audio_done},
    {"response.output_audio_transcript.delta", K::output_transcript_delta},
    {"response.output_audio_transcript.done", K::output_transcript_done},
    {"response.output_text.delta", K::output_text_delta},
    {"response.output_text.done", K::output_text_done},
    {"response.function_call_arguments.delta", K::function_call_arguments_delta},
    {"response.function_call_arguments.done", K::function_call_arguments_done},
    {"output_audio_buffer.started", K::output_audio_buffer_started},
    {"output_audio_buffer.stopped", K::output_audio_buffer_stopped},
    {"output_audio_buffer.cleared", K::output_audio_buffer_cleared},
    {"rate_limits.updated", K::rate_limits_updated},
    // GPT-Live.
    {"session.started", K::session_started},
    {"session.closed", K::session_closed},
    {"session.input_transcript.delta", K::input_transcript_delta},
    {"session.output_transcript.delta", K::output_transcript_delta},
    // Beta names (Azure preview, older servers, the origin project).
    {"response.audio.delta", K::output_audio_delta},
    {"response.audio.done", K::output_audio_done},
    {"response.audio_transcript.delta", K::output_transcript_delta},
    {"response.audio_transcript.done", K::output_transcript_done},
    {"response.text.delta", K::output_text_delta},
    {"response.text.done", K::output_text_done},
};

// A code may be a string ("invalid_event") or, from proxies, a number.
std::string code_text(const json& obj) {
  std::string code = string_field(obj, "code");
  if (code.empty()) {
    if (const auto n = integer_field(obj, "code")) code = std::to_string(*n);
  }
  return code;
}

std::optional<ApiErrorInfo> error_info(const json& holder) {
  const json* e = object_field(holder, "error");
  if (!e) return std::nullopt;
  ApiErrorInfo info;
  info.type = string_field(*e, "type");
  info.code = code_text(*e);
  info.message = string_field(*e, "message");
  info.param = string_field(*e, "param");
  info.event_id = string_field(*e, "event_id");
  if (info.event_id.empty()) info.event_id = string_field(*e, "client_event_id");
  return info;
}

std::optional<FunctionCall> function_call_item(const json& item) {
  if (string_field(item, "type") != "function_call") return std::nullopt;
  FunctionCall call;
  call.call_id = string_field(item, "call_id");
  call.name = string_field(item, "name");
  call.arguments = string_field(item, "arguments");
  call.item_id = string_field(item, "id");
  return call;
}

void read_response(const json& root, ServerEvent& event) {
  const json* response = object_field(root, "response");
  if (!response) return;
  event.response_id = string_field(*response, "id");
  event.response_status = string_field(*response, "status");
  if (const json* details = object_field(*response, "status_details")) {
    event.status_reason = string_field(*details, "reason");
    if (!event.error) event.error = error_info(*details);
  }
  if (const json* output = array_field(*response, "output")) {
    for (const json& item : *output) {
      if (auto call = function_call_item(item)) event.function_calls.push_back(std::move(*call));
    }
  }
  if (const json* usage = object_field(*response, "usage")) {
    TokenUsage u;
    u.input_tokens = integer_field(*usage, "input_tokens").value_or(0);
    u.output_tokens = integer_field(*usage, "output_tokens").value_or(0);
    u.total_tokens = integer_field(*usage, "total_tokens").value_or(0);
    event.usage = u;
  }
}

void read_fields(const json& root, ServerEvent& event) {
  event.event_id = string_field(root, "event_id");
  event.item_id = string_field(root, "item_id");
  event.response_id = string_field(root, "response_id");

  switch (event.kind) {
  case K::session_closed: event.status_reason = string_field(root, "reason"); [[fallthrough]];
  case K::session_started:
  case K::session_created:
  case K::session_updated:
    if (const json* session = object_field(root, "session")) {
      event.session_id = string_field(*session, "id");
      event.model = string_field(*session, "model");
    }
    break;
  case K::error:
    event.error = error_info(root);
    // GPT-Live names the client event that caused the error beside the error object.
    if (event.error && event.error->event_id.empty()) {
      event.error->event_id = string_field(root, "client_event_id");
    }
    break;
  case K::speech_started: event.audio_ms = integer_field(root, "audio_start_ms"); break;
  case K::speech_stopped: event.audio_ms = integer_field(root, "audio_end_ms"); break;
  case K::input_transcript_delta:
  case K::output_transcript_delta:
  case K::output_text_delta:
  case K::function_call_arguments_delta: event.text = string_field(root, "delta"); break;
  case K::input_transcript_done:
  case K::output_transcript_done: event.text = string_field(root, "transcript"); break;
  case K::output_text_done: event.text = string_field(root, "text"); break;
  case K::input_transcript_failed: event.error = error_info(root); break;
  case K::item_added:
  case K::item_done:
  case K::output_item_added:
  case K::output_item_done:
    if (const json* item = object_field(root, "item")) {
      if (event.item_id.empty()) event.item_id = string_field(*item, "id");
      if (auto call = function_call_item(*item)) event.function_calls.push_back(std::move(*call));
    }
    break;
  case K::response_created:
  case K::response_done: read_response(root, event); break;
  case K::function_call_arguments_done: {
    FunctionCall call;
    call.call_id = string_field(root, "call_id");
    call.name = string_field(root, "name");
    call.arguments = string_field(root, "arguments");
    call.item_id = event.item_id;
    event.function_calls.push_back(std::move(call));
    break;
  }
  case K::rate_limits_updated:
    if (const json* limits = array_field(root, "rate_limits")) {
      for (const json& l : *limits) {
        if (!l.is_object()) continue;
        RateLimit r;
        r.name = string_field(l, "name");
        r.limit = number_field(l, "limit").value_or(0);
        r.remaining = number_field(l, "remaining").value_or(0);
        r.reset_seconds = number_field(l, "reset_seconds").value_or(0);
        event.rate_limits.push_back(std::move(r));
      }
    }
    break;
  default: break;
  }
}

} // namespace

ServerEventKind server_event_kind(std::string_view type) {
  for (const auto& [name, kind] : kNames) {
    if (name == type) return kind;
  }
  return K::unknown;
}

std::optional<ServerEvent> parse_server_event(std::string_view text, const EventLimits& limits,
                                              std::string* why) {
  std::string error;
  const auto root = parse_untrusted_json(text, {limits.max_bytes, limits.max_depth}, error);
  if (!root) {
    if (why) *why = error;
    return std::nullopt;
  }
  ServerEvent event;
  event.type = string_field(*root, "type");
  if (event.type.empty()) {
    if (why) *why = root->is_object() ? "event has no \"type\"" : "event is not a JSON object";
    return std::nullopt;
  }
  event.kind = server_event_kind(event.type);
  try {
    read_fields(*root, event);
  } catch (const nlohmann::json::exception& e) {
    // The accessors do not throw; kept as a last line of defence on the data channel.
    if (why) *why = e.what();
    return std::nullopt;
  }
  return event;
}

} // namespace wab::agent

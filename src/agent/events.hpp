#pragma once
// The OpenAI Realtime data-channel protocol (`oai-events`), server side: one JSON text message in,
// one typed ServerEvent out. GA event names and the older beta names (response.audio.delta, …)
// map to the same kinds. Pure; any thread.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wab::agent {

enum class ServerEventKind {
  unknown, // valid event of a type we do not model; `type` says which
  session_created,
  session_updated,
  error,
  speech_started, // input_audio_buffer.speech_started
  speech_stopped,
  input_committed,
  input_cleared,
  input_timeout_triggered,
  input_transcript_delta, // conversation.item.input_audio_transcription.delta
  input_transcript_done,  // ….completed
  input_transcript_failed,
  item_added, // conversation.item.added / .created
  item_done,
  response_created,
  response_done,
  output_item_added,
  output_item_done,
  output_audio_delta, // response.output_audio.delta (beta response.audio.delta)
  output_audio_done,
  output_transcript_delta, // response.output_audio_transcript.delta (beta
                           // response.audio_transcript.delta)
  output_transcript_done,
  output_text_delta, // response.output_text.delta (beta response.text.delta)
  output_text_done,
  function_call_arguments_delta,
  function_call_arguments_done,
  output_audio_buffer_started, // WebRTC only: the model started / stopped / was cut off speaking
  output_audio_buffer_stopped,
  output_audio_buffer_cleared,
  rate_limits_updated,
  // GPT-Live (openai.md §6): the session runs with what creation configured; transcripts come as
  // deltas with their times; the session may close itself.
  session_started,
  session_closed, // status_reason: close_requested|expired|content|remote_hangup|connection_lost
};

struct ApiErrorInfo {
  std::string type;
  std::string code;
  std::string message;
  std::string param;
  std::string event_id; // the client event that caused it, if any (GPT-Live: client_event_id)
};

struct RateLimit {
  std::string name; // "requests", "tokens"
  double limit = 0;
  double remaining = 0;
  double reset_seconds = 0;
};

struct FunctionCall {
  std::string call_id;
  std::string name;
  std::string arguments; // JSON text, as the model wrote it
  std::string item_id;
};

struct TokenUsage {
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t total_tokens = 0;
};

// The fields we use; which are set depends on `kind`.
struct ServerEvent {
  ServerEventKind kind = ServerEventKind::unknown;
  std::string type; // as received
  std::string event_id;
  std::string session_id; // session.created / .updated
  std::string model;
  std::string item_id;
  std::string response_id;
  std::string text; // delta, or the final transcript / text of a *.done / .completed event
  std::optional<std::int64_t>
      audio_ms;                      // speech_started: audio_start_ms; speech_stopped: audio_end_ms
  std::string response_status;       // response.done: completed|cancelled|failed|incomplete
  std::string status_reason;         // response.done: status_details.reason
  std::optional<ApiErrorInfo> error; // error, input_transcript_failed, failed response.done
  std::vector<RateLimit> rate_limits;
  // function_call_arguments.done, an output item of type function_call, and every function_call
  // in a response.done's output (parallel tool calls) land here.
  std::vector<FunctionCall> function_calls;
  std::optional<TokenUsage> usage; // response.done
};

struct EventLimits {
  std::size_t max_bytes = 4 * 1024 * 1024;
  int max_depth = 64;
};

// Nullopt (with a reason in `*why` if given) when the text is not a JSON object with a string
// `type`. Never throws.
std::optional<ServerEvent> parse_server_event(std::string_view text, const EventLimits& limits = {},
                                              std::string* why = nullptr);

ServerEventKind server_event_kind(std::string_view type);

} // namespace wab::agent

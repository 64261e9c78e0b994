#pragma once
// The OpenAI Realtime GA session object (`"type":"realtime"`) the agent leg runs with: sent as the
// `session` part of POST /realtime/calls, inside a client-secret request, or in `session.update`.
// Pure; any thread.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace wab::agent {

inline constexpr const char* kDefaultModel = "gpt-realtime-2.1";
inline constexpr const char* kDefaultVoice = "alloy";
inline constexpr const char* kDefaultTranscriptionModel = "gpt-4o-transcribe";
inline constexpr const char* kDefaultInstructions =
    "You are a friendly, polite phone assistant answering a WhatsApp voice call. Greet the caller "
    "briefly, keep your answers short and spoken-friendly, ask one question at a time, and reply "
    "in the caller's language.";

// A function tool the model may call (answered with a function_call_output item).
struct FunctionTool {
  std::string name;
  std::string description;
  nlohmann::json parameters = nlohmann::json::object(); // JSON Schema of the arguments
};

struct TurnDetection {
  double threshold = 0.5;
  int prefix_padding_ms = 300;
  int silence_duration_ms = 200;
  std::optional<int> idle_timeout_ms; // server_vad re-prompt after silence; unset = off
  bool create_response = true;
  bool interrupt_response = true;
};

struct SessionConfig {
  std::string model = kDefaultModel;
  std::string instructions = kDefaultInstructions;
  std::string voice = kDefaultVoice;
  std::string transcription_model = kDefaultTranscriptionModel;  // empty: no input transcription
  std::string transcription_language;                            // ISO-639-1, empty: automatic
  std::optional<TurnDetection> turn_detection = TurnDetection{}; // nullopt: manual turns (null)
  std::vector<FunctionTool> tools;
  std::string tool_choice = "auto"; // sent only when there are tools
};

// The GA session object. `include_model` is false for session.update, where the model cannot
// change.
nlohmann::json build_session(const SessionConfig& config, bool include_model = true);

} // namespace wab::agent

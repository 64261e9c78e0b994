#include "agent/session_config.hpp"

namespace wab::agent {

using nlohmann::json;

json build_session(const SessionConfig& config, bool include_model) {
  json session{{"type", "realtime"}};
  if (include_model) session["model"] = config.model;
  session["instructions"] = config.instructions;
  // Audio only: the model's voice goes out on RTP, its transcript still arrives as events.
  session["output_modalities"] = json::array({"audio"});

  json input = json::object();
  if (config.transcription_model.empty()) {
    input["transcription"] = nullptr;
  } else {
    json transcription{{"model", config.transcription_model}};
    if (!config.transcription_language.empty()) {
      transcription["language"] = config.transcription_language;
    }
    input["transcription"] = std::move(transcription);
  }
  if (config.turn_detection) {
    const TurnDetection& td = *config.turn_detection;
    json turn{{"type", "server_vad"},
              {"threshold", td.threshold},
              {"prefix_padding_ms", td.prefix_padding_ms},
              {"silence_duration_ms", td.silence_duration_ms},
              {"create_response", td.create_response},
              {"interrupt_response", td.interrupt_response}};
    if (td.idle_timeout_ms) turn["idle_timeout_ms"] = *td.idle_timeout_ms;
    input["turn_detection"] = std::move(turn);
  } else {
    input["turn_detection"] = nullptr;
  }
  // No audio.*.format: over WebRTC the codec is negotiated in SDP.
  session["audio"] = json{{"input", std::move(input)}, {"output", {{"voice", config.voice}}}};

  json tools = json::array();
  for (const FunctionTool& tool : config.tools) {
    tools.push_back(json{{"type", "function"},
                         {"name", tool.name},
                         {"description", tool.description},
                         {"parameters", tool.parameters}});
  }
  session["tools"] = std::move(tools);
  if (!config.tools.empty()) session["tool_choice"] = config.tool_choice;
  return session;
}

} // namespace wab::agent

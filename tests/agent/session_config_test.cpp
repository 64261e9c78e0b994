#include "agent/session_config.hpp"

#include <gtest/gtest.h>

namespace wab::agent {
namespace {

using nlohmann::json;

TEST(SessionConfig, DefaultsBuildTheGaSession) {
  SessionConfig config;
  config.instructions = "Be brief.";
  const json expected = json::parse(R"({
    "type": "realtime",
    "model": "gpt-realtime-2.1",
    "instructions": "Be brief.",
    "output_modalities": ["audio"],
    "audio": {
      "input": {
        "transcription": {"model": "gpt-4o-transcribe"},
        "turn_detection": {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300,
                           "silence_duration_ms": 200, "create_response": true,
                           "interrupt_response": true}
      },
      "output": {"voice": "alloy"}
    },
    "tools": []
  })");
  EXPECT_EQ(build_session(config), expected);
}

TEST(SessionConfig, DefaultInstructionsArePresent) {
  const json session = build_session(SessionConfig{});
  EXPECT_EQ(session["instructions"], kDefaultInstructions);
  EXPECT_FALSE(session["instructions"].get<std::string>().empty());
}

TEST(SessionConfig, OptionalPartsAndOverrides) {
  SessionConfig config;
  config.model = "gpt-realtime-2.1-mini";
  config.voice = "marin";
  config.transcription_language = "de";
  config.turn_detection->idle_timeout_ms = 8000;
  config.tools.push_back({"end_call", "Hang up when the caller says goodbye.",
                          json::parse(R"({"type":"object","properties":{}})")});
  const json s = build_session(config);
  EXPECT_EQ(s["model"], "gpt-realtime-2.1-mini");
  EXPECT_EQ(s["audio"]["output"]["voice"], "marin");
  EXPECT_EQ(s["audio"]["input"]["transcription"],
            json::parse(R"({"model":"gpt-4o-transcribe","language":"de"})"));
  EXPECT_EQ(s["audio"]["input"]["turn_detection"]["idle_timeout_ms"], 8000);
  EXPECT_EQ(s["tools"], json::parse(R"([{"type":"function","name":"end_call",
      "description":"Hang up when the caller says goodbye.",
      "parameters":{"type":"object","properties":{}}}])"));
  EXPECT_EQ(s["tool_choice"], "auto");
}

TEST(SessionConfig, TranscriptionAndTurnDetectionCanBeSwitchedOff) {
  SessionConfig config;
  config.transcription_model.clear();
  config.turn_detection.reset();
  const json s = build_session(config);
  EXPECT_TRUE(s["audio"]["input"]["transcription"].is_null());
  EXPECT_TRUE(s["audio"]["input"]["turn_detection"].is_null());
  EXPECT_FALSE(s.contains("tool_choice"));
}

TEST(SessionConfig, SessionUpdateFormLeavesTheModelOut) {
  const json s = build_session(SessionConfig{}, /*include_model=*/false);
  EXPECT_FALSE(s.contains("model"));
  EXPECT_EQ(s["type"], "realtime");
}

} // namespace
} // namespace wab::agent

#pragma once
// What the agent of one business number is: its Realtime session (instructions, voice, model,
// transcription, tools), how it greets, what it hears of DTMF, its HTTP tools and its fallback.
// One process serves several numbers, each with its own profile; numbers without one get the
// default profile.
//
// Owned by the app and read-only while calls run; any thread may read it.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/realtime_signaling.hpp"
#include "agent/session_config.hpp"
#include "agent/tool_invoker.hpp"
#include "ogg/ogg_opus_reader.hpp"

namespace wab::bridge {

// What a call does when its agent cannot serve it (no API key, OpenAI errors or timeouts, the
// agent's leg failing): refuse it, or answer and play a recorded announcement, then hang up.
enum class Fallback { reject, announce };

inline constexpr const char* kEndCallTool = "end_call";

struct AgentProfile {
  agent::SessionConfig session; // its tools include end_call and the HTTP tools (finalize())
  // Instructions for the first response; empty: the model greets as the session instructs.
  std::string greeting;
  // Sent to the agent as the caller's text for each DTMF digit ("{digit}" is replaced); empty:
  // digits are only logged.
  std::string dtmf_message = "The caller pressed {digit}.";
  bool end_call_tool = true; // the model may hang up (after saying goodbye)
  std::vector<agent::HttpTool> http_tools;
  Fallback fallback = Fallback::reject;
  const ogg::OpusClip* announcement = nullptr; // required for Fallback::announce
  std::string provider = "openai";             // openai | azure
  // The service this number's agent runs on (e.g. Azure OpenAI); null: the process's OpenAI one.
  agent::RealtimeSignaling* realtime = nullptr;

  // Declares end_call and the HTTP tools to the model (session.tools). Call once when built.
  void finalize();
};

struct AgentProfiles {
  AgentProfile default_profile;
  std::map<std::string, AgentProfile, std::less<>> by_number; // key: phone_number_id

  const AgentProfile& for_number(std::string_view phone_number_id) const;
};

} // namespace wab::bridge

#pragma once
// Per-number agent settings from the TOML file: an `[agent]` table (the default profile) and one
// `[numbers."<phone_number_id>"]` table per business number, each field optional so that a
// number inherits whatever it does not set. Turned into bridge::AgentProfiles by the app.
//
// Pure data and parsing; any thread.
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "common/clock.hpp"

namespace wab::app {

struct ToolSettings {
  std::string name;
  std::string description;
  nlohmann::json parameters = {{"type", "object"}, {"properties", nlohmann::json::object()}};
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers; // secrets allowed; never logged
  Duration timeout = seconds(10);
};

struct ProfileSettings {
  std::optional<std::string> instructions;
  std::optional<std::string> greeting;
  std::optional<std::string> voice;
  std::optional<std::string> model;
  std::optional<std::string> provider; // openai | azure
  std::optional<std::string> transcription_language;
  std::optional<std::string> dtmf_message;
  std::optional<std::string> fallback;     // reject | announce
  std::optional<std::string> announcement; // Ogg Opus path
  std::optional<bool> end_call_tool;
  std::optional<std::vector<ToolSettings>> tools; // a number's list replaces the default's

  // Fields `over` sets replace ours.
  void merge(const ProfileSettings& over);
};

// Reads one profile table; `where` names it in errors ("[agent]", "[numbers.\"123\"]"). Throws
// ConfigError on unknown keys, wrong types and invalid values (tool names, URLs, fallback).
ProfileSettings parse_profile(const toml::table& table, const std::string& where);

} // namespace wab::app

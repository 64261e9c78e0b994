#pragma once
// Builds the agent profile of every business number from the configuration: the default profile
// from the settings (OPENAI_*, FALLBACK*, the TOML [agent] table), and for each
// [numbers."<id>"] table the default with that table's fields on top. Announcements are read and
// checked here, at start, so a bad file is a configuration error and not a surprise on the first
// failed call.
#include <map>
#include <memory>
#include <string>

#include "app/config.hpp"
#include "bridge/agent_profile.hpp"

namespace wab::app {

// The recordings the profiles point into, by path ("" = the built-in one). Must outlive them.
using AnnouncementStore = std::map<std::string, std::unique_ptr<ogg::OpusClip>>;

// Throws ConfigError naming the number and the field that is wrong.
bridge::AgentProfiles build_agent_profiles(const Config& config, AnnouncementStore& store);

} // namespace wab::app

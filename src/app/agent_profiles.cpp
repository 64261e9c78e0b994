#include "app/agent_profiles.hpp"

#include <set>

#include "app/builtin_announcement.hpp"

namespace wab::app {
namespace {

const ogg::OpusClip& announcement(const std::string& path, const std::string& where,
                                  AnnouncementStore& store) {
  auto& clip = store[path];
  if (!clip) {
    try {
      clip =
          std::make_unique<ogg::OpusClip>(path.empty() ? ogg::read_ogg_opus(builtin_announcement())
                                                       : ogg::read_ogg_opus_file(path));
    } catch (const ogg::OggError& e) {
      store.erase(path);
      throw ConfigError(where + ": " + e.what());
    }
  }
  return *clip;
}

bridge::AgentProfile build_profile(const ProfileSettings& s, const std::string& where,
                                   AnnouncementStore& store) {
  bridge::AgentProfile p;
  if (s.instructions && !s.instructions->empty()) p.session.instructions = *s.instructions;
  if (s.voice && !s.voice->empty()) p.session.voice = *s.voice;
  if (s.model && !s.model->empty()) p.session.model = *s.model;
  if (s.transcription_language) p.session.transcription_language = *s.transcription_language;
  if (s.provider) p.provider = *s.provider;
  // GPT-Live has its own models; the Realtime default would be refused.
  if (p.provider == "gpt-live" && (!s.model || s.model->empty())) p.session.model = "gpt-live-1";
  if (s.greeting) p.greeting = *s.greeting;
  if (s.dtmf_message) p.dtmf_message = *s.dtmf_message;
  if (s.end_call_tool) p.end_call_tool = *s.end_call_tool;
  std::set<std::string> names;
  if (p.end_call_tool) names.insert(bridge::kEndCallTool);
  for (const auto& t : s.tools.value_or(std::vector<ToolSettings>{})) {
    if (!names.insert(t.name).second) {
      throw ConfigError(where + ": tool '" + t.name + "' is declared twice (end_call is built in)");
    }
    agent::HttpTool tool;
    tool.function = {t.name, t.description, t.parameters};
    tool.url = t.url;
    tool.headers = t.headers;
    tool.timeout = t.timeout;
    p.http_tools.push_back(std::move(tool));
  }
  if (s.fallback.value_or("reject") == "announce") {
    p.fallback = bridge::Fallback::announce;
    p.announcement = &announcement(s.announcement.value_or(""), where, store);
  }
  p.finalize();
  return p;
}

} // namespace

bridge::AgentProfiles build_agent_profiles(const Config& c, AnnouncementStore& store) {
  ProfileSettings defaults;
  defaults.instructions = c.openai_instructions;
  defaults.voice = c.openai_voice;
  defaults.model = c.openai_model;
  defaults.fallback = c.fallback;
  defaults.announcement = c.fallback_announcement;
  defaults.merge(c.agent);

  bridge::AgentProfiles profiles;
  profiles.default_profile = build_profile(defaults, "FALLBACK_ANNOUNCEMENT / [agent]", store);
  for (const auto& [id, settings] : c.numbers) {
    ProfileSettings merged = defaults;
    merged.merge(settings);
    profiles.by_number.emplace(id, build_profile(merged, "[numbers.\"" + id + "\"]", store));
  }
  return profiles;
}

} // namespace wab::app

#include "app/profile_settings.hpp"

#include "app/config.hpp"

namespace wab::app {
namespace {

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  std::string message = "--config: ";
  message += where;
  message += ' ';
  message += what;
  throw ConfigError(message);
}

nlohmann::json to_json(const toml::node& node) {
  if (const auto* t = node.as_table()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, v] : *t)
      out[std::string(k.str())] = to_json(v);
    return out;
  }
  if (const auto* a = node.as_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : *a)
      out.push_back(to_json(v));
    return out;
  }
  if (auto s = node.value_exact<std::string>()) return *s;
  if (auto i = node.value_exact<std::int64_t>()) return *i;
  if (auto d = node.value_exact<double>()) return *d;
  if (auto b = node.value_exact<bool>()) return *b;
  return nullptr; // dates and times: not meaningful in a JSON schema
}

// A function name the Realtime API accepts: letters, digits, '_' and '-', at most 64.
bool valid_tool_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

std::string text(const toml::node& node, const std::string& where, std::string_view key) {
  if (auto s = node.value_exact<std::string>()) return *s;
  fail(where, "'" + std::string(key) + "' must be a string");
}

ToolSettings parse_tool(const toml::table& table, const std::string& where) {
  ToolSettings tool;
  for (const auto& [key, node] : table) {
    const std::string k(key.str());
    if (k == "name") {
      tool.name = text(node, where, k);
    } else if (k == "description") {
      tool.description = text(node, where, k);
    } else if (k == "url") {
      tool.url = text(node, where, k);
    } else if (k == "timeout_seconds") {
      const auto v = node.value_exact<std::int64_t>();
      if (!v || *v < 1 || *v > 60) {
        fail(where, "'timeout_seconds' must be 1-60");
      }
      tool.timeout = seconds(*v);
    } else if (k == "parameters") {
      if (!node.is_table()) {
        fail(where, "'parameters' must be a table (JSON schema)");
      }
      tool.parameters = to_json(node);
    } else if (k == "headers") {
      const auto* headers = node.as_table();
      if (headers == nullptr) fail(where, "'headers' must be a table");
      for (const auto& [name, value] : *headers) {
        tool.headers.emplace_back(std::string(name.str()), text(value, where, name.str()));
      }
    } else {
      fail(where, "unknown key '" + k + "'");
    }
  }
  if (!valid_tool_name(tool.name)) {
    fail(where, "'name' must be 1-64 letters, digits, '_' or '-'");
  }
  if (tool.url.rfind("http://", 0) != 0 && tool.url.rfind("https://", 0) != 0) {
    fail(where, "'url' must start with http:// or https://");
  }
  return tool;
}

} // namespace

void ProfileSettings::merge(const ProfileSettings& over) {
  auto take = [](auto& mine, const auto& theirs) {
    if (theirs) mine = theirs;
  };
  take(instructions, over.instructions);
  take(greeting, over.greeting);
  take(voice, over.voice);
  take(model, over.model);
  take(provider, over.provider);
  take(transcription_language, over.transcription_language);
  take(dtmf_message, over.dtmf_message);
  take(fallback, over.fallback);
  take(announcement, over.announcement);
  take(end_call_tool, over.end_call_tool);
  take(tools, over.tools);
}

ProfileSettings parse_profile(const toml::table& table, const std::string& where) {
  ProfileSettings p;
  const std::pair<const char*, std::optional<std::string>*> strings[] = {
      {"instructions", &p.instructions},
      {"greeting", &p.greeting},
      {"voice", &p.voice},
      {"model", &p.model},
      {"provider", &p.provider},
      {"transcription_language", &p.transcription_language},
      {"dtmf_message", &p.dtmf_message},
      {"fallback", &p.fallback},
      {"announcement", &p.announcement}};
  for (const auto& [key, node] : table) {
    const std::string k(key.str());
    bool known = false;
    for (const auto& [name, field] : strings) {
      if (k == name) {
        *field = text(node, where, k);
        known = true;
      }
    }
    if (known) continue;
    if (k == "end_call_tool") {
      const auto v = node.value_exact<bool>();
      if (!v) fail(where, "'end_call_tool' must be true or false");
      p.end_call_tool = *v;
    } else if (k == "tools") {
      const auto* tools = node.as_array();
      if (tools == nullptr) {
        fail(where, "'tools' must be an array of tables");
      }
      p.tools.emplace();
      for (std::size_t i = 0; i < tools->size(); ++i) {
        const auto* tool = tools->get(i)->as_table();
        const std::string tool_where = where + " tools[" + std::to_string(i) + "]";
        if (tool == nullptr) fail(tool_where, "must be a table");
        p.tools->push_back(parse_tool(*tool, tool_where));
      }
    } else {
      fail(where, "unknown key '" + k + "'");
    }
  }
  if (p.provider && *p.provider != "openai" && *p.provider != "azure" &&
      *p.provider != "gpt-live") {
    fail(where, "'provider' must be openai, azure or gpt-live");
  }
  if (p.fallback && *p.fallback != "reject" && *p.fallback != "announce") {
    fail(where, "'fallback' must be reject or announce");
  }
  return p;
}

} // namespace wab::app

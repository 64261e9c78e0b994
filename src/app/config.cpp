#include "app/config.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string_view>

#include <toml++/toml.h>

#include "app/profile_settings.hpp"
#include "cluster/keys.hpp"
#include "cluster/redis_url.hpp"
#include "turn/server_url.hpp"

namespace wab::app {
namespace {

// host name and process id, cut to what a node id may hold.
std::string default_node_id() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == 0) std::strcpy(host, "node");
  std::string id;
  for (const char* c = host; *c != 0 && id.size() < 48; ++c) {
    id += cluster::keys::valid_node_id(std::string_view(c, 1)) ? *c : '-';
  }
  return id + "-" + std::to_string(::getpid());
}

std::uint64_t parse_number(const std::string& name, const std::string& text, std::uint64_t max) {
  if (text.empty() || text.size() > 12 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    throw ConfigError(name + ": not a number: '" + text + "'");
  }
  const std::uint64_t value = std::stoull(text);
  if (value > max) throw ConfigError(name + ": " + text + " is larger than " + std::to_string(max));
  return value;
}

bool parse_bool(const std::string& name, const std::string& text) {
  if (text == "1" || text == "true" || text == "yes") return true;
  if (text == "0" || text == "false" || text == "no" || text.empty()) return false;
  throw ConfigError(name + ": expected 1/0, true/false or yes/no, got '" + text + "'");
}

// Every setting a TOML file may carry: the environment variable names, lower-cased.
constexpr const char* kSettings[] = {"PORT",
                                     "HTTP_HOST",
                                     "MEDIA_PUBLIC_IP",
                                     "MEDIA_PORT_MIN",
                                     "MEDIA_PORT_MAX",
                                     "STUN_SERVER",
                                     "TURN_URLS",
                                     "TURN_USERNAME",
                                     "TURN_PASSWORD",
                                     "TURN_TLS_CA_FILE",
                                     "ICE_TRANSPORT_POLICY",
                                     "WHATSAPP_ACCESS_TOKEN",
                                     "WHATSAPP_APP_SECRET",
                                     "WHATSAPP_VERIFY_TOKEN",
                                     "WHATSAPP_INSECURE_SKIP_SIGNATURE",
                                     "WHATSAPP_GRAPH_URL",
                                     "OPENAI_API_KEY",
                                     "OPENAI_BASE_URL",
                                     "OPENAI_MODEL",
                                     "OPENAI_VOICE",
                                     "OPENAI_INSTRUCTIONS",
                                     "OPENAI_AUTH",
                                     "LOG_LEVEL",
                                     "ACCEPT_WINDOW_SECONDS",
                                     "DRAIN_GRACE_SECONDS",
                                     "AGENT_SETUP_TIMEOUT_SECONDS",
                                     "MAX_CALL_DURATION_SECONDS",
                                     "FALLBACK",
                                     "FALLBACK_ANNOUNCEMENT",
                                     "CALL_DATA_DIR",
                                     "RECORD_CALLS",
                                     "CALL_DATA_RETENTION_DAYS",
                                     "AZURE_OPENAI_API_KEY",
                                     "AZURE_OPENAI_BASE_URL",
                                     "ADMIN_TOKEN",
                                     "AGENT_ROLLOVER_MINUTES",
                                     "AGENT_ROLLOVER_SECONDS",
                                     "REDIS_URL",
                                     "NODE_ID",
                                     "CLUSTER_CALL_TTL_SECONDS",
                                     "MAX_CALLS_PER_NUMBER",
                                     "WORKERS"};

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct TomlContents {
  std::map<std::string, std::string> values; // flat settings under their environment names
  ProfileSettings agent;
  std::map<std::string, ProfileSettings> numbers;
};

// Reads the TOML file: flat keys are the settings' names in lower case (`port = 3000`,
// `openai_voice = "marin"`); the `[agent]` and `[numbers."<id>"]` tables are agent profiles.
// Unknown keys and wrong types are errors.
TomlContents read_toml(const std::string& path) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw ConfigError("--config " + path + ": " + std::string(e.description()) + " at line " +
                      std::to_string(e.source().begin.line));
  }
  TomlContents contents;
  auto& values = contents.values;
  for (const auto& [key, node] : table) {
    if (key.str() == "agent" && node.is_table()) {
      contents.agent = parse_profile(*node.as_table(), "[agent]");
      continue;
    }
    if (key.str() == "numbers" && node.is_table()) {
      for (const auto& [id, number] : *node.as_table()) {
        std::string table = "[numbers.\"";
        table += id.str();
        table += "\"]";
        const std::string where = "--config " + path + ": " + table;
        if (!number.is_table()) throw ConfigError(where + " must be a table");
        if (id.str().empty() ||
            id.str().find_first_not_of("0123456789") != std::string_view::npos) {
          throw ConfigError(where + ": the key must be a phone_number_id (digits)");
        }
        contents.numbers[std::string(id.str())] = parse_profile(*number.as_table(), table);
      }
      continue;
    }
    std::string name;
    for (const char* setting : kSettings) {
      if (lower(setting) == key.str()) name = setting;
    }
    if (name.empty()) {
      throw ConfigError("--config " + path + ": unknown key '" + std::string(key.str()) + "'");
    }
    if (auto text = node.value_exact<std::string>()) {
      values[name] = *text;
    } else if (auto number = node.value_exact<std::int64_t>()) {
      values[name] = std::to_string(*number);
    } else if (auto flag = node.value_exact<bool>()) {
      values[name] = *flag ? "1" : "0";
    } else {
      throw ConfigError("--config " + path + ": '" + std::string(key.str()) +
                        "' must be a string, an integer or a boolean");
    }
  }
  return contents;
}

} // namespace

std::uint32_t Config::default_workers() {
  // The cores this process may run on (taskset and cpusets included), not every core of the host.
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return static_cast<std::uint32_t>(std::clamp(CPU_COUNT(&set), 1, 64));
}

std::vector<std::string> Config::secrets() const {
  std::vector<std::string> out;
  for (const auto* s : {&whatsapp_access_token, &whatsapp_app_secret, &whatsapp_verify_token,
                        &openai_api_key, &azure_openai_api_key, &admin_token, &turn_password}) {
    if (!s->empty()) out.push_back(*s);
  }
  if (!redis_url.empty()) {
    out.push_back(redis_url);
    try {
      if (auto password = cluster::parse_redis_url(redis_url).password; !password.empty()) {
        out.push_back(password);
      }
    } catch (const std::invalid_argument&) {
    }
  }
  return out;
}

Config load_config(int argc, char** argv, const char* (*environ_lookup)(const char*)) {
  auto env_lookup = environ_lookup != nullptr ? environ_lookup : +[](const char* n) -> const char* {
    return std::getenv(n);
  };
  // Priority: defaults < TOML file < environment < flags. The file's values are looked up like
  // environment variables, under the environment's names.
  TomlContents file;
  for (int i = 0; i + 1 < argc; ++i) {
    if (std::string_view(argv[i]) == "--config") file = read_toml(argv[i + 1]);
  }
  // `[agent]` fields that are also flat settings count as the file's value of that setting: the
  // environment still overrides them, and the file may give each only once.
  const std::pair<const char*, std::optional<std::string>*> shared[] = {
      {"OPENAI_INSTRUCTIONS", &file.agent.instructions},
      {"OPENAI_VOICE", &file.agent.voice},
      {"OPENAI_MODEL", &file.agent.model},
      {"FALLBACK", &file.agent.fallback},
      {"FALLBACK_ANNOUNCEMENT", &file.agent.announcement}};
  for (const auto& [name, field] : shared) {
    if (!*field) continue;
    if (file.values.count(name) != 0) {
      throw ConfigError("--config: " + lower(name) + " and [agent] set the same thing twice");
    }
    file.values[name] = **field;
    field->reset();
  }
  const auto& file_values = file.values;
  auto lookup = [&](const char* name) -> const char* {
    if (const char* v = env_lookup(name)) return v;
    auto it = file_values.find(name);
    return it == file_values.end() ? nullptr : it->second.c_str();
  };
  Config c;
  auto env = [&](const char* name, std::string& out) {
    if (const char* v = lookup(name)) out = v;
  };
  auto env_number = [&](const char* name, auto& out, std::uint64_t max) {
    if (const char* v = lookup(name)) {
      out = static_cast<std::remove_reference_t<decltype(out)>>(parse_number(name, v, max));
    }
  };

  env("HTTP_HOST", c.http_host);
  env_number("PORT", c.port, 65535);
  env("MEDIA_PUBLIC_IP", c.media_public_ip);
  env_number("MEDIA_PORT_MIN", c.media_port_min, 65535);
  env_number("MEDIA_PORT_MAX", c.media_port_max, 65535);
  env("STUN_SERVER", c.stun_server);
  if (const char* v = lookup("TURN_URLS")) {
    std::string_view rest = v;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      while (!item.empty() && item.front() == ' ')
        item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ')
        item.remove_suffix(1);
      if (item.empty()) continue;
      std::string error;
      auto url = turn::ServerUrl::parse(item, error);
      if (!url) throw ConfigError("TURN_URLS: '" + std::string(item) + "': " + error);
      c.turn_urls.emplace_back(item);
    }
  }
  env("TURN_USERNAME", c.turn_username);
  env("TURN_PASSWORD", c.turn_password);
  env("TURN_TLS_CA_FILE", c.turn_tls_ca_file);
  env("ICE_TRANSPORT_POLICY", c.ice_transport_policy);
  env("WHATSAPP_ACCESS_TOKEN", c.whatsapp_access_token);
  env("WHATSAPP_APP_SECRET", c.whatsapp_app_secret);
  env("WHATSAPP_VERIFY_TOKEN", c.whatsapp_verify_token);
  if (const char* v = lookup("WHATSAPP_INSECURE_SKIP_SIGNATURE")) {
    c.whatsapp_insecure_skip_signature = parse_bool("WHATSAPP_INSECURE_SKIP_SIGNATURE", v);
  }
  env("WHATSAPP_GRAPH_URL", c.whatsapp_graph_url);
  env("OPENAI_API_KEY", c.openai_api_key);
  env("OPENAI_BASE_URL", c.openai_base_url);
  env("OPENAI_MODEL", c.openai_model);
  env("OPENAI_VOICE", c.openai_voice);
  env("OPENAI_INSTRUCTIONS", c.openai_instructions);
  env("OPENAI_AUTH", c.openai_auth);
  env("AZURE_OPENAI_API_KEY", c.azure_openai_api_key);
  env("AZURE_OPENAI_BASE_URL", c.azure_openai_base_url);
  env("LOG_LEVEL", c.log_level);
  std::uint64_t accept_window_s = 30;
  env_number("ACCEPT_WINDOW_SECONDS", accept_window_s, 600);
  c.accept_window = seconds(accept_window_s);
  std::uint64_t drain_s = 30;
  env_number("DRAIN_GRACE_SECONDS", drain_s, 3600);
  c.drain_grace = seconds(drain_s);
  std::uint64_t setup_s = 20;
  env_number("AGENT_SETUP_TIMEOUT_SECONDS", setup_s, 600);
  c.agent_setup_timeout = seconds(setup_s);
  std::uint64_t max_call_s = 7200;
  env_number("MAX_CALL_DURATION_SECONDS", max_call_s, 7 * 24 * 3600);
  c.max_call_duration = seconds(max_call_s);
  std::uint64_t rollover_min = 55;
  env_number("AGENT_ROLLOVER_MINUTES", rollover_min, 59);
  c.agent_rollover_after = std::chrono::minutes(rollover_min);
  // The same in seconds, and it wins: for agent services or proxies that end sessions sooner.
  // Under 10 s a session would hardly be up before its successor is made.
  if (const char* v = lookup("AGENT_ROLLOVER_SECONDS")) {
    const std::uint64_t rollover_s = parse_number("AGENT_ROLLOVER_SECONDS", v, 3599);
    if (rollover_s != 0 && rollover_s < 10) {
      throw ConfigError("AGENT_ROLLOVER_SECONDS: " + std::string(v) + " is below 10 (0: never)");
    }
    c.agent_rollover_after = seconds(rollover_s);
  }
  env("FALLBACK", c.fallback);
  env("FALLBACK_ANNOUNCEMENT", c.fallback_announcement);
  env("ADMIN_TOKEN", c.admin_token);
  env("CALL_DATA_DIR", c.call_data_dir);
  if (const char* v = lookup("RECORD_CALLS")) c.record_calls = parse_bool("RECORD_CALLS", v);
  env_number("CALL_DATA_RETENTION_DAYS", c.call_data_retention_days, 36500);
  env("REDIS_URL", c.redis_url);
  env("NODE_ID", c.node_id);
  std::uint64_t call_ttl_s = 15;
  env_number("CLUSTER_CALL_TTL_SECONDS", call_ttl_s, 3600);
  c.cluster_call_ttl = seconds(call_ttl_s);
  env_number("MAX_CALLS_PER_NUMBER", c.max_calls_per_number, 1'000'000);
  if (const char* v = lookup("WORKERS"); v != nullptr && lower(v) != "auto") {
    c.workers = static_cast<std::uint32_t>(parse_number("WORKERS", v, 256));
    if (c.workers == 0) throw ConfigError("WORKERS: must be at least 1, or auto");
  }
  c.agent = std::move(file.agent);
  c.numbers = std::move(file.numbers);

  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw ConfigError(arg + ": missing value");
      return argv[++i];
    };
    if (arg == "--config")
      value(); // read above
    else if (arg == "--port")
      c.port = static_cast<std::uint16_t>(parse_number("--port", value(), 65535));
    else if (arg == "--host")
      c.http_host = value();
    else if (arg == "--log-level")
      c.log_level = value();
    else
      throw ConfigError("unknown flag " + arg);
  }

  if (c.media_port_min == 0 || c.media_port_min > c.media_port_max) {
    throw ConfigError("MEDIA_PORT_MIN/MEDIA_PORT_MAX: range " + std::to_string(c.media_port_min) +
                      "-" + std::to_string(c.media_port_max) + " is empty or inverted");
  }
  if (c.whatsapp_verify_token.empty()) throw ConfigError("WHATSAPP_VERIFY_TOKEN is required");
  if (c.whatsapp_app_secret.empty() && !c.whatsapp_insecure_skip_signature) {
    throw ConfigError(
        "WHATSAPP_APP_SECRET is required (or WHATSAPP_INSECURE_SKIP_SIGNATURE=1 for testing)");
  }
  if (c.whatsapp_access_token.empty()) throw ConfigError("WHATSAPP_ACCESS_TOKEN is required");
  if (c.openai_auth != "apikey" && c.openai_auth != "ephemeral") {
    throw ConfigError("OPENAI_AUTH: expected apikey or ephemeral, got '" + c.openai_auth + "'");
  }
  if (c.fallback != "reject" && c.fallback != "announce") {
    throw ConfigError("FALLBACK: expected reject or announce, got '" + c.fallback + "'");
  }
  if (c.azure_openai_api_key.empty() != c.azure_openai_base_url.empty()) {
    throw ConfigError("AZURE_OPENAI_API_KEY and AZURE_OPENAI_BASE_URL go together");
  }
  if (c.record_calls && c.call_data_dir.empty()) {
    throw ConfigError("RECORD_CALLS: needs CALL_DATA_DIR, the directory the recordings go to");
  }
  if (c.ice_transport_policy != "all" && c.ice_transport_policy != "relay") {
    throw ConfigError("ICE_TRANSPORT_POLICY: expected all or relay, got '" +
                      c.ice_transport_policy + "'");
  }
  if (c.ice_transport_policy == "relay" && c.turn_urls.empty()) {
    throw ConfigError("ICE_TRANSPORT_POLICY: relay needs TURN_URLS");
  }
  if (!c.turn_urls.empty() && (c.turn_username.empty() || c.turn_password.empty())) {
    throw ConfigError("TURN_URLS: needs TURN_USERNAME and TURN_PASSWORD");
  }
  if (setup_s == 0) throw ConfigError("AGENT_SETUP_TIMEOUT_SECONDS: must be at least 1");
  if (accept_window_s == 0) throw ConfigError("ACCEPT_WINDOW_SECONDS: must be at least 1");
  if (!c.redis_url.empty()) {
    try {
      (void)cluster::parse_redis_url(c.redis_url); // its messages never hold the password
    } catch (const std::invalid_argument& e) {
      throw ConfigError(e.what());
    }
  }
  if (c.node_id.empty()) c.node_id = default_node_id();
  if (!cluster::keys::valid_node_id(c.node_id)) {
    throw ConfigError("NODE_ID: 1-64 characters of A-Z a-z 0-9 . _ -, got '" + c.node_id + "'");
  }
  if (call_ttl_s < 2) throw ConfigError("CLUSTER_CALL_TTL_SECONDS: must be at least 2");
  if (c.max_calls_per_number == 0) throw ConfigError("MAX_CALLS_PER_NUMBER: must be at least 1");
  if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" &&
      c.log_level != "error") {
    throw ConfigError("LOG_LEVEL: expected debug, info, warn or error");
  }
  return c;
}

} // namespace wab::app

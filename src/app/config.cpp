#include "app/config.hpp"

#include <cstdlib>
#include <string_view>

namespace wab::app {
namespace {

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

} // namespace

std::vector<std::string> Config::secrets() const {
  std::vector<std::string> out;
  for (const auto* s :
       {&whatsapp_access_token, &whatsapp_app_secret, &whatsapp_verify_token, &openai_api_key}) {
    if (!s->empty()) out.push_back(*s);
  }
  return out;
}

Config load_config(int argc, char** argv, const char* (*environ_lookup)(const char*)) {
  auto lookup = environ_lookup != nullptr ? environ_lookup : +[](const char* n) -> const char* {
    return std::getenv(n);
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
  env("LOG_LEVEL", c.log_level);
  std::uint64_t accept_window_s = 30;
  env_number("ACCEPT_WINDOW_SECONDS", accept_window_s, 600);
  c.accept_window = seconds(accept_window_s);
  std::uint64_t drain_s = 30;
  env_number("DRAIN_GRACE_SECONDS", drain_s, 3600);
  c.drain_grace = seconds(drain_s);

  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw ConfigError(arg + ": missing value");
      return argv[++i];
    };
    if (arg == "--port")
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
  if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" &&
      c.log_level != "error") {
    throw ConfigError("LOG_LEVEL: expected debug, info, warn or error");
  }
  return c;
}

} // namespace wab::app

#include "app/check.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string_view>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "app/agent_profiles.hpp"
#include "net/interfaces.hpp"

namespace wab::app {
namespace {

using Level = Finding::Level;

Finding ok(std::string setting, std::string message) {
  return {Level::ok, std::move(setting), std::move(message), {}};
}
Finding warning(std::string setting, std::string message, std::string fix) {
  return {Level::warning, std::move(setting), std::move(message), std::move(fix)};
}
Finding error(std::string setting, std::string message, std::string fix) {
  return {Level::error, std::move(setting), std::move(message), std::move(fix)};
}

struct Credential {
  const char* name;
  const char* fix;
};
constexpr Credential kCredentials[] = {
    {"WHATSAPP_ACCESS_TOKEN",
     "create a System User token with whatsapp_business_messaging and whatsapp_business_management "
     "(Meta Business Settings -> System users) and set WHATSAPP_ACCESS_TOKEN"},
    {"WHATSAPP_APP_SECRET",
     "copy the App Secret (Meta app dashboard -> App settings -> Basic) into WHATSAPP_APP_SECRET"},
    {"WHATSAPP_VERIFY_TOKEN",
     "choose a random string, set WHATSAPP_VERIFY_TOKEN and enter the same in the webhook "
     "settings of the Meta app"},
    {"OPENAI_API_KEY",
     "create an API key (OpenAI platform -> API keys) and set OPENAI_API_KEY; without it every "
     "call is rejected or gets the fallback announcement"},
};

// load_config reads the environment through a plain function pointer: the check hands it the
// real lookup plus placeholders for missing credentials (reported on their own), so one missing
// token does not hide every other finding.
const char* (*g_lookup)(const char*) = nullptr;
std::map<std::string, std::string> g_placeholders;
const char* lookup_with_placeholders(const char* name) {
  if (const char* v = g_lookup(name)) return v;
  auto it = g_placeholders.find(name);
  return it == g_placeholders.end() ? nullptr : it->second.c_str();
}

// The flat keys of the --config file (lower-case names), when it parses; errors are
// load_config's to report.
std::map<std::string, std::string> toml_strings(int argc, char** argv) {
  std::map<std::string, std::string> out;
  for (int i = 0; i + 1 < argc; ++i) {
    if (std::string_view(argv[i]) != "--config") continue;
    try {
      const auto table = toml::parse_file(argv[i + 1]);
      for (const auto& [key, node] : table) {
        if (auto s = node.value_exact<std::string>()) out[std::string(key.str())] = *s;
      }
    } catch (const std::exception&) {
    }
  }
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "NAME: message" / "NAME is required" → NAME.
std::string setting_of(const std::string& message) {
  const auto end = message.find_first_of(": ");
  return end == std::string::npos ? message : message.substr(0, end);
}

bool is_private(const net::SocketAddress& a) {
  const std::string ip = a.ip_string();
  if (ip.rfind("10.", 0) == 0 || ip.rfind("192.168.", 0) == 0 || ip.rfind("127.", 0) == 0) {
    return true;
  }
  if (ip.rfind("172.", 0) == 0) {
    const int second = std::atoi(ip.c_str() + 4);
    return second >= 16 && second <= 31;
  }
  if (ip.rfind("100.", 0) == 0) { // carrier-grade NAT, 100.64/10
    const int second = std::atoi(ip.c_str() + 4);
    return second >= 64 && second <= 127;
  }
  return ip.rfind("fc", 0) == 0 || ip.rfind("fd", 0) == 0 || ip == "::1";
}

void check_public_ip(const Config& c, std::vector<Finding>& out) {
  std::vector<net::SocketAddress> local;
  try {
    local = net::local_addresses({true, true, true});
  } catch (const std::exception& e) {
    out.push_back(error("MEDIA_PUBLIC_IP", std::string("cannot list interfaces: ") + e.what(),
                        "set MEDIA_PUBLIC_IP to this host's public address"));
    return;
  }
  if (c.media_public_ip.empty()) {
    std::string list;
    bool any_public = false;
    for (const auto& a : local) {
      if (a.is_loopback()) continue;
      list += (list.empty() ? "" : ", ") + a.ip_string();
      any_public = any_public || !is_private(a);
    }
    if (list.empty()) {
      out.push_back(error("MEDIA_PUBLIC_IP", "unset and this host has no non-loopback address",
                          "set MEDIA_PUBLIC_IP to the address Meta and OpenAI can reach"));
    } else if (!any_public) {
      out.push_back(warning("MEDIA_PUBLIC_IP",
                            "unset; candidates would carry only private addresses (" + list + ")",
                            "behind NAT set MEDIA_PUBLIC_IP to the public address and forward "
                            "the UDP range to this host (or set STUN_SERVER)"));
    } else {
      out.push_back(ok("MEDIA_PUBLIC_IP", "unset; candidates carry " + list));
    }
    return;
  }
  auto ip = net::SocketAddress::parse(c.media_public_ip, 0);
  if (!ip) {
    out.push_back(error("MEDIA_PUBLIC_IP", "'" + c.media_public_ip + "' is not an IP address",
                        "use a literal IPv4/IPv6 address, not a host name"));
    return;
  }
  const bool here = std::any_of(local.begin(), local.end(), [&](const net::SocketAddress& a) {
    return a.ip_string() == ip->ip_string();
  });
  if (here) {
    out.push_back(ok("MEDIA_PUBLIC_IP", c.media_public_ip + " is an address of this host"));
  } else {
    out.push_back(warning("MEDIA_PUBLIC_IP",
                          c.media_public_ip + " is not an address of this host (fine behind 1:1 "
                                              "NAT or a cloud elastic IP)",
                          "make sure the NAT forwards UDP " + std::to_string(c.media_port_min) +
                              "-" + std::to_string(c.media_port_max) +
                              " to this host; otherwise audio never flows (calls ring and drop)"));
  }
}

void check_profiles(const Config& c, std::vector<Finding>& out) {
  AnnouncementStore store;
  bridge::AgentProfiles profiles;
  try {
    profiles = build_agent_profiles(c, store);
  } catch (const std::exception& e) {
    out.push_back(error("--config", std::string("agent profiles: ") + e.what(),
                        "fix that table and field of the TOML file (README.md, Agent profiles)"));
    return;
  }
  bool bad = false;
  auto provider = [&](const bridge::AgentProfile& p, const std::string& where) {
    if (p.provider == "gpt-live" && c.openai_api_key.empty()) {
      out.push_back(error(where, "provider gpt-live needs OPENAI_API_KEY", "set OPENAI_API_KEY"));
      bad = true;
    }
    if (p.provider == "azure" &&
        (c.azure_openai_api_key.empty() || c.azure_openai_base_url.empty())) {
      out.push_back(error(where,
                          "provider azure needs AZURE_OPENAI_API_KEY and "
                          "AZURE_OPENAI_BASE_URL",
                          "set both, e.g. AZURE_OPENAI_BASE_URL=https://<resource>.openai.azure"
                          ".com/openai/v1"));
      bad = true;
    }
  };
  provider(profiles.default_profile, "[agent]");
  for (const auto& [id, p] : profiles.by_number)
    provider(p, "[numbers.\"" + id + "\"]");
  if (!bad) {
    out.push_back(ok("--config", "agent profiles: default and " +
                                     std::to_string(profiles.by_number.size()) +
                                     " business number(s)"));
  }
}

void check_call_data(const Config& c, std::vector<Finding>& out) {
  if (c.call_data_dir.empty()) return;
  std::error_code ec;
  std::filesystem::path dir(c.call_data_dir);
  // The directory is created on the first call: its nearest existing ancestor must be writable.
  while (!dir.empty() && !std::filesystem::exists(dir, ec))
    dir = dir.parent_path();
  if (dir.empty()) dir = ".";
  // Writing a file is the only test that also holds for root, read-only mounts and ACLs.
  std::string probe = (dir / ".wabridge-check-XXXXXX").string();
  const int fd = ::mkstemp(probe.data());
  if (fd >= 0) {
    ::close(fd);
    ::unlink(probe.c_str());
  }
  if (fd < 0) {
    out.push_back(error("CALL_DATA_DIR", dir.string() + " is not writable by this user",
                        "create " + c.call_data_dir +
                            " owned by the service user (systemd: "
                            "StateDirectory=)"));
  } else {
    out.push_back(ok("CALL_DATA_DIR", c.call_data_dir + " is writable"));
  }
}

} // namespace

const char* level_name(Finding::Level level) {
  switch (level) {
  case Level::ok: return "ok";
  case Level::warning: return "warning";
  case Level::error: return "error";
  }
  return "error";
}

std::vector<Finding> check_configuration(int argc, char** argv,
                                         const char* (*environ_lookup)(const char*),
                                         std::optional<Config>& config) {
  std::vector<Finding> out;
  g_lookup = environ_lookup != nullptr ? environ_lookup : +[](const char* n) -> const char* {
    return std::getenv(n);
  };
  g_placeholders.clear();
  const auto file = toml_strings(argc, argv);
  for (const auto& cred : kCredentials) {
    const char* env = g_lookup(cred.name);
    const auto in_file = file.find(lower(cred.name));
    const bool set = (env != nullptr && *env != '\0') ||
                     (env == nullptr && in_file != file.end() && !in_file->second.empty());
    const bool optional_secret = std::string_view(cred.name) == "WHATSAPP_APP_SECRET" && [] {
      const char* skip = lookup_with_placeholders("WHATSAPP_INSECURE_SKIP_SIGNATURE");
      return skip != nullptr &&
             (std::string_view(skip) == "1" || std::string_view(skip) == "true" ||
              std::string_view(skip) == "yes");
    }();
    if (set) {
      out.push_back(ok(cred.name, "set"));
    } else if (optional_secret) {
      out.push_back(warning(cred.name,
                            "missing, and WHATSAPP_INSECURE_SKIP_SIGNATURE=1 accepts unsigned "
                            "webhooks: anyone can post calls to this server",
                            cred.fix));
    } else {
      out.push_back(error(cred.name, "missing", cred.fix));
      if (std::string_view(cred.name) != "OPENAI_API_KEY")
        g_placeholders[cred.name] = kMissingCredential;
    }
  }
  try {
    config = load_config(argc, argv, lookup_with_placeholders);
  } catch (const ConfigError& e) {
    out.push_back(error(setting_of(e.what()), e.what(),
                        "see README.md, Configuration, for the values this setting takes"));
    return out;
  }
  const Config& c = *config;
  out.push_back(ok("--config", "settings parse"));
  if (c.whatsapp_insecure_skip_signature) {
    out.push_back(warning("WHATSAPP_INSECURE_SKIP_SIGNATURE",
                          "webhook signatures are not checked (testing only)",
                          "unset it and set WHATSAPP_APP_SECRET"));
  }
  if (!c.admin_token.empty() && c.admin_token.size() < 16) {
    out.push_back(warning("ADMIN_TOKEN", "shorter than 16 characters: easy to guess",
                          "use a long random value, e.g. `openssl rand -hex 24`"));
  }
  if (c.media_port_max - c.media_port_min + 1 < 4) {
    out.push_back(warning("MEDIA_PORT_MIN/MEDIA_PORT_MAX",
                          "the range holds fewer than 4 ports: each call uses 2 (3 during an "
                          "agent rollover)",
                          "widen the range to two ports per concurrent call, plus spare"));
  }
  check_profiles(c, out);
  check_public_ip(c, out);
  check_call_data(c, out);
  return out;
}

int run_check(int argc, char** argv) {
  bool json = false;
  Duration timeout = seconds(5);
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--json") {
      json = true;
    } else if (std::string_view(argv[i]) == "--timeout-ms" && i + 1 < argc) {
      timeout = milliseconds(std::strtoul(argv[++i], nullptr, 10));
    } else {
      args.push_back(argv[i]);
    }
  }
  std::optional<Config> config;
  auto findings = check_configuration(static_cast<int>(args.size()), args.data(), nullptr, config);
  if (config) {
    auto net = check_network(*config, timeout);
    findings.insert(findings.end(), net.begin(), net.end());
  }
  bool errors = false;
  for (const auto& f : findings) {
    errors = errors || f.level == Level::error;
    if (json) {
      nlohmann::json line = {
          {"level", level_name(f.level)}, {"setting", f.setting}, {"message", f.message}};
      if (!f.fix.empty()) line["fix"] = f.fix;
      std::printf("%s\n", line.dump().c_str());
    } else {
      std::printf("%-7s %s: %s%s%s\n", level_name(f.level), f.setting.c_str(), f.message.c_str(),
                  f.fix.empty() ? "" : " -> fix: ", f.fix.c_str());
    }
  }
  std::fflush(stdout);
  return errors ? 1 : 0;
}

} // namespace wab::app

#pragma once
// wabridge's configuration: built-in defaults, then environment variables (interface contract in
// README.md), then command-line flags. Invalid values throw ConfigError naming the setting.
// Secrets are held here and nowhere is their value logged.
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/profile_settings.hpp"
#include "common/clock.hpp"

namespace wab::app {

class ConfigError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct Config {
  std::string http_host = "0.0.0.0";
  std::uint16_t port = 3000;
  std::string media_public_ip; // empty: every non-loopback interface address
  std::uint16_t media_port_min = 40000;
  std::uint16_t media_port_max = 49999;
  std::string stun_server; // "host:port" or empty
  // TURN relays (RFC 8656): "turn:host:port[?transport=udp|tcp]" / "turns:host:port" URLs, all
  // sharing one long-term credential. Relay-only (ICE_TRANSPORT_POLICY=relay) offers and pairs
  // only relay candidates.
  std::vector<std::string> turn_urls;
  std::string turn_username;
  std::string turn_password; // a secret
  // PEM certificates that `turns:` servers' certificates must chain to; empty: the system's
  // trust store.
  std::string turn_tls_ca_file;
  std::string ice_transport_policy = "all"; // all | relay

  std::string whatsapp_access_token;
  std::string whatsapp_app_secret;
  std::string whatsapp_verify_token;
  bool whatsapp_insecure_skip_signature = false;
  std::string whatsapp_graph_url = "https://graph.facebook.com/v24.0";

  std::string openai_api_key; // empty: no agent (fallback)
  std::string openai_base_url = "https://api.openai.com/v1";
  std::string openai_model; // empty: the agent layer's default
  std::string openai_voice = "alloy";
  std::string openai_instructions;    // empty: the agent layer's default
  std::string openai_auth = "apikey"; // apikey | ephemeral
  // Azure OpenAI (GA endpoints, `api-key` header), for numbers whose profile says
  // provider = "azure". The base is e.g. https://<resource>.openai.azure.com/openai/v1.
  std::string azure_openai_api_key;
  std::string azure_openai_base_url;

  std::string log_level = "info";
  Duration accept_window = seconds(30);
  Duration drain_grace = seconds(30);
  Duration agent_setup_timeout = seconds(20); // OpenAI: client secret → session.updated
  Duration max_call_duration = seconds(7200); // zero: no limit
  Duration agent_rollover_after = std::chrono::minutes(55); // zero: never
  std::string fallback = "reject";                          // reject | announce
  std::string fallback_announcement; // Ogg Opus file; empty: the built-in recording
  std::string admin_token;   // Bearer token of POST /calls (outbound); empty: endpoint disabled
  std::string call_data_dir; // transcripts (and recordings); empty: none
  bool record_calls = false; // Ogg Opus of both directions
  std::uint32_t call_data_retention_days = 30; // older files are deleted; 0: kept forever
  // Cluster mode (docs/ARCHITECTURE.md): empty REDIS_URL is a single node, as before.
  std::string redis_url; // redis://[:password@]host[:port][/db]; the password is a secret
  std::string node_id;   // default: host name and process id
  Duration cluster_call_ttl = seconds(15);
  std::uint32_t max_calls_per_number = 1000; // live calls per business number, cluster-wide
  // Threads that carry calls (the first is the control loop); WORKERS=auto (the default): one
  // per core.
  std::uint32_t workers = default_workers();
  static std::uint32_t default_workers();
  // From the TOML file: the default agent profile's other fields ([agent]; the model, voice,
  // instructions and fallback above already include it) and one profile per business number.
  ProfileSettings agent;
  std::map<std::string, ProfileSettings> numbers;

  // Every secret value, for scrubbing.
  std::vector<std::string> secrets() const;
};

// Reads `--config FILE` (flat TOML, keys = the variable names in lower case), the environment (a
// null `environ_lookup` uses getenv) and the flags after the
// sub-command. Throws ConfigError with one line naming the bad setting.
Config load_config(int argc, char** argv, const char* (*environ_lookup)(const char*) = nullptr);

} // namespace wab::app

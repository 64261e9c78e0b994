#pragma once
// `wabridge check`: validates the configuration the server would start with and reports, setting
// by setting, what is wrong and how to fix it — the seed's troubleshooting list made executable
// (API key, network and STUN reachability, both legs' prerequisites). Secrets are reported as set
// or missing, never printed.
//
// Blocking (binds, connects, resolves): run as its own command, never inside the server.
#include <string>
#include <vector>

#include "app/config.hpp"

namespace wab::app {

struct Finding {
  enum class Level { ok, warning, error };
  Level level = Level::ok;
  std::string setting; // e.g. "PORT", "MEDIA_PORT_MIN/MEDIA_PORT_MAX", "--config"
  std::string message;
  std::string fix; // empty for ok
};

const char* level_name(Finding::Level level);

// Stands in for a missing credential while the rest of the configuration is checked; the network
// checks do not present it to the services.
inline constexpr const char* kMissingCredential = "wabridge-check-missing-credential";

// Configuration checks (no network): credentials, the settings load_config validates, agent
// profiles, MEDIA_PUBLIC_IP against this host's interfaces, CALL_DATA_DIR. `config` is set when
// the configuration loads (with placeholders for missing credentials, which are findings).
std::vector<Finding> check_configuration(int argc, char** argv,
                                         const char* (*environ_lookup)(const char*),
                                         std::optional<Config>& config);

// Network checks (check_network.cpp): the HTTP port and UDP range bind, the Graph API and OpenAI
// answer (TCP/TLS connect and one authenticated GET with a short timeout), the STUN server
// answers a binding request.
std::vector<Finding> check_network(const Config& config, Duration timeout);
// Each TURN server allocates a relay with the configured credentials (check_turn.cpp).
void check_turn(const Config& config, Duration timeout, std::vector<Finding>& out);

// The command: `wabridge check [--json] [--timeout-ms N] [--config FILE] [other server flags]`.
// Prints one line per finding (a JSON object per line with --json); returns 0 without errors, 1
// with. Network checks wait at most N ms each (default 5000).
int run_check(int argc, char** argv);

} // namespace wab::app

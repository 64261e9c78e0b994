// wabridge: answers WhatsApp Business calls with an OpenAI Realtime voice agent.
//   wabridge [flags]     serve (configuration: environment variables, see README.md)
//   wabridge selftest    connect two local WebRTC legs and report what flowed
//   wabridge check       validate the configuration; one line per finding (--json)
#include <cstdio>
#include <cstring>
#include <string>

#include "app/check.hpp"
#include "app/config.hpp"
#include "app/selftest.hpp"
#include "app/server.hpp"
#include "common/log.hpp"

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "selftest") return wab::app::run_selftest();
  if (command == "check") return wab::app::run_check(argc - 2, argv + 2);
  if (command == "--help" || command == "-h" || command == "help") {
    std::printf("usage: wabridge [--port N] [--host ADDR] [--log-level debug|info|warn|error]\n"
                "       wabridge selftest\n"
                "       wabridge check [--json] [--timeout-ms N] [--config FILE]\n"
                "Configuration comes from environment variables; see README.md.\n");
    return 0;
  }
  try {
    wab::app::Config config = wab::app::load_config(argc - 1, argv + 1);
    wab::log::Level level = wab::log::Level::info;
    wab::log::parse_level(config.log_level, level);
    wab::log::set_level(level);
    wab::app::Server server(std::move(config));
    return server.run();
  } catch (const wab::app::ConfigError& e) {
    std::fprintf(stderr, "wabridge: configuration error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wabridge: %s\n", e.what());
    return 1;
  }
}

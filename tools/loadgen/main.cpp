// wab-loadgen: N concurrent simulated WhatsApp ↔ OpenAI calls through a real wabridge process,
// with loss, latency, CPU and memory per steady window (docs/BENCHMARKS.md).
#include <signal.h>

#include <cstdio>
#include <exception>

#include "common/log.hpp"
#include "tools/loadgen/generator.hpp"

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  // Our own stack's log lines would mix with the report: only its warnings and errors.
  wab::log::set_level(wab::log::Level::warn);
  const auto options = wab::loadgen::parse_options(argc, argv);
  try {
    wab::loadgen::Generator generator(options);
    return generator.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wab-loadgen: %s\n", e.what());
    return 1;
  }
}

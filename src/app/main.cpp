// wabridge: answers WhatsApp Business calls with an OpenAI Realtime voice agent.
#include <cstdio>
#include <cstring>
#include <string>

#include "app/selftest.hpp"
#include "common/log.hpp"

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "selftest") return wab::app::run_selftest();
  if (command == "--help" || command == "-h") {
    std::printf("usage: wabridge selftest\n");
    return 0;
  }
  std::fprintf(stderr,
               "wabridge: the call bridge is not built yet; `wabridge selftest` checks the media "
               "stack\n");
  return 2;
}

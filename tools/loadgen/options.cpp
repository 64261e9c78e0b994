#include "tools/loadgen/options.hpp"

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace wab::loadgen {
namespace {

constexpr const char* kUsage = R"(usage: wab-loadgen --bridge PATH [options]
  --calls N             concurrent calls (first step of a ramp)            [20]
  --window S            measurement window per step, seconds               [10]
  --warmup S            wait after the calls are up, before the window     [1]
  --setup-rate R        connect webhooks per second                        [50]
  --setup-timeout S     every call of a step must be up within S           [60]
  --ramp STEP           ramp: add STEP calls per step while the criteria hold
  --max-calls N         ramp ceiling                                       [4000]
  --max-loss F          criterion: loss per direction at most F            [0.001]
  --max-p99-us U        criterion: p99 one-way latency at most U µs        [1000]
  --sample-every S      print the bridge's CPU/RSS/fds every S seconds (soak)
  --bridge-cpus LIST    pin wabridge (taskset list, e.g. 1)
  --bridge-workers N    wabridge's WORKERS (threads carrying calls)     [auto]
  --gen-cpus LIST       pin the generator (e.g. 0)
  --bridge-log FILE     wabridge's stdout/stderr                           [/dev/null]
  --media-ports A-B     the bridge's MEDIA_PORT_MIN/MAX                    [40000-49999]
  --require-zero-loss   exit 1 unless every call came up and no packet was lost
)";

[[noreturn]] void usage(const std::string& message) {
  std::fprintf(stderr, "wab-loadgen: %s\n%s", message.c_str(), kUsage);
  std::exit(2);
}

double number(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (end == v.c_str() || *end != '\0' || d < 0) usage("bad value for " + flag + ": " + v);
  return d;
}

} // namespace

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--require-zero-loss") {
      o.require_zero_loss = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) usage("missing value for " + arg);
    const std::string v = argv[++i];
    if (arg == "--bridge")
      o.bridge = v;
    else if (arg == "--calls")
      o.calls = static_cast<std::size_t>(number(arg, v));
    else if (arg == "--window")
      o.window_s = number(arg, v);
    else if (arg == "--warmup")
      o.warmup_s = number(arg, v);
    else if (arg == "--setup-rate")
      o.setup_rate = number(arg, v);
    else if (arg == "--setup-timeout")
      o.setup_timeout_s = number(arg, v);
    else if (arg == "--ramp")
      o.ramp_step = static_cast<std::size_t>(number(arg, v));
    else if (arg == "--max-calls")
      o.max_calls = static_cast<std::size_t>(number(arg, v));
    else if (arg == "--max-loss")
      o.max_loss = number(arg, v);
    else if (arg == "--max-p99-us")
      o.max_p99_us = number(arg, v);
    else if (arg == "--sample-every")
      o.sample_every_s = number(arg, v);
    else if (arg == "--bridge-cpus")
      o.bridge_cpus = v;
    else if (arg == "--bridge-workers")
      o.bridge_workers = v;
    else if (arg == "--gen-cpus")
      o.gen_cpus = v;
    else if (arg == "--bridge-log")
      o.bridge_log = v;
    else if (arg == "--media-ports") {
      unsigned lo = 0, hi = 0;
      if (std::sscanf(v.c_str(), "%u-%u", &lo, &hi) != 2 || lo == 0 || hi < lo || hi > 65535)
        usage("bad --media-ports " + v);
      o.media_port_min = static_cast<std::uint16_t>(lo);
      o.media_port_max = static_cast<std::uint16_t>(hi);
    } else
      usage("unknown option " + arg);
  }
  if (o.bridge.empty()) usage("--bridge is required");
  if (o.calls == 0 || o.setup_rate <= 0 || o.window_s <= 0)
    usage("calls, rate and window must be > 0");
  return o;
}

} // namespace wab::loadgen

#pragma once
// Command line of wab-loadgen (see docs/BENCHMARKS.md for the commands used).
#include <cstdint>
#include <string>

namespace wab::loadgen {

struct Options {
  std::string bridge;           // the wabridge binary to start
  std::size_t calls = 20;       // concurrent calls (the first step in ramp mode)
  double window_s = 10;         // steady-state measurement window per step
  double warmup_s = 1;          // after the last call is up, before the window
  double setup_rate = 50;       // webhooks per second
  double setup_timeout_s = 60;  // all calls of a step must be up by then
  std::size_t ramp_step = 0;    // > 0: ramp mode, add this many calls per step while passing
  std::size_t max_calls = 4000; // ramp mode stops here
  double max_loss = 0.001;      // ramp pass criteria, per direction
  double max_p99_us = 1000;
  double sample_every_s = 0;           // > 0: print the bridge's CPU, RSS and fds this often (soak)
  std::string bridge_cpus;             // taskset list for wabridge
  std::string bridge_workers = "auto"; // its WORKERS
  std::string gen_cpus;                // taskset list for the generator
  std::string bridge_log = "/dev/null";
  std::uint16_t media_port_min = 40000; // the bridge's media ports
  std::uint16_t media_port_max = 49999;
  bool require_zero_loss = false; // exit 1 unless every call came up and nothing was lost
};

// Exits with a usage message on errors.
Options parse_options(int argc, char** argv);

} // namespace wab::loadgen

#pragma once
// The wabridge process under test: started with the environment that points it at the
// generator's simulated Meta and OpenAI, optionally pinned to CPUs, and sampled from /proc.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace wab::loadgen {

struct ProcessSample {
  double cpu_seconds = 0; // user + system
  std::uint64_t rss_bytes = 0;
  std::size_t open_fds = 0;
  bool ok = false;
};

// Reads /proc/<pid>/stat, /proc/<pid>/status and /proc/<pid>/fd.
ProcessSample sample_process(pid_t pid);

class BridgeProcess {
public:
  // `env` entries are "NAME=value", added to (and overriding) our own environment. `cpus` is a
  // taskset list ("1", "0-1"); empty = no pinning. Output goes to `log_path`.
  BridgeProcess(const std::string& binary, const std::vector<std::string>& env,
                const std::string& cpus, const std::string& log_path);
  ~BridgeProcess(); // SIGTERM, then SIGKILL after a grace period
  BridgeProcess(const BridgeProcess&) = delete;
  BridgeProcess& operator=(const BridgeProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool alive();
  // SIGTERM and wait up to `grace_ms`; SIGKILL after. Returns the exit status (or -1).
  int stop(int grace_ms = 5000);

private:
  pid_t pid_ = -1;
  int status_ = -1;
};

// Pins the calling process to a taskset-style CPU list; false when the list is unusable.
bool pin_self(const std::string& cpus);

} // namespace wab::loadgen

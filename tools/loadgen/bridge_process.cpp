#include "tools/loadgen/bridge_process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace wab::loadgen {
namespace {

// "0-1,3" → a cpu_set_t; false on syntax errors or an empty set.
bool parse_cpu_list(const std::string& list, cpu_set_t& set) {
  CPU_ZERO(&set);
  std::stringstream in(list);
  std::string part;
  bool any = false;
  while (std::getline(in, part, ',')) {
    int lo = 0, hi = 0;
    if (std::sscanf(part.c_str(), "%d-%d", &lo, &hi) == 2) {
    } else if (std::sscanf(part.c_str(), "%d", &lo) == 1) {
      hi = lo;
    } else {
      return false;
    }
    if (lo < 0 || hi < lo || hi >= CPU_SETSIZE) return false;
    for (int c = lo; c <= hi; ++c)
      CPU_SET(c, &set);
    any = true;
  }
  return any;
}

} // namespace

bool pin_self(const std::string& cpus) {
  cpu_set_t set;
  return parse_cpu_list(cpus, set) && sched_setaffinity(0, sizeof set, &set) == 0;
}

ProcessSample sample_process(pid_t pid) {
  ProcessSample s;
  const std::string base = "/proc/" + std::to_string(pid);
  std::ifstream stat(base + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return s;
  // Fields after the command name (which may hold spaces) start at the last ')'.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return s;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) { // field 3 is the state
    if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (i == 15) {
      stime = std::strtoull(field.c_str(), nullptr, 10);
      break;
    }
  }
  s.cpu_seconds = double(utime + stime) / double(sysconf(_SC_CLK_TCK));
  std::ifstream status(base + "/status");
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0)
      s.rss_bytes = std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  }
  if (DIR* dir = opendir((base + "/fd").c_str())) {
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] != '.') ++s.open_fds;
    }
    closedir(dir);
  }
  s.ok = true;
  return s;
}

BridgeProcess::BridgeProcess(const std::string& binary, const std::vector<std::string>& env,
                             const std::string& cpus, const std::string& log_path) {
  cpu_set_t set;
  const bool pin = !cpus.empty();
  if (pin && !parse_cpu_list(cpus, set)) throw std::runtime_error("bad CPU list: " + cpus);
  // Everything the child needs is prepared before fork: no allocation between fork and exec.
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv = *e;
    merged[kv.substr(0, kv.find('='))] = kv;
  }
  for (const auto& kv : env)
    merged[kv.substr(0, kv.find('='))] = kv;
  std::vector<std::string> flat;
  for (auto& [k, v] : merged)
    flat.push_back(v);
  std::vector<char*> envp;
  for (auto& s : flat)
    envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string bin = binary;
  char* argv[] = {bin.data(), nullptr};
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error("cannot open " + log_path);
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL); // never outlive the generator
    if (getppid() != parent) _exit(127);
    if (pin) sched_setaffinity(0, sizeof set, &set);
    const int devnull = ::open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    execve(argv[0], argv, envp.data());
    _exit(127);
  }
  ::close(log_fd);
}

BridgeProcess::~BridgeProcess() {
  if (pid_ > 0 && status_ == -1) stop(2000);
}

bool BridgeProcess::alive() {
  if (status_ != -1) return false;
  int st = 0;
  if (waitpid(pid_, &st, WNOHANG) == pid_) {
    status_ = st;
    return false;
  }
  return true;
}

int BridgeProcess::stop(int grace_ms) {
  if (!alive()) return status_;
  kill(pid_, SIGTERM);
  for (int waited = 0; waited < grace_ms; waited += 10) {
    if (!alive()) return status_;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid_, SIGKILL);
  int st = 0;
  waitpid(pid_, &st, 0);
  status_ = st;
  return status_;
}

} // namespace wab::loadgen

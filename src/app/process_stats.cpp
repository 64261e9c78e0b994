#include "app/process_stats.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace wab::app {
namespace {

// Seconds since the epoch when the system booted (/proc/stat "btime").
double boot_time() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(1 << 20, '\n');
  }
  return -1;
}

} // namespace

ProcessStats read_process_stats() {
  ProcessStats s;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  if (std::ifstream stat("/proc/self/stat"); stat) {
    std::string line;
    std::getline(stat, line);
    // Fields after the command name, which is in parentheses and may contain spaces.
    const auto close = line.rfind(')');
    if (close != std::string::npos && ticks > 0) {
      std::istringstream rest(line.substr(close + 2));
      std::string field;
      double utime = 0, stime = 0, start_ticks = 0, vsize = 0, rss_pages = 0;
      // rest starts at field 3 (state); utime=14, stime=15, starttime=22, vsize=23, rss=24.
      for (int n = 3; n <= 24 && rest >> field; ++n) {
        if (n == 14) utime = std::stod(field);
        if (n == 15) stime = std::stod(field);
        if (n == 22) start_ticks = std::stod(field);
        if (n == 23) vsize = std::stod(field);
        if (n == 24) rss_pages = std::stod(field);
      }
      s.cpu_seconds = (utime + stime) / ticks;
      s.virtual_bytes = vsize;
      s.resident_bytes = rss_pages * page;
      if (const double boot = boot_time(); boot >= 0)
        s.start_time_seconds = boot + start_ticks / ticks;
    }
  }
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    double n = 0;
    while (const dirent* e = ::readdir(dir)) {
      if (e->d_name[0] != '.') ++n;
    }
    ::closedir(dir);
    s.open_fds = n - 1; // the directory stream's own descriptor
  }
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) s.max_fds = static_cast<double>(limit.rlim_cur);
  return s;
}

} // namespace wab::app

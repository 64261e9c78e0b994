#pragma once
// This process's figures from /proc (Linux), as the standard process_* metrics name them: CPU
// seconds (user + system), resident memory, open file descriptors and their limit, start time.
// Read on demand (a metrics scrape); fields are -1 when /proc cannot tell.
namespace wab::app {

struct ProcessStats {
  double cpu_seconds = -1;
  double resident_bytes = -1;
  double virtual_bytes = -1;
  double open_fds = -1;
  double max_fds = -1;
  double start_time_seconds = -1; // since the Unix epoch
};

ProcessStats read_process_stats();

} // namespace wab::app

#pragma once
// What one measurement window saw in one direction: packets sent and received whose send time
// falls in the window, and their one-way latency. Percentiles of setup times too.
#include <cstdint>
#include <string>
#include <vector>

namespace wab::loadgen {

struct Percentiles {
  double p50 = 0, p99 = 0, max = 0;
  std::size_t count = 0;
};
// Sorts `samples` in place.
Percentiles percentiles(std::vector<double>& samples);

class DirectionStats {
public:
  void start(std::int64_t window_start_ns, std::int64_t window_end_ns);
  bool in_window(std::int64_t sent_ns) const { return sent_ns >= start_ns_ && sent_ns < end_ns_; }
  void on_sent(std::int64_t sent_ns) {
    if (in_window(sent_ns)) ++sent_;
  }
  void on_received(std::int64_t sent_ns, std::int64_t received_ns) {
    if (!in_window(sent_ns)) return;
    ++received_;
    latency_us_.push_back(static_cast<double>(received_ns - sent_ns) / 1000.0);
  }
  std::uint64_t sent() const { return sent_; }
  std::uint64_t received() const { return received_; }
  double loss() const { return sent_ == 0 ? 0.0 : 1.0 - double(received_) / double(sent_); }
  Percentiles latency() { return percentiles(latency_us_); }

private:
  std::int64_t start_ns_ = 0, end_ns_ = 0;
  std::uint64_t sent_ = 0, received_ = 0;
  std::vector<double> latency_us_;
};

} // namespace wab::loadgen

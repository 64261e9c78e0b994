#include "tools/loadgen/stats.hpp"

#include <algorithm>
#include <cmath>

namespace wab::loadgen {

Percentiles percentiles(std::vector<double>& samples) {
  Percentiles p;
  p.count = samples.size();
  if (samples.empty()) return p;
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    const auto i = static_cast<std::size_t>(std::ceil(q * double(samples.size()))) - 1;
    return samples[std::min(i, samples.size() - 1)];
  };
  p.p50 = at(0.50);
  p.p99 = at(0.99);
  p.max = samples.back();
  return p;
}

void DirectionStats::start(std::int64_t window_start_ns, std::int64_t window_end_ns) {
  start_ns_ = window_start_ns;
  end_ns_ = window_end_ns;
  sent_ = received_ = 0;
  latency_us_.clear();
}

} // namespace wab::loadgen

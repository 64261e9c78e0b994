#pragma once
// Prometheus text exposition format 0.0.4: one HELP and TYPE line per family, then its samples;
// label values escaped (backslash, double quote, newline); histograms as cumulative _bucket lines
// ending with le="+Inf", then _sum and _count. Builds a string; single-threaded.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wab::app {

using Labels = std::vector<std::pair<std::string, std::string>>;

class MetricsText {
public:
  // Starts a family; every sample until the next family belongs to it. type: counter | gauge |
  // histogram.
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const Labels& labels, double value);
  void sample(std::string_view name, double value) { sample(name, {}, value); }
  // `buckets[i]` counts observations <= bounds[i] (cumulative).
  void histogram(std::string_view name, const Labels& labels, const double* bounds,
                 const std::uint64_t* buckets, std::size_t n, double sum, std::uint64_t count);

  const std::string& text() const { return out_; }

private:
  void labels(const Labels& labels, std::string_view extra_name = {},
              std::string_view extra_value = {});
  std::string out_;
};

// A sample value as the format writes it: integers without exponent, NaN and ±Inf spelled out.
std::string format_value(double value);

} // namespace wab::app

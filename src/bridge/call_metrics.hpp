#pragma once
// One worker's call metrics, which its calls record into (its loop thread only): how calls ended,
// setup-time and RTCP histograms, agent and Graph API errors, and the media counters of ended calls
// (live calls keep their own, see CallStats). The app renders them (app/metrics.cpp); nothing here
// knows the exposition format.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "bridge/call_stats.hpp"

namespace wab::bridge {

// A cumulative histogram with fixed upper bounds (Prometheus semantics: bucket i counts
// observations <= bounds[i]; +Inf is `count`).
template <std::size_t N> class Histogram {
public:
  explicit constexpr Histogram(std::array<double, N> bounds) : bounds_(bounds) {}
  void observe(double value) {
    for (std::size_t i = 0; i < N; ++i) {
      if (value <= bounds_[i]) ++buckets_[i];
    }
    ++count_;
    sum_ += value;
  }
  // Adds another histogram with the same bounds (e.g. another worker's).
  void add(const Histogram& other) {
    for (std::size_t i = 0; i < N; ++i)
      buckets_[i] += other.buckets_[i];
    count_ += other.count_;
    sum_ += other.sum_;
  }
  const std::array<double, N>& bounds() const { return bounds_; }
  const std::array<std::uint64_t, N>& buckets() const { return buckets_; }
  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }

private:
  std::array<double, N> bounds_;
  std::array<std::uint64_t, N> buckets_{};
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

using SetupHistogram = Histogram<12>;
using RatioHistogram = Histogram<9>;
using SecondsHistogram = Histogram<10>;

struct LegQualityHistograms {
  RatioHistogram fraction_lost{{0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1}};
  SecondsHistogram jitter{{0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64}};
  SecondsHistogram rtt{{0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2}};
  void add(const LegQualityHistograms& other) {
    fraction_lost.add(other.fraction_lost);
    jitter.add(other.jitter);
    rtt.add(other.rtt);
  }
};

struct CallMetrics {
  // Seconds from the connect webhook.
  static constexpr std::array<double, 12> kSetupBounds{0.05, 0.1, 0.25, 0.5, 0.75, 1,
                                                       1.5,  2,   3,    5,   10,   30};
  SetupHistogram to_pre_accept{kSetupBounds};
  SetupHistogram to_accept{kSetupBounds};
  SetupHistogram to_first_agent_audio{kSetupBounds};

  std::map<std::string, std::uint64_t> ended_by_cause;
  std::map<std::string, std::uint64_t> ended_by_outcome;
  // (kind = the fallback cause, HTTP status or 0) → count.
  std::map<std::pair<std::string, int>, std::uint64_t> agent_errors;
  // (Graph action, Graph error code or "http_<status>" / "transport") → count.
  std::map<std::pair<std::string, std::string>, std::uint64_t> graph_errors;

  // Media of calls that ended; the endpoint adds the live calls' own counters.
  MediaCounter ended_to_agent;
  MediaCounter ended_to_caller;

  LegQualityHistograms caller_leg;
  LegQualityHistograms agent_leg;

  void graph_error(const std::string& action, int http_status, std::int64_t error_code) {
    std::string code = error_code != 0   ? std::to_string(error_code)
                       : http_status > 0 ? "http_" + std::to_string(http_status)
                                         : "transport";
    ++graph_errors[{action, std::move(code)}];
  }
  // (leg "caller" | "agent", the selected pair's local candidate type) → legs connected.
  std::map<std::pair<std::string, std::string>, std::uint64_t> legs_connected;

  void agent_error(const std::string& kind, int http_status) {
    ++agent_errors[{kind, http_status}];
  }

  // Adds another worker's metrics to these (the process's figures are the sum of its workers').
  void add(const CallMetrics& other);
};

} // namespace wab::bridge

// The exposition writer and the histogram the calls record into.
#include "app/metrics_text.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "bridge/call_metrics.hpp"

namespace wab::app {
namespace {

TEST(MetricsText, FamilyAndSamplesWithEscapedLabels) {
  MetricsText m;
  m.family("x_total", "counter", "Line one\\two\nthree.");
  m.sample("x_total", {{"cause", "a\"b\\c\nd"}}, 3);
  m.sample("x_total", 0.25);
  EXPECT_EQ(m.text(), "# HELP x_total Line one\\\\two\\nthree.\n"
                      "# TYPE x_total counter\n"
                      "x_total{cause=\"a\\\"b\\\\c\\nd\"} 3\n"
                      "x_total 0.25\n");
}

TEST(MetricsText, Values) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(12345678901.0), "12345678901");
  EXPECT_EQ(format_value(0.5), "0.5");
  EXPECT_EQ(format_value(INFINITY), "+Inf");
  EXPECT_EQ(format_value(-INFINITY), "-Inf");
  EXPECT_EQ(format_value(NAN), "NaN");
}

TEST(MetricsText, HistogramIsCumulativeAndEndsWithInf) {
  bridge::Histogram<3> h({0.1, 1, 10});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(0.5);
  h.observe(100);
  EXPECT_EQ(h.buckets()[0], 1u);
  EXPECT_EQ(h.buckets()[1], 3u);
  EXPECT_EQ(h.buckets()[2], 3u);
  EXPECT_EQ(h.count(), 4u);
  MetricsText m;
  m.family("t_seconds", "histogram", "T.");
  m.histogram("t_seconds", {{"step", "a"}}, h.bounds().data(), h.buckets().data(), 3, h.sum(),
              h.count());
  EXPECT_EQ(m.text(), "# HELP t_seconds T.\n# TYPE t_seconds histogram\n"
                      "t_seconds_bucket{step=\"a\",le=\"0.1\"} 1\n"
                      "t_seconds_bucket{step=\"a\",le=\"1\"} 3\n"
                      "t_seconds_bucket{step=\"a\",le=\"10\"} 3\n"
                      "t_seconds_bucket{step=\"a\",le=\"+Inf\"} 4\n"
                      "t_seconds_sum{step=\"a\"} 101.05\n"
                      "t_seconds_count{step=\"a\"} 4\n");
}

TEST(CallMetrics, GraphErrorCodes) {
  bridge::CallMetrics m;
  m.graph_error("accept", 400, 138007);
  m.graph_error("accept", 500, 0);
  m.graph_error("terminate", 0, 0);
  m.graph_error("accept", 400, 138007);
  EXPECT_EQ((m.graph_errors[{"accept", "138007"}]), 2u);
  EXPECT_EQ((m.graph_errors[{"accept", "http_500"}]), 1u);
  EXPECT_EQ((m.graph_errors[{"terminate", "transport"}]), 1u);
}

} // namespace
} // namespace wab::app

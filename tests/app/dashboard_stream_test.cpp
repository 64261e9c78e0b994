// The dashboard over a loopback socket: a signed-in /api/events stream gets a `stats` event each
// second, carrying under "cluster" the figures the app set in cluster mode (and no such key in
// single-node mode).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "app/call_workers.hpp"
#include "app/dashboard.hpp"
#include "http/http_test_support.hpp"
#include "http/server.hpp"

namespace wab::app {
namespace {

using http::test::RawClient;
using http::test::run_until;

constexpr const char* kToken = "s3cret-token";

// The data of the first complete `name` event in a server-sent event stream (one data line: the
// dashboard sends compact JSON), or nothing yet.
std::optional<nlohmann::json> first_event(const std::string& stream, std::string_view name) {
  const std::string head = "event: " + std::string(name) + "\ndata: ";
  const auto at = stream.find(head);
  if (at == std::string::npos) return std::nullopt;
  const auto start = at + head.size();
  const auto end = stream.find("\n\n", start);
  if (end == std::string::npos) return std::nullopt;
  return nlohmann::json::parse(stream.substr(start, end - start), nullptr, false);
}

class DashboardStream : public ::testing::Test {
protected:
  // Opens /api/events with the admin token and waits for its first `stats` event.
  nlohmann::json first_stats() {
    RawClient client(server_.listen("127.0.0.1", 0));
    client.send(std::string("GET /api/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ") +
                kToken + "\r\n\r\n");
    std::optional<nlohmann::json> stats;
    const bool got = run_until(loop_, [&] {
      client.poll();
      stats = first_event(client.received(), "stats");
      return stats.has_value();
    });
    EXPECT_TRUE(got) << client.received();
    return stats.value_or(nlohmann::json());
  }

  net::EventLoop loop_;
  Config config_;
  CallWorkers workers_{loop_, config_, {}, {}};
  http::Server server_{loop_};
  Dashboard dashboard_{loop_, workers_, kToken}; // after the server: closes its streams first
};

TEST_F(DashboardStream, StatsCarryTheClusterFigures) {
  dashboard_.add_routes(server_);
  dashboard_.set_cluster_figures([] {
    return nlohmann::json{{"node_id", "node-b"},
                          {"redis_up", true},
                          {"nodes", 3},
                          {"draining_nodes", 1},
                          {"calls", 42}};
  });
  const auto stats = first_stats();
  ASSERT_TRUE(stats.is_object()) << stats;
  ASSERT_TRUE(stats.contains("cluster")) << stats;
  const auto& cluster = stats["cluster"];
  EXPECT_EQ(cluster["node_id"], "node-b");
  EXPECT_EQ(cluster["redis_up"], true);
  EXPECT_EQ(cluster["nodes"], 3);
  EXPECT_EQ(cluster["draining_nodes"], 1);
  EXPECT_EQ(cluster["calls"], 42);
}

TEST_F(DashboardStream, SingleNodeStatsHaveNoClusterFigures) {
  dashboard_.add_routes(server_);
  const auto stats = first_stats();
  ASSERT_TRUE(stats.is_object()) << stats;
  EXPECT_FALSE(stats.contains("cluster")) << stats;
}

} // namespace
} // namespace wab::app

#include "cluster/keys.hpp"

#include <gtest/gtest.h>

namespace wab::cluster::keys {
namespace {

TEST(ClusterKeys, NamesShareThePrefix) {
  EXPECT_EQ(call("wacid.X"), "wabridge:call:wacid.X");
  EXPECT_EQ(number("1065"), "wabridge:number:1065");
  EXPECT_EQ(node("n1"), "wabridge:node:n1");
  EXPECT_EQ(node_calls("n1"), "wabridge:node:n1:calls");
  EXPECT_EQ(nodes(), "wabridge:nodes");
  EXPECT_EQ(delivery_channel("n1"), "wabridge:deliver:n1");
}

TEST(ClusterKeys, CallRecordsRoundTrip) {
  const auto live = parse_call_record(live_record("node-a", "106540352242922"));
  EXPECT_EQ(live.state, CallRecord::State::live);
  EXPECT_EQ(live.node, "node-a");
  EXPECT_EQ(live.phone_number_id, "106540352242922");
  EXPECT_EQ(parse_call_record("ended").state, CallRecord::State::ended);
  for (const char* bad : {"", "live", "live|", "live||1", "live|node", "dead|n|1"}) {
    EXPECT_EQ(parse_call_record(bad).state, CallRecord::State::unreadable) << bad;
  }
}

TEST(ClusterKeys, NodeIds) {
  EXPECT_TRUE(valid_node_id("web-1.eu_west"));
  EXPECT_FALSE(valid_node_id(""));
  EXPECT_FALSE(valid_node_id("a|b"));
  EXPECT_FALSE(valid_node_id("a b"));
  EXPECT_FALSE(valid_node_id(std::string(65, 'a')));
}

} // namespace
} // namespace wab::cluster::keys

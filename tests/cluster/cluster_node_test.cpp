#include "cluster/cluster_node.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "loop_until.hpp"
#include "redis_server.hpp"

namespace wab::cluster {
namespace {

using test::loop_until;
using test::RedisServer;

// A node as the app would run it: its calls are whatever the test says it holds.
struct TestNode {
  TestNode(net::EventLoop& loop, const std::string& url, const std::string& id,
           std::uint32_t limit = 1000, Duration ttl = seconds(2)) {
    ClusterSettings s;
    s.redis = parse_redis_url(url);
    s.node_id = id;
    s.call_ttl = ttl;
    s.max_calls_per_number = limit;
    node = std::make_unique<ClusterNode>(
        loop, s,
        ClusterNode::Hooks{[this] {
                             std::vector<LocalCall> out;
                             for (const auto& [call, number] : calls)
                               out.push_back({call, number});
                             return out;
                           },
                           [this](const std::string& from, const std::string& payload) {
                             delivered.push_back(from + ":" + payload);
                           },
                           [this](const OrphanedCall& c) { orphans.push_back(c); }});
    node->start();
  }
  ClaimResult claim(net::EventLoop& loop, const std::string& call, const std::string& number) {
    std::optional<ClaimResult> result;
    node->claim(call, number, [&](const ClaimResult& r) { result = r; });
    loop_until(loop, [&] { return result.has_value(); });
    if (result && result->outcome == ClaimOutcome::claimed) calls[call] = number;
    return result.value_or(ClaimResult{});
  }
  Owner owner(net::EventLoop& loop, const std::string& call) {
    std::optional<Owner> result;
    node->owner_of(call, [&](const Owner& o) { result = o; });
    loop_until(loop, [&] { return result.has_value(); });
    return result.value_or(Owner{});
  }

  std::map<std::string, std::string> calls;
  std::vector<std::string> delivered;
  std::vector<OrphanedCall> orphans;
  std::unique_ptr<ClusterNode> node;
};

class ClusterNodeTest : public ::testing::Test {
protected:
  void SetUp() override {
    WAB_NEED_REDIS_SERVER();
    ASSERT_TRUE(server_.start());
  }
  bool up(std::initializer_list<TestNode*> nodes) {
    return loop_until(loop_, [&] {
      for (auto* n : nodes)
        if (!n->node->redis_up()) return false;
      return true;
    });
  }
  net::EventLoop loop_;
  RedisServer server_;
};

TEST_F(ClusterNodeTest, OneNodeWinsEachCallAndOthersSeeItsOwner) {
  TestNode a(loop_, server_.url(), "a");
  TestNode b(loop_, server_.url(), "b");
  ASSERT_TRUE(up({&a, &b}));
  EXPECT_EQ(a.claim(loop_, "wacid.1", "100").outcome, ClaimOutcome::claimed);
  const auto second = b.claim(loop_, "wacid.1", "100");
  EXPECT_EQ(second.outcome, ClaimOutcome::owned_elsewhere);
  EXPECT_EQ(second.node, "a");
  EXPECT_EQ(a.claim(loop_, "wacid.1", "100").outcome, ClaimOutcome::owned_here);
  EXPECT_EQ(b.owner(loop_, "wacid.1").kind, OwnerKind::elsewhere);
  EXPECT_EQ(a.owner(loop_, "wacid.1").kind, OwnerKind::here);
  EXPECT_EQ(a.owner(loop_, "wacid.unknown").kind, OwnerKind::unknown);

  // The call ends on a: once released, a retried connect anywhere starts nothing.
  a.calls.clear();
  ASSERT_TRUE(
      loop_until(loop_, [&] { return b.owner(loop_, "wacid.1").kind == OwnerKind::ended; }));
  EXPECT_EQ(b.claim(loop_, "wacid.1", "100").outcome, ClaimOutcome::ended);

  // A terminate that came first is remembered cluster-wide.
  b.node->remember_ended("wacid.2");
  EXPECT_TRUE(
      loop_until(loop_, [&] { return a.owner(loop_, "wacid.2").kind == OwnerKind::ended; }));
  EXPECT_EQ(a.claim(loop_, "wacid.2", "100").outcome, ClaimOutcome::ended);
}

TEST_F(ClusterNodeTest, PerNumberLimitHoldsAcrossNodes) {
  TestNode a(loop_, server_.url(), "a", 2);
  TestNode b(loop_, server_.url(), "b", 2);
  ASSERT_TRUE(up({&a, &b}));
  EXPECT_EQ(a.claim(loop_, "c1", "100").outcome, ClaimOutcome::claimed);
  EXPECT_EQ(b.claim(loop_, "c2", "100").outcome, ClaimOutcome::claimed);
  EXPECT_EQ(a.claim(loop_, "c3", "100").outcome, ClaimOutcome::limit_reached);
  EXPECT_EQ(b.claim(loop_, "c4", "200").outcome, ClaimOutcome::claimed); // another number
  // The refused call stays refused even once there is room.
  b.calls.erase("c2");
  ASSERT_TRUE(loop_until(loop_, [&] { return a.owner(loop_, "c2").kind == OwnerKind::ended; }));
  EXPECT_EQ(a.claim(loop_, "c3", "100").outcome, ClaimOutcome::ended);
  EXPECT_EQ(a.claim(loop_, "c5", "100").outcome, ClaimOutcome::claimed);
}

TEST_F(ClusterNodeTest, DrainingNodeRefusesNewCallsWithoutHoldingThem) {
  TestNode a(loop_, server_.url(), "a", 1);
  TestNode b(loop_, server_.url(), "b", 1);
  ASSERT_TRUE(up({&a, &b}));
  ASSERT_EQ(b.claim(loop_, "live-on-b", "200").outcome, ClaimOutcome::claimed);
  a.node->set_draining();
  EXPECT_EQ(a.claim(loop_, "new", "100").outcome, ClaimOutcome::draining);
  // Never recorded as a's: the number's only place stays free for a node that takes calls.
  EXPECT_EQ(b.claim(loop_, "other", "100").outcome, ClaimOutcome::claimed);
  // The refused call is rejected: a retried connect on any node starts nothing.
  EXPECT_EQ(b.owner(loop_, "new").kind, OwnerKind::ended);
  EXPECT_EQ(b.claim(loop_, "new", "100").outcome, ClaimOutcome::ended);
  // A repeat of a call another node holds is not refused here: its owner gets it.
  const auto repeat = a.claim(loop_, "live-on-b", "200");
  EXPECT_EQ(repeat.outcome, ClaimOutcome::owned_elsewhere);
  EXPECT_EQ(repeat.node, "b");
}

TEST_F(ClusterNodeTest, DeliversToTheOwnerOnly) {
  TestNode a(loop_, server_.url(), "a");
  TestNode b(loop_, server_.url(), "b");
  ASSERT_TRUE(up({&a, &b}));
  std::optional<bool> delivered;
  ASSERT_TRUE(loop_until(loop_, [&] {
    if (!delivered || !*delivered) {
      delivered.reset();
      a.node->deliver("b", "{\"x\":1}", [&](bool ok) { delivered = ok; });
      loop_until(loop_, [&] { return delivered.has_value(); });
    }
    return *delivered && !b.delivered.empty();
  }));
  EXPECT_EQ(b.delivered.front(), "a:{\"x\":1}");
  EXPECT_TRUE(a.delivered.empty());
  std::optional<bool> to_nobody;
  a.node->deliver("gone", "{}", [&](bool ok) { to_nobody = ok; });
  ASSERT_TRUE(loop_until(loop_, [&] { return to_nobody.has_value(); }));
  EXPECT_FALSE(*to_nobody);
}

TEST_F(ClusterNodeTest, ExactlyOneSurvivorTakesEachCallOfADeadNode) {
  auto dead = std::make_unique<TestNode>(loop_, server_.url(), "dead");
  TestNode b(loop_, server_.url(), "b");
  TestNode c(loop_, server_.url(), "c");
  ASSERT_TRUE(up({dead.get(), &b, &c}));
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(dead->claim(loop_, "d" + std::to_string(i), "100").outcome, ClaimOutcome::claimed);
  ASSERT_EQ(b.claim(loop_, "alive", "100").outcome, ClaimOutcome::claimed);
  // Figures are read once a heartbeat.
  EXPECT_TRUE(loop_until(
      loop_, [&] { return b.node->figures().nodes == 3 && b.node->figures().calls == 6; }));
  const auto died_at = loop_.now();
  dead.reset(); // stops beating, like a killed process
  ASSERT_TRUE(loop_until(loop_, [&] { return b.orphans.size() + c.orphans.size() == 5; }));
  // The expiry, one heartbeat (a third of it: milliseconds, since seconds(2) / 3 is 0 s) and
  // some slack.
  EXPECT_LE(loop_.now() - died_at, seconds(2) + milliseconds(2000) / 3 + milliseconds(500));
  EXPECT_TRUE(loop_until(loop_, [&] {
    return b.node->figures().nodes == 2 && c.node->figures().nodes == 2 &&
           b.node->figures().calls == 1;
  }));
  std::set<std::string> taken;
  for (const auto* n : {&b, &c})
    for (const auto& o : n->orphans) {
      EXPECT_EQ(o.dead_node, "dead");
      EXPECT_EQ(o.phone_number_id, "100");
      EXPECT_TRUE(taken.insert(o.call_id).second) << o.call_id << " taken twice";
    }
  EXPECT_EQ(taken.size(), 5u);
  EXPECT_EQ(b.owner(loop_, "alive").kind, OwnerKind::here); // the living keep theirs
  EXPECT_EQ(b.owner(loop_, "d0").kind, OwnerKind::ended);
}

TEST_F(ClusterNodeTest, RefusesWhileRedisIsDownAndRecordsItsCallsAgainWhenBack) {
  TestNode a(loop_, server_.url(), "a");
  ASSERT_TRUE(up({&a}));
  ASSERT_EQ(a.claim(loop_, "kept", "100").outcome, ClaimOutcome::claimed);
  server_.stop();
  ASSERT_TRUE(loop_until(loop_, [&] { return !a.node->redis_up(); }));
  EXPECT_EQ(a.claim(loop_, "new", "100").outcome, ClaimOutcome::unavailable);
  EXPECT_EQ(a.owner(loop_, "kept").kind, OwnerKind::unavailable);
  // Back empty (a restart without persistence): the live call is recorded again.
  RedisServer again(server_.port());
  ASSERT_TRUE(again.start());
  ASSERT_TRUE(up({&a}));
  TestNode b(loop_, again.url(), "b");
  ASSERT_TRUE(up({&b}));
  EXPECT_TRUE(
      loop_until(loop_, [&] { return b.owner(loop_, "kept").kind == OwnerKind::elsewhere; }));
  EXPECT_EQ(b.claim(loop_, "kept", "100").outcome, ClaimOutcome::owned_elsewhere);
}

} // namespace
} // namespace wab::cluster

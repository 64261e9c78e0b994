#include "cluster/redis_connection.hpp"

#include <gtest/gtest.h>

#include "loop_until.hpp"
#include "redis_server.hpp"

namespace wab::cluster {
namespace {

using test::loop_until;
using test::RedisServer;

class RedisConnectionTest : public ::testing::Test {
protected:
  void SetUp() override { WAB_NEED_REDIS_SERVER(); }
  net::EventLoop loop_;
};

TEST_F(RedisConnectionTest, SendsCommandsAndGetsReplies) {
  RedisServer server;
  ASSERT_TRUE(server.start());
  int ups = 0;
  RedisConnection c(
      loop_, parse_redis_url(server.url()), "test", [&] { ++ups; }, [] {});
  EXPECT_FALSE(c.command({"PING"}, [](const RedisValue&) {})); // not up before start
  c.start();
  ASSERT_TRUE(loop_until(loop_, [&] { return c.up(); }));
  EXPECT_EQ(ups, 1);
  std::vector<RedisValue> replies;
  const auto keep = [&](const RedisValue& v) { replies.push_back(v); };
  ASSERT_TRUE(c.command({"SET", "k", std::string("a\0b", 3)}, keep));
  ASSERT_TRUE(c.command({"GET", "k"}, keep));
  ASSERT_TRUE(c.command({"GET", "missing"}, keep));
  ASSERT_TRUE(c.command({"INCRBY", "n", "5"}, keep));
  ASSERT_TRUE(c.command({"RPUSH", "l", "x", "y"}, keep));
  ASSERT_TRUE(c.command({"LRANGE", "l", "0", "-1"}, keep));
  ASSERT_TRUE(c.command({"NOSUCHCOMMAND"}, keep));
  ASSERT_TRUE(loop_until(loop_, [&] { return replies.size() == 7; }));
  EXPECT_EQ(replies[0].kind, RedisValue::Kind::status);
  EXPECT_EQ(replies[1].text, std::string("a\0b", 3)); // binary-safe
  EXPECT_TRUE(replies[2].is_nil());
  EXPECT_EQ(replies[3].integer, 5);
  ASSERT_EQ(replies[5].elements.size(), 2u);
  EXPECT_EQ(replies[5].element_text(1), "y");
  EXPECT_TRUE(replies[6].is_error());
}

TEST_F(RedisConnectionTest, PendingRepliesFailAndItReconnectsWhenTheServerComesBack) {
  RedisServer server;
  ASSERT_TRUE(server.start());
  int ups = 0;
  int downs = 0;
  RedisConnection c(
      loop_, parse_redis_url(server.url()), "test", [&] { ++ups; }, [&] { ++downs; });
  c.start();
  ASSERT_TRUE(loop_until(loop_, [&] { return c.up(); }));
  std::optional<RedisValue> blocked;
  // BLPOP holds the reply until the server dies: the handler must still hear of it.
  ASSERT_TRUE(c.command({"BLPOP", "nothing", "0"}, [&](const RedisValue& v) { blocked = v; }));
  loop_.run_once(milliseconds(50));
  server.stop();
  ASSERT_TRUE(loop_until(loop_, [&] { return !c.up() && blocked.has_value(); }));
  EXPECT_TRUE(blocked->is_error());
  EXPECT_EQ(downs, 1);
  EXPECT_FALSE(c.command({"PING"}, [](const RedisValue&) {}));

  RedisServer again(server.port());
  ASSERT_TRUE(again.start());
  ASSERT_TRUE(loop_until(loop_, [&] { return c.up(); }));
  EXPECT_EQ(ups, 2);
  bool pong = false;
  ASSERT_TRUE(c.command({"PING"}, [&](const RedisValue& v) { pong = v.text == "PONG"; }));
  EXPECT_TRUE(loop_until(loop_, [&] { return pong; }));
}

TEST_F(RedisConnectionTest, AuthenticatesAndStaysDownWithAWrongPassword) {
  RedisServer server(test::free_tcp_port(), "right-password");
  ASSERT_TRUE(server.start());
  RedisConnection good(
      loop_, parse_redis_url(server.url()), "good", [] {}, [] {});
  auto wrong_url = parse_redis_url(server.url());
  wrong_url.password = "wrong-password";
  RedisConnection bad(
      loop_, wrong_url, "bad", [] {}, [] {});
  good.start();
  bad.start();
  ASSERT_TRUE(loop_until(loop_, [&] { return good.up(); }));
  loop_until(
      loop_, [] { return false; }, milliseconds(300)); // the bad one had its chance
  EXPECT_FALSE(bad.up());
}

TEST_F(RedisConnectionTest, SubscriberGetsPublishedMessages) {
  RedisServer server;
  ASSERT_TRUE(server.start());
  const auto url = parse_redis_url(server.url());
  std::vector<std::string> got;
  RedisConnection* sub_ptr = nullptr;
  RedisConnection sub(
      loop_, url, "sub",
      [&] {
        sub_ptr->subscribe("chan", [&](const std::string& channel, const std::string& data) {
          got.push_back(channel + "=" + data);
        });
      },
      [] {});
  sub_ptr = &sub;
  RedisConnection pub(
      loop_, url, "pub", [] {}, [] {});
  sub.start();
  pub.start();
  ASSERT_TRUE(loop_until(loop_, [&] { return sub.up() && pub.up(); }));
  std::int64_t receivers = 0;
  // The SUBSCRIBE may still be on its way: publish until someone listens.
  ASSERT_TRUE(loop_until(loop_, [&] {
    if (receivers == 0) {
      pub.command({"PUBLISH", "chan", "hello"},
                  [&](const RedisValue& v) { receivers = v.integer; });
      loop_.run_once(milliseconds(20));
    }
    return receivers > 0 && !got.empty();
  }));
  EXPECT_EQ(got.back(), "chan=hello");
}

TEST_F(RedisConnectionTest, NothingListeningMeansRetriesNotCrashes) {
  const auto port = test::free_tcp_port(); // nobody there
  int ups = 0;
  RedisConnection c(
      loop_, parse_redis_url("redis://127.0.0.1:" + std::to_string(port)), "none", [&] { ++ups; },
      [] {});
  c.start();
  loop_until(
      loop_, [] { return false; }, milliseconds(700)); // a few refused attempts
  EXPECT_EQ(ups, 0);
  RedisServer late(port);
  ASSERT_TRUE(late.start());
  EXPECT_TRUE(loop_until(loop_, [&] { return c.up(); }));
}

} // namespace
} // namespace wab::cluster

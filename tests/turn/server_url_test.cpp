#include <gtest/gtest.h>

#include "turn/server_url.hpp"

namespace wab::turn {
namespace {

TEST(TurnServerUrl, ParsesTransportsAndDefaults) {
  std::string error;
  auto a = ServerUrl::parse("turn:192.0.2.1:3479", error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->transport, ServerTransport::udp);
  EXPECT_EQ(a->host, "192.0.2.1");
  EXPECT_EQ(a->port, 3479);
  auto b = ServerUrl::parse("turn:turn.example.com?transport=tcp", error);
  ASSERT_TRUE(b) << error;
  EXPECT_EQ(b->transport, ServerTransport::tcp);
  EXPECT_EQ(b->port, 3478);
  auto c = ServerUrl::parse("turns:[2001:db8::1]", error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->transport, ServerTransport::tls);
  EXPECT_EQ(c->host, "2001:db8::1");
  EXPECT_EQ(c->port, 5349);
  EXPECT_EQ(c->to_string(), "turns:[2001:db8::1]:5349");
  EXPECT_EQ(b->to_string(), "turn:turn.example.com:3478?transport=tcp");
}

TEST(TurnServerUrl, RejectsMalformedUrls) {
  std::string error;
  for (const char* bad :
       {"stun:192.0.2.1", "turn:", "turn:host:0", "turn:host:99999", "turn:host:x",
        "turn:host?transport=sctp", "turn:[::1", "turn:u@host", "turn:host:"}) {
    error.clear();
    EXPECT_FALSE(ServerUrl::parse(bad, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

} // namespace
} // namespace wab::turn

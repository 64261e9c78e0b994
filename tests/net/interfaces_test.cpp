#include "net/interfaces.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace wab::net {
namespace {

TEST(LocalAddresses, LoopbackOnlyWhenAsked) {
  InterfaceQuery with_loopback;
  with_loopback.include_loopback = true;
  const auto all = local_addresses(with_loopback);
  const auto lo4 = *SocketAddress::parse("127.0.0.1", 0);
  EXPECT_NE(std::find(all.begin(), all.end(), lo4), all.end()) << "lo should be up in any test box";
  for (const auto& a : local_addresses()) {
    EXPECT_FALSE(a.is_loopback()) << a.to_string();
    EXPECT_FALSE(a.is_link_local()) << a.to_string();
  }
  for (const auto& a : all)
    EXPECT_FALSE(a.is_link_local()) << a.to_string();
}

TEST(LocalAddresses, FamilyFilter) {
  InterfaceQuery v4_only;
  v4_only.include_loopback = true;
  v4_only.include_ipv6 = false;
  for (const auto& a : local_addresses(v4_only))
    EXPECT_TRUE(a.is_v4());
}

TEST(ResolveHostPort, NumericForms) {
  EXPECT_EQ(resolve_host_port("192.0.2.7:3478"), *SocketAddress::parse("192.0.2.7", 3478));
  EXPECT_EQ(resolve_host_port("[2001:db8::1]:19302"), *SocketAddress::parse("2001:db8::1", 19302));
}

TEST(ResolveHostPort, NameResolvesLocally) {
  const auto a = resolve_host_port("localhost:3478");
  EXPECT_TRUE(a.is_loopback());
  EXPECT_EQ(a.port(), 3478);
}

TEST(ResolveHostPort, BadInputThrowsNamingTheInput) {
  for (const char* bad : {"", "nohost", "host:", ":3478", "host:0", "host:65536", "host:12ab",
                          "2001:db8::1:3478", "[::1]", "[::1]3478", "name.invalid:3478"}) {
    try {
      resolve_host_port(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

} // namespace
} // namespace wab::net

#include "cluster/redis_url.hpp"

#include <gtest/gtest.h>

namespace wab::cluster {
namespace {

TEST(RedisUrl, HostOnlyTakesTheDefaults) {
  const auto url = parse_redis_url("redis://cache.internal");
  EXPECT_EQ(url.host, "cache.internal");
  EXPECT_EQ(url.port, 6379);
  EXPECT_EQ(url.db, 0u);
  EXPECT_TRUE(url.password.empty());
}

TEST(RedisUrl, PasswordPortAndDatabase) {
  const auto url = parse_redis_url("redis://:s3cr@t/pw@10.0.0.5:6380/3");
  EXPECT_EQ(url.password, "s3cr@t/pw"); // the last '@' ends the credentials
  EXPECT_EQ(url.host, "10.0.0.5");
  EXPECT_EQ(url.port, 6380);
  EXPECT_EQ(url.db, 3u);
  EXPECT_EQ(url.describe(), "redis://10.0.0.5:6380/3");
}

TEST(RedisUrl, DefaultUserAndIpv6) {
  const auto url = parse_redis_url("redis://default:pw@[::1]:7000/");
  EXPECT_EQ(url.password, "pw");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 7000);
  EXPECT_EQ(url.describe(), "redis://[::1]:7000/0");
}

TEST(RedisUrl, RejectsMalformedUrls) {
  for (const char* bad :
       {"", "http://host", "redis://", "redis://:6379", "redis://host:0", "redis://host:65536",
        "redis://host:", "redis://host:12x", "redis://host/db", "redis://[::1", "redis://ho st",
        "redis://user:pw@host", "redis://pw@host", "redis://:@host"}) {
    EXPECT_THROW(parse_redis_url(bad), std::invalid_argument) << bad;
  }
}

TEST(RedisUrl, ErrorsNeverShowThePassword) {
  for (const char* bad : {"redis://:Hunter2Secret@host:99999", "redis://:Hunter2Secret@",
                          "redis://:Hunter2Secret@host/x", "redis://:Hunter2Secret@h$t"}) {
    try {
      parse_redis_url(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()).find("Hunter2Secret"), std::string::npos) << e.what();
    }
  }
}

} // namespace
} // namespace wab::cluster

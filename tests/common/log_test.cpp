#include "common/log.hpp"

#include <gtest/gtest.h>

namespace wab::log {
namespace {

TEST(RateLimitedLog, LetsOneLinePerIntervalAndCountsTheRest) {
  RateLimitedLog limiter(seconds(5));
  const TimePoint t0{seconds(100)};
  EXPECT_TRUE(limiter.allow(t0));
  EXPECT_FALSE(limiter.allow(t0 + seconds(1)));
  EXPECT_FALSE(limiter.allow(t0 + seconds(2)));
  EXPECT_TRUE(limiter.allow(t0 + seconds(6)));
  EXPECT_EQ(limiter.suppressed(), 2u);
}

TEST(LogLevel, ParsesKnownNamesOnly) {
  Level l = Level::info;
  EXPECT_TRUE(parse_level("debug", l));
  EXPECT_EQ(l, Level::debug);
  EXPECT_FALSE(parse_level("verbose", l));
  EXPECT_EQ(l, Level::debug);
}

} // namespace
} // namespace wab::log

// KeepaliveSweep on a real EventLoop: every member is called once per period, members are spread
// over separate timer events instead of one burst, and members may leave (themselves or others)
// from inside their callback without being called again.
#include "bridge/keepalive_sweep.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <vector>

namespace wab::bridge {
namespace {

class CountingMember final : public KeepaliveSweep::Member {
public:
  void on_keepalive(TimePoint now) override {
    calls.push_back(now);
    if (on_call) on_call();
  }
  std::vector<TimePoint> calls;
  std::function<void()> on_call;
};

class KeepaliveSweepTest : public ::testing::Test {
protected:
  bool run_until(const std::function<bool()>& done) {
    const TimePoint limit = loop_.now() + seconds(10);
    while (!done()) {
      if (loop_.now() > limit) return false;
      loop_.run_once(milliseconds(5));
    }
    return true;
  }
  net::EventLoop loop_;
  KeepaliveSweep sweep_{loop_};
};

TEST_F(KeepaliveSweepTest, EveryMemberIsCalledOncePerPeriodFromSpreadSlots) {
  std::vector<std::unique_ptr<CountingMember>> members;
  for (std::size_t i = 0; i < 2 * KeepaliveSweep::kSlots; ++i) {
    members.push_back(std::make_unique<CountingMember>());
    sweep_.join(*members.back());
  }
  EXPECT_EQ(sweep_.members(), members.size());
  // Spread evenly (a single 20 ms timer would send every call's silence in one burst).
  for (std::size_t s = 0; s < KeepaliveSweep::kSlots; ++s)
    EXPECT_EQ(sweep_.slot_size(s), 2u);
  // One timer for all of them, whatever their number.
  EXPECT_EQ(loop_.pending_timers(), 1u);
  ASSERT_TRUE(run_until([&] {
    return std::all_of(members.begin(), members.end(),
                       [](const auto& m) { return m->calls.size() >= 5; });
  }));
  std::size_t fewest = members[0]->calls.size(), most = fewest;
  for (const auto& m : members) {
    fewest = std::min(fewest, m->calls.size());
    most = std::max(most, m->calls.size());
    for (std::size_t i = 1; i < m->calls.size(); ++i)
      EXPECT_GT(m->calls[i], m->calls[i - 1]);
  }
  EXPECT_LE(most - fewest, 1u); // the same cadence for all

  for (auto& m : members)
    sweep_.leave(*m);
  EXPECT_EQ(sweep_.members(), 0u);
  EXPECT_EQ(loop_.pending_timers(), 0u); // nothing left armed once the last member left
}

TEST_F(KeepaliveSweepTest, MembersMayLeaveFromInsideTheSweep) {
  // 2 * kSlots members: two per slot, so some leave while their slot is being walked.
  std::vector<std::unique_ptr<CountingMember>> members;
  for (std::size_t i = 0; i < 2 * KeepaliveSweep::kSlots; ++i) {
    members.push_back(std::make_unique<CountingMember>());
    sweep_.join(*members.back());
  }
  // Each member of the first half, on its first call, removes itself and the member that
  // joined kSlots after it (in its slot or another), then frees that one.
  for (std::size_t i = 0; i < KeepaliveSweep::kSlots; ++i) {
    CountingMember* self = members[i].get();
    const std::size_t neighbour = i + KeepaliveSweep::kSlots;
    self->on_call = [this, self, &members, neighbour] {
      sweep_.leave(*self);
      sweep_.leave(*members[neighbour]);
      members[neighbour].reset(); // freed: a stale pointer in the sweep would be a use after free
    };
  }
  ASSERT_TRUE(run_until([&] { return sweep_.members() == 0; }));
  // Left members are not called again.
  const TimePoint later = loop_.now() + milliseconds(60);
  while (loop_.now() < later)
    loop_.run_once(milliseconds(5));
  for (std::size_t i = 0; i < KeepaliveSweep::kSlots; ++i)
    EXPECT_EQ(members[i]->calls.size(), 1u);
  EXPECT_EQ(loop_.pending_timers(), 0u);
}

TEST_F(KeepaliveSweepTest, JoiningTwiceAndLeavingUnjoinedAreNoOps) {
  CountingMember member;
  sweep_.leave(member);
  sweep_.join(member);
  sweep_.join(member);
  EXPECT_EQ(sweep_.members(), 1u);
  ASSERT_TRUE(run_until([&] { return member.calls.size() >= 3; }));
  sweep_.leave(member);
  EXPECT_FALSE(member.in_keepalive_sweep());
  sweep_.leave(member);
  EXPECT_EQ(sweep_.members(), 0u);
}

} // namespace
} // namespace wab::bridge

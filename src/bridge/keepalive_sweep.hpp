#pragma once
// KeepaliveSweep: the 20 ms media keepalive of every accepted call of one worker (silence while
// the agent is quiet, periodic RTCP sender reports) driven by one loop timer instead of a timer
// per call. At 2,000 calls a timer each meant 100,000 heap operations and callbacks a second.
//
// Members are spread over 20 slots 1 ms apart, each slot on a fixed 20 ms grid: a member keeps
// its own 20 ms cadence, and the silence of many quiet calls does not leave in one burst every
// 20 ms (which would queue every forwarded packet behind it). The timer fires only for slots
// that have members, so a single call costs 50 wake-ups a second, as before.
//
// Owns: its timer. Not its members: a member leaves before it is destroyed.
// Threads: the loop's thread only; members may join or leave from inside on_keepalive.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/clock.hpp"
#include "net/event_loop.hpp"

namespace wab::bridge {

class KeepaliveSweep {
public:
  static constexpr Duration kPeriod = milliseconds(20);
  static constexpr std::size_t kSlots = 20;

  class Member {
  public:
    // Once per period while joined; `now` is the loop's time of the sweep.
    virtual void on_keepalive(TimePoint now) = 0;
    bool in_keepalive_sweep() const { return slot_ != kNoSlot; }

  protected:
    Member() = default;
    ~Member() = default;
    Member(const Member&) = delete;
    Member& operator=(const Member&) = delete;

  private:
    friend class KeepaliveSweep;
    std::uint32_t slot_ = kNoSlot;
    std::uint32_t index_ = 0; // position in its slot
  };

  explicit KeepaliveSweep(net::EventLoop& loop);
  KeepaliveSweep(const KeepaliveSweep&) = delete;
  KeepaliveSweep& operator=(const KeepaliveSweep&) = delete;

  // Joins the least-populated slot (the soonest due among those): the first on_keepalive comes
  // within one period. Joining twice is a no-op.
  void join(Member& member);
  // Leaves; no on_keepalive follows. Not joined: a no-op.
  void leave(Member& member);

  std::size_t members() const { return members_; }
  // Members in one slot (0 .. kSlots-1): how evenly the load is spread.
  std::size_t slot_size(std::size_t slot) const { return slots_.at(slot).size(); }

private:
  static constexpr std::uint32_t kNoSlot = 0xffffffffu;
  static constexpr Duration kSlotSpacing = kPeriod / kSlots;

  void on_timer();
  void run_slot(std::uint32_t slot, TimePoint now);
  // The first instant of `slot`'s grid at or after `at`.
  TimePoint next_grid_point(std::uint32_t slot, TimePoint at) const;
  void rearm();

  net::EventLoop& loop_;
  const TimePoint origin_; // slot s is due at origin_ + s * kSlotSpacing + k * kPeriod
  std::array<std::vector<Member*>, kSlots> slots_;
  std::array<TimePoint, kSlots> due_{}; // meaningful for slots with members
  std::size_t members_ = 0;
  std::uint32_t running_slot_ = kNoSlot; // being walked: leaving members become null holes
  bool holes_ = false;
  net::LoopTimer timer_;
};

} // namespace wab::bridge

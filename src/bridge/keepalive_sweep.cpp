#include "bridge/keepalive_sweep.hpp"

#include <algorithm>

namespace wab::bridge {

KeepaliveSweep::KeepaliveSweep(net::EventLoop& loop)
    : loop_(loop), origin_(loop.now()), timer_(loop, [this] { on_timer(); }) {}

TimePoint KeepaliveSweep::next_grid_point(std::uint32_t slot, TimePoint at) const {
  const TimePoint first = origin_ + kSlotSpacing * slot;
  if (at <= first) return first;
  const auto periods = (at - first + kPeriod - Duration(1)) / kPeriod; // rounded up
  return first + kPeriod * periods;
}

void KeepaliveSweep::join(Member& member) {
  if (member.slot_ != kNoSlot) return;
  const TimePoint now = loop_.now();
  std::uint32_t best = 0;
  TimePoint best_due{};
  for (std::uint32_t s = 0; s < kSlots; ++s) {
    const TimePoint due = slots_[s].empty() ? next_grid_point(s, now) : due_[s];
    if (s == 0 || slots_[s].size() < slots_[best].size() ||
        (slots_[s].size() == slots_[best].size() && due < best_due)) {
      best = s;
      best_due = due;
    }
  }
  if (slots_[best].empty()) due_[best] = best_due;
  member.slot_ = best;
  member.index_ = static_cast<std::uint32_t>(slots_[best].size());
  slots_[best].push_back(&member);
  ++members_;
  rearm();
}

void KeepaliveSweep::leave(Member& member) {
  if (member.slot_ == kNoSlot) return;
  auto& slot = slots_[member.slot_];
  if (member.slot_ == running_slot_) {
    // The slot is being walked by index: leave a hole, compacted after the walk.
    slot[member.index_] = nullptr;
    holes_ = true;
  } else {
    Member* last = slot.back();
    slot[member.index_] = last;
    last->index_ = member.index_;
    slot.pop_back();
  }
  member.slot_ = kNoSlot;
  --members_;
  rearm();
}

void KeepaliveSweep::on_timer() {
  const TimePoint now = loop_.now();
  for (std::uint32_t s = 0; s < kSlots; ++s) {
    if (slots_[s].empty() || due_[s] > now) continue;
    // Next due on the slot's grid, so lateness does not add up; after a stall the slot skips
    // the instants it missed instead of firing for each of them.
    due_[s] = next_grid_point(s, std::max(due_[s] + kPeriod, now));
    run_slot(s, now);
  }
  rearm();
}

void KeepaliveSweep::run_slot(std::uint32_t slot, TimePoint now) {
  running_slot_ = slot;
  // Members that join during the walk wait for the next period (their index is past `count`).
  const std::size_t count = slots_[slot].size();
  for (std::size_t i = 0; i < count; ++i) {
    if (Member* member = slots_[slot][i]) member->on_keepalive(now);
  }
  running_slot_ = kNoSlot;
  if (!holes_) return;
  holes_ = false;
  auto& members = slots_[slot];
  std::erase(members, nullptr);
  for (std::size_t i = 0; i < members.size(); ++i)
    members[i]->index_ = static_cast<std::uint32_t>(i);
}

void KeepaliveSweep::rearm() {
  if (running_slot_ != kNoSlot) return; // on_timer re-arms after the walk
  std::optional<TimePoint> next;
  for (std::uint32_t s = 0; s < kSlots; ++s) {
    if (!slots_[s].empty() && (!next || due_[s] < *next)) next = due_[s];
  }
  timer_.arm(next);
}

} // namespace wab::bridge

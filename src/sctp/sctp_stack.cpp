#include "sctp/sctp_stack.hpp"

#include <usrsctp.h>

#include <algorithm>
#include <limits>

namespace wab::sctp {
namespace {

// usrsctp's single output hook: `addr` is the key the association registered as its AF_CONN
// address. Runs on whichever thread is inside usrsctp (conninput, sendv, close or a timer tick).
int usrsctp_output(void* addr, void* buffer, std::size_t length, std::uint8_t /*tos*/,
                   std::uint8_t /*set_df*/) {
  sctp_stack_global().route_packet(reinterpret_cast<std::uintptr_t>(addr),
                                   Bytes(static_cast<const std::uint8_t*>(buffer), length));
  return 0;
}

void apply_sysctls() {
  // WebRTC peers neither negotiate ECN nor add addresses (ASCONF, and with it AUTH): switching
  // them off keeps INIT small and matches what browsers offer.
  usrsctp_sysctl_set_sctp_ecn_enable(0);
  usrsctp_sysctl_set_sctp_auto_asconf(0);
  usrsctp_sysctl_set_sctp_asconf_enable(0);
  usrsctp_sysctl_set_sctp_auth_enable(0);
  usrsctp_sysctl_set_sctp_nrsack_enable(0);
  usrsctp_sysctl_set_sctp_pktdrop_enable(0);
  // Needed: partial reliability (DCEP channel types) and stream reset (channel close, RFC 8831).
  usrsctp_sysctl_set_sctp_pr_enable(1);
  usrsctp_sysctl_set_sctp_reconfig_enable(1);
  // Timers in ms. Real-time peers: start at 1 s rather than RFC 9260's 3 s and never back off
  // beyond 10 s, so a lost INIT or DATA costs seconds, not a minute.
  usrsctp_sysctl_set_sctp_rto_initial_default(1000);
  usrsctp_sysctl_set_sctp_rto_min_default(200);
  usrsctp_sysctl_set_sctp_rto_max_default(10000);
  usrsctp_sysctl_set_sctp_init_rto_max_default(10000);
  usrsctp_sysctl_set_sctp_heartbeat_interval_default(10000);
  // A 256 KiB message is ~220 chunks at our 1200-byte MTU; the default queue limit (512 chunks)
  // would stall a burst of them.
  usrsctp_sysctl_set_sctp_max_chunks_on_queue(8192);
}

} // namespace

SctpStack::SctpStack() {
  usrsctp_init_nothreads(0, &usrsctp_output, nullptr);
  apply_sysctls();
}

SctpStack& sctp_stack_global() {
  static SctpStack stack; // constructed once, thread-safe (C++11 magic static)
  return stack;
}

std::optional<TimePoint> SctpStack::next_timeout() const {
  {
    std::lock_guard lock(registry_mutex_);
    if (registry_.empty()) return std::nullopt;
  }
  std::lock_guard lock(clock_mutex_);
  if (!last_tick_) return TimePoint{};
  return *last_tick_ + kTickInterval;
}

void SctpStack::handle_timeout(TimePoint now) {
  std::uint32_t elapsed_ms = 0;
  {
    std::lock_guard lock(clock_mutex_);
    if (!last_tick_) {
      last_tick_ = now;
      return;
    }
    // Threads read the clock at slightly different moments: a `now` behind the last tick is
    // simply early, and moving the baseline back would count the difference twice.
    if (now <= *last_tick_) return;
    const auto elapsed = std::chrono::duration_cast<milliseconds>(now - *last_tick_);
    if (elapsed.count() <= 0) return;
    // Advance by whole milliseconds only, keeping the remainder for the next tick.
    *last_tick_ += elapsed;
    elapsed_ms = static_cast<std::uint32_t>(
        std::min<std::int64_t>(elapsed.count(), std::numeric_limits<std::uint32_t>::max()));
  }
  // Outside the clock lock: timers call route_packet, and usrsctp serialises its own timer wheel.
  usrsctp_handle_timers(elapsed_ms);
}

std::size_t SctpStack::association_count() const {
  std::lock_guard lock(registry_mutex_);
  return registry_.size();
}

std::uintptr_t SctpStack::register_sink(UsrsctpPacketSink& sink) {
  std::lock_guard lock(registry_mutex_);
  const std::uintptr_t key = next_key_++;
  registry_.emplace(key, Entry{&sink, std::this_thread::get_id()});
  return key;
}

void SctpStack::unregister_sink(std::uintptr_t key) {
  bool now_empty = false;
  {
    std::lock_guard lock(registry_mutex_);
    const auto it = registry_.find(key);
    if (it != registry_.end()) {
      const auto duty = tick_duty_.find(it->second.owner);
      if (duty != tick_duty_.end() && duty->second.key == key) tick_duty_.erase(duty);
      registry_.erase(it);
    }
    now_empty = registry_.empty();
  }
  if (now_empty) {
    // Nobody ticks while no association exists: restart the clock so the first tick after a
    // quiet period does not fire a new association's timers at once.
    std::lock_guard lock(clock_mutex_);
    last_tick_.reset();
  }
}

bool SctpStack::claim_tick_duty(std::uintptr_t key, TimePoint now) {
  std::lock_guard lock(registry_mutex_);
  TickDuty& duty =
      tick_duty_.try_emplace(std::this_thread::get_id(), TickDuty{key, now}).first->second;
  if (duty.key != key && now - duty.last_tick > kIdleTickInterval) duty.key = key;
  if (duty.key != key) return false;
  duty.last_tick = now;
  return true;
}

void SctpStack::route_packet(std::uintptr_t key, Bytes packet) {
  std::unique_lock lock(registry_mutex_);
  const auto it = registry_.find(key);
  if (it == registry_.end()) {
    ++orphan_packets_;
    return;
  }
  UsrsctpPacketSink* sink = it->second.sink;
  if (it->second.owner == std::this_thread::get_id()) {
    // Only the owner destroys the association, and it is busy inside usrsctp right now: the
    // sink stays alive without the lock, and the listener may take its time.
    lock.unlock();
    sink->deliver_packet_now(packet);
    return;
  }
  sink->queue_packet_from_other_thread(packet);
}

std::uint64_t SctpStack::orphan_packets() const {
  std::lock_guard lock(registry_mutex_);
  return orphan_packets_;
}

} // namespace wab::sctp

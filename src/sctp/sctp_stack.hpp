#pragma once
// The one process-wide place for usrsctp state: initialisation (usrsctp_init_nothreads, once),
// the sysctls every association shares, the registry of live associations that usrsctp's
// output callback is routed through, and the shared timer clock.
//
// usrsctp runs here without threads of its own, so its timers (retransmission, delayed SACK,
// heartbeat) only advance when someone calls `handle_timeout`. usrsctp keeps one timer wheel for
// the whole process: a tick from any thread fires due timers of every association, so packets
// produced by a tick may belong to an association owned by another thread. Those are queued for
// their owner (see SctpAssociation). Each SctpAssociation ticks the stack from its own
// `handle_timeout`, so an owner that drives its associations needs nothing else. One tick per
// thread every 10 ms is enough for all of that thread's associations (their packets are delivered
// at once), so one association per thread holds the tick duty and the others tick rarely: with
// thousands of calls, thousands of 10 ms wake-ups a second would cost more than the media.
//
// Thread safety: every public function may be called from any thread. usrsctp is never shut down
// (usrsctp_finish is not called); its state lives as long as the process.
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "common/bytes.hpp"
#include "common/clock.hpp"

namespace wab::sctp {

// Implemented by SctpAssociation: where the stack delivers a packet usrsctp produced for it.
class UsrsctpPacketSink {
public:
  // Called on the owner thread, from inside a usrsctp call that thread made.
  virtual void deliver_packet_now(Bytes packet) = 0;
  // Called on another thread with the registry locked (so the sink stays alive): copy and queue.
  virtual void queue_packet_from_other_thread(Bytes packet) = 0;

protected:
  ~UsrsctpPacketSink() = default;
};

class SctpStack {
public:
  // usrsctp timers are coarse (delayed SACK 200 ms, RTO >= 200 ms): a 10 ms tick is plenty.
  static constexpr Duration kTickInterval = milliseconds(10);
  // How often an association without the tick duty ticks: a safety net that picks up the duty
  // when its holder went away and flushes packets queued by other threads' ticks.
  static constexpr Duration kIdleTickInterval = milliseconds(250);

  SctpStack(const SctpStack&) = delete;
  SctpStack& operator=(const SctpStack&) = delete;

  // When the stack next wants a tick: one tick interval after the last one while associations
  // exist (immediately if it never ticked), nullopt when there is none.
  std::optional<TimePoint> next_timeout() const;

  // Advances usrsctp's timers by the time elapsed since the previous tick, whichever thread made
  // it, so ticks from several threads never advance time twice; a `now` behind the last tick
  // does nothing. The first tick only starts the clock, and the clock restarts whenever the last
  // association goes away (so each test may bring its own virtual clock).
  void handle_timeout(TimePoint now);

  std::size_t association_count() const;

  // For SctpAssociation: registers a sink owned by the calling thread and returns the opaque key
  // used as its AF_CONN address. Keys are never reused, so a late callback for a destroyed
  // association finds nothing and is dropped.
  std::uintptr_t register_sink(UsrsctpPacketSink& sink);
  void unregister_sink(std::uintptr_t key);
  // True when `key`'s association (registered on the calling thread) holds its thread's tick
  // duty at `now`: it takes the duty when nobody on this thread holds it, or when the holder has
  // not ticked for kIdleTickInterval (closed, failed or no longer driven by its owner). The duty
  // also ends with unregister_sink.
  bool claim_tick_duty(std::uintptr_t key, TimePoint now);

  // Called by usrsctp's output callback (any thread).
  void route_packet(std::uintptr_t key, Bytes packet);

  // Packets usrsctp produced for associations that no longer exist.
  std::uint64_t orphan_packets() const;

private:
  friend SctpStack& sctp_stack_global();
  SctpStack();

  struct Entry {
    UsrsctpPacketSink* sink = nullptr;
    std::thread::id owner;
  };

  mutable std::mutex registry_mutex_;
  std::unordered_map<std::uintptr_t, Entry> registry_;
  struct TickDuty {
    std::uintptr_t key = 0;
    TimePoint last_tick{};
  };
  std::unordered_map<std::thread::id, TickDuty> tick_duty_; // by owner thread
  std::uintptr_t next_key_ = 1;
  std::uint64_t orphan_packets_ = 0;

  // Separate from the registry lock: usrsctp_handle_timers calls back into route_packet.
  mutable std::mutex clock_mutex_;
  std::optional<TimePoint> last_tick_;
};

// The process-wide stack; initialises usrsctp on first use (thread-safe).
SctpStack& sctp_stack_global();

} // namespace wab::sctp

#pragma once
// One epoll loop per worker thread: readable-fd handlers, one-shot timers and a cross-thread task
// queue woken by an eventfd.
//
// Threading: an EventLoop belongs to the thread that calls run()/run_once(). Every method is for
// that thread only, except post() and stop(), which any thread may call at any time.
//
// Re-entrancy: callbacks (fd handlers, timers, posted tasks) may add and cancel timers, register
// and unregister fds (including their own), post tasks and call stop(). They must not call run()
// or run_once() and must not destroy the loop.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/clock.hpp"

namespace wab::net {

// Identifies one armed timer. 0 is never a valid id, so a default TimerId means "not armed".
using TimerId = std::uint64_t;
inline constexpr TimerId kNoTimer = 0;

class EventLoop {
public:
  using FdHandler = std::function<void()>;
  using TimerCallback = std::function<void()>;
  using Task = std::function<void()>;

  // Throws std::system_error when epoll or eventfd cannot be created.
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Calls `on_readable` (level-triggered) while `fd` has data. The loop does not own the fd.
  // Throws std::system_error if epoll refuses the fd or it is already registered.
  void add_fd(int fd, FdHandler on_readable);
  // Also calls the fd's handler while `fd` is writable, until turned off again (the handler then
  // runs on readable or writable and finds out which by trying). For stream sockets with queued
  // output; a datagram socket never needs it. Throws std::system_error if epoll refuses; unknown
  // fds are ignored.
  void set_fd_write_interest(int fd, bool enabled);
  // Stops delivering events for `fd`; safe from inside any callback, including the fd's own.
  // Unknown fds are ignored.
  void remove_fd(int fd);
  // Fds currently registered: with pending_timers(), how tests and /metrics see that nothing a
  // finished call opened is left behind.
  std::size_t watched_fds() const { return watched_fds_; }

  // Arms a one-shot timer; `callback` runs once, on a loop iteration at or after `when`.
  // Timers due at the same instant fire in the order they were added. O(log n); no allocation
  // once the timer table has grown to its working size (captures up to two pointers stay in
  // std::function's inline storage).
  TimerId add_timer(TimePoint when, TimerCallback callback);
  // Disarms a timer. Returns false if it already fired, was cancelled, or never existed. O(log n).
  bool cancel_timer(TimerId id);
  // Moves an armed timer to `when`, keeping its callback. Returns false if `id` is not armed.
  bool reschedule_timer(TimerId id, TimePoint when);
  std::size_t pending_timers() const { return heap_.size(); }

  // Thread-safe: queues `task` to run on the loop thread and wakes the loop. Tasks run in the
  // order posted; those posted before an fd became readable run before that fd's handler.
  void post(Task task);

  // Dispatches until stop(). Thread-safe stop() may come from any thread or callback.
  void run();
  void stop();
  // One iteration: waits up to `timeout` (zero = poll) for fds, then runs due timers and posted
  // tasks. Returns the number of callbacks it ran. For tests and custom drivers.
  std::size_t run_once(Duration timeout);

  TimePoint now() const { return Clock::now(); }
  // True when called from the thread that last drove the loop (run/run_once); false before the
  // loop first ran. Any thread; meant for assertions and "post unless already there".
  bool is_loop_thread() const {
    return loop_thread_.load(std::memory_order_relaxed) == std::this_thread::get_id();
  }

private:
  struct FdEntry {
    int fd = -1;
    std::uint32_t generation =
        0; // in the epoll cookie, so a reused fd number never gets stale events
    FdHandler handler;
    bool write_interest = false;
  };
  struct TimerSlot {
    TimerCallback callback;
    TimePoint when{};
    std::uint64_t order = 0;      // tie-break: insertion order among equal `when`
    std::uint32_t generation = 1; // bumped on each reuse, so stale ids miss
    std::uint32_t heap_index = kNotInHeap;
  };
  static constexpr std::uint32_t kNotInHeap = 0xffffffffu;

  std::size_t dispatch_fd_events(int timeout_ms);
  std::size_t run_due_timers();
  std::size_t run_posted_tasks();
  int timeout_ms_for(Duration requested) const;
  void wake();
  void drain_wakeup();

  // Timer heap over slot indices; each slot records its own heap position for O(log n) removal.
  bool earlier(std::uint32_t a, std::uint32_t b) const;
  void heap_swap(std::uint32_t i, std::uint32_t j);
  void sift_up(std::uint32_t i);
  void sift_down(std::uint32_t i);
  void heap_remove(std::uint32_t heap_pos);
  TimerSlot* find_slot(TimerId id);
  void free_slot(std::uint32_t slot);

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stop_requested_{false};
  std::atomic<std::thread::id> loop_thread_{};

  // Fd handlers: entries are heap nodes so a handler that removes itself stays alive until the
  // current dispatch round ends (it is parked in retired_fds_).
  std::vector<std::unique_ptr<FdEntry>> fds_; // index = fd number
  std::vector<std::unique_ptr<FdEntry>> retired_fds_;
  std::uint32_t next_fd_generation_ = 1;
  std::size_t watched_fds_ = 0;

  std::vector<TimerSlot> timer_slots_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<std::uint32_t> heap_;
  std::uint64_t next_order_ = 0;

  std::mutex post_mutex_;
  std::vector<Task> posted_;  // guarded by post_mutex_
  std::vector<Task> running_; // loop thread only; swapped with posted_
};

// An engine's single timer: owns the callback once and re-arms without allocating. The usual
// pattern is `timer.arm(engine.next_timeout())` after every call into the engine. Loop thread
// only; must not outlive the loop.
class LoopTimer {
public:
  LoopTimer(EventLoop& loop, std::function<void()> on_fire);
  ~LoopTimer();
  LoopTimer(const LoopTimer&) = delete;
  LoopTimer& operator=(const LoopTimer&) = delete;

  // Arms (or moves) the timer to `when`; nullopt disarms it.
  void arm(std::optional<TimePoint> when);
  void disarm();
  bool armed() const { return id_ != kNoTimer; }
  std::optional<TimePoint> deadline() const;

private:
  EventLoop& loop_;
  std::function<void()> on_fire_;
  TimerId id_ = kNoTimer;
  TimePoint when_{};
};

} // namespace wab::net

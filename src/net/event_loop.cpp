#include "net/event_loop.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <system_error>
#include <utility>

namespace wab::net {
namespace {

constexpr int kMaxEventsPerWait = 64;
// Epoll cookie of the wake-up eventfd; real fds carry a non-zero generation in the high half.
constexpr std::uint64_t kWakeCookie = 0;

std::uint64_t fd_cookie(int fd, std::uint32_t generation) {
  return (std::uint64_t{generation} << 32) | static_cast<std::uint32_t>(fd);
}

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

} // namespace

EventLoop::EventLoop() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw_errno("epoll_create1");
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    const int saved = errno;
    ::close(epoll_fd_);
    errno = saved;
    throw_errno("eventfd");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeCookie;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    const int saved = errno;
    ::close(wake_fd_);
    ::close(epoll_fd_);
    errno = saved;
    throw_errno("epoll_ctl(eventfd)");
  }
}

EventLoop::~EventLoop() {
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

// ---- file descriptors ------------------------------------------------------------------------

void EventLoop::add_fd(int fd, FdHandler on_readable) {
  if (fd < 0) throw std::system_error(EBADF, std::generic_category(), "EventLoop::add_fd");
  const auto index = static_cast<std::size_t>(fd);
  if (index < fds_.size() && fds_[index]) {
    throw std::system_error(EEXIST, std::generic_category(), "EventLoop::add_fd");
  }
  auto entry = std::make_unique<FdEntry>();
  entry->fd = fd;
  entry->generation = next_fd_generation_++;
  if (next_fd_generation_ == 0) next_fd_generation_ = 1;
  entry->handler = std::move(on_readable);

  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = fd_cookie(fd, entry->generation);
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) throw_errno("epoll_ctl(add)");
  if (index >= fds_.size()) fds_.resize(index + 1);
  fds_[index] = std::move(entry);
  ++watched_fds_;
}

void EventLoop::set_fd_write_interest(int fd, bool enabled) {
  if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
  FdEntry* entry = fds_[static_cast<std::size_t>(fd)].get();
  if (entry == nullptr || entry->write_interest == enabled) return;
  epoll_event ev{};
  ev.events = EPOLLIN | (enabled ? EPOLLOUT : 0u);
  ev.data.u64 = fd_cookie(fd, entry->generation);
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0) throw_errno("epoll_ctl(mod)");
  entry->write_interest = enabled;
}

void EventLoop::remove_fd(int fd) {
  if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
  auto& slot = fds_[static_cast<std::size_t>(fd)];
  if (!slot) return;
  // The fd may already be closed (which removed it from epoll); the error is harmless then.
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  --watched_fds_;
  // Its handler may be the one running right now: keep it alive until the round ends.
  retired_fds_.push_back(std::move(slot));
}

std::size_t EventLoop::dispatch_fd_events(int timeout_ms) {
  epoll_event events[kMaxEventsPerWait];
  const int n = ::epoll_wait(epoll_fd_, events, kMaxEventsPerWait, timeout_ms);
  if (n <= 0) return 0; // timeout, or EINTR: the caller simply iterates again
  std::size_t ran = 0;
  for (int i = 0; i < n; ++i) {
    const std::uint64_t cookie = events[i].data.u64;
    if (cookie == kWakeCookie) {
      // Tasks posted before an fd became readable run before its handler: another thread's
      // hand-over (a hang-up) is not overtaken by what the peer sent after it (its DTLS close).
      drain_wakeup();
      ran += run_posted_tasks();
      continue;
    }
    const auto fd = static_cast<std::size_t>(cookie & 0xffffffffu);
    const auto generation = static_cast<std::uint32_t>(cookie >> 32);
    // An earlier handler of this round may have removed (or replaced) this fd.
    if (fd >= fds_.size() || !fds_[fd] || fds_[fd]->generation != generation) continue;
    FdEntry* entry = fds_[fd].get();
    entry->handler();
    ++ran;
  }
  return ran;
}

// ---- timers ----------------------------------------------------------------------------------

bool EventLoop::earlier(std::uint32_t a, std::uint32_t b) const {
  const TimerSlot& x = timer_slots_[a];
  const TimerSlot& y = timer_slots_[b];
  if (x.when != y.when) return x.when < y.when;
  return x.order < y.order;
}

void EventLoop::heap_swap(std::uint32_t i, std::uint32_t j) {
  std::swap(heap_[i], heap_[j]);
  timer_slots_[heap_[i]].heap_index = i;
  timer_slots_[heap_[j]].heap_index = j;
}

void EventLoop::sift_up(std::uint32_t i) {
  while (i > 0) {
    const std::uint32_t parent = (i - 1) / 2;
    if (!earlier(heap_[i], heap_[parent])) break;
    heap_swap(i, parent);
    i = parent;
  }
}

void EventLoop::sift_down(std::uint32_t i) {
  const auto size = static_cast<std::uint32_t>(heap_.size());
  for (;;) {
    const std::uint32_t left = 2 * i + 1;
    if (left >= size) break;
    std::uint32_t best = left;
    if (left + 1 < size && earlier(heap_[left + 1], heap_[left])) best = left + 1;
    if (!earlier(heap_[best], heap_[i])) break;
    heap_swap(i, best);
    i = best;
  }
}

void EventLoop::heap_remove(std::uint32_t pos) {
  const auto last = static_cast<std::uint32_t>(heap_.size() - 1);
  timer_slots_[heap_[pos]].heap_index = kNotInHeap;
  if (pos != last) {
    heap_[pos] = heap_[last];
    timer_slots_[heap_[pos]].heap_index = pos;
  }
  heap_.pop_back();
  if (pos < heap_.size()) {
    const std::uint32_t moved = heap_[pos];
    sift_up(pos);
    sift_down(timer_slots_[moved].heap_index);
  }
}

EventLoop::TimerSlot* EventLoop::find_slot(TimerId id) {
  const auto index = static_cast<std::uint32_t>(id & 0xffffffffu);
  const auto generation = static_cast<std::uint32_t>(id >> 32);
  if (index >= timer_slots_.size()) return nullptr;
  TimerSlot& slot = timer_slots_[index];
  if (slot.generation != generation || slot.heap_index == kNotInHeap) return nullptr;
  return &slot;
}

void EventLoop::free_slot(std::uint32_t index) {
  TimerSlot& slot = timer_slots_[index];
  slot.callback = nullptr;
  slot.heap_index = kNotInHeap;
  if (++slot.generation == 0) slot.generation = 1; // 0 would let id 0 (kNoTimer) match
  free_slots_.push_back(index);
}

TimerId EventLoop::add_timer(TimePoint when, TimerCallback callback) {
  std::uint32_t index;
  if (!free_slots_.empty()) {
    index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(timer_slots_.size());
    timer_slots_.emplace_back();
  }
  TimerSlot& slot = timer_slots_[index];
  slot.callback = std::move(callback);
  slot.when = when;
  slot.order = next_order_++;
  slot.heap_index = static_cast<std::uint32_t>(heap_.size());
  heap_.push_back(index);
  sift_up(slot.heap_index);
  return (TimerId{slot.generation} << 32) | index;
}

bool EventLoop::cancel_timer(TimerId id) {
  TimerSlot* slot = find_slot(id);
  if (slot == nullptr) return false;
  const auto index = static_cast<std::uint32_t>(id & 0xffffffffu);
  heap_remove(slot->heap_index);
  free_slot(index);
  return true;
}

bool EventLoop::reschedule_timer(TimerId id, TimePoint when) {
  TimerSlot* slot = find_slot(id);
  if (slot == nullptr) return false;
  slot->when = when;
  slot->order = next_order_++;
  const std::uint32_t pos = slot->heap_index;
  sift_up(pos);
  sift_down(slot->heap_index);
  return true;
}

std::size_t EventLoop::run_due_timers() {
  const TimePoint now = Clock::now();
  // Timers armed by callbacks of this round wait for the next round, so a callback that re-arms
  // itself "now" cannot spin this loop forever.
  const std::uint64_t round_limit = next_order_;
  std::size_t ran = 0;
  while (!heap_.empty()) {
    const std::uint32_t index = heap_.front();
    TimerSlot& slot = timer_slots_[index];
    if (slot.when > now || slot.order >= round_limit) break;
    TimerCallback callback = std::move(slot.callback); // moves, never allocates
    heap_remove(0);
    free_slot(index); // the id is dead before the callback runs: cancelling it returns false
    callback();
    ++ran;
  }
  return ran;
}

int EventLoop::timeout_ms_for(Duration requested) const {
  Duration wait = requested;
  if (!heap_.empty()) {
    const Duration until = timer_slots_[heap_.front()].when - Clock::now();
    if (until < wait) wait = until;
  }
  if (wait <= Duration::zero()) return 0;
  if (wait == Duration::max()) return -1;
  // Round up: waking a little late is fine, waking early would just spin once more.
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

// ---- cross-thread tasks ----------------------------------------------------------------------

void EventLoop::post(Task task) {
  {
    std::lock_guard<std::mutex> lock(post_mutex_);
    posted_.push_back(std::move(task));
  }
  wake();
}

void EventLoop::wake() {
  const std::uint64_t one = 1;
  // EAGAIN only when the counter is saturated, which still leaves the fd readable.
  [[maybe_unused]] const auto written = ::write(wake_fd_, &one, sizeof one);
}

void EventLoop::drain_wakeup() {
  std::uint64_t value;
  [[maybe_unused]] const auto got = ::read(wake_fd_, &value, sizeof value);
}

std::size_t EventLoop::run_posted_tasks() {
  {
    std::lock_guard<std::mutex> lock(post_mutex_);
    if (posted_.empty()) return 0;
    running_.swap(posted_);
  }
  // If a task throws, the rest of this batch is dropped rather than run twice later.
  struct ClearOnExit {
    std::vector<Task>& tasks;
    ~ClearOnExit() { tasks.clear(); }
  } clear{running_};
  std::size_t ran = 0;
  for (auto& task : running_) {
    task();
    ++ran;
  }
  return ran;
}

// ---- driving ---------------------------------------------------------------------------------

std::size_t EventLoop::run_once(Duration timeout) {
  loop_thread_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  std::size_t ran = dispatch_fd_events(timeout_ms_for(timeout));
  ran += run_due_timers();
  ran += run_posted_tasks();
  retired_fds_.clear();
  return ran;
}

void EventLoop::run() {
  while (!stop_requested_.load(std::memory_order_acquire))
    run_once(Duration::max());
  stop_requested_.store(false, std::memory_order_release);
}

void EventLoop::stop() {
  stop_requested_.store(true, std::memory_order_release);
  wake();
}

// ---- LoopTimer -------------------------------------------------------------------------------

LoopTimer::LoopTimer(EventLoop& loop, std::function<void()> on_fire)
    : loop_(loop), on_fire_(std::move(on_fire)) {}

LoopTimer::~LoopTimer() {
  disarm();
}

void LoopTimer::arm(std::optional<TimePoint> when) {
  if (!when) {
    disarm();
    return;
  }
  if (id_ != kNoTimer) {
    if (when_ == *when) return;
    if (loop_.reschedule_timer(id_, *when)) {
      when_ = *when;
      return;
    }
  }
  when_ = *when;
  // Captures one pointer: fits std::function's inline storage, so arming does not allocate.
  id_ = loop_.add_timer(*when, [this] {
    id_ = kNoTimer;
    on_fire_();
  });
}

void LoopTimer::disarm() {
  if (id_ != kNoTimer) loop_.cancel_timer(id_);
  id_ = kNoTimer;
}

std::optional<TimePoint> LoopTimer::deadline() const {
  if (id_ == kNoTimer) return std::nullopt;
  return when_;
}

} // namespace wab::net

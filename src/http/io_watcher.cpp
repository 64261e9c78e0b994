#include "http/io_watcher.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "net/event_loop.hpp"

namespace wab::http {
namespace {

constexpr int kMaxEvents = 64;

std::uint64_t cookie(int fd, std::uint32_t generation) {
  return (std::uint64_t{generation} << 32) | static_cast<std::uint32_t>(fd);
}

} // namespace

IoWatcher::IoWatcher(net::EventLoop& loop) : loop_(loop) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  try {
    loop_.add_fd(epoll_fd_, [this] { dispatch(); });
  } catch (...) {
    ::close(epoll_fd_);
    throw;
  }
}

IoWatcher::~IoWatcher() {
  loop_.remove_fd(epoll_fd_);
  ::close(epoll_fd_);
}

void IoWatcher::watch(int fd, bool readable, bool writable, Handler handler) {
  if (fd < 0) throw std::system_error(EBADF, std::generic_category(), "IoWatcher::watch");
  unwatch(fd);
  auto entry = std::make_shared<Entry>();
  entry->handler = std::move(handler);
  entry->generation = next_generation_++;
  if (next_generation_ == 0) next_generation_ = 1;
  entry->readable = readable;
  entry->writable = writable;
  apply(fd, *entry);
  entries_[fd] = std::move(entry);
}

void IoWatcher::set_interest(int fd, bool readable, bool writable) {
  auto it = entries_.find(fd);
  if (it == entries_.end()) return;
  Entry& entry = *it->second;
  if (entry.readable == readable && entry.writable == writable) return;
  entry.readable = readable;
  entry.writable = writable;
  apply(fd, entry);
}

void IoWatcher::apply(int fd, Entry& entry) {
  if (!entry.readable && !entry.writable) {
    if (entry.in_epoll) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    entry.in_epoll = false;
    return;
  }
  epoll_event ev{};
  ev.events = (entry.readable ? EPOLLIN : 0u) | (entry.writable ? EPOLLOUT : 0u);
  ev.data.u64 = cookie(fd, entry.generation);
  const int op = entry.in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  int result = ::epoll_ctl(epoll_fd_, op, fd, &ev);
  // A watched fd closed and reopened under the same number left epoll by itself: add it anew.
  if (result != 0 && op == EPOLL_CTL_MOD && errno == ENOENT) {
    result = ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }
  if (result != 0) throw std::system_error(errno, std::generic_category(), "IoWatcher epoll_ctl");
  entry.in_epoll = true;
}

void IoWatcher::unwatch(int fd) {
  auto it = entries_.find(fd);
  if (it == entries_.end()) return;
  // The fd may already be closed, which removed it from epoll; the error is harmless then.
  if (it->second->in_epoll) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  entries_.erase(it);
}

void IoWatcher::dispatch() {
  epoll_event events[kMaxEvents];
  const int n = ::epoll_wait(epoll_fd_, events, kMaxEvents, 0);
  for (int i = 0; i < n; ++i) {
    const int fd = static_cast<int>(events[i].data.u64 & 0xffffffffu);
    const auto generation = static_cast<std::uint32_t>(events[i].data.u64 >> 32);
    auto it = entries_.find(fd);
    // An earlier handler of this round may have unwatched or replaced this fd.
    if (it == entries_.end() || it->second->generation != generation) continue;
    std::shared_ptr<Entry> entry = it->second;
    const std::uint32_t ev = events[i].events;
    const bool failed = (ev & (EPOLLERR | EPOLLHUP)) != 0;
    const bool readable = (ev & EPOLLIN) != 0 || (failed && entry->readable);
    const bool writable = entry->writable && ((ev & EPOLLOUT) != 0 || failed);
    if (!readable && !writable) continue;
    entry->handler(readable, writable);
  }
}

} // namespace wab::http

#pragma once
// Readable/writable notifications for many fds on one net::EventLoop, without touching the loop's
// own API: the watcher owns a private epoll instance and registers that one fd with the loop
// (epoll fds nest; the inner one reads as "readable" while any watched fd is ready). libcurl's
// sockets and the HTTP server's connections need write readiness, which EventLoop::add_fd does not
// offer.
//
// Owns: its epoll fd and the handlers. Does not own the watched fds.
// Threads: the loop's thread only. Handlers may watch/unwatch any fd (including their own) but must
// not destroy the watcher.
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

namespace wab::net {
class EventLoop;
}

namespace wab::http {

class IoWatcher {
public:
  // `readable` also reports hang-up and error (a read then returns 0 or the error); `writable`
  // is only reported while write interest is on.
  using Handler = std::function<void(bool readable, bool writable)>;

  // Throws std::system_error if epoll cannot be created or registered.
  explicit IoWatcher(net::EventLoop& loop);
  ~IoWatcher();
  IoWatcher(const IoWatcher&) = delete;
  IoWatcher& operator=(const IoWatcher&) = delete;

  // Starts (or replaces) watching `fd` with level-triggered interest. Throws std::system_error if
  // epoll refuses the fd.
  void watch(int fd, bool readable, bool writable, Handler handler);
  // Changes the interest of a watched fd, keeping its handler; no interest at all parks the fd
  // (no events, not even hang-up). Unknown fds are ignored.
  void set_interest(int fd, bool readable, bool writable);
  // Stops watching; call before closing the fd. Unknown fds are ignored.
  void unwatch(int fd);
  bool watching(int fd) const { return entries_.count(fd) != 0; }
  std::size_t size() const { return entries_.size(); }

private:
  struct Entry {
    Handler handler;
    std::uint32_t generation = 0;
    bool readable = false;
    bool writable = false;
    bool in_epoll = false;
  };
  void apply(int fd, Entry& entry);
  void dispatch();

  net::EventLoop& loop_;
  int epoll_fd_ = -1;
  std::uint32_t next_generation_ = 1;
  // shared_ptr: a running handler stays alive if it unwatches its own fd.
  std::unordered_map<int, std::shared_ptr<Entry>> entries_;
};

} // namespace wab::http

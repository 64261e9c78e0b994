#include "http/io_watcher.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_test_support.hpp"
#include "net/event_loop.hpp"

namespace wab::http {
namespace {

struct SocketPair {
  int fds[2] = {-1, -1};
  SocketPair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0); }
  ~SocketPair() {
    for (const int fd : fds)
      if (fd >= 0) ::close(fd);
  }
};

TEST(IoWatcher, ReportsReadableAndWritableAsAsked) {
  net::EventLoop loop;
  IoWatcher watcher(loop);
  SocketPair pair;
  int readable = 0;
  int writable = 0;
  watcher.watch(pair.fds[0], true, true, [&](bool r, bool w) {
    readable += r;
    writable += w;
  });
  loop.run_once(milliseconds(50));
  EXPECT_EQ(readable, 0);
  EXPECT_EQ(writable, 1); // an empty socket buffer is writable at once
  watcher.set_interest(pair.fds[0], true, false);
  ASSERT_EQ(::write(pair.fds[1], "x", 1), 1);
  ASSERT_TRUE(test::run_until(loop, [&] { return readable == 1; }));
  EXPECT_EQ(writable, 1);
  // No interest parks the fd: level-triggered data no longer wakes anyone.
  watcher.set_interest(pair.fds[0], false, false);
  loop.run_once(milliseconds(20));
  EXPECT_EQ(readable, 1);
  watcher.unwatch(pair.fds[0]);
  EXPECT_FALSE(watcher.watching(pair.fds[0]));
  EXPECT_EQ(watcher.size(), 0u);
}

TEST(IoWatcher, HandlerMayUnwatchItselfAndOthers) {
  net::EventLoop loop;
  IoWatcher watcher(loop);
  SocketPair a;
  SocketPair b;
  int calls = 0;
  auto handler = [&](bool, bool) {
    ++calls;
    watcher.unwatch(a.fds[0]);
    watcher.unwatch(b.fds[0]);
  };
  watcher.watch(a.fds[0], false, true, handler);
  watcher.watch(b.fds[0], false, true, handler);
  loop.run_once(milliseconds(50));
  EXPECT_EQ(calls, 1); // the second event of the round was for an unwatched fd
  EXPECT_EQ(watcher.size(), 0u);
}

TEST(IoWatcher, HangUpIsReportedAsReadable) {
  net::EventLoop loop;
  IoWatcher watcher(loop);
  SocketPair pair;
  bool readable = false;
  watcher.watch(pair.fds[0], true, false, [&](bool r, bool) { readable = r; });
  ::close(pair.fds[1]);
  pair.fds[1] = -1;
  ASSERT_TRUE(test::run_until(loop, [&] { return readable; }));
  char byte;
  EXPECT_EQ(::read(pair.fds[0], &byte, 1), 0);
}

} // namespace
} // namespace wab::http

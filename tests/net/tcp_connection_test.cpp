#include "net/tcp_connection.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <vector>

#include "net/event_loop.hpp"

namespace wab::net {
namespace {

Bytes tcp_bytes(const std::string& s) {
  return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// Runs the loop until `done` or a generous bound; each iteration blocks in epoll, never sleeps.
template <typename Pred> void run_tcp_until(EventLoop& loop, Pred done) {
  for (int i = 0; i < 200 && !done(); ++i)
    loop.run_once(milliseconds(20));
}

// A plain loopback listener, driven by the test itself (not by the code under test).
class Listener {
public:
  explicit Listener(int backlog = 8) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    EXPECT_EQ(::listen(fd_, backlog), 0);
    socklen_t len = sizeof sa;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    address_ = *SocketAddress::parse("127.0.0.1", ntohs(sa.sin_port));
  }
  ~Listener() {
    if (accepted_ >= 0) ::close(accepted_);
    if (fd_ >= 0) ::close(fd_);
  }
  const SocketAddress& address() const { return address_; }
  int accepted() const { return accepted_; }
  bool try_accept() {
    if (accepted_ < 0) accepted_ = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    return accepted_ >= 0;
  }
  std::string read_available() {
    std::string out;
    char buf[4096];
    for (;;) {
      const ssize_t n = ::recv(accepted_, buf, sizeof buf, MSG_DONTWAIT);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }
  void write(const std::string& s) {
    ASSERT_EQ(::send(accepted_, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
  }
  // Closes the accepted socket so that the client sees a reset (linger 0), or a plain FIN.
  void close_accepted(bool reset) {
    if (reset) {
      linger l{1, 0};
      ::setsockopt(accepted_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    ::close(accepted_);
    accepted_ = -1;
  }
  void close_listener() {
    ::close(fd_);
    fd_ = -1;
  }

private:
  int fd_ = -1;
  int accepted_ = -1;
  SocketAddress address_;
};

struct Events {
  bool connected = false;
  std::string data;
  std::optional<TcpClosed> closed;
  int closed_calls = 0;
};

TcpConnection::Handlers record(Events& e) {
  TcpConnection::Handlers h;
  h.on_connected = [&e] { e.connected = true; };
  h.on_data = [&e](MutableBytes data, TimePoint) {
    e.data.append(reinterpret_cast<const char*>(data.data()), data.size());
  };
  h.on_closed = [&e](const TcpClosed& why) {
    e.closed = why;
    ++e.closed_calls;
  };
  return h;
}

TEST(TcpConnection, ExchangesBytesBothWaysWithALoopbackListener) {
  EventLoop loop;
  Listener server;
  Events events;
  const std::size_t fds_before = loop.watched_fds();
  {
    TcpConnection conn(loop, server.address(), {}, record(events));
    EXPECT_EQ(conn.state(), TcpConnection::State::connecting);
    // Queued while connecting, sent once connected.
    EXPECT_TRUE(conn.send(tcp_bytes("early,")));
    run_tcp_until(loop, [&] { return events.connected && server.try_accept(); });
    ASSERT_TRUE(events.connected);
    ASSERT_TRUE(server.try_accept());
    EXPECT_EQ(conn.state(), TcpConnection::State::open);
    EXPECT_TRUE(conn.local().is_loopback());
    EXPECT_NE(conn.local().port(), 0);

    EXPECT_TRUE(conn.send(tcp_bytes("head|"), tcp_bytes("body")));
    std::string got;
    run_tcp_until(loop, [&] {
      got += server.read_available();
      return got.size() >= 15;
    });
    EXPECT_EQ(got, "early,head|body");
    EXPECT_EQ(conn.counters().bytes_sent, 15u);

    server.write("from the server");
    run_tcp_until(loop, [&] { return events.data.size() >= 15; });
    EXPECT_EQ(events.data, "from the server");
    EXPECT_EQ(conn.counters().bytes_received, 15u);
    EXPECT_FALSE(events.closed.has_value());
    EXPECT_EQ(loop.watched_fds(), fds_before + 1);
  }
  // Destroying reports nothing and leaves neither fd watches nor timers behind.
  EXPECT_EQ(events.closed_calls, 0);
  EXPECT_EQ(loop.watched_fds(), fds_before);
  EXPECT_EQ(loop.pending_timers(), 0u);
}

TEST(TcpConnection, PeerResetEndsTheConnectionWithAResetCause) {
  EventLoop loop;
  Listener server;
  Events events;
  TcpConnection conn(loop, server.address(), {}, record(events));
  run_tcp_until(loop, [&] { return events.connected && server.try_accept(); });
  ASSERT_TRUE(events.connected);
  server.close_accepted(/*reset=*/true);
  run_tcp_until(loop, [&] { return events.closed.has_value(); });
  ASSERT_TRUE(events.closed.has_value());
  EXPECT_EQ(events.closed->kind, TcpClosed::Kind::reset);
  EXPECT_EQ(events.closed->error, ECONNRESET);
  EXPECT_NE(events.closed->message.find("reset by peer"), std::string::npos)
      << events.closed->message;
  EXPECT_NE(events.closed->message.find(server.address().to_string()), std::string::npos);
  EXPECT_EQ(conn.state(), TcpConnection::State::closed);
  EXPECT_EQ(conn.fd(), -1);
  // A closed connection refuses writes and counts them.
  EXPECT_FALSE(conn.send(tcp_bytes("late")));
  EXPECT_EQ(conn.counters().writes_dropped, 1u);
  loop.run_once(milliseconds(0));
  EXPECT_EQ(events.closed_calls, 1);
}

TEST(TcpConnection, PeerCloseIsReportedAsEndOfStream) {
  EventLoop loop;
  Listener server;
  Events events;
  TcpConnection conn(loop, server.address(), {}, record(events));
  run_tcp_until(loop, [&] { return events.connected && server.try_accept(); });
  server.write("last words");
  server.close_accepted(/*reset=*/false);
  run_tcp_until(loop, [&] { return events.closed.has_value(); });
  ASSERT_TRUE(events.closed.has_value());
  // Bytes before the FIN are delivered first.
  EXPECT_EQ(events.data, "last words");
  EXPECT_EQ(events.closed->kind, TcpClosed::Kind::peer_closed);
  EXPECT_NE(events.closed->message.find("closed by peer"), std::string::npos);
}

TEST(TcpConnection, RefusedConnectIsReportedWithTheErrnoText) {
  EventLoop loop;
  Listener server;
  const SocketAddress nobody = server.address();
  server.close_listener(); // nothing listens on that port any more
  Events events;
  TcpConnection conn(loop, nobody, {}, record(events));
  run_tcp_until(loop, [&] { return events.closed.has_value(); });
  ASSERT_TRUE(events.closed.has_value());
  EXPECT_FALSE(events.connected);
  EXPECT_EQ(events.closed->kind, TcpClosed::Kind::connect_failed);
  EXPECT_EQ(events.closed->error, ECONNREFUSED);
  EXPECT_NE(events.closed->message.find("Connection refused"), std::string::npos)
      << events.closed->message;
  EXPECT_EQ(loop.pending_timers(), 0u);
}

TEST(TcpConnection, ConnectThatNeverCompletesTimesOut) {
  EventLoop loop;
  // A listener whose accept queue is full drops further SYNs, so those connects hang.
  Listener server(/*backlog=*/0);
  std::vector<std::unique_ptr<TcpConnection>> fillers;
  std::vector<Events> filler_events(4);
  for (auto& e : filler_events) {
    fillers.push_back(
        std::make_unique<TcpConnection>(loop, server.address(), TcpConnectionOptions{}, record(e)));
  }
  loop.run_once(milliseconds(50));
  TcpConnectionOptions options;
  options.connect_timeout = milliseconds(150);
  Events events;
  TcpConnection conn(loop, server.address(), options, record(events));
  run_tcp_until(loop, [&] { return events.closed.has_value() || events.connected; });
  if (events.connected) GTEST_SKIP() << "this kernel accepted beyond the backlog";
  ASSERT_TRUE(events.closed.has_value());
  EXPECT_EQ(events.closed->kind, TcpClosed::Kind::connect_timeout);
  EXPECT_NE(events.closed->message.find("timed out"), std::string::npos);
}

TEST(TcpConnection, WriteThatDoesNotFitTheQueueIsDroppedWholeAndCounted) {
  EventLoop loop;
  Listener server;
  TcpConnectionOptions options;
  options.write_queue_bytes = 64;
  Events events;
  TcpConnection conn(loop, server.address(), options, record(events));
  const std::string forty(40, 'a');
  const std::string thirty(30, 'b');
  // Not connected yet: everything waits in the ring.
  EXPECT_TRUE(conn.send(tcp_bytes(forty)));
  EXPECT_FALSE(conn.send(tcp_bytes(thirty))); // 70 > 64: refused whole, nothing partial queued
  EXPECT_TRUE(conn.send(tcp_bytes("12"), tcp_bytes(std::string(22, 'c')))); // exactly fills it
  EXPECT_EQ(conn.queued_bytes(), 64u);
  EXPECT_EQ(conn.counters().writes_dropped, 1u);
  EXPECT_EQ(conn.counters().bytes_dropped, 30u);

  run_tcp_until(loop, [&] { return events.connected && server.try_accept(); });
  std::string got;
  run_tcp_until(loop, [&] {
    got += server.read_available();
    return got.size() >= 64;
  });
  EXPECT_EQ(got, forty + "12" + std::string(22, 'c'));
  EXPECT_EQ(conn.queued_bytes(), 0u);
  // The ring wraps: more writes than its size in total go through in order.
  std::string expected;
  for (int i = 0; i < 10; ++i) {
    const std::string chunk(50, static_cast<char>('0' + i));
    EXPECT_TRUE(conn.send(tcp_bytes(chunk)));
    expected += chunk;
  }
  got.clear();
  run_tcp_until(loop, [&] {
    got += server.read_available();
    return got.size() >= expected.size();
  });
  EXPECT_EQ(got, expected);
}

TEST(TcpConnection, HandlerMayCloseTheConnectionWithoutACloseReport) {
  EventLoop loop;
  Listener server;
  Events events;
  std::optional<TcpConnection> conn;
  auto handlers = record(events);
  handlers.on_data = [&](MutableBytes, TimePoint) { conn->close(); };
  conn.emplace(loop, server.address(), TcpConnectionOptions{}, std::move(handlers));
  run_tcp_until(loop, [&] { return events.connected && server.try_accept(); });
  server.write("x");
  run_tcp_until(loop, [&] { return conn->state() == TcpConnection::State::closed; });
  EXPECT_EQ(conn->state(), TcpConnection::State::closed);
  EXPECT_EQ(events.closed_calls, 0);
}

} // namespace
} // namespace wab::net

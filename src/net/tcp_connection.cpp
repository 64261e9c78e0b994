#include "net/tcp_connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

namespace wab::net {
namespace {

// Reads per readiness event, so one busy connection cannot starve the loop's other fds;
// level-triggered epoll brings us back for the rest.
constexpr int kMaxReadsPerWakeup = 4;

void set_socket_option(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) {
    throw std::system_error(errno, std::generic_category(), what);
  }
}

// A closed fd even when a constructor step throws halfway.
struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

} // namespace

TcpConnection::TcpConnection(EventLoop& loop, const SocketAddress& remote,
                             const TcpConnectionOptions& options, Handlers handlers)
    : loop_(loop), remote_(remote), handlers_(std::move(handlers)),
      ring_(std::max<std::size_t>(options.write_queue_bytes, 1)),
      read_buffer_(std::max<std::size_t>(options.read_chunk_bytes, 1)) {
  if (!remote.valid()) {
    throw std::system_error(EINVAL, std::generic_category(), "TcpConnection: invalid remote");
  }
  const int family = remote.is_v4() ? AF_INET : AF_INET6;
  FdGuard guard{::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP)};
  if (guard.fd < 0) throw std::system_error(errno, std::generic_category(), "socket(tcp)");
  // Media frames are small and late ones are useless: no Nagle delay.
  set_socket_option(guard.fd, IPPROTO_TCP, TCP_NODELAY, 1, "setsockopt(TCP_NODELAY)");
  if (options.dscp >= 0) {
    const int tos = options.dscp << 2;
    if (family == AF_INET) {
      set_socket_option(guard.fd, IPPROTO_IP, IP_TOS, tos, "setsockopt(IP_TOS)");
    } else {
      set_socket_option(guard.fd, IPPROTO_IPV6, IPV6_TCLASS, tos, "setsockopt(IPV6_TCLASS)");
    }
  }
  if (options.bind_address) {
    SocketAddress local = *options.bind_address;
    local.set_port(0);
    sockaddr_storage sa{};
    const socklen_t len = local.to_sockaddr(sa);
    if (::bind(guard.fd, reinterpret_cast<const sockaddr*>(&sa), len) != 0) {
      throw std::system_error(errno, std::generic_category(),
                              "bind(tcp " + local.ip_string() + ")");
    }
  }

  sockaddr_storage to{};
  const socklen_t to_len = remote.to_sockaddr(to);
  int result;
  do {
    result = ::connect(guard.fd, reinterpret_cast<const sockaddr*>(&to), to_len);
  } while (result != 0 && errno == EINTR);
  const int connect_errno = result == 0 ? 0 : errno;

  loop_.add_fd(guard.fd, [this] { on_event(); });
  fd_ = guard.release();
  if (connect_errno != 0 && connect_errno != EINPROGRESS) {
    // Reported like any other failed connect, but not from inside the constructor.
    const TimerId deferred = loop_.add_timer(loop_.now(), [this, connect_errno] {
      connect_timer_ = kNoTimer;
      fail(TcpClosed::Kind::connect_failed, connect_errno, "connect failed");
    });
    connect_timer_ = deferred;
    return;
  }
  connect_timer_ = loop_.add_timer(loop_.now() + options.connect_timeout, [this] {
    connect_timer_ = kNoTimer;
    fail(TcpClosed::Kind::connect_timeout, ETIMEDOUT, "connect timed out");
  });
  // Completion (or failure) of the connect shows as writability.
  loop_.set_fd_write_interest(fd_, true);
  write_interest_ = true;
}

TcpConnection::~TcpConnection() {
  close();
}

void TcpConnection::close() {
  if (connect_timer_ != kNoTimer) {
    loop_.cancel_timer(connect_timer_);
    connect_timer_ = kNoTimer;
  }
  if (fd_ >= 0) {
    loop_.remove_fd(fd_);
    ::close(fd_);
    fd_ = -1;
  }
  state_ = State::closed;
  queue_size_ = 0;
}

void TcpConnection::fail(TcpClosed::Kind kind, int error, const char* what) {
  if (state_ == State::closed) return;
  close();
  TcpClosed why;
  why.kind = kind;
  why.error = error;
  why.message = what;
  if (error != 0) {
    why.message += ": ";
    why.message += std::strerror(error);
  }
  why.message += " (" + remote_.to_string() + ")";
  if (handlers_.on_closed) handlers_.on_closed(why);
}

void TcpConnection::on_event() {
  if (state_ == State::connecting) {
    finish_connect();
    return;
  }
  if (state_ != State::open) return;
  if (queue_size_ > 0 && !flush()) return;
  read_available(loop_.now());
}

void TcpConnection::finish_connect() {
  int error = 0;
  socklen_t len = sizeof error;
  if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &len) != 0) error = errno;
  if (error == 0) {
    // Still in progress: a spurious wake-up (or input before the handshake finished).
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) {
      if (errno == ENOTCONN) return;
      error = errno;
    }
  }
  if (error != 0) {
    fail(TcpClosed::Kind::connect_failed, error, "connect failed");
    return;
  }
  loop_.cancel_timer(connect_timer_);
  connect_timer_ = kNoTimer;
  sockaddr_storage self{};
  socklen_t self_len = sizeof self;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&self), &self_len) == 0) {
    if (auto a = SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&self), self_len)) {
      local_ = *a;
    }
  }
  state_ = State::open;
  update_write_interest();
  if (handlers_.on_connected) handlers_.on_connected();
  // Whatever was queued while connecting goes out now (the handler may have closed us).
  if (state_ == State::open && queue_size_ > 0) flush();
}

void TcpConnection::read_available(TimePoint now) {
  for (int i = 0; i < kMaxReadsPerWakeup && state_ == State::open; ++i) {
    const ssize_t n = ::recv(fd_, read_buffer_.data(), read_buffer_.size(), MSG_DONTWAIT);
    if (n > 0) {
      counters_.bytes_received += static_cast<std::uint64_t>(n);
      if (handlers_.on_data) {
        handlers_.on_data(MutableBytes(read_buffer_.data(), static_cast<std::size_t>(n)), now);
      }
      if (static_cast<std::size_t>(n) < read_buffer_.size()) return;
      continue;
    }
    if (n == 0) {
      fail(TcpClosed::Kind::peer_closed, 0, "connection closed by peer");
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    const int error = errno;
    fail(error == ECONNRESET ? TcpClosed::Kind::reset : TcpClosed::Kind::error, error,
         "receive failed");
    return;
  }
}

bool TcpConnection::send(Bytes head, Bytes body) {
  const std::size_t total = head.size() + body.size();
  if (state_ == State::closed || total > ring_.size() - queue_size_) {
    ++counters_.writes_dropped;
    counters_.bytes_dropped += total;
    return false;
  }
  if (total == 0) return true;
  std::size_t sent = 0;
  if (state_ == State::open && queue_size_ == 0) {
    // The common case: nothing waiting, so the kernel takes it straight from the caller.
    iovec parts[2];
    int count = 0;
    if (!head.empty()) parts[count++] = {const_cast<std::uint8_t*>(head.data()), head.size()};
    if (!body.empty()) parts[count++] = {const_cast<std::uint8_t*>(body.data()), body.size()};
    msghdr msg{};
    msg.msg_iov = parts;
    msg.msg_iovlen = static_cast<std::size_t>(count);
    ssize_t n;
    do {
      n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        const int error = errno;
        // The caller learns of the failure through on_closed; this write is simply lost.
        fail(error == ECONNRESET || error == EPIPE ? TcpClosed::Kind::reset
                                                   : TcpClosed::Kind::error,
             error, "send failed");
        return false;
      }
      n = 0;
    }
    sent = static_cast<std::size_t>(n);
    counters_.bytes_sent += sent;
    if (sent == total) return true;
  }
  ++counters_.writes_queued;
  if (sent < head.size()) {
    enqueue(head.subspan(sent));
    enqueue(body);
  } else {
    enqueue(body.subspan(sent - head.size()));
  }
  update_write_interest();
  return true;
}

void TcpConnection::enqueue(Bytes data) {
  if (data.empty()) return; // an empty span may carry a null pointer, which memcpy must not see
  const std::size_t capacity = ring_.size();
  const std::size_t tail = (queue_head_ + queue_size_) % capacity;
  const std::size_t first = std::min(data.size(), capacity - tail);
  std::memcpy(ring_.data() + tail, data.data(), first);
  std::memcpy(ring_.data(), data.data() + first, data.size() - first);
  queue_size_ += data.size();
}

bool TcpConnection::flush() {
  const std::size_t capacity = ring_.size();
  while (queue_size_ > 0) {
    const std::size_t first = std::min(queue_size_, capacity - queue_head_);
    iovec parts[2] = {{ring_.data() + queue_head_, first}, {ring_.data(), queue_size_ - first}};
    msghdr msg{};
    msg.msg_iov = parts;
    msg.msg_iovlen = queue_size_ > first ? 2 : 1;
    const ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      const int error = errno;
      fail(error == ECONNRESET || error == EPIPE ? TcpClosed::Kind::reset : TcpClosed::Kind::error,
           error, "send failed");
      return false;
    }
    const auto written = static_cast<std::size_t>(n);
    counters_.bytes_sent += written;
    queue_head_ = (queue_head_ + written) % capacity;
    queue_size_ -= written;
  }
  if (queue_size_ == 0) queue_head_ = 0;
  update_write_interest();
  return true;
}

void TcpConnection::update_write_interest() {
  if (fd_ < 0) return;
  const bool wanted = state_ == State::connecting || queue_size_ > 0;
  if (wanted == write_interest_) return;
  loop_.set_fd_write_interest(fd_, wanted);
  write_interest_ = wanted;
}

} // namespace wab::net

#include "net/udp_socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

#include "common/random.hpp"
#include "net/event_loop.hpp"

namespace wab::net {
namespace {

// Upper bound on recvmmsg calls per readiness event, so one busy socket cannot starve the others
// on the loop; level-triggered epoll brings us back for the rest.
constexpr int kMaxBatchesPerWakeup = 4;

[[noreturn]] void throw_errno(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}

void set_int_option(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) throw_errno(errno, what);
}

constexpr std::size_t kControlSpace = CMSG_SPACE(sizeof(in6_pktinfo));

SocketAddress destination_of(const msghdr& h, std::uint16_t port) {
  for (const cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr;
       c = CMSG_NXTHDR(const_cast<msghdr*>(&h), const_cast<cmsghdr*>(c))) {
    if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      return SocketAddress::from_bytes(info.ipi6_addr.s6_addr, 16, port);
    }
  }
  return SocketAddress();
}

} // namespace

// ---- ReceiveBatch ----------------------------------------------------------------------------

ReceiveBatch::ReceiveBatch(std::size_t batch_size, std::size_t datagram_capacity)
    : capacity_(datagram_capacity), storage_(batch_size * datagram_capacity),
      addresses_(batch_size), iovecs_(batch_size), control_(batch_size * kControlSpace),
      headers_(batch_size) {
  if (batch_size == 0 || datagram_capacity == 0) {
    throw std::invalid_argument("ReceiveBatch needs a non-zero batch size and capacity");
  }
  for (std::size_t i = 0; i < batch_size; ++i) {
    iovecs_[i].iov_base = storage_.data() + i * capacity_;
    iovecs_[i].iov_len = capacity_;
  }
  reset_headers();
}

void ReceiveBatch::reset_headers() {
  // recvmmsg overwrites msg_namelen and msg_flags, so they are restored before every call.
  for (std::size_t i = 0; i < headers_.size(); ++i) {
    msghdr& h = headers_[i].msg_hdr;
    h.msg_name = &addresses_[i];
    h.msg_namelen = sizeof(sockaddr_in6);
    h.msg_iov = &iovecs_[i];
    h.msg_iovlen = 1;
    h.msg_control = control_.data() + i * kControlSpace;
    h.msg_controllen = kControlSpace;
    h.msg_flags = 0;
    headers_[i].msg_len = 0;
  }
}

// ---- UdpSocket -------------------------------------------------------------------------------

UdpSocket::UdpSocket(EventLoop& loop, ReceiveBatch& batch, const UdpSocketOptions& options,
                     ReceiveHandler on_datagram)
    : loop_(loop), batch_(batch), on_datagram_(std::move(on_datagram)) {
  fd_ = ::socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw_errno(errno, "socket(AF_INET6, SOCK_DGRAM)");
  try {
    set_int_option(fd_, IPPROTO_IPV6, IPV6_V6ONLY, 0, "setsockopt(IPV6_V6ONLY=0)");
    // Learn each datagram's destination address (IPv4 ones arrive v4-mapped), so replies can
    // leave from it on a multi-homed host.
    set_int_option(fd_, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "setsockopt(IPV6_RECVPKTINFO)");
    // Buffer sizes are requests; the kernel caps them silently, so failures are not fatal.
    if (options.receive_buffer_bytes > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &options.receive_buffer_bytes,
                   sizeof options.receive_buffer_bytes);
    }
    if (options.send_buffer_bytes > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &options.send_buffer_bytes,
                   sizeof options.send_buffer_bytes);
    }
    if (options.dscp >= 0) {
      // A dual-stack socket sends IPv4 with IP_TOS and IPv6 with IPV6_TCLASS: set both.
      const int tos = (options.dscp & 0x3f) << 2;
      set_int_option(fd_, IPPROTO_IPV6, IPV6_TCLASS, tos, "setsockopt(IPV6_TCLASS)");
      set_int_option(fd_, IPPROTO_IP, IP_TOS, tos, "setsockopt(IP_TOS)");
    }
    bind_in_range(options);
    loop_.add_fd(fd_, [this] { on_readable(); });
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

UdpSocket::~UdpSocket() {
  loop_.remove_fd(fd_);
  ::close(fd_);
}

void UdpSocket::bind_in_range(const UdpSocketOptions& options) {
  sockaddr_in6 local{};
  if (options.bind_address) {
    options.bind_address->to_sockaddr_v6(local);
  } else {
    local.sin6_family = AF_INET6;
    local.sin6_addr = in6addr_any;
  }

  const auto read_back_port = [this] {
    sockaddr_in6 bound{};
    socklen_t len = sizeof bound;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
      throw_errno(errno, "getsockname");
    }
    local_port_ = ntohs(bound.sin6_port);
  };

  if (options.min_port == 0 && options.max_port == 0) {
    local.sin6_port = 0;
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
      throw_errno(errno, "bind(" +
                             (options.bind_address ? options.bind_address->ip_string()
                                                   : std::string("[::]")) +
                             ":0)");
    }
    read_back_port();
    return;
  }
  if (options.min_port == 0 || options.min_port > options.max_port) {
    throw std::invalid_argument("invalid UDP port range " + std::to_string(options.min_port) + "-" +
                                std::to_string(options.max_port));
  }

  // A random start spreads concurrent legs over the range instead of all probing from the bottom.
  const std::uint32_t span = std::uint32_t{options.max_port} - options.min_port + 1;
  const std::uint32_t start = random_u32() % span;
  for (std::uint32_t i = 0; i < span; ++i) {
    const auto port = static_cast<std::uint16_t>(options.min_port + (start + i) % span);
    local.sin6_port = htons(port);
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&local), sizeof local) == 0) {
      local_port_ = port;
      return;
    }
    if (errno != EADDRINUSE && errno != EACCES) {
      throw_errno(errno, "bind(port " + std::to_string(port) + ")");
    }
  }
  throw std::runtime_error("no free UDP port in range " + std::to_string(options.min_port) + "-" +
                           std::to_string(options.max_port) + " (all " + std::to_string(span) +
                           " ports in use)");
}

bool UdpSocket::send_to(Bytes data, const SocketAddress& to, const SocketAddress& from_local) {
  if (!to.valid() || !from_local.valid() || to.is_v4() != from_local.is_v4()) {
    return send_to(data, to);
  }
  sockaddr_in6 dest;
  const socklen_t len = to.to_sockaddr_v6(dest);
  sockaddr_in6 source;
  from_local.to_sockaddr_v6(source);
  alignas(cmsghdr) std::uint8_t control[kControlSpace] = {};
  iovec iov{const_cast<std::uint8_t*>(data.data()), data.size()};
  msghdr msg{};
  msg.msg_name = &dest;
  msg.msg_namelen = len;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = IPPROTO_IPV6;
  cmsg->cmsg_type = IPV6_PKTINFO;
  cmsg->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
  in6_pktinfo info{};
  info.ipi6_addr = source.sin6_addr;
  std::memcpy(CMSG_DATA(cmsg), &info, sizeof info);
  return transmit(msg);
}

bool UdpSocket::send_to(Bytes data, const SocketAddress& to) {
  if (!to.valid()) {
    ++counters_.send_errors;
    return false;
  }
  sockaddr_in6 dest;
  iovec iov{const_cast<std::uint8_t*>(data.data()), data.size()};
  msghdr msg{};
  msg.msg_name = &dest;
  msg.msg_namelen = to.to_sockaddr_v6(dest);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  return transmit(msg);
}

bool UdpSocket::transmit(const msghdr& msg) {
  for (;;) {
    const ssize_t sent = ::sendmsg(fd_, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent >= 0) {
      ++counters_.datagrams_sent;
      counters_.bytes_sent += static_cast<std::uint64_t>(sent);
      return true;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
      ++counters_.send_would_block;
    } else {
      ++counters_.send_errors;
    }
    return false;
  }
}

void UdpSocket::on_readable() {
  const TimePoint now = loop_.now();
  const auto batch_size = static_cast<unsigned>(batch_.batch_size());
  for (int round = 0; round < kMaxBatchesPerWakeup; ++round) {
    batch_.reset_headers();
    const int got = ::recvmmsg(fd_, batch_.headers_.data(), batch_size, MSG_DONTWAIT, nullptr);
    if (got < 0) {
      if (errno == EINTR) continue;
      // EAGAIN: drained. Anything else (e.g. a queued ICMP error) is counted and retried later.
      if (errno != EAGAIN && errno != EWOULDBLOCK) ++counters_.receive_errors;
      return;
    }
    for (int i = 0; i < got; ++i) {
      const mmsghdr& m = batch_.headers_[static_cast<std::size_t>(i)];
      if (m.msg_hdr.msg_flags & MSG_TRUNC) {
        ++counters_.truncated;
        continue;
      }
      const auto from = SocketAddress::from_sockaddr(
          static_cast<const sockaddr*>(m.msg_hdr.msg_name), m.msg_hdr.msg_namelen);
      if (!from) {
        ++counters_.receive_errors;
        continue;
      }
      ++counters_.datagrams_received;
      counters_.bytes_received += m.msg_len;
      current_destination_ = destination_of(m.msg_hdr, local_port_);
      auto* data = static_cast<std::uint8_t*>(m.msg_hdr.msg_iov->iov_base);
      on_datagram_(MutableBytes(data, m.msg_len), *from, now);
      current_destination_ = SocketAddress();
    }
    if (static_cast<unsigned>(got) < batch_size) return; // drained
  }
}

} // namespace wab::net

#pragma once
// A non-blocking dual-stack UDP socket (AF_INET6 with IPV6_V6ONLY=0, so IPv4 peers appear as
// plain IPv4 SocketAddresses) bound from a port range, registered with an EventLoop for reads.
//
// Ownership and threads: the socket owns its fd (closed in the destructor) and belongs to the
// thread of the EventLoop it was created on; every method is for that thread only. The loop and
// the ReceiveBatch must outlive the socket. The receive handler must not destroy the socket
// (defer that with EventLoop::post).
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "net/socket_address.hpp"

namespace wab::net {

class EventLoop;

// Preallocated recvmmsg storage: `batch_size` datagrams of `datagram_capacity` bytes each. Share
// one per worker thread among all its sockets: a handler only ever sees one socket's batch at a
// time, and the bytes it is given are valid only during the call.
class ReceiveBatch {
public:
  static constexpr std::size_t kDefaultBatchSize = 32;
  // Larger than any MTU-sized datagram so oversize input is detected (MSG_TRUNC), not cut silently.
  static constexpr std::size_t kDefaultDatagramCapacity = 2048;

  explicit ReceiveBatch(std::size_t batch_size = kDefaultBatchSize,
                        std::size_t datagram_capacity = kDefaultDatagramCapacity);
  ReceiveBatch(const ReceiveBatch&) = delete;
  ReceiveBatch& operator=(const ReceiveBatch&) = delete;

  std::size_t batch_size() const { return headers_.size(); }
  std::size_t datagram_capacity() const { return capacity_; }

private:
  friend class UdpSocket;
  void reset_headers();

  std::size_t capacity_;
  std::vector<std::uint8_t> storage_;
  std::vector<sockaddr_in6> addresses_;
  std::vector<iovec> iovecs_;
  std::vector<std::uint8_t> control_; // one IPV6_PKTINFO cmsg slot per datagram
  std::vector<mmsghdr> headers_;
};

struct UdpSocketOptions {
  // Inclusive range to bind from; min_port == max_port == 0 lets the kernel pick.
  std::uint16_t min_port = 0;
  std::uint16_t max_port = 0;
  // Bind to one local address instead of all (IPv4 addresses are bound v4-mapped).
  std::optional<SocketAddress> bind_address;
  // SO_RCVBUF / SO_SNDBUF requests (the kernel may cap them at net.core.*mem_max); 0 = default.
  int receive_buffer_bytes = 1 << 20;
  int send_buffer_bytes = 1 << 20;
  // DiffServ code point for outgoing packets (46 = EF, the usual for interactive audio);
  // -1 leaves the system default. Applied to IPv4 (IP_TOS) and IPv6 (IPV6_TCLASS) traffic.
  int dscp = -1;
};

struct UdpSocketCounters {
  std::uint64_t datagrams_received = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t datagrams_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t send_would_block = 0; // EAGAIN: kernel send buffer full, datagram dropped
  std::uint64_t send_errors = 0;      // any other sendto failure (or an invalid destination)
  std::uint64_t receive_errors = 0;
  std::uint64_t truncated = 0; // larger than the batch's datagram capacity; dropped
};

class UdpSocket {
public:
  // `data` is valid only during the call; `now` is the loop time the batch was read at. The bytes
  // live in the shared ReceiveBatch and are the handler's to modify (e.g. SRTP-unprotect in
  // place); `data.data()` starts a slot of `ReceiveBatch::datagram_capacity()` bytes, so a
  // handler may also grow the packet in place up to that capacity.
  using ReceiveHandler =
      std::function<void(MutableBytes data, const SocketAddress& from, TimePoint now)>;

  // Creates, configures, binds and registers the socket. Throws std::runtime_error with the range
  // in the message when no port in [min_port, max_port] is free, std::system_error otherwise.
  UdpSocket(EventLoop& loop, ReceiveBatch& batch, const UdpSocketOptions& options,
            ReceiveHandler on_datagram);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  std::uint16_t local_port() const { return local_port_; }
  int fd() const { return fd_; }

  // Sends one datagram; never throws, never allocates. Returns false (and counts) on failure.
  bool send_to(Bytes data, const SocketAddress& to);
  // The same, from a chosen local address (one this host owns; its port is ignored). A reply must
  // leave from the address its request arrived at, or ICE peers see an asymmetric path.
  bool send_to(Bytes data, const SocketAddress& to, const SocketAddress& from_local);

  // During the receive callback: the local address the current datagram was sent to (from
  // IPV6_PKTINFO; IPv4 as plain IPv4, port = our port); invalid outside the callback.
  const SocketAddress& current_destination() const { return current_destination_; }

  // Reads until the socket is drained (or a bounded number of batches); called by the loop.
  void on_readable();

  const UdpSocketCounters& counters() const { return counters_; }

private:
  void bind_in_range(const UdpSocketOptions& options);
  // One sendmsg with EINTR retry; counts the outcome.
  bool transmit(const msghdr& msg);

  EventLoop& loop_;
  ReceiveBatch& batch_;
  ReceiveHandler on_datagram_;
  int fd_ = -1;
  std::uint16_t local_port_ = 0;
  UdpSocketCounters counters_;
  SocketAddress current_destination_;
};

} // namespace wab::net

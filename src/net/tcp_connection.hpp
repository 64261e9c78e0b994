#pragma once
// A non-blocking TCP client connection on an EventLoop: connects with a timeout, queues output in
// a fixed ring (no allocation after construction; a write that does not fit is dropped whole and
// counted, so a length-prefixed frame is never cut), and delivers received bytes from a fixed read
// buffer. The far end's reset, end of stream, a failed or timed-out connect and socket errors all
// end the connection once, through on_closed, with a cause that names the errno text.
//
// Ownership and threads: owns its socket (closed in the destructor, which reports nothing) and
// belongs to the thread of its EventLoop; every method is for that thread only. The loop must
// outlive the connection. Handlers may call send() and close() but must not destroy the
// connection (defer that with EventLoop::post).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "net/event_loop.hpp"
#include "net/socket_address.hpp"

namespace wab::net {

struct TcpConnectionOptions {
  Duration connect_timeout = std::chrono::seconds(5);
  // Output waiting for the kernel (also what is queued before the connect completes).
  std::size_t write_queue_bytes = 256 * 1024;
  // Bytes taken from the kernel per read; on_data never sees more than this at once.
  std::size_t read_chunk_bytes = 16 * 1024;
  // Local address to connect from (its port is ignored: the kernel picks one).
  std::optional<SocketAddress> bind_address;
  // DiffServ code point for outgoing packets; -1 leaves the system default.
  int dscp = -1;
};

struct TcpConnectionCounters {
  std::uint64_t bytes_sent = 0; // accepted by the kernel
  std::uint64_t bytes_received = 0;
  std::uint64_t writes_queued = 0;  // send() calls that had to wait in the ring
  std::uint64_t writes_dropped = 0; // send() calls refused: ring full or connection not usable
  std::uint64_t bytes_dropped = 0;
};

// Why a connection ended; `message` is for logs, e.g. "connection reset by peer (192.0.2.1:443)".
struct TcpClosed {
  enum class Kind { connect_failed, connect_timeout, reset, peer_closed, error };
  Kind kind = Kind::error;
  int error = 0; // errno, when there was one
  std::string message;
};

class TcpConnection {
public:
  enum class State { connecting, open, closed };

  struct Handlers {
    std::function<void()> on_connected;
    // `data` lives in the connection's read buffer, valid only during the call; the handler may
    // modify it in place.
    std::function<void(MutableBytes data, TimePoint now)> on_data;
    // Called at most once, never from the destructor or from close().
    std::function<void(const TcpClosed& why)> on_closed;
  };

  // Creates the socket and starts connecting to `remote`. Throws std::system_error when the
  // socket cannot be created or the connect is refused synchronously for a local reason (bad
  // bind address); an unreachable peer is reported later through on_closed.
  TcpConnection(EventLoop& loop, const SocketAddress& remote, const TcpConnectionOptions& options,
                Handlers handlers);
  ~TcpConnection();
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  // Queues `head` then `body` as one write (either may be empty): both go out, in order, or
  // neither does. Never throws, never allocates. Returns false (and counts) when the connection
  // is closed or the ring cannot hold them.
  bool send(Bytes head, Bytes body = {});

  // Closes the socket without calling on_closed. Idempotent.
  void close();

  State state() const { return state_; }
  const SocketAddress& remote() const { return remote_; }
  // The address the kernel bound us to; valid once open.
  const SocketAddress& local() const { return local_; }
  std::size_t queued_bytes() const { return queue_size_; }
  const TcpConnectionCounters& counters() const { return counters_; }
  int fd() const { return fd_; }

private:
  void on_event();
  void finish_connect();
  void read_available(TimePoint now);
  // Writes as much of the ring as the kernel takes; false when the connection failed meanwhile.
  bool flush();
  void enqueue(Bytes data);
  void update_write_interest();
  void fail(TcpClosed::Kind kind, int error, const char* what);

  EventLoop& loop_;
  SocketAddress remote_;
  SocketAddress local_;
  Handlers handlers_;
  int fd_ = -1;
  State state_ = State::connecting;
  TimerId connect_timer_ = kNoTimer;
  bool write_interest_ = false;

  std::vector<std::uint8_t> ring_; // fixed capacity; [queue_head_, +queue_size_) wraps
  std::size_t queue_head_ = 0;
  std::size_t queue_size_ = 0;
  std::vector<std::uint8_t> read_buffer_;
  TcpConnectionCounters counters_;
};

} // namespace wab::net

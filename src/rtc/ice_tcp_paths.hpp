#pragma once
// The ICE-TCP paths of one leg (RFC 6544 active side): one TCP connection per remote passive
// candidate, each an ice::PathId of its own, carrying RFC 4571 frames (STUN, DTLS, SRTP/SRTCP).
// Received frames are copied into one reused buffer with room for in-place growth, so the media
// path neither allocates nor lets a handler overwrite the next frame.
//
// Owns: the connections and their frame readers. Threads: the leg's loop thread only. The
// Listener outlives this object and must not destroy it from a callback.
#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "ice/candidate.hpp"
#include "ice/tcp_framing.hpp"
#include "net/event_loop.hpp"
#include "net/socket_address.hpp"
#include "net/tcp_connection.hpp"

namespace wab::rtc {

class IceTcpPaths {
public:
  // TCP paths are numbered from here, well clear of the socket (0) and of other path owners
  // (TURN allocations count up from 1).
  static constexpr ice::PathId kFirstPath = 0x8000;
  // One per remote passive candidate, up to this many per leg.
  static constexpr std::size_t kMaxPaths = 4;

  struct Listener {
    virtual ~Listener() = default;
    // The connection is open: ICE may pair and check over it.
    virtual void on_tcp_path_open(ice::PathId path, const net::SocketAddress& local,
                                  const net::SocketAddress& remote) = 0;
    // One frame; `frame.data()` starts a buffer of `capacity` bytes, valid during the call.
    virtual void on_tcp_frame(ice::PathId path, MutableBytes frame, std::size_t capacity,
                              const net::SocketAddress& from, TimePoint now) = 0;
    // The connection failed to open or ended (reset, end of stream, error).
    virtual void on_tcp_path_closed(ice::PathId path, const net::TcpClosed& why) = 0;
  };

  // `frame_capacity`: the largest frame delivered (larger ones are dropped and counted).
  IceTcpPaths(net::EventLoop& loop, Listener& listener, std::size_t frame_capacity,
              net::TcpConnectionOptions options = {});
  ~IceTcpPaths();
  IceTcpPaths(const IceTcpPaths&) = delete;
  IceTcpPaths& operator=(const IceTcpPaths&) = delete;

  // Starts connecting to a remote passive candidate. nullopt when that remote already has a path,
  // the limit is reached, or the socket cannot be created.
  std::optional<ice::PathId> connect(const net::SocketAddress& remote);
  bool owns(ice::PathId path) const { return find(path) != nullptr; }
  // Frames `datagram` and queues it on the path; false if the path is unknown, not open, the
  // datagram is too large to frame or the write queue is full.
  bool send(ice::PathId path, Bytes datagram);
  // Closes every connection without callbacks.
  void close_all();

  std::size_t size() const { return paths_.size(); }
  // Paths whose connection is connecting or open.
  std::size_t live() const;
  std::uint64_t oversize_frames() const { return oversize_frames_; }

private:
  struct Path {
    ice::PathId id = 0;
    net::SocketAddress remote;
    ice::FrameReader reader;
    std::unique_ptr<net::TcpConnection> connection;
  };
  Path* find(ice::PathId path) const;
  void on_data(Path& path, MutableBytes data, TimePoint now);

  net::EventLoop& loop_;
  Listener& listener_;
  net::TcpConnectionOptions options_;
  std::vector<std::uint8_t> frame_buffer_;
  std::vector<std::unique_ptr<Path>> paths_;
  ice::PathId next_path_ = kFirstPath;
  std::uint64_t oversize_frames_ = 0;
};

} // namespace wab::rtc

#include "rtc/ice_tcp_paths.hpp"

#include <cstring>
#include <system_error>

namespace wab::rtc {

IceTcpPaths::IceTcpPaths(net::EventLoop& loop, Listener& listener, std::size_t frame_capacity,
                         net::TcpConnectionOptions options)
    : loop_(loop), listener_(listener), options_(std::move(options)),
      frame_buffer_(frame_capacity) {}

IceTcpPaths::~IceTcpPaths() = default;

IceTcpPaths::Path* IceTcpPaths::find(ice::PathId path) const {
  for (const auto& p : paths_) {
    if (p->id == path) return p.get();
  }
  return nullptr;
}

std::optional<ice::PathId> IceTcpPaths::connect(const net::SocketAddress& remote) {
  if (paths_.size() >= kMaxPaths) return std::nullopt;
  for (const auto& p : paths_) {
    if (p->remote == remote) return std::nullopt;
  }
  auto path = std::make_unique<Path>();
  path->id = next_path_++;
  path->remote = remote;
  Path* raw = path.get();
  net::TcpConnection::Handlers handlers;
  handlers.on_connected = [this, raw] {
    listener_.on_tcp_path_open(raw->id, raw->connection->local(), raw->remote);
  };
  handlers.on_data = [this, raw](MutableBytes data, TimePoint now) { on_data(*raw, data, now); };
  handlers.on_closed = [this, raw](const net::TcpClosed& why) {
    listener_.on_tcp_path_closed(raw->id, why);
  };
  try {
    path->connection =
        std::make_unique<net::TcpConnection>(loop_, remote, options_, std::move(handlers));
  } catch (const std::system_error&) {
    return std::nullopt;
  }
  paths_.push_back(std::move(path));
  return raw->id;
}

void IceTcpPaths::on_data(Path& path, MutableBytes data, TimePoint now) {
  path.reader.feed(data, [&](MutableBytes frame) {
    if (path.connection->state() != net::TcpConnection::State::open) return;
    if (frame.size() > frame_buffer_.size()) {
      ++oversize_frames_;
      return;
    }
    // A copy: the handler may grow the packet in place, which would overwrite the next frame.
    std::memcpy(frame_buffer_.data(), frame.data(), frame.size());
    listener_.on_tcp_frame(path.id, MutableBytes(frame_buffer_.data(), frame.size()),
                           frame_buffer_.size(), path.remote, now);
  });
}

bool IceTcpPaths::send(ice::PathId id, Bytes datagram) {
  Path* path = find(id);
  if (path == nullptr || path->connection->state() != net::TcpConnection::State::open) {
    return false;
  }
  const auto header = ice::frame_header(datagram.size());
  if (!header) return false;
  return path->connection->send(Bytes(header->data(), header->size()), datagram);
}

std::size_t IceTcpPaths::live() const {
  std::size_t n = 0;
  for (const auto& p : paths_) {
    if (p->connection->state() != net::TcpConnection::State::closed) ++n;
  }
  return n;
}

void IceTcpPaths::close_all() {
  for (auto& p : paths_)
    p->connection->close();
}

} // namespace wab::rtc

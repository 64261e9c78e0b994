#include "rtc/relay_path.hpp"

#include <stdexcept>

namespace wab::rtc {
namespace {

turn::Client::Config client_config(const TurnServer& server) {
  turn::Client::Config c;
  c.username = server.username;
  c.password = server.password;
  c.stream = server.transport != turn::ServerTransport::udp;
  return c;
}

} // namespace

RelayPath::RelayPath(Owner& owner, net::EventLoop& loop, ice::PathId path, const TurnServer& server,
                     std::size_t message_capacity)
    : owner_(owner), loop_(loop), path_(path), server_address_(server.address),
      transport_(server.transport), url_(server.url), host_(server.host), tls_(server.tls_context),
      message_capacity_(message_capacity),
      client_(static_cast<turn::Client::Listener&>(*this), client_config(server)) {}

RelayPath::~RelayPath() = default;

void RelayPath::start(TimePoint now) {
  if (!over_socket() && !stream_ && !stream_failed_) {
    try {
      stream_ = std::make_unique<TurnStream>(
          loop_, static_cast<TurnStream::Listener&>(*this), server_address_,
          transport_ == turn::ServerTransport::tls ? tls_ : nullptr, host_, message_capacity_);
    } catch (const std::exception& e) {
      stream_failed_ = true;
      owner_.on_relay_failed(*this, std::string("turn connection failed: ") + e.what());
      return;
    }
  }
  client_.start(now);
}

bool RelayPath::settled() const {
  if (stream_failed_) return true;
  return client_.state() != turn::Client::State::idle &&
         client_.state() != turn::Client::State::allocating;
}

bool RelayPath::failed() const {
  return stream_failed_ || client_.state() == turn::Client::State::failed ||
         client_.state() == turn::Client::State::closed;
}

void RelayPath::handle_datagram(MutableBytes data, std::size_t capacity, TimePoint now) {
  handle_message(data, capacity, now);
}

void RelayPath::handle_message(MutableBytes data, std::size_t capacity, TimePoint now) {
  receive_end_ = data.data() + capacity;
  client_.handle_message(data, now);
  receive_end_ = nullptr;
}

bool RelayPath::send_to(const net::SocketAddress& peer, Bytes data, TimePoint now) {
  if (stream_failed_) return false;
  return client_.send_to(peer, data, now);
}

std::optional<TimePoint> RelayPath::next_timeout() const {
  if (stream_failed_) return std::nullopt;
  return client_.next_timeout();
}

void RelayPath::handle_timeout(TimePoint now) {
  if (!stream_failed_) client_.handle_timeout(now);
}

void RelayPath::close() {
  client_.close(); // deletes the allocation on the server (over the stream, while it is open)
  if (stream_) stream_->close();
}

void RelayPath::on_turn_send(Bytes message) {
  if (over_socket()) {
    owner_.on_relay_send(*this, message);
  } else if (stream_) {
    stream_->send(message);
  }
}

void RelayPath::on_turn_allocated(const net::SocketAddress&, const net::SocketAddress&) {
  owner_.on_relay_allocated(*this);
}

void RelayPath::on_turn_failed(const std::string& cause) {
  if (stream_failed_) return; // reported once, with the connection's cause
  // No answer because the connection never got ready: say what hung.
  if (stream_ && !stream_->ready()) {
    owner_.on_relay_failed(*this, stream_->stall_cause());
    return;
  }
  owner_.on_relay_failed(*this, cause);
}

void RelayPath::on_turn_data(const net::SocketAddress& peer, MutableBytes data, TimePoint now) {
  // The data sits after the ChannelData or Data indication header: only the rest of the buffer
  // is writable.
  if (receive_end_ == nullptr || data.data() + data.size() > receive_end_) return;
  owner_.on_relay_data(*this, peer, data, static_cast<std::size_t>(receive_end_ - data.data()),
                       now);
}

void RelayPath::on_turn_stream_message(MutableBytes message, std::size_t capacity, TimePoint now) {
  if (stream_failed_) return;
  handle_message(message, capacity, now);
  owner_.on_relay_progress(*this);
}

void RelayPath::on_turn_stream_closed(const std::string& cause) {
  if (stream_failed_) return;
  stream_failed_ = true;
  // The allocation cannot outlive its connection (RFC 6062 §4: the server deletes it); a client
  // that already failed has reported its own cause.
  if (client_.state() == turn::Client::State::failed ||
      client_.state() == turn::Client::State::closed) {
    return;
  }
  owner_.on_relay_failed(*this, cause);
}

} // namespace wab::rtc

#include "rtc/turn_stream.hpp"

#include <cstring>

namespace wab::rtc {

TurnStream::TurnStream(net::EventLoop& loop, Listener& listener, const net::SocketAddress& server,
                       std::shared_ptr<const tls::ClientContext> tls_context,
                       const std::string& host, std::size_t message_capacity)
    : listener_(listener), name_(tls_context ? "tls" : "tcp"), server_(server.to_string()),
      message_buffer_(message_capacity) {
  if (tls_context) {
    tls_ = std::make_unique<tls::ClientSession>(
        std::move(tls_context), static_cast<tls::ClientSession::Listener&>(*this), host);
  }
  net::TcpConnection::Handlers handlers;
  handlers.on_connected = [this] {
    if (tls_) tls_->start();
  };
  handlers.on_data = [this](MutableBytes data, TimePoint now) {
    if (tls_) {
      tls_->feed(data, now);
    } else {
      on_bytes(data, now);
    }
  };
  handlers.on_closed = [this](const net::TcpClosed& why) {
    end("turn " + name_ + " connection " +
        (why.kind == net::TcpClosed::Kind::connect_failed ||
                 why.kind == net::TcpClosed::Kind::connect_timeout
             ? "failed: "
             : "lost: ") +
        why.message);
  };
  // One leg's audio (50 packets a second of a few hundred bytes) plus control messages: 64 kB
  // rides out a second or more of a stalled connection without holding ICE-TCP's 256 kB per leg.
  net::TcpConnectionOptions options;
  options.write_queue_bytes = 64 * 1024;
  connection_ = std::make_unique<net::TcpConnection>(loop, server, options, std::move(handlers));
}

TurnStream::~TurnStream() = default;

bool TurnStream::send(Bytes message) {
  if (closed_) return false;
  if (tls_) return tls_->write(message);
  return connection_->send(message);
}

bool TurnStream::ready() const {
  if (closed_ || connection_->state() != net::TcpConnection::State::open) return false;
  return !tls_ || tls_->state() == tls::ClientSession::State::open;
}

std::string TurnStream::stall_cause() const {
  if (ready() || closed_) return {};
  if (connection_->state() != net::TcpConnection::State::open) {
    return "turn " + name_ + " connect did not complete (" + server_ + ")";
  }
  return "turn tls handshake did not complete (" + server_ + ")";
}

void TurnStream::close() {
  if (closed_) return;
  closed_ = true;
  if (tls_) tls_->close();
  connection_->close();
}

void TurnStream::on_bytes(Bytes data, TimePoint now) {
  const bool ok = reader_.feed(data, [&](MutableBytes message) {
    if (closed_) return;
    if (message.size() > message_buffer_.size()) {
      ++oversize_;
      return;
    }
    // A copy: relayed data may be grown in place (decrypted, rewritten, forwarded).
    std::memcpy(message_buffer_.data(), message.data(), message.size());
    listener_.on_turn_stream_message(MutableBytes(message_buffer_.data(), message.size()),
                                     message_buffer_.size(), now);
  });
  if (!ok) end("turn " + name_ + " stream out of sync: not STUN or ChannelData (" + server_ + ")");
}

void TurnStream::end(const std::string& cause) {
  if (closed_) return;
  closed_ = true;
  connection_->close();
  listener_.on_turn_stream_closed(cause);
}

void TurnStream::on_tls_output(Bytes ciphertext) {
  if (closed_) return;
  // Unlike a dropped TURN message over TCP (lost like a datagram), lost ciphertext breaks the
  // TLS stream for good.
  if (!connection_->send(ciphertext) && !closed_) {
    end("turn tls send queue full (" + server_ + ")");
  }
}

void TurnStream::on_tls_data(MutableBytes plaintext, TimePoint now) {
  on_bytes(plaintext, now);
}

void TurnStream::on_tls_failed(const std::string& cause) {
  end("turn tls " + cause + " (" + server_ + ")");
}

} // namespace wab::rtc

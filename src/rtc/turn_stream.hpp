#pragma once
// The connection of one TURN allocation made over TCP (`turn:…?transport=tcp`) or TLS
// (`turns:`): a net::TcpConnection, a tls::ClientSession on it for TLS, and the RFC 8656 stream
// framing (STUN messages and ChannelData padded to 4 bytes, turn::StreamReader). Messages for the
// server may be sent at once: TCP queues them while connecting, TLS until its handshake is done.
// Each received message is copied into one reused buffer of `message_capacity` bytes, so the
// receiver may grow relayed data in place (SRTP) without touching the next message, and nothing
// is allocated per message.
//
// Owns the connection, the TLS session and the reader. Threads: the loop's thread only. The
// Listener outlives the stream and must not destroy it from a callback.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "net/event_loop.hpp"
#include "net/socket_address.hpp"
#include "net/tcp_connection.hpp"
#include "tls/client_context.hpp"
#include "tls/client_session.hpp"
#include "turn/stream_reader.hpp"

namespace wab::rtc {

class TurnStream final : private tls::ClientSession::Listener {
public:
  struct Listener {
    virtual ~Listener() = default;
    // One message from the server; `capacity` bytes are writable from message.data().
    virtual void on_turn_stream_message(MutableBytes message, std::size_t capacity,
                                        TimePoint now) = 0;
    // The connection failed or ended (connect, TLS handshake or certificate, reset, end of
    // stream, broken framing); called at most once. `cause` is one line, free of secrets.
    virtual void on_turn_stream_closed(const std::string& cause) = 0;
  };

  // Starts connecting to `server`. With `tls_context` set the stream is TLS and the certificate
  // must name `host`. Throws std::runtime_error (std::system_error) when no socket or TLS session
  // can be created.
  TurnStream(net::EventLoop& loop, Listener& listener, const net::SocketAddress& server,
             std::shared_ptr<const tls::ClientContext> tls_context, const std::string& host,
             std::size_t message_capacity);
  ~TurnStream() override;
  TurnStream(const TurnStream&) = delete;
  TurnStream& operator=(const TurnStream&) = delete;

  // One whole message for the server. False when the stream is closed or its queue is full.
  bool send(Bytes message);
  // Closes without a callback (TLS sends close_notify first). Idempotent.
  void close();
  bool closed() const { return closed_; }
  // Connected (and, for TLS, the handshake done and the certificate verified).
  bool ready() const;
  // Why the stream is not ready yet, for a cause when the TURN answer never came (e.g. a server
  // that never finishes the TLS handshake); empty once ready.
  std::string stall_cause() const;
  // Messages larger than the capacity (dropped).
  std::uint64_t oversize_messages() const { return oversize_; }

private:
  void on_bytes(Bytes data, TimePoint now);
  void end(const std::string& cause);
  // tls::ClientSession::Listener
  void on_tls_output(Bytes ciphertext) override;
  void on_tls_connected() override {}
  void on_tls_data(MutableBytes plaintext, TimePoint now) override;
  void on_tls_failed(const std::string& cause) override;

  Listener& listener_;
  std::string name_; // "tcp" or "tls", for causes
  std::string server_;
  turn::StreamReader reader_;
  std::vector<std::uint8_t> message_buffer_;
  std::unique_ptr<tls::ClientSession> tls_;
  std::unique_ptr<net::TcpConnection> connection_;
  bool closed_ = false;
  std::uint64_t oversize_ = 0;
};

} // namespace wab::rtc

#pragma once
// RelayPath: one TURN allocation of a leg, used as an ICE local path (its relay candidate lives
// on `path()`). It owns the TURN client and, for TCP and TLS servers, the TurnStream its messages
// travel on; over UDP the Owner carries them on the leg's socket (on_relay_send) and hands back
// what the server's address sends (handle_datagram). The Owner learns what the allocation reports;
// a lost stream fails the relay like a lost allocation.
//
// Threading: belongs to the PeerTransport that created it; every call on that leg's thread.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "ice/candidate.hpp"
#include "net/event_loop.hpp"
#include "net/socket_address.hpp"
#include "rtc/turn_stream.hpp"
#include "tls/client_context.hpp"
#include "turn/client.hpp"
#include "turn/server_url.hpp"

namespace wab::rtc {

// One configured TURN server (resolved), with the credential it accepts.
struct TurnServer {
  std::string url; // for logs
  turn::ServerTransport transport = turn::ServerTransport::udp;
  std::string host; // as in the URL: the name a TLS certificate must carry
  net::SocketAddress address;
  std::string username;
  std::string password; // a secret: never logged
  // Trust anchors for `turns:` (shared by every leg); null for UDP and TCP.
  std::shared_ptr<const tls::ClientContext> tls_context;
};

class RelayPath final : private turn::Client::Listener, private TurnStream::Listener {
public:
  struct Owner {
    virtual ~Owner() = default;
    // UDP servers only: a message for the server, to go out on the leg's socket.
    virtual void on_relay_send(RelayPath& relay, Bytes message) = 0;
    virtual void on_relay_allocated(RelayPath& relay) = 0;
    virtual void on_relay_failed(RelayPath& relay, const std::string& cause) = 0;
    // Relayed data from `peer`; `capacity` bytes are writable from data.data().
    virtual void on_relay_data(RelayPath& relay, const net::SocketAddress& peer, MutableBytes data,
                               std::size_t capacity, TimePoint now) = 0;
    // The client's timers may have moved (a stream message was handled outside the Owner's call).
    virtual void on_relay_progress(RelayPath& relay) = 0;
  };

  // `message_capacity`: the receive buffer a stream message is copied into (the leg's datagram
  // capacity, so relayed media can be decrypted and forwarded in place).
  RelayPath(Owner& owner, net::EventLoop& loop, ice::PathId path, const TurnServer& server,
            std::size_t message_capacity);
  RelayPath(const RelayPath&) = delete;
  RelayPath& operator=(const RelayPath&) = delete;
  ~RelayPath() override;

  // Starts the allocation (for TCP/TLS: opens the connection first; its Allocate waits in it).
  void start(TimePoint now);
  // UDP only: a datagram from the server's address; `capacity` bytes writable from data.data().
  void handle_datagram(MutableBytes data, std::size_t capacity, TimePoint now);
  // Relays to `peer`; false when the relay failed or the client refuses.
  bool send_to(const net::SocketAddress& peer, Bytes data, TimePoint now);
  // The client's timers; none once the relay's connection is gone.
  std::optional<TimePoint> next_timeout() const;
  void handle_timeout(TimePoint now);
  // Deletes the allocation (best effort) and stops. Idempotent.
  void close();

  ice::PathId path() const { return path_; }
  const net::SocketAddress& server_address() const { return server_address_; }
  turn::ServerTransport transport() const { return transport_; }
  bool over_socket() const { return transport_ == turn::ServerTransport::udp; }
  const std::string& url() const { return url_; }
  turn::Client& client() { return client_; }
  const turn::Client& client() const { return client_; }
  // Allocated, or failed: gathering no longer waits for it.
  bool settled() const;
  // The allocation failed, was lost, or its connection ended.
  bool failed() const;

private:
  void on_turn_send(Bytes message) override;
  void on_turn_allocated(const net::SocketAddress& relayed,
                         const net::SocketAddress& mapped) override;
  void on_turn_failed(const std::string& cause) override;
  void on_turn_data(const net::SocketAddress& peer, MutableBytes data, TimePoint now) override;
  void on_turn_stream_message(MutableBytes message, std::size_t capacity, TimePoint now) override;
  void on_turn_stream_closed(const std::string& cause) override;
  void handle_message(MutableBytes data, std::size_t capacity, TimePoint now);

  Owner& owner_;
  net::EventLoop& loop_;
  ice::PathId path_;
  net::SocketAddress server_address_;
  turn::ServerTransport transport_;
  std::string url_;
  std::string host_;
  std::shared_ptr<const tls::ClientContext> tls_;
  std::size_t message_capacity_;
  turn::Client client_;
  std::unique_ptr<TurnStream> stream_; // TCP/TLS servers, from start()
  bool stream_failed_ = false;
  // End of the buffer the message being handled sits in: relayed data may grow up to there.
  const std::uint8_t* receive_end_ = nullptr;
};

} // namespace wab::rtc

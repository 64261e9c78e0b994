#pragma once
// RelayPath: one TURN allocation of a leg, used as an ICE local path (its relay candidate lives
// on `path()`). It owns the TURN client and tells its Owner what to send to the server (over the
// leg's UDP socket) and what the allocation reports.
//
// Threading: belongs to the PeerTransport that created it; every call on that leg's thread.
#include <memory>
#include <string>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "ice/candidate.hpp"
#include "net/socket_address.hpp"
#include "turn/client.hpp"

namespace wab::rtc {

// One configured TURN server (resolved), with the credential it accepts.
struct TurnServer {
  std::string url; // for logs
  net::SocketAddress address;
  std::string username;
  std::string password; // a secret: never logged
};

class RelayPath final : private turn::Client::Listener {
public:
  struct Owner {
    virtual ~Owner() = default;
    virtual void on_relay_send(RelayPath& relay, Bytes message) = 0;
    virtual void on_relay_allocated(RelayPath& relay) = 0;
    virtual void on_relay_failed(RelayPath& relay, const std::string& cause) = 0;
    virtual void on_relay_data(RelayPath& relay, const net::SocketAddress& peer, MutableBytes data,
                               TimePoint now) = 0;
  };

  RelayPath(Owner& owner, ice::PathId path, const TurnServer& server);
  RelayPath(const RelayPath&) = delete;
  RelayPath& operator=(const RelayPath&) = delete;
  ~RelayPath() override;

  ice::PathId path() const { return path_; }
  const net::SocketAddress& server_address() const { return server_address_; }
  const std::string& url() const { return url_; }
  turn::Client& client() { return client_; }
  const turn::Client& client() const { return client_; }
  // Allocated, or failed: gathering no longer waits for it.
  bool settled() const;

private:
  void on_turn_send(Bytes message) override;
  void on_turn_allocated(const net::SocketAddress& relayed,
                         const net::SocketAddress& mapped) override;
  void on_turn_failed(const std::string& cause) override;
  void on_turn_data(const net::SocketAddress& peer, MutableBytes data, TimePoint now) override;

  Owner& owner_;
  ice::PathId path_;
  net::SocketAddress server_address_;
  std::string url_;
  turn::Client client_;
};

} // namespace wab::rtc

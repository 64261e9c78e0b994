#pragma once
// A TURN client for one allocation (RFC 8656), sans-I/O: it takes the server's messages and
// `now`, and emits messages for the server, the allocation's state and relayed data through its
// Listener. The owner carries the bytes over UDP, TCP or TLS (over streams ChannelData is padded,
// see Config::stream).
//
// Allocate runs the long-term credential flow (401 → REALM/NONCE → MESSAGE-INTEGRITY with
// MD5(username:realm:password), 438 → new nonce), then the allocation is refreshed before it
// expires. Sending to a peer installs a permission for its IP and binds a channel to it (both
// refreshed while in use); until the channel is bound data goes in Send indications.
//
// Ownership and threads: owns its transactions, permissions, channels and keys; the Listener is
// owned by the caller and outlives the client. Every call comes from one thread. Callbacks must
// not destroy the client.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "net/socket_address.hpp"
#include "stun/constants.hpp"
#include "stun/integrity.hpp"
#include "stun/message.hpp"

namespace wab::turn {

class Client {
public:
  enum class State { idle, allocating, allocated, failed, closed };

  struct Listener {
    virtual ~Listener() = default;
    // One message for the server (a STUN message or ChannelData); valid only during the call.
    virtual void on_turn_send(Bytes message) = 0;
    virtual void on_turn_allocated(const net::SocketAddress& relayed,
                                   const net::SocketAddress& mapped) = 0;
    // The allocation failed or was lost; `cause` is one line, free of secrets.
    virtual void on_turn_failed(const std::string& cause) = 0;
    // Data a peer sent to our relayed address; the bytes may be modified in place.
    virtual void on_turn_data(const net::SocketAddress& peer, MutableBytes data, TimePoint now) = 0;
  };

  struct Config {
    std::string username;
    std::string password; // a secret: never logged, never in a cause
    bool stream = false;  // TCP/TLS to the server: reliable, ChannelData padded to 4 bytes
    std::uint32_t requested_lifetime_s = 600;
    Duration rto = milliseconds(250);           // first retransmission (UDP only)
    Duration rto_max = seconds(2);              // doubling stops here
    Duration request_timeout = seconds(5);      // no answer by then → the request failed
    Duration permission_refresh = seconds(240); // permissions last 300 s (RFC 8656 §9)
    Duration channel_refresh = seconds(540);    // channel bindings last 600 s (§12)
  };

  struct Counters {
    std::uint64_t malformed = 0;           // neither a valid STUN message nor ChannelData
    std::uint64_t unknown_transaction = 0; // a response to nothing we sent
    std::uint64_t bad_integrity = 0;       // a success response not signed with our key
    std::uint64_t unknown_channel = 0;
    std::uint64_t stale_nonces = 0;
    std::uint64_t retransmissions = 0;
    std::uint64_t data_sent = 0;     // ChannelData or Send indications
    std::uint64_t data_received = 0; // ChannelData or Data indications
    std::uint64_t send_failures = 0; // data that did not fit or had no channel/permission room
  };

  Client(Listener& listener, Config config);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  // Sends the first Allocate.
  void start(TimePoint now);
  // Deletes the allocation (Refresh with LIFETIME 0, sent once) and stops. Idempotent.
  void close();

  // A message from the server (one STUN message or one ChannelData message). Returns false when
  // it was invalid or not for us (counted); never throws.
  bool handle_message(MutableBytes message, TimePoint now);

  // Relays `data` to `peer`: ChannelData once a channel is bound, a Send indication before.
  // The first send to a peer creates its permission and channel. False before the allocation
  // exists or when the message cannot be built.
  bool send_to(const net::SocketAddress& peer, Bytes data, TimePoint now);

  std::optional<TimePoint> next_timeout() const;
  void handle_timeout(TimePoint now);

  State state() const { return state_; }
  const std::string& failure_cause() const { return failure_cause_; }
  const std::optional<net::SocketAddress>& relayed_address() const { return relayed_; }
  const std::optional<net::SocketAddress>& mapped_address() const { return mapped_; }
  // The channel bound (confirmed by the server) to `peer`, if any.
  std::optional<std::uint16_t> bound_channel(const net::SocketAddress& peer) const;
  bool has_permission(const net::SocketAddress& peer) const;
  const Counters& counters() const { return counters_; }

  static std::string_view to_string(State state);
  // The expiry of time-limited credentials (the TURN REST API form coturn's
  // --use-auth-secret checks: username "<unix time>:<name>" or "<unix time>"), if `username` has
  // that form.
  static std::optional<std::int64_t> rest_expiry(std::string_view username);

private:
  enum class Kind { allocate, refresh, permission, channel_bind };
  struct Transaction {
    stun::TransactionId id{};
    Kind kind = Kind::allocate;
    net::SocketAddress peer; // permission / channel_bind
    std::uint16_t channel = 0;
    std::uint32_t lifetime = 0; // refresh
    bool authenticated = false; // sent with MESSAGE-INTEGRITY
    int stale_retries = 0;
    TimePoint deadline{};
    TimePoint next_send{};
    Duration rto{};
    std::vector<std::uint8_t> message; // for retransmission (control messages only)
  };
  struct Permission {
    net::SocketAddress ip; // port ignored
    bool confirmed = false;
    TimePoint refresh_at{};
  };
  struct Channel {
    net::SocketAddress peer;
    std::uint16_t number = 0;
    bool bound = false;
    TimePoint refresh_at{};
  };

  // client.cpp: requests and timers.
  void send_request(Kind kind, const net::SocketAddress& peer, std::uint16_t channel,
                    std::uint32_t lifetime, TimePoint now, int stale_retries = 0);
  void build_and_send(Transaction& t);
  void fail(std::string cause);
  Permission* find_permission(const net::SocketAddress& peer);
  Channel* find_channel(const net::SocketAddress& peer);
  Channel* find_channel(std::uint16_t number);
  bool has_transaction(Kind kind, const net::SocketAddress& peer) const;
  void ensure_permission_and_channel(const net::SocketAddress& peer, TimePoint now);

  // client_receive.cpp: responses and incoming data.
  bool handle_stun(MutableBytes message, TimePoint now);
  bool handle_response(const stun::Message& m, TimePoint now);
  bool handle_data_indication(const stun::Message& m, MutableBytes message, TimePoint now);
  void on_success(const Transaction& t, const stun::Message& m, TimePoint now);
  void on_error(const Transaction& t, const stun::Message& m, TimePoint now);

  Listener& listener_;
  Config config_;
  State state_ = State::idle;
  std::string failure_cause_;
  std::string realm_;
  std::string nonce_;
  std::optional<stun::IntegrityKey> key_;
  std::optional<net::SocketAddress> relayed_;
  std::optional<net::SocketAddress> mapped_;
  std::optional<TimePoint> refresh_at_;
  std::vector<Transaction> transactions_;
  std::vector<Permission> permissions_;
  std::vector<Channel> channels_;
  std::uint16_t next_channel_ = 0x4000;
  Counters counters_;
  // Data messages are built here: no heap per relayed packet. Room for a full-size UDP payload
  // plus the Send indication's header and attributes.
  std::array<std::uint8_t, 2048> send_buffer_{};
};

} // namespace wab::turn

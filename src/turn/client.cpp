// TURN client: requests, retransmissions, refreshes and sending data. Responses and incoming data
// are handled in client_receive.cpp.
#include <algorithm>
#include <stdexcept>

#include "common/random.hpp"
#include "stun/builder.hpp"
#include "turn/channel_data.hpp"
#include "turn/client.hpp"

namespace wab::turn {
namespace {

// Bounds that keep a call that tries many peers from growing our state without limit.
constexpr std::size_t kMaxPermissions = 32;
constexpr std::size_t kMaxChannels = 32;
constexpr std::size_t kMaxTransactions = 64;
constexpr std::size_t kControlMessageSize = 1024;
constexpr std::uint32_t kRequestedTransportUdp = 17u << 24; // protocol 17 + RFFU

// Permissions are per IP address: the peer's port does not matter (RFC 8656 §9).
bool same_ip(const net::SocketAddress& a, const net::SocketAddress& b) {
  return a.is_v4() == b.is_v4() && std::equal(a.bytes(), a.bytes() + a.byte_length(), b.bytes());
}

} // namespace

Client::Client(Listener& listener, Config config)
    : listener_(listener), config_(std::move(config)) {
  if (config_.username.empty() || config_.password.empty()) {
    throw std::invalid_argument("TURN needs a username and a password");
  }
  transactions_.reserve(kMaxTransactions);
}

Client::~Client() = default;

std::string_view Client::to_string(State state) {
  switch (state) {
  case State::idle: return "idle";
  case State::allocating: return "allocating";
  case State::allocated: return "allocated";
  case State::failed: return "failed";
  case State::closed: return "closed";
  }
  return "?";
}

void Client::start(TimePoint now) {
  if (state_ != State::idle) return;
  state_ = State::allocating;
  send_request(Kind::allocate, {}, 0, config_.requested_lifetime_s, now);
}

void Client::close() {
  if (state_ == State::closed) return;
  if (state_ == State::allocated && key_) {
    // Best effort, sent once: the allocation would expire by itself anyway.
    Transaction t;
    random_bytes(t.id);
    t.kind = Kind::refresh;
    t.lifetime = 0;
    build_and_send(t);
  }
  state_ = State::closed;
  transactions_.clear();
}

void Client::fail(std::string cause) {
  if (state_ == State::failed || state_ == State::closed) return;
  state_ = State::failed;
  failure_cause_ = std::move(cause);
  transactions_.clear();
  listener_.on_turn_failed(failure_cause_);
}

// ---------------------------------------------------------------- requests

void Client::send_request(Kind kind, const net::SocketAddress& peer, std::uint16_t channel,
                          std::uint32_t lifetime, TimePoint now, int stale_retries) {
  if (transactions_.size() >= kMaxTransactions) return;
  Transaction t;
  random_bytes(t.id);
  t.kind = kind;
  t.peer = peer;
  t.channel = channel;
  t.lifetime = lifetime;
  t.stale_retries = stale_retries;
  t.deadline = now + config_.request_timeout;
  t.rto = config_.rto;
  t.next_send = config_.stream ? t.deadline : now + t.rto;
  build_and_send(t);
  if (!t.message.empty()) transactions_.push_back(std::move(t));
}

void Client::build_and_send(Transaction& t) {
  stun::Method method = stun::Method::allocate;
  switch (t.kind) {
  case Kind::allocate: method = stun::Method::allocate; break;
  case Kind::refresh: method = stun::Method::refresh; break;
  case Kind::permission: method = stun::Method::create_permission; break;
  case Kind::channel_bind: method = stun::Method::channel_bind; break;
  }
  t.message.assign(kControlMessageSize, 0);
  stun::MessageBuilder b(t.message, method, stun::MessageClass::request, t.id);
  switch (t.kind) {
  case Kind::allocate:
    b.add_u32(stun::attr::requested_transport, kRequestedTransportUdp);
    b.add_u32(stun::attr::lifetime, t.lifetime);
    break;
  case Kind::refresh: b.add_u32(stun::attr::lifetime, t.lifetime); break;
  case Kind::permission: b.add_xor_address(stun::attr::xor_peer_address, t.peer); break;
  case Kind::channel_bind:
    b.add_u32(stun::attr::channel_number, static_cast<std::uint32_t>(t.channel) << 16);
    b.add_xor_address(stun::attr::xor_peer_address, t.peer);
    break;
  }
  t.authenticated = key_.has_value();
  if (key_) {
    b.add_string(stun::attr::username, config_.username);
    b.add_string(stun::attr::realm, realm_);
    b.add_string(stun::attr::nonce, nonce_);
    b.add_message_integrity(*key_);
  }
  b.add_fingerprint();
  if (!b.ok()) {
    t.message.clear();
    return;
  }
  t.message.resize(b.size());
  listener_.on_turn_send(t.message);
}

// ---------------------------------------------------------------- timers

std::optional<TimePoint> Client::next_timeout() const {
  if (state_ == State::failed || state_ == State::closed || state_ == State::idle) {
    return std::nullopt;
  }
  std::optional<TimePoint> next;
  auto consider = [&next](TimePoint t) {
    if (!next || t < *next) next = t;
  };
  for (const Transaction& t : transactions_)
    consider(std::min(t.next_send, t.deadline));
  if (state_ == State::allocated) {
    if (refresh_at_) consider(*refresh_at_);
    for (const Permission& p : permissions_) {
      if (p.confirmed) consider(p.refresh_at);
    }
    for (const Channel& c : channels_) {
      if (c.bound) consider(c.refresh_at);
    }
  }
  return next;
}

void Client::handle_timeout(TimePoint now) {
  if (state_ == State::failed || state_ == State::closed || state_ == State::idle) return;
  for (std::size_t i = 0; i < transactions_.size();) {
    Transaction& t = transactions_[i];
    if (now >= t.deadline) {
      const Transaction expired = std::move(t);
      transactions_.erase(transactions_.begin() + static_cast<std::ptrdiff_t>(i));
      switch (expired.kind) {
      case Kind::allocate:
        fail("turn allocation failed: no answer from the TURN server (unreachable)");
        return;
      case Kind::refresh:
        if (expired.lifetime > 0) {
          fail("turn refresh failed: no answer from the TURN server");
          return;
        }
        break;
      case Kind::permission:
        permissions_.erase(std::remove_if(permissions_.begin(), permissions_.end(),
                                          [&](const Permission& p) {
                                            return !p.confirmed && same_ip(p.ip, expired.peer);
                                          }),
                           permissions_.end());
        break;
      case Kind::channel_bind:
        channels_.erase(std::remove_if(channels_.begin(), channels_.end(),
                                       [&](const Channel& c) {
                                         return !c.bound && c.number == expired.channel;
                                       }),
                        channels_.end());
        break;
      }
      continue;
    }
    if (!config_.stream && now >= t.next_send) {
      ++counters_.retransmissions;
      listener_.on_turn_send(t.message);
      t.rto = std::min(t.rto * 2, config_.rto_max);
      t.next_send = now + t.rto;
    }
    ++i;
  }
  if (state_ != State::allocated) return;
  if (refresh_at_ && now >= *refresh_at_ && !has_transaction(Kind::refresh, {})) {
    refresh_at_.reset();
    send_request(Kind::refresh, {}, 0, config_.requested_lifetime_s, now);
  }
  for (Permission& p : permissions_) {
    if (p.confirmed && now >= p.refresh_at && !has_transaction(Kind::permission, p.ip)) {
      p.refresh_at = now + config_.permission_refresh;
      send_request(Kind::permission, p.ip, 0, 0, now);
    }
  }
  for (Channel& c : channels_) {
    if (c.bound && now >= c.refresh_at && !has_transaction(Kind::channel_bind, c.peer)) {
      c.refresh_at = now + config_.channel_refresh;
      send_request(Kind::channel_bind, c.peer, c.number, 0, now);
    }
  }
}

bool Client::has_transaction(Kind kind, const net::SocketAddress& peer) const {
  return std::any_of(transactions_.begin(), transactions_.end(), [&](const Transaction& t) {
    if (t.kind != kind) return false;
    if (kind == Kind::permission) return same_ip(t.peer, peer);
    if (kind == Kind::channel_bind) return t.peer == peer;
    return true;
  });
}

// ---------------------------------------------------------------- peers and data

Client::Permission* Client::find_permission(const net::SocketAddress& peer) {
  for (Permission& p : permissions_) {
    if (same_ip(p.ip, peer)) return &p;
  }
  return nullptr;
}

Client::Channel* Client::find_channel(const net::SocketAddress& peer) {
  for (Channel& c : channels_) {
    if (c.peer == peer) return &c;
  }
  return nullptr;
}

Client::Channel* Client::find_channel(std::uint16_t number) {
  for (Channel& c : channels_) {
    if (c.number == number) return &c;
  }
  return nullptr;
}

bool Client::has_permission(const net::SocketAddress& peer) const {
  return std::any_of(permissions_.begin(), permissions_.end(),
                     [&](const Permission& p) { return p.confirmed && same_ip(p.ip, peer); });
}

std::optional<std::uint16_t> Client::bound_channel(const net::SocketAddress& peer) const {
  for (const Channel& c : channels_) {
    if (c.bound && c.peer == peer) return c.number;
  }
  return std::nullopt;
}

void Client::ensure_permission_and_channel(const net::SocketAddress& peer, TimePoint now) {
  if (find_permission(peer) == nullptr && permissions_.size() < kMaxPermissions) {
    permissions_.push_back(Permission{peer, false, now});
    send_request(Kind::permission, peer, 0, 0, now);
  }
  if (find_channel(peer) == nullptr && channels_.size() < kMaxChannels &&
      next_channel_ <= kLastChannel) {
    const std::uint16_t number = next_channel_++;
    channels_.push_back(Channel{peer, number, false, now});
    send_request(Kind::channel_bind, peer, number, 0, now);
  }
}

bool Client::send_to(const net::SocketAddress& peer, Bytes data, TimePoint now) {
  if (state_ != State::allocated || !peer.valid()) return false;
  ensure_permission_and_channel(peer, now);
  if (auto channel = bound_channel(peer)) {
    const std::size_t n = write_channel_data(send_buffer_, *channel, data, config_.stream);
    if (n == 0) {
      ++counters_.send_failures;
      return false;
    }
    ++counters_.data_sent;
    listener_.on_turn_send(Bytes(send_buffer_.data(), n));
    return true;
  }
  stun::TransactionId id;
  random_bytes(id);
  stun::MessageBuilder b(send_buffer_, stun::Method::send, stun::MessageClass::indication, id);
  b.add_xor_address(stun::attr::xor_peer_address, peer);
  b.add_bytes(stun::attr::data, data);
  if (!b.ok()) {
    ++counters_.send_failures;
    return false;
  }
  ++counters_.data_sent;
  listener_.on_turn_send(b.bytes());
  return true;
}

} // namespace wab::turn

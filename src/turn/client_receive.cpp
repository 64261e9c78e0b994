// TURN client: what the server sends — responses to our requests, Data indications and
// ChannelData.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <string>

#include "turn/channel_data.hpp"
#include "turn/client.hpp"

namespace wab::turn {
namespace {

// Our own names for the errors: the server's reason phrase is not trusted into logs.
std::string error_text(std::uint16_t code) {
  std::string name;
  switch (code) {
  case 400: name = "Bad Request"; break;
  case 401: name = "Unauthorized (credentials rejected)"; break;
  case 403: name = "Forbidden"; break;
  case 420: name = "Unknown Attribute"; break;
  case 437: name = "Allocation Mismatch"; break;
  case 438: name = "Stale Nonce"; break;
  case 440: name = "Address Family not Supported"; break;
  case 441: name = "Wrong Credentials"; break;
  case 442: name = "Unsupported Transport Protocol"; break;
  case 486: name = "Allocation Quota Reached"; break;
  case 500: name = "Server Error"; break;
  case 508: name = "Insufficient Capacity"; break;
  default: name = "error"; break;
  }
  return std::to_string(code) + " " + name;
}

// Refresh a little before the lifetime ends, leaving room for retransmissions.
Duration refresh_after(std::uint32_t lifetime_s) {
  const auto lifetime = seconds(lifetime_s);
  return lifetime_s > 120 ? lifetime - seconds(60) : lifetime / 2;
}

} // namespace

std::optional<std::int64_t> Client::rest_expiry(std::string_view username) {
  const std::string_view digits = username.substr(0, username.find(':'));
  std::int64_t at = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), at);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    return std::nullopt;
  }
  return at;
}

bool Client::handle_message(MutableBytes message, TimePoint now) {
  if (state_ == State::closed || state_ == State::failed || state_ == State::idle) return false;
  if (is_channel_data(message)) {
    auto cd = parse_channel_data(message);
    if (!cd) {
      ++counters_.malformed;
      return false;
    }
    const Channel* channel = find_channel(cd->channel);
    if (channel == nullptr) {
      ++counters_.unknown_channel;
      return false;
    }
    ++counters_.data_received;
    const auto offset = static_cast<std::size_t>(cd->data.data() - message.data());
    listener_.on_turn_data(channel->peer, message.subspan(offset, cd->data.size()), now);
    return true;
  }
  return handle_stun(message, now);
}

bool Client::handle_stun(MutableBytes message, TimePoint now) {
  auto m = stun::Message::parse(message);
  if (!m || (m->has_fingerprint() && !m->check_fingerprint())) {
    ++counters_.malformed;
    return false;
  }
  if (m->message_class() == stun::MessageClass::indication) {
    if (m->method() != static_cast<std::uint16_t>(stun::Method::data)) return false;
    return handle_data_indication(*m, message, now);
  }
  if (m->message_class() == stun::MessageClass::request) return false;
  return handle_response(*m, now);
}

bool Client::handle_data_indication(const stun::Message& m, MutableBytes message, TimePoint now) {
  const auto peer = m.xor_address(stun::attr::xor_peer_address);
  const auto data = m.find(stun::attr::data);
  if (!peer || !data || state_ != State::allocated) {
    ++counters_.malformed;
    return false;
  }
  ++counters_.data_received;
  const auto offset = static_cast<std::size_t>(data->data() - message.data());
  listener_.on_turn_data(*peer, message.subspan(offset, data->size()), now);
  return true;
}

bool Client::handle_response(const stun::Message& m, TimePoint now) {
  const auto id = m.transaction_id();
  auto it = std::find_if(transactions_.begin(), transactions_.end(), [&](const Transaction& t) {
    return std::equal(id.begin(), id.end(), t.id.begin());
  });
  if (it == transactions_.end()) {
    ++counters_.unknown_transaction;
    return false;
  }
  const bool success = m.message_class() == stun::MessageClass::success_response;
  // A success to an authenticated request must carry our MESSAGE-INTEGRITY (RFC 8489 §9.2.4);
  // anything else is forged or stale and is left to time out.
  if (success && it->authenticated && !m.check_integrity(*key_)) {
    ++counters_.bad_integrity;
    return false;
  }
  const Transaction t = std::move(*it);
  transactions_.erase(it);
  if (success) {
    on_success(t, m, now);
  } else {
    on_error(t, m, now);
  }
  return true;
}

void Client::on_success(const Transaction& t, const stun::Message& m, TimePoint now) {
  switch (t.kind) {
  case Kind::allocate: {
    if (state_ != State::allocating) return;
    const auto relayed = m.xor_address(stun::attr::xor_relayed_address);
    const auto mapped = m.xor_mapped_address();
    const auto lifetime = m.u32(stun::attr::lifetime);
    if (!relayed || !relayed->valid()) {
      fail("turn allocation failed: the answer has no relayed address");
      return;
    }
    relayed_ = relayed;
    if (mapped && mapped->valid()) mapped_ = mapped;
    refresh_at_ = now + refresh_after(lifetime.value_or(config_.requested_lifetime_s));
    state_ = State::allocated;
    listener_.on_turn_allocated(*relayed_, mapped_.value_or(net::SocketAddress{}));
    return;
  }
  case Kind::refresh: {
    const auto lifetime = m.u32(stun::attr::lifetime).value_or(t.lifetime);
    if (t.lifetime > 0 && lifetime > 0) refresh_at_ = now + refresh_after(lifetime);
    return;
  }
  case Kind::permission:
    for (Permission& p : permissions_) {
      if (p.ip.is_v4() == t.peer.is_v4() &&
          std::equal(p.ip.bytes(), p.ip.bytes() + p.ip.byte_length(), t.peer.bytes())) {
        p.confirmed = true;
        p.refresh_at = now + config_.permission_refresh;
      }
    }
    return;
  case Kind::channel_bind:
    if (Channel* c = find_channel(t.channel)) {
      c->bound = true;
      c->refresh_at = now + config_.channel_refresh;
    }
    return;
  }
}

void Client::on_error(const Transaction& t, const stun::Message& m, TimePoint now) {
  const auto error = m.error_code();
  const std::uint16_t code = error ? error->code : 0;
  // 401 to our first, unauthenticated Allocate: the challenge. 438: a new nonce, try again.
  const bool challenge = code == stun::error::unauthenticated && !t.authenticated;
  const bool stale = code == stun::error::stale_nonce && t.stale_retries < 2;
  if (challenge || stale) {
    const auto realm = m.realm();
    const auto nonce = m.nonce();
    if (nonce && (realm || !realm_.empty())) {
      if (stale) ++counters_.stale_nonces;
      if (realm && *realm != realm_) {
        realm_ = std::string(*realm);
        key_.reset();
      }
      nonce_ = std::string(*nonce);
      if (!key_)
        key_.emplace(stun::IntegrityKey::long_term(config_.username, realm_, config_.password));
      send_request(t.kind, t.peer, t.channel, t.lifetime, now, t.stale_retries + (stale ? 1 : 0));
      return;
    }
  }
  std::string text = code != 0 ? error_text(code) : std::string("malformed error response");
  // Time-limited credentials whose time has passed: say so (the server only says 401). Only this
  // text reads the wall clock; no timing depends on it.
  if (code == stun::error::unauthenticated) {
    const auto expiry = rest_expiry(config_.username);
    const auto unix_now = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    if (expiry && *expiry <= unix_now) {
      text = "401 Unauthorized (credentials rejected: time-limited credentials expired at unix "
             "time " +
             std::to_string(*expiry) + ")";
    }
  }
  switch (t.kind) {
  case Kind::allocate: fail("turn allocation failed: " + text); return;
  case Kind::refresh:
    if (t.lifetime > 0) fail("turn refresh failed: " + text);
    return;
  case Kind::permission:
  case Kind::channel_bind:
    // Credentials that stopped working end the allocation; other refusals only lose that peer.
    if (code == stun::error::unauthenticated || code == 441) {
      fail("turn permission failed: " + text);
      return;
    }
    if (t.kind == Kind::channel_bind) {
      channels_.erase(std::remove_if(channels_.begin(), channels_.end(),
                                     [&](const Channel& c) { return c.number == t.channel; }),
                      channels_.end());
    }
    return;
  }
}

} // namespace wab::turn

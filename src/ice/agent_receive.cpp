// Agent: incoming STUN — answering checks (with role-conflict resolution and peer-reflexive
// learning) and matching responses to our transactions.
#include <algorithm>

#include "ice/agent.hpp"
#include "stun/builder.hpp"

namespace wab::ice {

bool Agent::handle_stun(Bytes datagram, const net::SocketAddress& from, PathId path,
                        TimePoint now) {
  if (state_ == State::closed || state_ == State::failed) return false;
  last_now_ = now;
  auto m = stun::Message::parse(datagram);
  if (!m) {
    ++counters_.malformed;
    return false;
  }
  if (m->has_fingerprint() && !m->check_fingerprint()) {
    ++counters_.bad_fingerprint;
    return false;
  }
  if (m->method() != static_cast<std::uint16_t>(stun::Method::binding)) {
    ++counters_.unsupported;
    return false;
  }
  switch (m->message_class()) {
  case stun::MessageClass::request:
    // A path we hold no candidate on (e.g. the socket in relay-only mode) answers nothing.
    if (!has_local_path(path)) {
      ++counters_.unknown_path;
      return false;
    }
    return handle_request(*m, Route{path, from}, now);
  case stun::MessageClass::success_response:
  case stun::MessageClass::error_response: return handle_response(*m, Route{path, from}, now);
  case stun::MessageClass::indication: return true; // keepalive; nothing to do
  }
  return false;
}

bool Agent::handle_request(const stun::Message& m, const Route& from, TimePoint now) {
  // USERNAME must be "<our ufrag>:<theirs>"; anything else was meant for another agent.
  const auto user = m.username();
  const std::string& ufrag = config_.local_ufrag;
  if (!user || user->size() <= ufrag.size() || user->substr(0, ufrag.size()) != ufrag ||
      (*user)[ufrag.size()] != ':') {
    ++counters_.unknown_username;
    return false;
  }
  if (!m.check_integrity(local_key_)) {
    ++counters_.bad_integrity;
    return false;
  }
  if (!from.remote.valid()) return false;
  if (auto unknown = m.first_unknown_required()) {
    ++counters_.unsupported;
    send_error_response(m, from, stun::error::unknown_attribute, "Unknown Attribute", unknown);
    return true;
  }
  const auto priority = m.priority();
  const auto controlling = m.ice_controlling();
  const auto controlled = m.ice_controlled();
  if (!priority || (controlling && controlled)) {
    send_error_response(m, from, stun::error::bad_request, "Bad Request");
    return true;
  }

  // RFC 8445 §7.3.1.1: the larger tie-breaker keeps (or takes) the controlling role.
  if (role_ == Role::controlling && controlling) {
    ++counters_.role_conflicts;
    if (tie_breaker_ >= *controlling) {
      send_error_response(m, from, stun::error::role_conflict, "Role Conflict");
      return true;
    }
    switch_role(Role::controlled);
  } else if (role_ == Role::controlled && controlled) {
    ++counters_.role_conflicts;
    if (tie_breaker_ >= *controlled) {
      switch_role(Role::controlling);
    } else {
      send_error_response(m, from, stun::error::role_conflict, "Role Conflict");
      return true;
    }
  }

  send_success_response(m, from);
  ++counters_.requests_answered;

  CandidatePair* pair = find_pair(from);
  if (pair == nullptr) {
    // Peer-reflexive: an address the peer never signalled (NAT, or hidden behind mDNS).
    pair = add_pair(from, *priority);
    if (pair == nullptr) return true; // no local candidate of that family, or full
    const bool known = std::any_of(remote_candidates_.begin(), remote_candidates_.end(),
                                   [&](const Candidate& c) { return c.address == from.remote; });
    if (!known) {
      ++counters_.prflx_learned;
      if (remote_candidates_.size() < 32) {
        Candidate c;
        c.foundation = "prflx" + std::to_string(counters_.prflx_learned);
        c.type = CandidateType::prflx;
        c.priority = *priority;
        c.address = from.remote;
        remote_candidates_.push_back(std::move(c));
      }
    }
  }

  const bool nominated = role_ == Role::controlled && m.use_candidate();
  if (nominated) pair->remote_nominated = true;
  if (pair->valid && pair->state == PairState::succeeded) {
    if (nominated) select(*pair, now);
    return true;
  }
  // Triggered check (§7.3.1.4).
  if (pair->state == PairState::in_progress) {
    resend_in_progress(from, now);
  } else {
    pair->state = PairState::waiting;
    enqueue_triggered(from);
  }
  return true;
}

bool Agent::handle_response(const stun::Message& m, const Route& from, TimePoint now) {
  Transaction* found = find_transaction(m.transaction_id());
  if (found == nullptr) {
    ++counters_.unknown_transaction;
    return false;
  }
  const bool same_route = from.path == found->path && from.remote == found->to;
  if (found->kind == TransactionKind::gather) {
    if (!same_route) {
      ++counters_.asymmetric_response;
      return false;
    }
    const Transaction t = *found;
    erase_transaction(found);
    handle_gather_response(m, t);
    return true;
  }
  if (!remote_key_ || !m.check_integrity(*remote_key_)) {
    ++counters_.bad_integrity;
    return false;
  }
  // §7.2.5.2.1: a response must come from where the request went; otherwise ignore it and let
  // the transaction time out.
  if (!same_route) {
    ++counters_.asymmetric_response;
    return false;
  }
  const Transaction t = *found;
  erase_transaction(found);
  const Route route{t.path, t.to};
  CandidatePair* pair = find_pair(route);

  if (m.message_class() == stun::MessageClass::error_response) {
    const auto error = m.error_code();
    if (error && error->code == stun::error::role_conflict && t.kind != TransactionKind::consent) {
      // §7.2.5.1: take the role opposite to the one the request claimed, then retry.
      ++counters_.role_conflicts;
      switch_role(opposite(t.role_at_send));
      pair = find_pair(route); // the role switch re-sorted the pairs
      if (pair != nullptr) {
        pair->state = PairState::waiting;
        enqueue_triggered(route);
      }
      return true;
    }
    if (pair != nullptr && t.kind != TransactionKind::consent) {
      pair->state = PairState::failed;
      if (t.kind == TransactionKind::nomination) pair->valid = false;
      maybe_nominate(now);
    }
    return true;
  }

  if (selected_ && *selected_ == route) last_consent_ok_ = now;
  if (t.kind == TransactionKind::consent || pair == nullptr) return true;
  pair->valid = true;
  pair->state = PairState::succeeded;
  if (state_ == State::failed || state_ == State::closed) return true;
  if (t.kind == TransactionKind::nomination && role_ == Role::controlling) {
    select(*pair, now);
  } else if (role_ == Role::controlled && pair->remote_nominated) {
    select(*pair, now);
  } else {
    maybe_nominate(now);
  }
  return true;
}

void Agent::handle_gather_response(const stun::Message& m, const Transaction& t) {
  if (m.message_class() == stun::MessageClass::success_response) {
    const auto mapped = m.xor_mapped_address();
    const Candidate* base = nullptr;
    if (mapped && mapped->valid()) {
      for (const Candidate& c : local_candidates_) {
        if (c.type == CandidateType::host && c.path == kSocketPath &&
            c.address.is_v4() == mapped->is_v4() &&
            (base == nullptr || c.priority > base->priority)) {
          base = &c;
        }
      }
    }
    const bool known =
        mapped && std::any_of(local_candidates_.begin(), local_candidates_.end(),
                              [&](const Candidate& c) { return c.address == *mapped; });
    if (base != nullptr && !known) {
      Candidate c;
      c.type = CandidateType::srflx;
      c.address = *mapped;
      c.related = base->address;
      c.priority = candidate_priority(CandidateType::srflx,
                                      static_cast<std::uint16_t>((base->priority >> 8) & 0xFFFF));
      c.foundation = Candidate::make_foundation(CandidateType::srflx, base->address);
      local_candidates_.push_back(std::move(c));
    }
  }
  finish_gathering();
}

void Agent::send_success_response(const stun::Message& request, const Route& to) {
  stun::MessageBuilder b(send_buffer_, stun::Method::binding, stun::MessageClass::success_response,
                         request.transaction_id_copy());
  b.add_xor_mapped_address(to.remote);
  b.add_message_integrity(local_key_);
  b.add_fingerprint();
  if (b.ok()) listener_.on_ice_send(to.path, to.remote, b.bytes());
}

void Agent::send_error_response(const stun::Message& request, const Route& to, std::uint16_t code,
                                std::string_view reason,
                                std::optional<std::uint16_t> unknown_attribute) {
  stun::MessageBuilder b(send_buffer_, stun::Method::binding, stun::MessageClass::error_response,
                         request.transaction_id_copy());
  b.add_error_code(code, reason);
  if (unknown_attribute) {
    std::uint8_t v[2];
    store_be16(v, *unknown_attribute);
    b.add_bytes(stun::attr::unknown_attributes, v);
  }
  b.add_message_integrity(local_key_);
  b.add_fingerprint();
  if (b.ok()) listener_.on_ice_send(to.path, to.remote, b.bytes());
}

} // namespace wab::ice

#pragma once
// Internal bookkeeping of the ICE agent: candidate pairs and outstanding STUN transactions.
// Plain structs; owned by one Agent (one thread).
#include <cstdint>

#include "common/clock.hpp"
#include "net/socket_address.hpp"
#include "stun/constants.hpp"

namespace wab::ice {

enum class Role { controlling, controlled };

inline Role opposite(Role r) {
  return r == Role::controlling ? Role::controlled : Role::controlling;
}

enum class PairState { waiting, in_progress, succeeded, failed };

// Each leg has one dual-stack socket, so all our candidates share it and the kernel picks the
// source: a pair is identified by its remote address alone.
struct CandidatePair {
  net::SocketAddress remote;
  std::uint32_t local_priority = 0;  // our best host candidate of the remote's family
  std::uint32_t remote_priority = 0; // from SDP, or PRIORITY of the check that taught it (prflx)
  std::uint64_t priority = 0;        // RFC 8445 §6.1.2.3 for the current role
  PairState state = PairState::waiting;
  bool valid = false;            // a check we sent on it succeeded
  bool remote_nominated = false; // controlled: the peer sent USE-CANDIDATE on it
};

enum class TransactionKind { check, nomination, consent, gather };

struct Transaction {
  stun::TransactionId id{};
  TransactionKind kind = TransactionKind::check;
  net::SocketAddress to;
  Role role_at_send = Role::controlling;
  TimePoint last_sent{};
  TimePoint next_send{}; // next retransmission (or expiry after the last one)
  Duration rto{};
  int transmissions = 0;
  int max_transmissions = 1;
};

} // namespace wab::ice

#pragma once
// Internal bookkeeping of the ICE agent: candidate pairs and outstanding STUN transactions.
// Plain structs; owned by one Agent (one thread).
#include <cstdint>

#include "common/clock.hpp"
#include "ice/candidate.hpp"
#include "net/socket_address.hpp"
#include "stun/constants.hpp"

namespace wab::ice {

enum class Role { controlling, controlled };

inline Role opposite(Role r) {
  return r == Role::controlling ? Role::controlled : Role::controlling;
}

enum class PairState { waiting, in_progress, succeeded, failed };

// Where a check or a datagram goes: out of one of our local paths to one remote address.
struct Route {
  PathId path = kSocketPath;
  net::SocketAddress remote;
  friend bool operator==(const Route&, const Route&) = default;
};

// A pair is identified by (local path, remote address). The host candidates of the leg's
// dual-stack socket share path 0 and the kernel picks the source, so they form one pair per remote;
// a relay or TCP path has its own local candidate.
struct CandidatePair {
  PathId path = kSocketPath;
  net::SocketAddress remote;
  CandidateType local_type = CandidateType::host;
  std::uint32_t local_priority = 0;  // our best candidate on `path` of the remote's family
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
  PathId path = kSocketPath;
  net::SocketAddress to;
  Role role_at_send = Role::controlling;
  TimePoint last_sent{};
  TimePoint next_send{}; // next retransmission (or expiry after the last one)
  Duration rto{};
  int transmissions = 0;
  int max_transmissions = 1;
};

} // namespace wab::ice

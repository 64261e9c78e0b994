#pragma once
// An ICE candidate (RFC 8445 §5.1) and its SDP form (RFC 8839 §5.1). A value type; any thread.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/socket_address.hpp"

namespace wab::ice {

enum class CandidateType { host, srflx, prflx, relay };
enum class Transport { udp, tcp };

// Which local path a candidate lives on and a datagram travels: 0 is the leg's UDP socket; the
// owner numbers its other paths (a TURN allocation, a TCP connection) as it creates them.
using PathId = std::uint16_t;
inline constexpr PathId kSocketPath = 0;

std::string_view to_string(CandidateType type);

// RFC 8445 §5.1.2.2 recommended type preferences.
std::uint32_t type_preference(CandidateType type);
// (2^24)*type_pref + (2^8)*local_pref + (256 - component).
std::uint32_t candidate_priority(CandidateType type, std::uint16_t local_preference,
                                 int component = 1);
// RFC 8445 §6.1.2.3 pair priority; `g` is the controlling agent's candidate priority.
std::uint64_t pair_priority(std::uint32_t g, std::uint32_t d);

// RFC 6544 §4.5: who opens the TCP connection. Active candidates connect out (their port is
// written as 9), passive ones accept, simultaneous-open ones do both.
enum class TcpType { active, passive, so };

// RFC 6544 §4.2 priority of a TCP candidate: the local preference carries the direction
// preference (active 6, passive 4, so 2 for host candidates) above `other_preference` (13 bits),
// and the type preference is below every UDP host and srflx one, so UDP pairs win whenever their
// checks succeed and TCP is the fallback.
std::uint32_t tcp_candidate_priority(CandidateType type, TcpType tcp_type,
                                     std::uint16_t other_preference = 0x1fff, int component = 1);

struct Candidate {
  std::string foundation;
  int component = 1;
  Transport transport = Transport::udp;
  TcpType tcp_type = TcpType::passive; // TCP candidates only ("tcptype")
  std::uint32_t priority = 0;
  // Invalid when the peer gave an mDNS name (then `hostname` holds it) or a non-IP host.
  net::SocketAddress address;
  std::string hostname;
  CandidateType type = CandidateType::host;
  std::optional<net::SocketAddress> related; // raddr/rport, if given
  PathId path = kSocketPath;                 // our own candidates only; not part of the SDP

  // A candidate our agent can pair: UDP, component 1 and a numeric address.
  bool usable() const { return transport == Transport::udp && component == 1 && address.valid(); }

  // A TCP candidate we can reach by connecting to it: passive, component 1, numeric address.
  bool connectable_tcp() const {
    return transport == Transport::tcp && tcp_type == TcpType::passive && component == 1 &&
           address.valid() && address.port() != 0;
  }

  // "candidate:<foundation> 1 udp <priority> <ip> <port> typ <type> [raddr <ip> rport <port>]"
  // and, for TCP, " tcptype <active|passive|so>" (the value of an a= line, without "a=").
  std::string to_sdp_attribute() const;

  // Parses an a=candidate value, with or without the leading "a=" / "candidate:". Extension
  // tokens (generation, network-cost, ufrag, ...) are accepted and ignored; tcptype is kept. A host
  // name ending in ".local" (mDNS) parses with an invalid address; other non-numeric hosts and
  // syntax errors return nullopt.
  static std::optional<Candidate> parse(std::string_view text);

  // A foundation for one of our candidates: same type and base IP give the same foundation.
  static std::string make_foundation(CandidateType type, const net::SocketAddress& base);
};

} // namespace wab::ice

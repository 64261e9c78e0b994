#include "ice/candidate.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <vector>

namespace wab::ice {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char x = static_cast<char>(a[i] | 0x20), y = static_cast<char>(b[i] | 0x20);
    if (x != y) return false;
  }
  return true;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Splits on spaces and tabs, skipping empty tokens. At most `N` tokens; returns false when more.
template <std::size_t N>
bool split(std::string_view s, std::array<std::string_view, N>& out, std::size_t& count) {
  count = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
      ++i;
    if (i >= s.size()) break;
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t')
      ++j;
    if (count == N) return false;
    out[count++] = s.substr(i, j - i);
    i = j;
  }
  return true;
}

template <typename T> bool to_number(std::string_view s, T& out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::optional<CandidateType> parse_type(std::string_view s) {
  if (iequals(s, "host")) return CandidateType::host;
  if (iequals(s, "srflx")) return CandidateType::srflx;
  if (iequals(s, "prflx")) return CandidateType::prflx;
  if (iequals(s, "relay")) return CandidateType::relay;
  return std::nullopt;
}

bool valid_foundation(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s) {
    const bool ice_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!ice_char) return false;
  }
  return true;
}

} // namespace

std::string_view to_string(CandidateType type) {
  switch (type) {
  case CandidateType::host: return "host";
  case CandidateType::srflx: return "srflx";
  case CandidateType::prflx: return "prflx";
  case CandidateType::relay: return "relay";
  }
  return "host";
}

std::uint32_t type_preference(CandidateType type) {
  switch (type) {
  case CandidateType::host: return 126;
  case CandidateType::prflx: return 110;
  case CandidateType::srflx: return 100;
  case CandidateType::relay: return 0;
  }
  return 0;
}

std::uint32_t candidate_priority(CandidateType type, std::uint16_t local_preference,
                                 int component) {
  return (type_preference(type) << 24) + (std::uint32_t{local_preference} << 8) +
         static_cast<std::uint32_t>(256 - component);
}

std::uint64_t pair_priority(std::uint32_t g, std::uint32_t d) {
  const std::uint64_t lo = std::min(g, d), hi = std::max(g, d);
  return (lo << 32) + 2 * hi + (g > d ? 1 : 0);
}

std::uint32_t tcp_candidate_priority(CandidateType type, TcpType tcp_type,
                                     std::uint16_t other_preference, int component) {
  // Below the UDP preferences of the same type (RFC 6544 §4.2 lets TCP rank under UDP), so a TCP
  // host candidate ranks under UDP host and srflx but above any relay.
  std::uint32_t type_pref = 0;
  switch (type) {
  case CandidateType::host: type_pref = 90; break;
  case CandidateType::prflx: type_pref = 80; break;
  case CandidateType::srflx: type_pref = 65; break;
  case CandidateType::relay: type_pref = 0; break;
  }
  const std::uint32_t direction = tcp_type == TcpType::active    ? 6
                                  : tcp_type == TcpType::passive ? 4
                                                                 : 2;
  const std::uint32_t local_pref = (direction << 13) | (other_preference & 0x1fffu);
  return (type_pref << 24) | (local_pref << 8) | static_cast<std::uint32_t>(256 - component);
}

std::string Candidate::make_foundation(CandidateType type, const net::SocketAddress& base) {
  // FNV-1a over type and base IP: stable, short, and made of ice-chars (decimal digits).
  std::uint32_t h = 2166136261u;
  auto mix = [&h](std::uint8_t b) {
    h ^= b;
    h *= 16777619u;
  };
  mix(static_cast<std::uint8_t>(type));
  for (std::size_t i = 0; i < base.byte_length(); ++i)
    mix(base.bytes()[i]);
  return std::to_string(h);
}

std::string Candidate::to_sdp_attribute() const {
  std::string out = "candidate:";
  out += foundation;
  out += ' ';
  out += std::to_string(component);
  out += transport == Transport::udp ? " udp " : " tcp ";
  out += std::to_string(priority);
  out += ' ';
  out += address.valid() ? address.ip_string() : hostname;
  out += ' ';
  out += std::to_string(address.port());
  out += " typ ";
  out += to_string(type);
  if (related && related->valid()) {
    out += " raddr ";
    out += related->ip_string();
    out += " rport ";
    out += std::to_string(related->port());
  }
  if (transport == Transport::tcp) {
    out += " tcptype ";
    out += tcp_type == TcpType::active ? "active" : tcp_type == TcpType::passive ? "passive" : "so";
  }
  return out;
}

std::optional<Candidate> Candidate::parse(std::string_view text) {
  if (starts_with_ci(text, "a=")) text.remove_prefix(2);
  if (starts_with_ci(text, "candidate:")) text.remove_prefix(10);
  while (!text.empty() && (text.back() == '\r' || text.back() == '\n'))
    text.remove_suffix(1);

  std::array<std::string_view, 32> tok;
  std::size_t n = 0;
  if (!split(text, tok, n) || n < 8) return std::nullopt;

  Candidate c;
  if (!valid_foundation(tok[0])) return std::nullopt;
  c.foundation = std::string(tok[0]);
  if (!to_number(tok[1], c.component) || c.component < 1 || c.component > 256) return std::nullopt;
  if (iequals(tok[2], "udp")) {
    c.transport = Transport::udp;
  } else if (iequals(tok[2], "tcp")) {
    c.transport = Transport::tcp;
  } else {
    return std::nullopt;
  }
  if (!to_number(tok[3], c.priority)) return std::nullopt;
  std::uint16_t port = 0;
  if (!to_number(tok[5], port)) return std::nullopt;
  if (auto a = net::SocketAddress::parse(tok[4], port)) {
    c.address = *a;
  } else if (tok[4].size() > 6 && iequals(tok[4].substr(tok[4].size() - 6), ".local")) {
    c.hostname = std::string(tok[4]); // mDNS: we cannot resolve it; the peer turns up as prflx
    c.address.set_port(port);
  } else {
    return std::nullopt;
  }
  if (!iequals(tok[6], "typ")) return std::nullopt;
  auto type = parse_type(tok[7]);
  if (!type) return std::nullopt;
  c.type = *type;

  // Extensions come as name/value pairs; only raddr/rport mean something to us. A dangling
  // last token is tolerated: being strict here would only lose candidates.
  std::string_view raddr;
  std::optional<std::uint16_t> rport;
  for (std::size_t i = 8; i + 1 < n; i += 2) {
    if (iequals(tok[i], "raddr")) {
      raddr = tok[i + 1];
    } else if (iequals(tok[i], "tcptype")) {
      if (iequals(tok[i + 1], "active")) {
        c.tcp_type = TcpType::active;
      } else if (iequals(tok[i + 1], "passive")) {
        c.tcp_type = TcpType::passive;
      } else if (iequals(tok[i + 1], "so")) {
        c.tcp_type = TcpType::so;
      } else {
        return std::nullopt;
      }
    } else if (iequals(tok[i], "rport")) {
      std::uint16_t p = 0;
      if (!to_number(tok[i + 1], p)) return std::nullopt;
      rport = p;
    }
  }
  if (!raddr.empty() && rport) {
    // "0.0.0.0 rport 0" (hidden related address) is legal; keep whatever parses.
    if (auto r = net::SocketAddress::parse(raddr, *rport)) c.related = *r;
  }
  return c;
}

} // namespace wab::ice

#pragma once
// An IPv4 or IPv6 address with a port. IPv4-mapped IPv6 addresses (from a dual-stack socket) are
// stored as plain IPv4 so that the same peer always compares equal. A value type; any thread.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace wab::net {

class SocketAddress {
public:
  SocketAddress() = default;
  // From a kernel sockaddr (sockaddr_in or sockaddr_in6); returns nullopt for other families.
  static std::optional<SocketAddress> from_sockaddr(const sockaddr* sa, socklen_t len);
  // From a numeric IP text ("192.0.2.1", "::1", "[::1]" is not accepted) and a port.
  static std::optional<SocketAddress> parse(std::string_view ip, std::uint16_t port);
  // From raw bytes: 4 bytes for IPv4, 16 for IPv6 (v4-mapped folds to IPv4).
  static SocketAddress from_bytes(const std::uint8_t* bytes, std::size_t len, std::uint16_t port);

  bool is_v4() const { return family_ == AF_INET; }
  bool is_v6() const { return family_ == AF_INET6; }
  bool valid() const { return family_ != AF_UNSPEC; }
  std::uint16_t port() const { return port_; }
  void set_port(std::uint16_t port) { port_ = port; }
  // 4 or 16 bytes in network order.
  const std::uint8_t* bytes() const { return addr_; }
  std::size_t byte_length() const { return is_v4() ? 4 : 16; }
  bool is_loopback() const;
  bool is_link_local() const;

  // "192.0.2.1" / "2001:db8::1".
  std::string ip_string() const;
  // "192.0.2.1:5000" / "[2001:db8::1]:5000".
  std::string to_string() const;

  // Fills a sockaddr_in6 for a dual-stack socket (IPv4 as v4-mapped); returns its length.
  socklen_t to_sockaddr_v6(sockaddr_in6& out) const;
  // Fills the native family; returns its length.
  socklen_t to_sockaddr(sockaddr_storage& out) const;

  friend bool operator==(const SocketAddress& a, const SocketAddress& b);
  friend bool operator!=(const SocketAddress& a, const SocketAddress& b) { return !(a == b); }
  std::size_t hash() const;

private:
  int family_ = AF_UNSPEC;
  std::uint16_t port_ = 0;
  std::uint8_t addr_[16] = {};
};

} // namespace wab::net

template <> struct std::hash<wab::net::SocketAddress> {
  std::size_t operator()(const wab::net::SocketAddress& a) const noexcept { return a.hash(); }
};

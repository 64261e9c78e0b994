#pragma once
// Local addresses for ICE host candidates, and host:port resolution for a STUN server. Both block
// (getifaddrs / getaddrinfo): control plane only. Any thread.
#include <string_view>
#include <vector>

#include "net/socket_address.hpp"

namespace wab::net {

struct InterfaceQuery {
  bool include_loopback = false;
  bool include_ipv4 = true;
  bool include_ipv6 = true;
};

// Addresses (port 0) of interfaces that are up, in getifaddrs order, without duplicates. Always
// skips IPv6 link-local addresses (they need a scope id that ICE candidates cannot carry) and
// IPv4 link-local (169.254/16). Throws std::system_error if getifaddrs fails.
std::vector<SocketAddress> local_addresses(const InterfaceQuery& query = {});

// Resolves "host:port", "1.2.3.4:port" or "[v6]:port" to one address, preferring IPv4 (which
// every deployment can reach). Throws std::runtime_error naming the input on bad syntax or when
// the name does not resolve.
SocketAddress resolve_host_port(std::string_view host_port);

} // namespace wab::net

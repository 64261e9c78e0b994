#include "net/interfaces.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

namespace wab::net {
namespace {

struct IfAddrsDeleter {
  void operator()(ifaddrs* list) const { ::freeifaddrs(list); }
};
struct AddrInfoDeleter {
  void operator()(addrinfo* list) const { ::freeaddrinfo(list); }
};

[[noreturn]] void bad_input(std::string_view input, const std::string& why) {
  throw std::runtime_error("cannot resolve \"" + std::string(input) + "\": " + why);
}

} // namespace

std::vector<SocketAddress> local_addresses(const InterfaceQuery& query) {
  ifaddrs* raw = nullptr;
  if (::getifaddrs(&raw) != 0)
    throw std::system_error(errno, std::generic_category(), "getifaddrs");
  const std::unique_ptr<ifaddrs, IfAddrsDeleter> list(raw);

  std::vector<SocketAddress> out;
  for (const ifaddrs* it = list.get(); it != nullptr; it = it->ifa_next) {
    if (it->ifa_addr == nullptr || (it->ifa_flags & IFF_UP) == 0) continue;
    const int family = it->ifa_addr->sa_family;
    if (family == AF_INET && !query.include_ipv4) continue;
    if (family == AF_INET6 && !query.include_ipv6) continue;
    const socklen_t len = family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    const auto address = SocketAddress::from_sockaddr(it->ifa_addr, len);
    if (!address) continue; // AF_PACKET and friends
    const bool loopback = (it->ifa_flags & IFF_LOOPBACK) != 0 || address->is_loopback();
    if (loopback && !query.include_loopback) continue;
    if (address->is_link_local()) continue;
    if (std::find(out.begin(), out.end(), *address) == out.end()) out.push_back(*address);
  }
  return out;
}

SocketAddress resolve_host_port(std::string_view input) {
  std::string_view host;
  std::string_view port_text;
  if (!input.empty() && input.front() == '[') {
    const auto close = input.find(']');
    if (close == std::string_view::npos || close + 1 >= input.size() || input[close + 1] != ':') {
      bad_input(input, "expected [ipv6]:port");
    }
    host = input.substr(1, close - 1);
    port_text = input.substr(close + 2);
  } else {
    const auto colon = input.rfind(':');
    if (colon == std::string_view::npos) bad_input(input, "missing :port");
    host = input.substr(0, colon);
    port_text = input.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) bad_input(input, "IPv6 hosts need [brackets]");
  }
  if (host.empty()) bad_input(input, "empty host");
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535) {
    bad_input(input, "port must be 1-65535");
  }

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_protocol = IPPROTO_UDP;
  addrinfo* raw = nullptr;
  const std::string host_z(host);
  const int rc = ::getaddrinfo(host_z.c_str(), nullptr, &hints, &raw);
  if (rc != 0) bad_input(input, ::gai_strerror(rc));
  const std::unique_ptr<addrinfo, AddrInfoDeleter> list(raw);

  std::optional<SocketAddress> first;
  for (const addrinfo* it = list.get(); it != nullptr; it = it->ai_next) {
    auto address = SocketAddress::from_sockaddr(it->ai_addr, it->ai_addrlen);
    if (!address) continue;
    address->set_port(static_cast<std::uint16_t>(port));
    if (address->is_v4()) return *address;
    if (!first) first = address;
  }
  if (!first) bad_input(input, "no IPv4 or IPv6 address");
  return *first;
}

} // namespace wab::net

#include "net/socket_address.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace wab::net {
namespace {
constexpr std::uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
}

SocketAddress SocketAddress::from_bytes(const std::uint8_t* bytes, std::size_t len,
                                        std::uint16_t port) {
  SocketAddress a;
  a.port_ = port;
  if (len == 4) {
    a.family_ = AF_INET;
    std::memcpy(a.addr_, bytes, 4);
  } else if (len == 16 && std::memcmp(bytes, kV4MappedPrefix, 12) == 0) {
    a.family_ = AF_INET;
    std::memcpy(a.addr_, bytes + 12, 4);
  } else if (len == 16) {
    a.family_ = AF_INET6;
    std::memcpy(a.addr_, bytes, 16);
  }
  return a;
}

std::optional<SocketAddress> SocketAddress::from_sockaddr(const sockaddr* sa, socklen_t len) {
  if (sa == nullptr) return std::nullopt;
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    return from_bytes(reinterpret_cast<const std::uint8_t*>(&in->sin_addr), 4, ntohs(in->sin_port));
  }
  if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    return from_bytes(in6->sin6_addr.s6_addr, 16, ntohs(in6->sin6_port));
  }
  return std::nullopt;
}

std::optional<SocketAddress> SocketAddress::parse(std::string_view ip, std::uint16_t port) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (ip.empty() || ip.size() >= sizeof buf) return std::nullopt;
  std::memcpy(buf, ip.data(), ip.size());
  buf[ip.size()] = '\0';
  std::uint8_t raw[16];
  if (inet_pton(AF_INET, buf, raw) == 1) return from_bytes(raw, 4, port);
  if (inet_pton(AF_INET6, buf, raw) == 1) return from_bytes(raw, 16, port);
  return std::nullopt;
}

bool SocketAddress::is_loopback() const {
  if (is_v4()) return addr_[0] == 127;
  static constexpr std::uint8_t kLoop6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return is_v6() && std::memcmp(addr_, kLoop6, 16) == 0;
}

bool SocketAddress::is_link_local() const {
  if (is_v4()) return addr_[0] == 169 && addr_[1] == 254;
  return is_v6() && addr_[0] == 0xfe && (addr_[1] & 0xc0) == 0x80;
}

std::string SocketAddress::ip_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (is_v4()) {
    inet_ntop(AF_INET, addr_, buf, sizeof buf);
  } else if (is_v6()) {
    inet_ntop(AF_INET6, addr_, buf, sizeof buf);
  }
  return buf;
}

std::string SocketAddress::to_string() const {
  if (is_v6()) return "[" + ip_string() + "]:" + std::to_string(port_);
  return ip_string() + ":" + std::to_string(port_);
}

socklen_t SocketAddress::to_sockaddr_v6(sockaddr_in6& out) const {
  std::memset(&out, 0, sizeof out);
  out.sin6_family = AF_INET6;
  out.sin6_port = htons(port_);
  if (is_v4()) {
    std::memcpy(out.sin6_addr.s6_addr, kV4MappedPrefix, 12);
    std::memcpy(out.sin6_addr.s6_addr + 12, addr_, 4);
  } else {
    std::memcpy(out.sin6_addr.s6_addr, addr_, 16);
  }
  return sizeof out;
}

socklen_t SocketAddress::to_sockaddr(sockaddr_storage& out) const {
  std::memset(&out, 0, sizeof out);
  if (is_v4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&out);
    in->sin_family = AF_INET;
    in->sin_port = htons(port_);
    std::memcpy(&in->sin_addr, addr_, 4);
    return sizeof(sockaddr_in);
  }
  return to_sockaddr_v6(*reinterpret_cast<sockaddr_in6*>(&out));
}

bool operator==(const SocketAddress& a, const SocketAddress& b) {
  return a.family_ == b.family_ && a.port_ == b.port_ &&
         std::memcmp(a.addr_, b.addr_, a.byte_length()) == 0;
}

std::size_t SocketAddress::hash() const {
  std::size_t h = static_cast<std::size_t>(family_) * 1000003u ^ port_;
  for (std::size_t i = 0; i < byte_length(); ++i)
    h = h * 131u + addr_[i];
  return h;
}

} // namespace wab::net

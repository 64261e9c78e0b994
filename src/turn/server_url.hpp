#pragma once
// A TURN server URI (RFC 7065): "turn:host[:port][?transport=udp|tcp]" or "turns:host[:port]"
// (TLS over TCP). IPv6 literals go in brackets. A value type; any thread.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wab::turn {

enum class ServerTransport { udp, tcp, tls };

std::string_view to_string(ServerTransport transport);

struct ServerUrl {
  ServerTransport transport = ServerTransport::udp;
  std::string host; // a name or an IP literal (without brackets)
  std::uint16_t port = 3478;

  // Parses one URI; on failure returns nullopt and sets `error` to a one-line reason.
  static std::optional<ServerUrl> parse(std::string_view text, std::string& error);
  std::string to_string() const;
};

} // namespace wab::turn

#include "turn/server_url.hpp"

#include <charconv>

namespace wab::turn {

std::string_view to_string(ServerTransport transport) {
  switch (transport) {
  case ServerTransport::udp: return "udp";
  case ServerTransport::tcp: return "tcp";
  case ServerTransport::tls: return "tls";
  }
  return "udp";
}

std::optional<ServerUrl> ServerUrl::parse(std::string_view text, std::string& error) {
  ServerUrl url;
  std::string_view rest;
  if (text.starts_with("turn:")) {
    rest = text.substr(5);
  } else if (text.starts_with("turns:")) {
    rest = text.substr(6);
    url.transport = ServerTransport::tls;
    url.port = 5349;
  } else {
    error = "a TURN URL starts with turn: or turns:";
    return std::nullopt;
  }
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view host = rest;
  std::string_view port;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) {
      error = "unclosed [ in the TURN URL host";
      return std::nullopt;
    }
    host = rest.substr(1, close - 1);
    const std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        error = "unexpected text after the TURN URL host";
        return std::nullopt;
      }
      port = after.substr(1);
    }
  } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty() || host.find_first_of("/@ ") != std::string_view::npos) {
    error = "the TURN URL needs a host";
    return std::nullopt;
  }
  url.host = std::string(host);
  if (!port.empty() || rest.ends_with(':')) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || value == 0 ||
        value > 65535) {
      error = "bad TURN URL port";
      return std::nullopt;
    }
    url.port = static_cast<std::uint16_t>(value);
  }
  if (!query.empty()) {
    if (query == "transport=udp" && url.transport != ServerTransport::tls) {
      url.transport = ServerTransport::udp;
    } else if (query == "transport=tcp") {
      if (url.transport != ServerTransport::tls) url.transport = ServerTransport::tcp;
    } else {
      error = "TURN URL query must be transport=udp or transport=tcp (turns: is always TLS)";
      return std::nullopt;
    }
  }
  return url;
}

std::string ServerUrl::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  std::string out = transport == ServerTransport::tls ? "turns:" : "turn:";
  out += v6 ? "[" + host + "]" : host;
  out += ":" + std::to_string(port);
  if (transport == ServerTransport::tcp) out += "?transport=tcp";
  return out;
}

} // namespace wab::turn

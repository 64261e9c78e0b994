#include "cluster/redis_url.hpp"

#include <charconv>

namespace wab::cluster {
namespace {

std::uint64_t parse_decimal(std::string_view text, std::uint64_t max, const char* what) {
  std::uint64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value > max) {
    throw std::invalid_argument(std::string("REDIS_URL: bad ") + what + " '" + std::string(text) +
                                "'");
  }
  return value;
}

} // namespace

std::string RedisUrl::describe() const {
  std::string out = "redis://";
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  out += ":" + std::to_string(port) + "/" + std::to_string(db);
  return out;
}

RedisUrl parse_redis_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (url.substr(0, scheme.size()) != scheme) {
    throw std::invalid_argument("REDIS_URL: expected redis://[:password@]host[:port][/db]");
  }
  std::string_view rest = url.substr(scheme.size());
  RedisUrl out;
  // The password may hold '@' or '/': the last '@' ends the credentials.
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    // "user:password" (Redis 6 ACL user names are not supported: only the default user).
    const auto colon = credentials.find(':');
    if (colon == std::string_view::npos) {
      throw std::invalid_argument("REDIS_URL: credentials must be ':password@' (password omitted)");
    }
    if (colon != 0 && credentials.substr(0, colon) != "default") {
      throw std::invalid_argument("REDIS_URL: only the default user is supported");
    }
    out.password = std::string(credentials.substr(colon + 1));
    if (out.password.empty()) throw std::invalid_argument("REDIS_URL: empty password");
  }
  std::string_view authority = rest;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    authority = rest.substr(0, slash);
    const std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) out.db = static_cast<unsigned>(parse_decimal(db, 1'000'000, "database"));
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') { // [IPv6]:port
    const auto close = authority.find(']');
    if (close == std::string_view::npos) throw std::invalid_argument("REDIS_URL: unclosed '['");
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw std::invalid_argument("REDIS_URL: junk after ']'");
      port = after.substr(1);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) throw std::invalid_argument("REDIS_URL: no host");
  for (const char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_' || c == ':';
    if (!ok) throw std::invalid_argument("REDIS_URL: bad character in host");
  }
  out.host = std::string(host);
  if (!port.empty() || authority.back() == ':') {
    out.port = static_cast<std::uint16_t>(parse_decimal(port, 65535, "port"));
    if (out.port == 0) throw std::invalid_argument("REDIS_URL: port 0");
  }
  return out;
}

} // namespace wab::cluster

#pragma once
// REDIS_URL: redis://[[user]:password@]host[:port][/db]. Pure parsing, any thread.
//
// The password is a secret: describe() and every error message leave it out.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace wab::cluster {

struct RedisUrl {
  std::string host;
  std::uint16_t port = 6379;
  std::string password; // empty: no AUTH
  unsigned db = 0;      // SELECT when not 0

  // "redis://host:port/db", without the password: for logs.
  std::string describe() const;
};

// Throws std::invalid_argument with a message that never contains the password.
RedisUrl parse_redis_url(std::string_view url);

} // namespace wab::cluster

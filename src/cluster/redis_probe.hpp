#pragma once
// `wabridge check`'s look at REDIS_URL: connect, AUTH, SELECT, PING, then close. Blocking (at
// most about `timeout` per step): for the check command, never inside the server.
#include <string>

#include "cluster/redis_url.hpp"
#include "common/clock.hpp"

namespace wab::cluster {

// "" when Redis answered PING; otherwise what went wrong (never the password).
std::string probe_redis(const RedisUrl& url, Duration timeout);

} // namespace wab::cluster

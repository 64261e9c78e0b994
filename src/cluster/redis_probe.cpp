#include "cluster/redis_probe.hpp"

#include <hiredis/hiredis.h>

#include <memory>
#include <vector>

namespace wab::cluster {
namespace {

struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};

// One command; "" when it did not fail.
std::string run(redisContext* c, const std::vector<std::string>& argv) {
  std::vector<const char*> args;
  std::vector<std::size_t> lengths;
  for (const auto& a : argv) {
    args.push_back(a.data());
    lengths.push_back(a.size());
  }
  std::unique_ptr<redisReply, ReplyFree> reply(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), args.data(), lengths.data())));
  if (!reply) return c->errstr[0] != 0 ? c->errstr : "no answer";
  if (reply->type == REDIS_REPLY_ERROR) return std::string(reply->str, reply->len).substr(0, 200);
  return {};
}

} // namespace

std::string probe_redis(const RedisUrl& url, Duration timeout) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  const timeval tv{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
  std::unique_ptr<redisContext, ContextFree> c(
      redisConnectWithTimeout(url.host.c_str(), url.port, tv));
  if (!c) return "out of memory";
  if (c->err != 0) return std::string("cannot connect: ") + c->errstr;
  redisSetTimeout(c.get(), tv);
  if (!url.password.empty()) {
    if (auto e = run(c.get(), {"AUTH", url.password}); !e.empty()) return "AUTH refused: " + e;
  }
  if (url.db != 0) {
    if (auto e = run(c.get(), {"SELECT", std::to_string(url.db)}); !e.empty()) {
      return "SELECT refused: " + e;
    }
  }
  if (auto e = run(c.get(), {"PING"}); !e.empty()) return "PING failed: " + e;
  return {};
}

} // namespace wab::cluster

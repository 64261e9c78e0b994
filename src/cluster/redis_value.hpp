#pragma once
// A Redis reply copied out of hiredis: callers never hold a redisReply (hiredis frees it once the
// callback returns). Value type, any thread.
#include <cstdint>
#include <string>
#include <vector>

struct redisReply;

namespace wab::cluster {

struct RedisValue {
  enum class Kind { nil, integer, string, status, array, error };
  Kind kind = Kind::nil;
  std::int64_t integer = 0;
  std::string text; // string, status or error text
  std::vector<RedisValue> elements;

  bool is_error() const { return kind == Kind::error; }
  bool is_nil() const { return kind == Kind::nil; }
  // The i-th element's text, or "" when there is none.
  const std::string& element_text(std::size_t i) const;

  static RedisValue error(std::string message);
};

// Depth-limited copy (Redis replies of ours are at most two levels deep).
RedisValue copy_reply(const redisReply* reply);

} // namespace wab::cluster

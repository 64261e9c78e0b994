#include "cluster/redis_value.hpp"

#include <hiredis/hiredis.h>

namespace wab::cluster {
namespace {

RedisValue copy(const redisReply* reply, int depth) {
  RedisValue out;
  if (reply == nullptr) return RedisValue::error("no reply (connection lost)");
  switch (reply->type) {
  case REDIS_REPLY_INTEGER:
    out.kind = RedisValue::Kind::integer;
    out.integer = reply->integer;
    break;
  case REDIS_REPLY_STRING:
  case REDIS_REPLY_STATUS:
  case REDIS_REPLY_ERROR:
    out.kind = reply->type == REDIS_REPLY_STRING   ? RedisValue::Kind::string
               : reply->type == REDIS_REPLY_STATUS ? RedisValue::Kind::status
                                                   : RedisValue::Kind::error;
    out.text.assign(reply->str, reply->len);
    break;
  case REDIS_REPLY_ARRAY:
    out.kind = RedisValue::Kind::array;
    if (depth >= 4) return RedisValue::error("reply nested too deep");
    out.elements.reserve(reply->elements);
    for (std::size_t i = 0; i < reply->elements; ++i)
      out.elements.push_back(copy(reply->element[i], depth + 1));
    break;
  default: break; // nil
  }
  return out;
}

} // namespace

const std::string& RedisValue::element_text(std::size_t i) const {
  static const std::string empty;
  return i < elements.size() ? elements[i].text : empty;
}

RedisValue RedisValue::error(std::string message) {
  RedisValue v;
  v.kind = Kind::error;
  v.text = std::move(message);
  return v;
}

RedisValue copy_reply(const redisReply* reply) {
  return copy(reply, 0);
}

} // namespace wab::cluster

#include "cluster/scripts.hpp"

#include <openssl/sha.h>

namespace wab::cluster {
namespace {

std::string sha1_hex(std::string_view text) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

// KEYS: call key, number set, node's call hash. ARGV: node, phone_number_id, call id, ttl ms,
// per-number limit, ms an ended call is remembered, "1" if this node is draining. A call over
// the limit or refused by a draining node is remembered as ended too: it is rejected, and its
// retried connect must not start it on any node later. A draining node never records a call as
// its own (it holds no place of the number), yet answers a repeat of a live call as such, so it
// never rejects a call another node holds.
constexpr std::string_view kClaim = R"lua(
local v = redis.call('GET', KEYS[1])
if v then return {'exists', v} end
if ARGV[7] == '1' then
  redis.call('SET', KEYS[1], 'ended', 'PX', ARGV[6])
  return {'draining', ''}
end
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[5]) then
  redis.call('SET', KEYS[1], 'ended', 'PX', ARGV[6])
  return {'limit', ''}
end
redis.call('SET', KEYS[1], 'live|' .. ARGV[1] .. '|' .. ARGV[2], 'PX', ARGV[4])
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[3], ARGV[2])
return {'claimed', ''}
)lua";

// KEYS: call key, number set, node's call hash. ARGV: node, call id, ms an ended call is
// remembered. Another node's record (it took the orphan) is left alone.
constexpr std::string_view kRelease = R"lua(
local v = redis.call('GET', KEYS[1])
local mine = 'live|' .. ARGV[1] .. '|'
if not v or string.sub(v, 1, #mine) == mine then
  redis.call('SET', KEYS[1], 'ended', 'PX', ARGV[3])
end
redis.call('SREM', KEYS[2], ARGV[2])
redis.call('HDEL', KEYS[3], ARGV[2])
return 1
)lua";

// KEYS: node heartbeat, nodes set, node's call hash. ARGV: node, ttl ms, state (up|draining),
// key prefix, then call id and phone_number_id pairs of the node's live calls. A call whose key
// is missing (Redis restarted or was unreachable) is recorded again; one that ended or belongs
// to another node is reported back.
constexpr std::string_view kRefresh = R"lua(
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
local mine = 'live|' .. ARGV[1] .. '|'
local taken = {}
for i = 5, #ARGV - 1, 2 do
  local id, pn = ARGV[i], ARGV[i + 1]
  local k = ARGV[4] .. 'call:' .. id
  local v = redis.call('GET', k)
  if not v or string.sub(v, 1, #mine) == mine then
    redis.call('SET', k, mine .. pn, 'PX', ARGV[2])
    redis.call('HSET', KEYS[3], id, pn)
    redis.call('SADD', ARGV[4] .. 'number:' .. pn, id)
  else
    table.insert(taken, id)
  end
end
return taken
)lua";

// KEYS: nodes set. ARGV: key prefix, ms an ended call is remembered. Each call of a node whose
// heartbeat expired is marked ended and returned exactly once, to the one node whose sweep ran
// first.
constexpr std::string_view kSweep = R"lua(
local out = {}
for _, n in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. 'node:' .. n) == 0 then
    local hash = ARGV[1] .. 'node:' .. n .. ':calls'
    local calls = redis.call('HGETALL', hash)
    local mine = 'live|' .. n .. '|'
    for i = 1, #calls - 1, 2 do
      local id, pn = calls[i], calls[i + 1]
      local k = ARGV[1] .. 'call:' .. id
      local v = redis.call('GET', k)
      redis.call('SREM', ARGV[1] .. 'number:' .. pn, id)
      if not v or string.sub(v, 1, #mine) == mine then
        redis.call('SET', k, 'ended', 'PX', ARGV[2])
        table.insert(out, id)
        table.insert(out, pn)
        table.insert(out, n)
      end
    end
    redis.call('DEL', hash)
    redis.call('SREM', KEYS[1], n)
  end
end
return out
)lua";

// KEYS: nodes set. ARGV: key prefix.
constexpr std::string_view kStats = R"lua(
local nodes, draining, calls = 0, 0, 0
for _, n in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local state = redis.call('GET', ARGV[1] .. 'node:' .. n)
  if state then
    nodes = nodes + 1
    if state == 'draining' then draining = draining + 1 end
    calls = calls + redis.call('HLEN', ARGV[1] .. 'node:' .. n .. ':calls')
  end
end
return {nodes, draining, calls}
)lua";

} // namespace

const Script& claim_script() {
  static const Script script{kClaim, sha1_hex(kClaim)};
  return script;
}
const Script& release_script() {
  static const Script script{kRelease, sha1_hex(kRelease)};
  return script;
}
const Script& refresh_script() {
  static const Script script{kRefresh, sha1_hex(kRefresh)};
  return script;
}
const Script& sweep_script() {
  static const Script script{kSweep, sha1_hex(kSweep)};
  return script;
}
const Script& stats_script() {
  static const Script script{kStats, sha1_hex(kStats)};
  return script;
}

} // namespace wab::cluster

#pragma once
// The names wabridge uses in Redis, all under one prefix (docs/ARCHITECTURE.md, "Cluster mode"):
//   wabridge:call:<call_id>        "live|<node>|<phone_number_id>" (expires unless its owner
//                                  refreshes it) or "ended" (kept a while: retries start nothing)
//   wabridge:number:<phone_number_id>  set of the number's live call ids (the per-number limit)
//   wabridge:node:<node>           heartbeat: "up" or "draining", expires unless refreshed
//   wabridge:node:<node>:calls     hash call_id → phone_number_id of the node's calls
//   wabridge:nodes                 set of node ids that ever beat (dead ones are swept out)
//   wabridge:deliver:<node>        pub/sub channel: webhooks for the node's calls
// Pure functions, any thread.
#include <string>
#include <string_view>

namespace wab::cluster::keys {

inline constexpr std::string_view kPrefix = "wabridge:";

std::string call(std::string_view call_id);
std::string number(std::string_view phone_number_id);
std::string node(std::string_view node_id);
std::string node_calls(std::string_view node_id);
std::string nodes();
std::string delivery_channel(std::string_view node_id);

// What a call key holds, parsed.
struct CallRecord {
  enum class State { absent, live, ended, unreadable };
  State state = State::absent;
  std::string node;
  std::string phone_number_id;
};
CallRecord parse_call_record(std::string_view value);
std::string live_record(std::string_view node_id, std::string_view phone_number_id);

// NODE_ID: 1–64 characters of [A-Za-z0-9._-] (it is part of key names and values).
bool valid_node_id(std::string_view node_id);

} // namespace wab::cluster::keys

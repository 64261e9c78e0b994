#pragma once
// The Lua scripts that make each cluster step atomic in Redis (a script runs alone: no other
// client sees half of it). Their KEYS/ARGV are documented in scripts.cpp. Constants, any thread.
#include <string>
#include <string_view>

namespace wab::cluster {

struct Script {
  std::string_view source;
  std::string sha1; // hex, for EVALSHA
};

// Take a call: answers {"claimed"|"limit"|"draining"|"exists", record}.
const Script& claim_script();
// Give a call up (it ended here).
const Script& release_script();
// Heartbeat, and re-record this node's live calls; answers the ids another node holds now.
const Script& refresh_script();
// Find nodes whose heartbeat expired and take their calls: answers [id, number, node]...
const Script& sweep_script();
// Cluster figures: {live nodes, draining nodes, calls}.
const Script& stats_script();

} // namespace wab::cluster

#include "cluster/keys.hpp"

namespace wab::cluster::keys {
namespace {

std::string join(std::string_view kind, std::string_view id, std::string_view suffix = {}) {
  std::string out(kPrefix);
  out.append(kind).append(id).append(suffix);
  return out;
}

} // namespace

std::string call(std::string_view call_id) {
  return join("call:", call_id);
}
std::string number(std::string_view phone_number_id) {
  return join("number:", phone_number_id);
}
std::string node(std::string_view node_id) {
  return join("node:", node_id);
}
std::string node_calls(std::string_view node_id) {
  return join("node:", node_id, ":calls");
}
std::string nodes() {
  return join("nodes", "");
}
std::string delivery_channel(std::string_view node_id) {
  return join("deliver:", node_id);
}

std::string live_record(std::string_view node_id, std::string_view phone_number_id) {
  std::string out = "live|";
  out.append(node_id).append("|").append(phone_number_id);
  return out;
}

CallRecord parse_call_record(std::string_view value) {
  CallRecord out;
  if (value == "ended") {
    out.state = CallRecord::State::ended;
    return out;
  }
  constexpr std::string_view live = "live|";
  const auto bar = value.find('|', live.size());
  if (value.substr(0, live.size()) != live || bar == std::string_view::npos || bar == live.size()) {
    out.state = CallRecord::State::unreadable;
    return out;
  }
  out.state = CallRecord::State::live;
  out.node = std::string(value.substr(live.size(), bar - live.size()));
  out.phone_number_id = std::string(value.substr(bar + 1));
  return out;
}

bool valid_node_id(std::string_view node_id) {
  if (node_id.empty() || node_id.size() > 64) return false;
  for (const char c : node_id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

} // namespace wab::cluster::keys

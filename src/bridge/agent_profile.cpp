#include "bridge/agent_profile.hpp"

namespace wab::bridge {

void AgentProfile::finalize() {
  if (end_call_tool) {
    session.tools.push_back(
        {kEndCallTool,
         "End the phone call. Call this after you have said goodbye, when the caller wants to "
         "hang up or the conversation is over.",
         {{"type", "object"}, {"properties", nlohmann::json::object()}}});
  }
  for (const auto& tool : http_tools)
    session.tools.push_back(tool.function);
}

const AgentProfile& AgentProfiles::for_number(std::string_view phone_number_id) const {
  const auto it = by_number.find(phone_number_id);
  return it == by_number.end() ? default_profile : it->second;
}

} // namespace wab::bridge

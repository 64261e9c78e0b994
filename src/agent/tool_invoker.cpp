#include "agent/tool_invoker.hpp"

#include "common/json_input.hpp"

namespace wab::agent {
namespace {

// The model's context is precious: a backend's answer is cut here.
constexpr std::size_t kMaxOutputBytes = 16 * 1024;

std::string error_output(const std::string& message) {
  return nlohmann::json{{"error", message}}.dump(-1, ' ', false,
                                                 nlohmann::json::error_handler_t::replace);
}

} // namespace

ToolResult tool_result_from_response(const http::Response& response) {
  if (!response.error.empty()) {
    return {false, error_output("the tool's backend could not be reached: " + response.error)};
  }
  if (!response.ok()) {
    return {false,
            error_output("the tool's backend answered HTTP " + std::to_string(response.status))};
  }
  if (response.body.size() > kMaxOutputBytes) {
    return {false, error_output("the tool's backend answered more than 16 KiB")};
  }
  return {true, response.body.empty() ? std::string("{}") : response.body};
}

void ToolInvoker::invoke(const HttpTool& tool, const std::string& arguments_json,
                         const nlohmann::json& context, Done done) {
  std::string why;
  const auto arguments = parse_untrusted_json(arguments_json, {64 * 1024, 32}, why);
  if (!arguments || !arguments->is_object()) {
    // Answered at once, without bothering the backend.
    done(ToolResult{false, error_output("the arguments are not a JSON object")});
    return;
  }
  http::Request request;
  request.method = "POST";
  request.url = tool.url;
  request.timeout = tool.timeout;
  request.max_response_bytes = kMaxOutputBytes + 1;
  request.headers.push_back({"Content-Type", "application/json"});
  for (const auto& [name, value] : tool.headers)
    request.headers.push_back({name, value});
  request.body =
      nlohmann::json{{"tool", tool.function.name}, {"arguments", *arguments}, {"call", context}}
          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  sender_(std::move(request), [done = std::move(done)](const http::Response& response) {
    done(tool_result_from_response(response));
  });
}

} // namespace wab::agent

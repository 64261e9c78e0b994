#pragma once
// Runs the model's function calls against the business's own backend: each HTTP tool is a URL
// that receives the arguments plus the call's context as a JSON POST and answers with the text
// (or JSON) the model gets back as the function's output. Failures (timeouts, HTTP errors,
// unreachable hosts) are reported as an output too, so the model can tell the caller; they never
// end the call.
//
// Threads: the loop of the http::Client behind the sender; results arrive there.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/session_config.hpp"
#include "common/clock.hpp"
#include "http/client.hpp"

namespace wab::agent {

struct HttpTool {
  FunctionTool function; // name, description, JSON-schema parameters: what the model sees
  std::string url;       // http:// or https://
  std::vector<std::pair<std::string, std::string>> headers; // e.g. an API key; never logged
  Duration timeout = seconds(10);
};

struct ToolResult {
  bool ok = false;
  std::string output; // what the model receives as function_call_output
};

class ToolInvoker {
public:
  using Sender = std::function<void(http::Request, http::Client::Callback)>;
  using Done = std::function<void(const ToolResult&)>;

  explicit ToolInvoker(http::Client& http)
      : ToolInvoker([&http](http::Request r, http::Client::Callback cb) {
          http.send(std::move(r), std::move(cb));
        }) {}
  explicit ToolInvoker(Sender sender) : sender_(std::move(sender)) {}

  // POSTs {"tool", "arguments", "call": context} to the tool's URL. `arguments_json` is the
  // model's argument text; when it is not a JSON object the model is told so without a request.
  void invoke(const HttpTool& tool, const std::string& arguments_json,
              const nlohmann::json& context, Done done);

private:
  Sender sender_;
};

// The output given to the model for a backend's HTTP response (pure; for tests and the invoker).
ToolResult tool_result_from_response(const http::Response& response);

} // namespace wab::agent

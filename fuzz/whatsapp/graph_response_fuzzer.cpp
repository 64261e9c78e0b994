// Graph API answers (success, error shape, garbage) through the response parser. The first byte
// picks the HTTP status; the token must never come back in any text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "whatsapp/graph_api.hpp"

using namespace wab::whatsapp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static constexpr int kStatuses[] = {200, 201, 400, 401, 404, 429, 500, 502};
  wab::http::Response response;
  response.status = kStatuses[data[0] % 8];
  response.headers = {{"content-type", "application/json"}};
  response.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);
  constexpr const char* kToken = "EAAG";
  const GraphResult result = parse_graph_response(response, kToken);
  for (const std::string* text : {&result.message, &result.details, &result.error_type}) {
    if (text->find(kToken) != std::string::npos) __builtin_trap();
  }
  if (result.ok && response.status >= 300) __builtin_trap();
  return 0;
}

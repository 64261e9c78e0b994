// Fuzzes RequestParser: the input is split into chunks at positions chosen by its first bytes so
// that split reads are explored too. Checks the invariants the server relies on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/request_parser.hpp"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  wab::http::ParserLimits limits;
  limits.max_header_bytes = 2048;
  limits.max_body_bytes = 4096;
  limits.max_header_count = 32;
  wab::http::RequestParser parser(limits);
  std::size_t fed = 0;
  std::size_t taken = 0;
  for (std::size_t offset = 0; offset < input.size(); offset += chunk) {
    const std::string_view piece = input.substr(offset, chunk);
    parser.feed(piece);
    fed += piece.size();
    for (;;) {
      wab::http::ServerRequest request;
      const auto result = parser.next(request);
      if (result == wab::http::RequestParser::Result::need_more) {
        // Never hold more than one request's worth of header bytes without a verdict.
        check(parser.buffered() <= fed - taken);
        break;
      }
      if (result == wab::http::RequestParser::Result::error) {
        const int status = parser.error_status();
        check(status >= 400 && status <= 505);
        check(parser.next(request) == wab::http::RequestParser::Result::error);
        return 0;
      }
      check(!request.method.empty());
      check(request.body.size() <= limits.max_body_bytes);
      check(!request.path.empty());
      for (const auto& [name, value] : request.headers) {
        for (const char c : name)
          check(!(c >= 'A' && c <= 'Z'));
        check(value.find_first_of("\r\n") == std::string_view::npos);
      }
      taken = fed - parser.buffered();
    }
  }
  return 0;
}

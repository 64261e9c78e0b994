// Fuzzes the a=candidate parser; whatever parses must format and parse back to the same values.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ice/candidate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = wab::ice::Candidate::parse(text);
  if (!c || !c->address.valid()) return 0;
  auto back = wab::ice::Candidate::parse(c->to_sdp_attribute());
  if (!back || back->address != c->address || back->priority != c->priority ||
      back->type != c->type || back->foundation != c->foundation) {
    std::abort();
  }
  return 0;
}

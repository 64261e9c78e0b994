// DCEP codec: parsing never crashes, and whatever parses serialises back to the same bytes.
#include <cstdint>
#include <cstdlib>

#include "sctp/dcep.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const wab::Bytes input(data, size);
  (void)wab::sctp::dcep_message_type(input);
  const auto open = wab::sctp::parse_dcep_open(input);
  if (open) {
    const auto bytes = wab::sctp::serialize_dcep_open(*open);
    if (!bytes || bytes->size() != size || !std::equal(bytes->begin(), bytes->end(), data)) {
      std::abort();
    }
  }
  return 0;
}

#pragma once
// The CRC-32 of Ogg pages (polynomial 0x04C11DB7, no reflection, initial value 0), computed with
// the checksum field zeroed (RFC 3533 §6).
#include "common/bytes.hpp"

namespace wab::ogg {

std::uint32_t ogg_crc(Bytes page);

} // namespace wab::ogg

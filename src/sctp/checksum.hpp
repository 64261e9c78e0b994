#pragma once
// SCTP common header (RFC 9260 §3.1) and its CRC32c checksum (RFC 9260 Appendix A).
// The association checks both before usrsctp sees a packet, so garbage is counted and dropped
// in one place; the fuzz target uses `write_sctp_checksum` to reach deeper than the checksum.
// Pure functions, callable from any thread.
#include <cstdint>
#include <optional>

#include "common/bytes.hpp"

namespace wab::sctp {

inline constexpr std::size_t kSctpCommonHeaderSize = 12;

struct SctpCommonHeader {
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::uint32_t verification_tag = 0;
  std::uint32_t checksum = 0; // as stored on the wire, read little-endian (see .cpp)
};

// CRC32c (Castagnoli, reflected, init and final XOR 0xFFFFFFFF) over `data`.
std::uint32_t crc32c(Bytes data);

// Returns the header of a packet long enough to hold the common header and one chunk header.
std::optional<SctpCommonHeader> parse_sctp_common_header(Bytes packet);

// True when the packet's checksum field matches the CRC32c of the packet with that field zeroed.
bool sctp_checksum_valid(Bytes packet);

// Computes and stores the checksum of a packet of at least kSctpCommonHeaderSize bytes.
void write_sctp_checksum(MutableBytes packet);

} // namespace wab::sctp

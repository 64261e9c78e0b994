#pragma once
// SDP text → SessionDescription. Tolerant of what real peers and signalling paths produce: CRLF,
// LF, CR or a mix; literal "\r\n" escapes and enclosing quotes left by a JSON round trip;
// surrounding whitespace; no final newline; unknown lines and attributes (kept verbatim);
// candidates before credentials; per-m-section ICE credentials; the legacy `DTLS/SCTP` +
// `a=sctpmap` data channel form; `a=fingerprint` algorithms in any case. Structurally broken
// input throws SdpError naming the line. Work is bounded: input larger than the limits is
// refused before it is split.
// Pure functions; any thread.
#include "sdp/session_description.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace wab::sdp {

struct ParseLimits {
  std::size_t max_bytes = 64 * 1024;
  std::size_t max_lines = 2048;
  std::size_t max_media_sections = 32;
};

// Throws SdpError (with the 1-based line number where one applies).
SessionDescription parse(std::string_view text, const ParseLimits& limits = {});

// Same, reporting failure as nullopt and, when `error` is given, the message.
std::optional<SessionDescription> try_parse(std::string_view text, std::string* error = nullptr,
                                            const ParseLimits& limits = {});

} // namespace wab::sdp

#pragma once
// SessionDescription → SDP text: deterministic, CRLF line endings, lines in the order browsers and
// Meta write them (so answers look like the ones Meta already accepts). Pure function; any thread.
#include "sdp/session_description.hpp"

#include <string>

namespace wab::sdp {

// Session: v o s [i u e p c b] t [r z k], then a= lines: group BUNDLE, extmap-allow-mixed,
// msid-semantic, ice-lite, ice-ufrag, ice-pwd, ice-options, fingerprint, setup, unknown attributes.
// Each m-section: m [i] c [b k] a=rtcp ice-ufrag ice-pwd ice-options fingerprint setup mid extmap
// direction msid rtcp-mux rtcp-rsize (rtpmap rtcp-fb fmtp) per codec, ptime maxptime ssrc
// candidates end-of-candidates sctp-port|sctpmap max-message-size, unknown attributes.
std::string write(const SessionDescription& sd);

} // namespace wab::sdp

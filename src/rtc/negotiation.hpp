#pragma once
// The glue between an SDP exchange and a PeerTransport: what the remote description tells the
// transport (credentials, candidates, fingerprint, roles, data-channel limits), and what our
// transport announces in our description. Pure functions; any thread.
#include <cstdint>
#include <string>

#include "rtc/peer_transport.hpp"
#include "sdp/offer_answer.hpp"
#include "sdp/session_description.hpp"

namespace wab::rtc {

enum class SdpSide { we_offered, we_answered };

// Throws sdp::SdpError when the remote description lacks ICE credentials or a usable fingerprint,
// or its a=setup does not give us a DTLS role. Unusable candidates (mDNS names, TCP) are skipped:
// such peers show up as peer-reflexive.
RemoteParameters remote_parameters(const sdp::SessionDescription& remote, SdpSide side);

// Our ICE credentials, fingerprint and candidates plus the identity of our audio stream.
sdp::LocalParameters local_parameters(const PeerTransport& transport, std::uint32_t audio_ssrc,
                                      const std::string& cname);

} // namespace wab::rtc

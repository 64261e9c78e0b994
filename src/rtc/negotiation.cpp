#include "rtc/negotiation.hpp"

#include "common/random.hpp"
#include "sdp/negotiation.hpp"

namespace wab::rtc {

RemoteParameters remote_parameters(const sdp::SessionDescription& remote, SdpSide side) {
  RemoteParameters params;
  const auto credentials = remote.effective_ice_credentials();
  if (credentials.ufrag.empty() || credentials.pwd.empty()) {
    throw sdp::SdpError("remote description has no ICE credentials");
  }
  params.ice_ufrag = credentials.ufrag;
  params.ice_pwd = credentials.pwd;
  params.ice_lite = remote.ice_lite;

  const auto fingerprint = remote.effective_fingerprint();
  if (!fingerprint) throw sdp::SdpError("remote description has no a=fingerprint");
  auto parsed = dtls::Fingerprint::parse(fingerprint->algorithm + " " + fingerprint->value);
  if (!parsed) {
    throw sdp::SdpError("remote a=fingerprint is unusable: " + fingerprint->algorithm);
  }
  params.fingerprint = *parsed;

  // With BUNDLE every m-section shares the transport; collect candidates from all of them
  // (stacks differ in where they put them) without duplicates.
  for (const auto& m : remote.media) {
    if (m.port == 0 && !remote.bundle_mids.empty()) continue;
    for (const auto& text : m.candidates) {
      auto candidate = ice::Candidate::parse(text);
      if (!candidate || (!candidate->usable() && !candidate->connectable_tcp())) continue;
      bool seen = false;
      for (const auto& c : params.candidates)
        seen = seen || (c.address == candidate->address && c.transport == candidate->transport);
      if (!seen) params.candidates.push_back(*candidate);
    }
  }

  if (side == SdpSide::we_offered) {
    const auto role = sdp::dtls_role_from_answer(remote);
    if (!role) throw sdp::SdpError("remote answer's a=setup gives no DTLS role");
    params.dtls_role = *role == sdp::DtlsRole::client ? DtlsRole::client : DtlsRole::server;
    params.ice_role = IceRole::controlling; // RFC 8445 §6.1.1: the offerer controls
  } else {
    const auto role = sdp::dtls_role_from_offer(remote);
    if (!role) throw sdp::SdpError("remote offer's a=setup gives no DTLS role");
    params.dtls_role = *role == sdp::DtlsRole::client ? DtlsRole::client : DtlsRole::server;
    params.ice_role = remote.ice_lite ? IceRole::controlling : IceRole::controlled;
  }
  if (remote.ice_lite) params.ice_role = IceRole::controlling;

  if (auto port = sdp::remote_sctp_port(remote)) params.sctp_port = *port;
  if (auto size = sdp::remote_max_message_size(remote)) params.max_message_size = *size;
  return params;
}

sdp::LocalParameters local_parameters(const PeerTransport& transport, std::uint32_t audio_ssrc,
                                      const std::string& cname) {
  sdp::LocalParameters local;
  local.ice_ufrag = transport.ice_ufrag();
  local.ice_pwd = transport.ice_pwd();
  local.fingerprint = transport.fingerprint_sdp();
  local.candidates = transport.candidate_attributes();
  local.audio_ssrc = audio_ssrc;
  local.cname = cname;
  local.msid_stream = "wabridge";
  local.msid_track = "audio";
  local.session_id = random_u64() >> 2; // fits the 63 bits some parsers insist on
  return local;
}

} // namespace wab::rtc

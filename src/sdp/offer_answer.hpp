#pragma once
// Offers and answers for wabridge's peer profiles. The builders are deterministic: every random
// value (ICE credentials, SSRC, session id) comes in through LocalParameters, so tests can compare
// exact lines. Payload types are always read from the remote offer. Builders throw SdpError when
// the offer lacks something a call needs or LocalParameters is unusable. Pure functions; any
// thread.
#include "sdp/negotiation.hpp"
#include "sdp/session_description.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace wab::sdp {

// What our side of one leg announces.
struct LocalParameters {
  std::string ice_ufrag;
  std::string ice_pwd;
  std::string fingerprint; // "sha-256 AB:CD:…" (the DTLS certificate's)
  // a=candidate values, "<foundation> 1 udp <priority> <ip> <port> typ host"; a leading
  // "a=" / "candidate:" is accepted and removed. At least one: we never trickle.
  std::vector<std::string> candidates;
  std::uint32_t audio_ssrc = 0;
  std::string cname; // a=ssrc lines are written only when set
  std::string msid_stream;
  std::string msid_track;
  std::uint64_t session_id = 0;
  std::uint64_t session_version = 2;
  std::uint16_t sctp_port = 5000;
  std::uint64_t max_message_size = 262144; // what we accept on the data channel
};

struct OpenAiOfferOptions {
  std::uint8_t opus_pt = 111; // pass WhatsApp's Opus PT so forwarded packets keep their PT
  bool include_data_channel = true;
  std::uint64_t max_message_size = 262144;
};

// Answer to Meta's offer (whatsapp.md §2.1/§2.2/§3.7): full ICE (no ice-lite), a=setup:active,
// our one sha-256 fingerprint, all our candidates + end-of-candidates, mid and BUNDLE echoed,
// rtcp-mux, Opus with the offered PT and fmtp, telephone-event/8000 with its offered PT if
// offered, ptime/maxptime echoed, sendrecv (a recvonly answer makes WhatsApp send nothing), our
// SSRC. Header extensions and rtcp-fb are not echoed: the bridge strips extensions, and
// transport-cc feedback needs one. Other m-sections are rejected (port 0).
// Throws SdpError when the offer has no audio section, no Opus, no fingerprint or no ICE
// credentials.
SessionDescription answer_whatsapp_offer(const SessionDescription& offer,
                                         const LocalParameters& local);

// Offer to OpenAI Realtime (openai.md §2.2): BUNDLE "0 1", actpass, audio sendrecv with
// opus/48000/2 "minptime=10;useinbandfec=1", ssrc/cname/msid, and the data channel section
// (UDP/DTLS/SCTP webrtc-datachannel, sctp-port, max-message-size), our candidates in each section.
SessionDescription offer_for_openai(const LocalParameters& local,
                                    const OpenAiOfferOptions& options = {});

// Offer of a business-initiated WhatsApp call (whatsapp.md §1.8, §2.3): audio only, actpass (Meta
// answers a=setup:active, making us the DTLS server), Opus and telephone-event/8000 so the callee's
// keypad digits can arrive, our candidates.
SessionDescription offer_for_whatsapp(const LocalParameters& local, std::uint8_t opus_pt = 111,
                                      std::uint8_t telephone_event_pt = 126);

// Answer to a browser/aiortc/Pion-style offer with audio and optionally a data channel, answering
// the data channel in the form the offer used (modern sctp-port or legacy DTLS/SCTP + sctpmap).
// a=setup is the complement of the offer's (active for actpass), direction the complement of the
// offer's, Opus PT and fmtp as offered, one BUNDLE group of the accepted mids (when the offer
// bundles), our credentials, fingerprint and candidates in every accepted section. Other sections
// are rejected. Throws SdpError like answer_whatsapp_offer.
SessionDescription answer_generic_offer(const SessionDescription& offer,
                                        const LocalParameters& local);

// The a=setup an answerer announces for an offer's role (actpass/none → active,
// active → passive, passive → active); throws SdpError for holdconn.
SetupRole answer_setup_for(SetupRole offered);

} // namespace wab::sdp

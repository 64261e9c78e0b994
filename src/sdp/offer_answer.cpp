#include "sdp/offer_answer.hpp"

#include "sdp/text.hpp"

#include <algorithm>

namespace wab::sdp {
namespace {

constexpr std::string_view kAnyAddress = "IN IP4 0.0.0.0";
constexpr std::string_view kRtcpAnyAddress = "9 IN IP4 0.0.0.0";
constexpr std::uint16_t kDiscardPort = 9; // RFC 8839: the real address is in the candidates

// Local values end up inside SDP lines: a CR, LF or other control character would forge lines,
// and a backslash could read as a "\n" escape to a parser (ours) that undoes JSON mangling.
bool is_line_safe(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\';
  });
}

bool is_token(std::string_view s) {
  return !s.empty() && is_line_safe(s) && s.find(' ') == std::string_view::npos;
}

// LocalParameters checked and normalised once.
struct Local {
  const LocalParameters& p;
  Fingerprint fingerprint;
  std::vector<std::string> candidates;
};

Local validate(const LocalParameters& p) {
  if (!is_token(p.ice_ufrag) || !is_token(p.ice_pwd)) {
    throw SdpError("local ICE ufrag/pwd must be non-empty tokens without spaces");
  }
  const auto fp = parse_fingerprint(p.fingerprint);
  if (!fp || fp->algorithm != "sha-256") {
    throw SdpError("local fingerprint must be 'sha-256 <colon-separated hex>'");
  }
  for (const std::string* s : {&p.cname, &p.msid_stream, &p.msid_track}) {
    if (!s->empty() && !is_token(*s)) throw SdpError("local cname/msid must be tokens");
  }
  Local local{p, *fp, {}};
  for (const std::string& raw : p.candidates) {
    std::string_view c = text::trim(raw);
    if (c.starts_with("a=")) c.remove_prefix(2);
    if (c.starts_with("candidate:")) c.remove_prefix(10);
    if (c.empty() || !is_line_safe(c)) throw SdpError("local candidate is empty or not one line");
    local.candidates.emplace_back(c);
  }
  // We do not trickle (WhatsApp and OpenAI both expect every candidate in the SDP).
  if (local.candidates.empty()) throw SdpError("no local ICE candidates");
  return local;
}

SessionDescription session_skeleton(const Local& local) {
  SessionDescription sd;
  sd.origin.session_id = std::to_string(local.p.session_id);
  sd.origin.session_version = std::to_string(local.p.session_version);
  if (!local.p.msid_stream.empty()) sd.msid_semantic = "WMS " + local.p.msid_stream;
  return sd;
}

// ICE, DTLS and candidates: written in every section we accept (peers that read one section's
// values, such as aiortc, and peers that read each section's, find the same thing).
void add_transport(MediaSection& m, const Local& local, SetupRole setup) {
  m.connection = std::string(kAnyAddress);
  m.ice_ufrag = local.p.ice_ufrag;
  m.ice_pwd = local.p.ice_pwd;
  m.fingerprints = {local.fingerprint};
  m.setup = setup;
  m.candidates = local.candidates;
  m.end_of_candidates = true;
}

void add_sender(MediaSection& m, const Local& local) {
  if (!local.p.msid_stream.empty() && !local.p.msid_track.empty()) {
    m.msid = local.p.msid_stream + " " + local.p.msid_track;
  }
  if (!local.p.cname.empty()) m.ssrcs.push_back({local.p.audio_ssrc, "cname", local.p.cname});
}

Direction answer_direction(Direction offered) {
  switch (offered) {
  case Direction::sendonly: return Direction::recvonly;
  case Direction::recvonly: return Direction::sendonly;
  case Direction::inactive: return Direction::inactive;
  case Direction::sendrecv:
  case Direction::unspecified: break;
  }
  return Direction::sendrecv;
}

// RFC 8843 §7.3.3 / JSEP: a rejected section keeps its mid, proto and formats, with port 0.
MediaSection rejected(const MediaSection& offered) {
  MediaSection m;
  m.kind = offered.kind;
  m.media = offered.media;
  m.port = 0;
  m.proto = offered.proto;
  m.formats = offered.formats;
  m.connection = std::string(kAnyAddress);
  m.mid = offered.mid;
  return m;
}

struct AudioChoice {
  NegotiatedCodec opus;
  std::optional<std::uint8_t> telephone_event;
};

// Checks what every answer needs from the offer's audio section.
AudioChoice check_audio_offer(const SessionDescription& offer, const MediaSection*& audio) {
  audio = accepted_audio(offer);
  if (!audio) throw SdpError("offer has no audio m-section");
  const auto opus = negotiated_opus(*audio);
  if (!opus) throw SdpError("offer's audio m-section has no opus/48000 payload type");
  if (!offer.effective_fingerprint(*audio)) throw SdpError("offer has no a=fingerprint");
  if (offer.effective_ice_credentials(*audio).empty()) {
    throw SdpError("offer has no ICE credentials (a=ice-ufrag / a=ice-pwd)");
  }
  return {*opus, telephone_event_pt(*audio, 8000)};
}

MediaSection audio_answer(const SessionDescription& offer, const MediaSection& offered,
                          const AudioChoice& choice, const Local& local, Direction direction) {
  MediaSection m;
  m.kind = MediaKind::audio;
  m.media = offered.media;
  m.port = kDiscardPort;
  m.proto = offered.proto;
  m.rtcp = std::string(kRtcpAnyAddress);
  add_transport(m, local, answer_setup_for(offer.effective_setup(offered)));
  m.mid = offered.mid;
  m.direction = direction;
  add_sender(m, local);
  m.rtcp_mux = true;

  const Codec* opus = offered.find_codec(choice.opus.payload_type);
  Codec answer_opus{choice.opus.payload_type, opus->name, 48000, 2, choice.opus.fmtp, {}};
  m.formats.push_back(std::to_string(answer_opus.payload_type));
  m.codecs.push_back(std::move(answer_opus));
  if (choice.telephone_event) {
    const Codec* te = offered.find_codec(*choice.telephone_event);
    m.formats.push_back(std::to_string(te->payload_type));
    m.codecs.push_back(Codec{te->payload_type, te->name, 8000, 0, te->fmtp, {}});
  }
  m.ptime = offered.ptime;
  m.maxptime = offered.maxptime;
  return m;
}

MediaSection data_channel_answer(const SessionDescription& offer, const MediaSection& offered,
                                 const Local& local) {
  MediaSection m;
  m.kind = MediaKind::application;
  m.media = offered.media;
  m.port = kDiscardPort;
  m.proto = offered.proto;
  add_transport(m, local, answer_setup_for(offer.effective_setup(offered)));
  m.mid = offered.mid;
  if (offered.is_legacy_data_channel() || offered.proto == "DTLS/SCTP") {
    // Legacy form (draft-ietf-mmusic-sctp-sdp-05, aiortc): the m= format is the SCTP port.
    m.formats = {std::to_string(local.p.sctp_port)};
    const std::uint32_t streams = offered.sctpmap ? offered.sctpmap->streams : 1024;
    m.sctpmap = SctpMap{local.p.sctp_port, "webrtc-datachannel", streams};
  } else {
    m.formats = {"webrtc-datachannel"};
    m.sctp_port = local.p.sctp_port;
  }
  m.max_message_size = local.p.max_message_size;
  return m;
}

// The offer's BUNDLE group restricted to the sections we accept, in the group's order.
std::vector<std::string> answer_bundle(const SessionDescription& offer,
                                       const SessionDescription& answer) {
  std::vector<std::string> mids;
  for (const std::string& mid : offer.bundle_mids) {
    const MediaSection* m = answer.find_mid(mid);
    if (m && !m->is_rejected()) mids.push_back(mid);
  }
  return mids;
}

enum class Profile { whatsapp, generic };

SessionDescription answer_offer(const SessionDescription& offer, const LocalParameters& params,
                                Profile profile) {
  const Local local = validate(params);
  const MediaSection* audio = nullptr;
  const AudioChoice choice = check_audio_offer(offer, audio);
  const MediaSection* data = profile == Profile::generic ? accepted_data_channel(offer) : nullptr;

  SessionDescription answer = session_skeleton(local);
  for (const MediaSection& offered : offer.media) {
    if (&offered == audio) {
      // WhatsApp: always sendrecv, whatever the offer says (whatsapp.md §3.7).
      const Direction dir =
          profile == Profile::whatsapp ? Direction::sendrecv : answer_direction(offered.direction);
      answer.media.push_back(audio_answer(offer, offered, choice, local, dir));
    } else if (&offered == data) {
      answer.media.push_back(data_channel_answer(offer, offered, local));
    } else {
      answer.media.push_back(rejected(offered));
    }
  }
  answer.bundle_mids = answer_bundle(offer, answer);
  return answer;
}

} // namespace

SetupRole answer_setup_for(SetupRole offered) {
  switch (offered) {
  case SetupRole::active: return SetupRole::passive;
  case SetupRole::holdconn: throw SdpError("offer has a=setup:holdconn");
  case SetupRole::actpass:
  case SetupRole::passive:
  case SetupRole::unspecified: break;
  }
  return SetupRole::active;
}

SessionDescription answer_whatsapp_offer(const SessionDescription& offer,
                                         const LocalParameters& local) {
  return answer_offer(offer, local, Profile::whatsapp);
}

SessionDescription answer_generic_offer(const SessionDescription& offer,
                                        const LocalParameters& local) {
  return answer_offer(offer, local, Profile::generic);
}

SessionDescription offer_for_whatsapp(const LocalParameters& params, std::uint8_t opus_pt,
                                      std::uint8_t telephone_event_pt) {
  if (telephone_event_pt > 127 || telephone_event_pt == opus_pt) {
    throw SdpError("telephone-event needs its own payload type 0..127");
  }
  OpenAiOfferOptions options;
  options.opus_pt = opus_pt;
  options.include_data_channel = false;
  SessionDescription offer = offer_for_openai(params, options);
  MediaSection& audio = offer.media.front();
  audio.formats.push_back(std::to_string(telephone_event_pt));
  Codec dtmf;
  dtmf.payload_type = telephone_event_pt;
  dtmf.name = "telephone-event";
  dtmf.clock_rate = 8000;
  audio.codecs.push_back(dtmf);
  return offer;
}

SessionDescription offer_for_openai(const LocalParameters& params,
                                    const OpenAiOfferOptions& options) {
  const Local local = validate(params);
  if (options.opus_pt > 127) throw SdpError("Opus payload type must be 0..127");
  SessionDescription offer = session_skeleton(local);

  MediaSection audio;
  audio.kind = MediaKind::audio;
  audio.media = "audio";
  audio.port = kDiscardPort;
  audio.proto = "UDP/TLS/RTP/SAVPF";
  audio.formats = {std::to_string(options.opus_pt)};
  audio.rtcp = std::string(kRtcpAnyAddress);
  add_transport(audio, local, SetupRole::actpass);
  // We send every candidate in the offer; "trickle" only says we could (openai.md §2.2).
  audio.ice_options = {"trickle"};
  audio.mid = "0";
  audio.direction = Direction::sendrecv;
  add_sender(audio, local);
  audio.rtcp_mux = true;
  audio.codecs.push_back(
      Codec{options.opus_pt, "opus", 48000, 2, "minptime=10;useinbandfec=1", {}});
  offer.media.push_back(std::move(audio));
  offer.bundle_mids = {"0"};

  if (options.include_data_channel) {
    MediaSection data;
    data.kind = MediaKind::application;
    data.media = "application";
    data.port = kDiscardPort;
    data.proto = "UDP/DTLS/SCTP";
    data.formats = {"webrtc-datachannel"};
    add_transport(data, local, SetupRole::actpass);
    data.ice_options = {"trickle"};
    data.mid = "1";
    data.sctp_port = params.sctp_port;
    data.max_message_size = options.max_message_size;
    offer.media.push_back(std::move(data));
    offer.bundle_mids.push_back("1");
  }
  return offer;
}

} // namespace wab::sdp

#include "sdp/writer.hpp"

#include <fmt/format.h>

#include <string_view>

namespace wab::sdp {
namespace {

class Writer {
public:
  std::string take() { return std::move(out_); }

  void line(char type, std::string_view value) {
    out_.push_back(type);
    out_.push_back('=');
    out_.append(value);
    out_.append("\r\n");
  }

  void attr(std::string_view name) {
    out_.append("a=");
    out_.append(name);
    out_.append("\r\n");
  }

  void attr(std::string_view name, std::string_view value) {
    out_.append("a=");
    out_.append(name);
    out_.push_back(':');
    out_.append(value);
    out_.append("\r\n");
  }

  // Unmodelled lines keep RFC 8866's order around the anchors we write: with `invert`, every type
  // *not* in `types` is written.
  void other_lines(const std::vector<OtherLine>& lines, std::string_view types,
                   bool invert = false) {
    for (const OtherLine& l : lines) {
      if ((types.find(l.type) != std::string_view::npos) != invert) line(l.type, l.value);
    }
  }

  void other_attributes(const std::vector<Attribute>& attrs) {
    for (const Attribute& a : attrs) {
      if (a.value) {
        attr(a.name, *a.value);
      } else {
        attr(a.name);
      }
    }
  }

  void ice_and_dtls(const std::string& ufrag, const std::string& pwd,
                    const std::vector<std::string>& options, const std::vector<Fingerprint>& fps,
                    SetupRole setup) {
    if (!ufrag.empty()) attr("ice-ufrag", ufrag);
    if (!pwd.empty()) attr("ice-pwd", pwd);
    if (!options.empty()) attr("ice-options", fmt::format("{}", fmt::join(options, " ")));
    for (const Fingerprint& f : fps)
      attr("fingerprint", f.algorithm + " " + f.value);
    if (setup != SetupRole::unspecified) attr("setup", to_string(setup));
  }

  void codec(const Codec& c) {
    if (!c.name.empty()) {
      std::string map = fmt::format("{} {}/{}", c.payload_type, c.name, c.clock_rate);
      if (c.channels != 0) map += fmt::format("/{}", c.channels);
      attr("rtpmap", map);
    }
    for (const std::string& fb : c.rtcp_fb)
      attr("rtcp-fb", fmt::format("{} {}", c.payload_type, fb));
    if (!c.fmtp.empty()) attr("fmtp", fmt::format("{} {}", c.payload_type, c.fmtp));
  }

  void media(const MediaSection& m) {
    std::string mline = fmt::format("{} {} {}", m.media, m.port, m.proto);
    for (const std::string& f : m.formats) {
      mline.push_back(' ');
      mline += f;
    }
    line('m', mline);
    other_lines(m.other_lines, "i");
    if (m.connection) line('c', *m.connection);
    other_lines(m.other_lines, "i", true);
    if (m.rtcp) attr("rtcp", *m.rtcp);
    ice_and_dtls(m.ice_ufrag, m.ice_pwd, m.ice_options, m.fingerprints, m.setup);
    if (!m.mid.empty()) attr("mid", m.mid);
    for (const Extmap& e : m.extmaps) {
      std::string v = std::to_string(e.id);
      if (!e.direction.empty()) v += "/" + e.direction;
      v += " " + e.uri;
      if (!e.attributes.empty()) v += " " + e.attributes;
      attr("extmap", v);
    }
    if (m.direction != Direction::unspecified) attr(to_string(m.direction));
    if (m.msid) attr("msid", *m.msid);
    if (m.rtcp_mux) attr("rtcp-mux");
    if (m.rtcp_rsize) attr("rtcp-rsize");
    for (const Codec& c : m.codecs)
      codec(c);
    if (m.ptime) attr("ptime", std::to_string(*m.ptime));
    if (m.maxptime) attr("maxptime", std::to_string(*m.maxptime));
    for (const SsrcAttribute& s : m.ssrcs) {
      attr("ssrc", s.value.empty() ? fmt::format("{} {}", s.ssrc, s.attribute)
                                   : fmt::format("{} {}:{}", s.ssrc, s.attribute, s.value));
    }
    for (const std::string& c : m.candidates)
      attr("candidate", c);
    if (m.end_of_candidates) attr("end-of-candidates");
    if (m.sctp_port) attr("sctp-port", std::to_string(*m.sctp_port));
    if (m.sctpmap) {
      attr("sctpmap",
           fmt::format("{} {} {}", m.sctpmap->port, m.sctpmap->protocol, m.sctpmap->streams));
    }
    if (m.max_message_size) attr("max-message-size", std::to_string(*m.max_message_size));
    other_attributes(m.other_attributes);
  }

private:
  std::string out_;
};

} // namespace

std::string write(const SessionDescription& sd) {
  Writer w;
  w.line('v', "0");
  const Origin& o = sd.origin;
  w.line('o', fmt::format("{} {} {} {} {} {}", o.username, o.session_id, o.session_version,
                          o.net_type, o.addr_type, o.address));
  w.line('s', sd.session_name.empty() ? "-" : sd.session_name);
  w.other_lines(sd.other_lines, "iuep");
  if (sd.connection) w.line('c', *sd.connection);
  w.other_lines(sd.other_lines, "b");
  w.line('t', sd.timing.empty() ? "0 0" : sd.timing);
  w.other_lines(sd.other_lines, "iuepb", true);
  if (!sd.bundle_mids.empty()) {
    w.attr("group", fmt::format("BUNDLE {}", fmt::join(sd.bundle_mids, " ")));
  }
  if (sd.extmap_allow_mixed) w.attr("extmap-allow-mixed");
  if (sd.msid_semantic) w.attr("msid-semantic", " " + *sd.msid_semantic);
  if (sd.ice_lite) w.attr("ice-lite");
  w.ice_and_dtls(sd.ice_ufrag, sd.ice_pwd, sd.ice_options, sd.fingerprints, sd.setup);
  w.other_attributes(sd.other_attributes);
  for (const MediaSection& m : sd.media)
    w.media(m);
  return w.take();
}

} // namespace wab::sdp

// The media path: Opus RTP forwarded between the legs with only the header rewritten, DTMF
// kept from the agent, silence and RTCP sender reports while the agent is quiet.
#include "agent/client_events.hpp"
#include "bridge/call.hpp"
#include "bridge/call_internal.hpp"
#include "common/log.hpp"
#include "rtp/opus.hpp"
#include "rtp/rtcp.hpp"
#include "rtp/rtcp_writer.hpp"
#include "rtp/rtp_packet.hpp"
#include "rtp/telephone_event.hpp"
#include "srtp/srtp_session.hpp"

namespace wab::bridge {
namespace {

// Meta drops a call after 20 s without business media: while the agent is silent, the caller
// gets an Opus silence frame every 20 ms once agent audio has paused this long.
constexpr Duration kAgentSilenceBeforeFill = milliseconds(60);
// RTCP sender reports tell both far ends the stream is alive even across silence (RFC 3550 §6.2).
constexpr Duration kSenderReportInterval = seconds(5);

} // namespace

// --- media --------------------------------------------------------------------------------------

void Call::forward_to_agent(MutableBytes packet, std::size_t capacity) {
  if (packet.size() < 12) return;
  const std::uint8_t pt = packet[1] & 0x7f;
  if (caller_dtmf_pt_ && pt == *caller_dtmf_pt_) {
    // RFC 4733 digits are not Opus: never forward them to the agent as audio. The end of an
    // event is repeated (three packets, same timestamp): log each digit once.
    auto view = rtp::RtpView::parse(packet);
    auto event = view ? rtp::parse_telephone_event(view->payload()) : std::nullopt;
    if (event && event->end && view->header().timestamp != last_dtmf_timestamp_) {
      last_dtmf_timestamp_ = view->header().timestamp;
      ++counters_.dtmf_events;
      log::info("dtmf", {{"call_id", call_id()},
                         {"digit", std::string(1, rtp::digit_char(event->event))},
                         {"duration", event->duration}});
      on_dtmf_digit(rtp::digit_char(event->event));
    }
    return;
  }
  if (pt != caller_opus_pt_) return;
  if (recorder_) {
    if (auto view = rtp::RtpView::parse(packet)) {
      recorder_->caller_audio(view->payload(), view->header().timestamp);
    }
  }
  if (!agent_leg_ || !agent_leg_->connected()) return;
  std::size_t len = packet.size();
  if (!to_agent_.rewrite(packet, len)) return;
  if (agent_leg_->send_rtp(packet.data(), len, capacity)) {
    ++counters_.forwarded_to_agent;
    stats_.to_agent.add(len);
  }
}

void Call::forward_to_caller(MutableBytes packet, std::size_t capacity) {
  if (packet.size() < 12 || (packet[1] & 0x7f) != agent_opus_pt_) return;
  if (phase_ != CallPhase::accepted) {
    // Media before accept would start the caller's timer early (Meta's rule).
    ++counters_.dropped_before_accept;
    return;
  }
  std::size_t len = packet.size();
  if (!to_caller_.rewrite(packet, len)) return;
  if (recorder_) {
    if (auto view = rtp::RtpView::parse(Bytes(packet.data(), len))) {
      recorder_->heard_audio(view->payload());
    }
  }
  if (caller_leg_->send_rtp(packet.data(), len, capacity)) {
    ++counters_.forwarded_to_caller;
    stats_.to_caller.add(len);
    if (!stats_.first_agent_audio) {
      record_setup(stats_.first_agent_audio, &CallMetrics::to_first_agent_audio);
      notify_step("first_agent_audio");
    }
  }
}

void Call::start_keepalive() {
  if (!services_.keepalive) services_.keepalive = std::make_shared<KeepaliveSweep>(services_.loop);
  services_.keepalive->join(*this);
}

void Call::stop_keepalive() {
  if (services_.keepalive) services_.keepalive->leave(*this);
}

void Call::on_keepalive(TimePoint now) {
  if (phase_ != CallPhase::accepted) return;
  if (now - last_agent_audio_ >= kAgentSilenceBeforeFill) {
    std::uint8_t buf[12 + sizeof rtp::kOpusSilenceFrame + srtp::kMaxTrailer];
    const std::size_t len =
        to_caller_.build_inserted(MutableBytes(buf, sizeof buf), caller_opus_pt_, false,
                                  Bytes(rtp::kOpusSilenceFrame), rtp::kOpusSamplesPer20ms);
    if (recorder_ && len > 0) recorder_->heard_audio(Bytes(rtp::kOpusSilenceFrame));
    if (len > 0 && caller_leg_->send_rtp(buf, len, sizeof buf)) {
      ++counters_.silence_to_caller;
      stats_.to_caller.add(len);
    }
  }
  if (now - last_sender_report_ >= kSenderReportInterval) {
    last_sender_report_ = now;
    send_sender_report(*caller_leg_, to_caller_,
                       counters_.forwarded_to_caller + counters_.silence_to_caller);
    if (agent_leg_ && agent_leg_->connected()) {
      send_sender_report(*agent_leg_, to_agent_, counters_.forwarded_to_agent);
    }
  }
}

void Call::send_sender_report(rtc::PeerTransport& leg, const rtp::RtpRewriter& stream,
                              std::uint64_t packets) {
  if (!stream.last_timestamp()) return; // nothing sent yet: nothing to report
  std::uint8_t buf[128 + srtp::kMaxTrailer];
  rtp::SenderInfo info;
  info.ssrc = stream.ssrc();
  info.ntp_timestamp = rtp::ntp_from_system_time(std::chrono::system_clock::now());
  info.rtp_timestamp = *stream.last_timestamp();
  info.packet_count = static_cast<std::uint32_t>(packets);
  std::size_t len = rtp::write_sender_report(MutableBytes(buf, 128), info);
  if (len == 0) return;
  const std::size_t sdes =
      rtp::write_sdes_cname(MutableBytes(buf + len, 128 - len), info.ssrc, "wabridge");
  if (sdes == 0) return;
  len += sdes;
  if (leg.send_rtcp(buf, len, sizeof buf)) ++counters_.sender_reports;
}

} // namespace wab::bridge

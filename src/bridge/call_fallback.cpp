// When the agent cannot serve the call: reject it, or answer with the recorded announcement
// (Opus packets sent as stored) and then hang up.
#include "agent/client_events.hpp"
#include "bridge/call.hpp"
#include "bridge/call_internal.hpp"
#include "common/log.hpp"
#include "rtp/opus.hpp"
#include "srtp/srtp_session.hpp"

namespace wab::bridge {

// --- fallback -----------------------------------------------------------------------------------

void Call::agent_failed(const std::string& cause, const nlohmann::json& details) {
  if (phase_ == CallPhase::ended || announcing_) return;
  if (metrics_) {
    const auto status = details.is_object() ? details.find("http_status") : details.end();
    metrics_->agent_error(
        cause, status != details.end() && status->is_number_integer() ? status->get<int>() : 0);
  }
  const bool caller_usable = caller_leg_ != nullptr && caller_leg_->usable();
  if (profile_.fallback != Fallback::announce || profile_.announcement == nullptr ||
      !caller_usable) {
    end(cause, OutwardAction::reject_or_terminate, details);
    return;
  }
  announcing_ = true;
  fallback_cause_ = cause;
  fallback_details_ = details;
  agent_setup_timer_.disarm();
  nlohmann::json fields = {{"call_id", call_id()}, {"cause", cause}, {"fallback", "announcement"}};
  if (details.is_object()) {
    for (const auto& [k, v] : details.items())
      fields[k] = v;
  }
  log::warn("agent_unavailable", fields);
  hang_up_agent();
  if (phase_ == CallPhase::accepted) {
    start_announcement();
  } else {
    maybe_accept(); // the announcement plays once the caller's leg is up and accepted
  }
}

void Call::hang_up_agent() {
  if (!agent_call_id_.empty() && realtime() != nullptr) {
    detail::hang_up_session(*realtime(), agent_call_id_, call_id());
  }
  agent_call_id_.clear();
  agent_channel_.reset();
  if (agent_leg_) agent_leg_->close();
}

void Call::start_announcement() {
  stop_keepalive();
  announcement_next_ = 0;
  announcement_due_ = services_.loop.now();
  log::info("announcement_started",
            {{"call_id", call_id()}, {"packets", profile_.announcement->packets.size()}});
  on_announcement_tick();
}

void Call::on_announcement_tick() {
  const ogg::OpusClip& clip = *profile_.announcement;
  if (announcement_next_ >= clip.packets.size()) {
    nlohmann::json details = fallback_details_.is_object() ? fallback_details_ : nlohmann::json{};
    details["fallback"] = "announcement";
    end(fallback_cause_, OutwardAction::reject_or_terminate, details);
    return;
  }
  const auto& packet = clip.packets[announcement_next_];
  std::uint8_t buf[12 + ogg::kMaxAnnouncementPacket + srtp::kMaxTrailer];
  const std::size_t len =
      to_caller_.build_inserted(MutableBytes(buf, sizeof buf), caller_opus_pt_,
                                announcement_next_ == 0, clip.payload(packet), packet.samples);
  if (recorder_ && len > 0) recorder_->heard_audio(clip.payload(packet));
  if (len > 0 && caller_leg_->send_rtp(buf, len, sizeof buf)) {
    ++counters_.announcement_packets;
    stats_.to_caller.add(len);
  }
  ++announcement_next_;
  // Paced by each packet's own duration, from a fixed origin so timer lateness does not add up.
  announcement_due_ += microseconds(std::uint64_t{packet.samples} * 1000000 / rtp::kOpusClockRate);
  announcement_timer_.arm(announcement_due_);
}

} // namespace wab::bridge

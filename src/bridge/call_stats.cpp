// A call's own figures: setup times, RTCP reception reports from both legs' far ends, the
// listing line a dashboard shows and the outcome the metrics count.
#include "bridge/call.hpp"
#include "rtp/rtcp_quality.hpp"
#include "rtp/rtcp_writer.hpp"

namespace wab::bridge {
namespace {

constexpr std::uint32_t kOpusClockRate = 48000;

const char* phase_name(CallPhase phase) {
  switch (phase) {
  case CallPhase::answering: return "answering";
  case CallPhase::accepted: return "accepted";
  case CallPhase::ended: return "ended";
  }
  return "ended";
}

} // namespace

void Call::record_setup(std::optional<Duration>& field, SetupHistogram CallMetrics::*histogram) {
  if (field) return; // each step counts once per call
  field = services_.loop.now() - started_at_;
  // The setup histograms time Meta's calls; a softphone's local steps would only blur them.
  if (metrics_ && !softphone())
    (metrics_->*histogram).observe(std::chrono::duration<double>(*field).count());
}

void Call::notify_step(const char* step) {
  if (services_.observer) services_.observer->call_step(snapshot(), step);
}

void Call::on_rtcp(rtc::PeerTransport& t, MutableBytes packet, TimePoint) {
  // Only the far end's report about the stream we send on this leg; a successor or retired
  // agent leg is not the call's agent leg yet (or any more).
  const bool caller = is_caller_leg(t);
  if (!caller && &t != agent_leg_.get()) return;
  const std::uint32_t our_ssrc = caller ? to_caller_.ssrc() : to_agent_.ssrc();
  const auto block = rtp::find_report_block(packet, our_ssrc);
  if (!block) return;
  const auto q = rtp::quality_of(*block, kOpusClockRate,
                                 rtp::ntp_from_system_time(std::chrono::system_clock::now()));
  LegQuality& leg = caller ? stats_.caller_leg : stats_.agent_leg;
  ++leg.reports;
  leg.fraction_lost = q.fraction_lost;
  leg.cumulative_lost = q.cumulative_lost;
  leg.jitter_seconds = q.jitter_seconds;
  if (q.rtt_seconds) leg.rtt_seconds = q.rtt_seconds;
  if (metrics_) {
    LegQualityHistograms& h = caller ? metrics_->caller_leg : metrics_->agent_leg;
    h.fraction_lost.observe(q.fraction_lost);
    h.jitter.observe(q.jitter_seconds);
    if (q.rtt_seconds) h.rtt.observe(*q.rtt_seconds);
  }
}

CallSnapshot Call::snapshot() const {
  CallSnapshot s;
  s.call_id = call_id();
  s.phone_number_id = connect_.business.phone_number_id;
  s.outbound = outbound_;
  s.softphone = softphone();
  s.phase = phase_name(phase_);
  s.age = services_.loop.now() - started_at_;
  s.stats = stats_;
  return s;
}

std::string Call::outcome() const {
  if (!was_accepted_) return "not_answered";
  return announcing_ ? "announcement" : "answered";
}

} // namespace wab::bridge

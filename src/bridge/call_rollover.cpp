// Long calls: OpenAI ends a Realtime session after 60 minutes. Before that, the call opens a
// second agent leg (the successor), tells it the conversation so far, and switches forwarding to
// it between two agent turns; the caller keeps one continuous RTP stream (same SSRC, sequence and
// timestamps carry on, silence fills the moment of the switch) and never hears a greeting again.
#include "agent/client_events.hpp"
#include "bridge/call.hpp"
#include "bridge/call_internal.hpp"
#include "common/log.hpp"
#include "rtc/negotiation.hpp"
#include "sdp/negotiation.hpp"
#include "sdp/offer_answer.hpp"
#include "sdp/parser.hpp"
#include "sdp/writer.hpp"

namespace wab::bridge {
using detail::guarded;
namespace {
// What the successor is told of the call so far: the latest turns, each cut to a size that keeps
// the instructions well within the model's limits.
constexpr std::size_t kRememberedTurns = 40;
constexpr std::size_t kMaxTurnChars = 1000;
// A failed successor is tried again after this long (while the current session lasts).
constexpr Duration kRolloverRetry = seconds(60);
// GPT-Live sends no output_audio_buffer events: its agent is between two turns once its audio has
// paused this long (longer than the gaps between its words).
constexpr Duration kLiveTurnPause = milliseconds(400);

} // namespace

void Call::remember_turn(const char* speaker, const std::string& text) {
  if (services_.agent_rollover_after <= Duration::zero() || text.empty()) return;
  if (conversation_.size() == kRememberedTurns) conversation_.erase(conversation_.begin());
  conversation_.emplace_back(speaker, text.substr(0, kMaxTurnChars));
}

std::string Call::instructions_with_history() const {
  std::string text = profile_.session.instructions;
  text += "\n\nThis phone call is already in progress: do not greet the caller again, continue "
          "the conversation naturally from where it stands.";
  if (!conversation_.empty()) {
    text += " The conversation so far:";
    for (const auto& [speaker, said] : conversation_)
      text += std::string("\n") + (speaker == "caller" ? "Caller: " : "You: ") + said;
  }
  return text;
}

void Call::start_rollover() {
  if (phase_ == CallPhase::ended || announcing_ || successor_ || !agent_leg_ ||
      realtime() == nullptr) {
    return;
  }
  log::info("agent_rollover_started", {{"call_id", call_id()}, {"agent_call_id", agent_call_id_}});
  successor_ = std::make_unique<Successor>();
  try {
    successor_->leg = make_leg("agent_successor", true);
  } catch (const std::exception& e) {
    abandon_rollover(e.what());
    return;
  }
  successor_->opus_pt = agent_opus_pt_;
  successor_->leg->gather(guarded(alive_, [this] { send_successor_offer(); }));
}

void Call::send_successor_offer() {
  if (!successor_) return;
  std::string offer_sdp;
  try {
    sdp::OpenAiOfferOptions options;
    options.opus_pt = successor_->opus_pt;
    offer_sdp = sdp::write(sdp::offer_for_openai(
        rtc::local_parameters(*successor_->leg, to_agent_.ssrc(), "wabridge"), options));
  } catch (const std::exception& e) {
    abandon_rollover(e.what());
    return;
  }
  if (speaks_live()) {
    // GPT-Live's turn in progress is only logged when the other side speaks; the successor is
    // configured now, so it must know that turn now (a turn still going on is logged in two parts).
    flush_live_transcript("caller");
    flush_live_transcript("agent");
  }
  agent::SessionConfig session = profile_.session;
  session.instructions = instructions_with_history();
  realtime()->create_call(offer_sdp, agent::build_session(session),
                          [this, alive = std::weak_ptr<bool>(alive_), realtime = realtime(),
                           id = call_id(), wanted = successor_.get()](const agent::CallResult& r) {
                            const auto live = alive.lock();
                            if (live && *live && successor_.get() == wanted) {
                              on_successor_created(r);
                              return;
                            }
                            // The call or this rollover ended meanwhile: end the session OpenAI
                            // just made.
                            if (!r.call_id.empty()) {
                              detail::hang_up_session(*realtime, r.call_id, id);
                            }
                          });
}

void Call::on_successor_created(const agent::CallResult& result) {
  successor_->call_id = result.call_id;
  if (!result.ok) {
    abandon_rollover(result.error);
    return;
  }
  try {
    const auto answer = sdp::parse(result.answer_sdp);
    if (auto opus = sdp::negotiated_opus(answer)) successor_->opus_pt = opus->payload_type;
    successor_->leg->start(rtc::remote_parameters(answer, rtc::SdpSide::we_offered));
  } catch (const std::exception& e) {
    abandon_rollover(e.what());
  }
}

void Call::on_successor_event(const agent::ServerEvent& event) {
  using Kind = agent::ServerEventKind;
  if (event.kind == Kind::session_created && successor_->channel) {
    agent::SessionConfig session = profile_.session;
    session.instructions = instructions_with_history();
    const std::string update = agent::session_update(agent::build_session(session, false));
    successor_->leg->send_message(
        *successor_->channel,
        Bytes(reinterpret_cast<const std::uint8_t*>(update.data()), update.size()), false);
  } else if (event.kind == Kind::session_updated || event.kind == Kind::session_started) {
    // GPT-Live's session.started: configured at creation, history included; ready as it is.
    successor_->session_updated = true;
    maybe_switch_to_successor();
  } else if (event.kind == Kind::error) {
    log::warn("agent_error", {{"call_id", call_id()},
                              {"leg", "agent_successor"},
                              {"message", event.error ? event.error->message : ""}});
  }
}

void Call::maybe_switch_to_successor() {
  // Between turns only: the current agent's sentence is never cut.
  if (!successor_ || !successor_->session_updated || agent_speaking_ ||
      phase_ == CallPhase::ended) {
    return;
  }
  if (speaks_live()) {
    const TimePoint quiet_at = last_agent_audio_ + kLiveTurnPause;
    if (services_.loop.now() < quiet_at) {
      services_.loop.add_timer(quiet_at, guarded(alive_, [this] { maybe_switch_to_successor(); }));
      return;
    }
  }
  const std::string previous = agent_call_id_;
  hang_up_agent(); // closes the current leg and forgets its channel first
  retire(std::move(agent_leg_));
  auto next = std::move(successor_);
  agent_leg_ = std::move(next->leg);
  agent_call_id_ = next->call_id;
  agent_channel_ = next->channel;
  agent_opus_pt_ = next->opus_pt;
  session_created_ = session_updated_ = true;
  drop_agent_audio_ = false;
  to_agent_.map_payload_type(caller_opus_pt_, agent_opus_pt_);
  to_caller_.map_payload_type(agent_opus_pt_, caller_opus_pt_);
  ++counters_.agent_rollovers;
  log::info("agent_rolled_over", {{"call_id", call_id()},
                                  {"previous_agent_call_id", previous},
                                  {"agent_call_id", agent_call_id_}});
  rollover_timer_.arm(services_.loop.now() + services_.agent_rollover_after);
}

void Call::retire(std::unique_ptr<rtc::PeerTransport> leg) {
  // Not destroyed from inside a callback of one of the legs: on the next loop turn.
  retired_legs_.push_back(std::move(leg));
  services_.loop.post(guarded(alive_, [this] { retired_legs_.clear(); }));
}

void Call::abandon_rollover(const std::string& reason) {
  if (!successor_) return;
  if (!reason.empty()) {
    log::warn("agent_rollover_failed", {{"call_id", call_id()}, {"reason", reason}});
  }
  if (!successor_->call_id.empty() && realtime() != nullptr) {
    detail::hang_up_session(*realtime(), successor_->call_id, call_id());
  }
  successor_->leg->close();
  retire(std::move(successor_->leg));
  successor_.reset();
  // The current session still runs: try again later, unless the call is over.
  if (phase_ != CallPhase::ended) rollover_timer_.arm(services_.loop.now() + kRolloverRetry);
}

} // namespace wab::bridge

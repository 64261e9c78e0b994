// Business-initiated calls: our offer goes out with Graph `connect`; the callee's answer and the
// call's status arrive by webhook.
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

void Call::place_outbound_call() {
  try {
    caller_leg_ = make_leg("whatsapp", false);
  } catch (const std::exception& e) {
    end("outbound_setup_failed", OutwardAction::reject_or_terminate, {{"error", e.what()}});
    return;
  }
  caller_leg_->gather(guarded(alive_, [this] { send_outbound_offer(); }));
}

void Call::send_outbound_offer() {
  std::string offer_sdp;
  try {
    caller_offer_ = sdp::offer_for_whatsapp(
        rtc::local_parameters(*caller_leg_, to_caller_.ssrc(), "wabridge"), caller_opus_pt_, 126);
    offer_sdp = sdp::write(caller_offer_);
  } catch (const std::exception& e) {
    end("outbound_setup_failed", OutwardAction::reject_or_terminate, {{"error", e.what()}});
    return;
  }
  log::debug("outbound_offer", {{"to", connect_.to}, {"sdp", offer_sdp}});
  services_.graph.connect(
      connect_.business.phone_number_id, connect_.to, offer_sdp, biz_opaque_callback_data_,
      in_graph_order(false,
                     guarded(alive_, [this](const whatsapp::GraphResult& r) { on_placed(r); })));
}

void Call::on_placed(const whatsapp::GraphResult& result) {
  if (phase_ == CallPhase::ended) return; // reported by end(); its terminate follows
  if (!result.ok || result.call_id.empty()) {
    report_placed(result);
    if (metrics_) metrics_->graph_error("connect", result.http_status, result.error_code);
    end("graph_connect_failed", OutwardAction::none,
        {{"http_status", result.http_status},
         {"error_code", result.error_code},
         {"message", result.message}});
    return;
  }
  connect_.call_id = result.call_id;
  // The agent may have been created first (while Graph answered): name it here too.
  log::info("call_placed", {{"call_id", call_id()},
                            {"to", connect_.to},
                            {"phone_number_id", connect_.business.phone_number_id},
                            {"agent_call_id", agent_call_id_}});
  open_call_files();
  report_placed(result);
}

void Call::report_placed(const whatsapp::GraphResult& result) {
  if (placed_reported_ || !on_placed_) return;
  placed_reported_ = true;
  on_placed_(*this, result);
}

void Call::on_callee_answer(const std::string& answer_sdp) {
  if (!outbound_ || phase_ == CallPhase::ended || !caller_leg_ || callee_answered_) return;
  callee_answered_ = true;
  try {
    const auto answer = sdp::parse(answer_sdp);
    if (auto opus = sdp::negotiated_opus(answer)) caller_opus_pt_ = opus->payload_type;
    caller_dtmf_pt_ = sdp::telephone_event_pt(answer);
    caller_leg_->start(rtc::remote_parameters(answer, rtc::SdpSide::we_offered));
  } catch (const std::exception& e) {
    end("callee_answer_unusable", OutwardAction::reject_or_terminate, {{"error", e.what()}});
    return;
  }
  log::info("callee_answered", {{"call_id", call_id()}});
  to_agent_.map_payload_type(caller_opus_pt_, agent_opus_pt_);
  to_caller_.map_payload_type(agent_opus_pt_, caller_opus_pt_);
}

void Call::on_status_webhook(const whatsapp::CallStatus& status) {
  if (phase_ == CallPhase::ended) return;
  log::info("call_status", {{"call_id", call_id()}, {"status", status.status_text}});
  if (status.status == whatsapp::CallStatusKind::rejected) {
    end("callee_rejected", OutwardAction::none);
  } else if (status.status == whatsapp::CallStatusKind::accepted && outbound_ &&
             phase_ == CallPhase::answering) {
    // The callee picked up: the call is live (no Graph accept for calls we placed).
    phase_ = CallPhase::accepted;
    was_accepted_ = true;
    notify_step("callee_answered");
    accept_window_timer_.disarm();
    start_keepalive();
    maybe_greet();
  }
}

Call::~Call() {
  *alive_ = false;
  stop_keepalive();
  // Closing the legs may call back (channel closed): nothing may act on a call being destroyed.
  phase_ = CallPhase::ended;
  if (caller_leg_) caller_leg_->close();
  if (agent_leg_) agent_leg_->close();
}

} // namespace wab::bridge

// Softphone calls: a browser's offer answered like a WhatsApp caller's, with Meta's steps
// (pre_accept, accept, reject/terminate) replaced by local ones that succeed at once.
#include "bridge/call.hpp"
#include "bridge/call_internal.hpp"

namespace wab::bridge {
using detail::guarded;

namespace {

whatsapp::CallConnect softphone_connect(SoftphoneCall& softphone) {
  whatsapp::CallConnect c;
  c.call_id = std::move(softphone.call_id);
  c.business.phone_number_id = std::move(softphone.phone_number_id);
  c.direction = whatsapp::CallDirection::user_initiated;
  c.sdp_type = whatsapp::SdpType::offer;
  c.sdp = std::move(softphone.offer_sdp);
  return c;
}

} // namespace

Call::Call(CallServices& services, SoftphoneCall softphone, EndedHandler on_ended,
           AnsweredHandler on_answered)
    : Call(services, softphone_connect(softphone), std::move(on_ended), nullptr) {
  on_answered_ = std::move(on_answered);
  start();
}

void Call::hang_up(const std::string& cause) {
  end(cause, OutwardAction::none);
}

void Call::report_answered(const std::string& answer_sdp) {
  if (answered_reported_ || !on_answered_) return;
  answered_reported_ = true;
  on_answered_(*this, answer_sdp);
}

// What Meta would answer to pre_accept/accept, without asking anyone; posted like an HTTP answer
// so the call's steps run in the same order as for a WhatsApp call.
void Call::succeed_locally(void (Call::*step)(const whatsapp::GraphResult&)) {
  services_.loop.post(guarded(alive_, [this, step] {
    whatsapp::GraphResult ok;
    ok.ok = true;
    ok.http_status = 200;
    (this->*step)(ok);
  }));
}

} // namespace wab::bridge

#include "bridge/call.hpp"

#include "agent/client_events.hpp"
#include "bridge/call_internal.hpp"
#include "common/log.hpp"
#include "common/random.hpp"
#include "rtc/negotiation.hpp"
#include "sdp/negotiation.hpp"
#include "sdp/offer_answer.hpp"
#include "sdp/parser.hpp"
#include "sdp/writer.hpp"

namespace wab::bridge {
using detail::guarded;
using detail::kDataChannelLabel;

whatsapp::GraphClient::Callback Call::in_graph_order(bool is_accept, GraphResultHandler on_result) {
  ++graph_order_->in_flight;
  return [order = graph_order_, is_accept,
          on_result = std::move(on_result)](const whatsapp::GraphResult& r) {
    --order->in_flight;
    if (is_accept && r.ok) order->accepted = true;
    if (r.ok && !r.call_id.empty()) order->call_id = r.call_id;
    on_result(r);
    if (order->in_flight == 0 && order->after) {
      auto after = std::move(order->after);
      order->after = nullptr;
      after();
    }
  };
}

Call::Call(CallServices& services, whatsapp::CallConnect connect, EndedHandler on_ended)
    : Call(services, std::move(connect), std::move(on_ended), nullptr) {
  start();
}

Call::Call(CallServices& services, OutboundCall outbound, EndedHandler on_ended,
           PlacedHandler on_placed)
    : Call(
          services,
          [&outbound] {
            whatsapp::CallConnect c;
            c.business.phone_number_id = outbound.phone_number_id;
            c.to = outbound.to;
            c.direction = whatsapp::CallDirection::business_initiated;
            return c;
          }(),
          std::move(on_ended), std::move(on_placed)) {
  outbound_ = true;
  biz_opaque_callback_data_ = std::move(outbound.biz_opaque_callback_data);
  graph_order_->accepted = true; // ending a placed call is a terminate, ringing or not
  start();
}

Call::Call(CallServices& services, whatsapp::CallConnect connect, EndedHandler on_ended,
           PlacedHandler on_placed)
    : services_(services), connect_(std::move(connect)),
      profile_(services.profiles.for_number(connect_.business.phone_number_id)),
      on_placed_(std::move(on_placed)), on_ended_(std::move(on_ended)),
      started_at_(services.loop.now()), to_agent_(random_u32()), to_caller_(random_u32()),
      accept_window_timer_(services.loop,
                           [this] {
                             end(outbound_ ? "callee_did_not_answer" : "accept_window_expired",
                                 OutwardAction::reject_or_terminate);
                           }),
      agent_setup_timer_(services.loop,
                         [this] {
                           if (!session_updated_) agent_failed("agent_setup_timeout");
                         }),
      max_duration_timer_(
          services.loop,
          [this] { end("max_duration_reached", OutwardAction::reject_or_terminate); }),
      announcement_timer_(services.loop, [this] { on_announcement_tick(); }),
      goodbye_timer_(services.loop,
                     [this] { end("agent_ended_call", OutwardAction::reject_or_terminate); }),
      rollover_timer_(services.loop, [this] { start_rollover(); }) {}

void Call::start() {
  nlohmann::json fields = {
      {"phone_number_id", connect_.business.phone_number_id},
      {"direction",
       softphone() ? "SOFTPHONE" : std::string(whatsapp::to_string(connect_.direction))}};
  if (outbound_) {
    fields["to"] = connect_.to;
  } else {
    fields["call_id"] = call_id();
  }
  log::info("call_started", fields);
  accept_window_timer_.arm(started_at_ + services_.accept_window);
  if (!outbound_) open_call_files();
  if (services_.max_call_duration > Duration::zero()) {
    max_duration_timer_.arm(started_at_ + services_.max_call_duration);
  }
  // Setup may fail at once; report that after the constructor, never from inside it.
  services_.loop.post(guarded(alive_, [this] {
    if (outbound_) {
      place_outbound_call();
    } else {
      answer_caller();
    }
    if (phase_ != CallPhase::ended) open_agent_leg(); // while the phone rings, for outbound
  }));
}

void Call::open_call_files() {
  if (services_.call_data.directory.empty()) return;
  try {
    recorder_ = std::make_unique<CallRecorder>(services_.call_data, call_id(),
                                               std::chrono::system_clock::now());
  } catch (const std::exception& e) {
    // The call matters more than its files.
    log::warn("call_data_unavailable", {{"call_id", call_id()}, {"error", e.what()}});
  }
}

std::unique_ptr<rtc::PeerTransport> Call::make_leg(const char* leg, bool data_channel) {
  rtc::TransportConfig config = services_.transport;
  config.data_channel = data_channel;
  config.log_call_id = outbound_ && call_id().empty() ? "outbound:" + connect_.to : call_id();
  config.log_leg = leg;
  return std::make_unique<rtc::PeerTransport>(
      services_.loop, services_.batch, static_cast<rtc::PeerTransport::Listener&>(*this), config);
}

// --- the caller's leg ---------------------------------------------------------------------------

void Call::answer_caller() {
  try {
    caller_offer_ = sdp::parse(connect_.sdp);
    caller_leg_ = make_leg("whatsapp", false);
  } catch (const std::exception& e) {
    end("caller_offer_unusable", OutwardAction::reject_or_terminate, {{"error", e.what()}});
    return;
  }
  // Non-trickle: the answer carries every candidate, so it waits for gathering.
  caller_leg_->gather(guarded(alive_, [this] { send_caller_answer(); }));
}

void Call::send_caller_answer() {
  try {
    const auto answer = sdp::answer_whatsapp_offer(
        caller_offer_, rtc::local_parameters(*caller_leg_, to_caller_.ssrc(), "wabridge"));
    answer_sdp_ = sdp::write(answer);
    const auto opus = sdp::negotiated_opus(answer);
    caller_opus_pt_ = opus->payload_type;
    caller_dtmf_pt_ = sdp::telephone_event_pt(answer);
    caller_leg_->start(rtc::remote_parameters(caller_offer_, rtc::SdpSide::we_answered));
  } catch (const std::exception& e) {
    end("caller_offer_unusable", OutwardAction::reject_or_terminate, {{"error", e.what()}});
    return;
  }
  log::debug("caller_answer", {{"call_id", call_id()}, {"sdp", answer_sdp_}});
  if (softphone()) { // no Meta: the browser gets the answer, pre_accept succeeds locally
    report_answered(answer_sdp_);
    succeed_locally(&Call::on_pre_accept);
    return;
  }
  services_.graph.pre_accept(
      connect_.business.phone_number_id, call_id(), answer_sdp_,
      in_graph_order(
          false, guarded(alive_, [this](const whatsapp::GraphResult& r) { on_pre_accept(r); })));
}

void Call::on_pre_accept(const whatsapp::GraphResult& result) {
  if (phase_ == CallPhase::ended) return; // the end's own Graph action follows this answer
  const auto ms = std::chrono::duration_cast<milliseconds>(services_.loop.now() - started_at_);
  if (!result.ok) {
    if (metrics_) metrics_->graph_error("pre_accept", result.http_status, result.error_code);
    end("graph_pre_accept_failed", OutwardAction::reject_or_terminate,
        {{"http_status", result.http_status},
         {"error_code", result.error_code},
         {"message", result.message}});
    return;
  }
  // A softphone call's steps are local: its log says so (graph_* lines mean Meta answered).
  log::info(softphone() ? "softphone_pre_accept" : "graph_pre_accept",
            {{"call_id", call_id()}, {"ms_since_webhook", ms.count()}});
  record_setup(stats_.pre_accept, &CallMetrics::to_pre_accept);
  notify_step("pre_accept");
  pre_accepted_ = true;
  maybe_accept();
}

void Call::maybe_accept() {
  if (outbound_) return; // the callee accepts calls we place
  if (accept_sent_ || !pre_accepted_ || !caller_leg_ || !caller_leg_->connected()) return;
  // Accept only once the agent can speak (or the fallback announcement is ready): until then the
  // caller hears ringing, not dead air, and an agent that fails to come up leads to a reject
  // before the call was ever answered.
  if (!session_updated_ && !announcing_) return;
  accept_sent_ = true;
  if (softphone()) {
    succeed_locally(&Call::on_accept);
    return;
  }
  services_.graph.accept(
      connect_.business.phone_number_id, call_id(), answer_sdp_, std::nullopt,
      in_graph_order(true,
                     guarded(alive_, [this](const whatsapp::GraphResult& r) { on_accept(r); })));
}

void Call::on_accept(const whatsapp::GraphResult& result) {
  if (phase_ == CallPhase::ended) return;
  const auto ms = std::chrono::duration_cast<milliseconds>(services_.loop.now() - started_at_);
  if (!result.ok) {
    if (metrics_) metrics_->graph_error("accept", result.http_status, result.error_code);
    end("graph_accept_failed", OutwardAction::reject_or_terminate,
        {{"http_status", result.http_status},
         {"error_code", result.error_code},
         {"message", result.message}});
    return;
  }
  log::info(softphone() ? "softphone_accept" : "graph_accept",
            {{"call_id", call_id()}, {"ms_since_webhook", ms.count()}});
  record_setup(stats_.accept, &CallMetrics::to_accept);
  phase_ = CallPhase::accepted;
  was_accepted_ = true;
  notify_step("accept");
  accept_window_timer_.disarm();
  if (announcing_) {
    start_announcement();
    return;
  }
  // Media towards WhatsApp only from now on; silence keeps the call alive until the agent speaks.
  start_keepalive();
  maybe_greet();
}

// --- the agent's leg ----------------------------------------------------------------------------

void Call::open_agent_leg() {
  if (realtime() == nullptr) {
    agent_failed("agent_unavailable", {{"reason", "OPENAI_API_KEY is not set"}});
    return;
  }
  agent_opus_pt_ = caller_opus_pt_; // same number on both legs: no PT rewrite needed
  try {
    agent_leg_ = make_leg("agent", true);
  } catch (const std::exception& e) {
    agent_failed("agent_leg_setup_failed", {{"error", e.what()}});
    return;
  }
  agent_setup_timer_.arm(services_.loop.now() + services_.agent_setup_timeout);
  agent_leg_->gather(guarded(alive_, [this] { send_agent_offer(); }));
}

void Call::send_agent_offer() {
  if (phase_ == CallPhase::ended || announcing_) return; // the agent is no longer wanted
  std::string offer_sdp;
  try {
    if (auto opus = sdp::negotiated_opus(caller_offer_)) agent_opus_pt_ = opus->payload_type;
    sdp::OpenAiOfferOptions options;
    options.opus_pt = agent_opus_pt_;
    offer_sdp = sdp::write(sdp::offer_for_openai(
        rtc::local_parameters(*agent_leg_, to_agent_.ssrc(), "wabridge"), options));
  } catch (const std::exception& e) {
    agent_failed("agent_leg_setup_failed", {{"error", e.what()}});
    return;
  }
  realtime()->create_call(
      offer_sdp, agent::build_session(profile_.session),
      [this, alive = std::weak_ptr<bool>(alive_), realtime = realtime(),
       id = call_id()](const agent::CallResult& r) {
        const auto live = alive.lock();
        if (live && *live && phase_ != CallPhase::ended && !announcing_) {
          on_agent_call_created(r);
          return;
        }
        // The call ended while OpenAI was creating the session: end that session too, or it
        // would stay open (and billed) with nobody on it.
        if (!r.call_id.empty()) {
          log::info("agent_call_orphaned", {{"call_id", id}, {"agent_call_id", r.call_id}});
          detail::hang_up_session(*realtime, r.call_id, id);
        }
      });
}

void Call::on_agent_call_created(const agent::CallResult& result) {
  agent_call_id_ = result.call_id; // also when failed: a 2xx with a bad answer is hung up
  if (!result.ok) {
    agent_failed("agent_call_failed",
                 {{"http_status", result.http_status}, {"error", result.error}});
    return;
  }
  log::info("agent_call_created", {{"call_id", call_id()}, {"agent_call_id", agent_call_id_}});
  if (services_.agent_rollover_after > Duration::zero()) {
    rollover_timer_.arm(services_.loop.now() + services_.agent_rollover_after);
  }
  try {
    const auto answer = sdp::parse(result.answer_sdp);
    if (auto opus = sdp::negotiated_opus(answer)) agent_opus_pt_ = opus->payload_type;
    agent_leg_->start(rtc::remote_parameters(answer, rtc::SdpSide::we_offered));
  } catch (const std::exception& e) {
    agent_failed("agent_answer_unusable", {{"error", e.what()}});
    return;
  }
  to_agent_.map_payload_type(caller_opus_pt_, agent_opus_pt_);
  to_caller_.map_payload_type(agent_opus_pt_, caller_opus_pt_);
}

void Call::send_agent_event(const std::string& json_text) {
  if (!agent_leg_ || !agent_channel_) return;
  agent_leg_->send_message(
      *agent_channel_,
      Bytes(reinterpret_cast<const std::uint8_t*>(json_text.data()), json_text.size()), false);
}

void Call::on_agent_event(const agent::ServerEvent& event) {
  using Kind = agent::ServerEventKind;
  switch (event.kind) {
  case Kind::session_created:
    session_created_ = true;
    log::info("agent_session_created", {{"call_id", call_id()}, {"model", event.model}});
    // The full configuration again (model unchanged): effective even where the signalling
    // path could not carry it.
    send_agent_event(agent::session_update(agent::build_session(profile_.session)));
    break;
  case Kind::session_updated:
    session_updated_ = true;
    agent_setup_timer_.disarm();
    log::info("agent_session_updated", {{"call_id", call_id()}});
    maybe_accept();
    maybe_greet();
    break;
  case Kind::input_transcript_done: transcript("caller", event.text); break;
  case Kind::output_transcript_done:
  case Kind::output_text_done: transcript("agent", event.text); break;
  case Kind::input_transcript_delta:
  case Kind::output_transcript_delta:
    // GPT-Live sends transcripts only as deltas: a turn is complete when the other side speaks.
    if (speaks_live()) {
      const bool caller = event.kind == Kind::input_transcript_delta;
      flush_live_transcript(caller ? "agent" : "caller");
      (caller ? live_caller_text_ : live_agent_text_) += event.text;
    }
    break;
  case Kind::session_started: // GPT-Live: configured at creation, ready now
    session_created_ = session_updated_ = true;
    agent_setup_timer_.disarm();
    log::info("agent_session_started", {{"call_id", call_id()}, {"model", event.model}});
    maybe_accept();
    maybe_greet();
    break;
  case Kind::session_closed:
    flush_live_transcript("caller");
    flush_live_transcript("agent");
    agent_failed("agent_session_closed", {{"reason", event.status_reason}});
    break;
  case Kind::speech_started:
    // Barge-in: the caller talks over the agent. With interrupt_response the model stops; what
    // it already sent must not keep playing to the caller.
    if (agent_speaking_ && profile_.session.turn_detection &&
        profile_.session.turn_detection->interrupt_response) {
      drop_agent_audio_ = true;
      log::info("barge_in", {{"call_id", call_id()}});
    }
    log::info("agent_event", {{"call_id", call_id()}, {"type", event.type}});
    break;
  case Kind::output_audio_buffer_cleared:
    agent_speaking_ = false;
    drop_agent_audio_ = true;
    log::info("agent_event", {{"call_id", call_id()}, {"type", event.type}});
    maybe_end_after_goodbye();
    break;
  case Kind::output_audio_buffer_started:
    agent_speaking_ = true;
    drop_agent_audio_ = false; // a new response speaks
    log::info("agent_event", {{"call_id", call_id()}, {"type", event.type}});
    break;
  case Kind::output_audio_buffer_stopped:
    agent_speaking_ = false;
    log::info("agent_event", {{"call_id", call_id()}, {"type", event.type}});
    maybe_end_after_goodbye();
    maybe_switch_to_successor(); // a long call changes agent sessions between turns
    break;
  case Kind::speech_stopped:
    log::info("agent_event", {{"call_id", call_id()}, {"type", event.type}});
    break;
  case Kind::response_done:
    log::info("agent_response_done", {{"call_id", call_id()}, {"status", event.response_status}});
    for (const auto& call : event.function_calls)
      on_function_call(call);
    break;
  case Kind::function_call_arguments_done:
  case Kind::output_item_done:
    for (const auto& call : event.function_calls)
      on_function_call(call);
    break;
  case Kind::rate_limits_updated: log::debug("agent_rate_limits", {{"call_id", call_id()}}); break;
  case Kind::error:
    // Most agent errors are recoverable; the session stays open.
    log::warn("agent_error", {{"call_id", call_id()},
                              {"code", event.error ? event.error->code : ""},
                              {"message", event.error ? event.error->message : ""}});
    break;
  default: log::debug("agent_event", {{"call_id", call_id()}, {"type", event.type}}); break;
  }
}

void Call::transcript(const char* speaker, const std::string& text) {
  log::info("transcript", {{"call_id", call_id()}, {"speaker", speaker}, {"text", text}});
  if (recorder_) recorder_->transcript(speaker, text);
  if (services_.observer) services_.observer->transcript(call_id(), speaker, text);
  remember_turn(speaker, text);
}

bool Call::speaks_live() const {
  return realtime() != nullptr && realtime()->config().api == agent::AgentApi::live;
}

void Call::flush_live_transcript(const char* speaker) {
  std::string& text = std::string_view(speaker) == "caller" ? live_caller_text_ : live_agent_text_;
  if (text.empty()) return;
  transcript(speaker, text);
  text.clear();
}

void Call::maybe_greet() {
  // The agent speaks first once its configuration is applied and the caller can hear it.
  if (greeted_ || !session_updated_ || phase_ != CallPhase::accepted) return;
  // An outbound callee may pick up before the media path is up: greet into a live leg only.
  if (!caller_leg_ || !caller_leg_->connected()) return;
  greeted_ = true;
  send_agent_event(profile_.greeting.empty() ? agent::response_create()
                                             : agent::response_create(profile_.greeting));
}

// --- transport events ---------------------------------------------------------------------------

void Call::on_transport_connected(rtc::PeerTransport& t) {
  if (is_successor_leg(t)) {
    successor_->channel = successor_->leg->open_channel(kDataChannelLabel);
    return;
  }
  if (&t != agent_leg_.get() && !is_caller_leg(t)) return; // a retired agent leg
  // Which kind of path carries the leg (host, srflx, prflx, relay, or tcp for ICE-TCP) on our
  // side and the peer's.
  const auto local = t.selected_local_type();
  const auto remote = t.selected_remote_type();
  const bool over_tcp = t.selected_transport() == ice::Transport::tcp;
  const std::string local_type(over_tcp ? "tcp" : local ? ice::to_string(*local) : "unknown");
  const std::string remote_type(remote ? ice::to_string(*remote) : "unknown");
  if (metrics_) ++metrics_->legs_connected[{is_caller_leg(t) ? "caller" : "agent", local_type}];
  if (is_caller_leg(t)) {
    log::info("leg_connected", {{"call_id", call_id()},
                                {"leg", "whatsapp"},
                                {"local_candidate", local_type},
                                {"remote_candidate", remote_type}});
    notify_step("caller_connected");
    maybe_accept();
    maybe_greet();
  } else {
    log::info("leg_connected", {{"call_id", call_id()},
                                {"leg", "agent"},
                                {"local_candidate", local_type},
                                {"remote_candidate", remote_type}});
    notify_step("agent_connected");
    agent_channel_ = agent_leg_->open_channel(kDataChannelLabel);
  }
}

void Call::on_transport_failed(rtc::PeerTransport& t, const std::string& reason) {
  if (is_successor_leg(t)) {
    abandon_rollover(reason);
    return;
  }
  if (&t != agent_leg_.get() && !is_caller_leg(t)) return;
  if (is_caller_leg(t)) {
    end("whatsapp_leg_failed", OutwardAction::reject_or_terminate, {{"reason", reason}});
  } else {
    agent_failed("agent_leg_failed", {{"reason", reason}});
  }
}

void Call::on_transport_closed(rtc::PeerTransport& t, const std::string& reason) {
  if (is_successor_leg(t)) {
    abandon_rollover(reason);
    return;
  }
  if (&t != agent_leg_.get() && !is_caller_leg(t)) return;
  if (is_caller_leg(t)) {
    end("whatsapp_leg_closed", OutwardAction::reject_or_terminate, {{"reason", reason}});
  } else {
    agent_failed("agent_leg_closed", {{"reason", reason}});
  }
}

void Call::on_channel_open(rtc::PeerTransport& t, std::uint16_t id, const std::string& label) {
  if (is_successor_leg(t)) {
    if (label == kDataChannelLabel) successor_->channel = id;
    return;
  }
  if (&t != agent_leg_.get()) return;
  if (label == kDataChannelLabel) agent_channel_ = id;
  log::info("agent_channel_open", {{"call_id", call_id()}, {"label", label}});
}

void Call::on_channel_closed(rtc::PeerTransport& t, std::uint16_t id) {
  // Without its events channel the agent can neither be configured nor be told anything.
  if (is_successor_leg(t)) {
    if (successor_->channel == id) abandon_rollover("its events channel closed");
    return;
  }
  if (&t == agent_leg_.get() && agent_channel_ == id) {
    agent_channel_.reset();
    // When the whole leg is going down, its own close or failure comes next and names the cause.
    services_.loop.post(guarded(alive_, [this] { agent_failed("agent_channel_closed"); }));
  }
}

void Call::on_channel_message(rtc::PeerTransport& t, std::uint16_t, Bytes data, bool binary) {
  if (binary) return; // the Realtime protocol is JSON text
  const bool successor = is_successor_leg(t);
  if (!successor && &t != agent_leg_.get()) return;
  std::string why;
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  auto event = agent::parse_server_event(text, {}, &why);
  if (!event) {
    log::warn("agent_event_malformed", {{"call_id", call_id()}, {"reason", why}});
    return;
  }
  if (successor) {
    on_successor_event(*event);
    return;
  }
  ++counters_.agent_events;
  on_agent_event(*event);
}

void Call::on_rtp(rtc::PeerTransport& t, MutableBytes packet, std::size_t capacity, TimePoint now) {
  if (is_caller_leg(t)) {
    forward_to_agent(packet, capacity);
  } else if (&t != agent_leg_.get()) {
    return; // a successor not yet switched to, or a retired leg
  } else if (drop_agent_audio_) {
    ++counters_.dropped_barge_in; // silence fill continues: last_agent_audio_ stays behind
  } else {
    last_agent_audio_ = now;
    forward_to_caller(packet, capacity);
  }
}

// --- ending -------------------------------------------------------------------------------------

std::uint64_t Call::datagrams_dropped() const {
  return (caller_leg_ ? caller_leg_->datagrams_dropped() : 0) +
         (agent_leg_ ? agent_leg_->datagrams_dropped() : 0);
}

void Call::on_terminate_webhook(const whatsapp::CallTerminate& terminate) {
  nlohmann::json details = {{"status", terminate.status_text}};
  if (terminate.duration_seconds) details["duration"] = *terminate.duration_seconds;
  if (!terminate.errors.empty()) details["error_code"] = terminate.errors.front().code;
  end("caller_hung_up", OutwardAction::none, details);
}

void Call::shut_down(const std::string& cause) {
  end(cause, OutwardAction::reject_or_terminate);
}

void Call::end(const std::string& cause, OutwardAction action, const nlohmann::json& details) {
  if (phase_ == CallPhase::ended) return;
  phase_ = CallPhase::ended;
  end_cause_ = cause;
  end_details_ = details.is_object() ? details : nlohmann::json::object();
  stop_keepalive();
  accept_window_timer_.disarm();
  agent_setup_timer_.disarm();
  max_duration_timer_.disarm();
  announcement_timer_.disarm();
  goodbye_timer_.disarm();

  if (outbound_ && !placed_reported_) {
    // Whoever placed the call learns it ended before Meta took it.
    whatsapp::GraphResult failed;
    failed.message = "the call ended before Meta answered: " + cause;
    report_placed(failed);
  }
  report_answered(""); // a softphone call that ended before its answer: the browser learns why
  if (softphone()) action = OutwardAction::none; // nothing at Meta to end
  std::string graph_action = "none";
  if (action == OutwardAction::reject_or_terminate) {
    // Before accept we reject; after accept we terminate. Results are only logged.
    auto send = [&graph = services_.graph, number = connect_.business.phone_number_id,
                 own_id = call_id(), order = graph_order_, metrics = metrics_]() {
      // A placed call's id may only be known from the connect answer that just arrived.
      const std::string id = order->call_id.empty() ? own_id : order->call_id;
      if (id.empty()) return; // Graph `connect` failed: there is no call to end
      const char* what = order->accepted ? "terminate" : "reject";
      auto log_result = [id, what, metrics](const whatsapp::GraphResult& r) {
        if (!r.ok) {
          if (metrics) metrics->graph_error(what, r.http_status, r.error_code);
          log::warn("graph_action_failed",
                    {{"call_id", id}, {"action", what}, {"message", r.message}});
        }
      };
      if (order->accepted) {
        graph.terminate(number, id, log_result);
      } else {
        graph.reject(number, id, log_result);
      }
    };
    if (graph_order_->in_flight > 0) {
      // Sent once the pending request is answered; an accept that went through turns the
      // reject into a terminate (logged then).
      graph_action = "reject";
      graph_order_->after = [send = std::move(send), order = graph_order_, id = call_id()] {
        if (order->accepted)
          log::info("graph_end_action_changed", {{"call_id", id}, {"action", "terminate"}});
        send();
      };
    } else {
      graph_action = graph_order_->accepted ? "terminate" : "reject";
      send();
    }
  }
  flush_live_transcript("caller");
  flush_live_transcript("agent");
  hang_up_agent();
  abandon_rollover("");
  rollover_timer_.disarm();
  if (caller_leg_) caller_leg_->close();
  if (recorder_) recorder_->finish();

  nlohmann::json fields = {
      {"call_id", call_id()},
      {"cause", cause},
      {"graph_action", graph_action},
      {"duration_ms",
       std::chrono::duration_cast<milliseconds>(services_.loop.now() - started_at_).count()},
      {"forwarded_to_agent", counters_.forwarded_to_agent},
      {"forwarded_to_caller", counters_.forwarded_to_caller},
      {"silence_to_caller", counters_.silence_to_caller}};
  if (caller_leg_) fields["whatsapp_datagrams_dropped"] = caller_leg_->datagrams_dropped();
  if (agent_leg_) fields["agent_datagrams_dropped"] = agent_leg_->datagrams_dropped();
  if (counters_.announcement_packets > 0) {
    fields["announcement_packets"] = counters_.announcement_packets;
  }
  if (details.is_object()) {
    for (const auto& [k, v] : details.items())
      fields[k] = v;
  }
  log::info("call_ended", fields);
  // The owner destroys the call; never from inside our own callback stack.
  services_.loop.post(guarded(alive_, [this] { on_ended_(*this); }));
}

} // namespace wab::bridge

#pragma once
// Call: one WhatsApp call answered by the AI agent. It owns both WebRTC legs (the caller's, via
// Meta's media servers, and the agent's, to OpenAI Realtime), drives the Graph API actions and
// the agent's signalling, and forwards Opus RTP between the legs with only the header rewritten.
//
// Lifecycle: constructed from a `connect` webhook → answer + pre_accept, agent leg opened in
// parallel → accept once the caller's leg is connected (no fixed delays) → forwarding → ended
// exactly once by whichever end path comes first; ended() then reports the cause and the owner
// destroys the call later (never from inside one of its callbacks).
//
// Threads: everything runs on the loop the call was created on (the HTTP clients it uses belong
// to the same loop).
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/events.hpp"
#include "agent/realtime_signaling.hpp"
#include "agent/session_config.hpp"
#include "agent/tool_invoker.hpp"
#include "bridge/agent_profile.hpp"
#include "bridge/call_metrics.hpp"
#include "bridge/call_observer.hpp"
#include "bridge/call_recorder.hpp"
#include "bridge/call_stats.hpp"
#include "bridge/keepalive_sweep.hpp"
#include "net/event_loop.hpp"
#include "ogg/ogg_opus_reader.hpp"
#include "rtc/peer_transport.hpp"
#include "rtp/rtp_rewriter.hpp"
#include "sdp/session_description.hpp"
#include "whatsapp/graph_client.hpp"
#include "whatsapp/webhook.hpp"

namespace wab::bridge {

// What every call of the process shares. Owned by the app; outlives every call.
struct CallServices {
  net::EventLoop& loop;
  net::ReceiveBatch& batch;
  whatsapp::GraphClient& graph;
  agent::RealtimeSignaling* realtime = nullptr; // OpenAI; null: not configured (fallback)
  AgentProfiles profiles;                       // per business number
  rtc::TransportConfig transport;               // host addresses, port range
  Duration accept_window = seconds(30);
  Duration agent_setup_timeout = seconds(20);
  Duration max_call_duration{}; // zero: no limit
  // A new agent session takes over this long after the current one started (OpenAI ends
  // sessions at 60 minutes); zero: never.
  Duration agent_rollover_after{};
  agent::ToolInvoker* tools = nullptr; // null: HTTP tools answer "unavailable"
  CallDataSettings call_data;          // transcripts and recordings on disk
  CallObserver* observer = nullptr;    // the app's live view of the calls; null: none
  // The calls' 20 ms media keepalive, one timer for all of them; made by the first call that
  // needs it (the loop's thread), so whoever builds the services need not.
  std::shared_ptr<KeepaliveSweep> keepalive{};
};

enum class CallPhase { answering, accepted, ended };

// A business-initiated call to place: who, from which number.
struct OutboundCall {
  std::string phone_number_id;
  std::string to; // the WhatsApp user's phone number or id
  std::optional<std::string> biz_opaque_callback_data;
};

// A call from the browser softphone (the app's /softphone page): its offer is answered exactly
// like a WhatsApp caller's, but there is no Meta: pre_accept and accept succeed locally at once
// and ending it sends no reject or terminate. Everything else (agent profile, tools, transcripts,
// recordings, observer) is the WhatsApp call path.
struct SoftphoneCall {
  std::string call_id;         // ours; unique among live calls
  std::string phone_number_id; // whose agent profile answers (empty: the default profile)
  std::string offer_sdp;       // the browser's, non-trickle (every candidate in it)
};

class Call final : private rtc::PeerTransport::Listener, private KeepaliveSweep::Member {
public:
  using EndedHandler = std::function<void(Call&)>;
  using PlacedHandler = std::function<void(Call&, const whatsapp::GraphResult&)>;
  // Softphone: our answer SDP once gathered, or empty when the call ended before (end_cause()).
  using AnsweredHandler = std::function<void(Call&, const std::string& answer_sdp)>;

  // Answers a user-initiated call at once; failures found here are reported through `on_ended`
  // later (posted).
  Call(CallServices& services, whatsapp::CallConnect connect, EndedHandler on_ended);
  // Places a business-initiated call: our offer goes out with Graph `connect` (`on_placed` gets
  // its result; call_id() is known from then on), the agent is prepared while the phone rings,
  // the callee's answer comes by webhook (on_callee_answer) and the call is live on ACCEPTED.
  Call(CallServices& services, OutboundCall outbound, EndedHandler on_ended,
       PlacedHandler on_placed);
  // Answers a softphone call: `on_answered` gets the answer to hand back to the browser.
  Call(CallServices& services, SoftphoneCall softphone, EndedHandler on_ended,
       AnsweredHandler on_answered);
  ~Call() override;
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  // Meta's `terminate` webhook: the caller hung up (or Meta ended the call).
  void on_terminate_webhook(const whatsapp::CallTerminate& terminate);
  // The process is shutting down.
  void shut_down(const std::string& cause);
  // Outbound: the callee's SDP answer (a `connect` webhook) and the call's status webhooks.
  void on_callee_answer(const std::string& answer_sdp);
  void on_status_webhook(const whatsapp::CallStatus& status);
  bool outbound() const { return outbound_; }
  // Softphone: the browser hung up (or its page went away).
  void hang_up(const std::string& cause);
  bool softphone() const { return static_cast<bool>(on_answered_); }

  const std::string& call_id() const { return connect_.call_id; }
  CallPhase phase() const { return phase_; }
  const std::string& end_cause() const { return end_cause_; }
  // What `call_ended` logged besides the cause (reason, HTTP status, fallback…).
  const nlohmann::json& end_details() const { return end_details_; }

  struct Counters {
    std::uint64_t forwarded_to_agent = 0;
    std::uint64_t forwarded_to_caller = 0;
    std::uint64_t silence_to_caller = 0;
    std::uint64_t dtmf_events = 0;
    std::uint64_t dropped_before_accept = 0;
    std::uint64_t sender_reports = 0;
    std::uint64_t announcement_packets = 0;
    std::uint64_t dropped_barge_in = 0; // agent audio cut because the caller spoke over it
    std::uint64_t tool_calls = 0;
    std::uint64_t agent_events = 0; // data-channel events read
    std::uint64_t agent_rollovers = 0;
  };
  const Counters& counters() const { return counters_; }
  // Datagrams both legs refused (garbage, unselected addresses, failed authentication).
  std::uint64_t datagrams_dropped() const;

  // Metrics (call_stats.cpp): where setup times, RTCP reports and errors are recorded (null:
  // nowhere; set by the owner right after construction), this call's own figures, a listing line
  // and how it ended in one word (answered | announcement | not_answered).
  void set_metrics(CallMetrics* metrics) { metrics_ = metrics; }
  const CallStats& stats() const { return stats_; }
  CallSnapshot snapshot() const;
  std::string outcome() const;

private:
  // Setup steps.
  Call(CallServices& services, whatsapp::CallConnect connect, EndedHandler on_ended,
       PlacedHandler on_placed);
  void start();
  // A new leg of this call (throws when no socket can be bound).
  std::unique_ptr<rtc::PeerTransport> make_leg(const char* leg, bool data_channel);
  void open_call_files();
  void place_outbound_call();
  void send_outbound_offer();
  void on_placed(const whatsapp::GraphResult& result);
  void report_placed(const whatsapp::GraphResult& result);
  void answer_caller();
  void send_caller_answer();
  void open_agent_leg();
  void send_agent_offer();
  void on_pre_accept(const whatsapp::GraphResult& result);
  void maybe_accept();
  void on_accept(const whatsapp::GraphResult& result);
  void on_agent_call_created(const agent::CallResult& result);
  void on_agent_event(const agent::ServerEvent& event);
  void maybe_greet();
  void transcript(const char* speaker, const std::string& text);
  bool speaks_live() const; // the agent is GPT-Live (openai.md §6), not Realtime GA
  void flush_live_transcript(const char* speaker);
  void on_function_call(const agent::FunctionCall& call);
  void on_tool_result(const std::string& call_id, const std::string& name,
                      const agent::ToolResult& result);
  void on_dtmf_digit(char digit);
  void maybe_end_after_goodbye();
  void send_agent_event(const std::string& json_text);
  // The agent cannot serve this call: runs the configured fallback (ends the call or announces).
  void agent_failed(const std::string& cause, const nlohmann::json& details = {});
  void hang_up_agent();
  void start_announcement();
  void on_announcement_tick();

  // Long calls (call_rollover.cpp): a successor agent leg takes over before the session limit.
  void start_rollover();
  void send_successor_offer();
  void on_successor_created(const agent::CallResult& result);
  void on_successor_event(const agent::ServerEvent& event);
  void maybe_switch_to_successor();
  void abandon_rollover(const std::string& reason);
  void retire(std::unique_ptr<rtc::PeerTransport> leg);
  void remember_turn(const char* speaker, const std::string& text);
  std::string instructions_with_history() const;
  bool is_successor_leg(const rtc::PeerTransport& t) const {
    return successor_ && &t == successor_->leg.get();
  }

  // Media.
  void forward_to_agent(MutableBytes packet, std::size_t capacity);
  void forward_to_caller(MutableBytes packet, std::size_t capacity);
  void on_keepalive(TimePoint now) override; // KeepaliveSweep::Member
  void start_keepalive();
  void stop_keepalive();
  void send_sender_report(rtc::PeerTransport& leg, const rtp::RtpRewriter& stream,
                          std::uint64_t packets);

  // Ending.
  enum class OutwardAction { none, reject_or_terminate };
  void end(const std::string& cause, OutwardAction action, const nlohmann::json& details = {});

  // rtc::PeerTransport::Listener
  void on_transport_connected(rtc::PeerTransport& t) override;
  void on_transport_failed(rtc::PeerTransport& t, const std::string& reason) override;
  void on_transport_closed(rtc::PeerTransport& t, const std::string& reason) override;
  void on_rtp(rtc::PeerTransport& t, MutableBytes packet, std::size_t capacity,
              TimePoint now) override;
  void on_rtcp(rtc::PeerTransport& t, MutableBytes packet, TimePoint now) override;
  void on_channel_open(rtc::PeerTransport& t, std::uint16_t id, const std::string& label) override;
  void on_channel_message(rtc::PeerTransport& t, std::uint16_t id, Bytes data,
                          bool binary) override;
  void on_channel_closed(rtc::PeerTransport& t, std::uint16_t id) override;

  bool is_caller_leg(const rtc::PeerTransport& t) const { return &t == caller_leg_.get(); }
  // The agent service of this call's number (OpenAI or Azure), or null when none is configured.
  agent::RealtimeSignaling* realtime() const {
    return profile_.realtime != nullptr ? profile_.realtime : services_.realtime;
  }

  CallServices& services_;
  whatsapp::CallConnect connect_;
  const AgentProfile& profile_;
  bool outbound_ = false;
  bool callee_answered_ = false;
  bool placed_reported_ = false;

  // The agent leg that takes over a long call, while it is being set up.
  struct Successor {
    std::unique_ptr<rtc::PeerTransport> leg;
    std::string call_id; // OpenAI's
    std::optional<std::uint16_t> channel;
    std::uint8_t opus_pt = 111;
    bool session_updated = false;
  };
  std::unique_ptr<Successor> successor_;
  std::vector<std::unique_ptr<rtc::PeerTransport>> retired_legs_; // freed on the next loop turn
  std::vector<std::pair<std::string, std::string>> conversation_; // speaker, text (bounded)
  std::optional<std::string> biz_opaque_callback_data_;
  PlacedHandler on_placed_;
  AnsweredHandler on_answered_; // set for softphone calls only (no Graph requests then)
  bool answered_reported_ = false;
  void report_answered(const std::string& answer_sdp);
  void succeed_locally(void (Call::*step)(const whatsapp::GraphResult&));
  EndedHandler on_ended_;
  CallPhase phase_ = CallPhase::answering;
  std::string end_cause_;
  nlohmann::json end_details_;
  TimePoint started_at_;

  std::unique_ptr<rtc::PeerTransport> caller_leg_;
  std::unique_ptr<rtc::PeerTransport> agent_leg_;
  sdp::SessionDescription caller_offer_;
  std::string answer_sdp_; // what pre_accept sent; accept must send the same
  bool pre_accepted_ = false;
  bool accept_sent_ = false;
  std::uint8_t caller_opus_pt_ = 111;
  std::optional<std::uint8_t> caller_dtmf_pt_;
  std::optional<std::uint32_t> last_dtmf_timestamp_;
  std::uint8_t agent_opus_pt_ = 111;

  std::string agent_call_id_;
  std::optional<std::uint16_t> agent_channel_;
  bool session_created_ = false;
  bool session_updated_ = false;
  bool greeted_ = false;
  std::string live_caller_text_; // GPT-Live transcript deltas of the turn in progress
  std::string live_agent_text_;
  bool agent_speaking_ = false;   // between output_audio_buffer.started and .stopped/.cleared
  bool drop_agent_audio_ = false; // barge-in: until the agent's next audio starts
  bool end_call_requested_ = false;
  std::vector<std::string> handled_function_calls_; // call ids: each arrives in several events

  // Fallback announcement: set once the agent failed and the caller hears the recording instead.
  bool announcing_ = false;
  std::string fallback_cause_;
  nlohmann::json fallback_details_;
  std::size_t announcement_next_ = 0;
  TimePoint announcement_due_{};

  rtp::RtpRewriter to_agent_;
  rtp::RtpRewriter to_caller_;
  TimePoint last_agent_audio_{};
  TimePoint last_sender_report_{};
  net::LoopTimer accept_window_timer_;
  net::LoopTimer agent_setup_timer_;
  net::LoopTimer max_duration_timer_;
  net::LoopTimer announcement_timer_;
  net::LoopTimer goodbye_timer_;
  net::LoopTimer rollover_timer_; // end_call: hang up once the goodbye played (or at the latest)
  Counters counters_;
  CallStats stats_;
  CallMetrics* metrics_ = nullptr;
  bool was_accepted_ = false; // for outcome(): phase_ is `ended` by then
  void record_setup(std::optional<Duration>& field, SetupHistogram CallMetrics::*histogram);
  void notify_step(const char* step);      // tells the observer, if any
  std::unique_ptr<CallRecorder> recorder_; // null: no call-data directory
  // Graph requests of one call reach Meta in order: an end that comes while pre_accept or accept
  // is in flight sends its reject/terminate only after that request's answer (terminate if the
  // accept went through). Shared with those callbacks, so it outlives the call.
  struct GraphOrder {
    int in_flight = 0;
    bool accepted = false; // or an outbound call: ending it is always a terminate
    std::string call_id;   // outbound: known once Graph `connect` answered
    std::function<void()> after;
  };
  std::shared_ptr<GraphOrder> graph_order_ = std::make_shared<GraphOrder>();
  using GraphResultHandler = std::function<void(const whatsapp::GraphResult&)>;
  whatsapp::GraphClient::Callback in_graph_order(bool is_accept, GraphResultHandler on_result);

  // Set while the call lives; callbacks from HTTP requests check it before touching the call.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

} // namespace wab::bridge

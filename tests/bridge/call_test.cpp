// The Call end to end inside one process: a caller leg and an agent leg of our own stack on
// loopback, fake Graph and OpenAI HTTP services behind the clients' Sender hooks. What the bridge
// does between them is real: answer, pre_accept, agent offer, accept on connect, forwarding,
// keepalive silence, DTMF filtering, the fallback announcement and every end path asserted here,
// each followed by a check that the call left no socket or timer behind.
#include "bridge/call.hpp"
#include "bridge/call_registry.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "ogg/ogg_opus_reader.hpp"
#include "ogg/ogg_opus_writer.hpp"

#include "rtc/negotiation.hpp"
#include "sdp/offer_answer.hpp"
#include "sdp/parser.hpp"
#include "sdp/writer.hpp"
#include "srtp/srtp_session.hpp"

namespace wab::bridge {
namespace {

using nlohmann::json;

rtc::TransportConfig loopback(bool data) {
  rtc::TransportConfig config;
  config.data_channel = data;
  config.host_addresses.push_back(*net::SocketAddress::parse("127.0.0.1", 0));
  return config;
}

// One peer of ours that records what reaches it.
struct Peer : rtc::PeerTransport::Listener {
  std::unique_ptr<rtc::PeerTransport> transport;
  bool connected = false;
  std::string closed_or_failed;
  std::vector<std::vector<std::uint8_t>> rtp;
  std::vector<std::string> messages;
  std::optional<std::uint16_t> channel;
  bool agent_role = false;         // answer the Realtime protocol on the data channel
  bool acknowledge_updates = true; // agent: answer session.update with session.updated
  bool live = false;               // agent: speak GPT-Live (session.started, no session.update)

  void on_transport_connected(rtc::PeerTransport&) override { connected = true; }
  void on_transport_failed(rtc::PeerTransport&, const std::string& r) override {
    closed_or_failed = r;
  }
  void on_transport_closed(rtc::PeerTransport&, const std::string& r) override {
    closed_or_failed = r;
  }
  void on_rtp(rtc::PeerTransport&, MutableBytes p, std::size_t, TimePoint) override {
    rtp.emplace_back(p.begin(), p.end());
  }
  void on_channel_open(rtc::PeerTransport& t, std::uint16_t id, const std::string&) override {
    channel = id;
    if (agent_role && live) {
      send(R"({"type":"session.started","session":{"id":"live_1","model":"gpt-live-1"}})");
    } else if (agent_role) {
      send(R"({"type":"session.created","session":{"id":"sess_1","model":"m"}})");
    }
  }
  void on_channel_message(rtc::PeerTransport&, std::uint16_t, Bytes d, bool) override {
    messages.emplace_back(d.begin(), d.end());
    const auto event = json::parse(messages.back(), nullptr, false);
    if (agent_role && acknowledge_updates && event.is_object() &&
        event.value("type", "") == "session.update") {
      send(R"({"type":"session.updated","session":{"id":"sess_1"}})");
      send(R"({"type":"conversation.item.input_audio_transcription.completed","transcript":"hi"})");
    }
  }
  void send(const std::string& text) {
    transport->send_message(
        *channel, Bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), false);
  }
  // RTP of the given payload type whose payload is `payload`, in arrival order.
  std::vector<std::vector<std::uint8_t>> payloads_with_pt(std::uint8_t pt) const {
    std::vector<std::vector<std::uint8_t>> out;
    for (const auto& p : rtp) {
      if ((p[1] & 0x7f) == pt) out.emplace_back(p.begin() + 12, p.end());
    }
    return out;
  }
  bool send_rtp(std::uint8_t pt, std::uint16_t seq, std::uint32_t ts, std::uint8_t fill,
                std::size_t payload_len, bool end_bit = false) {
    std::uint8_t buf[12 + 64 + srtp::kMaxTrailer] = {};
    buf[0] = 0x80;
    buf[1] = pt;
    store_be16(buf + 2, seq);
    store_be32(buf + 4, ts);
    store_be32(buf + 8, 0xC0FFEE);
    std::memset(buf + 12, fill, payload_len);
    if (end_bit) buf[13] = 0x80; // RFC 4733: E bit of an event packet
    return transport->send_rtp(buf, 12 + payload_len, sizeof buf);
  }
  std::size_t packets_with_pt(std::uint8_t pt) const {
    std::size_t n = 0;
    for (const auto& p : rtp)
      n += (p[1] & 0x7f) == pt;
    return n;
  }
};

class CallTest : public ::testing::Test {
protected:
  CallTest()
      : graph_([this](http::Request r, http::Client::Callback done) { on_graph(r, done); },
               whatsapp::GraphConfig{"http://graph.test/v24.0", "graph-token"}),
        realtime_([this](http::Request r, http::Client::Callback done) { on_openai(r, done); },
                  agent::RealtimeConfig{"http://openai.test/v1", "sk-test"}),
        services_{loop_,       batch_,      graph_,     &realtime_, {},      loopback(false),
                  seconds(30), seconds(20), Duration{}, Duration{}, nullptr, {}},
        baseline_fds_(loop_.watched_fds()), baseline_timers_(loop_.pending_timers()) {
    agent_.agent_role = true;
  }

  // How the fake OpenAI answers POST /realtime/calls (and /client_secrets).
  enum class OpenAiMode {
    normal,
    http_error,          // 500 server_error
    never_answers,       // the request hangs
    unusable_answer,     // 201 with a body that is no SDP
    wrong_fingerprint,   // 201, but the answer's fingerprint is not the agent's certificate
    unreachable,         // 201, but the answer's candidate points at a closed port
    client_secret_error, // ephemeral mode: minting the key fails
  };

  // Graph API: records the action, answers as configured.
  void on_graph(const http::Request& r, const http::Client::Callback& done) {
    const auto body = json::parse(r.body);
    const std::string action = body.value("action", "");
    graph_actions_.push_back(action);
    if (action == "pre_accept") answer_sdp_ = body["session"]["sdp"];
    if (action == "accept") accept_sdp_ = body["session"]["sdp"];
    if (action == "terminate") terminated_call_id_ = body.value("call_id", "");
    if (action == "connect") {
      outbound_offer_ = body["session"]["sdp"];
      outbound_to_ = body["to"];
    }
    http::Response response;
    response.status = action == fail_graph_action_ ? 400 : 200;
    response.body = response.status == 200
                        ? (action == "connect"
                               ? R"({"messaging_product":"whatsapp","calls":[{"id":"wacid.out"}]})"
                               : R"({"messaging_product":"whatsapp","success":true})")
                        : R"({"error":{"message":"bad","type":"OAuthException","code":100}})";
    if (action == hold_graph_action_) {
      held_graph_ = [done, response](int status) {
        http::Response r = response;
        r.status = status;
        done(r);
      };
      return;
    }
    loop_.post([done, response] { done(response); });
  }

  // OpenAI: the agent peer answers the bridge's offer.
  void on_openai(const http::Request& r, const http::Client::Callback& done) {
    openai_requests_.push_back(r);
    http::Response response;
    const bool client_secret = r.url.find("/client_secrets") != std::string::npos;
    if (r.url.find("/hangup") != std::string::npos) {
      ++hangups_;
      hangup_urls_.push_back(r.url);
      response.status = 200;
    } else if (openai_mode_ == OpenAiMode::never_answers) {
      held_requests_.push_back(done); // answered never (the test ends first)
      return;
    } else if (openai_mode_ == OpenAiMode::http_error ||
               (client_secret && openai_mode_ == OpenAiMode::client_secret_error)) {
      response.status = 500;
      response.body = R"({"error":{"message":"boom","type":"server_error","code":null}})";
    } else if (client_secret) {
      response.status = 200;
      response.body = R"({"value":"ek_unit","expires_at":4102444800,"session":{}})";
    } else if (openai_mode_ == OpenAiMode::unusable_answer) {
      response.status = 201;
      response.body = "this is not an SDP";
      response.headers.push_back({"content-type", "application/sdp"});
      response.headers.push_back({"location", "/v1/realtime/calls/rtc_unit"});
    } else {
      const bool live = r.url.find("/live/sessions") != std::string::npos;
      std::string offer_text;
      if (live) {
        live_requests_.push_back(json::parse(r.body));
        offer_text = live_requests_.back()["transport"]["sdp"];
      } else {
        const auto start = r.body.find("v=0");
        const auto end = r.body.find("\r\n--", start);
        offer_text = r.body.substr(start, end - start + 2);
      }
      const auto offer = sdp::parse(offer_text);
      // A second session of the same call (a long call's successor) has its own far end.
      Peer& peer = agent_.transport ? successor_agent_ : agent_;
      peer.agent_role = true;
      peer.transport = std::make_unique<rtc::PeerTransport>(loop_, batch_, peer, loopback(true));
      const auto answer =
          sdp::answer_generic_offer(offer, rtc::local_parameters(*peer.transport, 4242, "agent"));
      // Unreachable: the agent neither answers nor sends checks, so no peer-reflexive path forms.
      if (openai_mode_ != OpenAiMode::unreachable) {
        peer.transport->start(rtc::remote_parameters(offer, rtc::SdpSide::we_answered));
      }
      sessions_.push_back(json::parse(multipart_session(r.body), nullptr, false));
      response.status = 201;
      ++openai_calls_created_;
      response.body = sdp::write(answer);
      if (openai_mode_ == OpenAiMode::wrong_fingerprint)
        response.body = corrupt_fingerprint(response.body);
      if (openai_mode_ == OpenAiMode::unreachable)
        response.body = close_candidate_port(response.body);
      response.headers.push_back({"content-type", "application/sdp"});
      response.headers.push_back({"location", openai_calls_created_ == 1
                                                  ? "/v1/realtime/calls/rtc_unit"
                                                  : "/v1/realtime/calls/rtc_unit" +
                                                        std::to_string(openai_calls_created_)});
      if (live) {
        response.status = 200;
        response.headers = {{"content-type", "application/json"}};
        const std::string id = "live_" + std::to_string(openai_calls_created_);
        response.body = json{{"session", {{"id", id}}},
                             {"transport", {{"type", "webrtc"}, {"sdp", response.body}}}}
                            .dump();
      }
    }
    loop_.post([done, response] { done(response); });
  }

  // A WhatsApp-shaped caller: Opus and telephone-event/8000.
  whatsapp::CallConnect place_call() {
    caller_.transport =
        std::make_unique<rtc::PeerTransport>(loop_, batch_, caller_, loopback(false));
    sdp::OpenAiOfferOptions options;
    options.include_data_channel = false;
    auto offer =
        sdp::offer_for_openai(rtc::local_parameters(*caller_.transport, 77, "caller"), options);
    offer.media[0].formats.push_back("126");
    sdp::Codec dtmf;
    dtmf.payload_type = 126;
    dtmf.name = "telephone-event";
    dtmf.clock_rate = 8000;
    offer.media[0].codecs.push_back(dtmf);
    caller_offer_ = sdp::write(offer);
    whatsapp::CallConnect connect;
    connect.call_id = "wacid.unit";
    connect.business.phone_number_id = "1234";
    connect.direction = whatsapp::CallDirection::user_initiated;
    connect.sdp_type = whatsapp::SdpType::offer;
    connect.sdp = caller_offer_;
    return connect;
  }

  // Changes one hex digit of the sha-256 fingerprint: a certificate nobody holds.
  static std::string corrupt_fingerprint(std::string sdp) {
    const auto at = sdp.find("a=fingerprint:sha-256 ");
    EXPECT_NE(at, std::string::npos);
    char& digit = sdp[at + 22];
    digit = digit == 'A' ? 'B' : 'A';
    return sdp;
  }
  // Points every candidate at port 9 (discard; nothing listens on loopback): ICE never connects.
  static std::string close_candidate_port(const std::string& sdp) {
    std::istringstream in(sdp);
    std::string line;
    std::string out;
    while (std::getline(in, line)) {
      if (line.rfind("a=candidate:", 0) == 0) {
        // foundation component transport priority address port ...
        std::istringstream fields(line);
        std::vector<std::string> f;
        for (std::string w; fields >> w;)
          f.push_back(w);
        f[5] = "9";
        line.clear();
        for (const auto& w : f)
          line += (line.empty() ? "" : " ") + w;
        if (!line.empty() && line.back() != '\r') line += '\r';
      }
      out += line + "\n";
    }
    return out;
  }

  // The `session` part of a multipart call creation ("" for a raw SDP body).
  static std::string multipart_session(const std::string& body) {
    const auto name = body.find("name=\"session\"");
    if (name == std::string::npos) return "";
    const auto start = body.find("\r\n\r\n", name);
    const auto end = body.find("\r\n--", start);
    return body.substr(start + 4, end - start - 4);
  }

  // A short Ogg Opus announcement whose packets the caller must receive unchanged.
  void use_announcement(std::size_t packets) {
    std::ostringstream file;
    ogg::OggOpusWriter writer(file, 42);
    for (std::size_t i = 0; i < packets; ++i) {
      announcement_packets_.push_back({0xF8, static_cast<std::uint8_t>(i), 0x5A, 0xA5});
      writer.add_packet(announcement_packets_.back(), 960);
    }
    writer.finish();
    const std::string bytes = file.str();
    clip_ = ogg::read_ogg_opus(
        Bytes(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
    services_.profiles.default_profile.fallback = Fallback::announce;
    services_.profiles.default_profile.announcement = &clip_;
  }

  // Waits for the end, destroys the call and both far ends, then checks that every socket and
  // timer of the call is gone: the loop watches and arms exactly what it did before the call.
  void expect_ended_leaving_nothing(const std::string& cause) {
    ASSERT_TRUE(run_until([&] { return ended_; }));
    EXPECT_EQ(call_->end_cause(), cause) << call_->end_details().dump();
    EXPECT_EQ(call_->phase(), CallPhase::ended);
    call_.reset();
    caller_.transport.reset();
    agent_.transport.reset();
    EXPECT_EQ(loop_.watched_fds(), baseline_fds_);
    EXPECT_EQ(loop_.pending_timers(), baseline_timers_);
  }

  void start_call(bool caller_answers = true) {
    auto connect = place_call();
    if (corrupt_caller_fingerprint_) connect.sdp = corrupt_fingerprint(connect.sdp);
    call_ = std::make_unique<Call>(services_, connect, [this](Call&) { ended_ = true; });
    if (!caller_answers) return;
    ASSERT_TRUE(run_until([&] { return !answer_sdp_.empty(); }));
    caller_.transport->start(
        rtc::remote_parameters(sdp::parse(answer_sdp_), rtc::SdpSide::we_offered));
  }

  void start_connected_call() {
    start_call();
    ASSERT_TRUE(run_until([&] {
      return caller_.connected && agent_.connected && !accept_sdp_.empty() &&
             call_->phase() == CallPhase::accepted && agent_.messages.size() >= 2;
    }));
  }

  // The agent's data-channel messages of one type, parsed.
  std::vector<json> agent_received(const std::string& type) const {
    std::vector<json> out;
    for (const auto& m : agent_.messages) {
      auto event = json::parse(m, nullptr, false);
      if (event.is_object() && event.value("type", "") == type) out.push_back(event);
    }
    return out;
  }

  bool run_until(const std::function<bool()>& done, Duration limit = seconds(10)) {
    const TimePoint deadline = Clock::now() + limit;
    while (!done() && Clock::now() < deadline)
      loop_.run_once(milliseconds(10));
    return done();
  }

  // Number 1234 on GPT-Live: its profile's signalling speaks /live/sessions to the fake OpenAI.
  AgentProfile& use_gpt_live() {
    agent::RealtimeConfig config{"http://openai.test/v1", "sk-test"};
    config.api = agent::AgentApi::live;
    live_.emplace([this](http::Request r, http::Client::Callback done) { on_openai(r, done); },
                  config);
    AgentProfile profile;
    profile.provider = "gpt-live";
    profile.session.model = "gpt-live-1";
    profile.realtime = &*live_;
    return services_.profiles.by_number.insert_or_assign("1234", profile).first->second;
  }

  net::EventLoop loop_;
  net::ReceiveBatch batch_;
  whatsapp::GraphClient graph_;
  agent::RealtimeSignaling realtime_;
  std::optional<agent::RealtimeSignaling> live_;
  CallServices services_;
  Peer caller_;
  Peer agent_;
  std::unique_ptr<Call> call_;
  bool ended_ = false;
  std::string caller_offer_;
  std::string answer_sdp_;
  std::string accept_sdp_;
  std::string fail_graph_action_;
  std::vector<std::string> graph_actions_;
  int hangups_ = 0;
  int openai_calls_created_ = 0;
  std::vector<std::string> hangup_urls_;
  std::vector<json> live_requests_;
  std::vector<json> sessions_; // the session of each OpenAI call created
  Peer successor_agent_;
  std::string outbound_offer_;
  std::string outbound_to_;
  std::string terminated_call_id_;
  std::vector<http::Request> openai_requests_;
  std::string hold_graph_action_; // its answer waits for held_graph_(status)
  std::function<void(int)> held_graph_;
  // The business's tool backend: records each POST, answers with tool_status_ / tool_body_.
  std::vector<http::Request> tool_requests_;
  int tool_status_ = 200;
  std::string tool_body_ = R"({"slots":["19:00","20:30"]})";
  agent::ToolInvoker tools_{[this](http::Request r, http::Client::Callback done) {
    tool_requests_.push_back(r);
    http::Response response;
    response.status = tool_status_;
    response.body = tool_body_;
    loop_.post([done, response] { done(response); });
  }};
  OpenAiMode openai_mode_ = OpenAiMode::normal;
  std::vector<http::Client::Callback> held_requests_;
  bool corrupt_caller_fingerprint_ = false;
  std::vector<std::vector<std::uint8_t>> announcement_packets_;
  ogg::OpusClip clip_;
  const std::size_t baseline_fds_;
  const std::size_t baseline_timers_;
};

TEST_F(CallTest, AnswersAcceptsConfiguresAndGreets) {
  start_connected_call();
  EXPECT_EQ(accept_sdp_, answer_sdp_);
  ASSERT_GE(graph_actions_.size(), 2u);
  EXPECT_EQ(graph_actions_[0], "pre_accept");
  EXPECT_EQ(graph_actions_[1], "accept");
  const auto update = json::parse(agent_.messages[0]);
  EXPECT_EQ(update["type"], "session.update");
  EXPECT_EQ(update["session"]["audio"]["output"]["voice"], "alloy");
  EXPECT_EQ(update["session"]["audio"]["input"]["turn_detection"]["silence_duration_ms"], 200);
  EXPECT_EQ(json::parse(agent_.messages[1])["type"], "response.create");
}

TEST_F(CallTest, ForwardsOpusBothWaysButNeverDtmfToTheAgent) {
  start_connected_call();
  for (std::uint16_t i = 0; i < 20; ++i) {
    ASSERT_TRUE(caller_.send_rtp(111, i, i * 960u, 0xA1, 40));
    ASSERT_TRUE(agent_.send_rtp(111, i, i * 960u, 0xB2, 40));
  }
  for (std::uint16_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(caller_.send_rtp(126, 100 + i, 50000, 0x05, 4, /*end_bit=*/true));
  }
  ASSERT_TRUE(
      run_until([&] { return agent_.rtp.size() >= 20 && caller_.packets_with_pt(111) >= 20; }));
  run_until([] { return false; }, milliseconds(100)); // let any stray packet arrive
  EXPECT_EQ(agent_.packets_with_pt(126), 0u);
  EXPECT_EQ(call_->counters().dtmf_events, 1u);
  std::size_t forwarded = 0;
  for (const auto& p : caller_.rtp)
    forwarded += p.size() == 52 && p[12] == 0xB2;
  EXPECT_EQ(forwarded, 20u);
  for (const auto& p : agent_.rtp) {
    EXPECT_EQ(p.size(), 52u);
    EXPECT_EQ(p[12], 0xA1);
  }
}

TEST_F(CallTest, KeepsTheCallerLegAliveWithSilenceWhileTheAgentIsQuiet) {
  start_connected_call();
  ASSERT_TRUE(run_until([&] { return call_->counters().silence_to_caller >= 25; }));
  std::size_t silence = 0;
  for (const auto& p : caller_.rtp)
    silence += p.size() == 15 && p[12] == 0xF8 && p[13] == 0xFF;
  EXPECT_GE(silence, 20u);
}

// --- every end path: the Graph and OpenAI actions that follow, and nothing left ----------------
// Before accept the call is rejected, after accept terminated; the agent is always hung up once
// it exists.

TEST_F(CallTest, CallerHangsUpTerminateWebhookHangsUpTheAgentAndNeedsNoGraphAction) {
  start_connected_call();
  whatsapp::CallTerminate terminate;
  terminate.call_id = "wacid.unit";
  terminate.status_text = "COMPLETED";
  call_->on_terminate_webhook(terminate);
  ASSERT_TRUE(run_until([&] { return ended_ && hangups_ == 1; }));
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"pre_accept", "accept"}));
  expect_ended_leaving_nothing("caller_hung_up");
}

TEST_F(CallTest, AgentClosingItsConnectionTerminatesTheWhatsAppCall) {
  start_connected_call();
  agent_.transport->close(); // SCTP ABORT, then DTLS close_notify
  ASSERT_TRUE(run_until([&] { return ended_; }));
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"pre_accept", "accept", "terminate"}));
  EXPECT_EQ(hangups_, 1);
  expect_ended_leaving_nothing("agent_leg_closed");
}

TEST_F(CallTest, AgentClosingItsEventsChannelTerminates) {
  start_connected_call();
  agent_.transport->close_channel(*agent_.channel); // the association stays up
  ASSERT_TRUE(run_until([&] { return ended_; }));
  EXPECT_EQ(graph_actions_.back(), "terminate");
  EXPECT_EQ(hangups_, 1);
  expect_ended_leaving_nothing("agent_channel_closed");
}

TEST_F(CallTest, AgentVanishingLosesConsentAndTerminates) {
  services_.transport.consent_interval = milliseconds(100);
  services_.transport.consent_timeout = milliseconds(600);
  start_connected_call();
  agent_.transport.reset(); // its socket closes without a word: consent checks go unanswered
  ASSERT_TRUE(run_until([&] { return ended_; }));
  EXPECT_NE(call_->end_details().value("reason", "").find("consent"), std::string::npos)
      << call_->end_details().dump();
  EXPECT_EQ(graph_actions_.back(), "terminate");
  EXPECT_EQ(hangups_, 1);
  expect_ended_leaving_nothing("agent_leg_failed");
}

TEST_F(CallTest, CallerVanishingLosesConsentAndTerminates) {
  services_.transport.consent_interval = milliseconds(100);
  services_.transport.consent_timeout = milliseconds(600);
  start_connected_call();
  caller_.transport.reset();
  ASSERT_TRUE(run_until([&] { return ended_; }));
  EXPECT_NE(call_->end_details().value("reason", "").find("consent"), std::string::npos);
  EXPECT_EQ(graph_actions_.back(), "terminate");
  EXPECT_EQ(hangups_, 1);
  expect_ended_leaving_nothing("whatsapp_leg_failed");
}

TEST_F(CallTest, CallerClosingDtlsTerminates) {
  start_connected_call();
  caller_.transport->close(); // DTLS close_notify alert
  ASSERT_TRUE(run_until([&] { return ended_; }));
  EXPECT_EQ(graph_actions_.back(), "terminate");
  EXPECT_EQ(hangups_, 1);
  expect_ended_leaving_nothing("whatsapp_leg_closed");
}

TEST_F(CallTest, CallerWithAForeignCertificateIsRejected) {
  corrupt_caller_fingerprint_ = true;
  start_call();
  ASSERT_TRUE(run_until([&] { return ended_; }));
  EXPECT_NE(call_->end_details().value("reason", "").find("fingerprint"), std::string::npos)
      << call_->end_details().dump();
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"pre_accept", "reject"}));
  EXPECT_EQ(caller_.rtp.size(), 0u);
  expect_ended_leaving_nothing("whatsapp_leg_failed");
}

TEST_F(CallTest, UnusableCallerOfferIsRejected) {
  auto connect = place_call();
  connect.sdp = "v=0\r\nthis is no offer\r\n";
  call_ = std::make_unique<Call>(services_, connect, [this](Call&) { ended_ = true; });
  ASSERT_TRUE(run_until([&] { return ended_; }));
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"reject"}));
  // Any agent session started in parallel is hung up.
  ASSERT_TRUE(run_until([&] { return hangups_ == openai_calls_created_; }));
  EXPECT_FALSE(call_->end_details().value("error", "").empty());
  expect_ended_leaving_nothing("caller_offer_unusable");
}

TEST_F(CallTest, MaximumDurationTerminates) {
  services_.max_call_duration = milliseconds(1500);
  start_connected_call();
  ASSERT_TRUE(run_until([&] { return ended_; }));
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"pre_accept", "accept", "terminate"}));
  EXPECT_EQ(hangups_, 1);
  expect_ended_leaving_nothing("max_duration_reached");
}

TEST_F(CallTest, PreAcceptFailureRejectsTheCall) {
  fail_graph_action_ = "pre_accept";
  start_call(/*caller_answers=*/false);
  // Whether OpenAI was asked before the call ended is a race; every session it made is hung up.
  ASSERT_TRUE(run_until([&] { return ended_ && hangups_ == openai_calls_created_; }));
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"pre_accept", "reject"}));
  EXPECT_EQ(call_->end_details().value("http_status", 0), 400);
  expect_ended_leaving_nothing("graph_pre_accept_failed");
}

TEST_F(CallTest, AcceptFailureRejectsTheCallAndHangsUpTheAgent) {
  fail_graph_action_ = "accept";
  start_call();
  ASSERT_TRUE(run_until([&] { return ended_; }));
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"pre_accept", "accept", "reject"}));
  EXPECT_EQ(hangups_, 1);
  expect_ended_leaving_nothing("graph_accept_failed");
}

// Meta must see the end after the accept it is still answering: terminate if it went through,
// reject if it did not; never a reject that overtakes an accept.
TEST_F(CallTest, AnEndDuringAnAcceptWaitsForItsAnswerThenTerminates) {
  hold_graph_action_ = "accept";
  start_call();
  ASSERT_TRUE(run_until([&] { return held_graph_ != nullptr && agent_.connected; }));
  agent_.transport->close();
  ASSERT_TRUE(run_until([&] { return ended_; }));
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"pre_accept", "accept"}));
  held_graph_(200);
  ASSERT_TRUE(run_until([&] { return graph_actions_.size() == 3; }));
  EXPECT_EQ(graph_actions_.back(), "terminate");
  EXPECT_EQ(call_->phase(), CallPhase::ended);
  expect_ended_leaving_nothing("agent_leg_closed");
}

TEST_F(CallTest, AnEndDuringAFailedAcceptRejectsAfterIt) {
  hold_graph_action_ = "accept";
  start_call();
  ASSERT_TRUE(run_until([&] { return held_graph_ != nullptr && agent_.connected; }));
  agent_.transport->close();
  ASSERT_TRUE(run_until([&] { return ended_; }));
  call_.reset(); // the call may be gone before Meta answers
  held_graph_(400);
  ASSERT_TRUE(run_until([&] { return graph_actions_.size() == 3; }));
  EXPECT_EQ(graph_actions_.back(), "reject");
}

TEST_F(CallTest, AcceptWindowExpiryRejects) {
  services_.accept_window = milliseconds(300);
  start_call(/*caller_answers=*/false); // the caller's leg never connects
  ASSERT_TRUE(run_until([&] { return ended_; }));
  EXPECT_EQ(graph_actions_.back(), "reject");
  EXPECT_EQ(caller_.rtp.size(), 0u); // no media before accept
  expect_ended_leaving_nothing("accept_window_expired");
}

TEST_F(CallTest, NoAgentConfiguredRejectsBeforeAccepting) {
  services_.realtime = nullptr;
  start_call(/*caller_answers=*/false);
  ASSERT_TRUE(run_until([&] { return ended_; }));
  EXPECT_EQ(graph_actions_.back(), "reject");
  EXPECT_EQ(std::count(graph_actions_.begin(), graph_actions_.end(), "accept"), 0);
  expect_ended_leaving_nothing("agent_unavailable");
}

// --- OpenAI failing at each step of the agent's setup: reject, never accept --------------------

TEST_F(CallTest, OpenAiClientSecretErrorRejects) {
  agent::RealtimeConfig config{"http://openai.test/v1", "sk-test"};
  config.auth = agent::AuthMode::ephemeral;
  agent::RealtimeSignaling ephemeral(
      [this](http::Request r, http::Client::Callback done) { on_openai(r, done); }, config);
  services_.realtime = &ephemeral;
  openai_mode_ = OpenAiMode::client_secret_error;
  start_call();
  ASSERT_TRUE(run_until([&] { return ended_; }));
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"pre_accept", "reject"}));
  EXPECT_EQ(call_->end_details().value("http_status", 0), 500);
  EXPECT_EQ(hangups_, 0); // no OpenAI call was created
  expect_ended_leaving_nothing("agent_call_failed");
}

TEST_F(CallTest, OpenAiCallsEndpointErrorRejects) {
  openai_mode_ = OpenAiMode::http_error;
  start_call();
  ASSERT_TRUE(run_until([&] { return ended_; }));
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"pre_accept", "reject"}));
  EXPECT_EQ(hangups_, 0);
  expect_ended_leaving_nothing("agent_call_failed");
}

TEST_F(CallTest, OpenAiNeverAnsweringTimesOutAndRejects) {
  openai_mode_ = OpenAiMode::never_answers;
  services_.agent_setup_timeout = milliseconds(500);
  start_call();
  ASSERT_TRUE(run_until([&] { return ended_; }));
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"pre_accept", "reject"}));
  ASSERT_EQ(held_requests_.size(), 1u);
  expect_ended_leaving_nothing("agent_setup_timeout");
  // OpenAI answers at last, after the call is gone: the session it created is hung up at once.
  http::Response late;
  late.status = 201;
  late.body = "v=0\r\n";
  late.headers.push_back({"location", "/v1/realtime/calls/rtc_late"});
  held_requests_.front()(late);
  ASSERT_TRUE(run_until([&] { return hangups_ == 1; }));
}

TEST_F(CallTest, OpenAiUnusableAnswerRejectsAndHangsUp) {
  openai_mode_ = OpenAiMode::unusable_answer;
  start_call();
  ASSERT_TRUE(run_until([&] { return ended_ && hangups_ == 1; })); // 201 created a call
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"pre_accept", "reject"}));
  EXPECT_EQ(call_->end_details().value("error", ""), "answer body is not an SDP");
  expect_ended_leaving_nothing("agent_call_failed");
}

TEST_F(CallTest, OpenAiIceNeverConnectingRejectsAndHangsUp) {
  openai_mode_ = OpenAiMode::unreachable;
  services_.transport.ice_timeout = milliseconds(800);
  start_call();
  ASSERT_TRUE(run_until([&] { return ended_ && hangups_ == 1; }));
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"pre_accept", "reject"}));
  EXPECT_NE(call_->end_details().value("reason", "").find("ICE"), std::string::npos);
  expect_ended_leaving_nothing("agent_leg_failed");
}

TEST_F(CallTest, OpenAiDtlsFingerprintMismatchRejectsAndHangsUp) {
  openai_mode_ = OpenAiMode::wrong_fingerprint;
  start_call();
  ASSERT_TRUE(run_until([&] { return ended_ && hangups_ == 1; }));
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"pre_accept", "reject"}));
  EXPECT_NE(call_->end_details().value("reason", "").find("fingerprint"), std::string::npos);
  expect_ended_leaving_nothing("agent_leg_failed");
}

TEST_F(CallTest, OpenAiNeverConfirmingTheSessionTimesOutAndHangsUp) {
  agent_.acknowledge_updates = false; // data channel open, session.update never answered
  services_.agent_setup_timeout = milliseconds(800);
  start_call();
  ASSERT_TRUE(run_until([&] { return ended_ && hangups_ == 1; }));
  EXPECT_TRUE(agent_.channel.has_value());
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"pre_accept", "reject"}));
  expect_ended_leaving_nothing("agent_setup_timeout");
}

// --- the fallback announcement ---------------------------------------------------------------

TEST_F(CallTest, WithoutAnAgentTheAnnouncementPlaysThenTheCallIsTerminated) {
  services_.realtime = nullptr;
  use_announcement(25);
  start_call();
  ASSERT_TRUE(run_until([&] { return ended_; }));
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"pre_accept", "accept", "terminate"}));
  EXPECT_EQ(accept_sdp_, answer_sdp_);
  EXPECT_EQ(call_->end_details().value("fallback", ""), "announcement");
  EXPECT_EQ(call_->counters().announcement_packets, 25u);
  ASSERT_TRUE(run_until([&] { return caller_.payloads_with_pt(111).size() >= 25; }));
  EXPECT_EQ(caller_.payloads_with_pt(111), announcement_packets_); // unchanged, in order
  // One 960-unit step per 20 ms packet, consecutive sequence numbers, one SSRC.
  const auto& first = caller_.rtp.front();
  for (std::size_t i = 1; i < caller_.rtp.size(); ++i) {
    const auto& p = caller_.rtp[i];
    EXPECT_EQ(load_be16(p.data() + 2), static_cast<std::uint16_t>(load_be16(first.data() + 2) + i));
    EXPECT_EQ(load_be32(p.data() + 4), load_be32(first.data() + 4) + 960u * i);
    EXPECT_EQ(load_be32(p.data() + 8), load_be32(first.data() + 8));
  }
  expect_ended_leaving_nothing("agent_unavailable");
}

TEST_F(CallTest, AgentFailingMidCallPlaysTheAnnouncementThenTerminates) {
  use_announcement(10);
  start_connected_call();
  agent_.transport->close();
  ASSERT_TRUE(run_until([&] { return ended_; }));
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"pre_accept", "accept", "terminate"}));
  EXPECT_EQ(hangups_, 1);
  EXPECT_EQ(call_->counters().announcement_packets, 10u);
  EXPECT_EQ(call_->end_details().value("fallback", ""), "announcement");
  expect_ended_leaving_nothing("agent_leg_closed");
}

TEST_F(CallTest, AnnouncementWaitsForTheCallerAndRejectsIfItNeverConnects) {
  services_.realtime = nullptr;
  services_.accept_window = milliseconds(400);
  use_announcement(5);
  start_call(/*caller_answers=*/false);
  ASSERT_TRUE(run_until([&] { return ended_; }));
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"pre_accept", "reject"}));
  EXPECT_EQ(call_->counters().announcement_packets, 0u);
  expect_ended_leaving_nothing("accept_window_expired");
}

// --- the registry: Meta's duplicated and reordered deliveries, freeing ended calls ------------

whatsapp::WebhookBatch batch_of(whatsapp::WebhookEvent event) {
  whatsapp::WebhookBatch batch;
  batch.events.push_back(std::move(event));
  return batch;
}

whatsapp::CallTerminate terminate_of(const std::string& call_id) {
  whatsapp::CallTerminate terminate;
  terminate.call_id = call_id;
  terminate.business.phone_number_id = "1234";
  terminate.status_text = "COMPLETED";
  return terminate;
}

TEST_F(CallTest, RegistryAnswersARepeatedConnectOnceAndFreesTheCallWhenItEnds) {
  CallRegistry registry(services_);
  const auto connect = place_call();
  registry.handle(batch_of(connect));
  registry.handle(batch_of(connect)); // Meta's retry
  EXPECT_EQ(registry.active_calls(), 1u);
  EXPECT_EQ(registry.duplicates_ignored(), 1u);
  ASSERT_TRUE(run_until([&] { return !answer_sdp_.empty(); }));
  caller_.transport->start(
      rtc::remote_parameters(sdp::parse(answer_sdp_), rtc::SdpSide::we_offered));
  ASSERT_TRUE(run_until([&] { return !accept_sdp_.empty(); }));
  registry.handle(batch_of(terminate_of(connect.call_id)));
  registry.handle(batch_of(terminate_of(connect.call_id))); // and again
  ASSERT_TRUE(run_until([&] { return registry.active_calls() == 0 && hangups_ == 1; }));
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"pre_accept", "accept"}));
  EXPECT_EQ(registry.calls_started(), 1u);
  caller_.transport.reset();
  agent_.transport.reset();
  EXPECT_EQ(loop_.watched_fds(), baseline_fds_);
  EXPECT_EQ(loop_.pending_timers(), baseline_timers_);
}

TEST_F(CallTest, RegistryNeverAnswersAConnectWhoseTerminateCameFirst) {
  CallRegistry registry(services_);
  const auto connect = place_call();
  registry.handle(batch_of(terminate_of(connect.call_id)));
  registry.handle(batch_of(connect));
  EXPECT_EQ(registry.active_calls(), 0u);
  EXPECT_EQ(registry.calls_started(), 0u);
  run_until([] { return false; }, milliseconds(100)); // nothing may be sent later either
  EXPECT_TRUE(graph_actions_.empty());
  EXPECT_EQ(openai_calls_created_, 0);
}

TEST_F(CallTest, RegistryForgetsDeliveriesAfterTheirExpiry) {
  CallRegistry registry(services_, milliseconds(200));
  const auto connect = place_call();
  registry.handle(batch_of(terminate_of(connect.call_id)));
  run_until([] { return false; }, milliseconds(300));
  // Past the expiry the early terminate is forgotten (memory stays bounded): a late connect
  // is a new call.
  registry.handle(batch_of(connect));
  EXPECT_EQ(registry.calls_started(), 1u);
  registry.shut_down_all("shutdown");
  ASSERT_TRUE(run_until([&] { return registry.active_calls() == 0; }));
}

TEST_F(CallTest, RegistryRejectsNewCallsOnceItStopsAccepting) {
  CallRegistry registry(services_);
  registry.stop_accepting();
  registry.handle(batch_of(place_call()));
  EXPECT_EQ(registry.active_calls(), 0u);
  ASSERT_TRUE(run_until([&] { return !graph_actions_.empty(); }));
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"reject"}));
  EXPECT_EQ(openai_calls_created_, 0);
}

TEST_F(CallTest, RegistryShutDownTerminatesLiveCalls) {
  CallRegistry registry(services_);
  registry.handle(batch_of(place_call()));
  ASSERT_TRUE(run_until([&] { return !answer_sdp_.empty(); }));
  caller_.transport->start(
      rtc::remote_parameters(sdp::parse(answer_sdp_), rtc::SdpSide::we_offered));
  ASSERT_TRUE(run_until([&] { return !accept_sdp_.empty(); }));
  ASSERT_TRUE(run_until([&] { return graph_actions_.size() == 2; }));
  registry.shut_down_all("shutdown");
  ASSERT_TRUE(run_until([&] { return registry.active_calls() == 0 && hangups_ == 1; }));
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"pre_accept", "accept", "terminate"}));
}

// --- the agent's features: greeting, DTMF, barge-in, tools -------------------------------------

TEST_F(CallTest, GreetingUsesTheProfilesInstruction) {
  services_.profiles.default_profile.greeting = "Say: Welcome to Luigi's, how can I help?";
  start_connected_call();
  const auto creates = agent_received("response.create");
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0]["response"]["instructions"], "Say: Welcome to Luigi's, how can I help?");
}

TEST_F(CallTest, EachNumberGetsItsOwnProfile) {
  AgentProfile other;
  other.session.voice = "shimmer";
  other.greeting = "Greet for the second shop.";
  services_.profiles.by_number.emplace("1234", other); // place_call() dials 1234
  start_connected_call();
  const auto updates = agent_received("session.update");
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates[0]["session"]["audio"]["output"]["voice"], "shimmer");
  EXPECT_EQ(agent_received("response.create")[0]["response"]["instructions"],
            "Greet for the second shop.");
}

TEST_F(CallTest, ANumberMayRunOnAzureOpenAi) {
  agent::RealtimeConfig config{"http://res.openai.azure.test/openai/v1", "azure-key"};
  config.azure_api_key_header = true;
  agent::RealtimeSignaling azure(
      [this](http::Request r, http::Client::Callback done) { on_openai(r, done); }, config);
  AgentProfile profile;
  profile.provider = "azure";
  profile.realtime = &azure;
  services_.profiles.by_number.emplace("1234", profile);
  start_connected_call();
  ASSERT_FALSE(openai_requests_.empty());
  const auto& create = openai_requests_.front();
  EXPECT_EQ(create.url, "http://res.openai.azure.test/openai/v1/realtime/calls");
  bool api_key_header = false;
  for (const auto& [name, value] : create.headers)
    api_key_header |= name == "api-key" && value == "azure-key";
  EXPECT_TRUE(api_key_header);
  call_->on_terminate_webhook(whatsapp::CallTerminate{});
  ASSERT_TRUE(run_until([&] { return ended_ && hangups_ == 1; }));
  EXPECT_EQ(openai_requests_.back().url,
            "http://res.openai.azure.test/openai/v1/realtime/calls/rtc_unit/hangup");
}

TEST_F(CallTest, LongCallsMoveToANewAgentSessionWithoutAGapOrAGreeting) {
  services_.agent_rollover_after = milliseconds(800);
  start_connected_call(); // the first agent hears the caller say "hi" (transcript)
  agent_.send(R"({"type":"response.output_audio_transcript.done","transcript":"Hello there!"})");
  ASSERT_TRUE(run_until([&] { return sessions_.size() == 2; }));
  // The successor is told the conversation and not to greet.
  const std::string instructions = sessions_[1]["instructions"];
  EXPECT_NE(instructions.find("Caller: hi"), std::string::npos) << instructions;
  EXPECT_NE(instructions.find("You: Hello there!"), std::string::npos) << instructions;
  EXPECT_NE(instructions.find("do not greet"), std::string::npos);
  ASSERT_TRUE(run_until([&] { return call_->counters().agent_rollovers == 1; }));
  // The first session is over; the new one hears the caller and is heard.
  ASSERT_TRUE(run_until([&] { return hangups_ == 1; }));
  EXPECT_EQ(hangup_urls_[0], "http://openai.test/v1/realtime/calls/rtc_unit/hangup");
  const auto heard_before = caller_.rtp.size();
  for (std::uint16_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(caller_.send_rtp(111, 100 + i, i * 960u, 0xA7, 40));
    ASSERT_TRUE(successor_agent_.send_rtp(111, i, i * 960u, 0xB7, 40));
  }
  ASSERT_TRUE(run_until([&] { return successor_agent_.rtp.size() >= 5; }));
  ASSERT_TRUE(run_until([&] {
    std::size_t n = 0;
    for (std::size_t k = heard_before; k < caller_.rtp.size(); ++k)
      n += caller_.rtp[k].size() == 52 && caller_.rtp[k][12] == 0xB7;
    return n == 5;
  }));
  // No greeting from the new session: one response.create ever, to the first agent.
  for (const auto& m : successor_agent_.messages)
    EXPECT_EQ(m.find("response.create"), std::string::npos) << m;
  // One continuous stream to the caller: one SSRC, consecutive sequence numbers.
  for (std::size_t k = 1; k < caller_.rtp.size(); ++k) {
    EXPECT_EQ(load_be32(caller_.rtp[k].data() + 8), load_be32(caller_.rtp[0].data() + 8));
    EXPECT_EQ(static_cast<std::uint16_t>(load_be16(caller_.rtp[k].data() + 2) -
                                         load_be16(caller_.rtp[k - 1].data() + 2)),
              1)
        << "packet " << k;
  }
  call_->on_terminate_webhook(whatsapp::CallTerminate{});
  ASSERT_TRUE(run_until([&] { return ended_ && hangups_ == 2; }));
  EXPECT_EQ(hangup_urls_[1], "http://openai.test/v1/realtime/calls/rtc_unit2/hangup");
  successor_agent_.transport.reset();
  expect_ended_leaving_nothing("caller_hung_up");
}

TEST_F(CallTest, AGptLiveCallRollsOverOnceItsAgentIsQuiet) {
  use_gpt_live().session.instructions = "Take orders.";
  services_.agent_rollover_after = milliseconds(800);
  agent_.live = successor_agent_.live = true;
  start_call();
  ASSERT_TRUE(run_until([&] { return call_->phase() == CallPhase::accepted; }));
  agent_.send(R"({"type":"session.output_transcript.delta","delta":"Hello there!"})");
  agent_.send(R"({"type":"session.input_transcript.delta","delta":"hi"})");
  // The agent is talking when the successor is ready: the switch waits for a pause.
  bool stop_talking = false;
  std::uint16_t seq = 0;
  std::function<void()> talk = [&] {
    if (stop_talking) return;
    agent_.send_rtp(111, seq, seq * 960u, 0xA7, 40);
    ++seq;
    loop_.add_timer(loop_.now() + milliseconds(20), talk);
  };
  talk();
  ASSERT_TRUE(run_until([&] { return live_requests_.size() == 2 && successor_agent_.channel; }));
  const std::string instructions = live_requests_[1]["session"]["instructions"];
  EXPECT_EQ(instructions.rfind("Take orders.", 0), 0u) << instructions;
  EXPECT_NE(instructions.find("You: Hello there!"), std::string::npos) << instructions;
  EXPECT_NE(instructions.find("Caller: hi"), std::string::npos) << instructions;
  const TimePoint until = loop_.now() + milliseconds(600);
  run_until([&] { return loop_.now() >= until; });
  EXPECT_EQ(call_->counters().agent_rollovers, 0u) << "switched while the agent talked";
  stop_talking = true;
  ASSERT_TRUE(run_until([&] { return call_->counters().agent_rollovers == 1; }));
  ASSERT_TRUE(run_until([&] { return hangups_ == 1; }));
  EXPECT_EQ(hangup_urls_[0], "http://openai.test/v1/live/sessions/live_1/hangup");
  for (const auto& m : successor_agent_.messages)
    EXPECT_EQ(m.find("response.create"), std::string::npos) << m; // no second greeting
  call_->on_terminate_webhook(whatsapp::CallTerminate{});
  ASSERT_TRUE(run_until([&] { return ended_ && hangups_ == 2; }));
  EXPECT_EQ(hangup_urls_[1], "http://openai.test/v1/live/sessions/live_2/hangup");
  successor_agent_.transport.reset();
  expect_ended_leaving_nothing("caller_hung_up");
}

TEST_F(CallTest, ANumberMayRunOnGptLive) {
  use_gpt_live().greeting = "Greet the caller.";
  const auto dir = std::filesystem::path(::testing::TempDir()) / "wabridge-live-test";
  std::filesystem::remove_all(dir);
  services_.call_data = {dir, false};
  agent_.live = true;
  start_call();
  ASSERT_TRUE(run_until([&] { return call_->phase() == CallPhase::accepted; }));
  ASSERT_EQ(live_requests_.size(), 1u);
  EXPECT_EQ(live_requests_[0]["session"]["model"], "gpt-live-1");
  EXPECT_EQ(openai_requests_.front().url, "http://openai.test/v1/live/sessions");
  // Configured at creation: no session.update; the greeting once the caller can hear it.
  ASSERT_TRUE(run_until([&] { return agent_received("response.create").size() == 1; }));
  EXPECT_TRUE(agent_received("session.update").empty());
  // Transcripts arrive as deltas; a turn is logged when the other side speaks.
  const auto events = call_->counters().agent_events;
  agent_.send(R"({"type":"session.output_transcript.delta","delta":"Hello, ","start_ms":0})");
  agent_.send(R"({"type":"session.output_transcript.delta","delta":"welcome!","start_ms":400})");
  agent_.send(R"({"type":"session.input_transcript.delta","delta":"Hi","start_ms":900})");
  agent_.send(R"({"type":"session.closed","reason":"expired"})");
  ASSERT_TRUE(run_until([&] { return ended_; }));
  EXPECT_EQ(call_->counters().agent_events, events + 4);
  EXPECT_EQ(call_->end_details().value("reason", ""), "expired");
  EXPECT_EQ(graph_actions_.back(), "terminate");
  ASSERT_TRUE(run_until([&] { return hangups_ == 1; }));
  EXPECT_EQ(hangup_urls_[0], "http://openai.test/v1/live/sessions/live_1/hangup");
  expect_ended_leaving_nothing("agent_session_closed");
  std::string lines;
  for (const auto& day : std::filesystem::directory_iterator(dir)) {
    std::ifstream file(day.path() / "wacid.unit.transcript.jsonl");
    lines.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  EXPECT_NE(lines.find(R"("speaker":"agent","text":"Hello, welcome!")"), std::string::npos)
      << lines;
  EXPECT_NE(lines.find(R"("speaker":"caller","text":"Hi")"), std::string::npos) << lines;
  std::filesystem::remove_all(dir);
}

TEST_F(CallTest, DtmfDigitsBecomeAgentInput) {
  services_.profiles.default_profile.dtmf_message = "The caller pressed {digit} on the keypad.";
  start_connected_call();
  for (std::uint16_t i = 0; i < 3; ++i) // digit 3, end packet sent three times
    ASSERT_TRUE(caller_.send_rtp(126, 200 + i, 70000, 0x03, 4, /*end_bit=*/true));
  ASSERT_TRUE(run_until([&] { return agent_received("conversation.item.create").size() == 1; }));
  const auto item = agent_received("conversation.item.create")[0]["item"];
  EXPECT_EQ(item["role"], "user");
  EXPECT_EQ(item["content"][0]["text"], "The caller pressed 3 on the keypad.");
  ASSERT_TRUE(run_until([&] { return agent_received("response.create").size() == 2; }));
  EXPECT_EQ(agent_.packets_with_pt(126), 0u);
}

TEST_F(CallTest, BargeInDropsAgentAudioUntilItSpeaksAgain) {
  start_connected_call();
  // Events and RTP travel separately: each step waits until the call has read the event.
  auto send_event = [&](const std::string& event) {
    const auto seen = call_->counters().agent_events;
    agent_.send(event);
    ASSERT_TRUE(run_until([&] { return call_->counters().agent_events == seen + 1; }));
  };
  send_event(R"({"type":"output_audio_buffer.started","response_id":"r1"})");
  ASSERT_TRUE(agent_.send_rtp(111, 1, 960, 0xB1, 40));
  ASSERT_TRUE(run_until([&] { return call_->counters().forwarded_to_caller == 1; }));
  const auto before = call_->counters().forwarded_to_caller;
  // The caller talks over the agent: what the agent still sends must not reach the caller.
  send_event(R"({"type":"input_audio_buffer.speech_started","audio_start_ms":10,"item_id":"i"})");
  for (std::uint16_t i = 2; i < 7; ++i)
    ASSERT_TRUE(agent_.send_rtp(111, i, i * 960u, 0xB2, 40));
  ASSERT_TRUE(run_until([&] { return call_->counters().dropped_barge_in == 5; }));
  send_event(R"({"type":"output_audio_buffer.cleared","response_id":"r1"})");
  ASSERT_TRUE(agent_.send_rtp(111, 7, 7 * 960u, 0xB2, 40));
  ASSERT_TRUE(run_until([&] { return call_->counters().dropped_barge_in == 6; }));
  EXPECT_EQ(call_->counters().forwarded_to_caller, before);
  // The next response is heard again.
  send_event(R"({"type":"output_audio_buffer.started","response_id":"r2"})");
  for (std::uint16_t i = 8; i < 11; ++i)
    ASSERT_TRUE(agent_.send_rtp(111, i, i * 960u, 0xB3, 40));
  ASSERT_TRUE(run_until([&] { return call_->counters().forwarded_to_caller == before + 3; }));
}

TEST_F(CallTest, EndCallToolHangsUpOnceTheGoodbyePlayedOut) {
  services_.profiles.default_profile.finalize(); // declares end_call
  start_connected_call();
  const auto update = agent_received("session.update")[0];
  EXPECT_EQ(update["session"]["tools"][0]["name"], "end_call");
  agent_.send(R"({"type":"output_audio_buffer.started","response_id":"r1"})");
  agent_.send(R"({"type":"response.function_call_arguments.done","call_id":"call_9",
                  "name":"end_call","arguments":"{}","item_id":"it","response_id":"r1"})");
  ASSERT_TRUE(run_until([&] { return agent_received("conversation.item.create").size() == 1; }));
  EXPECT_EQ(agent_received("conversation.item.create")[0]["item"]["call_id"], "call_9");
  run_until([] { return false; }, milliseconds(700));
  EXPECT_FALSE(ended_); // the goodbye is still playing
  agent_.send(R"({"type":"output_audio_buffer.stopped","response_id":"r1"})");
  ASSERT_TRUE(run_until([&] { return ended_; }));
  EXPECT_EQ(graph_actions_.back(), "terminate");
  EXPECT_EQ(hangups_, 1);
  EXPECT_EQ(agent_received("response.create").size(), 1u); // no response after end_call
  expect_ended_leaving_nothing("agent_ended_call");
}

TEST_F(CallTest, HttpToolPostsArgumentsAndContextAndReturnsTheAnswer) {
  agent::HttpTool tool;
  tool.function = {"check_availability", "Free tables", {{"type", "object"}}};
  tool.url = "http://backend.test/tools/availability";
  tool.headers = {{"X-Api-Key", "backend-key"}};
  services_.profiles.default_profile.http_tools.push_back(tool);
  services_.profiles.default_profile.finalize();
  services_.tools = &tools_;
  start_connected_call();
  agent_.send(R"({"type":"response.done","response":{"id":"r1","status":"completed","output":[
      {"type":"function_call","call_id":"call_1","name":"check_availability",
       "arguments":"{\"party\":2}"}]}})");
  ASSERT_TRUE(run_until([&] { return agent_received("conversation.item.create").size() == 1; }));
  ASSERT_EQ(tool_requests_.size(), 1u);
  const auto& request = tool_requests_[0];
  EXPECT_EQ(request.url, "http://backend.test/tools/availability");
  const auto body = json::parse(request.body);
  EXPECT_EQ(body["tool"], "check_availability");
  EXPECT_EQ(body["arguments"]["party"], 2);
  EXPECT_EQ(body["call"]["call_id"], "wacid.unit");
  EXPECT_EQ(body["call"]["phone_number_id"], "1234");
  const auto output = agent_received("conversation.item.create")[0]["item"];
  EXPECT_EQ(output["type"], "function_call_output");
  EXPECT_EQ(output["call_id"], "call_1");
  EXPECT_EQ(output["output"], R"({"slots":["19:00","20:30"]})");
  ASSERT_TRUE(run_until([&] { return agent_received("response.create").size() == 2; }));
  // The same call id repeated in other events is not run twice.
  agent_.send(R"({"type":"response.function_call_arguments.done","call_id":"call_1",
                  "name":"check_availability","arguments":"{\"party\":2}"})");
  run_until([] { return false; }, milliseconds(100));
  EXPECT_EQ(tool_requests_.size(), 1u);
}

TEST_F(CallTest, ToolFailuresGoBackToTheModelAndTheCallGoesOn) {
  agent::HttpTool tool;
  tool.function = {"lookup", "Look up", {{"type", "object"}}};
  tool.url = "http://backend.test/lookup";
  services_.profiles.default_profile.http_tools.push_back(tool);
  services_.tools = &tools_;
  tool_status_ = 503;
  start_connected_call();
  agent_.send(R"({"type":"response.function_call_arguments.done","call_id":"c1","name":"lookup",
                  "arguments":"{}"})");
  agent_.send(R"({"type":"response.function_call_arguments.done","call_id":"c2","name":"nope",
                  "arguments":"{}"})");
  agent_.send(R"({"type":"response.function_call_arguments.done","call_id":"c3","name":"lookup",
                  "arguments":"not json"})");
  ASSERT_TRUE(run_until([&] { return agent_received("conversation.item.create").size() == 3; }));
  std::map<std::string, std::string> outputs;
  for (const auto& e : agent_received("conversation.item.create"))
    outputs[e["item"]["call_id"]] = e["item"]["output"];
  EXPECT_NE(outputs["c1"].find("HTTP 503"), std::string::npos) << outputs["c1"];
  EXPECT_NE(outputs["c2"].find("no such tool"), std::string::npos);
  EXPECT_NE(outputs["c3"].find("not a JSON object"), std::string::npos);
  EXPECT_EQ(tool_requests_.size(), 1u); // bad arguments never reach the backend
  EXPECT_NE(call_->phase(), CallPhase::ended);
}

TEST_F(CallTest, TranscriptAndRecordingsOfBothDirectionsAreWritten) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "wabridge-call-data-test";
  std::filesystem::remove_all(dir);
  services_.call_data = {dir, true};
  start_connected_call(); // the agent peer sends the caller's transcript "hi"
  for (std::uint16_t i = 0; i < 10; ++i) {
    ASSERT_TRUE(caller_.send_rtp(111, i, i * 960u, 0xF8, 3));
    ASSERT_TRUE(agent_.send_rtp(111, i, i * 960u, 0xF8, 5));
  }
  ASSERT_TRUE(run_until([&] { return call_->counters().forwarded_to_caller == 10; }));
  const auto events = call_->counters().agent_events;
  agent_.send(R"({"type":"response.output_audio_transcript.done","transcript":"Ciao!"})");
  ASSERT_TRUE(run_until([&] { return call_->counters().agent_events == events + 1; }));
  call_->on_terminate_webhook(whatsapp::CallTerminate{});
  expect_ended_leaving_nothing("caller_hung_up");

  std::filesystem::path day;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    day = entry.path();
  std::ifstream transcript(day / "wacid.unit.transcript.jsonl");
  std::string all((std::istreambuf_iterator<char>(transcript)), std::istreambuf_iterator<char>());
  EXPECT_NE(all.find(R"("speaker":"caller","text":"hi")"), std::string::npos) << all;
  EXPECT_NE(all.find(R"("speaker":"agent","text":"Ciao!")"), std::string::npos) << all;
  const auto caller = ogg::read_ogg_opus_file((day / "wacid.unit.caller.ogg").string());
  EXPECT_EQ(caller.packets.size(), 10u);
  const auto heard = ogg::read_ogg_opus_file((day / "wacid.unit.agent.ogg").string());
  std::size_t agent_packets = 0;
  for (const auto& p : heard.packets)
    agent_packets += p.size == 5; // the agent's; the rest is keep-alive silence (3 bytes)
  EXPECT_EQ(agent_packets, 10u);
  std::filesystem::remove_all(dir);
}

// --- business-initiated calls ------------------------------------------------------------------

whatsapp::CallStatus status_of(const std::string& call_id, whatsapp::CallStatusKind kind,
                               const char* text) {
  whatsapp::CallStatus status;
  status.call_id = call_id;
  status.status = kind;
  status.status_text = text;
  return status;
}

class OutboundCallTest : public CallTest {
protected:
  // Places a call and lets the callee's phone answer our offer (as Meta relays it: setup active).
  void place_and_answer(CallRegistry& registry) {
    registry.place_call({"1234", "15551234567", std::nullopt},
                        [this](const whatsapp::GraphResult& r) { placed_ = r; });
    ASSERT_TRUE(run_until([&] { return placed_.has_value(); }));
    ASSERT_TRUE(placed_->ok);
    EXPECT_EQ(placed_->call_id, "wacid.out");
    EXPECT_EQ(outbound_to_, "15551234567");
    const auto offer = sdp::parse(outbound_offer_);
    ASSERT_EQ(offer.media.size(), 1u); // audio only
    caller_.transport =
        std::make_unique<rtc::PeerTransport>(loop_, batch_, caller_, loopback(false));
    const auto answer =
        sdp::answer_generic_offer(offer, rtc::local_parameters(*caller_.transport, 88, "callee"));
    caller_.transport->start(rtc::remote_parameters(offer, rtc::SdpSide::we_answered));
    whatsapp::CallConnect connect;
    connect.call_id = "wacid.out";
    connect.business.phone_number_id = "1234";
    connect.direction = whatsapp::CallDirection::business_initiated;
    connect.sdp_type = whatsapp::SdpType::answer;
    connect.sdp = sdp::write(answer);
    registry.handle(batch_of(connect));
    ASSERT_TRUE(run_until([&] { return caller_.connected && agent_.connected; }));
  }
  std::optional<whatsapp::GraphResult> placed_;
};

TEST_F(OutboundCallTest, PlacedCallIsPreparedWhileRingingAndGreetsWhenAnswered) {
  CallRegistry registry(services_);
  place_and_answer(registry);
  run_until([&] { return !agent_received("session.update").empty(); });
  EXPECT_TRUE(agent_received("response.create").empty()); // ringing: the agent waits
  registry.handle(batch_of(status_of("wacid.out", whatsapp::CallStatusKind::accepted, "ACCEPTED")));
  ASSERT_TRUE(run_until([&] { return agent_received("response.create").size() == 1; }));
  for (std::uint16_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(caller_.send_rtp(111, i, i * 960u, 0xA1, 40));
    ASSERT_TRUE(agent_.send_rtp(111, i, i * 960u, 0xB2, 40));
  }
  auto agent_audio_heard = [&] {
    std::size_t n = 0;
    for (const auto& p : caller_.rtp)
      n += p.size() == 52 && p[12] == 0xB2;
    return n;
  };
  ASSERT_TRUE(run_until([&] { return agent_.rtp.size() >= 5 && agent_audio_heard() >= 5; }));
  registry.handle(batch_of(terminate_of("wacid.out")));
  ASSERT_TRUE(run_until([&] { return registry.active_calls() == 0 && hangups_ == 1; }));
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"connect"})); // no accept for a placed call
}

TEST_F(OutboundCallTest, RejectedByTheCalleeEndsWithoutAGraphAction) {
  CallRegistry registry(services_);
  place_and_answer(registry);
  registry.handle(batch_of(status_of("wacid.out", whatsapp::CallStatusKind::rejected, "REJECTED")));
  ASSERT_TRUE(run_until([&] { return registry.active_calls() == 0 && hangups_ == 1; }));
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"connect"}));
}

TEST_F(OutboundCallTest, UnansweredCallIsTerminatedWhenTheRingingWindowPasses) {
  services_.accept_window = milliseconds(600);
  CallRegistry registry(services_);
  registry.place_call({"1234", "15551234567", std::nullopt},
                      [this](const whatsapp::GraphResult& r) { placed_ = r; });
  ASSERT_TRUE(run_until([&] { return registry.active_calls() == 0; }));
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"connect", "terminate"}));
  ASSERT_TRUE(run_until([&] { return hangups_ == openai_calls_created_; }));
}

TEST_F(OutboundCallTest, FailedConnectReportsTheErrorAndFreesEverything) {
  fail_graph_action_ = "connect";
  CallRegistry registry(services_);
  registry.place_call({"1234", "15551234567", std::nullopt},
                      [this](const whatsapp::GraphResult& r) { placed_ = r; });
  ASSERT_TRUE(run_until([&] { return placed_.has_value() && registry.active_calls() == 0; }));
  EXPECT_FALSE(placed_->ok);
  EXPECT_EQ(placed_->error_code, 100);
  EXPECT_EQ(graph_actions_, (std::vector<std::string>{"connect"}));
  ASSERT_TRUE(run_until([&] { return hangups_ == openai_calls_created_; }));
  agent_.transport.reset();
  EXPECT_EQ(loop_.watched_fds(), baseline_fds_);
  EXPECT_EQ(loop_.pending_timers(), baseline_timers_);
}

TEST_F(OutboundCallTest, EndingBeforeMetaTookTheCallTerminatesItOnceItHasAnId) {
  hold_graph_action_ = "connect";
  CallRegistry registry(services_);
  registry.place_call({"1234", "15551234567", std::nullopt},
                      [this](const whatsapp::GraphResult& r) { placed_ = r; });
  ASSERT_TRUE(run_until([&] { return held_graph_ != nullptr; }));
  registry.shut_down_all("shutdown");
  ASSERT_TRUE(run_until([&] { return placed_.has_value() && registry.active_calls() == 0; }));
  EXPECT_FALSE(placed_->ok);
  EXPECT_NE(placed_->message.find("shutdown"), std::string::npos);
  held_graph_(200); // Meta created the call after all: it must be ended at once
  ASSERT_TRUE(run_until([&] { return graph_actions_.size() == 2; }));
  EXPECT_EQ(graph_actions_.back(), "terminate");
  EXPECT_EQ(terminated_call_id_, "wacid.out");
}

TEST_F(OutboundCallTest, NoCallsArePlacedWhileDraining) {
  CallRegistry registry(services_);
  registry.stop_accepting();
  registry.place_call({"1234", "15551234567", std::nullopt},
                      [this](const whatsapp::GraphResult& r) { placed_ = r; });
  ASSERT_TRUE(run_until([&] { return placed_.has_value(); }));
  EXPECT_FALSE(placed_->ok);
  EXPECT_TRUE(graph_actions_.empty());
}

// The browser softphone's call: the WhatsApp call path with Meta's steps done locally.
class SoftphoneCallTest : public CallTest {
protected:
  SoftphoneCall softphone_of(const whatsapp::CallConnect& connect) {
    return SoftphoneCall{"softphone-unit", connect.business.phone_number_id, connect.sdp};
  }
  void start_softphone(bool connect_caller = true) {
    call_ = std::make_unique<Call>(
        services_, softphone_of(place_call()), [this](Call&) { ended_ = true; },
        [this](Call&, const std::string& sdp) {
          ++answers_;
          softphone_answer_ = sdp;
        });
    if (!connect_caller) return;
    ASSERT_TRUE(run_until([&] { return !softphone_answer_.empty(); }));
    caller_.transport->start(
        rtc::remote_parameters(sdp::parse(softphone_answer_), rtc::SdpSide::we_offered));
    ASSERT_TRUE(run_until([&] {
      return caller_.connected && agent_.connected && call_->phase() == CallPhase::accepted &&
             agent_.messages.size() >= 2;
    }));
  }
  std::string softphone_answer_;
  int answers_ = 0;
};

TEST_F(SoftphoneCallTest, ReachesTheAgentWithoutAnyGraphRequestAndHangsUpCleanly) {
  services_.profiles.default_profile.session.instructions = "Softphone test prompt.";
  start_softphone();
  EXPECT_TRUE(call_->softphone());
  EXPECT_EQ(answers_, 1);
  EXPECT_NE(softphone_answer_.find("a=setup:active"), std::string::npos);
  EXPECT_EQ(json::parse(agent_.messages[0])["type"], "session.update");
  EXPECT_EQ(json::parse(agent_.messages[0])["session"]["instructions"], "Softphone test prompt.");
  EXPECT_EQ(json::parse(agent_.messages[1])["type"], "response.create");
  for (std::uint16_t i = 0; i < 10; ++i) {
    ASSERT_TRUE(caller_.send_rtp(111, i, i * 960u, 0xA1, 40));
    ASSERT_TRUE(agent_.send_rtp(111, i, i * 960u, 0xB2, 40));
  }
  ASSERT_TRUE(
      run_until([&] { return agent_.rtp.size() >= 10 && caller_.packets_with_pt(111) >= 10; }));
  EXPECT_EQ(call_->snapshot().softphone, true);
  call_->hang_up("softphone_hung_up");
  ASSERT_TRUE(run_until([&] { return ended_ && hangups_ == 1; }));
  EXPECT_TRUE(graph_actions_.empty()) << graph_actions_.front();
  EXPECT_EQ(call_->end_details().size(), 0u);
  expect_ended_leaving_nothing("softphone_hung_up");
}

TEST_F(SoftphoneCallTest, TheBrowserClosingDtlsEndsItWithoutAnyGraphRequest) {
  start_softphone();
  caller_.transport->close();
  ASSERT_TRUE(run_until([&] { return ended_ && hangups_ == 1; }));
  EXPECT_TRUE(graph_actions_.empty());
  expect_ended_leaving_nothing("whatsapp_leg_closed");
}

TEST_F(SoftphoneCallTest, AnUnusableOfferReportsNoAnswerAndSendsNoReject) {
  auto softphone = softphone_of(place_call());
  softphone.offer_sdp = "v=0\r\nthis is no offer\r\n";
  call_ = std::make_unique<Call>(
      services_, softphone, [this](Call&) { ended_ = true; },
      [this](Call&, const std::string& sdp) {
        ++answers_;
        softphone_answer_ = sdp;
      });
  ASSERT_TRUE(run_until([&] { return ended_ && hangups_ == openai_calls_created_; }));
  EXPECT_EQ(answers_, 1); // told once, with no answer
  EXPECT_TRUE(softphone_answer_.empty());
  EXPECT_TRUE(graph_actions_.empty());
  expect_ended_leaving_nothing("caller_offer_unusable");
}

TEST_F(SoftphoneCallTest, RegistryStartsAndHangsUpSoftphoneCallsOnly) {
  CallRegistry registry(services_);
  std::string answer, cause;
  const auto softphone = softphone_of(place_call());
  ASSERT_TRUE(
      registry.start_softphone_call(softphone, [&](const std::string& sdp, const std::string& why) {
        answer = sdp;
        cause = why;
      }));
  EXPECT_FALSE(registry.start_softphone_call(softphone, nullptr)); // its id is taken
  ASSERT_TRUE(run_until([&] { return !answer.empty(); }));
  EXPECT_TRUE(cause.empty());
  caller_.transport->start(rtc::remote_parameters(sdp::parse(answer), rtc::SdpSide::we_offered));
  ASSERT_TRUE(run_until([&] { return caller_.connected && agent_.messages.size() >= 2; }));
  EXPECT_FALSE(registry.hang_up_softphone_call("wacid.other", "softphone_hung_up"));
  EXPECT_TRUE(registry.hang_up_softphone_call("softphone-unit", "softphone_hung_up"));
  ASSERT_TRUE(run_until([&] { return registry.active_calls() == 0 && hangups_ == 1; }));
  EXPECT_TRUE(graph_actions_.empty());
  EXPECT_EQ(registry.metrics().ended_by_cause.at("softphone_hung_up"), 1u);
  EXPECT_EQ(registry.metrics().to_pre_accept.count(), 0u); // Meta's setup times only
  EXPECT_EQ(registry.metrics().to_accept.count(), 0u);
  registry.stop_accepting();
  EXPECT_FALSE(registry.start_softphone_call(softphone, nullptr)); // draining
  caller_.transport.reset();
  agent_.transport.reset();
  EXPECT_EQ(loop_.watched_fds(), baseline_fds_);
  EXPECT_EQ(loop_.pending_timers(), baseline_timers_);
}

} // namespace
} // namespace wab::bridge

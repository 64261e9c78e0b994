// The Call end to end inside one process: a caller leg and an agent leg of our own stack on
// loopback, fake Graph and OpenAI HTTP services behind the clients' Sender hooks. What the bridge
// does between them is real: answer, pre_accept, agent offer, accept on connect, forwarding,
// keepalive silence, DTMF filtering and every end path asserted here.
#include "bridge/call.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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
  bool agent_role = false; // answer the Realtime protocol on the data channel

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
    if (agent_role) send(R"({"type":"session.created","session":{"id":"sess_1","model":"m"}})");
  }
  void on_channel_message(rtc::PeerTransport&, std::uint16_t, Bytes d, bool) override {
    messages.emplace_back(d.begin(), d.end());
    const auto event = json::parse(messages.back(), nullptr, false);
    if (agent_role && event.is_object() && event.value("type", "") == "session.update") {
      send(R"({"type":"session.updated","session":{"id":"sess_1"}})");
      send(R"({"type":"conversation.item.input_audio_transcription.completed","transcript":"hi"})");
    }
  }
  void send(const std::string& text) {
    transport->send_message(
        *channel, Bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), false);
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
        services_{loop_, batch_,          graph_,      &realtime_,
                  {},    loopback(false), seconds(30), seconds(20)} {
    agent_.agent_role = true;
  }

  // Graph API: records the action, answers as configured.
  void on_graph(const http::Request& r, const http::Client::Callback& done) {
    const auto body = json::parse(r.body);
    const std::string action = body.value("action", "");
    graph_actions_.push_back(action);
    if (action == "pre_accept") answer_sdp_ = body["session"]["sdp"];
    if (action == "accept") accept_sdp_ = body["session"]["sdp"];
    http::Response response;
    response.status = action == fail_graph_action_ ? 400 : 200;
    response.body = response.status == 200
                        ? R"({"messaging_product":"whatsapp","success":true})"
                        : R"({"error":{"message":"bad","type":"OAuthException","code":100}})";
    loop_.post([done, response] { done(response); });
  }

  // OpenAI: the agent peer answers the bridge's offer.
  void on_openai(const http::Request& r, const http::Client::Callback& done) {
    http::Response response;
    if (r.url.find("/hangup") != std::string::npos) {
      ++hangups_;
      response.status = 200;
    } else {
      const auto start = r.body.find("v=0");
      const auto end = r.body.find("\r\n--", start);
      const auto offer = sdp::parse(r.body.substr(start, end - start + 2));
      agent_.transport =
          std::make_unique<rtc::PeerTransport>(loop_, batch_, agent_, loopback(true));
      const auto answer =
          sdp::answer_generic_offer(offer, rtc::local_parameters(*agent_.transport, 4242, "agent"));
      agent_.transport->start(rtc::remote_parameters(offer, rtc::SdpSide::we_answered));
      response.status = 201;
      response.body = sdp::write(answer);
      response.headers.push_back({"content-type", "application/sdp"});
      response.headers.push_back({"location", "/v1/realtime/calls/rtc_unit"});
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

  void start_call(bool caller_answers = true) {
    call_ = std::make_unique<Call>(services_, place_call(), [this](Call& c) { ended_ = true; });
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

  bool run_until(const std::function<bool()>& done, Duration limit = seconds(10)) {
    const TimePoint deadline = Clock::now() + limit;
    while (!done() && Clock::now() < deadline)
      loop_.run_once(milliseconds(10));
    return done();
  }

  net::EventLoop loop_;
  net::ReceiveBatch batch_;
  whatsapp::GraphClient graph_;
  agent::RealtimeSignaling realtime_;
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

TEST_F(CallTest, TerminateWebhookHangsUpTheAgentAndNeedsNoGraphAction) {
  start_connected_call();
  whatsapp::CallTerminate terminate;
  terminate.call_id = "wacid.unit";
  terminate.status_text = "COMPLETED";
  call_->on_terminate_webhook(terminate);
  ASSERT_TRUE(run_until([&] { return ended_ && hangups_ == 1; }));
  EXPECT_EQ(call_->end_cause(), "caller_hung_up");
  EXPECT_EQ(graph_actions_.size(), 2u); // pre_accept, accept: nothing after
}

TEST_F(CallTest, AgentLegClosingTerminatesTheWhatsAppCall) {
  start_connected_call();
  agent_.transport->close();
  ASSERT_TRUE(run_until([&] { return ended_; }));
  EXPECT_EQ(call_->end_cause(), "agent_leg_closed");
  ASSERT_EQ(graph_actions_.size(), 3u);
  EXPECT_EQ(graph_actions_[2], "terminate");
}

TEST_F(CallTest, PreAcceptFailureRejectsTheCall) {
  fail_graph_action_ = "pre_accept";
  start_call(/*caller_answers=*/false);
  ASSERT_TRUE(run_until([&] { return ended_; }));
  EXPECT_EQ(call_->end_cause(), "graph_pre_accept_failed");
  EXPECT_EQ(graph_actions_.back(), "reject");
}

TEST_F(CallTest, AcceptWindowExpiryRejects) {
  services_.accept_window = milliseconds(300);
  start_call(/*caller_answers=*/false); // the caller's leg never connects
  ASSERT_TRUE(run_until([&] { return ended_; }));
  EXPECT_EQ(call_->end_cause(), "accept_window_expired");
  EXPECT_EQ(graph_actions_.back(), "reject");
  EXPECT_EQ(caller_.rtp.size(), 0u); // no media before accept
}

TEST_F(CallTest, NoAgentConfiguredRejectsBeforeAccepting) {
  services_.realtime = nullptr;
  start_call(/*caller_answers=*/false);
  ASSERT_TRUE(run_until([&] { return ended_; }));
  EXPECT_EQ(call_->end_cause(), "agent_unavailable");
  EXPECT_EQ(graph_actions_.back(), "reject");
}

} // namespace
} // namespace wab::bridge

#include "app/selftest.hpp"

#include <cstring>
#include <memory>
#include <string>

#include "common/log.hpp"
#include "net/event_loop.hpp"
#include "rtc/negotiation.hpp"
#include "rtc/peer_transport.hpp"
#include "rtp/rtp_packet.hpp"
#include "sdp/negotiation.hpp"
#include "sdp/offer_answer.hpp"
#include "sdp/parser.hpp"
#include "sdp/writer.hpp"
#include "srtp/srtp_session.hpp"

namespace wab::app {
namespace {

constexpr int kPackets = 100;
constexpr std::size_t kPayload = 60;

// One leg's view of the test: what it sent and what came back intact.
class Side : public rtc::PeerTransport::Listener {
public:
  explicit Side(std::string name) : name_(std::move(name)) {}

  void attach(rtc::PeerTransport& transport) { transport_ = &transport; }

  void on_transport_connected(rtc::PeerTransport& t) override {
    connected_ = true;
    log::info(
        "selftest_leg_connected",
        {{"leg", name_},
         {"srtp_profile",
          t.srtp_profile() ? std::string(dtls::srtp_profile_name(*t.srtp_profile())) : ""},
         {"ice_role", t.ice_role() == rtc::IceRole::controlling ? "controlling" : "controlled"},
         {"remote", t.selected_remote() ? t.selected_remote()->to_string() : ""}});
  }
  void on_transport_failed(rtc::PeerTransport&, const std::string& reason) override {
    failure_ = reason;
    log::error("selftest_leg_failed", {{"leg", name_}, {"reason", reason}});
  }
  void on_transport_closed(rtc::PeerTransport&, const std::string& reason) override {
    log::info("selftest_leg_closed", {{"leg", name_}, {"reason", reason}});
  }
  void on_rtp(rtc::PeerTransport&, MutableBytes packet, std::size_t, TimePoint) override {
    auto view = rtp::RtpView::parse(packet);
    if (!view) return;
    const Bytes payload = view->payload();
    if (payload.size() != kPayload) return;
    bool intact = true;
    for (std::size_t k = 1; k < kPayload; ++k) {
      intact = intact && payload[k] == static_cast<std::uint8_t>(payload[1] + k - 1);
    }
    if (intact) ++rtp_intact_;
  }
  void on_channel_open(rtc::PeerTransport& t, std::uint16_t id, const std::string& label) override {
    channel_ = id;
    const std::string text = "hello from the " + name_ + " leg";
    t.send_message(id, Bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()),
                   false);
  }
  void on_channel_message(rtc::PeerTransport&, std::uint16_t, Bytes data, bool) override {
    const std::string text(data.begin(), data.end());
    log::info("selftest_message", {{"leg", name_}, {"text", text}});
    ++messages_;
  }

  // Sends packet `i`: a valid Opus TOC byte, then a ramp starting at i.
  void send_packet(int i, std::uint8_t payload_type) {
    std::uint8_t buf[12 + kPayload + srtp::kMaxTrailer] = {};
    buf[0] = 0x80;
    buf[1] = payload_type;
    store_be16(buf + 2, static_cast<std::uint16_t>(i));
    store_be32(buf + 4, static_cast<std::uint32_t>(i) * 960);
    store_be32(buf + 8, 0x5e1f7e57);
    buf[12] = 0xF8;
    for (std::size_t k = 1; k < kPayload; ++k)
      buf[12 + k] = static_cast<std::uint8_t>(i + k);
    if (transport_->send_rtp(buf, 12 + kPayload, sizeof buf)) ++rtp_sent_;
  }

  bool connected() const { return connected_; }
  bool failed() const { return !failure_.empty(); }
  int rtp_intact() const { return rtp_intact_; }
  int rtp_sent() const { return rtp_sent_; }
  int messages() const { return messages_; }
  const std::string& name() const { return name_; }

private:
  std::string name_;
  rtc::PeerTransport* transport_ = nullptr;
  bool connected_ = false;
  std::string failure_;
  int rtp_intact_ = 0;
  int rtp_sent_ = 0;
  int messages_ = 0;
  std::optional<std::uint16_t> channel_;
};

rtc::TransportConfig local_config() {
  rtc::TransportConfig config;
  config.data_channel = true;
  config.host_addresses.push_back(*net::SocketAddress::parse("127.0.0.1", 0));
  return config;
}

} // namespace

int run_selftest() {
  net::EventLoop loop;
  net::ReceiveBatch batch;
  Side bridge_side("offering");
  Side agent_side("answering");
  rtc::PeerTransport offerer(loop, batch, bridge_side, local_config());
  rtc::PeerTransport answerer(loop, batch, agent_side, local_config());
  bridge_side.attach(offerer);
  agent_side.attach(answerer);

  const auto offer = sdp::offer_for_openai(rtc::local_parameters(offerer, 0x1111, "selftest"));
  const auto offer_text = sdp::write(offer);
  const auto answer = sdp::answer_generic_offer(
      sdp::parse(offer_text), rtc::local_parameters(answerer, 0x2222, "selftest"));
  const auto answer_text = sdp::write(answer);
  log::info("selftest_sdp",
            {{"offer_lines", std::count(offer_text.begin(), offer_text.end(), '\n')},
             {"answer_lines", std::count(answer_text.begin(), answer_text.end(), '\n')}});
  const std::uint8_t pt = sdp::negotiated_opus(answer)->payload_type;
  answerer.start(rtc::remote_parameters(sdp::parse(offer_text), rtc::SdpSide::we_answered));
  offerer.start(rtc::remote_parameters(sdp::parse(answer_text), rtc::SdpSide::we_offered));

  const TimePoint deadline = Clock::now() + seconds(15);
  bool channel_opened = false;
  int sent = 0;
  TimePoint next_send{};
  while (Clock::now() < deadline) {
    loop.run_once(milliseconds(5));
    if (bridge_side.failed() || agent_side.failed()) break;
    if (!bridge_side.connected() || !agent_side.connected()) continue;
    if (!channel_opened) {
      channel_opened = offerer.open_channel("oai-events").has_value();
      next_send = Clock::now();
    }
    if (sent < kPackets && Clock::now() >= next_send) { // one packet per 20 ms, like Opus
      bridge_side.send_packet(sent, pt);
      agent_side.send_packet(sent, pt);
      ++sent;
      next_send += milliseconds(20);
    }
    if (sent == kPackets && bridge_side.rtp_intact() == kPackets &&
        agent_side.rtp_intact() == kPackets && bridge_side.messages() >= 1 &&
        agent_side.messages() >= 1) {
      break;
    }
  }
  const bool ok = bridge_side.rtp_intact() >= 95 && agent_side.rtp_intact() >= 95 &&
                  bridge_side.messages() >= 1 && agent_side.messages() >= 1;
  log::info("selftest_result",
            {{"ok", ok},
             {"rtp_offering_to_answering", agent_side.rtp_intact()},
             {"rtp_answering_to_offering", bridge_side.rtp_intact()},
             {"rtp_sent_each_way", sent},
             {"messages_received", bridge_side.messages() + agent_side.messages()}});
  offerer.close();
  answerer.close();
  return ok ? 0 : 1;
}

} // namespace wab::app

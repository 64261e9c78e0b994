#pragma once
// Two PeerTransports on one EventLoop, wired by an in-process SDP exchange (an OpenAI-shaped offer
// answered generically), as the rtc tests need them. Real UDP sockets on 127.0.0.1.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/event_loop.hpp"
#include "rtc/negotiation.hpp"
#include "rtc/peer_transport.hpp"
#include "sdp/offer_answer.hpp"
#include "sdp/parser.hpp"
#include "sdp/writer.hpp"

namespace wab::rtc::testing {

// Records what one leg saw.
struct Recorder : PeerTransport::Listener {
  bool connected = false;
  std::string failed;
  std::string closed;
  std::vector<std::vector<std::uint8_t>> rtp;
  std::vector<std::string> messages;
  std::optional<std::uint16_t> channel;

  void on_transport_connected(PeerTransport&) override { connected = true; }
  void on_transport_failed(PeerTransport&, const std::string& reason) override { failed = reason; }
  void on_transport_closed(PeerTransport&, const std::string& reason) override { closed = reason; }
  void on_rtp(PeerTransport&, MutableBytes packet, std::size_t, TimePoint) override {
    rtp.emplace_back(packet.begin(), packet.end());
  }
  void on_channel_open(PeerTransport&, std::uint16_t id, const std::string&) override {
    channel = id;
  }
  void on_channel_message(PeerTransport&, std::uint16_t, Bytes data, bool) override {
    messages.emplace_back(data.begin(), data.end());
  }
};

inline TransportConfig loopback_config(bool data_channel) {
  TransportConfig config;
  config.data_channel = data_channel;
  config.host_addresses.push_back(*net::SocketAddress::parse("127.0.0.1", 0));
  return config;
}

struct LegPair {
  net::EventLoop& loop;
  net::ReceiveBatch batch;
  Recorder offerer_events;
  Recorder answerer_events;
  std::unique_ptr<PeerTransport> offerer;
  std::unique_ptr<PeerTransport> answerer;

  LegPair(net::EventLoop& l, bool data_channel) : loop(l) {
    offerer =
        std::make_unique<PeerTransport>(loop, batch, offerer_events, loopback_config(data_channel));
    answerer = std::make_unique<PeerTransport>(loop, batch, answerer_events,
                                               loopback_config(data_channel));
  }

  // Exchanges SDP through text (write → parse, as over the wire) and starts both legs.
  // `tamper_answerer_view` may alter what the answerer learns about the offerer, and
  // `tamper_offerer_view` what the offerer learns about the answerer.
  void negotiate(const std::function<void(RemoteParameters&)>& tamper_answerer_view = {},
                 const std::function<void(RemoteParameters&)>& tamper_offerer_view = {}) {
    sdp::OpenAiOfferOptions options;
    options.include_data_channel = offerer->config().data_channel;
    const auto offer_text =
        sdp::write(sdp::offer_for_openai(local_parameters(*offerer, 1111, "offerer"), options));
    const auto offer = sdp::parse(offer_text);
    const auto answer_text =
        sdp::write(sdp::answer_generic_offer(offer, local_parameters(*answerer, 2222, "answerer")));
    auto answerer_view = remote_parameters(offer, SdpSide::we_answered);
    if (tamper_answerer_view) tamper_answerer_view(answerer_view);
    answerer->start(answerer_view);
    auto offerer_view = remote_parameters(sdp::parse(answer_text), SdpSide::we_offered);
    if (tamper_offerer_view) tamper_offerer_view(offerer_view);
    offerer->start(offerer_view);
  }

  // Runs the loop until `done()` or `limit` passes; returns done().
  bool run_until(const std::function<bool()>& done, Duration limit) {
    const TimePoint deadline = Clock::now() + limit;
    while (!done() && Clock::now() < deadline)
      loop.run_once(milliseconds(20));
    return done();
  }
};

} // namespace wab::rtc::testing

#include "tools/loadgen/sim_peer.hpp"

#include <nlohmann/json.hpp>

#include "srtp/srtp_session.hpp"

namespace wab::loadgen {

namespace {
rtc::TransportConfig loopback_config(bool data_channel) {
  rtc::TransportConfig c;
  c.data_channel = data_channel;
  c.host_addresses.push_back(*net::SocketAddress::parse("127.0.0.1", 0));
  return c;
}
} // namespace

SimPeer::SimPeer(net::EventLoop& loop, net::ReceiveBatch& batch, Role role, std::uint32_t stream,
                 ProbeSink on_probe, SentHook on_sent)
    : role_(role), stream_(stream), on_probe_(std::move(on_probe)), on_sent_(std::move(on_sent)),
      transport_(std::make_unique<rtc::PeerTransport>(loop, batch, *this,
                                                      loopback_config(role == Role::agent))),
      ssrc_(0x10000000u + stream) {}

bool SimPeer::send_probe() {
  if (!connected_) return false;
  std::uint8_t buf[12 + kProbePayload + srtp::kMaxTrailer];
  const std::uint32_t seq = sequence_++;
  buf[0] = 0x80;
  buf[1] = 111;
  store_be16(buf + 2, static_cast<std::uint16_t>(seq));
  store_be32(buf + 4, seq * 960);
  store_be32(buf + 8, ssrc_);
  const std::int64_t sent_ns = to_ns(Clock::now());
  write_probe(buf + 12, Probe{stream_, seq, sent_ns});
  if (!transport_->send_rtp(buf, 12 + kProbePayload, sizeof buf)) return false;
  on_sent_(role_, sent_ns);
  return true;
}

void SimPeer::close() {
  if (transport_) transport_->close();
}

void SimPeer::on_transport_connected(rtc::PeerTransport&) {
  connected_ = true;
  connected_at_ = Clock::now();
}

void SimPeer::on_transport_failed(rtc::PeerTransport&, const std::string& reason) {
  connected_ = false;
  failure_ = reason.empty() ? "failed" : reason;
}

void SimPeer::on_transport_closed(rtc::PeerTransport&, const std::string& reason) {
  connected_ = false;
  failure_ = "closed: " + reason;
}

void SimPeer::on_rtp(rtc::PeerTransport&, MutableBytes packet, std::size_t, TimePoint now) {
  if (packet.size() < 12) return;
  // The bridge strips header extensions; CSRCs would still shift the payload.
  const std::size_t header = 12 + 4 * (packet[0] & 0x0f);
  if (packet.size() < header) return;
  if (auto probe = read_probe(packet.subspan(header))) on_probe_(role_, *probe, now);
}

void SimPeer::on_channel_open(rtc::PeerTransport&, std::uint16_t id, const std::string&) {
  channel_ = id;
  if (role_ == Role::agent)
    send_text(R"({"type":"session.created","session":{"id":"sess_load","model":"gpt-realtime"}})");
}

void SimPeer::on_channel_message(rtc::PeerTransport&, std::uint16_t, Bytes data, bool) {
  if (role_ != Role::agent) return;
  const auto event = nlohmann::json::parse(data.begin(), data.end(), nullptr, false);
  if (event.is_object() && event.value("type", "") == "session.update") {
    send_text(R"({"type":"session.updated","session":{"id":"sess_load"}})");
    session_ready_ = true;
  }
}

void SimPeer::send_text(const std::string& text) {
  if (!channel_) return;
  transport_->send_message(
      *channel_, Bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), false);
}

} // namespace wab::loadgen

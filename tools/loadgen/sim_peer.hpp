#pragma once
// One far end of the bridge on our own stack: the caller's phone (Meta side) or the agent
// (OpenAI side, with the oai-events data channel). It sends a probe packet when asked (the
// generator's 20 ms schedule) and hands every probe it receives to a sink.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "rtc/peer_transport.hpp"
#include "tools/loadgen/probe.hpp"

namespace wab::loadgen {

class SimPeer : public rtc::PeerTransport::Listener {
public:
  enum class Role { caller, agent };
  using ProbeSink = std::function<void(Role receiver, const Probe&, TimePoint now)>;
  using SentHook = std::function<void(Role sender, std::int64_t sent_ns)>;

  SimPeer(net::EventLoop& loop, net::ReceiveBatch& batch, Role role, std::uint32_t stream,
          ProbeSink on_probe, SentHook on_sent);

  rtc::PeerTransport& transport() { return *transport_; }
  Role role() const { return role_; }
  bool connected() const { return connected_; }
  bool failed() const { return !failure_.empty(); }
  const std::string& failure() const { return failure_; }
  // Agent: the bridge sent session.update and we answered session.updated.
  bool session_ready() const { return session_ready_; }
  std::optional<TimePoint> connected_at() const { return connected_at_; }

  // One Opus-sized probe packet (PT 111) if the leg is up; false otherwise.
  bool send_probe();

  void close();

private:
  void on_transport_connected(rtc::PeerTransport&) override;
  void on_transport_failed(rtc::PeerTransport&, const std::string& reason) override;
  void on_transport_closed(rtc::PeerTransport&, const std::string& reason) override;
  void on_rtp(rtc::PeerTransport&, MutableBytes packet, std::size_t, TimePoint now) override;
  void on_channel_open(rtc::PeerTransport&, std::uint16_t id, const std::string&) override;
  void on_channel_message(rtc::PeerTransport&, std::uint16_t, Bytes data, bool) override;
  void send_text(const std::string& text);

  Role role_;
  std::uint32_t stream_;
  ProbeSink on_probe_;
  SentHook on_sent_;
  std::unique_ptr<rtc::PeerTransport> transport_;
  bool connected_ = false;
  bool session_ready_ = false;
  std::optional<TimePoint> connected_at_;
  std::string failure_;
  std::optional<std::uint16_t> channel_;
  std::uint32_t sequence_ = 0;
  std::uint32_t ssrc_;
};

} // namespace wab::loadgen

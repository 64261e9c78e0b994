#include <gtest/gtest.h>

#include "leg_pair.hpp"
#include "net/udp_socket.hpp"
#include "stun/builder.hpp"
#include "stun/message.hpp"

namespace wab::rtc {
namespace {

// A STUN server on loopback that tells every client it is 203.0.113.7 (as a NAT would).
class FakeStunServer {
public:
  FakeStunServer(net::EventLoop& loop, net::ReceiveBatch& batch)
      : socket_(loop, batch, bound_to_loopback(),
                [this](MutableBytes data, const net::SocketAddress& from, TimePoint) {
                  answer(data, from);
                }) {}

  net::SocketAddress address() const {
    return *net::SocketAddress::parse("127.0.0.1", socket_.local_port());
  }
  int requests() const { return requests_; }

private:
  static net::UdpSocketOptions bound_to_loopback() {
    net::UdpSocketOptions o;
    o.bind_address = net::SocketAddress::parse("127.0.0.1", 0);
    return o;
  }

  void answer(Bytes data, const net::SocketAddress& from) {
    auto request = stun::Message::parse(data);
    if (!request || request->message_class() != stun::MessageClass::request) return;
    ++requests_;
    std::uint8_t buf[256];
    stun::MessageBuilder b(MutableBytes(buf, sizeof buf), stun::Method::binding,
                           stun::MessageClass::success_response, request->transaction_id_copy());
    auto mapped = *net::SocketAddress::parse("203.0.113.7", from.port());
    b.add_xor_mapped_address(mapped);
    b.add_fingerprint();
    socket_.send_to(b.bytes(), from);
  }

  net::UdpSocket socket_;
  int requests_ = 0;
};

TEST(PeerTransportGathering, ServerReflexiveCandidateIsInTheSdpBeforeItIsWritten) {
  net::EventLoop loop;
  net::ReceiveBatch batch;
  FakeStunServer stun(loop, batch);
  testing::Recorder events;
  TransportConfig config = testing::loopback_config(false);
  config.stun_server = stun.address();
  PeerTransport leg(loop, batch, events, config);

  bool gathered = false;
  leg.gather([&] { gathered = true; });
  const TimePoint deadline = Clock::now() + seconds(5);
  while (!gathered && Clock::now() < deadline)
    loop.run_once(milliseconds(20));
  ASSERT_TRUE(gathered);
  EXPECT_EQ(stun.requests(), 1);

  bool has_host = false;
  bool has_srflx = false;
  for (const auto& c : leg.candidate_attributes()) {
    has_host = has_host || c.find("127.0.0.1 " + std::to_string(leg.local_port()) + " typ host") !=
                               std::string::npos;
    has_srflx = has_srflx || (c.find("203.0.113.7") != std::string::npos &&
                              c.find("typ srflx") != std::string::npos);
  }
  EXPECT_TRUE(has_host);
  EXPECT_TRUE(has_srflx);
}

TEST(PeerTransportGathering, WithoutStunServerGatheringIsImmediate) {
  net::EventLoop loop;
  net::ReceiveBatch batch;
  testing::Recorder events;
  PeerTransport leg(loop, batch, events, testing::loopback_config(false));
  bool gathered = false;
  leg.gather([&] { gathered = true; });
  EXPECT_TRUE(gathered);
  EXPECT_EQ(leg.candidate_attributes().size(), 1u);
}

} // namespace
} // namespace wab::rtc

// tls::ClientSession on the media path: once the handshake is done, writing a packet and feeding
// a received record allocate nothing (the BIO pair and the buffers are fixed). Own binary:
// counting_new.cpp replaces operator new to count. Only the client's calls are counted; the
// in-memory server may allocate as it likes.
#include <gtest/gtest.h>

#include <array>
#include <cstring>

#include "support/counting_new.hpp"
#include "tls/client_context.hpp"
#include "tls/client_session.hpp"
#include "tls_test_peer.hpp"

namespace wab::tls {
namespace {

// Keeps the last output in a fixed array: the listener itself must not allocate.
struct FixedClient : ClientSession::Listener {
  std::array<std::uint8_t, 64 * 1024> output{};
  std::size_t output_size = 0;
  std::size_t data_bytes = 0;
  bool connected = false;
  std::string failure;
  void on_tls_output(Bytes c) override {
    if (output_size + c.size() > output.size()) return;
    std::memcpy(output.data() + output_size, c.data(), c.size());
    output_size += c.size();
  }
  void on_tls_connected() override { connected = true; }
  void on_tls_data(MutableBytes p, TimePoint) override { data_bytes += p.size(); }
  void on_tls_failed(const std::string& cause) override { failure = cause; }
  std::vector<std::uint8_t> take() {
    std::vector<std::uint8_t> out(output.begin(), output.begin() + output_size);
    output_size = 0;
    return out;
  }
};

TEST(TlsClientSessionNoAllocation, PacketsBothWaysAllocateNothingAfterTheHandshake) {
  const test::Identity id;
  const std::string ca = id.write_pem("noalloc");
  auto context = std::make_shared<const ClientContext>(ca);
  std::filesystem::remove(ca);
  test::Server server(id);
  FixedClient client;
  ClientSession session(context, client, "127.0.0.1");
  session.start();
  for (int round = 0; round < 10 && !client.connected; ++round) {
    server.feed(client.take());
    const auto reply = server.pump();
    if (!reply.empty()) session.feed(reply, TimePoint{});
  }
  ASSERT_TRUE(client.connected) << client.failure;
  server.feed(client.take());
  session.feed(server.pump(), TimePoint{}); // TLS 1.3 session tickets: every record counts

  const std::string packet(164, 'x'); // a ChannelData message with an Opus packet
  std::size_t counted = 0;
  for (int i = 0; i < 60; ++i) {
    const std::vector<std::uint8_t> record = server.write(packet);
    const std::size_t before = wab::test::heap_allocations();
    ASSERT_TRUE(
        session.write(Bytes(reinterpret_cast<const std::uint8_t*>(packet.data()), packet.size())))
        << "round " << i << ": " << client.failure;
    session.feed(record, TimePoint{});
    const std::size_t after = wab::test::heap_allocations();
    if (i >= 10) counted += after - before; // the first rounds may size OpenSSL's buffers
    server.feed(client.take());
    const auto more = server.pump();
    if (!more.empty()) session.feed(more, TimePoint{});
  }
  EXPECT_EQ(counted, 0u);
  EXPECT_EQ(client.data_bytes, 60 * packet.size());
  EXPECT_EQ(server.received.size(), 60 * packet.size());
  EXPECT_TRUE(client.failure.empty()) << client.failure;
}

} // namespace
} // namespace wab::tls

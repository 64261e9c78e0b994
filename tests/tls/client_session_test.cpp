// tls::ClientSession against an in-memory OpenSSL server with a certificate made here: the
// handshake, data both ways, and the verify failures a `turns:` user meets (unknown CA, a
// certificate for another address), each a clear cause.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tls/client_context.hpp"
#include "tls/client_session.hpp"
#include "tls_test_peer.hpp"

namespace wab::tls {
namespace {

using test::Identity;
using test::Server;

struct Client : ClientSession::Listener {
  std::vector<std::uint8_t> output;
  std::string data;
  bool connected = false;
  std::string failure;
  int failures = 0;
  void on_tls_output(Bytes c) override { output.insert(output.end(), c.begin(), c.end()); }
  void on_tls_connected() override { connected = true; }
  void on_tls_data(MutableBytes p, TimePoint) override { data.append(p.begin(), p.end()); }
  void on_tls_failed(const std::string& cause) override {
    failure = cause;
    ++failures;
  }
  std::vector<std::uint8_t> take() { return std::exchange(output, {}); }
};

// Runs the exchange until neither side has anything more to say.
void converse(ClientSession& session, Client& client, Server& server) {
  for (int round = 0; round < 10; ++round) {
    const auto to_server = client.take();
    if (!to_server.empty()) server.feed(to_server);
    const auto to_client = server.pump();
    if (to_server.empty() && to_client.empty()) return;
    if (!to_client.empty()) session.feed(to_client, TimePoint{});
  }
}

TEST(TlsClientSession, HandshakesWithATrustedServerAndCarriesDataBothWays) {
  const Identity id;
  const std::string ca = id.write_pem("ca");
  auto context = std::make_shared<const ClientContext>(ca);
  std::filesystem::remove(ca);
  Server server(id);
  Client client;
  ClientSession session(context, client, "127.0.0.1");
  // Written before the handshake: held, then sent.
  ASSERT_TRUE(session.write(Bytes(reinterpret_cast<const std::uint8_t*>("early"), 5)));
  session.start();
  converse(session, client, server);
  ASSERT_TRUE(client.connected) << client.failure;
  EXPECT_EQ(session.state(), ClientSession::State::open);
  ASSERT_TRUE(session.write(Bytes(reinterpret_cast<const std::uint8_t*>(" late"), 5)));
  converse(session, client, server);
  EXPECT_EQ(std::string(server.received.begin(), server.received.end()), "early late");
  session.feed(server.write("from the server"), TimePoint{});
  EXPECT_EQ(client.data, "from the server");
  EXPECT_EQ(client.failures, 0);
}

TEST(TlsClientSession, AnUntrustedCertificateFailsWithTheVerifyReason) {
  const Identity id;
  const Identity other;
  const std::string ca = other.write_pem("other");
  auto context = std::make_shared<const ClientContext>(ca);
  std::filesystem::remove(ca);
  Server server(id);
  Client client;
  ClientSession session(context, client, "127.0.0.1");
  session.start();
  converse(session, client, server);
  EXPECT_FALSE(client.connected);
  EXPECT_EQ(session.state(), ClientSession::State::failed);
  EXPECT_EQ(client.failure, "certificate verify failed: self-signed certificate");
  EXPECT_EQ(client.failures, 1);
  EXPECT_FALSE(session.write(Bytes(reinterpret_cast<const std::uint8_t*>("x"), 1)));
}

TEST(TlsClientSession, ACertificateForAnotherAddressFails) {
  const Identity id;
  const std::string ca = id.write_pem("ca2");
  auto context = std::make_shared<const ClientContext>(ca);
  std::filesystem::remove(ca);
  Server server(id);
  Client client;
  ClientSession session(context, client, "192.0.2.1");
  session.start();
  converse(session, client, server);
  EXPECT_FALSE(client.connected);
  EXPECT_EQ(client.failure, "certificate verify failed: IP address mismatch");
}

TEST(TlsClientContext, AMissingCaFileIsAnError) {
  EXPECT_THROW(ClientContext("/nonexistent/ca.pem"), std::runtime_error);
  EXPECT_NO_THROW(ClientContext(""));
}

} // namespace
} // namespace wab::tls

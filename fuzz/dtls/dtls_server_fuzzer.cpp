// The DTLS input path of a server-role DtlsTransport. The input is a list of datagrams, each
// prefixed by a 16-bit big-endian length. If the first byte is odd, the server first receives a
// genuine ClientHello, so the fuzzed datagrams reach the parsing of the client's second flight
// (certificate, key exchange) and our certificate check.
#include "dtls/dtls_transport.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace {

using namespace wab;
using namespace wab::dtls;

struct Sink : DtlsTransport::Listener {
  std::vector<std::vector<std::uint8_t>> sent;
  bool keep = false;
  void on_dtls_send(Bytes d) override {
    if (keep) sent.emplace_back(d.begin(), d.end());
  }
  void on_dtls_connected(const SrtpKeyingMaterial&) override {}
  void on_dtls_application_data(Bytes) override {}
  void on_dtls_closed() override {}
  void on_dtls_failed(std::string) override {}
};

const Certificate& server_certificate() {
  static const Certificate cert;
  return cert;
}
const Certificate& client_certificate() {
  static const Certificate cert;
  return cert;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const TimePoint now{seconds(100)};
  Sink server_events;
  DtlsConfig config;
  config.mtu = 1200;
  DtlsTransport server(server_events, server_certificate(), DtlsRole::kServer,
                       client_certificate().fingerprint(), config);
  server.start(now);

  if (data[0] & 1) {
    Sink client_events;
    client_events.keep = true;
    DtlsTransport client(client_events, client_certificate(), DtlsRole::kClient,
                         server_certificate().fingerprint(), config);
    client.start(now);
    for (const auto& d : client_events.sent)
      server.handle_datagram(d, now);
  }

  std::size_t pos = 1;
  while (pos + 2 <= size) {
    std::size_t length = load_be16(data + pos);
    pos += 2;
    if (length > size - pos) length = size - pos;
    server.handle_datagram(Bytes(data + pos, length), now);
    pos += length;
    server.handle_timeout(now + seconds(1));
  }
  server.send_application_data(Bytes(data, size > 100 ? 100 : size));
  server.close();
  return 0;
}

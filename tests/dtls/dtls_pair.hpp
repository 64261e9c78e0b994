#pragma once
// Two DtlsTransports wired back to back in memory, for tests. Datagrams each side sends wait in
// a queue until pump() delivers them, so a test can drop, reorder or inspect them.
#include "dtls/dtls_transport.hpp"

#include <algorithm>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace wab::dtls::testing {

struct RecordingListener : DtlsTransport::Listener {
  std::deque<std::vector<std::uint8_t>> outbox;
  std::optional<SrtpKeyingMaterial> keys;
  std::vector<std::vector<std::uint8_t>> received;
  int connected = 0;
  int closed = 0;
  int failed = 0;
  std::string failure;
  std::size_t largest_datagram = 0;
  std::size_t datagrams_sent = 0;

  void on_dtls_send(Bytes d) override {
    outbox.emplace_back(d.begin(), d.end());
    largest_datagram = std::max(largest_datagram, d.size());
    ++datagrams_sent;
  }
  void on_dtls_connected(const SrtpKeyingMaterial& k) override {
    keys = k;
    ++connected;
  }
  void on_dtls_application_data(Bytes d) override { received.emplace_back(d.begin(), d.end()); }
  void on_dtls_closed() override { ++closed; }
  void on_dtls_failed(std::string reason) override {
    ++failed;
    failure = std::move(reason);
  }
};

// Decides whether a datagram is lost; `index` counts datagrams per direction from 0.
using DropRule = std::function<bool(bool from_client, std::size_t index,
                                    const std::vector<std::uint8_t>& datagram)>;

struct DtlsPair {
  RecordingListener client_events;
  RecordingListener server_events;
  DtlsTransport client;
  DtlsTransport server;
  std::size_t client_to_server = 0;
  std::size_t server_to_client = 0;
  std::size_t dropped = 0;

  DtlsPair(const Certificate& client_cert, const Certificate& server_cert,
           DtlsConfig client_config = {}, DtlsConfig server_config = {},
           std::optional<Fingerprint> client_expects = std::nullopt,
           std::optional<Fingerprint> server_expects = std::nullopt)
      : client(client_events, client_cert, DtlsRole::kClient,
               client_expects.value_or(server_cert.fingerprint()), client_config),
        server(server_events, server_cert, DtlsRole::kServer,
               server_expects.value_or(client_cert.fingerprint()), server_config) {}

  // Delivers queued datagrams both ways until both queues are empty. Returns how many moved.
  std::size_t pump(TimePoint now, const DropRule& drop = {}) {
    std::size_t moved = 0;
    while (!client_events.outbox.empty() || !server_events.outbox.empty()) {
      while (!client_events.outbox.empty()) {
        auto d = std::move(client_events.outbox.front());
        client_events.outbox.pop_front();
        if (drop && drop(true, client_to_server++, d)) {
          ++dropped;
          continue;
        }
        server.handle_datagram(d, now);
        ++moved;
      }
      while (!server_events.outbox.empty()) {
        auto d = std::move(server_events.outbox.front());
        server_events.outbox.pop_front();
        if (drop && drop(false, server_to_client++, d)) {
          ++dropped;
          continue;
        }
        client.handle_datagram(d, now);
        ++moved;
      }
    }
    return moved;
  }

  bool connected() const {
    return client.state() == DtlsState::kConnected && server.state() == DtlsState::kConnected;
  }
};

} // namespace wab::dtls::testing

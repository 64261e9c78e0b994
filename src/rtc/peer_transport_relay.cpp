// PeerTransport: its TURN relay paths — starting the allocations, carrying UDP servers' messages
// over the leg's socket (TCP/TLS relays carry their own), relay candidates for ICE, relayed data
// in and out, and allocation or connection failures.
#include <algorithm>

#include "common/log.hpp"
#include "rtc/peer_transport.hpp"

namespace wab::rtc {

void PeerTransport::start_relays(TimePoint now) {
  for (auto& r : relays_)
    r->start(now);
}

RelayPath* PeerTransport::relay_for_server(const net::SocketAddress& from) {
  for (auto& r : relays_) {
    if (r->over_socket() && r->server_address() == from) return r.get();
  }
  return nullptr;
}

RelayPath* PeerTransport::relay_on_path(ice::PathId path) {
  for (auto& r : relays_) {
    if (r->path() == path) return r.get();
  }
  return nullptr;
}

bool PeerTransport::send_on_path(const ice::Route& route, Bytes datagram) {
  if (tcp_paths_ && tcp_paths_->owns(route.path)) return tcp_paths_->send(route.path, datagram);
  RelayPath* relay = relay_on_path(route.path);
  return relay != nullptr && relay->send_to(route.remote, datagram, loop_.now());
}

void PeerTransport::on_relay_send(RelayPath& relay, Bytes message) {
  socket_->send_to(message, relay.server_address());
}

void PeerTransport::on_relay_allocated(RelayPath& relay) {
  const auto& client = relay.client();
  log::info("turn_allocated",
            {{"call_id", config_.log_call_id},
             {"leg", config_.log_leg},
             {"server", relay.url()},
             {"relayed", client.relayed_address()->to_string()},
             {"mapped", client.mapped_address() ? client.mapped_address()->to_string() : ""}});
  if (ice_) {
    ice_->add_relay_candidate(relay.path(), *client.relayed_address(),
                              client.mapped_address().value_or(net::SocketAddress{}),
                              !relay.over_socket());
  }
  maybe_finish_gathering();
  update_timer();
}

void PeerTransport::on_relay_failed(RelayPath& relay, const std::string& cause) {
  log::warn("turn_failed", {{"call_id", config_.log_call_id},
                            {"leg", config_.log_leg},
                            {"server", relay.url()},
                            {"cause", cause}});
  // The leg dies with the relay when it was the only way (relay-only, no other allocation) or
  // when its media already goes through it.
  const bool carrying_media = ice_ && ice_->selected_path() == relay.path();
  const bool other_relay = std::any_of(relays_.begin(), relays_.end(), [&](const auto& r) {
    return r.get() != &relay && !r->failed();
  });
  if (carrying_media || (config_.relay_only && !other_relay)) {
    fail(cause);
    return;
  }
  maybe_finish_gathering();
}

void PeerTransport::on_relay_data(RelayPath& relay, const net::SocketAddress& peer,
                                  MutableBytes data, std::size_t capacity, TimePoint now) {
  on_datagram(relay.path(), data, capacity, peer, now);
}

void PeerTransport::on_relay_progress(RelayPath&) {
  update_timer();
}

} // namespace wab::rtc

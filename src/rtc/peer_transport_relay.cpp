// PeerTransport: its TURN relay paths — starting the allocations, carrying their messages over
// the leg's socket, relay candidates for ICE, relayed data in and out, and allocation failures.
#include <algorithm>

#include "common/log.hpp"
#include "rtc/peer_transport.hpp"

namespace wab::rtc {

void PeerTransport::start_relays(TimePoint now) {
  for (auto& r : relays_)
    r->client().start(now);
}

RelayPath* PeerTransport::relay_for_server(const net::SocketAddress& from) {
  for (auto& r : relays_) {
    if (r->server_address() == from) return r.get();
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
  return relay != nullptr && relay->client().send_to(route.remote, datagram, loop_.now());
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
                              client.mapped_address().value_or(net::SocketAddress{}));
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
    return r.get() != &relay && r->client().state() != turn::Client::State::failed &&
           r->client().state() != turn::Client::State::closed;
  });
  if (carrying_media || (config_.relay_only && !other_relay)) {
    fail(cause);
    return;
  }
  maybe_finish_gathering();
}

void PeerTransport::on_relay_data(RelayPath& relay, const net::SocketAddress& peer,
                                  MutableBytes data, TimePoint now) {
  // The data sits after the ChannelData or Data indication header in the socket's slot: only the
  // rest of the slot is writable.
  if (relay_receive_end_ == nullptr || data.data() + data.size() > relay_receive_end_) return;
  const auto capacity = static_cast<std::size_t>(relay_receive_end_ - data.data());
  on_datagram(relay.path(), data, capacity, peer, now);
}

} // namespace wab::rtc

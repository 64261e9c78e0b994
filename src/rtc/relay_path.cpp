#include "rtc/relay_path.hpp"

namespace wab::rtc {
namespace {

turn::Client::Config client_config(const TurnServer& server) {
  turn::Client::Config c;
  c.username = server.username;
  c.password = server.password;
  return c;
}

} // namespace

RelayPath::RelayPath(Owner& owner, ice::PathId path, const TurnServer& server)
    : owner_(owner), path_(path), server_address_(server.address), url_(server.url),
      client_(static_cast<turn::Client::Listener&>(*this), client_config(server)) {}

RelayPath::~RelayPath() = default;

bool RelayPath::settled() const {
  return client_.state() != turn::Client::State::idle &&
         client_.state() != turn::Client::State::allocating;
}

void RelayPath::on_turn_send(Bytes message) {
  owner_.on_relay_send(*this, message);
}

void RelayPath::on_turn_allocated(const net::SocketAddress&, const net::SocketAddress&) {
  owner_.on_relay_allocated(*this);
}

void RelayPath::on_turn_failed(const std::string& cause) {
  owner_.on_relay_failed(*this, cause);
}

void RelayPath::on_turn_data(const net::SocketAddress& peer, MutableBytes data, TimePoint now) {
  owner_.on_relay_data(*this, peer, data, now);
}

} // namespace wab::rtc

#include "rtc/peer_transport.hpp"

#include <algorithm>

#include "common/log.hpp"
#include "common/random.hpp"
#include "dtls/certificate.hpp"
#include "rtp/rtp_packet.hpp"

namespace wab::rtc {
namespace {

// RFC 7983 first-byte ranges.
bool is_stun_byte(std::uint8_t b) {
  return b <= 3;
}
bool is_dtls_byte(std::uint8_t b) {
  return b >= 20 && b <= 63;
}
bool is_rtp_byte(std::uint8_t b) {
  return b >= 128 && b <= 191;
}

dtls::DtlsRole to_dtls(DtlsRole role) {
  return role == DtlsRole::client ? dtls::DtlsRole::kClient : dtls::DtlsRole::kServer;
}

} // namespace

PeerTransport::PeerTransport(net::EventLoop& loop, net::ReceiveBatch& batch, Listener& listener,
                             TransportConfig config)
    : loop_(loop), batch_(batch), listener_(listener), config_(std::move(config)),
      ice_ufrag_(random_ice_string(8)), ice_pwd_(random_ice_string(24)),
      tie_breaker_(random_u64() | 1), timer_(loop, [this] { on_timer(); }) {
  socket_ = std::make_unique<net::UdpSocket>(
      loop, batch, config_.socket,
      [this](MutableBytes data, const net::SocketAddress& from, TimePoint now) {
        on_datagram(ice::kSocketPath, data, batch_.datagram_capacity(), from, now);
      });
  ice_ = make_agent();
}

PeerTransport::~PeerTransport() {
  // Engines are torn down in reverse order of the stack; no callback reaches the listener.
  phase_ = Phase::closed;
  sctp_.reset();
  dtls_.reset();
  srtp_.reset();
  ice_.reset();
  relays_.clear();
  tcp_paths_.reset();
}

std::unique_ptr<ice::Agent> PeerTransport::make_agent() {
  ice::Agent::Config ice_config;
  ice_config.local_ufrag = ice_ufrag_;
  ice_config.local_pwd = ice_pwd_;
  ice_config.role = ice::Role::controlling; // start() sets the negotiated role
  ice_config.tie_breaker = tie_breaker_;
  ice_config.check_timeout = config_.ice_timeout;
  ice_config.consent_interval = config_.consent_interval;
  ice_config.consent_timeout = config_.consent_timeout;
  auto agent = std::make_unique<ice::Agent>(static_cast<ice::Agent::Listener&>(*this), ice_config);
  for (std::size_t i = 0; i < config_.turn_servers.size(); ++i) {
    relays_.push_back(std::make_unique<RelayPath>(
        static_cast<RelayPath::Owner&>(*this), loop_, static_cast<ice::PathId>(i + 1),
        config_.turn_servers[i], batch_.datagram_capacity()));
  }
  // Relay-only: the socket path gets no candidate, so nothing is offered or answered on it.
  if (config_.relay_only) return agent;
  for (const auto& address : config_.host_addresses) {
    net::SocketAddress host = address;
    host.set_port(socket_->local_port());
    agent->add_host_candidate(host);
  }
  if (config_.stun_server) agent->set_stun_server(*config_.stun_server);
  return agent;
}

const std::string& PeerTransport::ice_ufrag() const {
  return ice_ufrag_;
}
const std::string& PeerTransport::ice_pwd() const {
  return ice_pwd_;
}
std::uint16_t PeerTransport::local_port() const {
  return socket_->local_port();
}

std::vector<std::string> PeerTransport::candidate_attributes() const {
  std::vector<std::string> out;
  for (const auto& c : ice_->local_candidates())
    out.push_back(c.to_sdp_attribute());
  return out;
}

std::string PeerTransport::fingerprint_sdp() const {
  return dtls::Certificate::global().fingerprint().to_sdp();
}

void PeerTransport::start(const RemoteParameters& remote) {
  if (phase_ != Phase::idle) return;
  remote_ = remote;
  const auto role =
      remote.ice_role == IceRole::controlling ? ice::Role::controlling : ice::Role::controlled;
  ice_->set_role(role);
  ice_->set_remote_ice_lite(remote.ice_lite);
  ice_->set_remote_credentials(remote.ice_ufrag, remote.ice_pwd);
  for (const auto& c : remote.candidates) {
    ice_->add_remote_candidate(c);
    // Relay-only legs make no direct connection, TCP included.
    if (config_.ice_tcp && !config_.relay_only && c.connectable_tcp()) {
      if (!tcp_paths_) {
        tcp_paths_ = std::make_unique<IceTcpPaths>(
            loop_, static_cast<IceTcpPaths::Listener&>(*this), batch_.datagram_capacity());
      }
      tcp_paths_->connect(c.address);
    }
  }

  dtls::DtlsConfig dtls_config;
  dtls_config.srtp_profiles = config_.srtp_profiles;
  dtls_config.handshake_timeout = config_.dtls_timeout + config_.ice_timeout;
  dtls_ = std::make_unique<dtls::DtlsTransport>(
      static_cast<dtls::DtlsTransport::Listener&>(*this), dtls::Certificate::global(),
      to_dtls(remote.dtls_role), remote.fingerprint, dtls_config);
  phase_ = Phase::checking;
  if (!ice_started_) {
    ice_started_ = true;
    start_relays(loop_.now());
    ice_->start(loop_.now());
  }
  update_timer();
}

void PeerTransport::gather(std::function<void()> done) {
  const bool relays_settled =
      std::all_of(relays_.begin(), relays_.end(), [](const auto& r) { return r->settled(); });
  if (ice_->gathering_done() && ice_started_ && relays_settled) {
    done();
    return;
  }
  gathering_done_ = std::move(done);
  if (!ice_started_) {
    ice_started_ = true;
    start_relays(loop_.now());
    ice_->start(loop_.now()); // without a STUN server this finishes gathering at once
  }
  update_timer();
}

void PeerTransport::on_ice_gathering_done() {
  maybe_finish_gathering();
}

void PeerTransport::maybe_finish_gathering() {
  if (!ice_ || !ice_->gathering_done() || phase_ == Phase::failed || phase_ == Phase::closed) {
    return;
  }
  for (const auto& r : relays_) {
    if (!r->settled()) return;
  }
  if (auto done = std::move(gathering_done_)) {
    gathering_done_ = nullptr;
    done();
  }
}

void PeerTransport::start_dtls(TimePoint now) {
  if (dtls_ && dtls_->state() == dtls::DtlsState::kNew) dtls_->start(now);
}

// --- receive path -------------------------------------------------------------------------------

void PeerTransport::on_datagram(ice::PathId path, MutableBytes data, std::size_t capacity,
                                const net::SocketAddress& from, TimePoint now) {
  if (data.empty() || phase_ == Phase::closed || phase_ == Phase::failed) return;
  const std::uint8_t first = data[0];
  const ice::Route route{path, from};
  if (path == ice::kSocketPath && !relays_.empty()) {
    if (RelayPath* relay = relay_for_server(from)) {
      relay->handle_datagram(data, capacity, now);
      update_timer();
      return;
    }
  }
  if (is_stun_byte(first)) {
    if (path == ice::kSocketPath) remember_local_address(from);
    if (ice_) ice_->handle_stun(data, from, path, now);
    note_drops(now); // the ICE agent counts the STUN it refuses
  } else if (is_dtls_byte(first)) {
    if (!dtls_ || !accepts_dtls_from(route)) {
      ++counters_.dropped_unselected;
      note_drops(now);
    } else {
      if (!dtls_route_) dtls_route_ = route;
      dtls_->handle_datagram(data, now);
    }
  } else if (is_rtp_byte(first)) {
    // The receive buffer is ours until the handler returns: decrypt it in place. Media moves no
    // engine's deadline (consent rides on STUN only), so the hot path skips the timer update.
    on_media(path, data, capacity, from, now);
    return;
  } else {
    ++counters_.dropped_unknown;
    note_drops(now);
  }
  update_timer();
}

std::uint64_t PeerTransport::datagrams_dropped() const {
  std::uint64_t n = counters_.dropped_unknown + counters_.dropped_unselected +
                    counters_.dropped_before_keys + counters_.srtp_errors;
  if (ice_) {
    const auto& ice = ice_->counters();
    n += ice.malformed + ice.bad_fingerprint + ice.bad_integrity + ice.unknown_username +
         ice.unsupported;
  }
  return n;
}

void PeerTransport::note_drops(TimePoint now) {
  const std::uint64_t dropped = datagrams_dropped();
  if (dropped == drops_logged_ || !drop_log_.allow(now)) return;
  drops_logged_ = dropped;
  ++drop_warnings_;
  log::warn("leg_datagrams_dropped",
            {{"call_id", config_.log_call_id},
             {"leg", config_.log_leg},
             {"dropped", dropped},
             {"unknown_class", counters_.dropped_unknown},
             {"unselected_address", counters_.dropped_unselected},
             {"before_keys", counters_.dropped_before_keys},
             {"srtp_errors", counters_.srtp_errors},
             {"stun_rejected", dropped - counters_.dropped_unknown - counters_.dropped_unselected -
                                   counters_.dropped_before_keys - counters_.srtp_errors}});
}

void PeerTransport::remember_local_address(const net::SocketAddress& remote) {
  const net::SocketAddress& local = socket_->current_destination();
  if (!local.valid()) return;
  for (auto& route : local_routes_) {
    if (route.remote == remote) {
      route.local = local;
      return;
    }
  }
  // Bounded: ICE learns at most a few dozen remote addresses per leg.
  if (local_routes_.size() < 64) local_routes_.push_back({remote, local});
}

bool PeerTransport::send_datagram(const ice::Route& route, Bytes datagram) {
  if (route.path != ice::kSocketPath) return send_on_path(route, datagram);
  for (const auto& local : local_routes_) {
    if (local.remote == route.remote) return socket_->send_to(datagram, route.remote, local.local);
  }
  return socket_->send_to(datagram, route.remote);
}

bool PeerTransport::accepts_dtls_from(const ice::Route& from) const {
  if (!ice_) return false;
  if (ice_->selected()) return ice_->is_selected(from.path, from.remote);
  // Before ICE selects, a DTLS client may already send from a pair that passed checks.
  for (const auto& pair : ice_->pairs()) {
    if (pair.path == from.path && pair.remote == from.remote &&
        (pair.valid || pair.remote_nominated)) {
      return true;
    }
  }
  return false;
}

void PeerTransport::on_media(ice::PathId path, MutableBytes data, std::size_t capacity,
                             const net::SocketAddress& from, TimePoint now) {
  if (!ice_ || !ice_->is_selected(path, from)) {
    ++counters_.dropped_unselected;
    note_drops(now);
    return;
  }
  if (!srtp_) {
    ++counters_.dropped_before_keys;
    note_drops(now);
    return;
  }
  std::size_t len = data.size();
  const bool rtcp = data.size() >= 2 && data[1] >= 192 && data[1] <= 223;
  if (rtcp) {
    if (!srtp_->unprotect_rtcp(data.data(), len)) {
      ++counters_.srtp_errors;
      note_drops(now);
      return;
    }
    ++counters_.rtcp_received;
    listener_.on_rtcp(*this, data.first(len), now);
  } else {
    if (!srtp_->unprotect_rtp(data.data(), len)) {
      ++counters_.srtp_errors;
      note_drops(now);
      return;
    }
    ++counters_.rtp_received;
    listener_.on_rtp(*this, data.first(len), capacity, now);
  }
}

// --- send path ----------------------------------------------------------------------------------

bool PeerTransport::send_rtp(std::uint8_t* buffer, std::size_t len, std::size_t capacity) {
  if (phase_ != Phase::connected || !srtp_ || !dtls_route_) return false;
  if (!srtp_->protect_rtp(buffer, len, capacity)) return false;
  if (!send_datagram(*dtls_route_, Bytes(buffer, len))) return false;
  ++counters_.rtp_sent;
  return true;
}

bool PeerTransport::send_rtcp(std::uint8_t* buffer, std::size_t len, std::size_t capacity) {
  if (phase_ != Phase::connected || !srtp_ || !dtls_route_) return false;
  if (!srtp_->protect_rtcp(buffer, len, capacity)) return false;
  if (!send_datagram(*dtls_route_, Bytes(buffer, len))) return false;
  ++counters_.rtcp_sent;
  return true;
}

std::optional<std::uint16_t> PeerTransport::open_channel(const std::string& label,
                                                         const std::string& protocol) {
  if (!sctp_) return std::nullopt;
  auto id = sctp_->open_channel(label, protocol);
  update_timer();
  return id;
}

bool PeerTransport::send_message(std::uint16_t id, Bytes data, bool binary) {
  if (!sctp_) return false;
  const bool ok = sctp_->send(id, data, binary);
  update_timer();
  return ok;
}

void PeerTransport::close_channel(std::uint16_t id) {
  if (!sctp_) return;
  sctp_->close_channel(id);
  update_timer();
}

void PeerTransport::close() {
  // Deletes the allocations on the TURN servers, also for a leg the peer already closed (DTLS
  // close_notify, SCTP end: phase closed): else each would hold a relay port until it expires.
  for (auto& r : relays_)
    r->close(); // also the relay's TCP/TLS connection, if it has one
  if (phase_ == Phase::closed) return;
  phase_ = Phase::closed;
  if (sctp_) sctp_->abort();
  if (dtls_) dtls_->close();
  if (ice_) ice_->close();
  timer_.disarm();
}

bool PeerTransport::connected() const {
  return phase_ == Phase::connected;
}

bool PeerTransport::usable() const {
  return phase_ != Phase::closed && phase_ != Phase::failed;
}

std::optional<dtls::SrtpProfile> PeerTransport::srtp_profile() const {
  return dtls_ ? dtls_->srtp_profile() : std::nullopt;
}

IceRole PeerTransport::ice_role() const {
  return ice_->role() == ice::Role::controlling ? IceRole::controlling : IceRole::controlled;
}

std::optional<net::SocketAddress> PeerTransport::selected_remote() const {
  return ice_ ? ice_->selected_remote() : std::nullopt;
}

std::optional<ice::CandidateType> PeerTransport::selected_local_type() const {
  return ice_ ? ice_->selected_local_type() : std::nullopt;
}

std::optional<ice::CandidateType> PeerTransport::selected_remote_type() const {
  return ice_ ? ice_->selected_remote_type() : std::nullopt;
}

std::optional<ice::Transport> PeerTransport::selected_transport() const {
  return ice_ ? ice_->selected_transport() : std::nullopt;
}

const net::UdpSocketCounters& PeerTransport::socket_counters() const {
  return socket_->counters();
}

// --- timers -------------------------------------------------------------------------------------

void PeerTransport::update_timer() {
  if (phase_ == Phase::closed || phase_ == Phase::failed) {
    timer_.disarm();
    return;
  }
  std::optional<TimePoint> next;
  auto consider = [&next](std::optional<TimePoint> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  if (ice_) consider(ice_->next_timeout());
  for (const auto& r : relays_)
    consider(r->next_timeout());
  if (dtls_) consider(dtls_->next_timeout());
  if (sctp_) consider(sctp_->next_timeout());
  timer_.arm(next);
}

void PeerTransport::on_timer() {
  const TimePoint now = loop_.now();
  if (ice_) ice_->handle_timeout(now);
  for (auto& r : relays_) {
    if (phase_ == Phase::closed || phase_ == Phase::failed) break;
    r->handle_timeout(now);
  }
  if (dtls_ && phase_ != Phase::closed && phase_ != Phase::failed) dtls_->handle_timeout(now);
  if (sctp_ && phase_ != Phase::closed && phase_ != Phase::failed) sctp_->handle_timeout(now);
  update_timer();
}

void PeerTransport::fail(const std::string& reason) {
  if (phase_ == Phase::closed || phase_ == Phase::failed) return;
  phase_ = Phase::failed;
  timer_.disarm();
  listener_.on_transport_failed(*this, reason);
}

// --- ICE ----------------------------------------------------------------------------------------

void PeerTransport::on_ice_send(ice::PathId path, const net::SocketAddress& to, Bytes datagram) {
  send_datagram(ice::Route{path, to}, datagram);
}

void PeerTransport::on_ice_state(ice::Agent::State state) {
  switch (state) {
  case ice::Agent::State::connected:
    dtls_route_ = ice_->selected();
    // ICE never re-selects (no restart), so TCP connections the leg does not use only hold the
    // far end's resources and an fd: close them.
    if (tcp_paths_ && dtls_route_ && !tcp_paths_->owns(dtls_route_->path)) {
      tcp_paths_->close_all();
    }
    if (phase_ == Phase::checking) phase_ = Phase::handshaking;
    start_dtls(loop_.now());
    break;
  case ice::Agent::State::failed:
    fail(std::string("ICE failed: ") + std::string(ice::Agent::to_string(ice_->failure_reason())));
    break;
  default: break;
  }
}

// --- ICE-TCP ------------------------------------------------------------------------------------

void PeerTransport::on_tcp_path_open(ice::PathId path, const net::SocketAddress& local,
                                     const net::SocketAddress& remote) {
  if (phase_ == Phase::closed || phase_ == Phase::failed || !ice_) return;
  log::info(
      "ice_tcp_connected",
      {{"call_id", config_.log_call_id}, {"leg", config_.log_leg}, {"remote", remote.to_string()}});
  ice_->add_tcp_candidate(path, local, remote);
  update_timer();
}

void PeerTransport::on_tcp_frame(ice::PathId path, MutableBytes frame, std::size_t capacity,
                                 const net::SocketAddress& from, TimePoint now) {
  on_datagram(path, frame, capacity, from, now);
}

void PeerTransport::on_tcp_path_closed(ice::PathId path, const net::TcpClosed& why) {
  if (phase_ == Phase::closed || phase_ == Phase::failed) return;
  const bool carrying =
      (ice_ && ice_->selected_path() == path) || (dtls_route_ && dtls_route_->path == path);
  log::warn("ice_tcp_closed", {{"call_id", config_.log_call_id},
                               {"leg", config_.log_leg},
                               {"selected", carrying},
                               {"cause", why.message}});
  // A path that never carried the leg just stops pairing (its checks time out); losing the
  // selected one ends the leg: ICE-TCP has no consent-based recovery to wait for.
  if (!carrying) return;
  std::string reason;
  switch (why.kind) {
  case net::TcpClosed::Kind::reset: reason = "ice-tcp connection reset by peer"; break;
  case net::TcpClosed::Kind::peer_closed: reason = "ice-tcp connection closed by peer"; break;
  default: reason = "ice-tcp connection failed: " + why.message; break;
  }
  fail(reason);
}

// --- DTLS ---------------------------------------------------------------------------------------

void PeerTransport::on_dtls_send(Bytes datagram) {
  const auto to = ice_ && ice_->selected() ? ice_->selected() : dtls_route_;
  if (to) send_datagram(*to, datagram);
}

void PeerTransport::on_dtls_connected(const dtls::SrtpKeyingMaterial& keys) {
  try {
    srtp_ = std::make_unique<srtp::SrtpSession>(keys);
  } catch (const std::exception& e) {
    fail(std::string("SRTP setup failed: ") + e.what());
    return;
  }
  if (config_.data_channel) {
    sctp::SctpAssociation::Config sctp_config;
    sctp_config.dtls_client = dtls_->role() == dtls::DtlsRole::kClient;
    sctp_config.remote_port = remote_.sctp_port;
    sctp_config.remote_max_message_size = remote_.max_message_size;
    try {
      sctp_ = std::make_unique<sctp::SctpAssociation>(
          static_cast<sctp::SctpAssociation::Listener&>(*this), sctp_config);
      sctp_->connect();
    } catch (const std::exception& e) {
      fail(std::string("SCTP setup failed: ") + e.what());
      return;
    }
  }
  phase_ = Phase::connected;
  listener_.on_transport_connected(*this);
}

void PeerTransport::on_dtls_application_data(Bytes data) {
  if (sctp_) sctp_->handle_packet(data);
}

void PeerTransport::on_dtls_closed() {
  if (phase_ == Phase::closed || phase_ == Phase::failed) return;
  phase_ = Phase::closed;
  timer_.disarm();
  listener_.on_transport_closed(*this, "DTLS close_notify from the peer");
}

void PeerTransport::on_dtls_failed(std::string reason) {
  fail("DTLS failed: " + reason);
}

// --- SCTP ---------------------------------------------------------------------------------------

void PeerTransport::on_sctp_send(Bytes packet) {
  if (dtls_) dtls_->send_application_data(packet);
}

void PeerTransport::on_sctp_connected() {}

void PeerTransport::on_channel_open(std::uint16_t id, const std::string& label,
                                    const std::string&) {
  listener_.on_channel_open(*this, id, label);
}

void PeerTransport::on_channel_message(std::uint16_t id, Bytes data, bool binary) {
  listener_.on_channel_message(*this, id, data, binary);
}

void PeerTransport::on_channel_closed(std::uint16_t id) {
  listener_.on_channel_closed(*this, id);
}

void PeerTransport::on_sctp_closed(std::string reason) {
  if (phase_ == Phase::closed || phase_ == Phase::failed) return;
  phase_ = Phase::closed;
  timer_.disarm();
  listener_.on_transport_closed(*this, "SCTP association ended: " + reason);
}

} // namespace wab::rtc

#pragma once
// PeerTransport: one WebRTC leg. It owns the leg's UDP socket and the protocol engines stacked on
// it — ICE agent → DTLS transport → SRTP session (+ SCTP association with data channels) — and
// demultiplexes every datagram by its first byte (RFC 7983). Media is accepted only on the
// ICE-selected path (the socket, or another local path such as a TURN relay) from the selected
// remote address, and sent the same way.
//
// Threading: a PeerTransport belongs to the worker whose EventLoop it was created on; every method
// and every Listener callback runs on that thread. The Listener outlives the transport. A Listener
// must not destroy the transport from inside a callback: post the destruction to the loop.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/log.hpp"
#include "dtls/dtls_transport.hpp"
#include "dtls/fingerprint.hpp"
#include "dtls/srtp_keying_material.hpp"
#include "ice/agent.hpp"
#include "ice/candidate.hpp"
#include "net/event_loop.hpp"
#include "net/socket_address.hpp"
#include "net/udp_socket.hpp"
#include "rtc/ice_tcp_paths.hpp"
#include "rtc/relay_path.hpp"
#include "sctp/sctp_association.hpp"
#include "srtp/srtp_session.hpp"

namespace wab::rtc {

enum class IceRole { controlling, controlled };
enum class DtlsRole { client, server };

// What the owner decides before the SDP exchange.
struct TransportConfig {
  dtls::SrtpProfileOffer srtp_profiles = dtls::SrtpProfileOffer::kGcmAndCm;
  bool data_channel = false;
  // Addresses written as host candidates (ports are ignored: the leg's socket port is used).
  std::vector<net::SocketAddress> host_addresses;
  std::optional<net::SocketAddress> stun_server;
  // ICE-TCP (RFC 6544): connect to the remote's passive TCP candidates and check over them too.
  // UDP pairs rank higher, so TCP carries the leg only when UDP checks fail.
  bool ice_tcp = true;
  // TURN relays: one allocation each (over the leg's UDP socket, or a TCP/TLS connection of its
  // own), relay candidates in our SDP.
  std::vector<TurnServer> turn_servers;
  // Offer and pair only relay candidates (no host/srflx in the SDP, nothing answered directly):
  // the leg fails when no allocation succeeds.
  bool relay_only = false;
  net::UdpSocketOptions socket; // port range
  // How long ICE may look for a working pair before the leg fails.
  Duration ice_timeout = seconds(15);
  // How long the DTLS handshake may take once ICE is connected.
  Duration dtls_timeout = seconds(15);
  // Consent freshness (RFC 7675): a check about this often; no answer for `consent_timeout` →
  // the leg fails. Shorter only in tests.
  Duration consent_interval = seconds(5);
  Duration consent_timeout = seconds(30);
  // Named in this leg's log lines only (which call, which side).
  std::string log_call_id;
  std::string log_leg;
};

// What the remote description says.
struct RemoteParameters {
  // Our roles follow from the offer/answer exchange (rtc/negotiation.hpp derives them).
  IceRole ice_role = IceRole::controlling; // a remote ice-lite peer forces controlling
  DtlsRole dtls_role = DtlsRole::client;
  std::string ice_ufrag;
  std::string ice_pwd;
  std::vector<ice::Candidate> candidates;
  bool ice_lite = false;
  dtls::Fingerprint fingerprint;
  std::uint16_t sctp_port = 5000;
  std::uint64_t max_message_size = 65536;
};

struct TransportCounters {
  std::uint64_t rtp_received = 0;
  std::uint64_t rtcp_received = 0;
  std::uint64_t rtp_sent = 0;
  std::uint64_t rtcp_sent = 0;
  std::uint64_t srtp_errors = 0;         // unprotect failures (auth, replay, malformed)
  std::uint64_t dropped_unknown = 0;     // first byte outside every RFC 7983 range
  std::uint64_t dropped_unselected = 0;  // DTLS/media from an address ICE did not select
  std::uint64_t dropped_before_keys = 0; // media before the DTLS handshake finished
};

class PeerTransport final : private ice::Agent::Listener,
                            private IceTcpPaths::Listener,
                            private RelayPath::Owner,
                            private dtls::DtlsTransport::Listener,
                            private sctp::SctpAssociation::Listener {
public:
  class Listener {
  public:
    virtual ~Listener() = default;
    // ICE, DTLS and SRTP are up (and SCTP is connecting when the leg has a data channel).
    virtual void on_transport_connected(PeerTransport& t) = 0;
    // The leg is dead: ICE failed or consent was lost, DTLS failed or received an alert.
    virtual void on_transport_failed(PeerTransport& t, const std::string& reason) = 0;
    // The peer closed DTLS (close_notify) or the SCTP association ended.
    virtual void on_transport_closed(PeerTransport& t, const std::string& reason) = 0;
    // A decrypted RTP packet. The bytes may be rewritten in place and forwarded during the call:
    // `capacity` bytes are writable from packet.data() (room for another leg's SRTP trailer).
    virtual void on_rtp(PeerTransport& t, MutableBytes packet, std::size_t capacity,
                        TimePoint now) = 0;
    virtual void on_rtcp(PeerTransport& t, MutableBytes packet, TimePoint now) {}
    virtual void on_channel_open(PeerTransport& t, std::uint16_t id, const std::string& label) {}
    virtual void on_channel_message(PeerTransport& t, std::uint16_t id, Bytes data, bool binary) {}
    virtual void on_channel_closed(PeerTransport& t, std::uint16_t id) {}
  };

  // Binds the socket (throws std::runtime_error when the port range is exhausted) and prepares
  // ICE credentials and candidates; nothing is sent before start().
  PeerTransport(net::EventLoop& loop, net::ReceiveBatch& batch, Listener& listener,
                TransportConfig config);
  ~PeerTransport() override;
  PeerTransport(const PeerTransport&) = delete;
  PeerTransport& operator=(const PeerTransport&) = delete;

  // Local parameters for our SDP.
  const std::string& ice_ufrag() const;
  const std::string& ice_pwd() const;
  std::vector<std::string> candidate_attributes() const; // a=candidate values
  std::string fingerprint_sdp() const;                   // "sha-256 AB:CD:…"
  std::uint16_t local_port() const;
  const TransportConfig& config() const { return config_; }

  // Gathers our candidates (a server-reflexive one from the STUN server, relay ones from the TURN
  // servers, if configured) and calls `done` when they are all known: write our SDP after that.
  // Without STUN/TURN servers `done` runs before gather() returns. Optional; start() works without
  // it. In relay-only mode, when every allocation fails the leg fails instead (with the cause).
  void gather(std::function<void()> done);

  // Applies the remote description and starts ICE (and DTLS once ICE connects). Call once.
  void start(const RemoteParameters& remote);

  // Protects `len` bytes of RTP in place (buffer must have room for the SRTP trailer) and sends
  // them to the selected remote. Returns false before the leg is connected or on failure.
  bool send_rtp(std::uint8_t* buffer, std::size_t len, std::size_t capacity);
  bool send_rtcp(std::uint8_t* buffer, std::size_t len, std::size_t capacity);

  // Data channels (legs created with data_channel = true).
  std::optional<std::uint16_t> open_channel(const std::string& label,
                                            const std::string& protocol = "");
  bool send_message(std::uint16_t id, Bytes data, bool binary);
  void close_channel(std::uint16_t id);

  // Orderly close: SCTP shutdown, DTLS close_notify, ICE stops. No callbacks follow.
  void close();

  bool connected() const;
  // Neither closed nor failed: still connecting or connected.
  bool usable() const;
  std::optional<dtls::SrtpProfile> srtp_profile() const;
  IceRole ice_role() const;
  std::optional<net::SocketAddress> selected_remote() const;
  // The selected pair's candidate types (host, srflx, prflx, relay), once ICE has selected.
  std::optional<ice::CandidateType> selected_local_type() const;
  std::optional<ice::CandidateType> selected_remote_type() const;
  // "udp" or "tcp" (ICE-TCP), once ICE has selected.
  std::optional<ice::Transport> selected_transport() const;
  // ICE-TCP connections this leg opened (open or not).
  std::size_t tcp_paths() const { return tcp_paths_ ? tcp_paths_->size() : 0; }
  // Of those, the ones still connecting or open (unused ones close once ICE selects UDP).
  std::size_t open_tcp_paths() const { return tcp_paths_ ? tcp_paths_->live() : 0; }
  const TransportCounters& counters() const { return counters_; }
  // Datagrams refused for any reason (unknown class, unselected address, no keys, SRTP
  // authentication, STUN that is malformed, unsigned or not for us).
  std::uint64_t datagrams_dropped() const;
  // How many `leg_datagrams_dropped` warnings this leg logged (at most one per 5 s).
  std::uint64_t drop_warnings() const { return drop_warnings_; }
  const net::UdpSocketCounters& socket_counters() const;

  // A leg's local port range can be exhausted: callers catch std::runtime_error from the
  // constructor. Everything below is private plumbing between the engines.
private:
  enum class Phase { idle, checking, handshaking, connected, closed, failed };

  std::unique_ptr<ice::Agent> make_agent();
  // Every datagram received on any local path (the socket is ice::kSocketPath) lands here;
  // `capacity` bytes are writable from data.data() (media is decrypted and forwarded in place).
  void on_datagram(ice::PathId path, MutableBytes data, std::size_t capacity,
                   const net::SocketAddress& from, TimePoint now);
  void on_media(ice::PathId path, MutableBytes data, std::size_t capacity,
                const net::SocketAddress& from, TimePoint now);
  bool accepts_dtls_from(const ice::Route& from) const;
  void remember_local_address(const net::SocketAddress& remote);
  bool send_datagram(const ice::Route& route, Bytes datagram);
  // Paths other than the socket: ICE-TCP connections and TURN relays (peer_transport_relay.cpp).
  bool send_on_path(const ice::Route& route, Bytes datagram);
  void start_relays(TimePoint now);
  void maybe_finish_gathering();
  // A datagram from a UDP TURN server's address goes to that relay's client.
  RelayPath* relay_for_server(const net::SocketAddress& from);
  RelayPath* relay_on_path(ice::PathId path);
  void start_dtls(TimePoint now);
  void fail(const std::string& reason);
  void update_timer();
  void note_drops(TimePoint now);
  void on_timer();

  // ice::Agent::Listener
  void on_ice_send(ice::PathId path, const net::SocketAddress& to, Bytes datagram) override;
  void on_ice_state(ice::Agent::State state) override;
  void on_ice_gathering_done() override;
  // IceTcpPaths::Listener
  void on_tcp_path_open(ice::PathId path, const net::SocketAddress& local,
                        const net::SocketAddress& remote) override;
  void on_tcp_frame(ice::PathId path, MutableBytes frame, std::size_t capacity,
                    const net::SocketAddress& from, TimePoint now) override;
  void on_tcp_path_closed(ice::PathId path, const net::TcpClosed& why) override;
  // RelayPath::Owner
  void on_relay_send(RelayPath& relay, Bytes message) override;
  void on_relay_allocated(RelayPath& relay) override;
  void on_relay_failed(RelayPath& relay, const std::string& cause) override;
  void on_relay_data(RelayPath& relay, const net::SocketAddress& peer, MutableBytes data,
                     std::size_t capacity, TimePoint now) override;
  void on_relay_progress(RelayPath& relay) override;
  // dtls::DtlsTransport::Listener
  void on_dtls_send(Bytes datagram) override;
  void on_dtls_connected(const dtls::SrtpKeyingMaterial& keys) override;
  void on_dtls_application_data(Bytes data) override;
  void on_dtls_closed() override;
  void on_dtls_failed(std::string reason) override;
  // sctp::SctpAssociation::Listener
  void on_sctp_send(Bytes packet) override;
  void on_sctp_connected() override;
  void on_channel_open(std::uint16_t id, const std::string& label,
                       const std::string& protocol) override;
  void on_channel_message(std::uint16_t id, Bytes data, bool binary) override;
  void on_channel_closed(std::uint16_t id) override;
  void on_sctp_closed(std::string reason) override;

  net::EventLoop& loop_;
  net::ReceiveBatch& batch_;
  Listener& listener_;
  TransportConfig config_;
  TransportCounters counters_;
  // A leg that floods garbage is logged at most every few seconds, with running counts.
  log::RateLimitedLog drop_log_;
  std::uint64_t drops_logged_ = 0;
  std::uint64_t drop_warnings_ = 0;
  Phase phase_ = Phase::idle;
  std::string ice_ufrag_;
  std::string ice_pwd_;
  std::uint64_t tie_breaker_ = 0;
  RemoteParameters remote_;
  std::unique_ptr<net::UdpSocket> socket_;
  std::unique_ptr<ice::Agent> ice_;
  std::unique_ptr<IceTcpPaths> tcp_paths_;         // created when the remote offers passive TCP
  std::vector<std::unique_ptr<RelayPath>> relays_; // path i+1 is relays_[i]
  std::unique_ptr<dtls::DtlsTransport> dtls_;
  std::unique_ptr<srtp::SrtpSession> srtp_;
  std::unique_ptr<sctp::SctpAssociation> sctp_;
  std::optional<ice::Route> dtls_route_; // where DTLS and media go before/after ICE
  // Which of our addresses each remote reached us at: replies leave from it (a host with several
  // addresses would otherwise answer from another one, and ICE peers drop asymmetric replies).
  struct LocalRoute {
    net::SocketAddress remote;
    net::SocketAddress local;
  };
  std::vector<LocalRoute> local_routes_;
  net::LoopTimer timer_;
  bool ice_started_ = false;
  std::function<void()> gathering_done_;
};

} // namespace wab::rtc

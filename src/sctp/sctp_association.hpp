#pragma once
// One SCTP association over DTLS (RFC 8261) carrying WebRTC data channels (RFC 8831) opened with
// DCEP (RFC 8832), on usrsctp with an AF_CONN socket and no usrsctp threads.
//
// Owns: the usrsctp socket and its AF_CONN address registration (released in the destructor),
// the channel table, the send queue and the reassembly buffers.
//
// Threads: the thread that constructs the association owns it; every public method must be
// called on that thread, and every Listener callback runs on it. usrsctp may still produce a
// packet for this association on another thread (a timer fired by another owner's tick): such a
// packet is copied into a small mutex-protected queue and handed to `on_sctp_send` by the owner
// in `flush_pending()`, which `handle_timeout` calls, so it leaves within one of this
// association's ticks (10 ms for the thread's tick holder, SctpStack::kIdleTickInterval else).
//
// Timers: the owner re-reads `next_timeout()` after each call and calls `handle_timeout(now)`
// when due; that also ticks the process-wide SctpStack (sctp_stack.hpp).
//
// Re-entrancy: `on_sctp_send` may be called from inside any method (usrsctp transmits
// synchronously, holding its own locks) and must not call into this or any other association;
// in-memory test wiring must queue packets rather than feed the peer from the callback. The
// other callbacks run outside usrsctp and may call send/open_channel/close_channel/shutdown/
// abort, but no callback may destroy the association (defer destruction).
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "sctp/dcep.hpp"
#include "sctp/sctp_stack.hpp"

struct socket; // usrsctp's socket handle (global namespace)

namespace wab::sctp {

class SctpAssociation final : private UsrsctpPacketSink {
public:
  class Listener {
  public:
    virtual ~Listener() = default;
    // An SCTP packet to send as DTLS application data. Valid only during the call.
    virtual void on_sctp_send(Bytes packet) = 0;
    virtual void on_sctp_connected() = 0;
    // A channel is open: opened by the peer (its DATA_CHANNEL_OPEN arrived and we acknowledged
    // it), or opened by us and acknowledged (DATA_CHANNEL_ACK or a first message).
    virtual void on_channel_open(std::uint16_t id, const std::string& label,
                                 const std::string& protocol) = 0;
    // A complete message. `data` is valid only during the call.
    virtual void on_channel_message(std::uint16_t id, Bytes data, bool binary) = 0;
    // The channel is closed in both directions (stream reset, or association closed).
    virtual void on_channel_closed(std::uint16_t id) = 0;
    // Once: graceful shutdown completed, peer abort, retransmission failure, or local abort.
    virtual void on_sctp_closed(std::string reason) = 0;
  };

  struct Config {
    // Stream-id parity (RFC 8832 §6): the DTLS client opens even ids, the server odd ones.
    bool dtls_client = true;
    std::uint16_t local_port = 5000;  // a=sctp-port of our SDP
    std::uint16_t remote_port = 5000; // a=sctp-port of the peer's SDP
    // a=max-message-size of the peer (65536 when absent, RFC 8841 §6.1). 0 means "no limit";
    // sends are then bounded by our send buffer.
    std::size_t remote_max_message_size = 65536;
    // What we advertise and accept; larger incoming messages are dropped and counted.
    std::size_t local_max_message_size = 262144;
  };

  struct Stats {
    std::uint64_t packets_received = 0; // passed to usrsctp
    std::uint64_t packets_sent = 0;
    std::uint64_t malformed_packets = 0; // too short for an SCTP header and a chunk
    std::uint64_t wrong_port_packets = 0;
    std::uint64_t bad_checksum_packets = 0;
    std::uint64_t packets_after_close = 0;
    std::uint64_t packets_from_other_threads = 0;
    std::uint64_t messages_received = 0;
    std::uint64_t messages_sent = 0;
    std::uint64_t oversized_messages_dropped = 0;
    std::uint64_t unknown_ppid_messages = 0;
    std::uint64_t messages_on_unknown_channel = 0;
    std::uint64_t dcep_errors = 0;
    std::uint64_t send_failures = 0; // rejected by usrsctp, or the send queue was full
  };

  // Creates and configures the socket (throws std::runtime_error if usrsctp refuses).
  SctpAssociation(Listener& listener, Config config);
  ~SctpAssociation();
  SctpAssociation(const SctpAssociation&) = delete;
  SctpAssociation& operator=(const SctpAssociation&) = delete;

  // Starts the association. Both peers call it: WebRTC uses SCTP's simultaneous open. Call once
  // DTLS is connected.
  void connect();

  // An SCTP packet from DTLS application data. Returns false (and counts) when it is malformed,
  // for other ports, fails the checksum, or arrives after the socket was closed.
  bool handle_packet(Bytes packet);

  // Opens an ordered, reliable channel: sends DATA_CHANNEL_OPEN (queued until connected) and
  // returns the stream id. Messages may be sent at once; the peer queues them behind the OPEN.
  // nullopt when closed, out of stream ids, or label/protocol longer than 65535 bytes.
  std::optional<std::uint16_t> open_channel(const std::string& label, const std::string& protocol);

  // Sends one message (PPID 51 text / 53 binary, 56/57 when empty). Queued when usrsctp's buffer
  // is full or before the association is up. False for an unknown or closing channel, a message
  // larger than the peer's max-message-size, or a full send queue.
  bool send(std::uint16_t id, Bytes data, bool binary);

  // Closes a channel (RFC 8831 §6.7): resets our outgoing stream once its queued messages left;
  // `on_channel_closed` follows when the peer resets its side.
  void close_channel(std::uint16_t id);

  // Graceful SHUTDOWN once queued messages left; `on_sctp_closed("shutdown")` follows.
  void shutdown();
  // Sends ABORT now and reports `on_sctp_closed("aborted")`.
  void abort();

  // Bytes accepted by send() for this channel that still wait in our queue.
  std::size_t buffered_amount(std::uint16_t id) const;

  std::optional<TimePoint> next_timeout() const;
  void handle_timeout(TimePoint now);
  // Hands packets queued by other threads to on_sctp_send, then processes what usrsctp has
  // received and what our send queue holds.
  void flush_pending();

  bool connected() const { return connected_; }
  bool closed() const { return closed_; }
  bool has_channel(std::uint16_t id) const { return channels_.count(id) != 0; }
  const Stats& stats() const { return stats_; }

private:
  enum class ChannelState { awaiting_ack, open, closing };
  struct Channel {
    std::string label;
    std::string protocol;
    ChannelType type = ChannelType::reliable;
    std::uint32_t reliability_parameter = 0;
    ChannelState state = ChannelState::open;
    std::size_t queued_bytes = 0; // user bytes in send_queue_
  };
  struct SendPolicy {
    bool unordered = false;
    std::uint16_t pr_policy = 0; // SCTP_PR_SCTP_*
    std::uint32_t pr_value = 0;
  };
  struct OutgoingMessage {
    std::uint16_t stream = 0;
    Ppid ppid = Ppid::binary;
    SendPolicy policy;
    std::size_t user_bytes = 0; // counted in buffered_amount (0 for DCEP)
    std::vector<std::uint8_t> payload;
  };
  struct Reassembly {
    std::vector<std::uint8_t> buffer;
    bool discarding = false; // grew past local_max_message_size: drop until end of record
  };
  enum class SendResult { sent, would_block, failed };

  // UsrsctpPacketSink
  void deliver_packet_now(Bytes packet) override;
  void queue_packet_from_other_thread(Bytes packet) override;

  void configure_socket();
  void deliver_packets_from_other_threads();
  void after_usrsctp_call();
  void drain_socket();
  void on_notification(Bytes notification);
  void on_association_change(Bytes notification);
  void on_stream_reset(Bytes notification);
  void on_data_piece(std::uint16_t stream, std::uint32_t ppid, Bytes piece, bool end_of_record);
  void on_message(std::uint16_t stream, std::uint32_t ppid, Bytes message);
  void on_dcep(std::uint16_t stream, Bytes message);
  void on_peer_reset(std::uint16_t stream);

  SendPolicy policy_for(const Channel& channel) const;
  bool send_or_queue(std::uint16_t stream, Ppid ppid, SendPolicy policy, Bytes payload,
                     std::size_t user_bytes);
  SendResult try_send(std::uint16_t stream, Ppid ppid, const SendPolicy& policy, Bytes payload);
  void flush_send_queue();
  void drop_queued_messages(std::uint16_t stream);
  void request_stream_resets();
  std::optional<std::uint16_t> allocate_stream_id() const;
  std::size_t max_send_size() const;
  void close_association(const std::string& reason);
  void close_socket();

  struct SocketCloser {
    void operator()(struct ::socket* s) const;
  };

  Listener& listener_;
  Config config_;
  SctpStack& stack_;
  std::uintptr_t address_key_ = 0; // our AF_CONN address, registered with usrsctp and the stack
  std::unique_ptr<struct ::socket, SocketCloser> socket_;

  bool connect_called_ = false;
  bool connected_ = false;
  bool closed_ = false;
  bool shutdown_requested_ = false;
  bool in_drain_ = false;
  std::uint16_t outgoing_streams_; // negotiated at COMM_UP
  std::optional<TimePoint> last_tick_;
  bool tick_duty_ = false; // this thread's 10 ms SCTP tick is ours (SctpStack::claim_tick_duty)

  std::map<std::uint16_t, Channel> channels_;
  std::deque<OutgoingMessage> send_queue_;
  std::size_t send_queue_bytes_ = 0;
  std::set<std::uint16_t> resets_to_request_; // outgoing streams to reset when their queue empties
  std::set<std::uint16_t> resets_in_flight_;  // requested, not yet confirmed: ids not reusable
  std::unordered_map<std::uint16_t, Reassembly> reassembly_;
  std::vector<std::uint8_t> notification_buffer_;

  std::mutex other_thread_mutex_;
  std::deque<std::vector<std::uint8_t>> packets_from_other_threads_;

  Stats stats_;
};

} // namespace wab::sctp

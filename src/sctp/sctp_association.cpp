#include "sctp/sctp_association.hpp"

#include <arpa/inet.h>
#include <usrsctp.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <string>

#include "common/log.hpp"
#include "sctp/checksum.hpp"

namespace wab::sctp {
namespace {

// Streams we ask for in each direction; ids beyond what the peer grants are never allocated.
// usrsctp allocates per-stream state for every one of them at INIT (~100 bytes a stream each
// way), and a leg uses one or two channels, so a few suffice; a peer can still open channels on
// any of these ids.
constexpr std::uint16_t kStreams = 16;
// SCTP packets of at most 1200 bytes, as WebRTC stacks use: with DTLS, UDP and IP headers a
// datagram stays far below Ethernet's 1500 and close to IPv6's 1280 minimum. For AF_CONN
// usrsctp does not count the 12-byte common header against the path MTU, hence 1188.
constexpr std::uint32_t kPathMtu = 1188;
// usrsctp accepts a message only when it fits its send buffer whole, so this also caps what
// send() accepts. Big enough for several 256 KiB messages in flight.
constexpr int kSocketBufferSize = 1024 * 1024;
// Our own queue behind usrsctp's (messages refused with EWOULDBLOCK, or sent before COMM_UP).
constexpr std::size_t kMaxQueuedBytes = 16 * 1024 * 1024;
// recvv is called with this much room (on the stack of drain_socket, not per association);
// larger messages arrive in pieces and are reassembled.
constexpr std::size_t kReceiveChunk = 64 * 1024;
// Packets usrsctp produced for us on other threads between two of our ticks.
constexpr std::size_t kMaxPacketsFromOtherThreads = 1024;
constexpr std::size_t kMaxNotificationSize = 64 * 1024;

constexpr std::uint16_t kSubscribedEvents[] = {
    SCTP_ASSOC_CHANGE,        SCTP_PEER_ADDR_CHANGE,       SCTP_REMOTE_ERROR,
    SCTP_SHUTDOWN_EVENT,      SCTP_SENDER_DRY_EVENT,       SCTP_STREAM_RESET_EVENT,
    SCTP_STREAM_CHANGE_EVENT, SCTP_PARTIAL_DELIVERY_EVENT,
};

sockaddr_conn make_address(std::uintptr_t key, std::uint16_t port) {
  sockaddr_conn address{};
  address.sconn_family = AF_CONN;
  address.sconn_port = htons(port);
  address.sconn_addr = reinterpret_cast<void*>(key);
  return address;
}

template <typename T>
void set_option(struct ::socket* s, int level, int name, const T& value, const char* what) {
  if (usrsctp_setsockopt(s, level, name, &value, sizeof value) != 0) {
    throw std::runtime_error(std::string("usrsctp_setsockopt ") + what +
                             " failed: " + std::strerror(errno));
  }
}

bool is_user_ppid(std::uint32_t ppid) {
  switch (static_cast<Ppid>(ppid)) {
  case Ppid::string:
  case Ppid::binary:
  case Ppid::string_empty:
  case Ppid::binary_empty: return true;
  default: return false;
  }
}

} // namespace

void SctpAssociation::SocketCloser::operator()(struct ::socket* s) const {
  usrsctp_close(s);
}

SctpAssociation::SctpAssociation(Listener& listener, Config config)
    : listener_(listener), config_(config), stack_(sctp_stack_global()),
      outgoing_streams_(kStreams) {
  if (config_.local_port == 0 || config_.remote_port == 0) {
    throw std::invalid_argument("SCTP ports must be non-zero");
  }
  if (config_.local_max_message_size == 0) {
    throw std::invalid_argument("local_max_message_size must be non-zero");
  }
  address_key_ = stack_.register_sink(*this);
  usrsctp_register_address(reinterpret_cast<void*>(address_key_));
  try {
    configure_socket();
  } catch (...) {
    socket_.reset();
    usrsctp_deregister_address(reinterpret_cast<void*>(address_key_));
    stack_.unregister_sink(address_key_);
    throw;
  }
}

SctpAssociation::~SctpAssociation() {
  // Unregister first: from here on usrsctp's callbacks for our address find nothing, even those
  // from timers of a socket usrsctp frees later. The ABORT that usrsctp_close (linger 0) produces
  // is dropped with them; call shutdown() or abort() beforehand to tell the peer.
  stack_.unregister_sink(address_key_);
  socket_.reset();
  usrsctp_deregister_address(reinterpret_cast<void*>(address_key_));
}

void SctpAssociation::configure_socket() {
  socket_.reset(usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, nullptr, nullptr, 0, nullptr));
  if (!socket_)
    throw std::runtime_error(std::string("usrsctp_socket failed: ") + std::strerror(errno));
  struct ::socket* s = socket_.get();
  // We drain the socket after every call into usrsctp; a blocking call would stall the worker.
  if (usrsctp_set_non_blocking(s, 1) != 0)
    throw std::runtime_error("usrsctp_set_non_blocking failed");

  // Closing aborts at once instead of lingering in SHUTDOWN states nobody drives any more.
  linger no_linger{};
  no_linger.l_onoff = 1;
  no_linger.l_linger = 0;
  set_option(s, SOL_SOCKET, SO_LINGER, no_linger, "SO_LINGER");
  set_option(s, SOL_SOCKET, SO_SNDBUF, kSocketBufferSize, "SO_SNDBUF");
  set_option(s, SOL_SOCKET, SO_RCVBUF, kSocketBufferSize, "SO_RCVBUF");

  sctp_assoc_value reset{};
  reset.assoc_id = SCTP_FUTURE_ASSOC;
  reset.assoc_value = SCTP_ENABLE_RESET_STREAM_REQ;
  set_option(s, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, reset, "SCTP_ENABLE_STREAM_RESET");
  const int on = 1;
  set_option(s, IPPROTO_SCTP, SCTP_NODELAY, on, "SCTP_NODELAY"); // messages are latency-bound
  set_option(s, IPPROTO_SCTP, SCTP_RECVRCVINFO, on, "SCTP_RECVRCVINFO");

  sctp_initmsg init{};
  init.sinit_num_ostreams = kStreams;
  init.sinit_max_instreams = kStreams;
  set_option(s, IPPROTO_SCTP, SCTP_INITMSG, init, "SCTP_INITMSG");

  for (const std::uint16_t type : kSubscribedEvents) {
    sctp_event event{};
    event.se_assoc_id = SCTP_FUTURE_ASSOC;
    event.se_type = type;
    event.se_on = 1;
    set_option(s, IPPROTO_SCTP, SCTP_EVENT, event, "SCTP_EVENT");
  }

  // No path MTU discovery inside DTLS: a fixed size that fits every path.
  sctp_paddrparams path{};
  path.spp_assoc_id = SCTP_FUTURE_ASSOC;
  path.spp_flags = SPP_PMTUD_DISABLE;
  path.spp_pathmtu = kPathMtu;
  set_option(s, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, path, "SCTP_PEER_ADDR_PARAMS");

  sockaddr_conn local = make_address(address_key_, config_.local_port);
  if (usrsctp_bind(s, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    throw std::runtime_error(std::string("usrsctp_bind failed: ") + std::strerror(errno));
  }
}

void SctpAssociation::connect() {
  if (connect_called_ || closed_ || !socket_) return;
  connect_called_ = true;
  sockaddr_conn remote = make_address(address_key_, config_.remote_port);
  const int rc =
      usrsctp_connect(socket_.get(), reinterpret_cast<sockaddr*>(&remote), sizeof remote);
  if (rc != 0 && errno != EINPROGRESS) {
    const std::string reason = std::string("connect failed: ") + std::strerror(errno);
    close_socket();
    close_association(reason);
    return;
  }
  after_usrsctp_call();
}

bool SctpAssociation::handle_packet(Bytes packet) {
  if (!socket_ || closed_) {
    ++stats_.packets_after_close;
    return false;
  }
  const auto header = parse_sctp_common_header(packet);
  if (!header) {
    ++stats_.malformed_packets;
    return false;
  }
  if (header->source_port != config_.remote_port ||
      header->destination_port != config_.local_port) {
    ++stats_.wrong_port_packets;
    return false;
  }
  if (!sctp_checksum_valid(packet)) {
    ++stats_.bad_checksum_packets;
    return false;
  }
  ++stats_.packets_received;
  usrsctp_conninput(reinterpret_cast<void*>(address_key_), packet.data(), packet.size(), 0);
  after_usrsctp_call();
  return true;
}

std::optional<TimePoint> SctpAssociation::next_timeout() const {
  if (!socket_ || closed_) return std::nullopt;
  if (!last_tick_) return TimePoint{};
  return *last_tick_ + (tick_duty_ ? SctpStack::kTickInterval : SctpStack::kIdleTickInterval);
}

void SctpAssociation::handle_timeout(TimePoint now) {
  last_tick_ = now;
  // usrsctp walks every armed timer of the process on each tick, so only the thread's duty
  // holder advances the clock; the others only flush what other threads queued for them.
  tick_duty_ = stack_.claim_tick_duty(address_key_, now);
  if (tick_duty_) stack_.handle_timeout(now);
  flush_pending();
}

void SctpAssociation::flush_pending() {
  // Runs on every 10 ms tick of every association and the queue is almost always empty: look
  // first, since even an empty std::deque allocates (twice) when it is made.
  bool pending = false;
  {
    std::lock_guard lock(other_thread_mutex_);
    pending = !packets_from_other_threads_.empty();
  }
  if (pending) deliver_packets_from_other_threads();
  after_usrsctp_call();
}

void SctpAssociation::deliver_packets_from_other_threads() {
  std::deque<std::vector<std::uint8_t>> packets;
  {
    std::lock_guard lock(other_thread_mutex_);
    packets.swap(packets_from_other_threads_);
  }
  for (const auto& packet : packets) {
    ++stats_.packets_from_other_threads;
    deliver_packet_now(packet);
  }
}

void SctpAssociation::deliver_packet_now(Bytes packet) {
  ++stats_.packets_sent;
  listener_.on_sctp_send(packet);
}

void SctpAssociation::queue_packet_from_other_thread(Bytes packet) {
  std::lock_guard lock(other_thread_mutex_);
  // SCTP retransmits what is lost; a bounded queue keeps a stalled owner from growing it.
  if (packets_from_other_threads_.size() >= kMaxPacketsFromOtherThreads) return;
  packets_from_other_threads_.emplace_back(packet.begin(), packet.end());
}

void SctpAssociation::after_usrsctp_call() {
  drain_socket();
  flush_send_queue();
}

// ---- receiving -------------------------------------------------------------------------------

void SctpAssociation::drain_socket() {
  // A listener callback that sends may bring us back here through after_usrsctp_call; the outer
  // loop keeps draining (one recvv buffer live at a time, however deep the callbacks go).
  if (in_drain_) return;
  in_drain_ = true;
  // Not a member: an association is idle almost always, and thousands of them would each keep
  // 64 KiB for nothing.
  std::array<std::uint8_t, kReceiveChunk> receive_buffer;
  while (socket_ && !closed_) {
    sctp_rcvinfo info{};
    socklen_t info_length = sizeof info;
    unsigned int info_type = SCTP_RECVV_NOINFO;
    int flags = 0;
    sockaddr_conn from{};
    socklen_t from_length = sizeof from;
    const ssize_t n = usrsctp_recvv(socket_.get(), receive_buffer.data(), receive_buffer.size(),
                                    reinterpret_cast<sockaddr*>(&from), &from_length, &info,
                                    &info_length, &info_type, &flags);
    if (n < 0) break; // EWOULDBLOCK: nothing more; ENOTCONN before the handshake
    if (n == 0) {     // end of stream: the association is gone
      if (connect_called_) close_association("shutdown");
      break;
    }
    const Bytes piece(receive_buffer.data(), static_cast<std::size_t>(n));
    const bool end_of_record = (flags & MSG_EOR) != 0;
    if (flags & MSG_NOTIFICATION) {
      if (end_of_record && notification_buffer_.empty()) {
        on_notification(piece);
        continue;
      }
      if (notification_buffer_.size() + piece.size() > kMaxNotificationSize) {
        notification_buffer_.clear();
        continue;
      }
      notification_buffer_.insert(notification_buffer_.end(), piece.begin(), piece.end());
      if (end_of_record) {
        const std::vector<std::uint8_t> notification = std::move(notification_buffer_);
        notification_buffer_.clear();
        on_notification(notification);
      }
    } else if (info_type == SCTP_RECVV_RCVINFO) {
      on_data_piece(info.rcv_sid, ntohl(info.rcv_ppid), piece, end_of_record);
    }
  }
  in_drain_ = false;
}

void SctpAssociation::on_data_piece(std::uint16_t stream, std::uint32_t ppid, Bytes piece,
                                    bool end_of_record) {
  const std::size_t limit = config_.local_max_message_size;
  auto it = reassembly_.find(stream);
  if (it == reassembly_.end() && end_of_record) {
    // The common case, a whole message in one piece: delivered without a copy.
    if (piece.size() > limit) {
      ++stats_.oversized_messages_dropped;
      return;
    }
    on_message(stream, ppid, piece);
    return;
  }
  if (it == reassembly_.end()) it = reassembly_.emplace(stream, Reassembly{}).first;
  Reassembly& partial = it->second;
  if (!partial.discarding) {
    if (partial.buffer.size() + piece.size() > limit) {
      partial.discarding = true;
      std::vector<std::uint8_t>().swap(partial.buffer);
    } else {
      partial.buffer.insert(partial.buffer.end(), piece.begin(), piece.end());
    }
  }
  if (!end_of_record) return;
  if (partial.discarding) {
    ++stats_.oversized_messages_dropped;
    reassembly_.erase(it);
    return;
  }
  const std::vector<std::uint8_t> message = std::move(partial.buffer);
  reassembly_.erase(it);
  on_message(stream, ppid, message);
}

void SctpAssociation::on_message(std::uint16_t stream, std::uint32_t ppid, Bytes message) {
  ++stats_.messages_received;
  if (ppid == static_cast<std::uint32_t>(Ppid::dcep)) {
    on_dcep(stream, message);
    return;
  }
  if (!is_user_ppid(ppid)) {
    ++stats_.unknown_ppid_messages; // including the deprecated partial PPIDs 52 and 54
    return;
  }
  auto it = channels_.find(stream);
  if (it == channels_.end()) {
    ++stats_.messages_on_unknown_channel;
    return;
  }
  if (it->second.state == ChannelState::awaiting_ack) {
    // RFC 8832 §6: any message from the peer on the stream implies it has our OPEN.
    it->second.state = ChannelState::open;
    const std::string label = it->second.label;
    const std::string protocol = it->second.protocol;
    listener_.on_channel_open(stream, label, protocol);
    if (closed_ || channels_.count(stream) == 0) return;
  }
  const auto kind = static_cast<Ppid>(ppid);
  const bool binary = kind == Ppid::binary || kind == Ppid::binary_empty;
  const bool empty = kind == Ppid::string_empty || kind == Ppid::binary_empty;
  listener_.on_channel_message(stream, empty ? Bytes{} : message, binary);
}

void SctpAssociation::on_dcep(std::uint16_t stream, Bytes message) {
  const auto type = dcep_message_type(message);
  if (!type) {
    ++stats_.dcep_errors;
    return;
  }
  if (*type == DcepMessageType::ack) {
    auto it = channels_.find(stream);
    if (it == channels_.end() || it->second.state != ChannelState::awaiting_ack) {
      ++stats_.dcep_errors; // duplicate, or for a channel we never opened
      return;
    }
    it->second.state = ChannelState::open;
    const std::string label = it->second.label;
    const std::string protocol = it->second.protocol;
    listener_.on_channel_open(stream, label, protocol);
    return;
  }
  const auto open = parse_dcep_open(message);
  if (!open || channels_.count(stream) != 0) {
    ++stats_.dcep_errors; // malformed, or a second OPEN for a stream in use
    return;
  }
  Channel channel;
  channel.label = open->label;
  channel.protocol = open->protocol;
  channel.type = open->channel_type;
  channel.reliability_parameter = open->reliability_parameter;
  channel.state = ChannelState::open;
  channels_.emplace(stream, std::move(channel));
  send_or_queue(stream, Ppid::dcep, SendPolicy{}, dcep_ack_message(), 0);
  listener_.on_channel_open(stream, open->label, open->protocol);
}

void SctpAssociation::on_notification(Bytes notification) {
  sctp_notification::sctp_tlv header{};
  if (notification.size() < sizeof header) return;
  std::memcpy(&header, notification.data(), sizeof header);
  switch (header.sn_type) {
  case SCTP_ASSOC_CHANGE: on_association_change(notification); break;
  case SCTP_STREAM_RESET_EVENT: on_stream_reset(notification); break;
  case SCTP_STREAM_CHANGE_EVENT: {
    sctp_stream_change_event change{};
    if (notification.size() < sizeof change) return;
    std::memcpy(&change, notification.data(), sizeof change);
    if (change.strchange_outstrms != 0) outgoing_streams_ = change.strchange_outstrms;
    break;
  }
  case SCTP_SENDER_DRY_EVENT: // everything acknowledged: after_usrsctp_call flushes our queue
  default: break;
  }
}

void SctpAssociation::on_association_change(Bytes notification) {
  sctp_assoc_change change{};
  if (notification.size() < sizeof change) return;
  std::memcpy(&change, notification.data(), sizeof change);
  switch (change.sac_state) {
  case SCTP_COMM_UP:
    if (connected_ || closed_) return;
    connected_ = true;
    outgoing_streams_ = change.sac_outbound_streams;
    listener_.on_sctp_connected();
    break;
  case SCTP_COMM_LOST: close_association("communication lost"); break;
  case SCTP_SHUTDOWN_COMP: close_association("shutdown"); break;
  case SCTP_CANT_STR_ASSOC: close_association("association could not be established"); break;
  // The peer lost its state: streams, sequence numbers and channels start over.
  case SCTP_RESTART: close_association("peer restarted"); break;
  default: break;
  }
}

void SctpAssociation::on_stream_reset(Bytes notification) {
  sctp_stream_reset_event event{};
  if (notification.size() < sizeof event) return;
  std::memcpy(&event, notification.data(), sizeof event);
  const std::size_t length = std::min<std::size_t>(event.strreset_length, notification.size());
  if (length < sizeof event) return;
  const std::size_t count = (length - sizeof event) / sizeof(std::uint16_t);
  std::vector<std::uint16_t> streams(count);
  if (count != 0) std::memcpy(streams.data(), notification.data() + sizeof event, count * 2);

  const bool failed =
      (event.strreset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)) != 0;
  for (const std::uint16_t stream : streams) {
    if (failed) {
      // The peer refused our request: stop tracking it rather than retrying forever.
      resets_in_flight_.erase(stream);
      continue;
    }
    if (event.strreset_flags & SCTP_STREAM_RESET_OUTGOING_SSN) resets_in_flight_.erase(stream);
    if (event.strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN) on_peer_reset(stream);
  }
}

void SctpAssociation::on_peer_reset(std::uint16_t stream) {
  reassembly_.erase(stream);
  auto it = channels_.find(stream);
  if (it == channels_.end()) return;
  // RFC 8831 §6.7: the peer closed its side; close ours (unless we started the close).
  if (it->second.state != ChannelState::closing) resets_to_request_.insert(stream);
  channels_.erase(it);
  drop_queued_messages(stream);
  listener_.on_channel_closed(stream);
}

// ---- sending ---------------------------------------------------------------------------------

std::optional<std::uint16_t> SctpAssociation::open_channel(const std::string& label,
                                                           const std::string& protocol) {
  if (closed_ || !socket_) return std::nullopt;
  DcepOpen open;
  open.channel_type = ChannelType::reliable;
  open.label = label;
  open.protocol = protocol;
  const auto message = serialize_dcep_open(open);
  if (!message) return std::nullopt;
  const auto stream = allocate_stream_id();
  if (!stream) return std::nullopt;
  Channel channel;
  channel.label = label;
  channel.protocol = protocol;
  channel.state = ChannelState::awaiting_ack;
  channels_.emplace(*stream, std::move(channel));
  if (!send_or_queue(*stream, Ppid::dcep, SendPolicy{}, *message, 0)) {
    channels_.erase(*stream);
    return std::nullopt;
  }
  return stream;
}

bool SctpAssociation::send(std::uint16_t id, Bytes data, bool binary) {
  if (closed_ || !socket_) return false;
  const auto it = channels_.find(id);
  if (it == channels_.end() || it->second.state == ChannelState::closing) return false;
  if (data.size() > max_send_size()) {
    ++stats_.send_failures;
    return false;
  }
  const SendPolicy policy = policy_for(it->second);
  if (data.empty()) {
    // SCTP cannot carry an empty message: one byte with the "empty" PPID (RFC 8831 §6.6).
    static constexpr std::uint8_t kPlaceholder[1] = {0};
    return send_or_queue(id, binary ? Ppid::binary_empty : Ppid::string_empty, policy,
                         Bytes(kPlaceholder, 1), 0);
  }
  return send_or_queue(id, binary ? Ppid::binary : Ppid::string, policy, data, data.size());
}

void SctpAssociation::close_channel(std::uint16_t id) {
  auto it = channels_.find(id);
  if (it == channels_.end() || it->second.state == ChannelState::closing || closed_) return;
  if (!connected_) {
    // Nothing reached the peer yet: forget the channel and whatever it queued.
    channels_.erase(it);
    drop_queued_messages(id);
    listener_.on_channel_closed(id);
    return;
  }
  it->second.state = ChannelState::closing;
  resets_to_request_.insert(id);
  flush_send_queue(); // requests the reset now if nothing of this channel waits in the queue
}

void SctpAssociation::shutdown() {
  if (closed_ || !socket_) return;
  if (!connected_) {
    close_socket();
    close_association("shutdown");
    return;
  }
  shutdown_requested_ = true;
  flush_send_queue();
}

void SctpAssociation::abort() {
  if (!socket_) return;
  // Still registered: the ABORT usrsctp_close (linger 0) produces reaches on_sctp_send.
  close_socket();
  close_association("aborted");
}

std::size_t SctpAssociation::buffered_amount(std::uint16_t id) const {
  const auto it = channels_.find(id);
  return it == channels_.end() ? 0 : it->second.queued_bytes;
}

SctpAssociation::SendPolicy SctpAssociation::policy_for(const Channel& channel) const {
  SendPolicy policy;
  policy.unordered = is_unordered(channel.type);
  switch (static_cast<ChannelType>(static_cast<std::uint8_t>(channel.type) & 0x7F)) {
  case ChannelType::partial_reliable_rexmit:
    policy.pr_policy = SCTP_PR_SCTP_RTX;
    policy.pr_value = channel.reliability_parameter;
    break;
  case ChannelType::partial_reliable_timed:
    policy.pr_policy = SCTP_PR_SCTP_TTL;
    policy.pr_value = channel.reliability_parameter;
    break;
  default: break;
  }
  return policy;
}

std::size_t SctpAssociation::max_send_size() const {
  const std::size_t buffer = static_cast<std::size_t>(kSocketBufferSize);
  if (config_.remote_max_message_size == 0) return buffer;
  return std::min(config_.remote_max_message_size, buffer);
}

bool SctpAssociation::send_or_queue(std::uint16_t stream, Ppid ppid, SendPolicy policy,
                                    Bytes payload, std::size_t user_bytes) {
  if (send_queue_.empty() && connected_ && !shutdown_requested_) {
    switch (try_send(stream, ppid, policy, payload)) {
    case SendResult::sent: ++stats_.messages_sent; return true;
    case SendResult::failed: ++stats_.send_failures; return false;
    case SendResult::would_block: break;
    }
  }
  if (shutdown_requested_ || send_queue_bytes_ + payload.size() > kMaxQueuedBytes) {
    ++stats_.send_failures;
    return false;
  }
  OutgoingMessage message;
  message.stream = stream;
  message.ppid = ppid;
  message.policy = policy;
  message.user_bytes = user_bytes;
  message.payload.assign(payload.begin(), payload.end());
  send_queue_bytes_ += message.payload.size();
  if (auto it = channels_.find(stream); it != channels_.end())
    it->second.queued_bytes += user_bytes;
  send_queue_.push_back(std::move(message));
  return true;
}

SctpAssociation::SendResult SctpAssociation::try_send(std::uint16_t stream, Ppid ppid,
                                                      const SendPolicy& policy, Bytes payload) {
  sctp_sendv_spa spa{};
  spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
  spa.sendv_sndinfo.snd_sid = stream;
  spa.sendv_sndinfo.snd_ppid = htonl(static_cast<std::uint32_t>(ppid));
  spa.sendv_sndinfo.snd_flags = policy.unordered ? SCTP_UNORDERED : 0;
  if (policy.pr_policy != SCTP_PR_SCTP_NONE) {
    spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
    spa.sendv_prinfo.pr_policy = policy.pr_policy;
    spa.sendv_prinfo.pr_value = policy.pr_value;
  }
  const ssize_t n = usrsctp_sendv(socket_.get(), payload.data(), payload.size(), nullptr, 0, &spa,
                                  sizeof spa, SCTP_SENDV_SPA, 0);
  if (n >= 0) return SendResult::sent;
  if (errno == EWOULDBLOCK || errno == EAGAIN) return SendResult::would_block;
  return SendResult::failed;
}

void SctpAssociation::flush_send_queue() {
  while (connected_ && !closed_ && socket_ && !send_queue_.empty()) {
    OutgoingMessage& message = send_queue_.front();
    const SendResult result =
        try_send(message.stream, message.ppid, message.policy, message.payload);
    if (result == SendResult::would_block) break; // resumed after the next SACK or tick
    if (result == SendResult::sent) {
      ++stats_.messages_sent;
    } else {
      ++stats_.send_failures;
    }
    if (auto it = channels_.find(message.stream); it != channels_.end()) {
      it->second.queued_bytes -= message.user_bytes;
    }
    send_queue_bytes_ -= message.payload.size();
    send_queue_.pop_front();
  }
  request_stream_resets();
  if (shutdown_requested_ && send_queue_.empty() && connected_ && !closed_ && socket_) {
    shutdown_requested_ = false;
    if (usrsctp_shutdown(socket_.get(), SHUT_WR) != 0) {
      close_socket();
      close_association("shutdown failed");
    }
  }
}

void SctpAssociation::drop_queued_messages(std::uint16_t stream) {
  std::erase_if(send_queue_, [&](const OutgoingMessage& message) {
    if (message.stream != stream) return false;
    send_queue_bytes_ -= message.payload.size();
    return true;
  });
  if (auto it = channels_.find(stream); it != channels_.end()) it->second.queued_bytes = 0;
}

void SctpAssociation::request_stream_resets() {
  if (!connected_ || closed_ || !socket_ || resets_to_request_.empty()) return;
  std::vector<std::uint16_t> ready;
  for (const std::uint16_t stream : resets_to_request_) {
    const bool queued = std::any_of(send_queue_.begin(), send_queue_.end(),
                                    [&](const OutgoingMessage& m) { return m.stream == stream; });
    if (!queued) ready.push_back(stream);
  }
  if (ready.empty()) return;
  const std::size_t header = offsetof(sctp_reset_streams, srs_stream_list);
  std::vector<std::uint8_t> request(header + ready.size() * sizeof(std::uint16_t));
  sctp_reset_streams fields{};
  fields.srs_assoc_id = SCTP_ALL_ASSOC;
  fields.srs_flags = SCTP_STREAM_RESET_OUTGOING;
  fields.srs_number_streams = static_cast<std::uint16_t>(ready.size());
  std::memcpy(request.data(), &fields, header);
  std::memcpy(request.data() + header, ready.data(), ready.size() * sizeof(std::uint16_t));
  if (usrsctp_setsockopt(socket_.get(), IPPROTO_SCTP, SCTP_RESET_STREAMS, request.data(),
                         static_cast<socklen_t>(request.size())) != 0) {
    // One reset request may be outstanding at a time: retry after the current one completes.
    if (errno == EALREADY || errno == EBUSY || errno == EINPROGRESS) return;
    log::warn("sctp_stream_reset_failed", {{"errno", errno}, {"streams", ready.size()}});
    for (const std::uint16_t stream : ready)
      resets_to_request_.erase(stream);
    return;
  }
  for (const std::uint16_t stream : ready) {
    resets_to_request_.erase(stream);
    resets_in_flight_.insert(stream);
  }
}

std::optional<std::uint16_t> SctpAssociation::allocate_stream_id() const {
  const std::uint32_t limit = std::min<std::uint32_t>(outgoing_streams_, kStreams);
  for (std::uint32_t id = config_.dtls_client ? 0 : 1; id < limit; id += 2) {
    const auto stream = static_cast<std::uint16_t>(id);
    if (channels_.count(stream) || resets_in_flight_.count(stream) ||
        resets_to_request_.count(stream)) {
      continue;
    }
    return stream;
  }
  return std::nullopt;
}

void SctpAssociation::close_socket() {
  socket_.reset();
}

void SctpAssociation::close_association(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  connected_ = false;
  shutdown_requested_ = false;
  send_queue_.clear();
  send_queue_bytes_ = 0;
  resets_to_request_.clear();
  resets_in_flight_.clear();
  reassembly_.clear();
  const std::map<std::uint16_t, Channel> channels = std::move(channels_);
  channels_.clear();
  for (const auto& entry : channels)
    listener_.on_channel_closed(entry.first);
  listener_.on_sctp_closed(reason);
}

} // namespace wab::sctp

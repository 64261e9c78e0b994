// wab-peer: our side of the interop tests (docs/INTEROP.md). It offers or answers one WebRTC leg
// through PeerTransport, speaks the JSON-lines signalling protocol on stdin/stdout, sends the
// pattern RTP packets and data-channel messages, and reports what arrived byte-identical.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/random.hpp"
#include "net/event_loop.hpp"
#include "net/interfaces.hpp"
#include "rtc/negotiation.hpp"
#include "rtc/peer_transport.hpp"
#include "rtp/rtp_packet.hpp"
#include "sdp/negotiation.hpp"
#include "sdp/offer_answer.hpp"
#include "sdp/parser.hpp"
#include "sdp/writer.hpp"
#include "tools/peer/pattern.hpp"

namespace wab::peer {
namespace {

using nlohmann::json;

struct Options {
  std::string role = "offer";      // offer | answer
  std::string profile = "generic"; // generic | openai | whatsapp
  std::string srtp = "any";        // any | gcm | cm
  std::string name = "wab-peer";
  std::string public_ip = "127.0.0.1";
  bool data = false;
  bool wrong_fingerprint = false; // fault test: corrupt the remote fingerprint we expect
};

void print_line(const json& line) {
  const std::string text = line.dump() + "\n";
  (void)!::write(STDOUT_FILENO, text.data(), text.size());
}

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "wab-peer: %s\n", message.c_str());
  std::exit(2);
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error("missing value for " + arg);
      return argv[++i];
    };
    if (arg == "--role")
      o.role = value();
    else if (arg == "--profile")
      o.profile = value();
    else if (arg == "--srtp")
      o.srtp = value();
    else if (arg == "--name")
      o.name = value();
    else if (arg == "--public-ip")
      o.public_ip = value();
    else if (arg == "--data")
      o.data = true;
    else if (arg == "--wrong-fingerprint")
      o.wrong_fingerprint = true;
    else
      usage_error("unknown option " + arg);
  }
  if (o.role != "offer" && o.role != "answer") usage_error("--role must be offer or answer");
  if (o.profile == "openai") o.data = true;
  return o;
}

class Peer : public rtc::PeerTransport::Listener {
public:
  Peer(Options options) : options_(std::move(options)) {
    rtc::TransportConfig config;
    if (options_.srtp == "gcm")
      config.srtp_profiles = dtls::SrtpProfileOffer::kGcmOnly;
    else if (options_.srtp == "cm")
      config.srtp_profiles = dtls::SrtpProfileOffer::kCmOnly;
    config.data_channel = options_.data || options_.role == "answer";
    auto ip = net::SocketAddress::parse(options_.public_ip, 0);
    if (!ip) usage_error("bad --public-ip");
    config.host_addresses.push_back(*ip);
    transport_ = std::make_unique<rtc::PeerTransport>(loop_, batch_, *this, config);
    ssrc_ = random_u32();
    seq_ = static_cast<std::uint16_t>(random_u32());
    timestamp_ = random_u32();
  }

  int run() {
    ::fcntl(STDIN_FILENO, F_SETFL, ::fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
    loop_.add_fd(STDIN_FILENO, [this] { read_stdin(); });
    if (options_.role == "offer") send_offer();
    loop_.run();
    return exit_code_;
  }

private:
  // --- signalling ---------------------------------------------------------------------------
  void send_offer() {
    auto local = rtc::local_parameters(*transport_, ssrc_, options_.name);
    sdp::OpenAiOfferOptions offer_options;
    offer_options.include_data_channel = options_.data;
    offer_ = sdp::offer_for_openai(local, offer_options);
    print_line({{"type", "offer"}, {"sdp", sdp::write(offer_)}});
  }

  void on_signal(const json& line) {
    const std::string type = line.value("type", "");
    try {
      if (type == "offer" && options_.role == "answer") {
        handle_offer(sdp::parse(line.at("sdp").get<std::string>()));
      } else if (type == "answer" && options_.role == "offer") {
        handle_answer(sdp::parse(line.at("sdp").get<std::string>()));
      } else if (type == "close") {
        finish();
      }
    } catch (const std::exception& e) {
      fail(std::string("signalling: ") + e.what());
    }
  }

  void handle_offer(const sdp::SessionDescription& offer) {
    auto local = rtc::local_parameters(*transport_, ssrc_, options_.name);
    const sdp::SessionDescription answer = options_.profile == "whatsapp"
                                               ? sdp::answer_whatsapp_offer(offer, local)
                                               : sdp::answer_generic_offer(offer, local);
    remember_payload_type(answer);
    print_line({{"type", "answer"}, {"sdp", sdp::write(answer)}});
    start(rtc::remote_parameters(offer, rtc::SdpSide::we_answered));
  }

  void handle_answer(const sdp::SessionDescription& answer) {
    remember_payload_type(answer);
    start(rtc::remote_parameters(answer, rtc::SdpSide::we_offered));
  }

  void remember_payload_type(const sdp::SessionDescription& sd) {
    if (auto opus = sdp::negotiated_opus(sd)) payload_type_ = opus->payload_type;
  }

  void start(rtc::RemoteParameters remote) {
    if (options_.wrong_fingerprint) {
      std::vector<std::uint8_t> digest(remote.fingerprint.digest().begin(),
                                       remote.fingerprint.digest().end());
      digest[0] ^= 0xff;
      remote.fingerprint = dtls::Fingerprint(remote.fingerprint.algorithm(), digest);
    }
    transport_->start(remote);
  }

  void read_stdin() {
    char buf[65536];
    for (;;) {
      const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n > 0) {
        stdin_buffer_.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0) { // the runner went away
        loop_.remove_fd(STDIN_FILENO);
        finish();
      }
      break;
    }
    std::size_t pos;
    while ((pos = stdin_buffer_.find('\n')) != std::string::npos) {
      const std::string line = stdin_buffer_.substr(0, pos);
      stdin_buffer_.erase(0, pos + 1);
      if (line.empty()) continue;
      auto parsed = json::parse(line, nullptr, false);
      if (!parsed.is_discarded() && parsed.is_object()) on_signal(parsed);
    }
  }

  // --- transport events -----------------------------------------------------------------------
  void on_transport_connected(rtc::PeerTransport& t) override {
    json event = {
        {"type", "event"},
        {"event", "connected"},
        {"ice_role", t.ice_role() == rtc::IceRole::controlling ? "controlling" : "controlled"}};
    if (auto profile = t.srtp_profile()) {
      event["srtp_profile"] = dtls::srtp_profile_name(*profile);
      event["srtp"] = *profile == dtls::SrtpProfile::kAeadAes128Gcm ? "gcm" : "cm";
    }
    if (auto remote = t.selected_remote()) event["remote"] = remote->to_string();
    print_line(event);
    if (options_.data && options_.role == "offer") {
      if (auto id = transport_->open_channel("oai-events")) channel_ = *id;
    }
    send_next_packet();
  }

  void on_transport_failed(rtc::PeerTransport&, const std::string& reason) override {
    fail(reason);
  }

  void on_transport_closed(rtc::PeerTransport&, const std::string& reason) override {
    print_line({{"type", "event"}, {"event", "closed"}, {"reason", reason}});
  }

  void on_rtp(rtc::PeerTransport&, MutableBytes packet, std::size_t, TimePoint) override {
    ++rtp_received_;
    auto view = rtp::RtpView::parse(packet);
    if (!view) return;
    if (auto index = match_rtp_pattern(view->payload())) valid_indices_.insert(*index);
    check_done();
  }

  void on_channel_open(rtc::PeerTransport&, std::uint16_t id, const std::string& label) override {
    channel_ = id;
    print_line({{"type", "event"}, {"event", "channel_open"}, {"label", label}});
    const std::string hello = "hello from " + options_.name;
    transport_->send_message(
        id, Bytes(reinterpret_cast<const std::uint8_t*>(hello.data()), hello.size()), false);
    const auto big = big_message();
    transport_->send_message(id, big, true);
  }

  void on_channel_message(rtc::PeerTransport&, std::uint16_t, Bytes data, bool binary) override {
    bool valid;
    if (binary) {
      valid = is_big_message(data);
    } else {
      const std::string text(data.begin(), data.end());
      valid = text.rfind("hello from ", 0) == 0;
    }
    messages_.push_back({{"binary", binary}, {"size", data.size()}, {"valid", valid}});
    check_done();
  }

  // --- media ------------------------------------------------------------------------------------
  void send_next_packet() {
    if (sent_ >= kPatternPackets || finished_) {
      check_done();
      return;
    }
    std::uint8_t buf[12 + kPatternPayloadSize + srtp::kMaxTrailer];
    buf[0] = 0x80;
    buf[1] = static_cast<std::uint8_t>(payload_type_ | (sent_ == 0 ? 0x80 : 0));
    store_be16(buf + 2, seq_++);
    store_be32(buf + 4, timestamp_);
    store_be32(buf + 8, ssrc_);
    timestamp_ += 960;
    fill_rtp_pattern(sent_, MutableBytes(buf + 12, kPatternPayloadSize));
    transport_->send_rtp(buf, 12 + kPatternPayloadSize, sizeof buf);
    ++sent_; // attempts: the receiver's count of valid payloads is what the test judges
    loop_.add_timer(loop_.now() + milliseconds(20), [this] { send_next_packet(); });
  }

  // Tells the runner early that everything this peer expects has happened.
  void check_done() {
    if (done_reported_ || sent_ < kPatternPackets || valid_indices_.size() < kPatternPackets)
      return;
    if (options_.data && messages_.size() < 2) return;
    done_reported_ = true;
    print_line({{"type", "event"}, {"event", "done"}});
  }

  void fail(const std::string& reason) {
    print_line({{"type", "event"}, {"event", "failed"}, {"reason", reason}});
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    print_line({{"type", "report"},
                {"name", options_.name},
                {"rtp_received", rtp_received_},
                {"rtp_valid", valid_indices_.size()},
                {"rtp_sent", sent_},
                {"messages", messages_}});
    transport_->close();
    loop_.stop();
  }

  Options options_;
  net::EventLoop loop_;
  net::ReceiveBatch batch_;
  std::unique_ptr<rtc::PeerTransport> transport_;
  sdp::SessionDescription offer_;
  std::string stdin_buffer_;
  std::uint8_t payload_type_ = 111;
  std::uint32_t ssrc_ = 0;
  std::uint16_t seq_ = 0;
  std::uint32_t timestamp_ = 0;
  std::size_t sent_ = 0;
  std::size_t rtp_received_ = 0;
  std::set<std::size_t> valid_indices_;
  json messages_ = json::array();
  std::optional<std::uint16_t> channel_;
  bool finished_ = false;
  bool done_reported_ = false;
  int exit_code_ = 0;
};

} // namespace
} // namespace wab::peer

int main(int argc, char** argv) {
  try {
    wab::peer::Peer peer(wab::peer::parse_options(argc, argv));
    return peer.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wab-peer: %s\n", e.what());
    return 1;
  }
}

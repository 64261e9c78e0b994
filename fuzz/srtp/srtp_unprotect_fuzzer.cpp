// Arbitrary bytes into SrtpSession. The first byte picks the profile and the path:
//   bit 0: AEAD_AES_128_GCM instead of AES_CM_128_HMAC_SHA1_80
//   bit 1: RTCP instead of RTP
//   bit 2: protect the input as a plain packet, then unprotect it and require the original back
//          (exercises the header parsing, ROC and replay state on both paths); otherwise
//          unprotect it as received.
#include "srtp/srtp_session.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace {

using namespace wab::srtp;

SrtpKeyingMaterial keys(SrtpProfile profile, bool mirrored) {
  SrtpKeyingMaterial m;
  m.profile = profile;
  for (std::size_t i = 0; i < m.local_key.size(); ++i) {
    m.local_key[i] = static_cast<std::uint8_t>(i);
    m.remote_key[i] = static_cast<std::uint8_t>(0x40 + i);
  }
  for (std::size_t i = 0; i < m.local_salt.size(); ++i) {
    m.local_salt[i] = static_cast<std::uint8_t>(0x80 + i);
    m.remote_salt[i] = static_cast<std::uint8_t>(0xc0 + i);
  }
  if (mirrored) {
    std::swap(m.local_key, m.remote_key);
    std::swap(m.local_salt, m.remote_salt);
  }
  return m;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > 4096) return 0;
  const std::uint8_t mode = data[0];
  const SrtpProfile profile =
      (mode & 1) ? SrtpProfile::kAeadAes128Gcm : SrtpProfile::kAes128CmSha1_80;
  const bool rtcp = mode & 2;
  const bool round_trip = mode & 4;

  std::vector<std::uint8_t> buf(size - 1 + kMaxTrailer);
  std::memcpy(buf.data(), data + 1, size - 1);
  std::size_t len = size - 1;

  // Sessions are built once so state carries across inputs (ROC, replay windows, SSRC slots).
  // The raw receivers take the inputs as received (seeds protected for them do authenticate).
  // The round trip has its own sender/receiver pair, whose state follows only what the sender
  // sent. A replay refusal there is expected (a repeated sequence number, or a jump by more than
  // half the sequence space, which RFC 3711's ROC estimate cannot follow and after which the two
  // ends' ROCs legitimately differ), so the pair then starts afresh; anything else is a bug.
  static SrtpSession receivers[2] = {SrtpSession(keys(SrtpProfile::kAes128CmSha1_80, false)),
                                     SrtpSession(keys(SrtpProfile::kAeadAes128Gcm, false))};
  static std::unique_ptr<SrtpSession> senders[2];
  static std::unique_ptr<SrtpSession> round_trip_receivers[2];
  const int index = profile == SrtpProfile::kAeadAes128Gcm ? 1 : 0;

  if (!round_trip) {
    SrtpSession& receiver = receivers[index];
    if (rtcp) {
      receiver.unprotect_rtcp(buf.data(), len);
    } else {
      receiver.unprotect_rtp(buf.data(), len);
    }
    return 0;
  }

  if (!senders[index]) {
    senders[index] = std::make_unique<SrtpSession>(keys(profile, true));
    round_trip_receivers[index] = std::make_unique<SrtpSession>(keys(profile, false));
  }
  SrtpSession& sender = *senders[index];
  SrtpSession& receiver = *round_trip_receivers[index];
  const bool ok = rtcp ? sender.protect_rtcp(buf.data(), len, buf.size())
                       : sender.protect_rtp(buf.data(), len, buf.size());
  if (!ok) return 0;
  const auto replays_before = receiver.counters().replays;
  const bool back =
      rtcp ? receiver.unprotect_rtcp(buf.data(), len) : receiver.unprotect_rtp(buf.data(), len);
  if (!back && receiver.counters().replays != replays_before) {
    senders[index].reset();
    return 0;
  }
  // Whatever we agreed to protect must come back identical.
  if (!back || len != size - 1 || std::memcmp(buf.data(), data + 1, len) != 0) std::abort();
  return 0;
}

// The packet path's no-allocation contract, checked where it could break: inside OpenSSL.
// OpenSSL's allocator hooks can only be set before its first allocation, so this is a binary of
// its own and installs them from a static initialiser, before main and before any session.
#include "srtp/srtp_session.hpp"

#include "srtp_test_util.hpp"

#include <openssl/crypto.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>

namespace wab::srtp {
namespace {

std::atomic<long> g_allocations{0};
std::atomic<bool> g_counting{false};

void* count_malloc(std::size_t n, const char*, int) {
  if (g_counting) ++g_allocations;
  return std::malloc(n);
}
void* count_realloc(void* p, std::size_t n, const char*, int) {
  if (g_counting) ++g_allocations;
  return std::realloc(p, n);
}
void count_free(void* p, const char*, int) {
  std::free(p);
}

const bool g_hooked = CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free) == 1;

class NoAllocation : public ::testing::TestWithParam<SrtpProfile> {};

TEST_P(NoAllocation, ProtectAndUnprotectRtpAndRtcp) {
  ASSERT_TRUE(g_hooked) << "OpenSSL allocated before the hooks were set";
  const auto keys = testing::make_key_pair(GetParam());
  SrtpSession a(keys.a);
  SrtpSession b(keys.b);
  std::vector<testing::Packet> rtp;
  std::vector<testing::Packet> rtcp;
  for (std::uint16_t i = 0; i < 200; ++i) {
    rtp.push_back(testing::make_rtp(static_cast<std::uint16_t>(65400 + i))); // across a wrap
    rtcp.push_back(testing::make_rtcp());
  }
  g_allocations = 0;
  g_counting = true;
  for (std::size_t i = 0; i < rtp.size(); ++i) {
    ASSERT_TRUE(a.protect_rtp(rtp[i].data(), rtp[i].len, rtp[i].buf.size()));
    ASSERT_TRUE(b.unprotect_rtp(rtp[i].data(), rtp[i].len));
    ASSERT_TRUE(a.protect_rtcp(rtcp[i].data(), rtcp[i].len, rtcp[i].buf.size()));
    ASSERT_TRUE(b.unprotect_rtcp(rtcp[i].data(), rtcp[i].len));
  }
  rtp[0].buf[20] ^= 1; // a failing packet too
  EXPECT_FALSE(b.unprotect_rtp(rtp[0].data(), rtp[0].len));
  g_counting = false;
  EXPECT_EQ(g_allocations.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(BothProfiles, NoAllocation,
                         ::testing::Values(SrtpProfile::kAes128CmSha1_80,
                                           SrtpProfile::kAeadAes128Gcm),
                         [](const auto& info) {
                           return info.param == SrtpProfile::kAeadAes128Gcm ? "Gcm" : "CmSha1";
                         });

} // namespace
} // namespace wab::srtp

#pragma once
// A redis-server of the test's own on a free loopback port, in a child process that is killed
// (by its pid) when the object goes. No persistence. Tests skip when the binary is missing,
// unless the build requires it (WAB_REQUIRE_REDIS): then they fail.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace wab::cluster::test {

// redis-server on PATH, or "".
inline std::string redis_server_binary() {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string candidate = dirs.substr(start, end - start) + "/redis-server";
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return {};
}

#ifdef WAB_REQUIRE_REDIS
inline constexpr bool kRedisRequired = true;
#else
inline constexpr bool kRedisRequired = false;
#endif

// For a fixture's SetUp: skips the test without redis-server, or fails it (the body then does
// not run) when the build requires one.
#define WAB_NEED_REDIS_SERVER()                                                                    \
  do {                                                                                             \
    if (::wab::cluster::test::redis_server_binary().empty()) {                                     \
      if (::wab::cluster::test::kRedisRequired)                                                    \
        FAIL() << "redis-server is not installed (required by WAB_REQUIRE_REDIS)";                 \
      GTEST_SKIP() << "redis-server is not installed";                                             \
    }                                                                                              \
  } while (false)

inline std::uint16_t free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class RedisServer {
public:
  explicit RedisServer(std::uint16_t port = free_tcp_port(), std::string password = {})
      : port_(port), password_(std::move(password)) {}
  ~RedisServer() { stop(); }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts and waits until it accepts connections; false if it did not within 10 s.
  bool start() {
    const std::string binary = redis_server_binary();
    if (binary.empty()) return false;
    std::vector<std::string> args = {
        binary,         "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no",     "--loglevel",          "warning"};
    if (!password_.empty()) {
      args.push_back("--requirepass");
      args.push_back(password_);
    }
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    // Its banner and warnings would bury the test's output.
    posix_spawn_file_actions_t quiet;
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
    const int spawned = ::posix_spawn(&pid_, binary.c_str(), &quiet, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&quiet);
    if (spawned != 0) {
      pid_ = -1;
      return false;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (accepting()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20)); // polling its start
    }
    return false;
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  std::uint16_t port() const { return port_; }
  std::string url() const {
    return "redis://" + (password_.empty() ? std::string() : ":" + password_ + "@") +
           "127.0.0.1:" + std::to_string(port_);
  }

private:
  bool accepting() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port_);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
  }

  std::uint16_t port_;
  std::string password_;
  pid_t pid_ = -1;
};

} // namespace wab::cluster::test

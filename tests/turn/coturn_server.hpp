#pragma once
// A real coturn `turnserver` on loopback for tests: long-term credentials, UDP and TCP on a port
// the kernel picked, loopback peers allowed. RAII: the process is killed (by its own pid) and
// reaped on destruction. Test-only.
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "net/socket_address.hpp"

namespace wab::turn::test {

// A free loopback port (UDP and TCP both free when we checked).
inline std::uint16_t free_loopback_port() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    const int u = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(u, reinterpret_cast<sockaddr*>(&a), &len);
    const int t = ::socket(AF_INET, SOCK_STREAM, 0);
    const bool tcp_free = ::bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(t);
    ::close(u);
    if (tcp_free) return ntohs(a.sin_port);
  }
  return 0;
}

inline bool turnserver_installed() {
  return std::system("command -v turnserver >/dev/null 2>&1") == 0;
}

class CoturnServer {
public:
  CoturnServer(const std::string& user, const std::string& password, const std::string& realm)
      : port_(free_loopback_port()) {
    dir_ = std::filesystem::temp_directory_path() /
           ("wab-coturn-" + std::to_string(::getpid()) + "-" + std::to_string(port_));
    std::filesystem::create_directories(dir_);
    const std::string port = std::to_string(port_);
    // Relay ports from a range next to the listening port keep parallel servers apart.
    const std::string user_arg = user + ":" + password;
    std::vector<std::string> args = {"turnserver",
                                     "-n",
                                     "--listening-ip=127.0.0.1",
                                     "--relay-ip=127.0.0.1",
                                     "--listening-port=" + port,
                                     "--lt-cred-mech",
                                     "--user=" + user_arg,
                                     "--realm=" + realm,
                                     "--no-tls",
                                     "--no-dtls",
                                     "--no-cli",
                                     "--allow-loopback-peers",
                                     "--userdb=" + (dir_ / "turndb").string(),
                                     "--pidfile=" + (dir_ / "turn.pid").string(),
                                     "--log-file=" + (dir_ / "turn.log").string(),
                                     "--simple-log"};
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execvp("turnserver", argv.data());
      ::_exit(127);
    }
  }
  ~CoturnServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  CoturnServer(const CoturnServer&) = delete;
  CoturnServer& operator=(const CoturnServer&) = delete;

  net::SocketAddress address() const { return *net::SocketAddress::parse("127.0.0.1", port_); }
  bool running() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }
  // A just-started coturn may not listen yet: a UDP check retransmits, a TCP one would be
  // refused. Waits (up to 5 s) until its TCP port accepts a connection.
  bool wait_until_listening() const {
    const net::SocketAddress at = address();
    for (int attempt = 0; attempt < 250; ++attempt) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_storage ss{};
      const socklen_t len = at.to_sockaddr(ss);
      const bool open = ::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0;
      ::close(fd);
      if (open) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

private:
  std::uint16_t port_;
  pid_t pid_ = -1;
  std::filesystem::path dir_;
};

} // namespace wab::turn::test

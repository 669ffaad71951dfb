#include "tools/lensctl/admin_client.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/hex.h"

namespace lens {
namespace {

constexpr int kTimeoutMs = 30000;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Connects to host:port; -1 with errno set on failure.
int Connect(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0) {
    errno = EHOSTUNREACH;
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    // Interrupted by a signal, the connection goes on; asking again tells
    // how it went (EISCONN: it is up).
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    while (rc != 0 && (errno == EINTR || errno == EALREADY)) {
      ::usleep(1000);
      rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    }
    if (rc == 0 || errno == EISCONN) break;
    int saved = errno;
    ::close(fd);
    fd = -1;
    errno = saved;
  }
  ::freeaddrinfo(res);
  return fd;
}

}  // namespace

std::string AdminResponse::error() const {
  if (body.is_object() && body.contains("error") && body["error"].is_object())
    return body["error"].value("message", "HTTP " + std::to_string(status));
  return "HTTP " + std::to_string(status);
}

absl::StatusOr<AdminClient> AdminClient::Discover(const std::string& data_dir,
                                                  const std::string& node_url,
                                                  const std::string& key_file) {
  std::string url = node_url, key_path = key_file;
  const std::string node_file = data_dir + "/node.json";
  if (url.empty() || key_path.empty()) {
    std::error_code ec;
    if (std::filesystem::exists(node_file, ec)) {
      Json node = Json::parse(ReadFile(node_file), nullptr, /*allow_exceptions=*/false);
      if (node.is_object()) {
        if (url.empty()) url = node.value("admin_url", "");
        if (key_path.empty()) key_path = node.value("admin_key_file", "");
      }
    }
  }
  if (url.empty()) return absl::NotFoundError("no node is running on " + data_dir);
  if (key_path.empty()) key_path = data_dir + "/secrets/admin.key";
  // http://HOST:PORT
  constexpr std::string_view kScheme = "http://";
  std::string_view rest(url);
  if (rest.substr(0, kScheme.size()) != kScheme)
    return absl::InvalidArgumentError("--node must look like http://HOST:PORT, not " + url);
  rest.remove_prefix(kScheme.size());
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos)
    return absl::InvalidArgumentError("--node must look like http://HOST:PORT, not " + url);
  std::string host(rest.substr(0, colon));
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  int port = std::atoi(std::string(rest.substr(colon + 1)).c_str());
  if (port <= 0 || port > 65535) return absl::InvalidArgumentError("bad port in " + url);

  int fd = Connect(host, port);
  if (fd < 0) {
    if (node_url.empty())  // a node.json left behind by a node that died
      return absl::NotFoundError("no node is running on " + data_dir + " (" + url +
                                 " does not answer)");
    return absl::UnavailableError("cannot connect to " + url + ": " + std::strerror(errno));
  }
  ::close(fd);
  std::string key = ReadFile(key_path);
  if (key.empty())
    return absl::PermissionDeniedError("cannot read the admin key " + key_path +
                                       " (run as the node's user, or pass --admin-key-file)");
  return AdminClient(url, host, port, HexEncode(key));
}

absl::StatusOr<AdminResponse> AdminClient::Call(const std::string& method, const std::string& path,
                                                const Json& body) const {
  int fd = Connect(host_, port_);
  if (fd < 0) return absl::UnavailableError("cannot connect to " + url_ + ": " + std::strerror(errno));
  std::string payload = body.is_null() ? "" : body.dump();
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: " + host_ +
                        "\r\nConnection: close\r\nAuthorization: Bearer " + key_ +
                        "\r\nContent-Type: application/json\r\nContent-Length: " +
                        std::to_string(payload.size()) + "\r\n\r\n" + payload;
  for (size_t sent = 0; sent < request.size();) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return absl::UnavailableError("sending to " + url_ + " failed");
    }
    sent += static_cast<size_t>(n);
  }
  std::string response;
  char buf[16384];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTimeoutMs);
  for (;;) {
    const int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          deadline - std::chrono::steady_clock::now())
                                          .count());
    pollfd p{fd, POLLIN, 0};
    const int ready = left > 0 ? ::poll(&p, 1, left) : 0;
    // A signal (Ctrl-C, which the caller handles after the call) is not a
    // timeout: wait on.
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      ::close(fd);
      return absl::DeadlineExceededError(url_ + " did not answer in time");
    }
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    response.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  size_t head_end = response.find("\r\n\r\n");
  if (response.compare(0, 9, "HTTP/1.1 ") != 0 || head_end == std::string::npos)
    return absl::UnavailableError("no HTTP response from " + url_);
  AdminResponse out;
  out.status = std::atoi(response.c_str() + 9);
  out.body = Json::parse(response.substr(head_end + 4), nullptr, /*allow_exceptions=*/false);
  if (out.body.is_discarded()) out.body = nullptr;
  return out;
}

}  // namespace lens

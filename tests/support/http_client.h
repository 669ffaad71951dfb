// HttpClient: a small blocking HTTP/1.1 client over a loopback socket, for
// end-to-end tests against the real lens binary. Keeps the connection alive
// between requests and reconnects when the server closed it. Also sends raw
// bytes, to test what a well-behaved client would never send.
#ifndef LENS_TESTS_SUPPORT_HTTP_CLIENT_H_
#define LENS_TESTS_SUPPORT_HTTP_CLIENT_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/json.h"

namespace lens::testing {

struct HttpResult {
  int status = 0;                              // 0: no response (connection failed or closed)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  Json json() const;  // discarded JSON when the body is not JSON
  std::string header(const std::string& lower_name) const;
  // The error code of a JSON error body ("" if none).
  std::string error_code() const;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class HttpClient {
 public:
  explicit HttpClient(uint16_t port, int timeout_ms = 15000)
      : port_(port), timeout_ms_(timeout_ms) {}
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResult Request(const std::string& method, const std::string& target,
                     const std::string& body = "", const Headers& headers = {});
  HttpResult Get(const std::string& target, const Headers& headers = {}) {
    return Request("GET", target, "", headers);
  }
  HttpResult Post(const std::string& target, const std::string& body, const Headers& headers = {}) {
    return Request("POST", target, body, headers);
  }
  // Sends `bytes` as they are on a fresh connection and reads one response.
  HttpResult Raw(const std::string& bytes);
  // True if the server closed the connection after the last response.
  bool closed() const { return fd_ < 0; }

 private:
  bool Connect();
  void Close();
  HttpResult ReadResponse(bool head_request);

  uint16_t port_;
  int timeout_ms_;
  int fd_ = -1;
  std::string buffer_;
};

// Authorization header for a token.
inline std::pair<std::string, std::string> Bearer(const std::string& token) {
  return {"Authorization", "Bearer " + token};
}

}  // namespace lens::testing

#endif  // LENS_TESTS_SUPPORT_HTTP_CLIENT_H_

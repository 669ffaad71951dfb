// AdminClient: lensctl's side of a running node's admin API (see
// server/admin_api.h). A blocking HTTP/1.1 client, one connection per call:
// lensctl makes a few calls a second at most.
#ifndef LENS_TOOLS_LENSCTL_ADMIN_CLIENT_H_
#define LENS_TOOLS_LENSCTL_ADMIN_CLIENT_H_

#include <string>

#include "absl/status/statusor.h"
#include "base/json.h"

namespace lens {

struct AdminResponse {
  int status = 0;
  Json body;  // null when the body is not JSON

  // The message of a JSON error body, or "HTTP <status>".
  std::string error() const;
};

class AdminClient {
 public:
  // The node serving `data_dir`, from `node_url` or, when empty, the
  // node.json a running node writes there; the key from `key_file` or the
  // file node.json names. NotFound when no node is running there (no
  // node.json, or nothing listens at its address any more).
  static absl::StatusOr<AdminClient> Discover(const std::string& data_dir,
                                              const std::string& node_url,
                                              const std::string& key_file);

  absl::StatusOr<AdminResponse> Call(const std::string& method, const std::string& path,
                                     const Json& body = nullptr) const;
  const std::string& url() const { return url_; }

 private:
  AdminClient(std::string url, std::string host, int port, std::string key)
      : url_(std::move(url)), host_(std::move(host)), port_(port), key_(std::move(key)) {}
  std::string url_, host_;
  int port_;
  std::string key_;  // hex
};

}  // namespace lens

#endif  // LENS_TOOLS_LENSCTL_ADMIN_CLIENT_H_

// Node: one lens process. Depending on its roles it runs the command side
// (command API, decision state), the read side (projections, query API),
// or both (`lens serve`), over one event log, behind one HTTP server.
//
// Start order: event log, stores, projectors, HTTP. Stop order is the
// reverse: stop accepting and finish in-flight requests (so every
// acknowledged command is in the log), stop the projectors, close the log,
// close the stores.
#ifndef LENS_SERVER_NODE_H_
#define LENS_SERVER_NODE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/json.h"
#include "server/node_options.h"

namespace lens {

class Node {
 public:
  explicit Node(NodeOptions options);
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node();

  absl::Status Start();
  void Stop();
  uint16_t port() const;
  std::string log_description() const;

 private:
  // A consistent backup of the live stores and log into `dir` (admin API).
  absl::StatusOr<Json> Backup(const std::string& dir);

  struct Parts;
  NodeOptions options_;
  std::unique_ptr<Parts> parts_;
  std::string node_file_;  // DATA/node.json while serving
};

}  // namespace lens

#endif  // LENS_SERVER_NODE_H_

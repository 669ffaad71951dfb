// PgSocial: one libpq connection to the peer's PostgreSQL with the
// statements of pg_schema.h prepared, and one method per thing the app's
// request handlers do with it. Every write is its own transaction and
// returns once committed (durable: the server runs synchronous_commit=on).
//
// Not thread-safe: a load thread owns one, as an app server's worker owns a
// pooled connection. Failures come back as absl::Status with libpq's
// message; a failed transaction is rolled back before returning.
#ifndef LENS_BENCH_PEERS_PG_SOCIAL_H_
#define LENS_BENCH_PEERS_PG_SOCIAL_H_

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lens::bench::peers {

// One hydrated item of a home-feed page, what lens's feed answers too.
struct FeedItem {
  int64_t id = 0;
  std::string author;  // username
  std::string caption;
  int64_t like_count = 0;
  int64_t comment_count = 0;
  bool liked = false;  // by the viewer
};

class PgSocial {
 public:
  // Drops and recreates the schema (pg_schema.h) over a connection of its own.
  static absl::Status CreateSchema(const std::string& conninfo);
  // Connects and prepares the statements; the schema must exist.
  static absl::StatusOr<std::unique_ptr<PgSocial>> Connect(const std::string& conninfo);
  ~PgSocial();
  PgSocial(const PgSocial&) = delete;
  PgSocial& operator=(const PgSocial&) = delete;

  // A new account; its id.
  absl::StatusOr<int64_t> Register(const std::string& username);
  // Following twice is a no-op.
  absl::Status Follow(int64_t follower, int64_t followee);
  // A new post; its id.
  absl::StatusOr<int64_t> Post(int64_t author, const std::string& caption);
  // The like and the post's like_count in one transaction; false (and no
  // count change) if the user had liked the post already.
  absl::StatusOr<bool> Like(int64_t user, int64_t post);
  // The comment and the post's comment_count in one transaction.
  absl::Status Comment(int64_t user, int64_t post, const std::string& text);
  // Everyone who follows `author`.
  absl::StatusOr<std::vector<int64_t>> Followers(int64_t author);
  // The pulled home feed: the newest `limit` posts of the viewer's followees
  // and the viewer's own, newest first.
  absl::StatusOr<std::vector<FeedItem>> PullFeed(int64_t viewer, int limit);
  // The posts `ids`, hydrated for `viewer`, in the order of `ids` (ids that
  // name no post are left out).
  absl::StatusOr<std::vector<FeedItem>> Hydrate(int64_t viewer, const std::vector<int64_t>& ids);

  // Runs `sql` as a simple query (several statements allowed).
  absl::Status Execute(const std::string& sql);
  // The server process serving this connection.
  int backend_pid() const { return PQbackendPID(conn_); }

 private:
  struct ResultDeleter {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  using Result = std::unique_ptr<PGresult, ResultDeleter>;

  explicit PgSocial(PGconn* conn) : conn_(conn) {}
  // Runs a prepared statement with text parameters.
  absl::StatusOr<Result> Run(const char* statement, const std::vector<std::string>& params);
  // Runs `body` between BEGIN and COMMIT, rolling back if it fails.
  template <typename Body>
  absl::Status InTransaction(Body body);

  PGconn* conn_;
};

}  // namespace lens::bench::peers

#endif  // LENS_BENCH_PEERS_PG_SOCIAL_H_

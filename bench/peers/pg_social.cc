#include "bench/peers/pg_social.h"

#include <cstdlib>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "bench/peers/pg_schema.h"

namespace lens::bench::peers {
namespace {

absl::Status ConnError(const std::string& what, PGconn* conn) {
  return absl::UnavailableError(absl::StrCat(what, ": ", PQerrorMessage(conn)));
}

int64_t Int(const PGresult* r, int row, int col) {
  return std::strtoll(PQgetvalue(r, row, col), nullptr, 10);
}

// The rows of pull_feed or hydrate.
std::vector<FeedItem> Items(const PGresult* r) {
  std::vector<FeedItem> items(PQntuples(r));
  for (int i = 0; i < PQntuples(r); ++i) {
    FeedItem& it = items[i];
    it.id = Int(r, i, 0);
    it.author = PQgetvalue(r, i, 1);
    it.caption = PQgetvalue(r, i, 2);
    it.like_count = Int(r, i, 3);
    it.comment_count = Int(r, i, 4);
    it.liked = PQgetvalue(r, i, 5)[0] == 't';
  }
  return items;
}

}  // namespace

absl::Status PgSocial::CreateSchema(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  PgSocial db(conn);  // closes it
  if (PQstatus(conn) != CONNECTION_OK) return ConnError("connect", conn);
  return db.Execute(kSchemaSql);
}

absl::StatusOr<std::unique_ptr<PgSocial>> PgSocial::Connect(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  std::unique_ptr<PgSocial> db(new PgSocial(conn));
  if (PQstatus(conn) != CONNECTION_OK) return ConnError("connect", conn);
  for (const Statement& s : kStatements) {
    Result r(PQprepare(conn, s.name, s.sql, 0, nullptr));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
      return absl::InternalError(absl::StrCat("prepare ", s.name, ": ", PQerrorMessage(conn)));
  }
  return db;
}

PgSocial::~PgSocial() { PQfinish(conn_); }

absl::Status PgSocial::Execute(const std::string& sql) {
  Result r(PQexec(conn_, sql.c_str()));
  const ExecStatusType s = PQresultStatus(r.get());
  if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) return ConnError(sql.substr(0, 40), conn_);
  return absl::OkStatus();
}

absl::StatusOr<PgSocial::Result> PgSocial::Run(const char* statement,
                                               const std::vector<std::string>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& p : params) values.push_back(p.c_str());
  Result r(PQexecPrepared(conn_, statement, static_cast<int>(values.size()), values.data(), nullptr,
                          nullptr, /*resultFormat=*/0));
  const ExecStatusType s = PQresultStatus(r.get());
  if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) return ConnError(statement, conn_);
  return r;
}

template <typename Body>
absl::Status PgSocial::InTransaction(Body body) {
  if (absl::Status s = Execute("BEGIN"); !s.ok()) return s;
  absl::Status s = body();
  if (!s.ok()) {
    Execute("ROLLBACK").IgnoreError();
    return s;
  }
  return Execute("COMMIT");
}

absl::StatusOr<int64_t> PgSocial::Register(const std::string& username) {
  absl::StatusOr<Result> r = Run("register", {username});
  if (!r.ok()) return r.status();
  return Int(r->get(), 0, 0);
}

absl::Status PgSocial::Follow(int64_t follower, int64_t followee) {
  return Run("follow", {std::to_string(follower), std::to_string(followee)}).status();
}

absl::StatusOr<int64_t> PgSocial::Post(int64_t author, const std::string& caption) {
  absl::StatusOr<Result> r = Run("post", {std::to_string(author), caption});
  if (!r.ok()) return r.status();
  return Int(r->get(), 0, 0);
}

absl::StatusOr<bool> PgSocial::Like(int64_t user, int64_t post) {
  const std::string p = std::to_string(post);
  bool inserted = false;
  absl::Status s = InTransaction([&]() -> absl::Status {
    absl::StatusOr<Result> r = Run("like_insert", {p, std::to_string(user)});
    if (!r.ok()) return r.status();
    inserted = std::string_view(PQcmdTuples(r->get())) == "1";
    // The counter moves only with a new like, as the app's handler would do.
    return inserted ? Run("like_count", {p}).status() : absl::OkStatus();
  });
  if (!s.ok()) return s;
  return inserted;
}

absl::Status PgSocial::Comment(int64_t user, int64_t post, const std::string& text) {
  const std::string p = std::to_string(post);
  return InTransaction([&]() -> absl::Status {
    if (absl::Status s = Run("comment_insert", {p, std::to_string(user), text}).status(); !s.ok())
      return s;
    return Run("comment_count", {p}).status();
  });
}

absl::StatusOr<std::vector<int64_t>> PgSocial::Followers(int64_t author) {
  absl::StatusOr<Result> r = Run("followers", {std::to_string(author)});
  if (!r.ok()) return r.status();
  std::vector<int64_t> ids(PQntuples(r->get()));
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = Int(r->get(), static_cast<int>(i), 0);
  return ids;
}

absl::StatusOr<std::vector<FeedItem>> PgSocial::PullFeed(int64_t viewer, int limit) {
  absl::StatusOr<Result> r = Run("pull_feed", {std::to_string(viewer), std::to_string(limit)});
  if (!r.ok()) return r.status();
  return Items(r->get());
}

absl::StatusOr<std::vector<FeedItem>> PgSocial::Hydrate(int64_t viewer,
                                                        const std::vector<int64_t>& ids) {
  if (ids.empty()) return std::vector<FeedItem>();
  std::string array = "{";
  for (size_t i = 0; i < ids.size(); ++i) absl::StrAppend(&array, i ? "," : "", ids[i]);
  array += "}";
  absl::StatusOr<Result> r = Run("hydrate", {std::to_string(viewer), array});
  if (!r.ok()) return r.status();
  std::vector<FeedItem> found = Items(r->get());
  std::unordered_map<int64_t, FeedItem*> by_id;
  for (FeedItem& it : found) by_id[it.id] = &it;
  std::vector<FeedItem> ordered;
  ordered.reserve(found.size());
  for (int64_t id : ids)
    if (auto it = by_id.find(id); it != by_id.end()) ordered.push_back(std::move(*it->second));
  return ordered;
}

}  // namespace lens::bench::peers

#include "commands/decision_state.h"

#include <tuple>
#include <utility>

#include "base/big_endian.h"
#include "base/status_macros.h"
#include "events/account_events.h"
#include "events/event_codec.h"
#include "projector/apply_context.h"
#include "store/rocksdb_status.h"

namespace lens {
namespace {

constexpr char kUsers[] = "users";
constexpr char kUsernames[] = "usernames";
constexpr char kEmails[] = "emails";
constexpr char kSessions[] = "sessions";
constexpr char kCommands[] = "commands";

// A command record is the big-endian time of its first event, which the
// store's expiry filter reads, then {"events": [...], "positions": [...]}.
// Records written before the prefix (a JSON object with "ts") still read.
std::string EncodeCommandRecord(int64_t ts_ms, const Json& rec) {
  std::string out = BigEndian64(static_cast<uint64_t>(ts_ms));
  out += DumpJson(rec);
  return out;
}

absl::StatusOr<std::pair<int64_t, Json>> ParseCommandRecord(std::string_view value) {
  if (!value.empty() && value.front() == '{') {
    ASSIGN_OR_RETURN(Json j, ParseJsonObject(value));
    const int64_t ts = j.value("ts", int64_t{0});
    return std::pair<int64_t, Json>(ts, std::move(j));
  }
  if (value.size() < 8) return absl::DataLossError("short command record");
  ASSIGN_OR_RETURN(Json j, ParseJsonObject(value.substr(8)));
  return std::pair<int64_t, Json>(static_cast<int64_t>(ReadBigEndian64(value)), std::move(j));
}

Json UserToJson(const UserRecord& u) {
  return Json{{"username", u.username},         {"email", u.email},
              {"display_name", u.display_name}, {"bio", u.bio},
              {"private", u.is_private},        {"password_hash", u.password_hash},
              {"created_at", u.created_at_ms},  {"valid_after", u.sessions_valid_after_ms}};
}

std::optional<UserRecord> UserFromJson(UserId id, std::string_view text) {
  auto j = ParseJsonObject(text);
  if (!j.ok()) return std::nullopt;
  UserRecord u;
  u.id = id;
  u.username = j->value("username", "");
  u.email = j->value("email", "");
  u.display_name = j->value("display_name", "");
  u.bio = j->value("bio", "");
  u.is_private = j->value("private", false);
  u.password_hash = j->value("password_hash", "");
  u.created_at_ms = j->value("created_at", int64_t{0});
  u.sessions_valid_after_ms = j->value("valid_after", int64_t{0});
  return u;
}

Json SessionToJson(const SessionRecord& s) {
  return Json{{"user", s.user_id.ToString()},
              {"iat", s.issued_at_ms},
              {"exp", s.expires_at_ms},
              {"revoked", s.revoked}};
}

std::optional<SessionRecord> SessionFromJson(SessionId id, std::string_view text) {
  auto j = ParseJsonObject(text);
  if (!j.ok()) return std::nullopt;
  auto user = UserId::Parse(j->value("user", ""));
  if (!user) return std::nullopt;
  SessionRecord s;
  s.id = id;
  s.user_id = *user;
  s.issued_at_ms = j->value("iat", int64_t{0});
  s.expires_at_ms = j->value("exp", int64_t{0});
  s.revoked = j->value("revoked", false);
  return s;
}

absl::Status Corrupt(const Event& e) {
  return absl::DataLossError("malformed " + e.type + " data in event " + e.id.ToString());
}

absl::StatusOr<std::optional<UserRecord>> LoadUser(ApplyContext& ctx, UserId id) {
  auto v = ctx.Get(kUsers, BigEndian64(id.value()));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::optional<UserRecord>();
  return UserFromJson(id, **v);
}

}  // namespace

std::map<std::string, int64_t> DecisionState::ExpiringFamiliesMs() {
  return {{kCommands, kCommandRecordRetentionMs}};
}

std::vector<std::string> DecisionState::HotCounterFamilies() { return {"post_counts"}; }

std::vector<std::string> DecisionState::ColumnFamilies() {
  return {kUsers,        kUsernames, kEmails,    kSessions, kCommands,  "posts",
          "post_counts", "likes",    "comments", "follows", "requests", "blocks",
          "conversations", "direct_pairs", "client_messages", "conversation_reads",
          "notification_reads"};
}

absl::Status DecisionState::Apply(const Event& e, const LogPosition& pos, ApplyContext& ctx) {
  if (e.type == kAccountRegistered) {
    auto d = AccountRegistered::FromJson(e.data);
    if (!d) return Corrupt(e);
    UserRecord u;
    u.id = d->user_id;
    u.username = d->username;
    u.email = d->email;
    u.display_name = d->display_name;
    u.password_hash = d->password_hash;
    u.created_at_ms = e.ts_ms;
    std::string id = BigEndian64(u.id.value());
    ctx.Put(kUsers, id, DumpJson(UserToJson(u)));
    // First registration wins a name: never repoint an index at a later one.
    auto existing = ctx.Get(kUsernames, u.username);
    if (!existing.ok()) return existing.status();
    if (!existing->has_value()) ctx.Put(kUsernames, u.username, id);
    existing = ctx.Get(kEmails, u.email);
    if (!existing.ok()) return existing.status();
    if (!existing->has_value()) ctx.Put(kEmails, u.email, id);
  } else if (e.type == kProfileUpdated) {
    auto d = ProfileUpdated::FromJson(e.data);
    if (!d) return Corrupt(e);
    auto u = LoadUser(ctx, d->user_id);
    if (!u.ok()) return u.status();
    if (u->has_value()) {
      UserRecord& r = **u;
      if (d->display_name) r.display_name = *d->display_name;
      if (d->bio) r.bio = *d->bio;
      if (d->is_private) r.is_private = *d->is_private;
      ctx.Put(kUsers, BigEndian64(r.id.value()), DumpJson(UserToJson(r)));
    }
  } else if (e.type == kPasswordChanged) {
    auto d = PasswordChanged::FromJson(e.data);
    if (!d) return Corrupt(e);
    auto u = LoadUser(ctx, d->user_id);
    if (!u.ok()) return u.status();
    if (u->has_value()) {
      UserRecord& r = **u;
      r.password_hash = d->password_hash;
      r.sessions_valid_after_ms = d->changed_at_ms;
      ctx.Put(kUsers, BigEndian64(r.id.value()), DumpJson(UserToJson(r)));
    }
  } else if (e.type == kSessionStarted) {
    auto d = SessionStarted::FromJson(e.data);
    if (!d) return Corrupt(e);
    SessionRecord s{d->session_id, d->user_id, d->issued_at_ms, d->expires_at_ms, false};
    ctx.Put(kSessions, BigEndian64(s.id.value()), DumpJson(SessionToJson(s)));
  } else if (e.type == kSessionRevoked) {
    auto d = SessionRevoked::FromJson(e.data);
    if (!d) return Corrupt(e);
    std::string key = BigEndian64(d->session_id.value());
    auto v = ctx.Get(kSessions, key);
    if (!v.ok()) return v.status();
    SessionRecord s{d->session_id, d->user_id, 0, 0, true};
    if (v->has_value())
      if (auto old = SessionFromJson(d->session_id, **v)) s = *old;
    s.revoked = true;
    ctx.Put(kSessions, key, DumpJson(SessionToJson(s)));
  } else if (IsMessageEvent(e.type)) {
    RETURN_IF_ERROR(ApplyMessages(e, ctx));
  } else {
    RETURN_IF_ERROR(ApplySocial(e, ctx));
  }

  // Remember what an idempotent command appended, so a retry can answer
  // from it instead of appending again.
  if (e.cmd.size() > kIdempotentCommandPrefix.size() &&
      std::string_view(e.cmd).substr(0, kIdempotentCommandPrefix.size()) ==
          kIdempotentCommandPrefix) {
    auto v = ctx.Get(kCommands, e.cmd);
    if (!v.ok()) return v.status();
    int64_t ts = e.ts_ms;
    Json rec = Json{{"events", Json::array()}, {"positions", Json::array()}};
    if (v->has_value()) {
      auto old = ParseCommandRecord(**v);
      if (old.ok()) std::tie(ts, rec) = std::move(*old);
    }
    rec["events"].push_back(EventToJson(e));
    rec["positions"].push_back(Json::array({pos.partition, pos.offset}));
    ctx.Put(kCommands, e.cmd, EncodeCommandRecord(ts, rec));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> DecisionState::Read(std::string_view cf,
                                                               std::string_view key) const {
  return store_->Get(cf, key);
}

absl::StatusOr<std::optional<UserRecord>> DecisionState::GetUser(UserId id) const {
  auto v = Read(kUsers, BigEndian64(id.value()));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::optional<UserRecord>();
  return UserFromJson(id, **v);
}

absl::StatusOr<std::optional<UserId>> DecisionState::FindByUsername(
    std::string_view username) const {
  auto v = Read(kUsernames, username);
  if (!v.ok()) return v.status();
  if (!v->has_value() || (*v)->size() != 8) return std::optional<UserId>();
  return std::optional<UserId>(UserId(ReadBigEndian64(**v)));
}

absl::StatusOr<std::optional<UserId>> DecisionState::FindByEmail(std::string_view email) const {
  auto v = Read(kEmails, email);
  if (!v.ok()) return v.status();
  if (!v->has_value() || (*v)->size() != 8) return std::optional<UserId>();
  return std::optional<UserId>(UserId(ReadBigEndian64(**v)));
}

absl::StatusOr<std::optional<SessionRecord>> DecisionState::GetSession(SessionId id) const {
  auto v = Read(kSessions, BigEndian64(id.value()));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::optional<SessionRecord>();
  return SessionFromJson(id, **v);
}

absl::StatusOr<std::optional<CommandRecord>> DecisionState::GetCommand(
    std::string_view cmd_id) const {
  auto v = Read(kCommands, cmd_id);
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::optional<CommandRecord>();
  auto parsed = ParseCommandRecord(**v);
  if (!parsed.ok()) return absl::DataLossError("corrupt command record");
  auto& [ts, j] = *parsed;
  CommandRecord rec;
  rec.ts_ms = ts;
  for (const Json& ej : j["events"]) {
    auto e = EventFromJson(ej);
    if (!e.ok()) return e.status();
    rec.events.push_back(std::move(*e));
  }
  for (const Json& pj : j["positions"])
    rec.token.Add({pj[0].get<uint32_t>(), pj[1].get<uint64_t>()});
  return std::optional<CommandRecord>(std::move(rec));
}

absl::StatusOr<bool> DecisionState::IsRevoked(const TokenClaims& claims) {
  auto s = GetSession(claims.session_id);
  if (!s.ok()) return s.status();
  if (s->has_value() && ((*s)->revoked || (*s)->user_id != claims.user_id)) return true;
  auto u = GetUser(claims.user_id);
  if (!u.ok()) return u.status();
  // Inclusive: a session issued in the very millisecond of the change is
  // ended too (the change's own new session is issued a millisecond later).
  if (u->has_value() && (*u)->sessions_valid_after_ms > 0 &&
      claims.issued_at_ms <= (*u)->sessions_valid_after_ms)
    return true;
  return false;
}

}  // namespace lens

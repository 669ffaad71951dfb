#include "commands/account_command_api.h"

#include "base/status_macros.h"
#include "base/text.h"
#include "base/time.h"
#include "commands/account_decider.h"
#include "commands/account_rules.h"
#include "commands/social_decider.h"
#include "events/account_events.h"
#include "http/request_fields.h"

namespace lens {
namespace {

// Runs a Do* function and renders its error, if any.
HttpResponse Render(const absl::StatusOr<HttpResponse>& r) {
  return r.ok() ? *r : HttpResponse::FromStatus(r.status());
}

HttpResponse WithToken(HttpResponse res, const CommandResult& result) {
  if (!result.token.empty()) res.headers.emplace_back("Consistency-Token", result.token.ToString());
  if (result.replayed) res.headers.emplace_back("Idempotent-Replayed", "true");
  return res;
}

const Event* FindEvent(const CommandResult& r, std::string_view type) {
  for (const Event& e : r.events)
    if (e.type == type) return &e;
  return nullptr;
}

}  // namespace

Json SelfAccountJson(const UserRecord& u) {
  return Json{{"id", u.id.ToString()},
              {"username", u.username},
              {"display_name", u.display_name},
              {"bio", u.bio},
              {"private", u.is_private},
              {"email", u.email},
              {"created_at", FormatIsoMillis(u.created_at_ms)}};
}

AccountCommandApi::AccountCommandApi(CommandBus* bus, DecisionState* state, IdGenerator* ids,
                                     const PasswordHasher* hasher, const TokenSigner* signer,
                                     const Authenticator* auth, AccountCommandOptions options)
    : bus_(bus),
      state_(state),
      ids_(ids),
      hasher_(hasher),
      signer_(signer),
      auth_(auth),
      options_(options),
      throttle_(options.login_max_failures, options.login_failure_window_ms) {}

void AccountCommandApi::RegisterRoutes(Router* router) {
  router->Add("POST", "/api/v1/accounts", [this](HttpRequest& r) { return Register(r); });
  router->Add("POST", "/api/v1/sessions", [this](HttpRequest& r) { return Login(r); });
  router->Add("DELETE", "/api/v1/sessions/current", [this](HttpRequest& r) { return Logout(r); });
  router->Add("PATCH", "/api/v1/accounts/me", [this](HttpRequest& r) { return UpdateProfile(r); });
  router->Add("POST", "/api/v1/accounts/me/password",
              [this](HttpRequest& r) { return ChangePassword(r); });
}

HttpResponse AccountCommandApi::Register(HttpRequest& req) { return Render(DoRegister(req)); }
HttpResponse AccountCommandApi::Login(HttpRequest& req) { return Render(DoLogin(req)); }
HttpResponse AccountCommandApi::Logout(HttpRequest& req) { return Render(DoLogout(req)); }
HttpResponse AccountCommandApi::UpdateProfile(HttpRequest& req) {
  return Render(DoUpdateProfile(req));
}
HttpResponse AccountCommandApi::ChangePassword(HttpRequest& req) {
  return Render(DoChangePassword(req));
}

absl::StatusOr<HttpResponse> AccountCommandApi::DoRegister(HttpRequest& req) {
  ASSIGN_OR_RETURN(Json body,
                   ParseRequestObject(req.body, {"username", "email", "password", "display_name"}));
  ASSIGN_OR_RETURN(std::string raw_username, RequiredString(body, "username", {.max_chars = 64}));
  ASSIGN_OR_RETURN(std::string username, CanonicalUsername(raw_username));
  ASSIGN_OR_RETURN(std::string raw_email, RequiredString(body, "email", {.max_chars = kEmailMax}));
  ASSIGN_OR_RETURN(std::string email, CanonicalEmail(raw_email));
  ASSIGN_OR_RETURN(std::string password,
                   RequiredString(body, "password", {.max_chars = kPasswordMax}));
  RETURN_IF_ERROR(CheckPassword(password, username, email));
  ASSIGN_OR_RETURN(std::optional<std::string> display_name,
                   OptionalString(body, "display_name", kDisplayNameRule));

  // A retry of a registration is recognised by its key and its username.
  ASSIGN_OR_RETURN(std::string cmd_id,
                   CommandBus::CommandIdFor("anon:" + username, req.method, req.path,
                                            req.Header("idempotency-key"), req.request_id));
  ASSIGN_OR_RETURN(auto earlier, state_->GetCommand(cmd_id));
  if (!earlier.has_value()) {
    // Cheap early refusal before paying for the password hash; the
    // decision under the lock below is the one that counts.
    ASSIGN_OR_RETURN(auto by_name, state_->FindByUsername(username));
    if (by_name)
      return ApiError(absl::StatusCode::kAlreadyExists, "username_taken",
                      "this username is already taken", "username");
    ASSIGN_OR_RETURN(auto by_email, state_->FindByEmail(email));
    if (by_email)
      return ApiError(absl::StatusCode::kAlreadyExists, "email_taken",
                      "an account with this email already exists", "email");
  }

  std::string hash;
  if (!earlier.has_value()) {
    ASSIGN_OR_RETURN(hash, hasher_->Hash(password));
  }
  RegisterAccount cmd{UserId(ids_->Next()), username, email, display_name.value_or(username), hash};
  CommandContext ctx{"register", cmd_id, cmd.new_user_id.ToString()};
  ASSIGN_OR_RETURN(
      CommandResult result,
      bus_->Execute(ctx, {.exclusive = {"username:" + username, "email:" + email}}, [&]() {
        auto by_name = state_->FindByUsername(username);
        auto by_email = state_->FindByEmail(email);
        if (!by_name.ok()) return absl::StatusOr<std::vector<Event>>(by_name.status());
        if (!by_email.ok()) return absl::StatusOr<std::vector<Event>>(by_email.status());
        return DecideRegister(cmd, by_name->has_value(), by_email->has_value());
      }));
  const Event* e = FindEvent(result, kAccountRegistered);
  if (e == nullptr) return absl::InternalError("register appended no AccountRegistered");
  auto reg = AccountRegistered::FromJson(e->data);
  if (!reg) return absl::InternalError("malformed AccountRegistered");
  UserRecord u;
  u.id = reg->user_id;
  u.username = reg->username;
  u.email = reg->email;
  u.display_name = reg->display_name;
  u.created_at_ms = e->ts_ms;
  Json account = SelfAccountJson(u);
  account["followers_count"] = 0;
  account["following_count"] = 0;
  account["posts_count"] = 0;
  HttpResponse res = HttpResponse::JsonBody(201, account);
  res.headers.emplace_back("Location", "/api/v1/accounts/" + u.id.ToString());
  return WithToken(std::move(res), result);
}

absl::StatusOr<HttpResponse> AccountCommandApi::SessionResponse(int status,
                                                                const CommandResult& result) {
  const Event* e = FindEvent(result, kSessionStarted);
  if (e == nullptr) return absl::InternalError("no SessionStarted appended");
  auto s = SessionStarted::FromJson(e->data);
  if (!s) return absl::InternalError("malformed SessionStarted");
  // The token is a pure function of the event, so a replayed login answers
  // with the very token the first attempt issued.
  std::string token = signer_->Sign({s->user_id, s->session_id, s->issued_at_ms, s->expires_at_ms});
  ASSIGN_OR_RETURN(auto user, state_->GetUser(s->user_id));
  if (!user) return absl::InternalError("session for an unknown account");
  Json body{{"token", token},
            {"token_type", "Bearer"},
            {"expires_at", FormatIsoMillis(s->expires_at_ms)},
            {"account", SelfAccountJson(*user)}};
  return WithToken(HttpResponse::JsonBody(status, body), result);
}

absl::StatusOr<HttpResponse> AccountCommandApi::DoLogin(HttpRequest& req) {
  ASSIGN_OR_RETURN(Json body,
                   ParseRequestObject(req.body, {"username", "email", "login", "password"}));
  ASSIGN_OR_RETURN(auto username, OptionalString(body, "username", {.max_chars = 64}));
  ASSIGN_OR_RETURN(auto email, OptionalString(body, "email", {.max_chars = kEmailMax}));
  ASSIGN_OR_RETURN(auto login, OptionalString(body, "login", {.max_chars = kEmailMax}));
  ASSIGN_OR_RETURN(std::string password,
                   RequiredString(body, "password", {.max_chars = kPasswordMax}));
  int given = username.has_value() + email.has_value() + login.has_value();
  if (given != 1)
    return ApiError(absl::StatusCode::kInvalidArgument, "missing_field",
                    "give exactly one of 'username', 'email' or 'login'", "username");
  std::string who = AsciiLower(username ? *username : email ? *email : *login);
  bool is_email = email.has_value() || (login.has_value() && who.find('@') != std::string::npos);

  const int64_t now = NowMillis();
  if (int64_t wait = throttle_.RetryAfterMs(who, now); wait > 0) {
    HttpResponse res =
        HttpResponse::Error(429, "too_many_attempts", "too many failed logins; try again later");
    res.headers.emplace_back("Retry-After", std::to_string((wait + 999) / 1000));
    return res;
  }
  ASSIGN_OR_RETURN(auto id, is_email ? state_->FindByEmail(who) : state_->FindByUsername(who));
  std::optional<UserRecord> user;
  if (id) {
    ASSIGN_OR_RETURN(user, state_->GetUser(*id));
  }
  if (!user || !hasher_->Verify(user->password_hash, password)) {
    if (!user) hasher_->VerifyDummy(password);
    throttle_.RecordFailure(who, now);
    return ApiError(absl::StatusCode::kUnauthenticated, "invalid_credentials",
                    "wrong username, email or password");
  }
  throttle_.RecordSuccess(who);

  ASSIGN_OR_RETURN(std::string cmd_id,
                   CommandBus::CommandIdFor(user->id.ToString(), req.method, req.path,
                                            req.Header("idempotency-key"), req.request_id));
  StartSession cmd{user->id, SessionId(ids_->Next()), now, options_.session_ttl_ms};
  CommandContext ctx{"login", cmd_id, user->id.ToString()};
  ASSIGN_OR_RETURN(CommandResult result,
                   bus_->Execute(ctx, {.exclusive = {"user:" + user->id.ToString()}}, [&]() {
                     auto u = state_->GetUser(user->id);
                     if (!u.ok()) return absl::StatusOr<std::vector<Event>>(u.status());
                     return DecideStartSession(cmd, *u);
                   }));
  return SessionResponse(201, result);
}

absl::StatusOr<HttpResponse> AccountCommandApi::DoLogout(HttpRequest& req) {
  ASSIGN_OR_RETURN(TokenClaims claims,
                   auth_->Authenticate(req.Header("authorization"), NowMillis()));
  ASSIGN_OR_RETURN(std::string cmd_id,
                   CommandBus::CommandIdFor(claims.user_id.ToString(), req.method, req.path,
                                            req.Header("idempotency-key"), req.request_id));
  CommandContext ctx{"logout", cmd_id, claims.user_id.ToString()};
  ASSIGN_OR_RETURN(CommandResult result,
                   bus_->Execute(ctx, {.exclusive = {"user:" + claims.user_id.ToString()}}, [&]() {
                     auto s = state_->GetSession(claims.session_id);
                     if (!s.ok()) return absl::StatusOr<std::vector<Event>>(s.status());
                     return DecideRevokeSession(claims.user_id, claims.session_id, *s);
                   }));
  HttpResponse res;
  res.status = 204;
  res.content_type = "application/json";
  return WithToken(std::move(res), result);
}

absl::StatusOr<HttpResponse> AccountCommandApi::DoUpdateProfile(HttpRequest& req) {
  ASSIGN_OR_RETURN(TokenClaims claims,
                   auth_->Authenticate(req.Header("authorization"), NowMillis()));
  ASSIGN_OR_RETURN(Json body, ParseRequestObject(req.body, {"display_name", "bio", "private"}));
  lens::UpdateProfile cmd;
  cmd.user_id = claims.user_id;
  ASSIGN_OR_RETURN(cmd.display_name, OptionalString(body, "display_name", kDisplayNameRule));
  ASSIGN_OR_RETURN(cmd.bio, OptionalString(body, "bio", kBioRule));
  ASSIGN_OR_RETURN(cmd.is_private, OptionalBool(body, "private"));
  if (!cmd.display_name && !cmd.bio && !cmd.is_private)
    return ApiError(absl::StatusCode::kInvalidArgument, "empty_update",
                    "give at least one of 'display_name', 'bio' or 'private'");
  ASSIGN_OR_RETURN(std::string cmd_id,
                   CommandBus::CommandIdFor(claims.user_id.ToString(), req.method, req.path,
                                            req.Header("idempotency-key"), req.request_id));
  CommandContext ctx{"update_profile", cmd_id, claims.user_id.ToString()};
  ASSIGN_OR_RETURN(CommandResult result,
                   bus_->Execute(ctx, {.exclusive = {"user:" + claims.user_id.ToString()}}, [&]() {
                     auto u = state_->GetUser(claims.user_id);
                     if (!u.ok()) return absl::StatusOr<std::vector<Event>>(u.status());
                     auto events = DecideUpdateProfile(cmd, *u);
                     // Going public approves everyone who asked to follow.
                     if (events.ok() && *u && (*u)->is_private && cmd.is_private == false) {
                       auto pending = state_->PendingRequests(claims.user_id);
                       if (!pending.ok())
                         return absl::StatusOr<std::vector<Event>>(pending.status());
                       for (Event& e : ApproveAll(claims.user_id, *pending))
                         events->push_back(std::move(e));
                     }
                     return events;
                   }));
  ASSIGN_OR_RETURN(auto user, state_->GetUser(claims.user_id));
  if (!user) return ApiError(absl::StatusCode::kNotFound, "account_not_found", "no such account");
  return WithToken(HttpResponse::JsonBody(200, SelfAccountJson(*user)), result);
}

absl::StatusOr<HttpResponse> AccountCommandApi::DoChangePassword(HttpRequest& req) {
  ASSIGN_OR_RETURN(TokenClaims claims,
                   auth_->Authenticate(req.Header("authorization"), NowMillis()));
  ASSIGN_OR_RETURN(Json body, ParseRequestObject(req.body, {"current_password", "new_password"}));
  ASSIGN_OR_RETURN(std::string current,
                   RequiredString(body, "current_password", {.max_chars = kPasswordMax}));
  ASSIGN_OR_RETURN(std::string next,
                   RequiredString(body, "new_password", {.max_chars = kPasswordMax}));
  ASSIGN_OR_RETURN(std::string cmd_id,
                   CommandBus::CommandIdFor(claims.user_id.ToString(), req.method, req.path,
                                            req.Header("idempotency-key"), req.request_id));
  ASSIGN_OR_RETURN(auto earlier, state_->GetCommand(cmd_id));
  if (earlier.has_value()) {
    return SessionResponse(200, CommandResult{earlier->events, earlier->token, true});
  }
  ASSIGN_OR_RETURN(auto user, state_->GetUser(claims.user_id));
  if (!user) return ApiError(absl::StatusCode::kNotFound, "account_not_found", "no such account");
  if (!hasher_->Verify(user->password_hash, current))
    return ApiError(absl::StatusCode::kPermissionDenied, "wrong_password",
                    "the current password is wrong", "current_password");
  {
    absl::Status s = CheckPassword(next, user->username, user->email);
    if (!s.ok())
      return ApiError(s.code(), "weak_password", std::string(s.message()), "new_password");
  }
  ASSIGN_OR_RETURN(std::string hash, hasher_->Hash(next));
  const int64_t now = NowMillis();
  lens::ChangePassword cmd{claims.user_id, hash, now};
  // The caller's new session starts just after the change, so that it
  // outlives it while every session issued up to the change ends.
  StartSession session{claims.user_id, SessionId(ids_->Next()), now + 1, options_.session_ttl_ms};
  CommandContext ctx{"change_password", cmd_id, claims.user_id.ToString()};
  ASSIGN_OR_RETURN(CommandResult result,
                   bus_->Execute(ctx, {.exclusive = {"user:" + claims.user_id.ToString()}}, [&]() {
                     auto u = state_->GetUser(claims.user_id);
                     if (!u.ok()) return absl::StatusOr<std::vector<Event>>(u.status());
                     auto changed = DecideChangePassword(cmd, *u);
                     if (!changed.ok()) return changed;
                     // The caller keeps a session: the new one, issued at the
                     // change, outlives it; every older one ends.
                     auto started = DecideStartSession(session, *u);
                     if (!started.ok()) return started;
                     changed->insert(changed->end(), started->begin(), started->end());
                     return changed;
                   }));
  return SessionResponse(200, result);
}

}  // namespace lens

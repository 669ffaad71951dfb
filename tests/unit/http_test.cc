// Unit tests of http/ pure parts: the router, the Status → HTTP error
// mapping and the request-field readers.
#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http/http_message.h"
#include "http/request_fields.h"
#include "http/router.h"

namespace lens {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;

Json BodyOf(const HttpResponse& r) {
  Json j = Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << r.body;
  return j;
}

HttpRequest Request(std::string method, std::string path) {
  HttpRequest req;
  req.method = std::move(method);
  req.path = path;
  req.target = std::move(path);
  return req;
}

// A handler that answers with the route name it was registered under, so a
// test can tell which route a request reached.
HttpHandler Named(std::string name) {
  return [name](HttpRequest&) { return HttpResponse::Text(200, name); };
}

// ------------------------------------------------------------------ Router

TEST(RouterTest, LiteralSegmentBeatsParameterWhateverTheOrderOfAdding) {
  for (bool literal_first : {false, true}) {
    Router r;
    if (literal_first) r.Add("GET", "/api/v1/accounts/lookup", Named("lookup"));
    r.Add("GET", "/api/v1/accounts/{id}", Named("by_id"));
    if (!literal_first) r.Add("GET", "/api/v1/accounts/lookup", Named("lookup"));

    HttpRequest lookup = Request("GET", "/api/v1/accounts/lookup");
    EXPECT_EQ(r.Dispatch(lookup).body, "lookup");
    EXPECT_THAT(lookup.path_params, IsEmpty());
    EXPECT_EQ(lookup.route, "/api/v1/accounts/lookup");

    HttpRequest by_id = Request("GET", "/api/v1/accounts/123");
    EXPECT_EQ(r.Dispatch(by_id).body, "by_id");
    EXPECT_THAT(by_id.path_params, ElementsAre("123"));
    EXPECT_EQ(by_id.route, "/api/v1/accounts/{id}");
  }
}

TEST(RouterTest, ExtractsParametersInPathOrder) {
  Router r;
  r.Add("POST", "/api/v1/accounts/{id}/follow", Named("follow"));
  r.Add("GET", "/api/v1/a/{x}/b/{y}", Named("two"));
  HttpRequest follow = Request("POST", "/api/v1/accounts/7291800000000/follow");
  EXPECT_EQ(r.Dispatch(follow).body, "follow");
  EXPECT_THAT(follow.path_params, ElementsAre("7291800000000"));
  HttpRequest two = Request("GET", "/api/v1/a/first/b/second");
  EXPECT_EQ(r.Dispatch(two).body, "two");
  EXPECT_THAT(two.path_params, ElementsAre("first", "second"));
}

TEST(RouterTest, HandlerSeesTheFilledRequestAndItsResponseIsReturned) {
  Router r;
  r.Add("DELETE", "/api/v1/posts/{id}", [](HttpRequest& req) {
    return HttpResponse::JsonBody(202, Json{{"id", req.path_params.at(0)}, {"route", req.route}});
  });
  HttpRequest req = Request("DELETE", "/api/v1/posts/55");
  HttpResponse res = r.Dispatch(req);
  EXPECT_EQ(res.status, 202);
  EXPECT_EQ(res.content_type, "application/json");
  EXPECT_EQ(BodyOf(res), (Json{{"id", "55"}, {"route", "/api/v1/posts/{id}"}}));
}

TEST(RouterTest, UnknownPathIs404JsonError) {
  Router r;
  r.Add("GET", "/api/v1/feed", Named("feed"));
  for (const char* path : {"/api/v1/nope", "/api/v1", "/api/v1/feed/extra", "/"}) {
    HttpRequest req = Request("GET", path);
    HttpResponse res = r.Dispatch(req);
    EXPECT_EQ(res.status, 404) << path;
    EXPECT_EQ(res.content_type, "application/json");
    Json body = BodyOf(res);
    EXPECT_EQ(body["error"]["code"], "not_found");
    EXPECT_TRUE(body["error"]["message"].is_string());
    EXPECT_FALSE(body["error"].contains("field"));
    EXPECT_EQ(req.route, "");
    EXPECT_EQ(r.RouteOf(req), "unmatched");
  }
}

TEST(RouterTest, KnownPathWithOtherMethodIs405WithAllow) {
  Router r;
  r.Add("POST", "/api/v1/posts/{id}/like", Named("like"));
  r.Add("DELETE", "/api/v1/posts/{id}/like", Named("unlike"));
  r.Add("GET", "/api/v1/posts/{id}/likes", Named("likes"));
  HttpRequest req = Request("PUT", "/api/v1/posts/9/like");
  HttpResponse res = r.Dispatch(req);
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(BodyOf(res)["error"]["code"], "method_not_allowed");
  EXPECT_THAT(res.headers, ElementsAre(Pair("Allow", "POST, DELETE")));
  EXPECT_EQ(r.RouteOf(req), "unmatched");
}

TEST(RouterTest, AllowListsEachMethodOnceAcrossMatchingPatterns) {
  Router r;
  r.Add("GET", "/accounts/lookup", Named("lookup"));
  r.Add("GET", "/accounts/{id}", Named("by_id"));
  HttpRequest req = Request("POST", "/accounts/lookup");
  HttpResponse res = r.Dispatch(req);
  EXPECT_EQ(res.status, 405);
  EXPECT_THAT(res.headers, ElementsAre(Pair("Allow", "GET")));
}

TEST(RouterTest, MethodsAreCaseSensitiveAndHeadIsNotImpliedByGet) {
  Router r;
  r.Add("GET", "/healthz", Named("health"));
  HttpRequest lower = Request("get", "/healthz");
  EXPECT_EQ(r.Dispatch(lower).status, 405);
  HttpRequest head = Request("HEAD", "/healthz");
  EXPECT_EQ(r.Dispatch(head).status, 405);  // HEAD needs its own route
}

// A path segment that a literal route rejects for this method may still
// reach a parameter route that accepts the method.
TEST(RouterTest, LiteralWithOtherMethodFallsThroughToParameterRoute) {
  Router r;
  r.Add("GET", "/accounts/lookup", Named("lookup"));
  r.Add("PATCH", "/accounts/{id}", Named("patch"));
  HttpRequest req = Request("PATCH", "/accounts/lookup");
  EXPECT_EQ(r.Dispatch(req).body, "patch");
  EXPECT_THAT(req.path_params, ElementsAre("lookup"));
}

// Documented behaviour: empty segments are ignored, so a trailing slash or a
// doubled slash reaches the same route as the clean path.
TEST(RouterTest, TrailingAndDoubledSlashesAreIgnored) {
  Router r;
  r.Add("GET", "/api/v1/accounts/{id}", Named("by_id"));
  for (const char* path : {"/api/v1/accounts/5/", "//api/v1//accounts/5", "api/v1/accounts/5",
                           "/api/v1/accounts/5//"}) {
    HttpRequest req = Request("GET", path);
    EXPECT_EQ(r.Dispatch(req).body, "by_id") << path;
    EXPECT_THAT(req.path_params, ElementsAre("5")) << path;
  }
}

TEST(RouterTest, AnEmptySegmentNeverBindsAParameter) {
  Router r;
  r.Add("POST", "/accounts/{id}/follow", Named("follow"));
  HttpRequest req = Request("POST", "/accounts//follow");
  EXPECT_EQ(r.Dispatch(req).status, 404);
}

TEST(RouterTest, RootRouteMatchesSlashAndEmptyPath) {
  Router r;
  r.Add("GET", "/", Named("root"));
  HttpRequest slash = Request("GET", "/");
  EXPECT_EQ(r.Dispatch(slash).body, "root");
  HttpRequest empty = Request("GET", "");
  EXPECT_EQ(r.Dispatch(empty).body, "root");
}

TEST(RouterTest, ParametersArePassedVerbatim) {
  Router r;
  r.Add("GET", "/api/v1/hashtags/{tag}/posts", Named("tag"));
  HttpRequest req = Request("GET", "/api/v1/hashtags/caf\xC3\xA9 %41/posts");
  EXPECT_EQ(r.Dispatch(req).body, "tag");
  EXPECT_THAT(req.path_params, ElementsAre("caf\xC3\xA9 %41"));
}

TEST(RouterTest, RouteOfReportsTheMatchedPattern) {
  Router r;
  r.Add("GET", "/api/v1/posts/{id}", Named("post"));
  HttpRequest req = Request("GET", "/api/v1/posts/1");
  EXPECT_EQ(r.RouteOf(req), "unmatched");
  r.Dispatch(req);
  EXPECT_EQ(r.RouteOf(req), "/api/v1/posts/{id}");
}

// ------------------------------------------------------- HttpRequest lookups

TEST(HttpRequestTest, HeaderAndQueryReturnTheFirstMatch) {
  HttpRequest req;
  req.headers = {{"authorization", "Bearer a"}, {"authorization", "Bearer b"}};
  req.query = {{"q", "x"}, {"limit", "10"}, {"q", "y"}};
  EXPECT_EQ(req.Header("authorization"), "Bearer a");
  EXPECT_EQ(req.Header("Authorization"), std::nullopt);  // callers pass lower-case names
  EXPECT_EQ(req.Header("x-missing"), std::nullopt);
  EXPECT_EQ(req.Query("q"), "x");
  EXPECT_EQ(req.Query("limit"), "10");
  EXPECT_EQ(req.Query("cursor"), std::nullopt);
}

// ------------------------------------------------------------- HttpResponse

TEST(HttpResponseTest, ErrorHasTheDesignShape) {
  HttpResponse with_field = HttpResponse::Error(422, "too_long", "too long", "bio");
  EXPECT_EQ(with_field.status, 422);
  EXPECT_EQ(with_field.content_type, "application/json");
  EXPECT_EQ(BodyOf(with_field),
            (Json{{"error", {{"code", "too_long"}, {"message", "too long"}, {"field", "bio"}}}}));
  HttpResponse without = HttpResponse::Error(404, "not_found", "nope");
  EXPECT_EQ(BodyOf(without), (Json{{"error", {{"code", "not_found"}, {"message", "nope"}}}}));
}

TEST(HttpResponseTest, TextDefaultsToPlainUtf8) {
  HttpResponse r = HttpResponse::Text(200, "ok");
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(HttpResponse::Text(200, "#", "text/x").content_type, "text/x");
}

struct StatusCase {
  absl::StatusCode code;
  int http;
  const char* error_code;
};

TEST(HttpResponseTest, FromStatusMapsEveryDocumentedCode) {
  const std::vector<StatusCase> cases = {
      {absl::StatusCode::kInvalidArgument, 422, "invalid_argument"},
      {absl::StatusCode::kUnauthenticated, 401, "unauthenticated"},
      {absl::StatusCode::kPermissionDenied, 403, "forbidden"},
      {absl::StatusCode::kNotFound, 404, "not_found"},
      {absl::StatusCode::kAlreadyExists, 409, "conflict"},
      {absl::StatusCode::kAborted, 409, "conflict"},
      {absl::StatusCode::kFailedPrecondition, 409, "conflict"},
      {absl::StatusCode::kResourceExhausted, 429, "rate_limited"},
      {absl::StatusCode::kUnavailable, 503, "unavailable"},
      {absl::StatusCode::kDeadlineExceeded, 504, "timeout"},
  };
  for (const StatusCase& c : cases) {
    HttpResponse r = HttpResponse::FromStatus(absl::Status(c.code, "the reason"));
    EXPECT_EQ(r.status, c.http) << absl::StatusCodeToString(c.code);
    Json body = BodyOf(r);
    EXPECT_EQ(body["error"]["code"], c.error_code) << absl::StatusCodeToString(c.code);
    EXPECT_EQ(body["error"]["message"], "the reason") << absl::StatusCodeToString(c.code);
    EXPECT_FALSE(body["error"].contains("field"));
  }
}

TEST(HttpResponseTest, FromStatusHidesTheMessageOfEveryOther500) {
  for (absl::StatusCode code :
       {absl::StatusCode::kInternal, absl::StatusCode::kUnknown, absl::StatusCode::kDataLoss,
        absl::StatusCode::kUnimplemented, absl::StatusCode::kCancelled}) {
    HttpResponse r =
        HttpResponse::FromStatus(absl::Status(code, "rocksdb: corruption at /var/lib/lens/x"));
    EXPECT_EQ(r.status, 500) << absl::StatusCodeToString(code);
    Json body = BodyOf(r);
    EXPECT_EQ(body["error"]["code"], "internal");
    EXPECT_EQ(body["error"]["message"], "internal error");
    EXPECT_THAT(r.body, Not(HasSubstr("rocksdb")));
  }
}

TEST(HttpResponseTest, ApiErrorCarriesItsCodeAndField) {
  absl::Status s = ApiError(absl::StatusCode::kAlreadyExists, "username_taken",
                            "this username is already taken", "username");
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(std::string(s.message()), "this username is already taken");
  HttpResponse r = HttpResponse::FromStatus(s);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(BodyOf(r), (Json{{"error",
                              {{"code", "username_taken"},
                               {"message", "this username is already taken"},
                               {"field", "username"}}}}));
}

TEST(HttpResponseTest, ApiErrorWithoutFieldOmitsIt) {
  HttpResponse r =
      HttpResponse::FromStatus(ApiError(absl::StatusCode::kNotFound, "account_not_found", "no"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(BodyOf(r)["error"]["code"], "account_not_found");
  EXPECT_FALSE(BodyOf(r)["error"].contains("field"));
}

TEST(HttpResponseTest, ApiErrorOnA500KeepsTheCodeButHidesTheMessage) {
  HttpResponse r = HttpResponse::FromStatus(
      ApiError(absl::StatusCode::kInternal, "store_failed", "secret detail"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(BodyOf(r)["error"]["code"], "store_failed");
  EXPECT_EQ(BodyOf(r)["error"]["message"], "internal error");
}

TEST(HttpResponseTest, BadRequestIs400NotUnprocessable) {
  absl::Status s = BadRequest("bad_cursor", "the cursor is not valid", "cursor");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  HttpResponse r = HttpResponse::FromStatus(s);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(BodyOf(r), (Json{{"error",
                              {{"code", "bad_cursor"},
                               {"message", "the cursor is not valid"},
                               {"field", "cursor"}}}}));
}

// ------------------------------------------------------------ request fields

// The HTTP rendering of a failed read: status, error code and field.
struct Rendered {
  int status;
  std::string code;
  std::string field;
};
Rendered Render(const absl::Status& s) {
  HttpResponse r = HttpResponse::FromStatus(s);
  Json e = BodyOf(r)["error"];
  return {r.status, e.value("code", ""), e.value("field", "")};
}

TEST(ParseRequestObjectTest, EmptyOrNonObjectBodyIs400MalformedJson) {
  for (const char* body :
       {"", " ", "{", "{\"a\":}", "[1]", "\"text\"", "42", "null", "{\"a\":\"\\ud800\"}"}) {
    auto j = ParseRequestObject(body, {"a"});
    ASSERT_FALSE(j.ok()) << body;
    Rendered r = Render(j.status());
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(r.code, "malformed_json") << body;
  }
}

TEST(ParseRequestObjectTest, UnknownFieldIs422NamingTheField) {
  auto j = ParseRequestObject(R"({"username":"a","is_admin":true})", {"username", "password"});
  ASSERT_FALSE(j.ok());
  Rendered r = Render(j.status());
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.code, "unknown_field");
  EXPECT_EQ(r.field, "is_admin");
}

TEST(ParseRequestObjectTest, FieldNamesAreCaseSensitive) {
  auto j = ParseRequestObject(R"({"Username":"a"})", {"username"});
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(Render(j.status()).field, "Username");
}

TEST(ParseRequestObjectTest, AcceptsObjectsWithAllowedFieldsOnly) {
  auto j = ParseRequestObject(R"({"username":"a","password":"b"})", {"username", "password"});
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ((*j)["username"], "a");
  auto empty = ParseRequestObject("{}", {"username"});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  auto none_allowed = ParseRequestObject("{}", {});
  EXPECT_TRUE(none_allowed.ok());
}

constexpr StringRule kName{.max_chars = 64};

TEST(OptionalStringTest, AbsentOrNullIsNullopt) {
  Json obj = {{"other", "x"}, {"nulled", nullptr}};
  auto absent = OptionalString(obj, "name", kName);
  ASSERT_TRUE(absent.ok());
  EXPECT_EQ(*absent, std::nullopt);
  auto nulled = OptionalString(obj, "nulled", kName);
  ASSERT_TRUE(nulled.ok());
  EXPECT_EQ(*nulled, std::nullopt);
}

TEST(OptionalStringTest, WrongTypeIs422InvalidType) {
  for (const Json& value : {Json(5), Json(true), Json::array({"a"}), Json::object(), Json(1.5)}) {
    auto v = OptionalString(Json{{"name", value}}, "name", kName);
    ASSERT_FALSE(v.ok()) << value.dump();
    Rendered r = Render(v.status());
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(r.code, "invalid_type");
    EXPECT_EQ(r.field, "name");
  }
}

TEST(OptionalStringTest, InvalidUtf8Is422) {
  for (const char* bad : {"\xC3\x28", "\xC0\xAF", "\xED\xA0\x80", "ok\xE2\x82"}) {
    auto v = OptionalString(Json{{"name", std::string(bad)}}, "name", kName);
    ASSERT_FALSE(v.ok());
    Rendered r = Render(v.status());
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(r.code, "invalid_utf8");
    EXPECT_EQ(r.field, "name");
  }
}

TEST(OptionalStringTest, ControlCharactersAre422) {
  for (const std::string& bad :
       {std::string("a\x01"), std::string("a\0b", 3), std::string("\x1b[2J"), std::string("\x7f"),
        std::string("\xC2\x85"), std::string("line\nbreak"), std::string("tab\there"),
        std::string("cr\r")}) {
    auto v = OptionalString(Json{{"name", bad}}, "name", kName);
    ASSERT_FALSE(v.ok()) << Json(bad).dump();
    Rendered r = Render(v.status());
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(r.code, "invalid_characters");
    EXPECT_EQ(r.field, "name");
  }
}

TEST(OptionalStringTest, NewlinesPassOnlyWithAllowNewlines) {
  constexpr StringRule kBio{.max_chars = 150, .allow_newlines = true};
  auto v = OptionalString(Json{{"bio", "line one\r\nline\ttwo\n"}}, "bio", kBio);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(**v, "line one\r\nline\ttwo\n");
  auto still_bad = OptionalString(Json{{"bio", "bell\x07"}}, "bio", kBio);
  ASSERT_FALSE(still_bad.ok());
  EXPECT_EQ(Render(still_bad.status()).code, "invalid_characters");
}

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(OptionalStringTest, MaxLengthCountsCodePointsNotBytes) {
  auto ok = OptionalString(Json{{"name", Repeat("\xC3\xA9", 64)}}, "name", kName);  // 128 bytes
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(**ok, Repeat("\xC3\xA9", 64));
  auto emoji = OptionalString(Json{{"name", Repeat("\xF0\x9F\x98\x80", 64)}}, "name", kName);
  EXPECT_TRUE(emoji.ok());
  auto too_long = OptionalString(Json{{"name", Repeat("\xC3\xA9", 65)}}, "name", kName);
  ASSERT_FALSE(too_long.ok());
  Rendered r = Render(too_long.status());
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.code, "too_long");
  EXPECT_EQ(r.field, "name");
  EXPECT_FALSE(OptionalString(Json{{"name", Repeat("a", 65)}}, "name", kName).ok());
  EXPECT_TRUE(OptionalString(Json{{"name", Repeat("a", 64)}}, "name", kName).ok());
}

TEST(OptionalStringTest, LengthIsMeasuredAfterNfc) {
  // 64 × (e + combining acute) is 128 code points, 64 after composition.
  auto v = OptionalString(Json{{"name", Repeat("e\xCC\x81", 64)}}, "name", kName);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(**v, Repeat("\xC3\xA9", 64));
}

TEST(OptionalStringTest, ResultIsNfcNormalised) {
  auto v = OptionalString(Json{{"name", "Jose\xCC\x81"}}, "name", kName);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(**v, "Jos\xC3\xA9");
}

TEST(OptionalStringTest, MinLengthCountsCodePoints) {
  constexpr StringRule kAtLeast3{.max_chars = 10, .min_chars = 3};
  auto short_one = OptionalString(Json{{"q", "ab"}}, "q", kAtLeast3);
  ASSERT_FALSE(short_one.ok());
  Rendered r = Render(short_one.status());
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.code, "too_short");
  EXPECT_EQ(r.field, "q");
  // Three code points in six bytes, and two code points in four bytes.
  EXPECT_TRUE(OptionalString(Json{{"q", "\xC3\xA9\xC3\xA9\xC3\xA9"}}, "q", kAtLeast3).ok());
  EXPECT_FALSE(
      OptionalString(Json{{"q", "\xF0\x9F\x98\x80\xF0\x9F\x98\x80"}}, "q", kAtLeast3).ok());
  auto empty = OptionalString(Json{{"q", ""}}, "q", kAtLeast3);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(Render(empty.status()).code, "too_short");
}

TEST(OptionalStringTest, EmptyStringIsAValueWhenMinIsZero) {
  auto v = OptionalString(Json{{"bio", ""}}, "bio", kName);
  ASSERT_TRUE(v.ok());
  ASSERT_TRUE(v->has_value());
  EXPECT_EQ(**v, "");
}

TEST(RequiredStringTest, AbsentOrNullIs422MissingField) {
  for (const Json& obj : {Json::object(), Json{{"username", nullptr}}}) {
    auto v = RequiredString(obj, "username", kName);
    ASSERT_FALSE(v.ok());
    Rendered r = Render(v.status());
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(r.code, "missing_field");
    EXPECT_EQ(r.field, "username");
  }
}

TEST(RequiredStringTest, PresentValueIsValidatedAndReturned) {
  auto v = RequiredString(Json{{"username", "alice"}}, "username", kName);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "alice");
  auto bad = RequiredString(Json{{"username", 1}}, "username", kName);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(Render(bad.status()).code, "invalid_type");
}

TEST(OptionalBoolTest, ReadsBooleansOnly) {
  Json obj = {{"t", true}, {"f", false}, {"n", nullptr}, {"s", "true"}, {"i", 1}};
  EXPECT_EQ(*OptionalBool(obj, "t"), std::optional<bool>(true));
  EXPECT_EQ(*OptionalBool(obj, "f"), std::optional<bool>(false));
  EXPECT_EQ(*OptionalBool(obj, "n"), std::nullopt);
  EXPECT_EQ(*OptionalBool(obj, "absent"), std::nullopt);
  for (const char* name : {"s", "i"}) {
    auto v = OptionalBool(obj, name);
    ASSERT_FALSE(v.ok()) << name;
    Rendered r = Render(v.status());
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(r.code, "invalid_type");
    EXPECT_EQ(r.field, name);
  }
}

}  // namespace
}  // namespace lens

// Bad input gets a clear JSON error with the right status, appends nothing,
// and the server keeps serving. Runs against the real binary.
#include "tests/e2e/lens_fixture.h"

namespace lens::testing {
namespace {

class BadInputE2E : public LensFixture {
 protected:
  void ExpectError(const HttpResult& r, int status, const std::string& code,
                   const std::string& field = "") {
    EXPECT_EQ(r.status, status) << r.body;
    Json j = r.json();
    ASSERT_FALSE(j.is_discarded()) << "error body must be JSON: " << r.body;
    ASSERT_TRUE(j.contains("error")) << r.body;
    EXPECT_EQ(j["error"].value("code", ""), code) << r.body;
    EXPECT_FALSE(j["error"].value("message", "").empty());
    if (!field.empty()) {
      EXPECT_EQ(j["error"].value("field", ""), field) << r.body;
    }
  }
};

TEST_P(BadInputE2E, RegistrationInputIsValidated) {
  long before = EventCount();
  auto reg = [&](const std::string& body) { return http().Post("/api/v1/accounts", body); };
  ExpectError(reg("{not json"), 400, "malformed_json");
  ExpectError(reg("[1,2]"), 400, "malformed_json");
  ExpectError(reg(""), 400, "malformed_json");
  ExpectError(reg(R"({"username":5,"email":"a@b.co","password":"long enough"})"), 422,
              "invalid_type", "username");
  ExpectError(reg(R"({"username":"zed","email":"a@b.co"})"), 422, "missing_field", "password");
  ExpectError(reg(R"({"username":"zed","email":"a@b.co","password":"long enough","admin":true})"),
              422, "unknown_field", "admin");
  ExpectError(reg(R"({"username":")" + std::string(31, 'z') +
                  R"(","email":"a@b.co","password":"long enough"})"),
              422, "invalid_username", "username");
  ExpectError(reg(R"({"username":"ab","email":"a@b.co","password":"long enough"})"), 422,
              "invalid_username", "username");
  ExpectError(reg(R"({"username":"no spaces","email":"a@b.co","password":"long enough"})"), 422,
              "invalid_username", "username");
  ExpectError(reg(R"({"username":"admin","email":"a@b.co","password":"long enough"})"), 422,
              "username_reserved", "username");
  ExpectError(reg(R"({"username":"zed","email":"not-an-email","password":"long enough"})"), 422,
              "invalid_email", "email");
  ExpectError(reg(R"({"username":"zed","email":"a@b.co","password":"short"})"), 422,
              "weak_password", "password");
  ExpectError(
      reg(R"({"username":"zed","email":"a@b.co","password":"long enough","display_name":")" +
          std::string(65, 'x') + R"("})"),
      422, "too_long", "display_name");
  ExpectError(
      reg(R"({"username":"zed","email":"a@b.co","password":"long enough","display_name":"bell\u0007"})"),
      422, "invalid_characters", "display_name");
  // Raw invalid UTF-8 inside a JSON string is not JSON.
  ExpectError(reg("{\"username\":\"zed\",\"email\":\"a@b.co\",\"password\":\"long enough\","
                  "\"display_name\":\"\xff\xfe\"}"),
              400, "malformed_json");
  ExpectError(
      reg(R"({"username":"zed","email":"a@b.co","password":"long enough","display_name":"\udc00"})"),
      400, "malformed_json");
  EXPECT_EQ(EventCount(), before) << "no rejected command appended anything";
  EXPECT_EQ(http().Get("/healthz").status, 200);
}

TEST_P(BadInputE2E, OversizedBodiesAre413) {
  long before = EventCount();
  std::string huge =
      R"({"username":"zed","email":"a@b.co","password":")" + std::string(2 << 20, 'x') + "\"}";
  ExpectError(http().Post("/api/v1/accounts", huge), 413, "payload_too_large");
  // Refused from the header alone, before the body is sent.
  HttpResult r =
      http().Raw("POST /api/v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n{");
  ExpectError(r, 413, "payload_too_large");
  EXPECT_EQ(EventCount(), before);
  EXPECT_EQ(http().Get("/healthz").status, 200);
}

TEST_P(BadInputE2E, ProfileUpdatesAreValidated) {
  TestUser u = CreateUser("yolanda");
  long before = EventCount();
  auto patch = [&](const std::string& body) {
    return http().Request("PATCH", "/api/v1/accounts/me", body, {Bearer(u.token)});
  };
  ExpectError(patch("{}"), 422, "empty_update");
  ExpectError(patch(R"({"private":"yes"})"), 422, "invalid_type", "private");
  ExpectError(patch(R"({"bio":")" + std::string(151, 'b') + "\"}"), 422, "too_long", "bio");
  ExpectError(patch(R"({"bio":null,"display_name":["x"]})"), 422, "invalid_type", "display_name");
  ExpectError(patch(R"({"email":"x@y.zz"})"), 422, "unknown_field", "email");
  // 150 characters of multi-byte text is fine: limits count characters.
  std::string bio;
  for (int i = 0; i < 150; ++i) bio += "\xc3\xa9";
  EXPECT_EQ(patch(Json{{"bio", bio}}.dump()).status, 200);
  EXPECT_EQ(EventCount(), before + 1);
}

TEST_P(BadInputE2E, RoutesMethodsAndRequestsThatAreNotHttp) {
  ExpectError(http().Get("/api/v1/nope"), 404, "not_found");
  HttpResult put = http().Request("PUT", "/api/v1/accounts", "{}");
  ExpectError(put, 405, "method_not_allowed");
  EXPECT_EQ(put.header("allow"), "POST");
  ExpectError(http().Request("DELETE", "/api/v1/accounts/me", ""), 405, "method_not_allowed");
  ExpectError(http().Get("/api/v1/accounts/%zz"), 400, "bad_request");
  ExpectError(http().Raw("GARBAGE\r\n\r\n"), 400, "bad_request");
  ExpectError(
      http().Raw("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n"),
      431, "headers_too_large");
  EXPECT_EQ(http().Get("/healthz").status, 200);
}

TEST_P(BadInputE2E, HeadersAreValidated) {
  TestUser u = CreateUser("xavier");
  ExpectError(
      http().Get("/api/v1/accounts/me", {Bearer(u.token), {"Consistency-Token", "garbage"}}), 400,
      "invalid_consistency_token");
  ExpectError(http().Get("/api/v1/accounts/me", {{"Authorization", "Bearer garbage"}}), 401,
              "unauthenticated");
  ExpectError(http().Post("/api/v1/sessions", R"({"username":"xavier","password":"x"})",
                          {{"Idempotency-Key", "caf\xc3\xa9"}}),
              401, "invalid_credentials");  // credentials are checked first
  ExpectError(http().Request("PATCH", "/api/v1/accounts/me", R"({"bio":"x"})",
                             {Bearer(u.token), {"Idempotency-Key", "caf\xc3\xa9"}}),
              400, "invalid_idempotency_key");
  ExpectError(
      http().Post("/api/v1/sessions", R"({"username":"xavier","email":"x@y.zz","password":"x"})"),
      422, "missing_field");
}

INSTANTIATE_TEST_SUITE_P(Backends, BadInputE2E, ::testing::Values("embedded"), BackendName);

}  // namespace
}  // namespace lens::testing

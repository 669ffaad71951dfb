// Unit tests of auth/: argon2id password hashing, HMAC-signed tokens, the
// token secret file and the bearer-token authenticator.
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "auth/authenticator.h"
#include "auth/password_hasher.h"
#include "auth/token_signer.h"
#include "base/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lens {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Small argon2 parameters: the tests check behaviour, not cost.
constexpr PasswordHasherOptions kFast{.time_cost = 1, .memory_kib = 256, .parallelism = 1};

// ---------------------------------------------------------- PasswordHasher

TEST(PasswordHasherTest, HashVerifiesTheSamePasswordOnly) {
  PasswordHasher hasher(kFast);
  auto hash = hasher.Hash("correct horse battery staple");
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_TRUE(hasher.Verify(*hash, "correct horse battery staple"));
  EXPECT_FALSE(hasher.Verify(*hash, "correct horse battery stapl"));
  EXPECT_FALSE(hasher.Verify(*hash, "Correct horse battery staple"));
  EXPECT_FALSE(hasher.Verify(*hash, ""));
}

TEST(PasswordHasherTest, EncodedFormIsArgon2idPhcWithTheParameters) {
  PasswordHasher hasher(kFast);
  auto hash = hasher.Hash("pw");
  ASSERT_TRUE(hash.ok());
  EXPECT_THAT(*hash, StartsWith("$argon2id$v=19$m=256,t=1,p=1$"));
  EXPECT_EQ(hash->find('\0'), std::string::npos);
}

TEST(PasswordHasherTest, SamePasswordHashesDifferently) {
  PasswordHasher hasher(kFast);
  auto a = hasher.Hash("same password");
  auto b = hasher.Hash("same password");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);  // a fresh random salt each time
  EXPECT_TRUE(hasher.Verify(*a, "same password"));
  EXPECT_TRUE(hasher.Verify(*b, "same password"));
}

TEST(PasswordHasherTest, OldHashesVerifyAfterParametersChange) {
  PasswordHasher old_params({.time_cost = 2, .memory_kib = 512, .parallelism = 1});
  auto hash = old_params.Hash("pw-123456");
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(PasswordHasher(kFast).Verify(*hash, "pw-123456"));
}

TEST(PasswordHasherTest, UsesEveryByteOfThePassword) {
  PasswordHasher hasher(kFast);
  const std::string with_nul("abc\0def", 7);
  auto hash = hasher.Hash(with_nul);
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(hasher.Verify(*hash, with_nul));
  EXPECT_FALSE(hasher.Verify(*hash, "abc"));
  auto unicode = hasher.Hash("p\xC3\xA4ssw\xC3\xB6rd \xF0\x9F\x98\x80");
  ASSERT_TRUE(unicode.ok());
  EXPECT_TRUE(hasher.Verify(*unicode, "p\xC3\xA4ssw\xC3\xB6rd \xF0\x9F\x98\x80"));
}

TEST(PasswordHasherTest, MalformedHashIsFalseNotACrash) {
  PasswordHasher hasher(kFast);
  auto good = hasher.Hash("pw");
  ASSERT_TRUE(good.ok());
  std::string truncated = good->substr(0, good->size() - 10);
  std::string argon2i = *good;
  argon2i.replace(0, 10, "$argon2i$");
  for (const std::string& bad : {std::string(""), std::string("garbage"), std::string("$argon2id$"),
                                 std::string("$argon2id$v=19$m=256,t=1,p=1$$"), truncated, argon2i,
                                 std::string("$2b$12$abcdefghijklmnopqrstuv")}) {
    EXPECT_FALSE(hasher.Verify(bad, "pw")) << bad;
  }
}

// ------------------------------------------------------------- Base64Url

TEST(Base64UrlTest, MatchesRfc4648VectorsWithoutPadding) {
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(Base64UrlEncode("foob"), "Zm9vYg");
  EXPECT_EQ(Base64UrlEncode("fooba"), "Zm9vYmE");
  EXPECT_EQ(Base64UrlEncode("foobar"), "Zm9vYmFy");
}

TEST(Base64UrlTest, UsesTheUrlSafeAlphabet) {
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");  // standard base64: "+/8="
  std::string out;
  ASSERT_TRUE(Base64UrlDecode("-_8", &out));
  EXPECT_EQ(out, "\xfb\xff");
}

TEST(Base64UrlTest, RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  std::string encoded = Base64UrlEncode(all);
  EXPECT_EQ(
      encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
  std::string out;
  ASSERT_TRUE(Base64UrlDecode(encoded, &out));
  EXPECT_EQ(out, all);
}

TEST(Base64UrlTest, RoundTripsLengthsZeroToTen) {
  for (int offset : {0, 100, 246}) {
    for (size_t len = 0; len <= 10; ++len) {
      std::string data;
      for (size_t i = 0; i < len; ++i) data.push_back(static_cast<char>(offset + i * 37));
      std::string encoded = Base64UrlEncode(data);
      EXPECT_EQ(encoded.size(), (len * 4 + 2) / 3) << len;  // no padding
      std::string out = "stale";
      ASSERT_TRUE(Base64UrlDecode(encoded, &out)) << len;
      EXPECT_EQ(out, data) << len;
    }
  }
}

TEST(Base64UrlTest, DecodeRejectsForeignCharactersAndImpossibleLengths) {
  std::string out;
  for (const char* bad : {"A", "AAAAA", "Zg==", "Zm9v+", "Zm9v/", "Zm 9v", "Zm9v\n", "\xC3\xA9"}) {
    EXPECT_FALSE(Base64UrlDecode(bad, &out)) << bad;
  }
}

// ------------------------------------------------------------- TokenSigner

const std::string kSecret = "0123456789abcdef0123456789abcdef";

TokenClaims SampleClaims() {
  TokenClaims c;
  c.user_id = UserId(7291800000000);
  c.session_id = SessionId(7291847362816);
  c.issued_at_ms = 1795169730123;
  c.expires_at_ms = 1795169730123 + 3600 * 1000;
  return c;
}

bool IsInvalidToken(const absl::StatusOr<TokenClaims>& r) {
  return !r.ok() && r.status().code() == absl::StatusCode::kUnauthenticated;
}

TEST(TokenSignerTest, VerifyReturnsEverySignedClaim) {
  TokenSigner signer(kSecret);
  TokenClaims c = SampleClaims();
  auto got = signer.Verify(signer.Sign(c), c.issued_at_ms + 1);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->user_id, c.user_id);
  EXPECT_EQ(got->session_id, c.session_id);
  EXPECT_EQ(got->issued_at_ms, c.issued_at_ms);
  EXPECT_EQ(got->expires_at_ms, c.expires_at_ms);
}

TEST(TokenSignerTest, TokenHasTheDocumentedForm) {
  TokenSigner signer(kSecret);
  std::string token = signer.Sign(SampleClaims());
  ASSERT_THAT(token, StartsWith("lens1."));
  size_t dot = token.rfind('.');
  ASSERT_GT(dot, 6u);
  std::string payload, mac;
  ASSERT_TRUE(Base64UrlDecode(token.substr(6, dot - 6), &payload));
  ASSERT_TRUE(Base64UrlDecode(token.substr(dot + 1), &mac));
  EXPECT_EQ(mac.size(), 32u);  // HMAC-SHA256
  Json claims = Json::parse(payload);
  EXPECT_EQ(claims, (Json{{"sub", "7291800000000"},
                          {"sid", "7291847362816"},
                          {"iat", 1795169730123},
                          {"exp", 1795169730123 + 3600 * 1000}}));
}

TEST(TokenSignerTest, SigningIsDeterministic) {
  TokenSigner signer(kSecret);
  EXPECT_EQ(signer.Sign(SampleClaims()), signer.Sign(SampleClaims()));
}

TEST(TokenSignerTest, ExpiredTokenIsUnauthenticatedExpired) {
  TokenSigner signer(kSecret);
  TokenClaims c = SampleClaims();
  std::string token = signer.Sign(c);
  EXPECT_TRUE(signer.Verify(token, c.expires_at_ms - 1).ok());
  for (int64_t now : {c.expires_at_ms, c.expires_at_ms + 1, c.expires_at_ms + 86400000}) {
    auto r = signer.Verify(token, now);
    ASSERT_TRUE(IsInvalidToken(r)) << now;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("expired"));
  }
}

TEST(TokenSignerTest, TamperedPayloadIsRejected) {
  TokenSigner signer(kSecret);
  TokenClaims c = SampleClaims();
  std::string token = signer.Sign(c);
  size_t dot = token.rfind('.');
  // Swap in the claims of another user, keeping the original signature.
  std::string forged_payload = Base64UrlEncode(Json{
      {"sub", "1"},
      {"sid", "7291847362816"},
      {"iat", c.issued_at_ms},
      {"exp", c.expires_at_ms}}.dump());
  std::string forged = "lens1." + forged_payload + token.substr(dot);
  EXPECT_TRUE(IsInvalidToken(signer.Verify(forged, c.issued_at_ms)));
  // Or flip one character of the payload.
  std::string flipped = token;
  flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
  EXPECT_TRUE(IsInvalidToken(signer.Verify(flipped, c.issued_at_ms)));
  // Extending the expiry is the classic forgery.
  TokenClaims longer = c;
  longer.expires_at_ms += 1000;
  std::string longer_token = TokenSigner("another secret, 32 bytes long...").Sign(longer);
  std::string spliced = longer_token.substr(0, longer_token.rfind('.')) + token.substr(dot);
  EXPECT_TRUE(IsInvalidToken(signer.Verify(spliced, c.issued_at_ms)));
}

TEST(TokenSignerTest, TamperedSignatureIsRejected) {
  TokenSigner signer(kSecret);
  TokenClaims c = SampleClaims();
  std::string token = signer.Sign(c);
  size_t dot = token.rfind('.');
  for (size_t i : {dot + 1, dot + 10, dot + 20}) {
    std::string t = token;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    EXPECT_TRUE(IsInvalidToken(signer.Verify(t, c.issued_at_ms))) << i;
  }
  EXPECT_TRUE(IsInvalidToken(signer.Verify(token.substr(0, token.size() - 4), c.issued_at_ms)));
  EXPECT_TRUE(IsInvalidToken(signer.Verify(token.substr(0, dot + 1), c.issued_at_ms)));
  EXPECT_TRUE(IsInvalidToken(signer.Verify(token + "AAAA", c.issued_at_ms)));
}

TEST(TokenSignerTest, TokenFromAnotherSecretIsRejected) {
  TokenSigner ours(kSecret);
  TokenSigner theirs("fedcba9876543210fedcba9876543210");
  TokenClaims c = SampleClaims();
  EXPECT_TRUE(IsInvalidToken(ours.Verify(theirs.Sign(c), c.issued_at_ms)));
  EXPECT_TRUE(IsInvalidToken(theirs.Verify(ours.Sign(c), c.issued_at_ms)));
}

// Verify answers tokens it verified lately from a per-thread cache: an
// answer from it must be exactly what a fresh check would say.
TEST(TokenSignerTest, ACachedVerificationHoldsOnlyForItsSignerAndUntilExpiry) {
  TokenSigner ours(kSecret);
  TokenClaims c = SampleClaims();
  const std::string token = ours.Sign(c);
  ASSERT_TRUE(ours.Verify(token, c.issued_at_ms).ok());  // now cached
  ASSERT_TRUE(ours.Verify(token, c.issued_at_ms).ok());
  TokenSigner theirs("fedcba9876543210fedcba9876543210");
  EXPECT_TRUE(IsInvalidToken(theirs.Verify(token, c.issued_at_ms)));
  EXPECT_TRUE(ours.Verify(token, c.issued_at_ms).ok());
  auto expired = ours.Verify(token, c.expires_at_ms);
  ASSERT_TRUE(IsInvalidToken(expired));
  EXPECT_THAT(std::string(expired.status().message()), HasSubstr("expired"));
  // A signer with the same secret made later verifies on its own.
  TokenSigner again(kSecret);
  EXPECT_TRUE(again.Verify(token, c.issued_at_ms).ok());
  // More distinct tokens than the cache keeps: every one still verifies.
  for (int i = 0; i < 5000; ++i) {
    TokenClaims ci = c;
    ci.session_id = SessionId(c.session_id.value() + i);
    auto got = ours.Verify(ours.Sign(ci), c.issued_at_ms);
    ASSERT_TRUE(got.ok()) << i;
    EXPECT_EQ(got->session_id, ci.session_id);
  }
  EXPECT_TRUE(ours.Verify(token, c.issued_at_ms).ok());
}

TEST(TokenSignerTest, GarbageEmptyAndOverlongTokensAreRejected) {
  TokenSigner signer(kSecret);
  std::string valid = signer.Sign(SampleClaims());
  std::string overlong = "lens1." + std::string(1994, 'A');  // 2000 characters
  std::string overlong_dot = "lens1." + std::string(1000, 'A') + "." + std::string(993, 'A');
  for (const std::string& bad :
       {std::string(""), std::string("garbage"), std::string("lens1."), std::string("lens1.."),
        std::string("lens1.x.y"), std::string("lens1.!!!.???"),
        std::string("lens2.") + valid.substr(6), valid.substr(1), " " + valid, overlong,
        overlong_dot, std::string(2000, 'x'), std::string("Bearer ") + valid}) {
    EXPECT_TRUE(IsInvalidToken(signer.Verify(bad, 0))) << bad.substr(0, 40);
  }
}

TEST(TokenSignerTest, ClaimsWithInvalidIdsAreRejected) {
  TokenSigner signer(kSecret);
  TokenClaims c = SampleClaims();
  c.user_id = UserId();  // 0 is not an id
  EXPECT_TRUE(IsInvalidToken(signer.Verify(signer.Sign(c), c.issued_at_ms)));
  c = SampleClaims();
  c.session_id = SessionId();
  EXPECT_TRUE(IsInvalidToken(signer.Verify(signer.Sign(c), c.issued_at_ms)));
}

// -------------------------------------------------------- LoadOrCreateSecret

class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/lens_auth_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string dir_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST_F(SecretFileTest, CreatesA32ByteOwnerOnlyFileAndReusesIt) {
  const std::string path = dir_ + "/keys/token.secret";  // parent created on demand
  auto first = TokenSigner::LoadOrCreateSecret(path);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->size(), 32u);
  EXPECT_EQ(ReadFile(path), *first);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  auto second = TokenSigner::LoadOrCreateSecret(path);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second, *first);
}

TEST_F(SecretFileTest, TwoNewSecretsDiffer) {
  auto a = TokenSigner::LoadOrCreateSecret(dir_ + "/a");
  auto b = TokenSigner::LoadOrCreateSecret(dir_ + "/b");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST_F(SecretFileTest, ShortExistingSecretIsRefused) {
  const std::string path = dir_ + "/short";
  std::ofstream(path, std::ios::binary) << std::string(31, 'k');
  auto s = TokenSigner::LoadOrCreateSecret(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReadFile(path), std::string(31, 'k'));  // not overwritten
}

TEST_F(SecretFileTest, LongerExistingSecretIsReadVerbatim) {
  const std::string path = dir_ + "/long";
  std::string secret(48, '\0');
  for (size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<char>(255 - i);
  std::ofstream(path, std::ios::binary) << secret;
  auto s = TokenSigner::LoadOrCreateSecret(path);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, secret);
}

// ----------------------------------------------------------- Authenticator

// Test double: the sessions this test says were ended.
class FakeRevocations : public SessionRevocations {
 public:
  absl::StatusOr<bool> IsRevoked(const TokenClaims& claims) override {
    ++calls;
    if (!error.ok()) return error;
    return revoked.count(claims.session_id.value()) > 0;
  }
  std::set<uint64_t> revoked;
  absl::Status error = absl::OkStatus();
  int calls = 0;
};

class AuthenticatorTest : public ::testing::Test {
 protected:
  TokenSigner signer_{kSecret};
  FakeRevocations revocations_;
  Authenticator auth_{&signer_, &revocations_};
  TokenClaims claims_ = SampleClaims();
  int64_t now_ = SampleClaims().issued_at_ms + 1000;
  std::string Header() { return "Bearer " + signer_.Sign(claims_); }
};

TEST_F(AuthenticatorTest, ValidBearerTokenYieldsItsClaims) {
  auto got = auth_.Authenticate(Header(), now_);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->user_id, claims_.user_id);
  EXPECT_EQ(got->session_id, claims_.session_id);
  EXPECT_EQ(revocations_.calls, 1);
}

TEST_F(AuthenticatorTest, MissingOrMalformedHeaderIsUnauthenticated) {
  std::string token = signer_.Sign(claims_);
  for (const std::optional<std::string_view>& header :
       {std::optional<std::string_view>(), std::optional<std::string_view>(""),
        std::optional<std::string_view>("Basic x"), std::optional<std::string_view>("Bearer"),
        std::optional<std::string_view>("Bearer "),
        std::optional<std::string_view>("Bearer not-a-token")}) {
    auto got = auth_.Authenticate(header, now_);
    ASSERT_FALSE(got.ok()) << header.value_or("<none>");
    EXPECT_EQ(got.status().code(), absl::StatusCode::kUnauthenticated);
  }
  std::string basic = "Basic " + token;
  EXPECT_FALSE(auth_.Authenticate(basic, now_).ok());
  std::string no_space = "Bearer" + token;
  EXPECT_FALSE(auth_.Authenticate(no_space, now_).ok());
  EXPECT_EQ(revocations_.calls, 0);  // nothing to look up without a valid token
}

TEST_F(AuthenticatorTest, RevokedSessionIsUnauthenticated) {
  revocations_.revoked.insert(claims_.session_id.value());
  auto got = auth_.Authenticate(Header(), now_);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("ended"));
}

TEST_F(AuthenticatorTest, OtherSessionsOfTheUserStayValid) {
  revocations_.revoked.insert(claims_.session_id.value() + 1);
  EXPECT_TRUE(auth_.Authenticate(Header(), now_).ok());
}

TEST_F(AuthenticatorTest, ExpiredOrForgedTokenIsRejectedBeforeTheRevocationLookup) {
  auto expired = auth_.Authenticate(Header(), claims_.expires_at_ms);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(expired.status().message()), HasSubstr("expired"));
  std::string forged = "Bearer " + TokenSigner("fedcba9876543210fedcba9876543210").Sign(claims_);
  auto bad = auth_.Authenticate(forged, now_);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(revocations_.calls, 0);
}

TEST_F(AuthenticatorTest, RevocationLookupFailureIsPassedThrough) {
  revocations_.error = absl::UnavailableError("decision state is rebuilding");
  auto got = auth_.Authenticate(Header(), now_);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);  // 503, not a logout
}

}  // namespace
}  // namespace lens

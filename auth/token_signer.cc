#include "auth/token_signer.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "base/json.h"

namespace lens {
namespace {
constexpr std::string_view kPrefix = "lens1.";

// Tokens this thread verified lately, with their claims: a client sends
// the same token with every request, and checking the signature and
// parsing the claims is most of what authenticating costs. The key is the
// whole token, signature included, so a cached entry stands for exactly
// the bytes that were verified; expiry is still checked on every use, and
// revocation is the caller's check as before. Per thread: no locks.
struct VerifiedTokens {
  // Then forgotten all at once. About 250 bytes an entry, on each of the
  // node's threads (64 workers, the I/O threads): 1024 keeps it to 16 MiB.
  static constexpr size_t kMax = 1024;
  uint64_t signer = 0;                  // the TokenSigner that verified them
  absl::flat_hash_map<std::string, TokenClaims> claims;
};
thread_local VerifiedTokens verified_tokens;
std::atomic<uint64_t> next_signer_id{1};
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
}  // namespace

std::string Base64UrlEncode(std::string_view data) {
  std::string out;
  size_t i = 0;
  const auto* d = reinterpret_cast<const unsigned char*>(data.data());
  while (i + 3 <= data.size()) {
    uint32_t v = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
    i += 3;
  }
  if (data.size() - i == 1) {
    uint32_t v = d[i] << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (data.size() - i == 2) {
    uint32_t v = (d[i] << 16) | (d[i + 1] << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

bool Base64UrlDecode(std::string_view in, std::string* out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  if (in.size() % 4 == 1) return false;
  out->clear();
  uint32_t buf = 0;
  int bits = 0;
  for (char c : in) {
    int v = value(c);
    if (v < 0) return false;
    buf = (buf << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((buf >> bits) & 0xff));
    }
  }
  // Canonical form only: the unused low bits of the last character must be
  // zero, or two different strings would decode to the same bytes.
  if ((buf & ((1u << bits) - 1)) != 0) return false;
  return true;
}

TokenSigner::TokenSigner(std::string secret)
    : secret_(std::move(secret)), id_(next_signer_id.fetch_add(1)) {}

std::string TokenSigner::Mac(std::string_view data) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

std::string TokenSigner::Sign(const TokenClaims& c) const {
  Json claims{{"sub", c.user_id.ToString()},
              {"sid", c.session_id.ToString()},
              {"iat", c.issued_at_ms},
              {"exp", c.expires_at_ms}};
  std::string signed_part = std::string(kPrefix) + Base64UrlEncode(DumpJson(claims));
  return signed_part + "." + Base64UrlEncode(Mac(signed_part));
}

absl::StatusOr<TokenClaims> TokenSigner::Verify(std::string_view token, int64_t now_ms) const {
  VerifiedTokens& cache = verified_tokens;
  if (cache.signer != id_) {
    cache.claims.clear();
    cache.signer = id_;
  }
  if (auto it = cache.claims.find(absl::string_view(token.data(), token.size()));
      it != cache.claims.end()) {
    if (now_ms >= it->second.expires_at_ms) return absl::UnauthenticatedError("token expired");
    return it->second;
  }
  auto verified = VerifyUncached(token, now_ms);
  if (verified.ok()) {
    if (cache.claims.size() >= VerifiedTokens::kMax) cache.claims.clear();
    cache.claims.emplace(token, *verified);
  }
  return verified;
}

absl::StatusOr<TokenClaims> TokenSigner::VerifyUncached(std::string_view token,
                                                        int64_t now_ms) const {
  auto bad = absl::UnauthenticatedError("invalid token");
  if (token.size() > 1024 || token.substr(0, kPrefix.size()) != kPrefix) return bad;
  size_t dot = token.rfind('.');
  if (dot == std::string_view::npos || dot < kPrefix.size()) return bad;
  std::string_view signed_part = token.substr(0, dot);
  std::string mac;
  if (!Base64UrlDecode(token.substr(dot + 1), &mac)) return bad;
  std::string expected = Mac(signed_part);
  if (mac.size() != expected.size() || CRYPTO_memcmp(mac.data(), expected.data(), mac.size()) != 0)
    return bad;
  std::string payload;
  if (!Base64UrlDecode(signed_part.substr(kPrefix.size()), &payload)) return bad;
  auto j = ParseJsonObject(payload);
  if (!j.ok()) return bad;
  TokenClaims c;
  auto sub = j->find("sub"), sid = j->find("sid"), iat = j->find("iat"), exp = j->find("exp");
  if (sub == j->end() || !sub->is_string() || sid == j->end() || !sid->is_string() ||
      iat == j->end() || !iat->is_number_integer() || exp == j->end() || !exp->is_number_integer())
    return bad;
  auto uid = UserId::Parse(sub->get<std::string>());
  auto sess = SessionId::Parse(sid->get<std::string>());
  if (!uid || !sess) return bad;
  c.user_id = *uid;
  c.session_id = *sess;
  c.issued_at_ms = iat->get<int64_t>();
  c.expires_at_ms = exp->get<int64_t>();
  if (now_ms >= c.expires_at_ms) return absl::UnauthenticatedError("token expired");
  return c;
}

absl::StatusOr<std::string> TokenSigner::LoadOrCreateSecret(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    if (s.size() < 32)
      return absl::FailedPreconditionError("token secret at " + path + " is shorter than 32 bytes");
    return s;
  }
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  unsigned char buf[32];
  if (RAND_bytes(buf, sizeof(buf)) != 1) return absl::InternalError("no randomness for a secret");
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return absl::UnavailableError("cannot write " + tmp);
  bool ok = ::write(fd, buf, sizeof(buf)) == static_cast<ssize_t>(sizeof(buf)) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0)
    return absl::UnavailableError("cannot write " + path);
  return std::string(reinterpret_cast<char*>(buf), sizeof(buf));
}

}  // namespace lens

#include "commands/account_rules.h"

#include <array>

#include "base/text.h"
#include "http/http_message.h"

namespace lens {
namespace {

absl::Status Invalid(std::string_view code, std::string_view msg, std::string_view field) {
  return ApiError(absl::StatusCode::kInvalidArgument, code, msg, field);
}

constexpr std::array<std::string_view, 13> kReserved = {
    "admin",    "administrator", "api",       "lens",  "root",     "support", "help",
    "security", "system",        "moderator", "staff", "official", "settings"};

}  // namespace

absl::StatusOr<std::string> CanonicalUsername(std::string_view raw) {
  if (raw.size() < kUsernameMin || raw.size() > kUsernameMax)
    return Invalid("invalid_username", "a username has 3 to 30 characters", "username");
  std::string u = AsciiLower(raw);
  bool all_digits = true;
  for (char c : u) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_';
    if (!ok)
      return Invalid("invalid_username", "a username may use only letters, digits, '.' and '_'",
                     "username");
    all_digits = all_digits && c >= '0' && c <= '9';
  }
  if (u.front() == '.' || u.back() == '.' || u.find("..") != std::string::npos)
    return Invalid("invalid_username", "a username cannot start or end with '.' or hold '..'",
                   "username");
  if (all_digits)
    return Invalid("invalid_username", "a username cannot be only digits", "username");
  for (std::string_view r : kReserved)
    if (u == r) return Invalid("username_reserved", "this username is reserved", "username");
  return u;
}

absl::StatusOr<std::string> CanonicalEmail(std::string_view raw) {
  auto bad = Invalid("invalid_email", "not a valid email address", "email");
  if (raw.empty() || raw.size() > kEmailMax) return bad;
  size_t at = raw.find('@');
  if (at == std::string_view::npos || at == 0 || at > 64 ||
      raw.find('@', at + 1) != std::string_view::npos)
    return bad;
  std::string_view local = raw.substr(0, at), domain = raw.substr(at + 1);
  for (char c : local) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '(' || c == ')' || c == '<' || c == '>' || c == ',' ||
        c == ';' || c == ':' || c == '\\' || c == '"' || c == '[' || c == ']')
      return bad;
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
    return bad;
  if (domain.size() < 3 || domain.find('.') == std::string_view::npos) return bad;
  size_t label_start = 0;
  for (size_t i = 0; i <= domain.size(); ++i) {
    if (i == domain.size() || domain[i] == '.') {
      std::string_view label = domain.substr(label_start, i - label_start);
      if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
        return bad;
      label_start = i + 1;
      continue;
    }
    char c = domain[i];
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return bad;
  }
  return AsciiLower(raw);
}

absl::Status CheckPassword(std::string_view password, std::string_view username,
                           std::string_view email) {
  auto len = Utf8Length(password);
  if (!len) return Invalid("invalid_utf8", "'password' is not valid UTF-8", "password");
  if (*len < kPasswordMin)
    return Invalid("weak_password", "a password has at least 8 characters", "password");
  if (*len > kPasswordMax)
    return Invalid("too_long", "a password has at most 128 characters", "password");
  std::string lower = AsciiLower(password);
  if (lower == username || lower == email)
    return Invalid("weak_password", "the password cannot be the username or the email", "password");
  auto cps = DecodeUtf8(password);
  bool all_same = cps && !cps->empty();
  if (all_same)
    for (char32_t c : *cps) all_same = all_same && c == (*cps)[0];
  if (all_same) return Invalid("weak_password", "the password is too easy to guess", "password");
  return absl::OkStatus();
}

}  // namespace lens

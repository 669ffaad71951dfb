#include "base/text.h"

#include <cstdlib>

#include "utf8proc.h"

namespace lens {

std::optional<size_t> Utf8Length(std::string_view s) {
  size_t count = 0;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t remaining = static_cast<utf8proc_ssize_t>(s.size());
  while (remaining > 0) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(p, remaining, &cp);
    if (n <= 0 || cp < 0) return std::nullopt;
    p += n;
    remaining -= n;
    ++count;
  }
  return count;
}

bool HasControlCharacters(std::string_view s, bool allow_newlines) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t remaining = static_cast<utf8proc_ssize_t>(s.size());
  while (remaining > 0) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(p, remaining, &cp);
    if (n <= 0) return true;  // invalid: treat as unsafe
    if ((cp < 0x20 || (cp >= 0x7f && cp < 0xa0))) {
      if (!(allow_newlines && (cp == '\n' || cp == '\r' || cp == '\t'))) return true;
    }
    p += n;
    remaining -= n;
  }
  return false;
}

std::string NormalizeNfc(std::string_view s) {
  utf8proc_uint8_t* out = nullptr;
  // Explicit length (not NUL-terminated): text after an embedded NUL stays.
  utf8proc_ssize_t n = utf8proc_map(
      reinterpret_cast<const utf8proc_uint8_t*>(s.data()), static_cast<utf8proc_ssize_t>(s.size()),
      &out, static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (n < 0 || out == nullptr) {
    std::free(out);
    return std::string(s);
  }
  std::string result(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  std::free(out);
  return result;
}

std::optional<std::u32string> DecodeUtf8(std::string_view s) {
  std::u32string out;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t remaining = static_cast<utf8proc_ssize_t>(s.size());
  while (remaining > 0) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(p, remaining, &cp);
    if (n <= 0 || cp < 0) return std::nullopt;
    out.push_back(static_cast<char32_t>(cp));
    p += n;
    remaining -= n;
  }
  return out;
}

std::string AsciiLower(std::string_view s) {
  std::string r(s);
  for (char& c : r)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return r;
}

}  // namespace lens

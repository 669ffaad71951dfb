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
  std::string copy(s);
  utf8proc_uint8_t* out = utf8proc_NFC(reinterpret_cast<const utf8proc_uint8_t*>(copy.c_str()));
  if (out == nullptr) return copy;
  std::string result(reinterpret_cast<char*>(out));
  std::free(out);
  return result;
}

std::string AsciiLower(std::string_view s) {
  std::string r(s);
  for (char& c : r)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return r;
}

}  // namespace lens

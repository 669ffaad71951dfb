#include "commands/caption.h"

#include <algorithm>

#include "utf8proc.h"

namespace lens {
namespace {

void AddUnique(std::vector<std::string>* out, std::string s) {
  if (!s.empty() && std::find(out->begin(), out->end(), s) == out->end())
    out->push_back(std::move(s));
}

bool IsTagCodePoint(utf8proc_int32_t cp) {
  if (cp == '_') return true;
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ND:
      return true;
    default:
      return false;
  }
}

void AppendCodePoint(std::string* out, utf8proc_int32_t cp) {
  utf8proc_uint8_t buf[4];
  utf8proc_ssize_t n = utf8proc_encode_char(cp, buf);
  out->append(reinterpret_cast<char*>(buf), static_cast<size_t>(n));
}

}  // namespace

std::vector<std::string> ParseHashtags(std::string_view text) {
  std::vector<std::string> out;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(text.size());
  utf8proc_int32_t prev = ' ';
  while (left > 0) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) break;
    p += n;
    left -= n;
    // A '#' starts a tag unless glued to a word ("a#b" is not a tag).
    if (cp == '#' && !IsTagCodePoint(prev)) {
      std::string tag;
      size_t count = 0;
      while (left > 0) {
        utf8proc_int32_t c;
        utf8proc_ssize_t m = utf8proc_iterate(p, left, &c);
        if (m <= 0 || !IsTagCodePoint(c)) break;
        if (++count <= 100) AppendCodePoint(&tag, utf8proc_tolower(c));
        p += m;
        left -= m;
        cp = c;
      }
      AddUnique(&out, std::move(tag));
    }
    prev = cp;
  }
  return out;
}

std::vector<std::string> ParseMentions(std::string_view text) {
  std::vector<std::string> out;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(text.size());
  utf8proc_int32_t prev = ' ';
  while (left > 0) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) break;
    p += n;
    left -= n;
    // An '@' glued to a word of any script ("josé@example.com") is an
    // address, not a mention.
    if (cp == '@' && !IsTagCodePoint(prev) && prev != '.') {
      std::string name;
      while (left > 0) {
        char c = static_cast<char>(*p);
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.';
        if (!ok) break;
        name.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
        ++p;
        --left;
        cp = static_cast<unsigned char>(c);
      }
      while (!name.empty() && name.back() == '.') name.pop_back();
      if (name.size() <= 30) AddUnique(&out, std::move(name));
    }
    prev = cp;
  }
  return out;
}

}  // namespace lens

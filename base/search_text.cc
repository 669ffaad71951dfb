#include "base/search_text.h"

#include <cstdlib>

#include "utf8proc.h"

namespace lens {
namespace {

// Scripts written without spaces between words: each character is a term.
bool IsIdeographic(utf8proc_int32_t cp) {
  return (cp >= 0x3040 && cp <= 0x30ff) ||    // hiragana, katakana
         (cp >= 0x3400 && cp <= 0x4dbf) ||    // CJK extension A
         (cp >= 0x4e00 && cp <= 0x9fff) ||    // CJK unified ideographs
         (cp >= 0xac00 && cp <= 0xd7af) ||    // Hangul syllables
         (cp >= 0xf900 && cp <= 0xfaff) ||    // CJK compatibility ideographs
         (cp >= 0x20000 && cp <= 0x2fa1f);    // CJK extensions B..
}

bool IsWordChar(utf8proc_int32_t cp) {
  if (cp == '_') return true;
  if (cp < 0x80) return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
    case UTF8PROC_CATEGORY_MN:  // marks left inside words (e.g. some Indic vowel signs)
    case UTF8PROC_CATEGORY_MC:
      return true;
    default:
      return false;
  }
}

// Appends the current term to `out`, cut to kMaxSearchTermBytes at a code
// point boundary.
void EmitTerm(std::string& term, std::vector<std::string>& out) {
  if (term.empty()) return;
  if (term.size() > kMaxSearchTermBytes) {
    size_t cut = kMaxSearchTermBytes;
    while (cut > 0 && (static_cast<unsigned char>(term[cut]) & 0xc0) == 0x80) --cut;
    term.resize(cut);
  }
  out.push_back(std::move(term));
  term.clear();
}

}  // namespace

std::string FoldForSearch(std::string_view s) {
  utf8proc_uint8_t* mapped = nullptr;
  utf8proc_ssize_t n = utf8proc_map(
      reinterpret_cast<const utf8proc_uint8_t*>(s.data()), static_cast<utf8proc_ssize_t>(s.size()),
      &mapped,
      static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE |
                                     UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK | UTF8PROC_IGNORE));
  if (n < 0 || mapped == nullptr) {
    std::free(mapped);
    return "";
  }
  std::string out;
  out.reserve(static_cast<size_t>(n));
  bool pending_space = false;
  const utf8proc_uint8_t* p = mapped;
  utf8proc_ssize_t left = n;
  while (left > 0) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t len = utf8proc_iterate(p, left, &cp);
    if (len <= 0) break;
    utf8proc_category_t cat = utf8proc_category(cp);
    bool space = cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' ||
                 cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL ||
                 cat == UTF8PROC_CATEGORY_ZP || cat == UTF8PROC_CATEGORY_CC;
    if (space) {
      pending_space = !out.empty();
    } else {
      if (pending_space) out.push_back(' ');
      pending_space = false;
      out.append(reinterpret_cast<const char*>(p), static_cast<size_t>(len));
    }
    p += len;
    left -= len;
  }
  std::free(mapped);
  return out;
}

std::vector<std::string> SearchTerms(std::string_view folded) {
  std::vector<std::string> out;
  std::string term;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(folded.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(folded.size());
  while (left > 0) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t len = utf8proc_iterate(p, left, &cp);
    if (len <= 0) break;
    if (IsIdeographic(cp)) {
      EmitTerm(term, out);
      term.assign(reinterpret_cast<const char*>(p), static_cast<size_t>(len));
      EmitTerm(term, out);
    } else if (IsWordChar(cp)) {
      term.append(reinterpret_cast<const char*>(p), static_cast<size_t>(len));
    } else {
      EmitTerm(term, out);
    }
    p += len;
    left -= len;
  }
  EmitTerm(term, out);
  return out;
}

std::vector<size_t> PrefixCuts(std::string_view folded, size_t max_chars) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i <= folded.size() && cuts.size() < max_chars; ++i)
    if (i == folded.size() || (static_cast<unsigned char>(folded[i]) & 0xc0) != 0x80)
      cuts.push_back(i);
  return cuts;
}

}  // namespace lens

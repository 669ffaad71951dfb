// Text as search sees it: folded (Unicode case folding, compatibility
// decomposition, accents and other marks stripped), then split into terms.
// The projection that indexes and the API that queries use the same two
// functions, so "Zoë", "ZOE" and "zoe" meet.
#ifndef LENS_BASE_SEARCH_TEXT_H_
#define LENS_BASE_SEARCH_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace lens {

// Longest term kept, in bytes (longer ones are cut at a code point).
inline constexpr size_t kMaxSearchTermBytes = 64;

// `s` case-folded, NFKD-decomposed with combining marks removed, runs of
// white space collapsed to one ' ' and trimmed. Invalid UTF-8 folds to "".
std::string FoldForSearch(std::string_view s);

// The terms of folded text: maximal runs of letters, digits and '_'; each
// ideograph (Han, kana, Hangul syllables: scripts written without spaces)
// is a term on its own. Everything else separates terms, so "#sunset!"
// and "sunset" give the same term, and regex or wildcard characters are
// plain separators.
std::vector<std::string> SearchTerms(std::string_view folded);

// The byte lengths at which `folded` can be cut into a prefix (code point
// boundaries), shortest first, up to `max_chars` code points.
std::vector<size_t> PrefixCuts(std::string_view folded, size_t max_chars);

}  // namespace lens

#endif  // LENS_BASE_SEARCH_TEXT_H_

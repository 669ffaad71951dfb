// Validation of untrusted text: UTF-8 well-formedness, length in code
// points, control characters. Backed by utf8proc.
#ifndef LENS_BASE_TEXT_H_
#define LENS_BASE_TEXT_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace lens {

// Number of code points in `s`, or nullopt when `s` is not valid UTF-8.
std::optional<size_t> Utf8Length(std::string_view s);

// True when `s` holds a C0/C1 control character (other than the ones
// allowed by `allow_newlines`: \n, \r and \t).
bool HasControlCharacters(std::string_view s, bool allow_newlines);

// NFC-normalised copy of valid UTF-8 `s` (so equal-looking strings compare
// equal). Returns `s` unchanged if normalisation fails.
std::string NormalizeNfc(std::string_view s);

// The code points of valid UTF-8 `s`; nullopt when it is not valid.
std::optional<std::u32string> DecodeUtf8(std::string_view s);

// Lower-cases ASCII letters only.
std::string AsciiLower(std::string_view s);

}  // namespace lens

#endif  // LENS_BASE_TEXT_H_

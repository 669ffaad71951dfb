// The two Status propagation macros Abseil 20220623 does not ship.
#ifndef LENS_BASE_STATUS_MACROS_H_
#define LENS_BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define LENS_CONCAT_INNER_(a, b) a##b
#define LENS_CONCAT_(a, b) LENS_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` yields a non-OK status.
#define RETURN_IF_ERROR(expr)                                            \
  do {                                                                   \
    if (absl::Status _lens_st = (expr); !_lens_st.ok()) return _lens_st; \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, MakeX());` — declares/assigns the value of a
// StatusOr, or returns its status from the enclosing function.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(LENS_CONCAT_(_lens_sor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()

#endif  // LENS_BASE_STATUS_MACROS_H_

#include "http/router.h"

#include <algorithm>

namespace lens {
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool IsParam(std::string_view seg) {
  return seg.size() >= 2 && seg.front() == '{' && seg.back() == '}';
}

}  // namespace

void Router::Add(std::string method, std::string pattern, HttpHandler handler) {
  Route r;
  r.method = std::move(method);
  for (auto s : SplitPath(pattern)) r.segments.emplace_back(s);
  r.pattern = std::move(pattern);
  r.handler = std::move(handler);
  routes_.push_back(std::move(r));
  // Routes with more literal segments first, so literals beat parameters.
  std::stable_sort(routes_.begin(), routes_.end(), [](const Route& a, const Route& b) {
    auto literals = [](const Route& r) {
      return std::count_if(r.segments.begin(), r.segments.end(),
                           [](const std::string& s) { return !IsParam(s); });
    };
    return literals(a) > literals(b);
  });
}

bool Router::Match(const Route& r, const std::vector<std::string_view>& segs,
                   std::vector<std::string>* params) {
  if (r.segments.size() != segs.size()) return false;
  params->clear();
  for (size_t i = 0; i < segs.size(); ++i) {
    if (IsParam(r.segments[i])) {
      params->emplace_back(segs[i]);
    } else if (r.segments[i] != segs[i]) {
      return false;
    }
  }
  return true;
}

HttpResponse Router::Dispatch(HttpRequest& req) const {
  auto segs = SplitPath(req.path);
  std::vector<std::string> params;
  std::string allow;
  for (const Route& r : routes_) {
    if (!Match(r, segs, &params)) continue;
    if (r.method == req.method) {
      req.path_params = std::move(params);
      req.route = r.pattern;
      return r.handler(req);
    }
    if (allow.find(r.method) == std::string::npos) allow += (allow.empty() ? "" : ", ") + r.method;
  }
  if (!allow.empty()) {
    HttpResponse res = HttpResponse::Error(405, "method_not_allowed",
                                           "method " + req.method + " is not allowed here");
    res.headers.emplace_back("Allow", allow);
    return res;
  }
  return HttpResponse::Error(404, "not_found", "no route for " + req.path);
}

std::string Router::RouteOf(const HttpRequest& req) const {
  return req.route.empty() ? "unmatched" : req.route;
}

}  // namespace lens

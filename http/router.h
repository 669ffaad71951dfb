// Router: maps (method, path) to a handler. Patterns are literal segments
// and "{name}" parameters: "/api/v1/accounts/{id}/follow". Literal segments
// win over parameters ("/accounts/lookup" before "/accounts/{id}").
#ifndef LENS_HTTP_ROUTER_H_
#define LENS_HTTP_ROUTER_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/http_message.h"

namespace lens {

// Handlers run on the server's worker pool and may block (disk, log).
using HttpHandler = std::function<HttpResponse(HttpRequest&)>;

class Router {
 public:
  void Add(std::string method, std::string pattern, HttpHandler handler);

  // Finds the handler for `req`, fills req.path_params and req.route, and
  // runs it; 404 for an unknown path, 405 (with Allow) for a known path and
  // an unknown method.
  HttpResponse Dispatch(HttpRequest& req) const;

  // Route pattern of `req` for metrics labels; "unmatched" if none.
  std::string RouteOf(const HttpRequest& req) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    HttpHandler handler;
  };
  static bool Match(const Route& r, const std::vector<std::string_view>& segs,
                    std::vector<std::string>* params);
  std::vector<Route> routes_;
};

}  // namespace lens

#endif  // LENS_HTTP_ROUTER_H_

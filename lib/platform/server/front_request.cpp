#include "front_request.hpp"

#include <algorithm>
#include <cctype>

#include "mpaas/core/hex.hpp"

namespace mpaas::platform::server {
namespace {

using Kind = FrontRequest::Kind;

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_token_character(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Query decoding as cpp-httplib does it for %XX and '+'; false for anything it would read
// differently (its %uXXXX form), so that such a request goes to it.
bool decode_query_part(std::string_view text, std::string& out) {
  out.clear();
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 1 < text.size() && (text[i + 1] == 'u' || text[i + 1] == 'U'))
        return false;
      int high = i + 2 < text.size() ? hex_digit_value(text[i + 1]) : -1;
      int low = high >= 0 ? hex_digit_value(text[i + 2]) : -1;
      if (low < 0) {
        out += c;  // not an escape: kept as written
        continue;
      }
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += c;
    }
  }
  return true;
}

bool read_query(std::string_view query, FrontRequest& request) {
  while (!query.empty()) {
    auto end = query.find('&');
    auto pair = query.substr(0, end);
    query = end == std::string_view::npos ? std::string_view() : query.substr(end + 1);
    if (pair.empty())
      continue;
    auto equals = pair.find('=');
    std::string name, value;
    if (!decode_query_part(pair.substr(0, equals), name))
      return false;
    if (equals != std::string_view::npos && !decode_query_part(pair.substr(equals + 1), value))
      return false;
    request.parameters.emplace_back(std::move(name), std::move(value));
  }
  return true;
}

// "/v1/apps/{app}/updates" with an app of plain characters (no escapes: cpp-httplib decodes
// a path before it matches it, and such a request is left to it).
bool read_target(std::string_view target, FrontRequest& request) {
  const std::string_view prefix = "/v1/apps/", suffix = "/updates";
  for (char c : target) {
    if (c <= 0x20 || c >= 0x7f || c == '#')
      return false;
  }
  auto query_at = target.find('?');
  auto path = target.substr(0, query_at);
  if (path.size() <= prefix.size() + suffix.size() || path.substr(0, prefix.size()) != prefix ||
      path.substr(path.size() - suffix.size()) != suffix)
    return false;
  auto app = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
  if (app.find_first_of("/%") != std::string_view::npos)
    return false;
  request.app = app;
  request.path = path;
  return query_at == std::string_view::npos || read_query(target.substr(query_at + 1), request);
}

// One header line; false when the front must leave the request to cpp-httplib: a body, an
// expectation, a malformed line.
bool read_header(std::string_view line, FrontRequest& request) {
  auto colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos)
    return false;
  auto name = line.substr(0, colon);
  if (!std::all_of(name.begin(), name.end(), is_token_character))
    return false;
  auto value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
    value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
    value.remove_suffix(1);
  if (equals_ignoring_case(name, "Content-Length"))
    return value == "0";
  if (equals_ignoring_case(name, "Transfer-Encoding") || equals_ignoring_case(name, "Expect") ||
      equals_ignoring_case(name, "Upgrade"))
    return false;
  if (equals_ignoring_case(name, "Connection") && equals_ignoring_case(value, "close"))
    request.close = true;
  return true;
}

}  // namespace

std::string FrontRequest::parameter(std::string_view name) const {
  for (const auto& [key, value] : parameters) {
    if (key == name)
      return value;
  }
  return "";
}

FrontRequest read_front_request(std::string_view buffer, size_t max_head) {
  FrontRequest request;
  auto end = buffer.substr(0, max_head).find("\r\n\r\n");
  if (end == std::string_view::npos) {
    request.kind = buffer.size() >= max_head ? Kind::other : Kind::incomplete;
    return request;
  }
  request.kind = Kind::other;
  auto head = buffer.substr(0, end + 2);  // every line with its CRLF
  auto line_end = head.find("\r\n");
  auto request_line = head.substr(0, line_end);
  const std::string_view method = "GET ", version = " HTTP/1.1";
  if (request_line.size() <= method.size() + version.size() ||
      request_line.substr(0, method.size()) != method ||
      request_line.substr(request_line.size() - version.size()) != version)
    return request;
  auto target =
      request_line.substr(method.size(), request_line.size() - method.size() - version.size());
  if (!read_target(target, request))
    return request;
  for (auto rest = head.substr(line_end + 2); !rest.empty();) {
    auto next = rest.find("\r\n");
    auto line = rest.substr(0, next);
    // A bare CR or LF inside a line, or a folded line, is for the full parser to refuse.
    if (line.find_first_of("\r\n") != std::string_view::npos || line.front() == ' ' ||
        line.front() == '\t' || !read_header(line, request)) {
      request.kind = Kind::other;
      return request;
    }
    rest = rest.substr(next + 2);
  }
  request.kind = Kind::check;
  request.head_length = end + 4;
  return request;
}

}  // namespace mpaas::platform::server

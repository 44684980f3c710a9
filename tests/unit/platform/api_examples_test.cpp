// docs/api.md's examples replayed top to bottom against a live server over a fresh embedded
// platform: each `<!-- example: METHOD /route -->` is followed by two ```http blocks, the
// request and the response. The request is sent as written ($TOKEN is the admin token, ids
// the doc made up are replaced by the real ones learnt so far); the reply must have the
// example's status and reason, its headers, and for JSON the same keys at every level, the
// same value types and the same values, except for what differs per run: ids (rel_, tok_,
// up_), token secrets (mpaas_) and RFC 3339 times. An id the doc shows once stands for the
// real one everywhere after.
#include <httplib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "live_server.hpp"
#include "process.hpp"

using namespace mpaas;
using mpaas::test::LiveServer;

namespace {

bool same_name(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// One ```http block: a request or status line, headers, and the body as written.
struct Message {
  size_t line = 0;  // of the block's first line in docs/api.md
  std::string start;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  const std::string* header(const std::string& name) const {
    for (const auto& [key, value] : headers) {
      if (same_name(key, name))
        return &value;
    }
    return nullptr;
  }
};

struct Example {
  std::string route;  // "METHOD /pattern", as ApiServer::routes() spells it
  size_t line = 0;
  Message request, response;
};

struct Parsed {
  std::vector<Example> examples;
  std::vector<std::string> problems;
};

std::string read_doc() {
  std::ifstream in(test::source_dir() / "docs" / "api.md");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    lines.push_back(line);
  return lines;
}

std::string at_line(size_t line) {
  return "docs/api.md:" + std::to_string(line) + ": ";
}

Message parse_message(const std::vector<std::string>& lines, size_t first_line,
                      std::vector<std::string>& problems) {
  Message message;
  message.line = first_line;
  if (lines.empty()) {
    problems.push_back(at_line(first_line) + "an empty ```http block");
    return message;
  }
  message.start = lines[0];
  size_t i = 1;
  for (; i < lines.size() && !lines[i].empty(); ++i) {
    auto colon = lines[i].find(':');
    if (colon == std::string::npos || colon == 0) {
      problems.push_back(at_line(first_line + i) + "not a header: " + lines[i]);
      continue;
    }
    auto value = lines[i].substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    message.headers.emplace_back(lines[i].substr(0, colon), value);
  }
  for (size_t body = i + 1; body < lines.size(); ++body) {
    if (body > i + 1)
      message.body += '\n';
    message.body += lines[body];
  }
  return message;
}

// Every example of the doc; a ```http block outside an example is a problem (nothing in the
// doc looks like a checked exchange without being one).
Parsed parse_examples(const std::string& doc) {
  const std::string open = "<!-- example: ", close = " -->";
  Parsed parsed;
  auto lines = lines_of(doc);
  std::optional<Example> current;
  std::vector<Message> blocks;
  auto finish = [&](size_t line) {
    if (!current)
      return;
    if (blocks.size() != 2) {
      parsed.problems.push_back(at_line(current->line) + current->route +
                                ": needs a request and a response block before line " +
                                std::to_string(line));
    } else {
      current->request = blocks[0];
      current->response = blocks[1];
      parsed.examples.push_back(*current);
    }
    current.reset();
    blocks.clear();
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& line = lines[i];
    if (line.rfind(open, 0) == 0 && line.size() > open.size() + close.size() &&
        line.compare(line.size() - close.size(), close.size(), close) == 0) {
      finish(i + 1);
      current = Example{};
      current->route = line.substr(open.size(), line.size() - open.size() - close.size());
      current->line = i + 1;
      continue;
    }
    if (line != "```http")
      continue;
    std::vector<std::string> block;
    size_t first = i + 2;
    for (++i; i < lines.size() && lines[i] != "```"; ++i)
      block.push_back(lines[i]);
    if (!current || blocks.size() == 2) {
      parsed.problems.push_back(at_line(first - 1) + "a ```http block that is no example's");
      continue;
    }
    blocks.push_back(parse_message(block, first, parsed.problems));
    if (blocks.size() == 2)
      finish(i + 1);
  }
  finish(lines.size());
  return parsed;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    auto end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string::npos)
      return parts;
    start = end + 1;
  }
}

// Whether `path` is an instance of the route pattern: a {param} is one segment, except {ref},
// which may also be APP/PLATFORM/VERSION (three).
bool path_matches(const std::vector<std::string>& pattern, size_t p,
                  const std::vector<std::string>& path, size_t s) {
  if (p == pattern.size())
    return s == path.size();
  if (s >= path.size())
    return false;
  bool parameter = pattern[p].size() > 2 && pattern[p].front() == '{';
  if (parameter && path[s].empty())
    return false;
  if (pattern[p] == "{ref}") {
    return path_matches(pattern, p + 1, path, s + 1) ||
           (s + 3 <= path.size() && path_matches(pattern, p + 1, path, s + 3));
  }
  if (parameter)
    return path_matches(pattern, p + 1, path, s + 1);
  return pattern[p] == path[s] && path_matches(pattern, p + 1, path, s + 1);
}

// Values the doc makes up that differ in every run, and the real ones they stand for.
class Varying {
 public:
  explicit Varying(const std::string& admin) { m_to_real["$TOKEN"] = admin; }

  // The text with every made-up value learnt so far replaced by the real one.
  std::string substitute(std::string text) const {
    for (const auto& [made_up, real] : m_to_real) {
      for (auto at = text.find(made_up); at != std::string::npos;
           at = text.find(made_up, at + real.size()))
        text.replace(at, made_up.size(), real);
    }
    return text;
  }

  // Whether `real` is `shown` up to the varying values in it (learnt, or learnt now).
  bool match(const std::string& shown, const std::string& real, std::string& why) {
    size_t i = 0, j = 0;
    while (i < shown.size()) {
      auto length = varying_at(shown, i);
      if (length > 0) {
        auto prefix_end = shown.find('_', i) + 1;
        auto prefix = shown.substr(i, prefix_end - i);
        if (real.compare(j, prefix.size(), prefix) != 0 || varying_at(real, j) != length) {
          why = "no " + prefix + "... of the same length at character " + std::to_string(j);
          return false;
        }
        if (!bind(shown.substr(i, length), real.substr(j, length), why))
          return false;
        i += length;
        j += length;
        continue;
      }
      if (j >= real.size() || shown[i] != real[j]) {
        why = "they differ at character " + std::to_string(j);
        return false;
      }
      ++i;
      ++j;
    }
    if (j != real.size())
      why = "the reply has more after character " + std::to_string(j);
    return j == real.size();
  }

 private:
  static bool id_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
  static bool secret_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  }

  // The length of an id or secret starting at `at` (its prefix and 8 or more characters
  // after it, not inside a longer word), else 0.
  static size_t varying_at(const std::string& text, size_t at) {
    if (at > 0 && secret_char(text[at - 1]))
      return 0;
    for (const char* prefix : {"rel_", "tok_", "up_", "mpaas_"}) {
      std::string start = prefix;
      if (text.compare(at, start.size(), start) != 0)
        continue;
      bool secret = start == "mpaas_";
      size_t end = at + start.size();
      while (end < text.size() && (secret ? secret_char(text[end]) : id_char(text[end])))
        ++end;
      return end - at - start.size() >= 8 ? end - at : 0;
    }
    return 0;
  }

  bool bind(const std::string& shown, const std::string& real, std::string& why) {
    auto known = m_to_real.find(shown);
    if (known != m_to_real.end() && known->second != real) {
      why = shown + " stood for " + known->second + " before, here it is " + real;
      return false;
    }
    auto back = m_from_real.find(real);
    if (back != m_from_real.end() && back->second != shown) {
      why = real + " was shown as " + back->second + " before, here as " + shown;
      return false;
    }
    m_to_real[shown] = real;
    m_from_real[real] = shown;
    return true;
  }

  std::map<std::string, std::string> m_to_real, m_from_real;
};

bool is_time(const std::string& text) {
  // 2026-11-27T10:00:00Z
  const std::string shape = "dddd-dd-ddTdd:dd:ddZ";
  if (text.size() != shape.size())
    return false;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 'd' ? !std::isdigit(static_cast<unsigned char>(text[i])) : text[i] != shape[i])
      return false;
  }
  return true;
}

std::string type_of(const Json& value) {
  if (value.is_object())
    return "an object";
  if (value.is_array())
    return "an array";
  if (value.is_string())
    return "a string";
  if (value.is_boolean())
    return "a boolean";
  if (value.is_null())
    return "null";
  return "a number";
}

// The same keys at every level, the same types and the same values up to what varies.
void compare_json(const Json& shown, const Json& real, const std::string& path, Varying& varying,
                  std::vector<std::string>& problems) {
  auto where = path.empty() ? std::string("the body") : path;
  if (type_of(shown) != type_of(real)) {
    problems.push_back(where + " is " + type_of(real) + ", the doc shows " + type_of(shown));
    return;
  }
  if (shown.is_object()) {
    for (const auto& [key, value] : shown.items()) {
      if (!real.contains(key))
        problems.push_back(path + "." + key + " is in the doc, not in the reply");
      else
        compare_json(value, real[key], path + "." + key, varying, problems);
    }
    for (const auto& [key, value] : real.items()) {
      if (!shown.contains(key))
        problems.push_back(path + "." + key + " is in the reply, not in the doc");
    }
  } else if (shown.is_array()) {
    if (shown.size() != real.size())
      problems.push_back(where + " has " + std::to_string(real.size()) + " items, the doc shows " +
                         std::to_string(shown.size()));
    for (size_t i = 0; i < std::min(shown.size(), real.size()); ++i)
      compare_json(shown[i], real[i], path + "[" + std::to_string(i) + "]", varying, problems);
  } else if (shown.is_string()) {
    auto text = shown.get<std::string>(), got = real.get<std::string>();
    std::string why;
    if (is_time(text)) {
      if (!is_time(got))
        problems.push_back(where + " is \"" + got + "\", not an RFC 3339 time");
    } else if (!varying.match(text, got, why)) {
      problems.push_back(where + " is \"" + got + "\", the doc shows \"" + text + "\": " + why);
    }
  } else if (shown != real) {
    problems.push_back(where + " is " + real.dump() + ", the doc shows " + shown.dump());
  }
}

bool is_json(const Message& message) {
  auto type = message.header("Content-Type");
  return type && type->rfind("application/json", 0) == 0;
}

// Sends the example's request and compares the reply with its response; returns what differs.
std::vector<std::string> replay(const Example& example, LiveServer& server, Varying& varying) {
  std::vector<std::string> problems;
  auto problem = [&](size_t line, const std::string& text) {
    problems.push_back(at_line(line) + example.route + ": " + text);
  };
  // The request line against the route the example names.
  auto request_line = split(example.request.start, ' ');
  auto route = split(example.route, ' ');
  if (request_line.size() != 3 || request_line[2] != "HTTP/1.1" || route.size() != 2) {
    problem(example.request.line, "the request line is not 'METHOD TARGET HTTP/1.1'");
    return problems;
  }
  auto target = request_line[1];
  auto path = target.substr(0, target.find('?'));
  if (request_line[0] != route[0] || !path_matches(split(route[1], '/'), 0, split(path, '/'), 0))
    problem(example.request.line, example.request.start + " is not an instance of the route");

  httplib::Request request;
  request.method = request_line[0];
  request.path = varying.substitute(target);
  request.body = varying.substitute(example.request.body);
  for (const auto& [name, value] : example.request.headers) {
    if (same_name(name, "Host"))
      continue;
    if (same_name(name, "Content-Length")) {
      if (value != std::to_string(example.request.body.size()))
        problem(example.request.line, "Content-Length " + value + " for a body of " +
                                          std::to_string(example.request.body.size()) + " bytes");
      continue;
    }
    request.headers.emplace(name, varying.substitute(value));
  }
  httplib::Response response;
  httplib::Error error = httplib::Error::Success;
  auto http = server.client();
  if (!http.send(request, response, error)) {
    problem(example.request.line, "no reply (" + httplib::to_string(error) + ")");
    return problems;
  }

  // The status line.
  const auto& shown = example.response;
  auto space = shown.start.find(' ', 9);
  if (shown.start.rfind("HTTP/1.1 ", 0) != 0 || space == std::string::npos) {
    problem(shown.line, "the status line is not 'HTTP/1.1 CODE REASON'");
    return problems;
  }
  auto status = shown.start.substr(9, space - 9);
  auto reason = shown.start.substr(space + 1);
  if (status != std::to_string(response.status) || reason != response.reason) {
    problem(shown.line, "the reply is " + std::to_string(response.status) + " " + response.reason +
                            ", the doc shows " + status + " " + reason +
                            " (body: " + response.body.substr(0, 300) + ")");
  }

  // The headers the example shows (a reply may have more).
  for (const auto& [name, value] : shown.headers) {
    if (!response.has_header(name)) {
      problem(shown.line, "no " + name + " header in the reply");
      continue;
    }
    auto got = response.get_header_value(name);
    // A date or a JSON body's length depends on the run or on the doc's layout.
    if (same_name(name, "Upload-Expires") || same_name(name, "Date") ||
        (same_name(name, "Content-Length") && is_json(shown)))
      continue;
    std::string why;
    if (!varying.match(varying.substitute(value), got, why))
      problem(shown.line, name + ": " + got + ", the doc shows " + value + ": " + why);
  }

  // The body: JSON compared as JSON, anything else byte for byte.
  if (shown.body.empty() || !is_json(shown)) {
    if (response.body != varying.substitute(shown.body))
      problem(shown.line, "the body is \"" + response.body.substr(0, 300) + "\", the doc shows \"" +
                              shown.body.substr(0, 300) + "\"");
    return problems;
  }
  auto expected = Json::parse(shown.body, nullptr, false);
  auto real = Json::parse(response.body, nullptr, false);
  if (expected.is_discarded()) {
    problem(shown.line, "the doc's body is not JSON");
  } else if (real.is_discarded()) {
    problem(shown.line, "the reply's body is not JSON: " + response.body.substr(0, 300));
  } else {
    std::vector<std::string> differences;
    compare_json(expected, real, "", varying, differences);
    for (const auto& difference : differences)
      problem(shown.line, difference);
    if (!differences.empty())
      problem(shown.line, "the whole reply: " + response.body.substr(0, 4000));
  }
  return problems;
}

// The doc's examples replayed in order on a fresh server; every problem found.
std::vector<std::string> replay_doc(const std::string& doc) {
  auto parsed = parse_examples(doc);
  auto problems = parsed.problems;
  auto routes = platform::server::ApiServer::routes();
  for (const auto& example : parsed.examples) {
    if (std::find(routes.begin(), routes.end(), example.route) == routes.end())
      problems.push_back(at_line(example.line) + example.route + " is not a route of the server");
  }
  for (const auto& route : routes) {
    bool shown = std::any_of(parsed.examples.begin(), parsed.examples.end(),
                             [&](const Example& example) { return example.route == route; });
    if (!shown)
      problems.push_back("docs/api.md has no example of " + route);
  }
  LiveServer server;
  Varying varying(server.admin);
  for (const auto& example : parsed.examples) {
    auto found = replay(example, server, varying);
    problems.insert(problems.end(), found.begin(), found.end());
  }
  return problems;
}

bool mentions(const std::vector<std::string>& problems, const std::string& text) {
  return std::any_of(problems.begin(), problems.end(), [&](const std::string& problem) {
    return problem.find(text) != std::string::npos;
  });
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("every example in docs/api.md is what the server answers, replayed in order",
          "[server]") {
  auto problems = replay_doc(read_doc());
  for (const auto& problem : problems)
    UNSCOPED_INFO(problem);
  CHECK(problems.empty());
  CHECK(parse_examples(read_doc()).examples.size() >= platform::server::ApiServer::routes().size());
}

TEST_CASE("the example check finds a wrong status, key, value, header or a missing example",
          "[server]") {
  auto doc = read_doc();
  // The first example that creates an app, its status, a key and a value made wrong.
  auto broken = replaced(doc,
                         "HTTP/1.1 201 Created\nContent-Type: application/json; "
                         "charset=utf-8\n\n{\"id\": \"com.example.shop\"",
                         "HTTP/1.1 200 OK\nContent-Type: application/json; "
                         "charset=utf-8\n\n{\"id\": \"com.example.shop\"");
  broken = replaced(broken, "\"releases\": 0,", "\"release_count\": 0,");
  broken =
      replaced(broken, "\"name\": \"Shop\", \"releases\"", "\"name\": \"Shopping\", \"releases\"");
  broken = replaced(broken, "\nTus-Version: 1.0.0\n", "\nTus-Version: 1.0.1\n");
  broken = replaced(broken, "<!-- example: GET /healthz -->", "<!-- example: GET /nowhere -->");
  auto problems = replay_doc(broken);
  for (const auto& problem : problems)
    UNSCOPED_INFO(problem);
  CHECK(mentions(problems, "the reply is 201 Created, the doc shows 200 OK"));
  CHECK(mentions(problems, ".release_count is in the doc, not in the reply"));
  CHECK(mentions(problems, ".releases is in the reply, not in the doc"));
  CHECK(mentions(problems, ".name is \"Shop\", the doc shows \"Shopping\""));
  CHECK(mentions(problems, "Tus-Version: 1.0.0, the doc shows 1.0.1"));
  CHECK(mentions(problems, "GET /nowhere is not a route of the server"));
  CHECK(mentions(problems, "docs/api.md has no example of GET /healthz"));
}

TEST_CASE("an id the doc makes up stands for one real id throughout", "[server]") {
  Varying varying("secret");
  std::string why;
  CHECK(varying.match("rel_k3x9qm2ab7fd", "rel_aaaaaaaaaaaa", why));
  CHECK(varying.match("superseded by rel_k3x9qm2ab7fd (1.3.0)",
                      "superseded by rel_aaaaaaaaaaaa (1.3.0)", why));
  CHECK_FALSE(varying.match("rel_k3x9qm2ab7fd", "rel_bbbbbbbbbbbb", why));
  CHECK_FALSE(varying.match("rel_q7m2x9k3ab4c", "rel_aaaaaaaaaaaa", why));
  CHECK_FALSE(varying.match("rel_q7m2x9k3ab4c", "rel_cccccccccccccc", why));
  CHECK_FALSE(
      varying.match("/v1/uploads/up_7f3k2m9q4x5a2b6c", "/v2/uploads/up_7f3k2m9q4x5a2b6c", why));
  CHECK(varying.substitute("GET /v1/releases/rel_k3x9qm2ab7fd $TOKEN") ==
        "GET /v1/releases/rel_aaaaaaaaaaaa secret");
}

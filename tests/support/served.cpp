// A real `mpaas serve` beside a test (see served.hpp).
#include "served.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>

#include "process.hpp"

namespace mpaas::test {
namespace {

// The port a server printed in "serving ... on http://127.0.0.1:PORT/v1".
int port_in_log(const std::string& log) {
  auto at = log.find("://127.0.0.1:");
  if (at == std::string::npos)
    return 0;
  return std::stoi(log.substr(at + 13));
}

std::string first_line_of(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

ServedPlatform::ServedPlatform(const std::filesystem::path& home, std::vector<std::string> extra,
                               int port) {
  std::vector<std::string> arguments = {"serve", "--listen", "127.0.0.1:" + std::to_string(port)};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  // One log per port asked for: a server restarted on its port starts a fresh one.
  auto log = home / ("serve-" + std::to_string(port) + ".log");
  m_process =
      std::make_unique<BackgroundProcess>(mpaas_binary(), arguments, mpaas_environment(home), log);
  REQUIRE(m_process->wait_for_stderr("/v1\n", std::chrono::seconds(60)));
  m_port = port_in_log(m_process->stderr_text());
  REQUIRE(m_port > 0);
  m_token = first_line_of(home / ".local/share/mpaas/platform/admin-token");
  REQUIRE(!m_token.empty());
}

std::string ServedPlatform::url(const std::string& path, const std::string& scheme) const {
  return scheme + "://127.0.0.1:" + std::to_string(m_port) + path;
}

std::map<std::string, std::string> ServedPlatform::client_environment(
    const std::string& scheme) const {
  return {{"MPAAS_ENDPOINT", url("", scheme)}, {"MPAAS_TOKEN", m_token}};
}

}  // namespace mpaas::test

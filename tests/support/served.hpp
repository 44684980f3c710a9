// A real `mpaas serve` beside a test: started on a free loopback port with the folders of
// a test home (so it serves that home's embedded platform), its admin token read from the
// platform folder, and stopped with the guard.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "background.hpp"

namespace mpaas::test {

class ServedPlatform {
 public:
  // Starts `mpaas serve --listen 127.0.0.1:PORT EXTRA...` (port 0: any free one) and waits
  // until it listens. Fails the test when it does not.
  explicit ServedPlatform(const std::filesystem::path& home, std::vector<std::string> extra = {},
                          int port = 0);

  std::string url(const std::string& path, const std::string& scheme = "http") const;
  // What a client sets to reach this server: MPAAS_ENDPOINT and MPAAS_TOKEN (the admin one).
  std::map<std::string, std::string> client_environment(const std::string& scheme = "http") const;

  BackgroundProcess& process() { return *m_process; }
  int port() const { return m_port; }
  const std::string& admin_token() const { return m_token; }

 private:
  std::unique_ptr<BackgroundProcess> m_process;
  int m_port = 0;
  std::string m_token;
};

}  // namespace mpaas::test

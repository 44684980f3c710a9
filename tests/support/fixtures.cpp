// Where the optional outside fixtures are (see fixtures.hpp and tests/README.md).
#include "fixtures.hpp"

#include <cstdlib>

#include "process.hpp"

namespace mpaas::test {

std::filesystem::path fixtures_root() {
  if (const char* overridden = std::getenv("MPAAS_FIXTURES_DIR"))
    return overridden;
  return source_dir().parent_path() / "shared" / "fixtures";
}

std::optional<std::filesystem::path> optional_fixture(const std::string& name) {
  auto folder = fixtures_root() / name;
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec))
    return std::nullopt;
  return folder;
}

}  // namespace mpaas::test

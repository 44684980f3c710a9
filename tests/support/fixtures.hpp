// Real data that nobody on this team made (a real mPaaS package and its key) lives outside
// the repository, in the one optional location documented in tests/README.md. Tests that
// need it run where it is present and are reported as skipped, with the reason, where it is
// not: they never fail or pass silently on a clone alone.
#pragma once

#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

namespace mpaas::test {

// $MPAAS_FIXTURES_DIR, else <source>/../shared/fixtures.
std::filesystem::path fixtures_root();
// The fixture folder `name` when it exists.
std::optional<std::filesystem::path> optional_fixture(const std::string& name);

}  // namespace mpaas::test

// Binds `variable` to the fixture folder `name`, or ends the test case reported as skipped:
// ctest matches the "SKIPPED:" line (tests/CMakeLists.txt) and shows the test as not run.
#define MPAAS_FIXTURE_OR_SKIP(variable, name)                                           \
  auto variable##_found = ::mpaas::test::optional_fixture(name);                        \
  if (!variable##_found) {                                                              \
    std::cout << "SKIPPED: fixture '" << (name) << "' not found under "                 \
              << ::mpaas::test::fixtures_root().string() << " (see tests/README.md)\n"; \
    return;                                                                             \
  }                                                                                     \
  const std::filesystem::path variable = *variable##_found

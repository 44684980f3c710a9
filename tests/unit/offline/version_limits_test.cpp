// Versions and ids of mpaas.yaml are checked by hand-written code with a length limit: the
// std::regex it replaced recursed once per character and crashed (SIGSEGV) on a
// 40,000-character version.
#include <catch2/catch.hpp>

#include "mpaas/core/error.hpp"
#include "mpaas/offline/settings.hpp"

using namespace mpaas::offline;

namespace {

Settings valid_settings() {
  Settings settings;
  settings.id = "80000001";
  settings.name = "app";
  settings.version = "1.0.0.1";
  return settings;
}

std::string refusal(const Settings& settings) {
  try {
    validate_settings(settings);
  } catch (const mpaas::Error& error) {
    CHECK(error.kind() == mpaas::ErrorKind::invalid_input);
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("versions: four-part and semver, as the regexes accepted them", "[offline][version]") {
  for (const char* good : {"1.0.0.1", "0.0.0.0", "01.2.3.4", "1.2.3", "0.10.0", "1.2.3-beta.1",
                           "1.2.3-rc-1", "1.2.3+build.5", "1.2.3-rc.1+b-2", "10.20.30"}) {
    INFO(good);
    CHECK(is_valid_version(good));
  }
  for (const char* bad :
       {"", "1", "1.2", "v1.2.3", "1.2.3.4.5", "01.2.3", "1.02.3", "1.2.3-", "1.2.3+",
        "1.2.3-a+b+c", "1.2.3-a_b", "1..2.3", "1.2.3.", " 1.2.3", "1.2.3.4-beta", "1.2.x"}) {
    INFO(bad);
    CHECK_FALSE(is_valid_version(bad));
  }
}

TEST_CASE("a 40,000-character version is refused in one short line", "[offline][version]") {
  auto settings = valid_settings();
  settings.version = "1.0.0." + std::string(40000, '1');
  CHECK_FALSE(is_valid_version(settings.version));
  std::string message = refusal(settings);
  CHECK(message == "the version is longer than 128 characters (offline.version)");
  settings.version = "1.2.3-" + std::string(40000, 'a');
  CHECK(refusal(settings) == "the version is longer than 128 characters (offline.version)");
  settings.version = "1.0.0." + std::string(max_version_length - 6, '1');
  CHECK(refusal(settings) == "");
}

TEST_CASE("a long package id is refused without quoting it whole", "[offline][version]") {
  auto settings = valid_settings();
  settings.id = std::string(40000, '8');
  std::string message = refusal(settings);
  CHECK_THAT(message, Catch::StartsWith("the package id must be 8 digits, not '8888"));
  CHECK(message.size() < 200);
  settings.id = "8000000a";
  CHECK_THAT(refusal(settings), Catch::Contains("must be 8 digits"));
}

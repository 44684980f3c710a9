// archive/safe_path: which entries extraction refuses.
#include <catch2/catch.hpp>

#include "mpaas/archive/safe_path.hpp"

using namespace mpaas::archive;

TEST_CASE("unsafe paths are named", "[archive]") {
  CHECK_FALSE(unsafe_path_reason("index.html"));
  CHECK_FALSE(unsafe_path_reason("./js/app.js"));
  CHECK_FALSE(unsafe_path_reason("a..b/c"));
  CHECK(unsafe_path_reason("/etc/passwd") == "absolute path");
  CHECK(unsafe_path_reason("../x") == "path with '..'");
  CHECK(unsafe_path_reason("a/../../x") == "path with '..'");
  CHECK(unsafe_path_reason("") == "empty path");
  CHECK(unsafe_path_reason("./") == "empty path");
  CHECK(unsafe_path_reason("a\\..\\b") == "backslash in path");
  CHECK(unsafe_path_reason("C:/x") == "drive-letter path");
  CHECK(normalise_entry_path("./a//b/./c") == "a/b/c");
}

TEST_CASE("links and special entries are judged by where they lead", "[archive]") {
  EntryInfo link{"js/lib", EntryType::symlink, 0, true, "../css", 0};
  CHECK_FALSE(unsafe_entry_reason(link));
  link.link_target = "../../etc";
  CHECK(unsafe_entry_reason(link) == "symbolic link leaving the folder");
  link.link_target = "/etc/passwd";
  CHECK(unsafe_entry_reason(link) == "symbolic link leaving the folder");
  EntryInfo hard{"a", EntryType::hardlink, 0, true, "../b", 0};
  CHECK(unsafe_entry_reason(hard) == "hard link leaving the folder");
  EntryInfo device{"dev", EntryType::other, 0, true, "", 0};
  CHECK(unsafe_entry_reason(device) == "device, FIFO or socket entry");
}

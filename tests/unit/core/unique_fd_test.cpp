// UniqueFd closes its descriptor at scope exit; open_read_only names a missing path.
#include <fcntl.h>
#include <catch2/catch.hpp>

#include "mpaas/core/error.hpp"
#include "mpaas/core/unique_fd.hpp"
#include "temp_dir.hpp"

using namespace mpaas;

TEST_CASE("a UniqueFd closes its descriptor when it goes out of scope", "[core][unique_fd]") {
  test::TempDir dir;
  test::write_text(dir / "f", "data");
  int raw = -1;
  {
    UniqueFd fd = open_read_only(dir / "f");
    raw = fd.get();
    REQUIRE(raw >= 0);
    CHECK(::fcntl(raw, F_GETFD) != -1);
  }
  CHECK(::fcntl(raw, F_GETFD) == -1);
}

TEST_CASE("open_read_only names a missing file as not found", "[core][unique_fd]") {
  test::TempDir dir;
  try {
    open_read_only(dir / "absent");
    FAIL("expected not_found");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::not_found);
    CHECK_THAT(error.what(), Catch::Contains("absent"));
  }
}

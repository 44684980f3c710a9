// Error kinds map to the documented exit codes, one row each in the table.
#include <catch2/catch.hpp>
#include <set>

#include "mpaas/core/error.hpp"

using namespace mpaas;

TEST_CASE("each error kind maps to its documented exit code", "[core][error]") {
  CHECK(exit_code_of(invalid_input("x").kind()) == 3);
  CHECK(exit_code_of(usage_error("x").kind()) == 2);
  CHECK(exit_code_of(verification_failed("x").kind()) == 4);
  CHECK(exit_code_of(not_found("x").kind()) == 5);
  CHECK(exit_code_of(conflict("x").kind()) == 6);
  CHECK(exit_code_of(auth_error("x").kind()) == 7);
  CHECK(exit_code_of(unavailable("x").kind()) == 8);
  CHECK(exit_code_of(failure("x").kind()) == 1);
  CHECK(exit_code_of(ErrorKind::interrupted) == 130);
}

TEST_CASE("the exit-code table lists every code once and keeps the message", "[core][error]") {
  std::set<int> codes;
  for (const auto& row : exit_code_table()) {
    CHECK(codes.insert(row.code).second);
  }
  CHECK(codes == std::set<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 130});
  Error error = invalid_input("bad header (patch.mpd)");
  CHECK(std::string(error.what()) == "bad header (patch.mpd)");
}

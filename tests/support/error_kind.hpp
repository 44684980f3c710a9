// The kind of mpaas::Error an action throws, for tests that check refusals by kind.
#pragma once

#include <catch2/catch.hpp>
#include <functional>

#include "mpaas/core/error.hpp"

namespace mpaas::test {

inline ErrorKind kind_of_error(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    return error.kind();
  }
  FAIL("no error");
  return ErrorKind::failure;
}

}  // namespace mpaas::test

// Error shorthands and the exit-code table (see error.hpp).
#include "core/error.hpp"

namespace mpaas {

Error failure(const std::string& message) {
  return Error(ErrorKind::failure, message);
}
Error usage_error(const std::string& message) {
  return Error(ErrorKind::usage, message);
}
Error invalid_input(const std::string& message) {
  return Error(ErrorKind::invalid_input, message);
}
Error verification_failed(const std::string& message) {
  return Error(ErrorKind::verification, message);
}
Error not_found(const std::string& message) {
  return Error(ErrorKind::not_found, message);
}
Error conflict(const std::string& message) {
  return Error(ErrorKind::conflict, message);
}
Error auth_error(const std::string& message) {
  return Error(ErrorKind::auth, message);
}
Error unavailable(const std::string& message) {
  return Error(ErrorKind::unavailable, message);
}

const std::vector<ExitCodeRow>& exit_code_table() {
  static const std::vector<ExitCodeRow> table = {
      {0, "ok", "success"},
      {1, "failure", "the command failed"},
      {2, "usage", "invalid command line: unknown command or flag, bad or missing argument"},
      {3, "invalid-input", "malformed input data: file, archive, patch, package or YAML"},
      {4, "verification", "a hash or signature did not verify"},
      {5, "not-found", "a named file, key, app or release does not exist"},
      {6, "conflict", "the target already exists or its state forbids the change"},
      {7, "auth", "missing or rejected credentials"},
      {8, "unavailable", "network or server unavailable"},
      {130, "interrupted", "interrupted by Ctrl-C; no partial output is left"},
  };
  return table;
}

int exit_code_of(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::failure:
      return 1;
    case ErrorKind::usage:
      return 2;
    case ErrorKind::invalid_input:
      return 3;
    case ErrorKind::verification:
      return 4;
    case ErrorKind::not_found:
      return 5;
    case ErrorKind::conflict:
      return 6;
    case ErrorKind::auth:
      return 7;
    case ErrorKind::unavailable:
      return 8;
    case ErrorKind::interrupted:
      return 130;
  }
  return 1;
}

}  // namespace mpaas

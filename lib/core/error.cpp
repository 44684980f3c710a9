// Error shorthands and the exit-code table (see error.hpp).
#include "mpaas/core/error.hpp"

namespace mpaas {

Error failure(const std::string& message, const std::string& subject) {
  return Error(ErrorKind::failure, message, subject);
}
Error usage_error(const std::string& message, const std::string& subject) {
  return Error(ErrorKind::usage, message, subject);
}
Error invalid_input(const std::string& message, const std::string& subject) {
  return Error(ErrorKind::invalid_input, message, subject);
}
Error verification_failed(const std::string& message, const std::string& subject) {
  return Error(ErrorKind::verification, message, subject);
}
Error not_found(const std::string& message, const std::string& subject) {
  return Error(ErrorKind::not_found, message, subject);
}
Error conflict(const std::string& message, const std::string& subject) {
  return Error(ErrorKind::conflict, message, subject);
}
Error auth_error(const std::string& message, const std::string& subject) {
  return Error(ErrorKind::auth, message, subject);
}
Error unavailable(const std::string& message, const std::string& subject) {
  return Error(ErrorKind::unavailable, message, subject);
}

Error interrupted(const std::string& message) {
  return Error(ErrorKind::interrupted, message);
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

const char* kind_name(ErrorKind kind) {
  int code = exit_code_of(kind);
  for (const auto& row : exit_code_table()) {
    if (row.code == code)
      return row.name;
  }
  return "failure";
}

}  // namespace mpaas

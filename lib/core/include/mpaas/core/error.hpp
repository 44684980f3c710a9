// The one typed exception family of libmpaas, and the exit-code table.
// Every failure a user can see is an mpaas::Error with a kind; cli/ maps the kind to
// the process exit code through exit_code_table(), the single place that table lives
// (it sits in lib/core, not cli/, so that `mpaas help exit-codes` and the man page
// generator read the very same rows). Messages are lowercase with no trailing period
// and name the file or field at fault, e.g. "invalid YAML at line 3, column 5 (mpaas.yaml)".
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace mpaas {

enum class ErrorKind {
  failure,        // 1: anything else that went wrong
  usage,          // 2: bad flags, arguments or missing variables
  invalid_input,  // 3: malformed input data (file, archive, patch, YAML)
  verification,   // 4: a hash or signature did not verify
  not_found,      // 5: a named thing does not exist
  conflict,       // 6: the target exists or the state forbids the change
  auth,           // 7: missing or rejected credentials
  unavailable,    // 8: network or server unavailable
  interrupted,    // 130: Ctrl-C
};

// An error a user sees: its kind (the exit code), a one-line message, and the subject at
// fault: the file, field or entry it is about ("mpaas.yaml", "offline.version", "level").
// lib names domain fields, never command-line flags; the command layer may map a subject
// to its flag. The subject is also part of the error's JSON form (docs/json.md).
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message, std::string subject = {})
      : std::runtime_error(message), m_kind(kind), m_subject(std::move(subject)) {}
  ErrorKind kind() const { return m_kind; }
  const std::string& subject() const { return m_subject; }

 private:
  ErrorKind m_kind;
  std::string m_subject;
};

// Shorthands that read well at the throw site: throw invalid_input("...", "mpaas.yaml").
Error failure(const std::string& message, const std::string& subject = {});
Error usage_error(const std::string& message, const std::string& subject = {});
Error invalid_input(const std::string& message, const std::string& subject = {});
Error verification_failed(const std::string& message, const std::string& subject = {});
Error not_found(const std::string& message, const std::string& subject = {});
Error conflict(const std::string& message, const std::string& subject = {});
Error auth_error(const std::string& message, const std::string& subject = {});
Error unavailable(const std::string& message, const std::string& subject = {});
Error interrupted(const std::string& message = "interrupted");

struct ExitCodeRow {
  int code;
  const char* name;
  const char* meaning;
};

// Every exit code mpaas uses, in order. 0 is success; the rest map from ErrorKind.
const std::vector<ExitCodeRow>& exit_code_table();
int exit_code_of(ErrorKind kind);
// The kind's stable name, as in the exit-code table ("invalid-input").
const char* kind_name(ErrorKind kind);

}  // namespace mpaas

// The platform's results read back from their JSON forms (docs/json.md): what the HTTP
// client receives from `mpaas serve`. Each reader is the inverse of its `to_json`, so that
// to_json(x_from_json(to_json(x))) == to_json(x).
//
// A server's reply is hostile input: a missing field, a wrong type, a time or percentage
// out of range or an unknown state is a failure naming the field's path ("offers[2].state"),
// never a crash and never a partly filled result.
#pragma once

#include "mpaas/core/error.hpp"
#include "mpaas/core/output.hpp"
#include "mpaas/platform/platform.hpp"

namespace mpaas::platform {

App app_from_json(const Json& json);
AppList app_list_from_json(const Json& json);
AppDeleted app_deleted_from_json(const Json& json);
Release release_from_json(const Json& json);
ReleaseList release_list_from_json(const Json& json);
// The JSON of a history is its array of changes; `release` is taken from the first change,
// else `ref` (an empty history names no release).
History history_from_json(const Json& json, const std::string& ref = {});
WhitelistChange whitelist_change_from_json(const Json& json);
WhitelistIds whitelist_ids_from_json(const Json& json);
Device device_from_json(const Json& json);
CheckResult check_result_from_json(const Json& json);
// Rules are parsed again with parse_rule, so a reach decides exactly as the server would.
ReleaseGate release_gate_from_json(const Json& json);
Token token_from_json(const Json& json);
TokenList token_list_from_json(const Json& json);
// GET /v1/whoami: {"token": id, "name", "scope"}, as a Token with those fields.
Token whoami_from_json(const Json& json);

// Analytics (docs/json.md): the request a query or compare answered is read back from the
// fields the result echoes, so that text, JSON and CSV print as the embedded platform's do.
analytics::IngestResult ingest_result_from_json(const Json& json);
analytics::QueryResult query_result_from_json(const Json& json);
analytics::CompareResult compare_result_from_json(const Json& json);

// {"error": {"kind", "message", "subject"}} as the Error it names; an unknown kind is a
// failure. Refuses (failure naming "error") anything else.
Error error_from_json(const Json& json);
// The ErrorKind of a kind name of the exit-code table ("not-found"); nullopt otherwise.
std::optional<ErrorKind> error_kind_named(const std::string& name);

}  // namespace mpaas::platform

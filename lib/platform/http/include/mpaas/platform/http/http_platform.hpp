// The platform behind `mpaas serve`, reached over HTTP (docs/api.md): every Platform method
// is one route (or a few), replies are read back with from_json, error replies become the
// same mpaas::Error (kind, message, subject) the embedded platform throws, so a command and
// a script see no difference between the two.
//
// Uploads travel by tus 1.0 in chunks, each with its sha256; the upload's URL is kept in a
// state file (0600) keyed by endpoint, file sha256 and size, so that the same upload run
// again after a killed process or a dropped connection continues from the server's offset.
#pragma once

#include <filesystem>
#include <memory>

#include "mpaas/platform/http/client.hpp"
#include "mpaas/platform/platform.hpp"

namespace mpaas::platform::http {

struct HttpPlatformOptions {
  ClientOptions client;
  // Where resumable uploads are remembered (created 0700 when needed); empty: not kept.
  std::filesystem::path state_dir;
  uint64_t chunk_size = 16u << 20;  // bytes per PATCH; two are held (one sent, one read ahead)
  // Device ids per whitelist request (a JSON body is at most 1 MiB on the server).
  size_t whitelist_batch = 20000;
};

class HttpPlatform : public Platform {
 public:
  explicit HttpPlatform(HttpPlatformOptions options);

  App create_app(const std::string& id, const std::string& name) override;
  AppList list_apps() override;
  App show_app(const std::string& id) override;
  AppDeleted delete_app(const std::string& id) override;

  Release upload(const UploadRequest& request, ProgressSink& progress) override;
  ReleaseList list_releases(const ReleaseFilter& filter) override;
  Release show_release(const std::string& ref) override;
  History history(const std::string& ref) override;
  Download download(const std::string& ref, const std::filesystem::path& destination,
                    ProgressSink& progress) override;
  Artifact open_artifact(const std::string& ref) override;
  Release change(const std::string& ref, const LifecycleChange& change) override;

  WhitelistChange whitelist_add(const std::string& ref,
                                const std::vector<std::string>& devices) override;
  WhitelistChange whitelist_remove(const std::string& ref,
                                   const std::vector<std::string>& devices) override;
  WhitelistIds whitelist_list(const std::string& ref) override;

  CheckResult check(const CheckRequest& request) override;
  ReleaseGate gate(const std::string& ref) override;

  // The server records changes as the token that makes them; a client has no other actor.
  void set_actor(const std::string&) override {}

  Token create_token(const TokenRequest& request) override;
  TokenList list_tokens() override;
  Token revoke_token(const std::string& id) override;
  // GET /v1/whoami with `secret` as the bearer: the token's id, name and scope, or none
  // when the server refuses it (401).
  std::optional<Token> authenticate(const std::string& secret) override;

  // One POST /v1/apps/{app}/events per input, its stream sent as it is read (chunked), the
  // results summed; on_reject is called for each rejection the replies list (at most 100 per
  // input). Queries and compares are GET /v1/apps/{app}/analytics/... .
  analytics::IngestResult ingest_events(const analytics::IngestRequest& request,
                                        ProgressSink& progress) override;
  analytics::QueryResult query_events(const analytics::QueryRequest& request) override;
  analytics::CompareResult compare_events(const analytics::CompareRequest& request) override;

  Client& client() { return m_client; }

 private:
  Json call(const std::string& method, const std::string& target,
            const std::optional<Json>& body = std::nullopt);
  Json create(const std::string& target, const Json& body);
  analytics::IngestResult ingest_input(const analytics::IngestRequest& request,
                                       const analytics::IngestInput& input, ProgressSink& progress);
  WhitelistChange whitelist_edit(const std::string& ref, const std::vector<std::string>& devices,
                                 const std::string& route);
  // Writes the artifact of `release` through `write`, verified; resumes a broken transfer
  // with a Range request.
  void fetch_artifact(const Release& release, const std::function<void(const char*, size_t)>& write,
                      ProgressSink& progress);
  // Sends the file by tus; the upload's id and the file's sha256 (hex), hashed on the way.
  struct SentUpload {
    std::string id;
    std::string sha256;
  };
  SentUpload upload_file(const UploadRequest& request, uint64_t size,
                         const std::filesystem::path& state, ProgressSink& progress);

  HttpPlatformOptions m_options;
  Client m_client;
};

// Checks an endpoint URL: http:// or https://, a host, no user name or password in it (the
// token has its own place), no query or fragment, no spaces or control characters. Throws
// usage_error naming "endpoint".
void check_endpoint(const std::string& endpoint);

// The JSON of a successful reply (2xx); the mapped Error for any other; a failure for a
// body that is not JSON.
Json reply_json(const Response& response);

}  // namespace mpaas::platform::http

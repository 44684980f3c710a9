// The routes that move bytes: tus uploads, the release made from a finished upload, and the
// device side (update checks, artifact downloads with ranges). See docs/api.md.
#include <ctime>

#include "handoff.hpp"
#include "server_state.hpp"

namespace mpaas::platform::server {
namespace {

const char* const tus_version = "1.0.0";

std::string http_date(int64_t seconds) {
  std::time_t when = static_cast<std::time_t>(seconds);
  std::tm parts{};
  gmtime_r(&when, &parts);
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &parts);
  return text;
}

// RFC 4648 base64, as tus metadata and checksums use; nullopt for anything malformed.
std::optional<std::string> decode_base64(const std::string& text) {
  static const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (text.size() % 4 != 0 || text.size() > 4096)
    return std::nullopt;
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  size_t padding = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '=') {
      if (i + 2 < text.size())
        return std::nullopt;
      ++padding;
      continue;
    }
    if (padding > 0)
      return std::nullopt;
    auto value = alphabet.find(c);
    if (value == std::string::npos)
      return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

// Upload-Metadata: "key base64,key base64" (a key alone has an empty value).
std::map<std::string, std::string> parse_metadata(const std::string& header) {
  std::map<std::string, std::string> pairs;
  size_t start = 0;
  while (start <= header.size() && !header.empty()) {
    size_t end = header.find(',', start);
    if (end == std::string::npos)
      end = header.size();
    auto item = header.substr(start, end - start);
    while (!item.empty() && item.front() == ' ')
      item.erase(0, 1);
    auto space = item.find(' ');
    auto key = item.substr(0, space);
    std::string value;
    if (space != std::string::npos) {
      auto decoded = decode_base64(item.substr(space + 1));
      if (!decoded)
        throw usage_error("Upload-Metadata value of '" + key.substr(0, 40) + "' is not base64",
                          "Upload-Metadata");
      value = *decoded;
    }
    if (!key.empty())
      pairs[key] = value;
    start = end + 1;
  }
  return pairs;
}

uint64_t header_number(const httplib::Request& request, const char* name) {
  auto text = request.get_header_value(name);
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos)
    throw usage_error(std::string(name) + " must be a number of bytes", name);
  return std::stoull(text);
}

std::optional<std::string> checksum_of(const httplib::Request& request) {
  if (!request.has_header("Upload-Checksum"))
    return std::nullopt;
  auto header = request.get_header_value("Upload-Checksum");
  auto space = header.find(' ');
  if (space == std::string::npos || header.substr(0, space) != "sha256")
    throw usage_error("Upload-Checksum must be 'sha256 <base64>'", "Upload-Checksum");
  auto digest = decode_base64(header.substr(space + 1));
  if (!digest || digest->size() != 32)
    throw usage_error("Upload-Checksum must be 'sha256 <base64 of 32 bytes>'", "Upload-Checksum");
  return digest;
}

void set_upload_headers(httplib::Response& response, const UploadInfo& info) {
  response.set_header("Upload-Offset", std::to_string(info.offset));
  response.set_header("Upload-Length", std::to_string(info.length));
  response.set_header("Upload-Expires", http_date(info.expires_at));
}

// The device's update check from the query of GET /v1/apps/{app}/updates (`parameter`
// gives a query parameter's first value); it counts.
template <typename Parameter>
CheckRequest update_check(const std::string& app, Parameter parameter) {
  CheckRequest check;
  check.app = app;
  check.platform = parameter("platform");
  check.device.id = parameter("device_id");
  check.device.app_version = parameter("app_version");
  check.device.os_version = parameter("os_version");
  check.device.model = parameter("model");
  check.device.region = parameter("region");
  check.device.network = parameter("network");
  check.count = true;
  return check;
}

}  // namespace

httplib::Server::Handler ApiServer::State::tus_route(
    std::function<void(const httplib::Request&, httplib::Response&, Platform&)> handler) {
  return [this, handler](const httplib::Request& request, httplib::Response& response) {
    response.set_header("Tus-Resumable", tus_version);
    try {
      if (request.get_header_value("Tus-Resumable") != tus_version) {
        response.set_header("Tus-Version", tus_version);
        response.status = 412;
        return;
      }
      auto platform = pool.take();
      auto token = admit(request, response, *platform, Access::release);
      if (request.method == "POST" && request.has_header("Idempotency-Key")) {
        create_upload_once(request, response, token,
                           [&] { handler(request, response, *platform); });
        return;
      }
      handler(request, response, *platform);
    } catch (const Error& error) {
      send_error(response, error);
    } catch (const std::exception&) {
      send_error(response, failure("internal error"));
    }
  };
}

void ApiServer::State::create_upload_once(const httplib::Request& request,
                                          httplib::Response& response, const Token& token,
                                          const std::function<void()>& create) {
  auto key = request.get_header_value("Idempotency-Key");
  if (key.empty() || key.size() > 128)
    throw usage_error("the Idempotency-Key must be 1 to 128 characters", "Idempotency-Key");
  auto cache_key = token_key(token) + "\n" + request.path + "\n" + key;
  // A creation has no body: what it asks for is in its headers.
  auto request_hash = to_hex(sha256_of({request.get_header_value("Upload-Length"), "\n",
                                        request.get_header_value("Upload-Metadata")}));
  if (auto seen = idempotency.find(cache_key)) {
    if (seen->request_hash != request_hash)
      throw conflict("the Idempotency-Key was used for another request", "Idempotency-Key");
    response.status = seen->status;
    response.set_header("Location", seen->location);
    response.set_header("Idempotent-Replayed", "true");
    return;
  }
  create();
  idempotency.remember(
      cache_key,
      {request_hash, response.status, "", now_seconds(), response.get_header_value("Location")},
      now_seconds());
}

void ApiServer::State::register_tus_routes() {
  auto& server = *http;
  server.Options("/v1/uploads", [this](const httplib::Request&, httplib::Response& response) {
    response.set_header("Tus-Resumable", tus_version);
    response.set_header("Tus-Version", tus_version);
    response.set_header("Tus-Extension", "creation,checksum,termination,expiration");
    response.set_header("Tus-Checksum-Algorithm", "sha256");
    response.set_header("Tus-Max-Size", std::to_string(options.max_upload));
    response.status = 204;
  });
  server.Post("/v1/uploads", tus_route([this](const auto& request, auto& response, Platform&) {
                auto metadata = parse_metadata(request.get_header_value("Upload-Metadata"));
                std::string sha256;
                if (metadata.count("sha256")) {
                  auto raw = metadata["sha256"];
                  sha256 = raw.size() == 32
                               ? to_hex(reinterpret_cast<const uint8_t*>(raw.data()), raw.size())
                               : raw;
                }
                auto info = uploads.create(header_number(request, "Upload-Length"),
                                           metadata["filename"], sha256);
                response.status = 201;
                response.set_header("Location", "/v1/uploads/" + info.id);
                set_upload_headers(response, info);
              }));
  // HEAD comes here too (cpp-httplib answers HEAD with a GET route, without the body).
  server.Get(R"(/v1/uploads/([^/]+))",
             tus_route([this](const auto& request, auto& response, Platform&) {
               set_upload_headers(response, uploads.info(request.matches[1]));
               response.set_header("Cache-Control", "no-store");
               response.status = 200;
             }));
  server.Delete(R"(/v1/uploads/([^/]+))",
                tus_route([this](const auto& request, auto& response, Platform&) {
                  uploads.remove(request.matches[1]);
                  response.status = 204;
                }));
  server.Patch(
      R"(/v1/uploads/([^/]+))", [this](const httplib::Request& request, httplib::Response& response,
                                       const httplib::ContentReader& reader) {
        bool body_read = false;
        tus_route([&](const auto&, auto& reply, Platform&) {
          if (request.get_header_value("Content-Type") != "application/offset+octet-stream") {
            throw usage_error("a PATCH body is application/offset+octet-stream", "Content-Type");
          }
          auto checksum = checksum_of(request);
          UploadStore::Append append(uploads, request.matches[1],
                                     header_number(request, "Upload-Offset"));
          bool arrived = reader([&](const char* data, size_t size) {
            append.write(data, size);
            return true;
          });
          if (!arrived) {
            // The client went away mid-body: nobody reads a reply, and a checksum of part of
            // a body proves nothing.
            append.cut_off(checksum.has_value());
            reply.status = 400;
            return;
          }
          body_read = true;
          auto info = append.finish(checksum);
          set_upload_headers(reply, info);
          reply.status = 204;
        })(request, response);
        // A PATCH refused before or while its body was read (a wrong offset, a chunk past the
        // length) leaves body bytes unread: the connection closes after the reply, or they
        // would be taken for the next request.
        if (!body_read)
          close_after_reply(request);
      });
}

std::pair<int, Json> ApiServer::State::create_release(const httplib::Request& request,
                                                      Platform& platform) {
  auto started = now_seconds();
  auto body = parse_body(request.body, options.max_json_body);
  auto upload_id = optional_text(body, "upload");
  if (upload_id.empty())
    throw usage_error("'upload' is required: the id of a completed upload", "upload");
  auto made = release_request(request.matches[1], body);
  auto info = uploads.info(upload_id);
  made.file = uploads.data_of(upload_id);
  if (made.file_name.empty())
    made.file_name = info.file_name.empty() ? "artifact" : info.file_name;
  made.expected_sha256 = optional_text(body, "sha256");
  if (made.expected_sha256.empty())
    made.expected_sha256 = info.sha256;
  // The upload is the platform's to link into its store, hashed as it was written: a
  // release from a 1 GiB upload costs no copy and no second read of it.
  made.consume_file = true;
  made.known_sha256 = uploads.sha256_of(upload_id);
  NullProgress progress;
  auto release = platform.upload(made, progress);
  uploads.remove(upload_id);
  // if_absent that found the same artifact changed nothing: 200, not 201.
  bool existed = made.if_absent && release.created_at < started;
  return {existed ? 200 : 201, to_json(release)};
}

int ApiServer::State::answer_check(Platform& platform, const CheckRequest& check,
                                   std::string& body) {
  body.clear();
  try {
    // One result per thread, refilled in place (Platform::check_into).
    thread_local CheckResult result;
    platform.check_into(check, result);
    write_check_response_text(result, body);
    body += '\n';
    return 200;
  } catch (const Error& error) {
    httplib::Response response;
    send_error(response, error);
    body = response.body;
    return response.status;
  } catch (const std::exception&) {
    httplib::Response response;
    send_error(response, failure("internal error"));
    body = response.body;
    return response.status;
  }
}

DeviceFront::AnswerFactory ApiServer::State::check_answers() {
  return [this]() -> DeviceFront::Answer {
    // Each loop keeps one platform for its life: its checks run on that loop's thread only.
    std::shared_ptr<PlatformPool::Lease> platform(new PlatformPool::Lease(pool.take()));
    return [this, platform](const FrontRequest& request, std::string& body) {
      auto check =
          update_check(request.app, [&](const char* name) { return request.parameter(name); });
      return answer_check(**platform, check, body);
    };
  };
}

void ApiServer::State::register_device_routes() {
  auto& server = *http;
  // Plain HTTP servers answer checks in the device front (device_front.hpp); this route
  // serves them over TLS, and on connections the front has handed over.
  server.Get(R"(/v1/apps/([^/]+)/updates)", [this](const httplib::Request& request,
                                                   httplib::Response& response) {
    // The reply is built in this worker's buffer and streamed from it: cpp-httplib writes
    // it on this thread before it reads the connection's next request, and no reply-sized
    // string is allocated and copied per check.
    thread_local std::string text;
    auto platform = pool.take();
    auto check = update_check(request.matches[1],
                              [&](const char* name) { return request.get_param_value(name); });
    response.status = answer_check(*platform, check, text);
    const std::string* body = &text;
    response.set_content_provider(body->size(), "application/json; charset=utf-8",
                                  [body](size_t offset, size_t length, httplib::DataSink& sink) {
                                    return sink.write(body->data() + offset, length);
                                  });
  });
  server.Get(R"(/v1/releases/([^/]+)/artifact)",
             [this](const httplib::Request& request, httplib::Response& response) {
               try {
                 Platform::Artifact artifact;
                 {
                   auto platform = pool.take();
                   artifact = platform->open_artifact(request.matches[1]);
                 }
                 auto etag = "\"" + artifact.release.sha256 + "\"";
                 response.set_header("ETag", etag);
                 response.set_header("Accept-Ranges", "bytes");
                 if (request.get_header_value("If-None-Match") == etag) {
                   response.status = 304;
                   return;
                 }
                 // cpp-httplib 0.11 drops the connection for a range that starts past the
                 // end of a provided body: answer 416 with the size, as RFC 9110 says.
                 auto size = artifact.release.size;
                 for (const auto& range : request.ranges) {
                   if (range.first >= 0 && static_cast<uint64_t>(range.first) >= size) {
                     forget_ranges(request);
                     response.set_header("Content-Range", "bytes */" + std::to_string(size));
                     send_json(response, 416,
                               {{"error",
                                 {{"kind", "invalid-input"},
                                  {"message", "the range starts past the artifact's " +
                                                  std::to_string(size) + " bytes"},
                                  {"subject", "Range"}}}});
                     return;
                   }
                 }
                 std::shared_ptr<std::istream> bytes = std::move(artifact.bytes);
                 // cpp-httplib answers Range requests itself for a provider of known length (206
                 // and Content-Range, 416 for a range outside the file).
                 response.set_content_provider(
                     artifact.release.size, "application/octet-stream",
                     [bytes](size_t offset, size_t length, httplib::DataSink& sink) {
                       std::vector<char> buffer(std::min<size_t>(length, 1 << 16));
                       bytes->clear();
                       bytes->seekg(static_cast<std::streamoff>(offset));
                       size_t left = length;
                       while (left > 0) {
                         bytes->read(buffer.data(),
                                     static_cast<std::streamsize>(std::min(left, buffer.size())));
                         auto got = static_cast<size_t>(bytes->gcount());
                         if (got == 0 || !sink.write(buffer.data(), got))
                           return false;
                         left -= got;
                       }
                       return true;
                     });
               } catch (const Error& error) {
                 forget_ranges(request);
                 send_error(response, error);
               } catch (const std::exception&) {
                 forget_ranges(request);
                 send_error(response, failure("internal error"));
               }
             });
}

}  // namespace mpaas::platform::server

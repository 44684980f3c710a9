// `release upload` over HTTP: the artifact by tus 1.0 in chunks (docs/api.md, "Uploads"),
// then the release that names the completed upload. The upload's URL is kept in a state
// file so that running the same upload again, after a killed process or a connection that
// stayed down, continues from the server's offset instead of sending everything again.
#include <sys/stat.h>

#include <fstream>
#include <future>
#include <vector>

#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/interrupt.hpp"
#include "mpaas/core/sha256.hpp"
#include "mpaas/platform/from_json.hpp"
#include "mpaas/platform/http/http_platform.hpp"

namespace mpaas::platform::http {
namespace {

constexpr const char* tus_version = "1.0.0";
constexpr size_t max_upload_id_length = 128;

std::string digest_bytes(const Sha256Digest& digest) {
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

// The state file of one upload: keyed by endpoint, the file's absolute path, size and
// modification time, so that running the same command on the same unchanged file resumes.
// (Keyed by content, the file would have to be read once before a byte is sent.) A file
// changed in place without those changing is caught at the end: the server compares the
// sha256 hashed on the way with what it received.
std::filesystem::path state_file(const std::filesystem::path& dir, const std::string& endpoint,
                                 const std::filesystem::path& file, uint64_t size) {
  struct stat info {};
  int64_t modified = 0;
  if (::stat(file.c_str(), &info) == 0)
    modified = static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
  std::error_code ignored;
  auto absolute = std::filesystem::absolute(file, ignored).lexically_normal().string();
  auto size_text = std::to_string(size), modified_text = std::to_string(modified);
  std::string key =
      to_hex(sha256_of({endpoint, "\n", absolute, "\n", size_text, "\n", modified_text}));
  return dir / "uploads" / (key.substr(0, 32) + ".json");
}

// Reads the file chunk by chunk, one chunk ahead of the one being sent (on its own thread,
// so that reading and hashing overlap the network), and hashes the whole file on the way:
// each byte once, in order, whatever offsets the server asks for.
class ChunkSource {
 public:
  struct Chunk {
    uint64_t offset = 0;
    std::string bytes;
    std::string checksum;  // "sha256 <base64>" of the bytes, for Upload-Checksum
  };

  ChunkSource(const std::filesystem::path& path, uint64_t size, uint64_t chunk_size)
      : m_path(path), m_size(size), m_chunk_size(chunk_size), m_file(path, std::ios::binary) {
    if (!m_file)
      throw not_found("cannot read " + path.string(), path.string());
  }
  ~ChunkSource() {
    if (m_ahead.valid())
      m_ahead.wait();
  }

  // The chunk at `offset`: the one read ahead when it starts there, else read now. Starts
  // reading the next one into the spare buffer `recycled` holds.
  Chunk take(uint64_t offset, Chunk recycled) {
    Chunk chunk;
    if (m_ahead.valid()) {
      chunk = m_ahead.get();
      if (chunk.offset != offset)  // the server asked for other bytes: read those instead
        chunk = read(offset, std::move(chunk.bytes));
    } else {
      chunk = read(offset, std::move(recycled.bytes));
    }
    uint64_t next = offset + chunk.bytes.size();
    if (next < m_size) {
      m_ahead =
          std::async(std::launch::async, [this, next, spare = std::move(recycled.bytes)]() mutable {
            return read(next, std::move(spare));
          });
    }
    return chunk;
  }

  // The file's sha256 (hex) once every byte has been read.
  std::string sha256() {
    if (m_ahead.valid())
      m_ahead.get();
    catch_up(m_size);
    return to_hex(m_whole.finish());
  }

 private:
  Chunk read(uint64_t offset, std::string buffer) {
    throw_if_stop_requested();
    Chunk chunk;
    chunk.offset = offset;
    size_t length = static_cast<size_t>(std::min<uint64_t>(m_chunk_size, m_size - offset));
    buffer.resize(length);
    m_file.clear();
    m_file.seekg(static_cast<std::streamoff>(offset));
    if (!m_file.read(buffer.data(), static_cast<std::streamsize>(length)))
      throw failure("cannot read " + m_path.string() + " (did it change?)", m_path.string());
    catch_up(offset);
    if (offset <= m_hashed && offset + length > m_hashed) {
      m_whole.update(buffer.data() + (m_hashed - offset), offset + length - m_hashed);
      m_hashed = offset + length;
    }
    chunk.checksum = "sha256 " + base64_encode(digest_bytes(sha256_of(buffer)));
    chunk.bytes = std::move(buffer);
    return chunk;
  }

  // Hashes the bytes from where the whole-file hash stands to `offset` (what a resumed
  // upload does not send again).
  void catch_up(uint64_t offset) {
    if (m_hashed >= offset)
      return;
    std::ifstream in(m_path, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(m_hashed));
    std::vector<char> buffer(1 << 20);
    while (m_hashed < offset) {
      throw_if_stop_requested();
      auto want = std::min<uint64_t>(buffer.size(), offset - m_hashed);
      if (!in.read(buffer.data(), static_cast<std::streamsize>(want)))
        throw failure("cannot read " + m_path.string() + " (did it change?)", m_path.string());
      m_whole.update(buffer.data(), static_cast<size_t>(want));
      m_hashed += want;
    }
  }

  std::filesystem::path m_path;
  uint64_t m_size;
  uint64_t m_chunk_size;
  std::ifstream m_file;
  Sha256 m_whole;
  uint64_t m_hashed = 0;  // the whole-file hash covers [0, m_hashed)
  std::future<Chunk> m_ahead;
};

bool is_upload_id(const std::string& id) {
  if (id.empty() || id.size() > max_upload_id_length)
    return false;
  return std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-' || c == '.';
  });
}

// "/v1/uploads/ID" from a Location header, which may be absolute. A Location on another
// server is refused: the token would follow it there.
std::string upload_target(const std::string& location, const std::string& endpoint) {
  std::string base = endpoint;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  std::string base_path;
  size_t scheme = base.find("://");
  size_t path_start = base.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path_start != std::string::npos)
    base_path = base.substr(path_start);
  std::string target = location;
  if (target.rfind(base + "/", 0) == 0)
    target = target.substr(base.size());
  else if (!base_path.empty() && target.rfind(base_path + "/", 0) == 0)
    target = target.substr(base_path.size());
  const std::string prefix = "/v1/uploads/";
  if (target.rfind(prefix, 0) != 0 || !is_upload_id(target.substr(prefix.size())))
    throw failure("malformed server reply: an upload location outside /v1/uploads/", "Location");
  return target;
}

uint64_t offset_header(const Response& response) {
  std::string value = response.header("upload-offset");
  if (value.empty() || value.size() > 19 ||
      !std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); }))
    throw failure("malformed server reply: no Upload-Offset", "Upload-Offset");
  return std::stoull(value);
}

std::optional<std::string> load_state(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in)
    return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Json json = Json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("location") ||
      !json["location"].is_string())
    return std::nullopt;  // a broken state file only costs a fresh upload
  return json["location"].get<std::string>();
}

void save_state(const std::filesystem::path& file, const std::string& location) {
  std::error_code ignored;
  std::filesystem::create_directories(file.parent_path(), ignored);
  ::chmod(file.parent_path().c_str(), 0700);
  AtomicFile out(file, 0600, Durability::rename_only, ExistingMode::replace);
  out.write(Json{{"location", location}}.dump());
  out.commit();
}

void forget_state(const std::filesystem::path& file) {
  std::error_code ignored;
  std::filesystem::remove(file, ignored);
}

Json percent_json(BasisPoints points) {
  return points % 100 == 0 ? Json(points / 100) : Json(points / 100.0);
}

Json text_or_null(const std::string& text) {
  return text.empty() ? Json(nullptr) : Json(text);
}

Json release_request_json(const UploadRequest& request, const std::string& upload_id,
                          const std::string& sha256) {
  Json window = nullptr;
  if (request.window) {
    window = Json{{"max_devices", request.window->max_devices},
                  {"until", format_time(request.window->until)}};
  }
  std::string file_name =
      request.file_name.empty() ? request.file.filename().string() : request.file_name;
  return Json{{"upload", upload_id},
              {"file_name", file_name},
              {"sha256", sha256},
              {"platform", request.platform},
              {"version", request.version},
              {"kind", text_or_null(request.kind)},
              {"min_app_version", text_or_null(request.min_app_version)},
              {"max_app_version", text_or_null(request.max_app_version)},
              {"notes", text_or_null(request.notes)},
              {"mandatory", request.mandatory},
              {"percent", percent_json(request.percent)},
              {"whitelist", request.whitelist},
              {"rules", request.rules},
              {"window", window},
              {"draft", request.draft},
              {"if_absent", request.if_absent}};
}

}  // namespace

// One upload of one file: where it is on the server and how much the server holds.
class TusUpload {
 public:
  TusUpload(Client& client, const std::string& target) : m_client(client), m_target(target) {}

  // The server's offset, or nullopt when it no longer knows the upload (expired, consumed).
  std::optional<uint64_t> server_offset(uint64_t length) {
    Request head;
    head.method = "HEAD";
    head.target = m_target;
    head.headers.emplace_back("Tus-Resumable", tus_version);
    Response response = m_client.send(head);
    if (response.status == 404 || response.status == 410)
      return std::nullopt;
    if (response.status != 200)
      throw error_of_response(response);
    if (response.header("upload-length") != std::to_string(length))
      return std::nullopt;  // another upload under that name: start again
    uint64_t offset = offset_header(response);
    if (offset > length)
      throw failure("malformed server reply: Upload-Offset past Upload-Length", "Upload-Offset");
    return offset;
  }

  // Sends one chunk; the new offset, or nullopt when it must be asked again. The chunk's
  // bytes are moved into the request and back, so that they are held once.
  std::optional<uint64_t> patch(ChunkSource::Chunk& chunk, std::optional<long>& retry_after) {
    Request request;
    request.method = "PATCH";
    request.target = m_target;
    request.headers.emplace_back("Tus-Resumable", tus_version);
    request.headers.emplace_back("Upload-Offset", std::to_string(chunk.offset));
    request.headers.emplace_back("Upload-Checksum", chunk.checksum);
    request.body = Body{std::move(chunk.bytes), "application/offset+octet-stream"};
    struct GiveBack {
      Request& request;
      std::string& bytes;
      ~GiveBack() { bytes = std::move(request.body->text); }
    } give_back{request, chunk.bytes};
    uint64_t offset = chunk.offset;
    try {
      Response response = m_client.send_once(request);
      if (response.status == 204) {
        uint64_t next = offset_header(response);
        if (next <= offset || next > offset + request.body->text.size())
          throw failure("malformed server reply: Upload-Offset " + std::to_string(next) +
                            " after a chunk at " + std::to_string(offset),
                        "Upload-Offset");
        return next;
      }
      // 409: our offset is not the server's; 460: the chunk arrived damaged. Both are
      // settled by asking the server where it is and sending from there.
      if (!retryable_status(response.status) && response.status != 409 && response.status != 460)
        throw error_of_response(response);
      retry_after = retry_after_seconds(response);
    } catch (const TransportError& error) {
      if (!error.retryable())
        throw;
      retry_after.reset();
    }
    return std::nullopt;
  }

 private:
  Client& m_client;
  std::string m_target;
};

HttpPlatform::SentUpload HttpPlatform::upload_file(const UploadRequest& request, uint64_t size,
                                                   const std::filesystem::path& state,
                                                   ProgressSink& progress) {
  const std::string& endpoint = m_options.client.endpoint;
  std::string target;
  std::optional<uint64_t> offset;
  if (!state.empty()) {
    if (auto saved = load_state(state)) {
      target = upload_target(*saved, endpoint);
      offset = TusUpload(m_client, target).server_offset(size);
    }
  }
  if (!offset) {
    std::string file_name =
        request.file_name.empty() ? request.file.filename().string() : request.file_name;
    Request create;
    create.method = "POST";
    create.target = "/v1/uploads";
    create.headers = {{"Tus-Resumable", tus_version},
                      {"Upload-Length", std::to_string(size)},
                      {"Upload-Metadata", "filename " + base64_encode(file_name)},
                      {"Idempotency-Key", new_idempotency_key()}};
    Response response = m_client.send(create);
    if (response.status != 201)
      throw error_of_response(response);
    target = upload_target(response.header("location"), endpoint);
    offset = 0;
    if (!state.empty())
      save_state(state, target);
  }

  TusUpload upload(m_client, target);
  ChunkSource source(request.file, size, m_options.chunk_size);
  progress.start("upload", size);
  progress.advance(*offset);
  uint64_t shown = *offset;  // what the progress sink has been told
  ChunkSource::Chunk chunk;
  int failures = 0;
  while (*offset < size) {
    throw_if_stop_requested();
    chunk = source.take(*offset, std::move(chunk));
    std::optional<long> retry_after;
    if (auto next = upload.patch(chunk, retry_after)) {
      *offset = *next;
      failures = 0;
    } else {
      if (++failures >= m_client.options().max_attempts)
        throw unavailable("the upload stopped at byte " + std::to_string(*offset) + " of " +
                              std::to_string(size) + "; run the same command again to resume it",
                          "upload");
      m_client.sleep(m_client.backoff(failures, retry_after));
      offset = upload.server_offset(size);
      if (!offset) {
        forget_state(state);
        throw unavailable("the server no longer holds this upload; run the command again",
                          "upload");
      }
    }
    if (*offset > shown) {
      progress.advance(*offset - shown);
      shown = *offset;
    }
  }
  progress.finish();
  return {target.substr(std::string("/v1/uploads/").size()), source.sha256()};
}

Release HttpPlatform::upload(const UploadRequest& request, ProgressSink& progress) {
  std::error_code error;
  uint64_t size = std::filesystem::file_size(request.file, error);
  if (error)
    throw not_found("cannot read " + request.file.string(), request.file.string());
  std::filesystem::path state;
  if (!m_options.state_dir.empty())
    state = state_file(m_options.state_dir, m_options.client.endpoint, request.file, size);
  auto sent = upload_file(request, size, state, progress);
  if (!request.expected_sha256.empty() && sent.sha256 != request.expected_sha256)
    throw verification_failed("the artifact does not match the sha256 given for it", "sha256");
  try {
    Release release =
        release_from_json(create("/v1/apps/" + encode_segment(request.app) + "/releases",
                                 release_request_json(request, sent.id, sent.sha256)));
    forget_state(state);
    return release;
  } catch (const Error& refused) {
    // The server holds other bytes than this file has now: a fresh upload next time.
    if (refused.kind() == ErrorKind::verification)
      forget_state(state);
    throw;
  }
}

}  // namespace mpaas::platform::http

// The built-in templates, embedded into the binary at build time by
// cmake/embed_templates.cmake (a generated source). Each entry is one file under
// templates/, its path relative to that folder ("h5/www/index.html"), its exact bytes and
// its permission bits. Nothing here reads the file system.
#pragma once

#include <cstddef>
#include <span>

namespace mpaas::scaffold {

struct EmbeddedFile {
  const char* path;
  const unsigned char* data;
  size_t size;
  unsigned mode;
};

std::span<const EmbeddedFile> embedded_files();

}  // namespace mpaas::scaffold

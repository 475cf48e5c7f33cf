// Atomic file output: write to a temporary file beside the target, then rename, so a reader
// never sees a half-written result and a failed run leaves nothing behind.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace sparsecim {

// Writes `content` to `path` atomically; creates missing parent directories. Throws Error.
void write_file_atomic(const std::filesystem::path& path, std::string_view content);

// Reads a whole file; throws Error naming the file when it cannot be read.
std::string read_file(const std::filesystem::path& path);

}  // namespace sparsecim

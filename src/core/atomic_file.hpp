// Atomic file output: write to a temporary file beside the target, then rename, so a reader
// never sees a half-written result and a failed run leaves nothing behind.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace sparsecim {

// Writes `content` to `path` atomically; creates missing parent directories. Throws Error.
// While the temporary file exists it is registered, so an interrupt handler can remove it
// (discard_pending_temp_files).
void write_file_atomic(const std::filesystem::path& path, std::string_view content);

// Reads a whole file; throws Error naming the file when it cannot be read.
std::string read_file(const std::filesystem::path& path);

// What stat() says of a file that changes when its bytes do: device, inode, size, modification
// and change times. Empty when the file cannot be examined or changed in the last 2-3 seconds:
// the kernel stamps those times from a clock that ticks every few milliseconds, so a second write
// within one tick would keep them (git's "racily clean" rule); such a file must be read.
std::string file_stamp(const std::filesystem::path& path);

// read_file, but a file of at most 1 MiB whose file_stamp is what it was at an earlier call comes
// from memory: one stat() instead of reading (a sweep resolves the same hardware files for every
// point).
std::string read_file_kept(const std::filesystem::path& path);

// Whether `path` exists; false (never an exception) when it cannot be examined, e.g. a name
// longer than the file system allows.
bool path_exists(const std::filesystem::path& path);

// Unlinks the temporary files of writes in progress. Async-signal-safe: meant for SIGINT/SIGTERM
// handlers (install_interrupt_cleanup), which then end the process.
void discard_pending_temp_files() noexcept;

// SIGINT and SIGTERM: remove the temporary files of writes in progress, print `message` (one line;
// may be empty) to stderr and end the process by the same signal (exit status 128 + signal).
// Finished files are complete (they were renamed into place); nothing is half-written.
void install_interrupt_cleanup(const std::string& message);

// Removes temporary files a killed process left behind in `dir` (not recursive): names of the
// form "<file>.tmp.<pid>" as write_file_atomic makes them. Returns how many were removed.
int remove_stale_temp_files(const std::filesystem::path& dir);

}  // namespace sparsecim

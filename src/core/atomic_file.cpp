// Atomic writes (temporary file + rename), whole-file reads, and cleanup of temporary files when
// the process is interrupted.
#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <system_error>

#include "core/error.hpp"
#include "core/keyed_memo.hpp"

namespace sparsecim {

namespace {

// Temporary files being written, for the interrupt handler. A few fixed slots, each claimed with
// an atomic flag, so the handler reads them without locks or allocation.
constexpr size_t kSlots = 16;
constexpr size_t kPathMax = 4096;
struct PendingSlot {
    std::atomic<int> state{0};  // 0 free, 1 being filled or cleared, 2 holds a path
    char path[kPathMax];
};
std::array<PendingSlot, kSlots> g_pending;

// Registers `tmp`; returns the slot, or kSlots when every slot is taken (then it is not cleaned
// up on interrupt, which only leaves a stray temporary file behind).
size_t register_pending(const std::string& tmp) {
    if (tmp.size() >= kPathMax) return kSlots;
    for (size_t i = 0; i < kSlots; ++i) {
        int expected = 0;
        if (g_pending[i].state.compare_exchange_strong(expected, 1)) {
            std::memcpy(g_pending[i].path, tmp.c_str(), tmp.size() + 1);
            g_pending[i].state.store(2);
            return i;
        }
    }
    return kSlots;
}

void unregister_pending(size_t slot) {
    if (slot < kSlots) g_pending[slot].state.store(0);
}

// The registration of one temporary file, released on every exit path.
struct PendingGuard {
    size_t slot;
    explicit PendingGuard(const std::string& tmp) : slot(register_pending(tmp)) {}
    ~PendingGuard() { unregister_pending(slot); }
    PendingGuard(const PendingGuard&) = delete;
    PendingGuard& operator=(const PendingGuard&) = delete;
};

char g_interrupt_message[1024];
size_t g_interrupt_message_len = 0;

void on_interrupt(int sig) {
    discard_pending_temp_files();
    if (g_interrupt_message_len > 0) {
        const ssize_t n = ::write(2, g_interrupt_message, g_interrupt_message_len);
        (void)n;
    }
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

}  // namespace

void write_file_atomic(const std::filesystem::path& path, std::string_view content) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
    if (ec) throw Error(path.string() + ": cannot create directory: " + ec.message());
    fs::path tmp = path;
    tmp += ".tmp." + std::to_string(::getpid());
    const PendingGuard guard(tmp.string());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw Error(path.string() + ": cannot open for writing");
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
        out.flush();
        if (!out) {
            out.close();
            fs::remove(tmp, ec);
            throw Error(path.string() + ": write failed");
        }
    }
    fs::rename(tmp, path, ec);
    if (ec) {
        std::error_code ec2;
        fs::remove(tmp, ec2);
        throw Error(path.string() + ": cannot rename temporary file: " + ec.message());
    }
}

bool path_exists(const std::filesystem::path& path) {
    std::error_code ec;
    return std::filesystem::exists(path, ec);
}

std::string read_file(const std::filesystem::path& path) {
    // One read() into a string of the file's size (a sweep reads its model and hardware files for
    // every point; a stream copy grew and copied the buffer several times).
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) throw Error(path.string() + ": file not found");
        throw Error(path.string() + ": cannot open for reading");
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        ::close(fd);
        throw Error(path.string() + ": cannot open for reading");
    }
    if (S_ISDIR(st.st_mode)) {
        ::close(fd);
        throw Error(path.string() + ": is a directory, expected a file");
    }
    // The size is a hint (a pipe has none, a file may grow): read until end of file.
    std::string out(S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) : 0, '\0');
    size_t have = 0;
    char more[4096];  // past the expected size: read here and appended
    for (;;) {
        const bool full = have == out.size();
        const ssize_t n =
            full ? ::read(fd, more, sizeof more) : ::read(fd, out.data() + have, out.size() - have);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            ::close(fd);
            throw Error(path.string() + ": read error");
        }
        if (n == 0) break;
        if (full) out.append(more, static_cast<size_t>(n));
        have += static_cast<size_t>(n);
    }
    ::close(fd);
    out.resize(have);
    return out;
}

std::string file_stamp(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return {};
    const time_t changed = std::max(st.st_mtim.tv_sec, st.st_ctim.tv_sec);
    if (std::time(nullptr) - changed < 3) return {};
    char stamp[160];
    std::snprintf(stamp, sizeof stamp, "%llu %llu %lld %lld.%09ld %lld.%09ld",
                  static_cast<unsigned long long>(st.st_dev),
                  static_cast<unsigned long long>(st.st_ino), static_cast<long long>(st.st_size),
                  static_cast<long long>(st.st_mtim.tv_sec), st.st_mtim.tv_nsec,
                  static_cast<long long>(st.st_ctim.tv_sec), st.st_ctim.tv_nsec);
    return stamp;
}

std::string read_file_kept(const std::filesystem::path& path) {
    const std::string stamp = file_stamp(path);
    if (stamp.empty()) return read_file(path);
    static KeyedMemo<std::string> kept;
    return kept.get(
        path.string() + '\n' + stamp, [&] { return read_file(path); },
        [](const std::string& bytes) { return bytes.size() <= (size_t{1} << 20); });
}

void discard_pending_temp_files() noexcept {
    for (auto& slot : g_pending)
        if (slot.state.load() == 2) ::unlink(slot.path);
}

void install_interrupt_cleanup(const std::string& message) {
    const size_t n = std::min(message.size(), sizeof g_interrupt_message - 1);
    std::memcpy(g_interrupt_message, message.data(), n);
    g_interrupt_message_len = n;
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
}

int remove_stale_temp_files(const std::filesystem::path& dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    int removed = 0;
    if (!fs::is_directory(dir, ec)) return 0;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        const auto at = name.rfind(".tmp.");
        if (at == std::string::npos || at == 0 || at + 5 == name.size()) continue;
        if (name.find_first_not_of("0123456789", at + 5) != std::string::npos) continue;
        if (!entry.is_regular_file(ec)) continue;
        if (fs::remove(entry.path(), ec)) ++removed;
    }
    return removed;
}

}  // namespace sparsecim

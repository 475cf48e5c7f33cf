// Atomic writes (temporary file + rename) and whole-file reads.
#include "core/atomic_file.hpp"

#include <unistd.h>
#include <fstream>
#include <sstream>
#include <system_error>

#include "core/error.hpp"

namespace sparsecim {

void write_file_atomic(const std::filesystem::path& path, std::string_view content) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
    if (ec) throw Error(path.string() + ": cannot create directory: " + ec.message());
    fs::path tmp = path;
    tmp += ".tmp." + std::to_string(::getpid());
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

std::string read_file(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw Error(path.string() + ": file not found");
    if (std::filesystem::is_directory(path, ec))
        throw Error(path.string() + ": is a directory, expected a file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path.string() + ": cannot open for reading");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace sparsecim

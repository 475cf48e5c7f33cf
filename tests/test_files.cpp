// Whole-file reads (read_file, read_file_kept), file stamps and KeyedMemo: what a sweep relies on
// to read its model and hardware files once per change rather than once per point.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/keyed_memo.hpp"
#include "hw/hw_config.hpp"

using namespace sparsecim;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path dir = fs::temp_directory_path() / ("sparsecim-files-" + std::to_string(::getpid()));
    TempDir() { fs::create_directories(dir); }
    ~TempDir() { fs::remove_all(dir); }
    fs::path write(const std::string& name, const std::string& bytes) const {
        std::ofstream(dir / name, std::ios::binary) << bytes;
        return dir / name;
    }
};

std::string error_of(const fs::path& p) {
    try {
        read_file(p);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(ReadFile, GivesEveryByteAndNamesTheFileOnError) {
    TempDir t;
    const std::string bytes("a\0b\nc\xff", 6);
    EXPECT_EQ(read_file(t.write("bin", bytes)), bytes);
    EXPECT_EQ(read_file(t.write("empty", "")), "");
    const std::string big(3 << 20, 'x');  // past one read()
    EXPECT_EQ(read_file(t.write("big", big)), big);
    // A file whose size stat() does not know: read to its end.
    EXPECT_NE(read_file("/proc/self/status").find("Name:"), std::string::npos);
    EXPECT_EQ(error_of(t.dir / "missing"), (t.dir / "missing").string() + ": file not found");
    EXPECT_EQ(error_of(t.dir), t.dir.string() + ": is a directory, expected a file");
    EXPECT_EQ(error_of(t.dir / "bin" / "x"), (t.dir / "bin" / "x").string() + ": file not found");
}

TEST(ReadFile, AFileJustWrittenHasNoStampAndIsReadAgain) {
    TempDir t;
    const fs::path p = t.write("hw.yaml", "one");
    EXPECT_EQ(file_stamp(p), "");  // changed within the clock's tick: never kept
    EXPECT_EQ(read_file_kept(p), "one");
    t.write("hw.yaml", "two");  // same size, same tick
    EXPECT_EQ(read_file_kept(p), "two");
    EXPECT_EQ(file_stamp(t.dir / "missing"), "");
    EXPECT_EQ(file_stamp(t.dir), "");
    EXPECT_THROW(read_file_kept(t.dir / "missing"), Error);
}

TEST(ReadFile, AnOldFileHasAStampAndIsKept) {
    // A bundled preset: checked out well before the tests run.
    const fs::path p = hw_preset_path("dense");
    const std::string stamp = file_stamp(p);
    ASSERT_NE(stamp, "") << p << " changed in the last seconds?";
    EXPECT_EQ(file_stamp(p), stamp);
    EXPECT_NE(stamp.find(std::to_string(fs::file_size(p))), std::string::npos) << stamp;
    EXPECT_EQ(read_file_kept(p), read_file(p));
    EXPECT_EQ(read_file_kept(p), read_file(p));
}

TEST(KeyedMemo, KeepsWhatMakeReturnsOnlyWhenAsked) {
    KeyedMemo<int> memo(2);
    int calls = 0;
    auto make = [&] { return ++calls; };
    EXPECT_EQ(memo.get("a", make), 1);
    EXPECT_EQ(memo.get("a", make), 1);
    EXPECT_EQ(memo.get("b", make, [](int) { return false; }), 2);
    EXPECT_EQ(memo.get("b", make), 3);  // not kept before
    EXPECT_EQ(memo.get("b", make), 3);
    EXPECT_EQ(memo.get("c", make), 4);  // full: everything dropped, then c kept
    EXPECT_EQ(memo.get("a", make), 5);
    // A make() that throws keeps nothing: the next request runs it again.
    EXPECT_THROW(memo.get("d", []() -> int { throw std::runtime_error("no"); }),
                 std::runtime_error);
    EXPECT_EQ(memo.get("d", make), 6);
}

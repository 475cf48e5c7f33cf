// Every input the fuzzers once crashed on (fuzz/regressions/<target>/, see docs/reliability.md)
// replayed through the same target body: each must now end in a clean sparsecim::Error or succeed.
// Under the `asan` preset this also re-checks them for memory errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "../fuzz/targets.hpp"

namespace fs = std::filesystem;

namespace {

const std::map<std::string, std::function<void(const std::string&)>> kTargets = {
    {"onnx_model", sparsecim::fuzz::onnx_model},
    {"hw_config", sparsecim::fuzz::hw_config},
    {"experiment", sparsecim::fuzz::experiment},
    {"idx", sparsecim::fuzz::idx},
    {"npy", sparsecim::fuzz::npy},
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST(FuzzRegressions, EveryRecordedInputEndsCleanly) {
    const fs::path root = fs::path(SPARSECIM_SOURCE_DIR) / "fuzz" / "regressions";
    int replayed = 0;
    for (const auto& [name, target] : kTargets) {
        ASSERT_TRUE(fs::is_directory(root / name)) << root / name;
        for (const auto& e : fs::directory_iterator(root / name)) {
            if (!e.is_regular_file() || e.path().filename().string().front() == '.') continue;
            EXPECT_NO_THROW(target(slurp(e.path()))) << e.path();
            ++replayed;
        }
    }
    // Nothing to replay would mean the folder went missing: there is at least one per target.
    EXPECT_GE(replayed, static_cast<int>(kTargets.size()));
}

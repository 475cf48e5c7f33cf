// Shared fixture for tests that run the real `sparsecim` binary (SPARSECIM_BINARY, set by CMake):
// a fresh temporary folder per test, run() capturing exit code, stdout and stderr.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace sparsecim_test {

struct CmdResult {
    int code = -1;
    std::string out, err;
};

inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline int count_lines(const std::string& s) {
    int n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

class CliTest : public ::testing::Test {
  protected:
    std::filesystem::path dir;
    void SetUp() override {
        dir = std::filesystem::temp_directory_path() /
              ("sparsecim-" + std::to_string(::getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_suite()->name() + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
    }
    void TearDown() override { std::filesystem::remove_all(dir); }

    // Runs `sparsecim ARGS` in the current directory, one LibTorch/OpenMP thread.
    CmdResult run(const std::string& args) const { return run_env("", args); }
    // The same with more environment settings (`NAME=VALUE ...`).
    CmdResult run_env(const std::string& env, const std::string& args) const {
        const std::string cmd = "OMP_NUM_THREADS=1 " + env + " " + std::string(SPARSECIM_BINARY) +
                                " " + args + " >" + (dir / "stdout").string() + " 2>" +
                                (dir / "stderr").string();
        const int status = std::system(cmd.c_str());
        CmdResult r;
        r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        r.out = slurp(dir / "stdout");
        r.err = slurp(dir / "stderr");
        return r;
    }
    std::filesystem::path write(const std::string& name, const std::string& content) const {
        std::ofstream(dir / name, std::ios::binary) << content;
        return dir / name;
    }
};

}  // namespace sparsecim_test

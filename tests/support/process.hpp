// Test helpers that run the real `sparsecim` binary: synchronously (exit code, stdout, stderr) or
// as a child process the test can signal (fork/exec), each test in its own temporary folder.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace sparsecim::testing {

namespace fs = std::filesystem;

inline std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct ProcResult {
    int code = -1;   // exit code, or -1 when ended by a signal
    int signal = 0;  // the signal that ended it, or 0
    std::string out, err;
};

// A child process running SPARSECIM_BINARY with `args`, stdout/stderr into files of `dir`.
class Child {
  public:
    Child(const std::vector<std::string>& args, const fs::path& dir, const std::string& tag)
        : out_(dir / (tag + ".stdout")), err_(dir / (tag + ".stderr")) {
        std::vector<std::string> argv_s = {SPARSECIM_BINARY};
        argv_s.insert(argv_s.end(), args.begin(), args.end());
        pid_ = ::fork();
        if (pid_ == 0) {
            const int o = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            const int e = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (o < 0 || e < 0) ::_exit(127);
            ::dup2(o, 1);
            ::dup2(e, 2);
            std::vector<char*> argv;
            for (auto& a : argv_s) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
    }
    ~Child() {
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGKILL);
            int st = 0;
            ::waitpid(pid_, &st, 0);
        }
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    pid_t pid() const { return pid_; }
    // True while the process has not ended (reaps it when it has).
    bool running() {
        if (reaped_) return false;
        int st = 0;
        const pid_t r = ::waitpid(pid_, &st, WNOHANG);
        if (r == 0) return true;
        record(st);
        return false;
    }
    void signal(int sig) const { ::kill(pid_, sig); }
    ProcResult wait() {
        if (!reaped_) {
            int st = 0;
            ::waitpid(pid_, &st, 0);
            record(st);
        }
        result_.out = slurp(out_);
        result_.err = slurp(err_);
        return result_;
    }

  private:
    void record(int st) {
        reaped_ = true;
        if (WIFEXITED(st)) result_.code = WEXITSTATUS(st);
        if (WIFSIGNALED(st)) result_.signal = WTERMSIG(st);
    }
    fs::path out_, err_;
    pid_t pid_ = -1;
    bool reaped_ = false;
    ProcResult result_;
};

inline ProcResult run_binary(const std::vector<std::string>& args, const fs::path& dir) {
    Child c(args, dir, "run");
    return c.wait();
}

// A fresh temporary folder named after the running test, removed afterwards.
class TempDirTest : public ::testing::Test {
  protected:
    fs::path dir;
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir = fs::temp_directory_path() / ("sparsecim-" + std::string(info->test_suite_name()) +
                                           "-" + info->name() + "-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    void TearDown() override { fs::remove_all(dir); }
    fs::path write(const std::string& name, const std::string& content) const {
        fs::create_directories((dir / name).parent_path());
        std::ofstream(dir / name, std::ios::binary) << content;
        return dir / name;
    }
    ProcResult run(const std::vector<std::string>& args) const { return run_binary(args, dir); }
};

}  // namespace sparsecim::testing

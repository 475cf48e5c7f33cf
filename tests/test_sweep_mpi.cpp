// `mpirun -np 2 sparsecim sweep` (an MPI build): the two ranks' sweep gives the same sweep.csv as
// the single-process run, every point exactly once in sweep.jsonl; and with a rank that dies on
// its first point (mpirun --enable-recovery keeps the job alive), rank 0 re-runs its point in the
// same job: no point is lost or duplicated.
// Skipped in a build without MPI.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>

#include "support/process.hpp"

using namespace sparsecim::testing;

namespace {

class SweepMpi : public TempDirTest {
  protected:
    fs::path file;
    std::string csv;  // the single-process table

    void SetUp() override {
        TempDirTest::SetUp();
#ifndef SPARSECIM_MPIEXEC
        // CI's release suite sets SPARSECIM_REQUIRE_MPI (scripts/test.sh): there a build that
        // lost MPI fails instead of skipping the test silently.
        if (std::getenv("SPARSECIM_REQUIRE_MPI"))
            FAIL() << "built without MPI, but SPARSECIM_REQUIRE_MPI is set";
        GTEST_SKIP() << "built without MPI";
#else
        file = write("s.yaml",
                     "models: zoo:tiny-cnn\nschemes: [csr]\nimages: 1\naccuracy_images: 20\n"
                     "adc_accuracy_images: 0\ncalib_images: 8\ncheck_exact: true\n"
                     "axes:\n  ou.rows: [8, 16]\n  csr.beta: [2, 4]\n  adc.energy_pj: [1, 3]\n");
        const ProcResult one =
            run({"sweep", file.string(), "--out", (dir / "one").string(), "--threads", "1"});
        ASSERT_EQ(one.code, 0) << one.err;
        csv = slurp(dir / "one" / "sweep.csv");
#endif
    }

    // mpirun -np 2 [EXTRA] sparsecim sweep FILE --out DIR/OUT; returns the exit code.
    int mpirun(const std::string& extra, const std::string& out, const std::string& env = "") {
#ifdef SPARSECIM_MPIEXEC
        const std::string cmd =
            env + " OMP_NUM_THREADS=1 " + SPARSECIM_MPIEXEC + " -np 2 --oversubscribe " +
            (::geteuid() == 0 ? "--allow-run-as-root " : "") + extra + " " + SPARSECIM_BINARY +
            " sweep " + file.string() + " --out " + (dir / out).string() + " --threads 1 >" +
            (dir / (out + ".stdout")).string() + " 2>" + (dir / (out + ".stderr")).string();
        const int st = std::system(cmd.c_str());
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
#else
        (void)extra, (void)out, (void)env;
        return -1;
#endif
    }

    // The point indices of sweep.jsonl, each line once.
    std::multiset<size_t> indices(const std::string& out) const {
        std::multiset<size_t> s;
        const std::string text = slurp(dir / out / "sweep.jsonl");
        for (size_t a = 0, b; (b = text.find('\n', a)) != std::string::npos; a = b + 1)
            s.insert(nlohmann::json::parse(text.substr(a, b - a))["index"].get<size_t>());
        return s;
    }
};

TEST_F(SweepMpi, TwoRanksGiveTheSingleProcessTable) {
    ASSERT_EQ(mpirun("", "mpi"), 0) << slurp(dir / "mpi.stderr");
    EXPECT_NE(slurp(dir / "mpi.stderr").find("2 MPI ranks"), std::string::npos)
        << slurp(dir / "mpi.stderr");
    EXPECT_EQ(slurp(dir / "mpi" / "sweep.csv"), csv);
    const auto idx = indices("mpi");
    EXPECT_EQ(idx.size(), 8u);
    EXPECT_EQ(std::set<size_t>(idx.begin(), idx.end()).size(), 8u);
}

TEST_F(SweepMpi, ARankThatDiesLosesNoPoint) {
    // Rank 1 exits abruptly when handed its first point; with --enable-recovery the job goes on
    // and rank 0 runs that point again within the same job (no --resume needed).
    const int code = mpirun("--enable-recovery", "die", "SPARSECIM_SWEEP_TEST_DIE=1:1");
    const std::string err = slurp(dir / "die.stderr");
    ASSERT_EQ(code, 0) << err;
    EXPECT_NE(err.find("rank(s) 1 did not answer"), std::string::npos) << err;
    EXPECT_EQ(slurp(dir / "die" / "sweep.csv"), csv) << err;
    const auto idx = indices("die");
    EXPECT_EQ(idx.size(), 8u) << err;
    EXPECT_EQ(std::set<size_t>(idx.begin(), idx.end()).size(), 8u) << err;
}

}  // namespace

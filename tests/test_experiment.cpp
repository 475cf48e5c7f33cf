// Experiment runs that survive interruption: `sparsecim run` records each finished unit in
// experiment.json as it completes; killed (SIGKILL) or interrupted (SIGTERM) midway and resumed
// with --resume, it keeps the finished units and ends with the same results as an uninterrupted
// run. The second unit's model is a FIFO nobody writes to, so the run is provably mid-way (blocked
// reading it) when the test signals it; no timing is involved.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.hpp"
#include "pipeline/experiment.hpp"
#include "support/process.hpp"

using namespace sparsecim;
using namespace sparsecim::testing;

namespace {

class RunResume : public TempDirTest {
  protected:
    fs::path exp, out, fifo, real_model;

    void SetUp() override {
        TempDirTest::SetUp();
        real_model = dir / "real.onnx";
        const ProcResult z = run({"zoo", "lenet", "--out", real_model.string(), "--seed", "3"});
        ASSERT_EQ(z.code, 0) << z.err;
        fifo = dir / "second.onnx";
        ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
        exp = write("exp.yaml",
                    "name: resume\nmodels: [zoo:tiny-cnn, second.onnx]\nschemes: [dense, csr]\n"
                    "accuracy_images: 20\nadc_accuracy_images: 4\ncalib_images: 8\n"
                    "check_exact: true\n");
        out = dir / "out";
    }

    nlohmann::json log() const {
        return nlohmann::json::parse(slurp(out / "experiment.json"), nullptr, false);
    }

    // Starts the run and waits until its first unit is recorded as done while the process is
    // still alive (blocked on the FIFO); returns the running child.
    std::unique_ptr<Child> start_and_wait_for_first_unit() {
        auto c = std::make_unique<Child>(
            std::vector<std::string>{"run", exp.string(), "--out", out.string()}, dir, "first");
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
        for (;;) {
            if (!c->running()) {
                const ProcResult r = c->wait();
                ADD_FAILURE() << "run ended before the test signalled it: code " << r.code << "\n"
                              << r.err;
                return nullptr;
            }
            const auto j = log();
            if (!j.is_discarded() && j["units"][0]["status"] == "done") return c;
            if (std::chrono::steady_clock::now() > deadline) {
                ADD_FAILURE() << "first unit never finished";
                return nullptr;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

    // Replaces the FIFO by the real model, so the second unit can run.
    void provide_second_model() const {
        fs::remove(fifo);
        fs::copy_file(real_model, fifo);
    }

    static nlohmann::json without_timing(const fs::path& results) {
        auto j = nlohmann::json::parse(slurp(results));
        j.erase("timing");
        return j;
    }

    // The resumed run's unit files equal an uninterrupted run's (results.json minus timing,
    // layers.csv and report.html byte for byte).
    void expect_same_as_uninterrupted() {
        const fs::path ref = dir / "ref";
        const ProcResult r = run({"run", exp.string(), "--out", ref.string()});
        ASSERT_EQ(r.code, 0) << r.err;
        for (const char* unit : {"tiny-cnn__dense", "second__dense"}) {
            ASSERT_TRUE(fs::exists(out / unit / "results.json")) << unit;
            EXPECT_EQ(without_timing(out / unit / "results.json").dump(),
                      without_timing(ref / unit / "results.json").dump())
                << unit;
            for (const char* f : {"layers.csv", "report.html"})
                EXPECT_EQ(slurp(out / unit / f), slurp(ref / unit / f)) << unit << "/" << f;
        }
        const auto j = log();
        ASSERT_FALSE(j.is_discarded());
        ASSERT_EQ(j["units"].size(), 2u);
        for (const auto& u : j["units"]) {
            EXPECT_EQ(u["status"], "done");
            EXPECT_EQ(u["exit_code"], 0);
        }
        // The same record as the uninterrupted run's, but for the folders.
        auto ref_units = nlohmann::json::parse(slurp(ref / "experiment.json"))["units"];
        auto units = j["units"];
        for (auto* list : {&units, &ref_units})
            for (auto& u : *list) u.erase("dir");
        EXPECT_EQ(units, ref_units);
    }
};

std::vector<fs::path> temp_files(const fs::path& root) {
    std::vector<fs::path> found;
    for (const auto& e : fs::recursive_directory_iterator(root))
        if (e.path().filename().string().find(".tmp.") != std::string::npos)
            found.push_back(e.path());
    return found;
}

}  // namespace

TEST_F(RunResume, KilledAfterTheFirstUnitResumesWithoutRedoingIt) {
    auto child = start_and_wait_for_first_unit();
    ASSERT_TRUE(child);
    child->signal(SIGKILL);
    const ProcResult killed = child->wait();
    ASSERT_EQ(killed.signal, SIGKILL);
    const fs::path first = out / "tiny-cnn__dense" / "results.json";
    ASSERT_TRUE(fs::exists(first));
    EXPECT_FALSE(fs::exists(out / "second__dense" / "results.json"));
    struct stat before {};
    ASSERT_EQ(::stat(first.c_str(), &before), 0);

    provide_second_model();
    const ProcResult resumed = run({"run", exp.string(), "--out", out.string(), "--resume"});
    ASSERT_EQ(resumed.code, 0) << resumed.err;
    EXPECT_NE(resumed.err.find("unit 1/2 tiny-cnn__dense: finished earlier, kept"),
              std::string::npos)
        << resumed.err;
    EXPECT_NE(resumed.err.find("unit 2/2 second__dense\n"), std::string::npos) << resumed.err;
    // Not redone: the first unit's results.json is the very file the killed run wrote.
    struct stat after {};
    ASSERT_EQ(::stat(first.c_str(), &after), 0);
    EXPECT_EQ(before.st_ino, after.st_ino);
    EXPECT_EQ(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
    EXPECT_EQ(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
    expect_same_as_uninterrupted();
}

TEST_F(RunResume, SigtermLeavesNoTemporaryFileAndSaysHowToContinue) {
    auto child = start_and_wait_for_first_unit();
    ASSERT_TRUE(child);
    child->signal(SIGTERM);
    const ProcResult stopped = child->wait();
    EXPECT_EQ(stopped.signal, SIGTERM);
    EXPECT_NE(stopped.err.find("sparsecim: interrupted"), std::string::npos) << stopped.err;
    EXPECT_NE(stopped.err.find("--resume"), std::string::npos) << stopped.err;
    EXPECT_TRUE(temp_files(out).empty());
    provide_second_model();
    const ProcResult resumed = run({"run", exp.string(), "--out", out.string(), "--resume"});
    ASSERT_EQ(resumed.code, 0) << resumed.err;
    EXPECT_NE(resumed.err.find("finished earlier, kept"), std::string::npos) << resumed.err;
    expect_same_as_uninterrupted();
}

TEST_F(RunResume, ChangedInputsRunTheUnitAgain) {
    provide_second_model();
    ASSERT_EQ(run({"run", exp.string(), "--out", out.string()}).code, 0);
    // Same file, nothing changed: everything is kept.
    ProcResult r = run({"run", exp.string(), "--out", out.string(), "--resume"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find("unit 2/2 second__dense: finished earlier, kept"), std::string::npos);
    // Another model behind the same path: that unit runs again, the other is kept.
    const ProcResult z = run({"zoo", "lenet", "--out", fifo.string(), "--seed", "4"});
    ASSERT_EQ(z.code, 0) << z.err;
    r = run({"run", exp.string(), "--out", out.string(), "--resume"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find("unit 1/2 tiny-cnn__dense: finished earlier, kept"), std::string::npos);
    EXPECT_NE(r.err.find("unit 2/2 second__dense\n"), std::string::npos) << r.err;
}

TEST_F(RunResume, StaleTemporaryFilesOfAKilledRunAreRemoved) {
    provide_second_model();
    ASSERT_EQ(run({"run", exp.string(), "--out", out.string()}).code, 0);
    write("out/tiny-cnn__dense/results.json.tmp.99999", "{\"half\": ");
    write("out/notes.tmp.txt", "kept: not one of ours");
    ASSERT_EQ(run({"run", exp.string(), "--out", out.string(), "--resume"}).code, 0);
    EXPECT_FALSE(fs::exists(out / "tiny-cnn__dense" / "results.json.tmp.99999"));
    EXPECT_TRUE(fs::exists(out / "notes.tmp.txt"));
}

TEST_F(RunResume, ARecordThatIsNotJsonIsAnErrorNamingIt) {
    provide_second_model();
    write("out/experiment.json", "{not json");
    const ProcResult r = run({"run", exp.string(), "--out", out.string(), "--resume"});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err.rfind("sparsecim: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find("experiment.json: not a run record"), std::string::npos) << r.err;
}

TEST(UnitFingerprint, DependsOnOptionsAndFileBytes) {
    const fs::path d = fs::temp_directory_path() / ("sparsecim-fp-" + std::to_string(::getpid()));
    fs::create_directories(d);
    std::ofstream(d / "m.onnx") << "model bytes";
    ExperimentUnit u;
    u.options.model = (d / "m.onnx").string();
    const std::string a = unit_fingerprint(u);
    EXPECT_EQ(a.size(), 16u);
    EXPECT_EQ(unit_fingerprint(u), a);
    u.options.seed = 2;
    const std::string b = unit_fingerprint(u);
    EXPECT_NE(b, a);
    std::ofstream(d / "m.onnx") << "other bytes";
    EXPECT_NE(unit_fingerprint(u), b);
    fs::remove_all(d);
}

TEST(ExperimentData, TheUsersArraysAreAMapRelativeToTheFile) {
    const Experiment ex = parse_experiment(
        "name: own\nmodels: [zoo:lenet]\nschemes: [dense]\n"
        "data: {inputs: x.npy, labels: y.npy, train_inputs: /abs/t.npy, mean: [0.5], std: 0.25}\n",
        "/exp/dir/e.yaml");
    ASSERT_EQ(ex.units.size(), 1u);
    const DataSource& d = ex.units[0].options.data;
    EXPECT_EQ(d.inputs, "/exp/dir/x.npy");
    EXPECT_EQ(d.labels, "/exp/dir/y.npy");
    EXPECT_EQ(d.train_inputs, "/abs/t.npy");
    EXPECT_EQ(d.mean, std::vector<float>{0.5f});
    EXPECT_EQ(d.stdev, std::vector<float>{0.25f});
    try {
        parse_experiment("name: own\nmodels: [zoo:lenet]\ndata: {input: x.npy}\n", "e.yaml");
        ADD_FAILURE() << "an unknown data key was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("e.yaml: data.input: unknown key"), std::string::npos)
            << e.what();
    }
}

// End-to-end tests of the `sparsecim` command: import, zoo, evaluate (table, results.json,
// --check-exact) and bad input (one error line naming the file and field, exit 2, no output).
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/malloc_tuning.hpp"
#include "schemes/scheme.hpp"
#include "sim/simulator.hpp"

using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

struct CmdResult {
    int code = -1;
    std::string out, err;
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

class Cli : public ::testing::Test {
  protected:
    fs::path dir;
    void SetUp() override {
        dir = fs::temp_directory_path() /
              ("sparsecim-cli-" + std::to_string(::getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    void TearDown() override { fs::remove_all(dir); }

    // `env`: a prefix such as "env -u NAME NAME2=VALUE" (none by default).
    CmdResult run(const std::string& args, const std::string& env = "") const {
        const std::string cmd = env + " " + std::string(SPARSECIM_BINARY) + " " + args + " >" +
                                (dir / "stdout").string() + " 2>" + (dir / "stderr").string();
        const int status = std::system(cmd.c_str());
        CmdResult r;
        r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        r.out = slurp(dir / "stdout");
        r.err = slurp(dir / "stderr");
        return r;
    }
    fs::path write(const std::string& name, const std::string& content) const {
        std::ofstream(dir / name, std::ios::binary) << content;
        return dir / name;
    }
    std::string zoo_model(const std::string& name) const {
        const auto path = (dir / (name + ".onnx")).string();
        const CmdResult r = run("zoo " + name + " --out " + path);
        EXPECT_EQ(r.code, 0) << r.err;
        return path;
    }
};

// Terminal columns of a UTF-8 line (code points; the table uses no wide characters).
size_t display_width(const std::string& line) {
    size_t n = 0;
    for (unsigned char c : line) n += (c & 0xC0) != 0x80;
    return n;
}

int lines(const std::string& s) {
    int n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

}  // namespace

// The binary re-executes itself once with glibc's allocator tuned (core/malloc_tuning.hpp), keeps
// its arguments, and says so in --version; SPARSECIM_MALLOC_TUNING=0 or the user's own
// GLIBC_TUNABLES leave the allocator alone.
TEST_F(Cli, VersionNamesTheKernelAndHowTheAllocatorRuns) {
    const std::string clean = "env -u GLIBC_TUNABLES -u SPARSECIM_MALLOC_TUNED ";
    CmdResult r = run("--version", clean + "-u SPARSECIM_MALLOC_TUNING");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out.rfind("sparsecim ", 0), 0u) << r.out;
    EXPECT_NE(r.out.find("simulator kernel: "s + sparsecim::kernel_name(sparsecim::best_kernel())),
              std::string::npos)
        << r.out;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    EXPECT_NE(r.out.find("allocator: glibc's defaults"), std::string::npos) << r.out;
#else
    EXPECT_NE(r.out.find("allocator: tuned (GLIBC_TUNABLES="s + sparsecim::malloc_tunables() + ")"),
              std::string::npos)
        << r.out;
#endif
    r = run("--version", clean + "SPARSECIM_MALLOC_TUNING=0");
    EXPECT_NE(r.out.find("allocator: glibc's defaults"), std::string::npos) << r.out;
    r = run("--version", clean + "GLIBC_TUNABLES=glibc.malloc.arena_max=2");
    EXPECT_NE(r.out.find("allocator: the user's GLIBC_TUNABLES=glibc.malloc.arena_max=2"),
              std::string::npos)
        << r.out;
    // Arguments survive the re-execution: an unknown option is still the one error line.
    r = run("evaluate --no-such-option", clean + "-u SPARSECIM_MALLOC_TUNING");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--no-such-option"), std::string::npos) << r.err;
}

TEST_F(Cli, ImportPrintsLayerTableWithTotals) {
    const std::string model = zoo_model("tiny-cnn");
    const CmdResult r = run("import " + model);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("Conv"), std::string::npos);
    EXPECT_NE(r.out.find("Gemm"), std::string::npos);
    EXPECT_NE(r.out.find("72 x 16"), std::string::npos);  // second conv: 8*3*3 rows, 16 outputs
    EXPECT_NE(r.out.find("total (3 weight layers)"), std::string::npos);
    // A built-in architecture by name, as evaluate takes it: ResNet-18's 21 weight layers.
    const CmdResult z = run("import zoo:resnet18");
    ASSERT_EQ(z.code, 0) << z.err;
    EXPECT_NE(z.out.find("total (21 weight layers)"), std::string::npos) << z.out;
    EXPECT_NE(z.out.find("11,678,912 weights"), std::string::npos) << z.out;
}

TEST_F(Cli, EvaluateWritesResultsJsonAndIsExact) {
    const std::string model = zoo_model("resnet-mini");
    const auto out = dir / "out";
    const CmdResult r =
        run("evaluate --model " + model +
            " --schemes dense --images 1 --accuracy-images 50 --adc-accuracy-images 10 "
            "--calib-images 16 --check-exact --out " +
            out.string());
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("dense"), std::string::npos);
    EXPECT_NE(r.out.find("(exact)"), std::string::npos);
    const auto j = nlohmann::json::parse(slurp(out / "results.json"));
    ASSERT_EQ(j["schemes"].size(), 1u);
    const auto& s = j["schemes"][0];
    EXPECT_EQ(s["name"], "dense");
    for (const char* key : {"crossbars", "area_mm2", "stored_cells", "ou_ops", "ou_ops_skipped",
                            "cycles", "energy_pj", "energy_pj_by_component", "accuracy", "layers"})
        EXPECT_TRUE(s.contains(key)) << key;
    EXPECT_GT(s["crossbars"].get<int64_t>(), 0);
    EXPECT_EQ(s["ideal_mismatches"].get<int64_t>(), 0);
    ASSERT_FALSE(s["layers"].empty());
    for (const auto& l : s["layers"]) EXPECT_TRUE(l.contains("mismatches"));
    // The summary agrees with the per-layer figures.
    int64_t ou = 0;
    for (const auto& l : s["layers"]) ou += l["ou_ops"].get<int64_t>();
    EXPECT_EQ(ou, s["ou_ops"].get<int64_t>());
}

TEST_F(Cli, EvaluateRunsEverySchemeByDefaultAndAllAreExact) {
    const auto out = dir / "out";
    const CmdResult r =
        run("evaluate --accuracy-images 20 --adc-accuracy-images 4 --calib-images 16 --check-exact "
            "--out " +
            out.string());
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(slurp(out / "results.json"));
    std::vector<std::string> names;
    for (const auto& s : j["schemes"]) {
        names.push_back(s["name"]);
        EXPECT_EQ(s["ideal_mismatches"].get<int64_t>(), 0) << s["name"];
        EXPECT_GT(s["crossbars"].get<int64_t>(), 0) << s["name"];
    }
    std::vector<std::string> registered;
    for (const sparsecim::Scheme& s : sparsecim::scheme_registry()) registered.push_back(s.name);
    EXPECT_EQ(names, registered);
    EXPECT_TRUE(fs::exists(out / "report.html"));
    EXPECT_TRUE(fs::exists(out / "layers.csv"));
    // The terminal table stays readable at 100 columns with all five schemes.
    std::istringstream text(r.out);
    int table_lines = 0;
    for (std::string line; std::getline(text, line);) {
        if (line.rfind("report: ", 0) == 0) continue;  // the output paths, not the table
        ++table_lines;
        EXPECT_LE(display_width(line), 100u) << line;
    }
    EXPECT_GE(table_lines, 10);
}

TEST_F(Cli, JsonFlagPrintsTheResultsJsonInsteadOfTheTable) {
    const std::string model = zoo_model("tiny-cnn");
    const auto out = dir / "out";
    const CmdResult r = run("evaluate --model " + model +
                            " --schemes dense,csr --images 1 --accuracy-images 10 "
                            "--adc-accuracy-images 0 --calib-images 8 --json --out " +
                            out.string());
    ASSERT_EQ(r.code, 0) << r.err;
    const auto printed = nlohmann::json::parse(r.out);  // stdout holds nothing but the JSON
    const auto written = nlohmann::json::parse(slurp(out / "results.json"));
    EXPECT_EQ(printed, written);
    ASSERT_EQ(printed["schemes"].size(), 2u);
    EXPECT_EQ(printed["schemes"][1]["name"], "csr");
}

TEST_F(Cli, SameInputsGiveSameResultsApartFromTiming) {
    const std::string model = zoo_model("tiny-cnn");
    auto go = [&](const std::string& o) {
        const CmdResult r =
            run("evaluate --model " + model +
                " --accuracy-images 20 --adc-accuracy-images 4 --calib-images 8 --out " +
                (dir / o).string());
        EXPECT_EQ(r.code, 0) << r.err;
        auto j = nlohmann::json::parse(slurp(dir / o / "results.json"));
        j.erase("timing");
        return j.dump();
    };
    EXPECT_EQ(go("a"), go("b"));
}

TEST_F(Cli, BadInputsGiveOneErrorLineAndNoOutput) {
    const auto out = dir / "bad-out";
    struct Case {
        std::string args, must_name;
    };
    const std::string model = zoo_model("tiny-cnn");
    const auto garbage = write("garbage.onnx", "this is not a protobuf \x01\x02\x03");
    const std::string full = slurp(model);
    const auto truncated = write("truncated.onnx", full.substr(0, full.size() / 2));
    const auto unknown_key = write("unknown.yaml", "crossbar: {rows: 64, colz: 64}\n");
    const auto bad_type = write("badtype.yaml", "ou: {rows: abc}\n");
    const auto big_ou = write("bigou.yaml", "crossbar: {rows: 64, cols: 64}\nou: {rows: 128}\n");
    const std::vector<Case> cases = {
        {"import " + (dir / "missing.onnx").string(), "missing.onnx"},
        {"import " + garbage.string(), "garbage.onnx"},
        {"import " + truncated.string(), "truncated.onnx"},
        {"evaluate --model " + (dir / "missing.onnx").string(), "missing.onnx"},
        {"evaluate --model " + model + " --hw " + unknown_key.string(), "colz"},
        {"evaluate --model " + model + " --hw " + bad_type.string(), "ou.rows"},
        {"evaluate --model " + model + " --hw " + big_ou.string(), "ou.rows"},
        {"evaluate --model " + model + " --set ou.rows=4096", "ou.rows"},
        {"evaluate --model " + model + " --schemes dense,nosuch", "nosuch"},
        {"evaluate --model zoo:nosuch", "nosuch"},
        {"evaluate --model " + model + " --activation-density 1.5", "--activation-density"},
        {"evaluate --model " + model + " --bit-density conv9=0.2", "conv9"},
        {"evaluate --model " + model + " --activations sometimes", "--activations"},
        {"evaluate --model zoo:resnet20-cifar --activations traces", "[N,1,28,28]"},
        {"accuracy --model zoo:resnet20-cifar", "[N,1,28,28]"},
        {"run " + (dir / "missing.yaml").string(), "missing.yaml"},
        {"run " + write("unknown-key.yaml", "schemes: [dense]\ncolour: red\n").string(), "colour"},
        {"run " + write("bad-scheme.yaml", "schemes: [dense, nosuch]\n").string(), "nosuch"},
        {"run " + write("bad-images.yaml", "images: many\n").string(), "images"},
        {"run " + write("missing-hw.yaml", "hw: [nope.yaml]\n").string(), "hw[0]"},
        {"run " + write("bad-param.yaml", "params: {nosuch: {a: 1}}\n").string(), "params.nosuch"},
    };
    for (const auto& c : cases) {
        fs::remove_all(out);
        const bool writes = c.args.rfind("evaluate", 0) == 0 || c.args.rfind("run", 0) == 0;
        const CmdResult r = run(writes ? c.args + " --out " + out.string() : c.args);
        EXPECT_EQ(r.code, 2) << c.args << "\n" << r.err;
        EXPECT_EQ(lines(r.err), 1) << c.args << "\n" << r.err;
        EXPECT_NE(r.err.find(c.must_name), std::string::npos) << c.args << "\n" << r.err;
        EXPECT_EQ(r.err.rfind("sparsecim: error: ", 0), 0u) << r.err;
        EXPECT_FALSE(fs::exists(out)) << c.args;
    }
}

// A graph that cannot run on Fashion-MNIST imports, lists its layers and says so.
TEST_F(Cli, ImportOfANonImageNetworkNamesTheObstacle) {
    const CmdResult r = run("import " + zoo_model("resnet20-cifar"));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("total (22 weight layers)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("modelled activations"), std::string::npos) << r.out;
}

TEST_F(Cli, RunWritesTheThreeReportFilesPerUnit) {
    const std::string model = zoo_model("lenet");
    const auto exp =
        write("exp.yaml", "name: two-hw\nmodels: [" + model +
                              "]\nhw: [" SPARSECIM_SOURCE_DIR
                              "/configs/hw/dense.yaml, " SPARSECIM_SOURCE_DIR
                              "/configs/hw/csr.yaml]\nschemes: [dense]\naccuracy_images: 20\n"
                              "adc_accuracy_images: 4\ncalib_images: 8\ncheck_exact: true\n");
    const auto out = dir / "exp-out";
    const CmdResult r = run("run " + exp.string() + " --out " + out.string());
    ASSERT_EQ(r.code, 0) << r.err;
    const auto index = nlohmann::json::parse(slurp(out / "experiment.json"));
    ASSERT_EQ(index["units"].size(), 2u);
    for (const char* unit : {"lenet__dense", "lenet__csr"}) {
        for (const char* f : {"results.json", "layers.csv", "report.html"})
            EXPECT_TRUE(fs::exists(out / unit / f)) << unit << "/" << f;
        const auto j = nlohmann::json::parse(slurp(out / unit / "results.json"));
        EXPECT_EQ(j["config"]["experiment"], "two-hw");
        EXPECT_EQ(j["schemes"][0]["ideal_mismatches"], 0);
        EXPECT_EQ(j["schemes"][0]["vs_dense"]["speedup"], 1.0);
    }
}

// `price` re-prices a stored results.json with the Accelergy tables `evaluate --export-accelergy`
// wrote (the same figures), and bad input is one error line with no output.
TEST_F(Cli, PriceRepricesWithExportedTablesAndRejectsBadInput) {
    const CmdResult ev =
        run("evaluate --model zoo:tiny-cnn --schemes dense,csr --images 1 "
            "--accuracy-images 0 --adc-accuracy-images 0 --calib-images 16 --out " +
            (dir / "ev").string() + " --export-accelergy " + (dir / "acc").string());
    ASSERT_EQ(ev.code, 0) << ev.err;
    const std::string results = (dir / "ev" / "results.json").string();
    const std::string tables = " --ert " + (dir / "acc" / "ERT.yaml").string() + " --art " +
                               (dir / "acc" / "ART.yaml").string();
    const CmdResult p = run("price " + results + tables + " --out " + (dir / "p.json").string());
    ASSERT_EQ(p.code, 0) << p.err;
    EXPECT_NE(p.out.find("re-priced with"), std::string::npos) << p.out;
    EXPECT_EQ(nlohmann::json::parse(slurp(dir / "p.json")), nlohmann::json::parse(slurp(results)));

    const auto bad_ert = write("bad-ert.yaml", "ERT: {tables: 3}\n");
    const auto garbage = write("garbage.json", "{\"schemes\": [");
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"price " + (dir / "missing.json").string(), "missing.json"},
        {"price " + garbage.string(), "garbage.json"},
        {"price " + results + " --ert " + bad_ert.string(), "--art"},
        {"price " + results + " --ert " + bad_ert.string() + " --art " +
             (dir / "acc" / "ART.yaml").string(),
         "bad-ert.yaml: ERT.tables"},
    };
    for (const auto& [args, must_name] : cases) {
        const CmdResult r = run(args + " --out " + (dir / "o.json").string());
        EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
        EXPECT_EQ(lines(r.err), 1) << args << "\n" << r.err;
        EXPECT_NE(r.err.find(must_name), std::string::npos) << args << "\n" << r.err;
        EXPECT_FALSE(fs::exists(dir / "o.json")) << args;
    }
}

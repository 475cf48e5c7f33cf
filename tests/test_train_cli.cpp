// `sparsecim train` / `finetune` end to end on a few steps, and their bad input: one error line
// naming the thing, exit 2, no output file.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_harness.hpp"
#include "import/onnx_io.hpp"
#include "train/masks.hpp"

namespace fs = std::filesystem;
using namespace sparsecim;
using namespace sparsecim_test;

namespace {

using TrainCli = CliTest;

const char* kQuick = " --threads 1 --train-images 512 --test-images 100 --batch 32 --max-steps 12";

}  // namespace

TEST_F(TrainCli, TrainThenFinetuneWritesOnnxWithMasksHeld) {
    const auto trained = dir / "t.onnx", tuned = dir / "f.onnx";
    CmdResult r = run("train --model zoo:tiny-cnn --epochs 1 --seed 3" + std::string(kQuick) +
                      " --out " + trained.string());
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find("epoch 1/1"), std::string::npos) << r.err;
    EXPECT_NE(r.out.find("test"), std::string::npos) << r.out;
    const Graph g = import_onnx(trained);
    EXPECT_EQ(weight_constants(g).size(), 3u);

    r = run("finetune --model " + trained.string() + " --prune 0.5 --epochs 1" + kQuick +
            " --out " + tuned.string());
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("before:"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("after:"), std::string::npos) << r.out;
    const Graph f = import_onnx(tuned);
    EXPECT_NEAR(masked_fraction(masks_from_zeros(f)), 0.5, 0.02);
}

TEST_F(TrainCli, BadInputsGiveOneErrorLineAndNoOutput) {
    const auto out = dir / "out.onnx";
    const auto garbage = dir / "garbage.onnx";
    std::ofstream(garbage) << "not a model";
    const auto empty_data = dir / "nodata";
    fs::create_directories(empty_data);
    struct Case {
        std::string args, must_name;
    };
    const std::vector<Case> cases = {
        {"train --model zoo:nosuch --epochs 1", "nosuch"},
        {"train --model zoo:tiny-cnn --epochs 0", "--epochs"},
        {"train --model zoo:tiny-cnn --optimizer rmsprop", "rmsprop"},
        {"train --model zoo:tiny-cnn --data " + empty_data.string(), "nodata"},
        {"finetune --model " + (dir / "missing.onnx").string(), "missing.onnx"},
        {"finetune --model " + garbage.string(), "garbage.onnx"},
        {"finetune --model zoo:tiny-cnn --prune 1.5", "prune"},
        {"finetune --model zoo:tiny-cnn --w-bits 1", "w-bits"},
        {"finetune --model zoo:tiny-cnn --distill-alpha 1.5", "distill-alpha"},
    };
    for (const auto& c : cases) {
        fs::remove(out);
        const CmdResult r = run(c.args + " --threads 1 --out " + out.string());
        EXPECT_EQ(r.code, 2) << c.args << "\n" << r.err;
        EXPECT_EQ(count_lines(r.err), 1) << c.args << "\n" << r.err;
        EXPECT_NE(r.err.find(c.must_name), std::string::npos) << c.args << "\n" << r.err;
        EXPECT_EQ(r.err.rfind("sparsecim: error: ", 0), 0u) << r.err;
        EXPECT_FALSE(fs::exists(out)) << c.args;
    }
}

// The command line loads LibTorch as a plug-in only when it trains (src/train/torch_plugin.hpp):
// the plug-in is built beside the binary, and a missing or foreign one is one error line naming
// the file, exit 2, nothing written. (The tests above train through the real plug-in.)
TEST_F(TrainCli, TheLibTorchPluginIsLoadedOnlyToTrainAndABadOneIsOneLine) {
    EXPECT_TRUE(fs::exists(fs::path(SPARSECIM_BINARY).parent_path() / "libsparsecim_torch.so"));
    const auto foreign = write("foreign.so", "not a shared object");
    const auto out = dir / "out";
    const std::string evaluate =
        "evaluate --model zoo:tiny-cnn --images 1 --accuracy-images 20 "
        "--calib-images 8 --schemes dense --finetune 1 "
        "--finetune-images 64 --out " +
        out.string();
    const std::vector<std::pair<std::string, std::string>> cases = {
        {(dir / "missing.so").string(), "missing.so: LibTorch plug-in not found"},
        {foreign.string(), "foreign.so: cannot load the LibTorch plug-in"},
    };
    for (const auto& [plugin, message] : cases) {
        const CmdResult r = run_env("SPARSECIM_TORCH_PLUGIN=" + plugin, evaluate);
        EXPECT_EQ(r.code, 2) << r.err;
        EXPECT_EQ(count_lines(r.err), 1) << r.err;
        EXPECT_EQ(r.err.rfind("sparsecim: error: ", 0), 0u) << r.err;
        EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
        EXPECT_FALSE(fs::exists(out)) << plugin;
    }
    // A run that does not train never looks for it.
    const CmdResult r = run_env("SPARSECIM_TORCH_PLUGIN=" + (dir / "missing.so").string(),
                                "evaluate --model zoo:tiny-cnn --images 1 --accuracy-images 20 "
                                "--calib-images 8 --schemes dense --out " +
                                    out.string());
    EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(TrainCli, TuneWritesItsReportAndModelsAndABadGridIsOneLine) {
    const auto out = dir / "tune";
    const std::string model = std::string(SPARSECIM_SOURCE_DIR) + "/models/lenet-fmnist.onnx";
    CmdResult r = run("tune --model " + model +
                      " --schemes csr --grid csr.sparsity=0.8 --rank-images 128 --val-images 100 "
                      "--final-images 128 --test-images 100 --out " +
                      out.string());
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("csr.sparsity=0.8"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("tune: [1/1] csr.sparsity=0.8: val top-1"), std::string::npos) << r.err;
    for (const char* f : {"tune.json", "tune.html", "tune.jsonl", "results.json", "report.html",
                          "models/csr-tuned.onnx"})
        EXPECT_TRUE(fs::exists(out / f)) << f;
    const auto j = nlohmann::json::parse(std::ifstream(out / "tune.json"));
    ASSERT_EQ(j["schemes"].size(), 1u);
    EXPECT_EQ(j["schemes"][0]["chosen"], "0.8");
    EXPECT_TRUE(j["schemes"][0]["test_top1"].is_number());

    const auto bad = dir / "tune-bad";
    r = run("tune --schemes csr --grid csr.sparsity=0.5,2 --out " + bad.string());
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("sparsecim: error: --grid: csr.sparsity=2: "), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(bad));
}

TEST_F(TrainCli, DefaultModelIsTrainedAndEvaluateReportsFinetunedAccuracy) {
    CmdResult r = run("accuracy --images 300 --calib-images 32");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("vgg7-fmnist-train50k.onnx"), std::string::npos) << r.out;
    const auto at = r.out.find("float top-1: ");
    ASSERT_NE(at, std::string::npos) << r.out;
    EXPECT_GT(std::stod(r.out.substr(at + 13)), 80.0) << r.out;  // a trained model, not chance

    const auto out = dir / "ev";
    r =
        run("evaluate --model zoo:tiny-cnn --images 1 --accuracy-images 100 --calib-images 16 "
            "--adc-accuracy-images 0 --finetune 1 --finetune-images 512 --out " +
            out.string());
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("+ft row: the same after finetuning"), std::string::npos) << r.out;
    const auto j = nlohmann::json::parse(slurp(out / "results.json"));
    ASSERT_TRUE(j["schemes"][0]["accuracy_finetuned"].is_number()) << j["schemes"][0].dump();
    // The untrained tiny-cnn is at chance; 4 steps of finetuning already move it.
    EXPECT_NE(j["schemes"][0]["accuracy_finetuned"].get<double>(),
              j["schemes"][0]["accuracy"].get<double>());
}

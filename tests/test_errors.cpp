// docs/errors.md, checked: every error class of its table is provoked through the real binary and
// must give exit code 2 (1 for not-exact), exactly one stderr line "sparsecim: error: ..." with the
// documented message, and no output folder. The class column of the table is read from the doc, so
// a documented class without a case here fails.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "support/onnx_craft.hpp"
#include "support/process.hpp"

using namespace sparsecim::testing;

namespace {

struct Case {
    std::vector<std::string> args;
    std::string message;  // must appear in the line after "sparsecim: error: "
    bool writes = false;  // takes --out (checked not to be created)
    int code = 2;
};

// Classes of docs/errors.md whose cases are not plain commands (see below and the doc).
const std::set<std::string> kCheckedElsewhere = {"not-exact", "internal", "no-torch",
                                                 "torch-plugin", "interrupted"};

// The class column of docs/errors.md: rows starting "| `name` |".
std::set<std::string> documented_classes() {
    std::ifstream in(fs::path(SPARSECIM_SOURCE_DIR) / "docs" / "errors.md");
    std::set<std::string> out;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("| `", 0) != 0) continue;
        const auto end = line.find("` |", 3);
        if (end == std::string::npos) continue;
        const std::string name = line.substr(3, end - 3);
        if (!name.empty() &&
            name.find_first_not_of("abcdefghijklmnopqrstuvwxyz-") == std::string::npos)
            out.insert(name);
    }
    return out;
}

class Errors : public TempDirTest {
  protected:
    std::map<std::string, std::vector<Case>> cases() {
        const std::string d = dir.string() + "/";
        const std::string model = d + "tiny.onnx";
        EXPECT_EQ(run({"zoo", "tiny-cnn", "--out", model}).code, 0);
        const std::string full = slurp(model);
        write("truncated.onnx", full.substr(0, full.size() / 2));
        write("text.onnx", "this is not a model\n");
        onnx::ModelProto custom = base_model();
        add_node(custom, "Gelu", "act", {"x"}, {"y"})->set_domain("com.example");
        write("custom.onnx", bytes(custom));
        onnx::ModelProto loop = base_model();
        add_node(loop, "Loop", "l", {"x"}, {"y"});
        write("loop.onnx", bytes(loop));
        onnx::ModelProto cyclic = base_model();
        add_node(cyclic, "Add", "a", {"x", "b_out"}, {"a_out"});
        add_node(cyclic, "Relu", "b", {"a_out"}, {"b_out"});
        add_node(cyclic, "Relu", "c", {"b_out"}, {"y"});
        write("cyclic.onnx", bytes(cyclic));
        onnx::ModelProto short_data = base_model();
        add_initializer(short_data, "w", {4, 1, 3, 3}, {1.0f, 2.0f});
        add_node(short_data, "Conv", "conv", {"x", "w"}, {"y"});
        write("short.onnx", bytes(short_data));
        onnx::ModelProto huge = base_model();
        add_initializer(huge, "huge", {1000000, 1000000});
        add_node(huge, "Relu", "r", {"x"}, {"y"});
        write("huge.onnx", bytes(huge));
        onnx::ModelProto wrong_cin = base_model();
        add_initializer(wrong_cin, "w", {2, 3, 1, 1}, std::vector<float>(6, 1.0f));
        add_node(wrong_cin, "Conv", "conv3", {"x", "w"}, {"y"});
        write("wrong-cin.onnx", bytes(wrong_cin));
        write("unclosed.yaml", "crossbar: [64\n");
        write("latin1.yaml", "name: caf\xe9\n");
        write("control.yaml", std::string("name: a\x0c\x00b\n", 11));
        write("zero-rows.yaml", "crossbar: {rows: 0, cols: 64}\n");
        write("huge-xbar.yaml", "crossbar: {rows: 65536, cols: 65536}\n");
        write("zero-images.yaml", "images: 0\n");
        write("hot-distill.yaml", "finetune_distill: 2\n");
        write("hot-lr.yaml", "finetune_lr_scheme: {sme: 3}\n");
        write("no-epochs.yaml", "finetune_epochs_scheme: {csr: 0}\n");
        const std::string sweep_base = "models: zoo:tiny-cnn\nschemes: [csr]\n";
        write("axis-unknown.yaml", sweep_base + "axes: {ou.depth: [1, 2]}\n");
        write("axis-empty.yaml", sweep_base + "axes: {ou.rows: []}\n");
        write("axis-bad-value.yaml", sweep_base + "axes: {ou.rows: [8, 512]}\n");
        write("axis-bad-param.yaml", sweep_base + "axes: {csr.beta: [2, 0]}\n");
        write("point-twice.yaml", sweep_base + "points: [{ou.rows: 8}, {ou.rows: 8}]\n");
        write("no-model.yaml", "models: [nope.onnx]\n");
        write("exp.yaml",
              "models: [zoo:tiny-cnn]\nimages: 1\naccuracy_images: 0\n"
              "adc_accuracy_images: 0\ncalib_images: 4\n");
        write("bad-data/train-images-idx3-ubyte", "\x12\x34\x08\x03");
        write("bad-data/train-labels-idx1-ubyte", std::string("\0\0\x08\x01\0\0\0\0", 8));
        write("bad-data/t10k-images-idx3-ubyte", "");
        write("bad-data/t10k-labels-idx1-ubyte", "");
        write("a-file", "not a folder");
        fs::create_directories(dir / "a-dir.onnx");
        write("run-out/experiment.json", "[1, 2, 3]\n");
        const std::vector<std::string> fast = {
            "--accuracy-images", "0", "--adc-accuracy-images", "0", "--calib-images", "4"};
        auto evaluate = [&](std::vector<std::string> a) {
            a.insert(a.begin(), "evaluate");
            a.insert(a.end(), fast.begin(), fast.end());
            return a;
        };
        return {
            {"usage", {{{"evaluate", "--nosuch"}, "--nosuch (see --help)"}, {{}, "(see --help)"}}},
            {"file",
             {{{"import", d + "missing.onnx"}, d + "missing.onnx: file not found"},
              {{"import", d + "a-dir.onnx"}, d + "a-dir.onnx: is a directory, expected a file"}}},
            {"onnx-format",
             {{{"import", d + "truncated.onnx"},
               d + "truncated.onnx: not a valid ONNX model (protobuf parse failed"},
              {{"import", d + "text.onnx"}, d + "text.onnx: not a valid ONNX model"}}},
            {"onnx-op",
             {{evaluate({"--model", d + "custom.onnx", "--activations", "traces"}),
               d + "custom.onnx: unsupported op 'com.example.Gelu' in node 'act'"},
              {{"import", d + "loop.onnx"},
               d + "loop.onnx: unsupported op 'Loop' in node 'l' (control flow"}}},
            {"onnx-graph",
             {{{"import", d + "cyclic.onnx"},
               d + "cyclic.onnx: node 'a' (Add): input 'b_out' is produced by a later node (the "
                   "nodes are not topologically sorted or form a cycle)"}}},
            {"onnx-tensor",
             {{{"import", d + "short.onnx"},
               d + "short.onnx: tensor 'w': float_data has 2 values but dims need 36"}}},
            {"limit",
             {{{"import", d + "huge.onnx"},
               d + "huge.onnx: tensor 'huge': shape [1000000,1000000] has more than 268435456 "
                   "elements, the limit of one tensor"}}},
            {"inference", {{{"import", d + "wrong-cin.onnx"}, d + "wrong-cin.onnx: node 'conv3'"}}},
            {"yaml-syntax",
             {{evaluate({"--model", model, "--hw", d + "unclosed.yaml"}),
               d + "unclosed.yaml: line 2, column 1: malformed YAML: ", true},
              {evaluate({"--model", model, "--hw", d + "latin1.yaml"}),
               d + "latin1.yaml: line 1, column 10: not UTF-8 text (byte 9)", true},
              {evaluate({"--model", model, "--hw", d + "control.yaml"}),
               d + "control.yaml: line 1, column 8: control character U+000C is not allowed in "
                   "YAML text (byte 7)",
               true}}},
            {"config-field",
             {{evaluate({"--model", model, "--hw", d + "zero-rows.yaml"}),
               d + "zero-rows.yaml: crossbar.rows: must be in 1..65536 (got 0)", true},
              {evaluate({"--model", model, "--hw", d + "huge-xbar.yaml"}),
               d + "huge-xbar.yaml: crossbar: rows x cols = 65536 x 65536 = 4294967296 cells, "
                   "more than the limit of 4194304 (2048 x 2048) per crossbar",
               true},
              {{"run", d + "zero-images.yaml"},
               d + "zero-images.yaml: images: must be in 1..10000 (got 0)",
               true},
              {{"run", d + "hot-distill.yaml"},
               d + "hot-distill.yaml: finetune_distill: must be in [0, 1]",
               true},
              {{"run", d + "hot-lr.yaml"},
               d + "hot-lr.yaml: finetune_lr_scheme.sme: must be in (0, 1)",
               true},
              {{"run", d + "no-epochs.yaml"},
               d + "no-epochs.yaml: finetune_epochs_scheme.csr: must be >= 1",
               true},
              {{"run", d + "no-model.yaml"},
               d + "no-model.yaml: models[0]: no such file: " + d + "nope.onnx",
               true}}},
            {"option",
             {{evaluate({"--model", model, "--images", "0"}), "--images: must be at least 1", true},
              {evaluate({"--model", model, "--set", "ou.rows"}),
               "--set ou.rows: expected section.key=value", true},
              {evaluate({"--model", model, "--schemes", "csr", "--param", "csr.beta=0"}),
               "--param csr.beta: must be a positive integer", true},
              {evaluate({"--model", model, "--finetune-temperature", "0"}),
               "--finetune-temperature: Value 0 not in range 0.001000 to 100.000000", true},
              {evaluate({"--model", model, "--finetune-lr-scheme", "sme:3e-4"}),
               "--finetune-lr-scheme: expected SCHEME=LR, got 'sme:3e-4'", true},
              {evaluate({"--model", model, "--finetune-lr-scheme", "smx=3e-4"}),
               "unknown scheme 'smx' (known: dense, csr, twofold, sme, pattern)", true},
              {evaluate({"--model", model, "--finetune-epochs-scheme", "csr=2.5"}),
               "--finetune-epochs-scheme: expected SCHEME=EPOCHS, got 'csr=2.5'", true},
              {evaluate({"--model", model, "--finetune-epochs-scheme", "csr=0"}),
               "--finetune-epochs-scheme: csr: must be >= 1", true},
              {evaluate({"--model", model, "--tuned", d + "nowhere"}),
               "--tuned: " + d +
                   "nowhere: no such directory (expected the output directory of "
                   "`sparsecim tune`)",
               true}}},
            {"data",
             {{evaluate({"--model", model, "--data", d + "bad-data"}),
               d + "bad-data/train-images-idx3-ubyte: bad magic 0x12340803", true},
              {evaluate({"--model", model, "--data", d + "nowhere"}),
               d + "nowhere/train-images-idx3-ubyte.gz: no such file (Fashion-MNIST comes with "
                   "the Debian package dataset-fashion-mnist",
               true}}},
            {"output",
             {{{"zoo", "tiny-cnn", "--out", d + "a-file/m.onnx"},
               d + "a-file/m.onnx: cannot create directory: "},
              {{"zoo", "tiny-cnn", "--out", d + "a-dir.onnx"},
               d + "a-dir.onnx: cannot rename temporary file: "}}},
            {"sweep-axis",
             {{{"sweep", d + "axis-unknown.yaml"},
               d + "axis-unknown.yaml: axes.ou.depth: unknown field (expected a hardware key",
               true},
              {{"sweep", d + "axis-empty.yaml"},
               d + "axis-empty.yaml: axes.ou.rows: expected a non-empty list of values",
               true},
              {{"sweep", d + "axis-bad-value.yaml"},
               d + "axis-bad-value.yaml: axes.ou.rows: ou.rows: OU rows (512) "
                   "exceed crossbar rows (128)",
               true},
              {{"sweep", d + "axis-bad-param.yaml"},
               d + "axis-bad-param.yaml: axes.csr.beta: must be a positive integer",
               true},
              {{"run", d + "point-twice.yaml"},
               d + "point-twice.yaml: points[1]: the same point as an earlier one",
               true}}},
            {"run-record",
             {{{"run", d + "exp.yaml", "--out", d + "run-out", "--resume"},
               d + "run-out/experiment.json: not a run record"}}},
        };
    }
};

int lines(const std::string& s) {
    return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

}  // namespace

TEST_F(Errors, EveryDocumentedClassHasACase) {
    const auto doc = documented_classes();
    ASSERT_GE(doc.size(), 15u) << "docs/errors.md table not found";
    const auto all = cases();
    for (const auto& c : doc)
        EXPECT_TRUE(all.count(c) || kCheckedElsewhere.count(c)) << "no test case for " << c;
    for (const auto& [c, list] : all) EXPECT_TRUE(doc.count(c)) << c << " is not documented";
}

TEST_F(Errors, EachCaseGivesItsDocumentedLineAndExitCode) {
    const fs::path out = dir / "out";
    for (const auto& [cls, list] : cases())
        for (const Case& c : list) {
            std::vector<std::string> args = c.args;
            if (c.writes) {
                args.push_back("--out");
                args.push_back(out.string());
            }
            const ProcResult r = run(args);
            std::string what = cls;
            for (const auto& a : args) what += " " + a;
            EXPECT_EQ(r.code, c.code) << what << "\n" << r.err;
            EXPECT_EQ(lines(r.err), 1) << what << "\n" << r.err;
            EXPECT_EQ(r.err.rfind("sparsecim: error: ", 0), 0u) << what << "\n" << r.err;
            EXPECT_NE(r.err.find(c.message), std::string::npos) << what << "\n" << r.err;
            EXPECT_FALSE(fs::exists(out)) << what;
        }
}

// not-exact: the exit code 1 of a unit survives a resumed run (the code comes from the record).
TEST_F(Errors, ResumedRunKeepsARecordedExitCodeOne) {
    const fs::path exp = write("exp.yaml",
                               "models: [zoo:tiny-cnn]\nimages: 1\naccuracy_images: 0\n"
                               "adc_accuracy_images: 0\ncalib_images: 4\ncheck_exact: true\n");
    const fs::path out = dir / "o";
    ASSERT_EQ(run({"run", exp.string(), "--out", out.string()}).code, 0);
    auto log = nlohmann::json::parse(slurp(out / "experiment.json"));
    ASSERT_EQ(log["units"][0]["exit_code"], 0);
    log["units"][0]["exit_code"] = 1;
    write("o/experiment.json", log.dump(2));
    const ProcResult r = run({"run", exp.string(), "--out", out.string(), "--resume"});
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_NE(r.err.find("finished earlier, kept"), std::string::npos) << r.err;
}

TEST_F(Errors, TrainWithoutLibTorchIsAnError) {
    const ProcResult r =
        run({"train", "--model", "zoo:nosuch", "--out", (dir / "m.onnx").string()});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(lines(r.err), 1) << r.err;
    if (r.err.find("no LibTorch") == std::string::npos)
        GTEST_SKIP() << "this build has LibTorch: " << r.err;
    EXPECT_EQ(r.err.rfind("sparsecim: error: train: this build has no LibTorch", 0), 0u) << r.err;
}

// The user's own data (.npy inputs and labels, model/dataset.hpp): evaluating Fashion-MNIST
// images given as .npy gives exactly the figures of the same images read from Debian's IDX files,
// calibration and the validation split come from the ranges they are documented to, and every
// defect is one error line naming the file or the option.
#include <gtest/gtest.h>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "model/dataset.hpp"
#include "pipeline/evaluate.hpp"
#include "support/process.hpp"

using namespace sparsecim;
using namespace sparsecim::testing;

namespace {

class UserData : public TempDirTest {
  protected:
    // Writes images (float32) and labels (int64) of `d` as .npy; returns their paths.
    std::pair<std::string, std::string> save(const Dataset& d, const std::string& stem) const {
        const fs::path x = dir / (stem + "-x.npy"), y = dir / (stem + "-y.npy");
        write_file_atomic(x, npy_bytes(d.images.shape, d.images.data));
        write_file_atomic(
            y, npy_int64_bytes({d.size()}, std::vector<int64_t>(d.labels.begin(), d.labels.end())));
        return {x.string(), y.string()};
    }
};

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_F(UserData, NpyImagesGiveTheFiguresOfTheSameImagesFromIdx) {
    const Dataset test = load_fashion_mnist("test", 120);
    const Dataset train = load_fashion_mnist("train", 64);
    const auto [x, y] = save(test, "test");
    const auto [tx, ty] = save(train, "train");

    EvalOptions idx;
    idx.model = "zoo:lenet";
    idx.schemes = {"dense", "csr", "pattern"};
    idx.images = 2;
    idx.accuracy_images = 120;
    idx.calib_images = 64;
    idx.check_exact = true;
    const EvalResult a = evaluate(idx);

    EvalOptions npy = idx;
    npy.data.inputs = x;
    npy.data.labels = y;
    npy.data.train_inputs = tx;
    npy.data.train_labels = ty;
    npy.accuracy_images = 1000;  // capped at the 120 images there are
    const EvalResult b = evaluate(npy);

    EXPECT_EQ(a.data, "fashion-mnist/test");
    EXPECT_EQ(b.data, x);
    EXPECT_EQ(b.options.accuracy_images, 120);
    ASSERT_TRUE(a.float_accuracy && b.float_accuracy);
    EXPECT_EQ(*a.float_accuracy, *b.float_accuracy);
    ASSERT_EQ(a.schemes.size(), b.schemes.size());
    for (size_t i = 0; i < a.schemes.size(); ++i) {
        SCOPED_TRACE(a.schemes[i].name);
        EXPECT_EQ(a.schemes[i].accuracy, b.schemes[i].accuracy);
        EXPECT_EQ(b.schemes[i].ideal_mismatches.value_or(-1), 0);
        EXPECT_EQ(a.schemes[i].stats.ou_ops, b.schemes[i].stats.ou_ops);
        EXPECT_EQ(a.schemes[i].stats.cycles, b.schemes[i].stats.cycles);
    }
}

TEST_F(UserData, CalibrationTakesTheLastInputsWithoutATrainingSet) {
    const Dataset test = load_fashion_mnist("test", 100);
    const auto [x, y] = save(test, "test");
    DataSource src;
    src.inputs = x;
    src.labels = y;
    const Dataset calib = load_split(src, "calib", 30);
    ASSERT_EQ(calib.size(), 30);
    EXPECT_EQ(calib.labels, std::vector<int32_t>(test.labels.begin() + 70, test.labels.end()));
    EXPECT_EQ(calib.images.data.front(), test.images.data[70 * 28 * 28]);

    // The evaluated images stop where calibration starts; asking for more is an error.
    EvalOptions o;
    o.model = "zoo:lenet";
    o.data = src;
    o.calib_images = 30;
    o.accuracy_images = 1000;
    o.images = 1;
    EXPECT_EQ(evaluate(o).options.accuracy_images, 70);
    o.images = 71;
    const std::string e = error_of([&] { evaluate(o); });
    EXPECT_EQ(e.rfind("images: 71 simulated, but " + x + " has 70 to evaluate", 0), 0u) << e;

    // No training set: nothing to finetune on or validate with.
    EXPECT_EQ(error_of([&] { load_split(src, "train"); }).rfind("train_inputs: ", 0), 0u);
}

TEST_F(UserData, TheValidationSplitIsTheTrainingSetsLastSixth) {
    const Dataset train = load_fashion_mnist("train", 60);
    const auto [tx, ty] = save(train, "train");
    const auto [x, y] = save(load_fashion_mnist("test", 5), "test");
    DataSource src{"", x, y, tx, ty, {}, {}};
    EXPECT_EQ(val_first(src), 50);
    EXPECT_EQ(val_first(DataSource{}), kFashionMnistValFirst);
    const Dataset val = load_split(src, "val");
    EXPECT_EQ(val.labels, std::vector<int32_t>(train.labels.begin() + 50, train.labels.end()));
    EXPECT_EQ(load_split(src, "train", 7).size(), 7);
    EXPECT_EQ(load_split(src, "calib", 7).labels,
              std::vector<int32_t>(train.labels.begin(), train.labels.begin() + 7));
}

TEST_F(UserData, ImagesAreScaledAndNormalisedPerChannel) {
    NpyArray a;
    a.descr = "|u1";
    a.shape = {1, 2, 1, 2};
    a.values = {0, 255, 51, 102};
    const Tensor t = npy_images(a, "x.npy", {0.5f, 0.0f}, {0.5f, 0.2f});
    EXPECT_EQ(t.shape, (Shape{1, 2, 1, 2}));
    EXPECT_FLOAT_EQ(t.data[0], -1.0f);
    EXPECT_FLOAT_EQ(t.data[1], 1.0f);
    EXPECT_FLOAT_EQ(t.data[2], 1.0f);
    EXPECT_FLOAT_EQ(t.data[3], 2.0f);
    EXPECT_EQ(error_of([&] {
                  npy_images(a, "x.npy", {0, 0, 0}, {});
              }),
              "mean: 3 values for images of 2 channels");
    EXPECT_EQ(error_of([&] { npy_images(a, "x.npy", {}, {0.0f}); }),
              "std: every value must be > 0");
}

TEST_F(UserData, DefectsAreOneLineNamingTheFile) {
    const Dataset test = load_fashion_mnist("test", 10);
    const auto [x, y] = save(test, "test");
    const fs::path y_short = dir / "short.npy", y_float = dir / "float.npy";
    write_file_atomic(y_short, npy_int64_bytes({9}, std::vector<int64_t>(9, 1)));
    write_file_atomic(y_float, npy_bytes({10}, std::vector<float>(10, 1.0f)));
    DataSource src;
    src.inputs = x;
    src.labels = y_short.string();
    EXPECT_EQ(error_of([&] { load_split(src, "test"); }),
              y_short.string() + ": 9 labels but 10 images in " + x);
    src.labels = y_float.string();
    EXPECT_EQ(error_of([&] { load_split(src, "test"); }),
              y_float.string() + ": dtype '<f4': labels must be int32 or int64");
    src.labels = (dir / "missing.npy").string();
    EXPECT_NE(error_of([&] { load_split(src, "test"); }).find("missing.npy"), std::string::npos);

    // Images the model cannot take: one line naming the input and the images' shape.
    write_file_atomic(dir / "rgb.npy", npy_bytes({2, 3, 8, 8}, std::vector<float>(384, 0.5f)));
    write_file_atomic(dir / "rgb-y.npy", npy_int64_bytes({2}, std::vector<int64_t>{0, 1}));
    EvalOptions o;
    o.model = "zoo:lenet";
    o.data.inputs = (dir / "rgb.npy").string();
    o.data.labels = (dir / "rgb-y.npy").string();
    o.data.train_inputs = o.data.inputs;
    o.data.train_labels = o.data.labels;
    const std::string e = error_of([&] { evaluate(o); });
    EXPECT_NE(e.find("has shape [-1,1,28,28], the images of " + o.data.inputs + " are [N,3,8,8]"),
              std::string::npos)
        << e;

    // The command line names its flags.
    const ProcResult r = run({"evaluate", "--model", "zoo:lenet", "--inputs", x, "--schemes",
                              "dense", "--out", (dir / "out").string()});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--labels: is needed with --inputs"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "out"));
}

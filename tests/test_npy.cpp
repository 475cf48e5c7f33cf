// The .npy reader and writer (model/npy.hpp) against files NumPy itself wrote (tests/data/npy/),
// and `sparsecim infer` on .npy inputs: its float outputs equal the executor's, its int8 outputs
// the int8 pipeline's, and bad inputs are one error line naming the file.
#include <gtest/gtest.h>

#include <cmath>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "infer/int_infer.hpp"
#include "model/npy.hpp"
#include "model/zoo.hpp"
#include "quant/ptq.hpp"
#include "support/process.hpp"

using namespace sparsecim;
using namespace sparsecim::testing;

namespace {

const fs::path kData = fs::path(SPARSECIM_SOURCE_DIR) / "tests" / "data" / "npy";

std::string error_of(const std::string& bytes) {
    try {
        parse_npy(bytes, "x.npy");
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(Npy, ReadsWhatNumpyWrote) {
    const NpyArray f4 = read_npy(kData / "f4.npy");
    EXPECT_EQ(f4.descr, "<f4");
    EXPECT_EQ(f4.shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(f4.values, (std::vector<float>{0.0f, 0.25f, 0.5f, 0.75f, 1.0f, 1.25f}));
    EXPECT_TRUE(f4.ints.empty());

    const NpyArray u8 = read_npy(kData / "u8-images.npy");
    EXPECT_EQ(u8.shape, (std::vector<int64_t>{2, 2, 2, 2}));
    ASSERT_EQ(u8.values.size(), 16u);
    EXPECT_EQ(u8.values[15], 240.0f);

    for (const char* f : {"i8.npy", "i4.npy"}) {
        const NpyArray i = read_npy(kData / f);
        EXPECT_EQ(i.ints, (std::vector<int64_t>{3, -1, 7})) << f;
        EXPECT_TRUE(i.values.empty()) << f;
    }
    const NpyArray f8 = read_npy(kData / "f8.npy");
    EXPECT_EQ(f8.values, (std::vector<float>{0.5f, -2.25f, 1e-3f, 4.0f}));
    const NpyArray scalar = read_npy(kData / "scalar.npy");
    EXPECT_TRUE(scalar.shape.empty());
    EXPECT_EQ(scalar.values, (std::vector<float>{1.5f}));
    const NpyArray v2 = read_npy(kData / "v2.npy");
    EXPECT_EQ(v2.values, (std::vector<float>{0, 1, 2, 3}));
    const NpyArray empty = read_npy(kData / "empty.npy");
    EXPECT_EQ(empty.shape, (std::vector<int64_t>{0, 3}));
    EXPECT_TRUE(empty.values.empty());
}

TEST(Npy, WritesTheBytesNumpyWrites) {
    EXPECT_EQ(npy_bytes({2, 3}, {0.0f, 0.25f, 0.5f, 0.75f, 1.0f, 1.25f}),
              read_file(kData / "f4.npy"));
    const NpyArray back = parse_npy(npy_bytes({3}, {1, 2, 3}), "w.npy");
    EXPECT_EQ(back.shape, (std::vector<int64_t>{3}));
    EXPECT_EQ(back.values, (std::vector<float>{1, 2, 3}));
}

TEST(Npy, RejectsWhatItCannotReadFaithfully) {
    auto rejects = [](const fs::path& file, const std::string& says) {
        try {
            read_npy(file);
            ADD_FAILURE() << file << " was read";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(file.string() + ": "), std::string::npos)
                << e.what();
            EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
        }
    };
    rejects(kData / "fortran.npy", "Fortran-ordered");
    rejects(kData / "big-endian.npy", "dtype '>f4' is not supported");
    rejects(kData / "f2.npy", "dtype '<f2' is not supported");

    const std::string good = read_file(kData / "f4.npy");
    EXPECT_NE(error_of(good.substr(0, good.size() - 1)).find("the shape needs 24 data bytes"),
              std::string::npos);
    EXPECT_NE(error_of(good + "x").find("the file holds 25"), std::string::npos);
    EXPECT_NE(error_of("PK\x03\x04 not npy").find("not a .npy file"), std::string::npos);
    EXPECT_NE(error_of(good.substr(0, 20)).find("truncated .npy header"), std::string::npos);
    auto with_header = [](const std::string& h) {
        return npy_bytes({1}, {1.0f}).substr(0, 8) + std::string(1, static_cast<char>(h.size())) +
               std::string(1, '\0') + h + std::string(4, '\0');
    };
    EXPECT_NE(error_of(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), "
                                   "'extra': 1}\n"))
                  .find("unknown header key 'extra'"),
              std::string::npos);
    EXPECT_NE(error_of(with_header("{'descr': '<f4', 'shape': (1,), }\n")).find("fortran_order"),
              std::string::npos);
    EXPECT_NE(error_of(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), "
                                   "'shape': (1,)}\n"))
                  .find("given twice"),
              std::string::npos);
    EXPECT_NE(error_of(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': "
                                   "(99999999999, 99999999999), }\n"))
                  .find("has too many elements"),
              std::string::npos);
    EXPECT_NE(error_of(with_header("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }\n"))
                  .find("True or False"),
              std::string::npos);
}

class Infer : public TempDirTest {};

TEST_F(Infer, FloatAndInt8OutputsEqualTheExecutorsOnNpyInputs) {
    const Graph g = make_zoo_model("tiny-cnn", 1);
    // Three images of the model's input shape, as uint8 (scaled by 1/255 on reading).
    const Shape in = g.inputs.at(0).shape;
    int64_t per = 1;
    for (size_t d = 1; d < in.size(); ++d) per *= in[d];
    std::vector<float> px(static_cast<size_t>(3 * per));
    for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<float>((i * 37) % 256) / 255.0f;
    Shape s = in;
    s[0] = 3;
    write("x.npy", npy_bytes(std::vector<int64_t>(s.begin(), s.end()), px));
    const Tensor images(s, px);

    ProcResult r = run({"infer", "--model", "zoo:tiny-cnn", "--inputs", (dir / "x.npy").string(),
                        "--out", (dir / "y.npy").string()});
    ASSERT_EQ(r.code, 0) << r.err;
    const NpyArray y = read_npy(dir / "y.npy");
    const Tensor want = run_float(g, images);
    EXPECT_EQ(y.shape, std::vector<int64_t>(want.shape.begin(), want.shape.end()));
    EXPECT_EQ(y.values, want.data);

    r = run({"infer", "--model", "zoo:tiny-cnn", "--inputs", (dir / "x.npy").string(), "--out",
             (dir / "q.npy").string(), "--int8"});
    ASSERT_EQ(r.code, 0) << r.err;
    const QuantModel qm = quantize(g, images, QuantOptions{});
    EXPECT_EQ(read_npy(dir / "q.npy").values, run_int(qm, images).data);

    // --mean/--std per channel: the same as normalising by hand.
    r = run({"infer", "--model", "zoo:tiny-cnn", "--inputs", (dir / "x.npy").string(), "--out",
             (dir / "n.npy").string(), "--mean", "0.5", "--std", "0.25"});
    ASSERT_EQ(r.code, 0) << r.err;
    std::vector<float> norm = px;
    for (float& v : norm) v = (v - 0.5f) / 0.25f;
    EXPECT_EQ(read_npy(dir / "n.npy").values, run_float(g, Tensor(s, norm)).data);
}

TEST_F(Infer, BadInputsAreOneLineNamingTheFileAndLeaveNoOutput) {
    const fs::path x = write("wrong.npy", npy_bytes({2, 3}, {1, 2, 3, 4, 5, 6}));
    ProcResult r = run({"infer", "--model", "zoo:tiny-cnn", "--inputs", x.string(), "--out",
                        (dir / "y.npy").string()});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("sparsecim: error: " + x.string() + ": shape [2,3] does not fit"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(fs::exists(dir / "y.npy"));
    r = run({"infer", "--model", "zoo:tiny-cnn", "--inputs", (kData / "fortran.npy").string(),
             "--out", (dir / "y.npy").string()});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("fortran.npy: Fortran-ordered"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "y.npy"));
}

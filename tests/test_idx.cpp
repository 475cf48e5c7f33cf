// IDX reader and Fashion-MNIST loader: the real Debian dataset, and crafted defective files.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <fstream>

#include "core/error.hpp"
#include "model/idx.hpp"

using namespace sparsecim;
namespace fs = std::filesystem;

namespace {

class TempDir {
  public:
    TempDir() {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        path_ = fs::temp_directory_path() /
                ("sparsecim_idx_" + std::to_string(::getpid()) + "_" + info->name());
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

std::vector<uint8_t> idx_bytes(uint8_t type, const std::vector<uint32_t>& dims,
                               const std::vector<uint8_t>& data) {
    std::vector<uint8_t> b = {0, 0, type, static_cast<uint8_t>(dims.size())};
    for (uint32_t d : dims) {
        for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(d >> s));
    }
    b.insert(b.end(), data.begin(), data.end());
    return b;
}

void write_plain(const fs::path& p, const std::vector<uint8_t>& bytes) {
    std::ofstream f(p, std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

void write_gz(const fs::path& p, const std::vector<uint8_t>& bytes) {
    gzFile f = gzopen(p.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
              static_cast<int>(bytes.size()));
    gzclose(f);
}

template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

bool has_real_dataset() {
    return fs::exists(fashion_mnist_dir() / "t10k-images-idx3-ubyte.gz");
}

}  // namespace

TEST(Idx, ReadsPlainAndGzip) {
    TempDir dir;
    const std::vector<uint8_t> data = {1, 2, 3, 4, 5, 6};
    write_plain(dir.path() / "a.idx", idx_bytes(0x08, {2, 3}, data));
    write_gz(dir.path() / "a.idx.gz", idx_bytes(0x08, {2, 3}, data));
    for (const char* name : {"a.idx", "a.idx.gz"}) {
        const IdxArray a = read_idx(dir.path() / name);
        EXPECT_EQ(a.dims, (std::vector<int64_t>{2, 3})) << name;
        EXPECT_EQ(a.data, data) << name;
    }
}

TEST(Idx, DefectsThrowNamingTheFile) {
    TempDir dir;
    const fs::path p = dir.path() / "bad.idx";
    auto err = [&](const std::vector<uint8_t>& bytes) {
        write_plain(p, bytes);
        return error_of([&] { read_idx(p); });
    };
    std::string m = err({0x12, 0x34, 0x08, 0x01, 0, 0, 0, 1, 7});
    EXPECT_EQ(m.rfind(p.string() + ": bad magic 0x12340801", 0), 0u) << m;
    m = err(idx_bytes(0x0D, {1}, {0, 0, 0, 0}));
    EXPECT_EQ(m, p.string() +
                     ": unsupported IDX data type 0x0D (only 0x08, unsigned byte, is "
                     "supported)");
    m = err(idx_bytes(0x08, {3, 2}, {1, 2, 3}));
    EXPECT_EQ(m, p.string() + ": truncated: dimensions 3 x 2 need 6 data bytes, the file has 3");
    m = err(idx_bytes(0x08, {2}, {1, 2, 3}));
    EXPECT_EQ(m, p.string() + ": trailing garbage: 1 bytes after the 2 data bytes of 2");
    m = err({0, 0, 8, 3, 0, 0});
    EXPECT_NE(m.find(p.string() + ": truncated: header declares 3 dimensions"), std::string::npos)
        << m;
    m = err({0, 0});
    EXPECT_NE(m.find(p.string() + ": truncated"), std::string::npos) << m;
    m = err(idx_bytes(0x08, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, {}));
    EXPECT_NE(m.find(p.string() + ": truncated"), std::string::npos) << m;

    // A gzip stream cut short.
    const fs::path gz = dir.path() / "cut.idx.gz";
    std::vector<uint8_t> big(5000);
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 7919 % 251);
    write_gz(gz, idx_bytes(0x08, {5000}, big));
    fs::resize_file(gz, fs::file_size(gz) / 2);
    m = error_of([&] { read_idx(gz); });
    EXPECT_EQ(m.rfind(gz.string() + ": ", 0), 0u) << m;

    m = error_of([&] { read_idx(dir.path() / "none.idx"); });
    EXPECT_EQ(m, (dir.path() / "none.idx").string() + ": no such file");
}

TEST(Idx, FashionMnistLoaderChecksCountsAndFiles) {
    TempDir dir;
    std::vector<uint8_t> pixels(3 * 28 * 28, 0);
    pixels[0] = 255;
    pixels[28 * 28 + 1] = 51;
    write_gz(dir.path() / "t10k-images-idx3-ubyte.gz", idx_bytes(0x08, {3, 28, 28}, pixels));
    write_plain(dir.path() / "t10k-labels-idx1-ubyte", idx_bytes(0x08, {3}, {9, 0, 4}));
    const Dataset ds = load_fashion_mnist("test", 0, dir.path());
    EXPECT_EQ(ds.size(), 3);
    EXPECT_EQ(ds.images.shape, (Shape{3, 1, 28, 28}));
    EXPECT_FLOAT_EQ(ds.images.data[0], 1.0f);
    EXPECT_FLOAT_EQ(ds.images.data[28 * 28 + 1], 0.2f);
    EXPECT_EQ(ds.labels, (std::vector<int32_t>{9, 0, 4}));
    EXPECT_EQ(load_fashion_mnist("t10k", 2, dir.path()).size(), 2);

    // Count mismatch between images and labels.
    write_plain(dir.path() / "t10k-labels-idx1-ubyte", idx_bytes(0x08, {2}, {9, 0}));
    std::string m = error_of([&] { load_fashion_mnist("test", 0, dir.path()); });
    EXPECT_NE(m.find((dir.path() / "t10k-labels-idx1-ubyte").string() + ": 2 labels but 3 images"),
              std::string::npos)
        << m;
    // Label out of range.
    write_plain(dir.path() / "t10k-labels-idx1-ubyte", idx_bytes(0x08, {3}, {9, 10, 0}));
    m = error_of([&] { load_fashion_mnist("test", 0, dir.path()); });
    EXPECT_NE(m.find("label 10 at index 1 outside 0..9"), std::string::npos) << m;
    // Missing file names the path and the Debian package.
    m = error_of([&] { load_fashion_mnist("train", 0, dir.path()); });
    EXPECT_NE(m.find((dir.path() / "train-images-idx3-ubyte.gz").string()), std::string::npos) << m;
    EXPECT_NE(m.find("dataset-fashion-mnist"), std::string::npos) << m;
    EXPECT_THROW(load_fashion_mnist("valid", 0, dir.path()), Error);
    EXPECT_THROW(load_fashion_mnist("test", -1, dir.path()), Error);
}

TEST(Idx, RealFashionMnistTestSplit) {
    if (!has_real_dataset()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
    const Dataset ds = load_fashion_mnist("test");
    ASSERT_EQ(ds.size(), 10000);
    EXPECT_EQ(ds.images.shape, (Shape{10000, 1, 28, 28}));
    std::vector<int> per_class(10, 0);
    for (int32_t y : ds.labels) {
        ASSERT_GE(y, 0);
        ASSERT_LE(y, 9);
        ++per_class[static_cast<size_t>(y)];
    }
    for (int n : per_class) EXPECT_EQ(n, 1000);  // the test split is balanced
    double sum = 0.0;
    float lo = 1.0f, hi = 0.0f;
    for (float v : ds.images.data) {
        sum += v;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    const double mean = sum / static_cast<double>(ds.images.data.size());
    EXPECT_NEAR(mean, 0.286849, 2e-6);
    EXPECT_EQ(lo, 0.0f);
    EXPECT_EQ(hi, 1.0f);
    EXPECT_EQ(ds.labels[0], 9);

    const Dataset head = load_fashion_mnist("test", 5);
    EXPECT_EQ(head.size(), 5);
    EXPECT_EQ(head.images.shape, (Shape{5, 1, 28, 28}));
    EXPECT_TRUE(
        std::equal(head.images.data.begin(), head.images.data.end(), ds.images.data.begin()));
}

// The validation split is the training file's last 10,000 images, labels aligned; a training file
// too short for it is an error naming the file.
TEST(Idx, ValidationSplitIsTheLastTenThousandTrainingImages) {
    if (!has_real_dataset()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
    const Dataset train = load_fashion_mnist("train");
    const Dataset val = load_fashion_mnist("val", 0);
    ASSERT_EQ(train.size(), 60000);
    ASSERT_EQ(val.size(), 10000);
    EXPECT_EQ(val.name, "fashion-mnist/val");
    const size_t px = 28 * 28, first = static_cast<size_t>(kFashionMnistValFirst);
    EXPECT_TRUE(std::equal(val.images.data.begin(), val.images.data.end(),
                           train.images.data.begin() + static_cast<std::ptrdiff_t>(first * px)));
    EXPECT_TRUE(std::equal(val.labels.begin(), val.labels.end(),
                           train.labels.begin() + static_cast<std::ptrdiff_t>(first)));
    EXPECT_EQ(load_fashion_mnist("val", 7).size(), 7);

    TempDir dir;
    write_plain(dir.path() / "train-images-idx3-ubyte",
                idx_bytes(0x08, {2, 28, 28}, std::vector<uint8_t>(2 * px, 0)));
    write_plain(dir.path() / "train-labels-idx1-ubyte", idx_bytes(0x08, {2}, {1, 2}));
    const std::string m = error_of([&] { load_fashion_mnist("val", 0, dir.path()); });
    EXPECT_NE(m.find((dir.path() / "train-images-idx3-ubyte").string() +
                     ": has 2 images, too few for the validation split"),
              std::string::npos)
        << m;
}

// A gzip bomb: the limit on the decompressed size stops it (a small limit here; the default is
// kMaxIdxBytes), and data exactly at the limit still reads.
TEST(ParseIdx, DecompressionIsLimited) {
    std::string plain = std::string("\0\0\x08\x01\0\0\x10\0", 8) + std::string(4096, '\x03');
    uLongf cap = compressBound(static_cast<uLong>(plain.size())) + 64;
    std::string gz(cap, '\0');
    z_stream zs{};
    ASSERT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = reinterpret_cast<Bytef*>(plain.data());
    zs.avail_in = static_cast<uInt>(plain.size());
    zs.next_out = reinterpret_cast<Bytef*>(gz.data());
    zs.avail_out = static_cast<uInt>(gz.size());
    ASSERT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
    gz.resize(zs.total_out);
    deflateEnd(&zs);
    EXPECT_LT(gz.size(), 100u);
    EXPECT_EQ(parse_idx(gz, "bomb.gz", plain.size()).data.size(), 4096u);
    try {
        parse_idx(gz, "bomb.gz", plain.size() - 1);
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "bomb.gz: decompresses to more than 4103 bytes, the limit for an IDX file");
    }
    try {
        parse_idx(plain, "plain.idx", 100);
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "plain.idx: larger than 100 bytes, the limit for an IDX file");
    }
    try {
        parse_idx(gz.substr(0, gz.size() / 2), "cut.gz");
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("cut.gz: truncated"), std::string::npos) << e.what();
    }
}

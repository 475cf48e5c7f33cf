// IDX reader (the MNIST/Fashion-MNIST file format), gzip-compressed or plain, via zlib.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace sparsecim {

struct IdxArray {
    std::vector<int64_t> dims;
    std::vector<uint8_t> data;  // unsigned bytes (type code 0x08); other types are rejected
};

// Reads an IDX file (.gz or plain). Throws Error naming the file on any defect (bad magic,
// truncated data, size disagreeing with the header).
IdxArray read_idx(const std::filesystem::path& path);
// The most bytes an IDX file may hold after decompression (Fashion-MNIST's largest has 47 MB):
// a gzip bomb is an Error, not an exhausted memory.
constexpr size_t kMaxIdxBytes = size_t{1} << 29;
// The same on the bytes of a file (gzip-compressed or plain); `source` names it in errors.
IdxArray parse_idx(const std::string& file_bytes, const std::string& source,
                   size_t max_bytes = kMaxIdxBytes);

struct Dataset {
    std::string name;
    Tensor images;                // N x 1 x 28 x 28, values in [0, 1]
    std::vector<int32_t> labels;  // N
    int64_t size() const { return static_cast<int64_t>(labels.size()); }
};

// Default location of Debian's dataset-fashion-mnist.
std::filesystem::path fashion_mnist_dir();
// The validation split: the training file's images from this index on (the last 10,000), for
// choosing hyper-parameters; finetuning that is scored on it trains on the images before it.
constexpr int64_t kFashionMnistValFirst = 50000;
// split: "train" (all 60,000 training images), "val" (training images 50,000..59,999) or "test"
// (t10k). `limit` > 0 keeps only the first `limit` images of the split.
Dataset load_fashion_mnist(const std::string& split, int64_t limit = 0,
                           const std::filesystem::path& dir = fashion_mnist_dir());

}  // namespace sparsecim

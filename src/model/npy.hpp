// NumPy .npy files (format versions 1.0, 2.0 and 3.0, the format numpy.save writes): a strict
// reader for the arrays a user brings (inputs, labels) and a writer for the arrays sparsecim
// gives back (`sparsecim infer`). No Debian package reads .npy from C++, hence this one file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sparsecim {

// One array. Floating and uint8 data are in `values` (as float, uint8 unscaled), integer data in
// `ints`; the other vector is empty.
struct NpyArray {
    std::string descr;  // the dtype as the header gives it: "<f4", "|u1", "<i8", "<i4", ...
    std::vector<int64_t> shape;
    std::vector<float> values;
    std::vector<int64_t> ints;
    int64_t size() const;  // elements: the product of `shape` (1 for a scalar)
};

// Parses the bytes of a .npy file named `src` (for messages). Accepts little-endian float32,
// float64 (converted to float), uint8, int32 and int64, C order only. Anything else (bad magic,
// a malformed or truncated header, an unknown key, Fortran order, another dtype, a data size
// that does not match the shape, trailing bytes) throws Error naming `src`.
NpyArray parse_npy(const std::string& bytes, const std::string& src);
NpyArray read_npy(const std::filesystem::path& path);

// The bytes of a version 1.0 .npy file holding `data` as little-endian float32 of `shape`.
std::string npy_bytes(const std::vector<int64_t>& shape, const std::vector<float>& data);
// The same for int64 data (labels).
std::string npy_int64_bytes(const std::vector<int64_t>& shape, const std::vector<int64_t>& data);

}  // namespace sparsecim

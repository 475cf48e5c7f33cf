// IDX reader: gzip-compressed files are inflated in memory with zlib (up to a size limit), plain
// files read as they are. Every defect
// (bad magic, unsupported type, truncated data, trailing bytes) is an Error naming the file.
#include "model/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <span>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace sparsecim {

namespace {

[[noreturn]] void fail(const std::string& source, const std::string& problem) {
    throw Error(source + ": " + problem);
}

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& problem) {
    fail(path.string(), problem);
}

std::string mib(size_t bytes) {
    return bytes >= (size_t{1} << 20) ? std::to_string(bytes >> 20) + " MiB"
                                      : std::to_string(bytes) + " bytes";
}

// Inflates gzip data in memory, refusing output beyond `max_bytes`.
std::string gunzip(const std::string& gz, const std::string& source, size_t max_bytes) {
    z_stream zs{};
    if (inflateInit2(&zs, 15 + 16) != Z_OK) fail(source, "zlib initialisation failed");
    std::string out;
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
    zs.avail_in = static_cast<uInt>(gz.size());
    constexpr size_t kChunk = size_t{1} << 20;
    for (;;) {
        // At most one byte past the limit, so exceeding it shows without inflating further.
        const size_t old = out.size();
        const size_t chunk = std::min(kChunk, max_bytes - old + 1);
        out.resize(old + chunk);
        zs.next_out = reinterpret_cast<Bytef*>(out.data() + old);
        zs.avail_out = static_cast<uInt>(chunk);
        const int rc = inflate(&zs, Z_NO_FLUSH);
        out.resize(old + chunk - zs.avail_out);
        std::string problem;
        if (out.size() > max_bytes)
            problem = "decompresses to more than " + mib(max_bytes) + ", the limit for an IDX file";
        else if (rc == Z_STREAM_END)
            break;
        else if (zs.avail_in == 0 && (rc == Z_OK || rc == Z_BUF_ERROR) && zs.avail_out != 0)
            problem = "truncated: the gzip stream ends early (unexpected end of file)";
        else if (rc != Z_OK)
            problem = "gzip data is corrupt (" + std::string(zs.msg ? zs.msg : "no detail") + ")";
        if (!problem.empty()) {
            inflateEnd(&zs);
            fail(source, problem);
        }
    }
    const bool trailing = zs.avail_in != 0;
    inflateEnd(&zs);
    if (trailing) fail(source, "trailing garbage after the gzip stream");
    return out;
}

uint32_t be32(const uint8_t* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

std::string dims_str(const std::vector<int64_t>& dims) {
    std::string s;
    for (size_t i = 0; i < dims.size(); ++i) s += (i ? " x " : "") + std::to_string(dims[i]);
    return s;
}

}  // namespace

IdxArray read_idx(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) fail(path, "no such file");
    return parse_idx(read_file(path), path.string());
}

IdxArray parse_idx(const std::string& file_bytes, const std::string& source, size_t max_bytes) {
    const bool gz = file_bytes.size() >= 2 && static_cast<uint8_t>(file_bytes[0]) == 0x1f &&
                    static_cast<uint8_t>(file_bytes[1]) == 0x8b;
    if (!gz && file_bytes.size() > max_bytes)
        fail(source, "larger than " + mib(max_bytes) + ", the limit for an IDX file");
    const std::string unpacked = gz ? gunzip(file_bytes, source, max_bytes) : std::string();
    const std::string& text = gz ? unpacked : file_bytes;
    const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(text.data()),
                                         text.size());
    const std::string path = source;
    if (bytes.size() < 4) {
        fail(path,
             "truncated: " + std::to_string(bytes.size()) + " bytes, too short for an IDX header");
    }
    if (bytes[0] != 0 || bytes[1] != 0) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "0x%08X", be32(bytes.data()));
        fail(path, std::string("bad magic ") + buf +
                       " (an IDX file starts with 0x0000, e.g. 0x00000803 images, 0x00000801 "
                       "labels)");
    }
    if (bytes[2] != 0x08) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "0x%02X", static_cast<unsigned>(bytes[2]));
        fail(path, std::string("unsupported IDX data type ") + buf +
                       " (only 0x08, unsigned byte, is supported)");
    }
    const size_t ndims = bytes[3];
    if (ndims == 0) fail(path, "IDX header declares 0 dimensions");
    const size_t header = 4 + 4 * ndims;
    if (bytes.size() < header) {
        fail(path, "truncated: header declares " + std::to_string(ndims) + " dimensions but the " +
                       "file has " + std::to_string(bytes.size()) + " bytes");
    }
    IdxArray out;
    uint64_t count = 1;
    const uint64_t available = bytes.size() - header;
    for (size_t i = 0; i < ndims; ++i) {
        const uint32_t dim = be32(bytes.data() + 4 + 4 * i);
        out.dims.push_back(dim);
        // Saturate instead of overflowing; anything above `available` is reported below.
        if (dim != 0 && count > std::numeric_limits<uint64_t>::max() / dim) {
            count = std::numeric_limits<uint64_t>::max();
        } else {
            count *= dim;
        }
    }
    if (available < count) {
        fail(path, "truncated: dimensions " + dims_str(out.dims) + " need " +
                       std::to_string(count) + " data bytes, the file has " +
                       std::to_string(available));
    }
    if (available > count) {
        fail(path, "trailing garbage: " + std::to_string(available - count) + " bytes after the " +
                       std::to_string(count) + " data bytes of " + dims_str(out.dims));
    }
    out.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
    return out;
}

std::filesystem::path fashion_mnist_dir() {
    return "/usr/share/datasets/fashion-mnist";
}

namespace {

std::filesystem::path dataset_file(const std::filesystem::path& dir, const std::string& stem) {
    const std::filesystem::path gz = dir / (stem + ".gz");
    const std::filesystem::path plain = dir / stem;
    std::error_code ec;
    if (std::filesystem::is_regular_file(gz, ec)) return gz;
    if (std::filesystem::is_regular_file(plain, ec)) return plain;
    throw Error(gz.string() +
                ": no such file (Fashion-MNIST comes with the Debian package "
                "dataset-fashion-mnist: apt-get install dataset-fashion-mnist)");
}

}  // namespace

Dataset load_fashion_mnist(const std::string& split, int64_t limit,
                           const std::filesystem::path& dir) {
    std::string prefix;
    int64_t first = 0;  // index of the split's first image in its file
    if (split == "train") {
        prefix = "train";
    } else if (split == "val") {
        prefix = "train";
        first = kFashionMnistValFirst;
    } else if (split == "test" || split == "t10k") {
        prefix = "t10k";
    } else {
        throw Error("fashion-mnist: unknown split '" + split + "' (expected train, val or test)");
    }
    if (limit < 0) {
        throw Error("fashion-mnist: limit must be >= 0 (got " + std::to_string(limit) + ")");
    }
    const std::filesystem::path images_path = dataset_file(dir, prefix + "-images-idx3-ubyte");
    const std::filesystem::path labels_path = dataset_file(dir, prefix + "-labels-idx1-ubyte");
    const IdxArray images = read_idx(images_path);
    const IdxArray labels = read_idx(labels_path);
    if (images.dims.size() != 3 || images.dims[1] != 28 || images.dims[2] != 28) {
        fail(images_path, "expected N x 28 x 28 images, got " + dims_str(images.dims));
    }
    if (labels.dims.size() != 1) {
        fail(labels_path, "expected a 1-D label array, got " + dims_str(labels.dims));
    }
    if (images.dims[0] != labels.dims[0]) {
        fail(labels_path, std::to_string(labels.dims[0]) + " labels but " +
                              std::to_string(images.dims[0]) + " images in " +
                              images_path.string());
    }
    if (first >= images.dims[0])
        fail(images_path, "has " + std::to_string(images.dims[0]) +
                              " images, too few for the validation split from image " +
                              std::to_string(first));
    int64_t n = images.dims[0] - first;
    if (limit > 0 && limit < n) n = limit;

    Dataset ds;
    ds.name = "fashion-mnist/" + (prefix == "t10k" ? std::string("test") : split);
    ds.images = Tensor({n, 1, 28, 28});
    const size_t pixels = static_cast<size_t>(n) * 28 * 28;
    const size_t skip = static_cast<size_t>(first);
    for (size_t i = 0; i < pixels; ++i)
        ds.images.data[i] = static_cast<float>(images.data[skip * 28 * 28 + i]) / 255.0f;
    ds.labels.resize(static_cast<size_t>(n));
    for (size_t i = 0; i < ds.labels.size(); ++i) {
        const uint8_t y = labels.data[skip + i];
        if (y > 9) {
            fail(labels_path, "label " + std::to_string(y) + " at index " +
                                  std::to_string(skip + i) + " outside 0..9");
        }
        ds.labels[i] = y;
    }
    return ds;
}

}  // namespace sparsecim

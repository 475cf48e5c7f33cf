#include "model/dataset.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace sparsecim {

namespace {

[[noreturn]] void bad_field(const std::string& field, const std::string& detail,
                            std::vector<std::string> mentions = {}) {
    throw FieldError(Origin::Option, field, detail, std::move(mentions));
}

// `values` (one, or one per channel) for `channels` channels.
std::vector<float> per_channel(const std::vector<float>& values, const char* field,
                               int64_t channels, float fallback) {
    if (values.empty()) return std::vector<float>(static_cast<size_t>(channels), fallback);
    if (values.size() == 1) return std::vector<float>(static_cast<size_t>(channels), values[0]);
    if (static_cast<int64_t>(values.size()) != channels)
        bad_field(field, std::to_string(values.size()) + " values for images of " +
                             std::to_string(channels) + " channels");
    return values;
}

// The labels of a .npy file: int32/int64, one dimension, every one >= 0.
std::vector<int32_t> npy_labels(const std::string& path) {
    const NpyArray a = read_npy(path);
    if (a.ints.empty() && a.size() > 0)
        throw Error(path + ": dtype '" + a.descr + "': labels must be int32 or int64");
    if (a.shape.size() != 1)
        throw Error(path + ": labels must have one dimension [N], got " +
                    shape_str(Shape(a.shape.begin(), a.shape.end())));
    std::vector<int32_t> out(a.ints.size());
    for (size_t i = 0; i < out.size(); ++i) {
        if (a.ints[i] < 0 || a.ints[i] > (int64_t{1} << 30))
            throw Error(path + ": label " + std::to_string(a.ints[i]) + " at index " +
                        std::to_string(i) + " is not a class index");
        out[i] = static_cast<int32_t>(a.ints[i]);
    }
    return out;
}

// Rows [first, first + n) of images `x` and labels `y` as a Dataset.
Dataset rows(const std::string& name, const Tensor& x, const std::vector<int32_t>& y, int64_t first,
             int64_t n) {
    Dataset d;
    d.name = name;
    d.images = slice_rows(x, first, n);
    d.labels.assign(y.begin() + first, y.begin() + first + n);
    return d;
}

// The whole of one .npy images/labels pair, checked against each other.
Dataset load_pair(const DataSource& src, const std::string& images_path,
                  const std::string& labels_path, const char* images_field,
                  const char* labels_field) {
    if (labels_path.empty())
        bad_field(labels_field, "is needed with " + std::string(images_field), {images_field});
    const NpyArray x = read_npy(images_path);
    Dataset d;
    d.name = images_path;
    d.images = npy_images(x, images_path, src.mean, src.stdev);
    if (d.images.rank() < 2)
        throw Error(images_path + ": images must be [N, ...] with N images first, got " +
                    shape_str(d.images.shape));
    d.labels = npy_labels(labels_path);
    if (static_cast<int64_t>(d.labels.size()) != d.images.shape[0])
        throw Error(labels_path + ": " + std::to_string(d.labels.size()) + " labels but " +
                    std::to_string(d.images.shape[0]) + " images in " + images_path);
    return d;
}

int64_t labels_rows(const std::string& path) {
    return static_cast<int64_t>(npy_labels(path).size());
}

}  // namespace

std::string DataSource::name() const {
    return npy() ? inputs : "fashion-mnist";
}

Tensor npy_images(const NpyArray& a, const std::string& path, const std::vector<float>& mean,
                  const std::vector<float>& stdev) {
    if (a.values.empty() && !a.ints.empty())
        throw Error(path + ": dtype '" + a.descr + "': images must be float32, float64 or uint8");
    const int64_t channels = a.shape.size() > 1 ? a.shape[1] : 1;
    const std::vector<float> m = per_channel(mean, "mean", channels, 0.0f);
    const std::vector<float> s = per_channel(stdev, "std", channels, 1.0f);
    for (float v : s)
        if (!(v > 0.0f)) bad_field("std", "every value must be > 0");
    const bool u8 = !a.descr.empty() && a.descr.back() == '1';
    const int64_t n = a.shape.empty() ? 1 : a.shape[0];
    const int64_t per_image = n ? a.size() / n : 0;
    const int64_t per_channel_px = std::max<int64_t>(1, channels ? per_image / channels : 0);
    std::vector<float> v(a.values.size());
    for (size_t i = 0; i < v.size(); ++i) {
        const auto c = static_cast<size_t>(
            (static_cast<int64_t>(i) % std::max<int64_t>(1, per_image)) / per_channel_px);
        const float raw = u8 ? a.values[i] / 255.0f : a.values[i];
        v[i] = (raw - m[c]) / s[c];
    }
    return Tensor(Shape(a.shape.begin(), a.shape.end()), std::move(v));
}

int64_t npy_split_rows(const DataSource& src, const std::string& split) {
    if (split == "test") return labels_rows(src.labels);
    if (src.train_inputs.empty()) return 0;
    const int64_t n = labels_rows(src.train_labels);
    return split == "val" ? n / 6 : n;
}

int64_t val_first(const DataSource& src) {
    if (!src.npy()) return kFashionMnistValFirst;
    if (src.train_inputs.empty()) return 0;
    const int64_t n = labels_rows(src.train_labels);
    return n - n / 6;
}

Dataset load_split(const DataSource& src, const std::string& split, int64_t limit) {
    if (limit < 0) throw Error("dataset: limit must be >= 0 (got " + std::to_string(limit) + ")");
    if (!src.npy()) {
        const std::filesystem::path dir =
            src.dir.empty() ? fashion_mnist_dir() : std::filesystem::path(src.dir);
        return load_fashion_mnist(split == "calib" ? "train" : split, limit, dir);
    }
    if (src.train_inputs.empty() && !src.train_labels.empty())
        bad_field("train_inputs", "is needed with train_labels", {"train_labels"});
    auto take = [&](const Dataset& d, int64_t first, int64_t count, const std::string& name) {
        const int64_t n = limit > 0 ? std::min(limit, count) : count;
        return rows(name, d.images, d.labels, first, n);
    };
    if (split == "test") {
        const Dataset d = load_pair(src, src.inputs, src.labels, "inputs", "labels");
        return take(d, 0, d.size(), d.name);
    }
    if (split == "calib" && src.train_inputs.empty()) {
        // The last `limit` evaluation images: the evaluated ones are the first.
        const Dataset d = load_pair(src, src.inputs, src.labels, "inputs", "labels");
        const int64_t n = limit > 0 ? std::min(limit, d.size()) : d.size();
        return rows(d.name + " (calibration: the last " + std::to_string(n) + ")", d.images,
                    d.labels, d.size() - n, n);
    }
    if (split != "train" && split != "val" && split != "calib")
        throw Error("dataset: unknown split '" + split + "' (expected train, val, test or calib)");
    if (src.train_inputs.empty())
        bad_field("train_inputs",
                  "the " + split + " split needs a training set besides the evaluated inputs",
                  {"inputs"});
    const Dataset d =
        load_pair(src, src.train_inputs, src.train_labels, "train_inputs", "train_labels");
    const int64_t first = d.size() - d.size() / 6;
    if (split == "val") {
        if (first >= d.size())
            throw Error(src.train_inputs + ": " + std::to_string(d.size()) +
                        " images are too few for a validation split (its last sixth)");
        return take(d, first, d.size() - first, d.name + " (validation: the last sixth)");
    }
    return take(d, 0, d.size(), d.name);
}

}  // namespace sparsecim

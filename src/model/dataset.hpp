// Where a run's images and labels come from: Fashion-MNIST (Debian's dataset-fashion-mnist, the
// default) or the user's own NumPy arrays (.npy), split the same way for every command.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/idx.hpp"
#include "model/npy.hpp"

namespace sparsecim {

struct DataSource {
    std::string dir;  // Fashion-MNIST directory; empty = Debian's (used when `inputs` is empty)
    // The user's evaluation set: images [N, C, H, W] (float32/float64 as they are, uint8 scaled
    // to [0, 1]) and labels [N] (int32/int64, >= 0). Empty = Fashion-MNIST.
    std::string inputs, labels;
    // The user's training set, for calibration, finetuning and the validation split (optional:
    // without it calibration takes the last images of `inputs`, and nothing can be trained).
    std::string train_inputs, train_labels;
    // Per-channel normalisation of .npy images, (x - mean) / std: one value for every channel, or
    // one per channel; empty = none.
    std::vector<float> mean, stdev;

    bool npy() const { return !inputs.empty(); }
    // How results name it: "fashion-mnist" or the inputs' path.
    std::string name() const;
};

// The images of split `split` of `src`, the first `limit` of them when `limit` > 0:
//  - "test": Fashion-MNIST's test set, or `inputs`/`labels`;
//  - "train": Fashion-MNIST's 60,000 training images, or `train_inputs`/`train_labels`;
//  - "val": the training set's last sixth (Fashion-MNIST: images 50,000..59,999), from
//    val_first(src) on, for choosing hyper-parameters;
//  - "calib": calibration images: the training set's first, or without `train_inputs` the last
//    `limit` images of `inputs` (a range the evaluated images, the first ones, must not reach).
// Every defect (a missing file, a bad dtype or shape, labels that disagree with the images, a
// split with no data) throws Error naming the file, or FieldError naming the DataSource field.
Dataset load_split(const DataSource& src, const std::string& split, int64_t limit = 0);

// The images of a .npy source's "test", "train" or "val" split (without a limit).
int64_t npy_split_rows(const DataSource& src, const std::string& split);
// The first image of the validation split in the training set (the training set's size minus
// its sixth: 50,000 for Fashion-MNIST). Finetuning scored on "val" trains on the images before.
int64_t val_first(const DataSource& src);

// The images of a .npy array `a` read from `path`, as a float tensor of its shape: uint8 scaled
// to [0, 1], then (x - mean[c]) / std[c] along dimension 1. Integer arrays are an Error.
Tensor npy_images(const NpyArray& a, const std::string& path, const std::vector<float>& mean,
                  const std::vector<float>& stdev);

}  // namespace sparsecim

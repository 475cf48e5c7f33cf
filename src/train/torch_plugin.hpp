// The LibTorch trainer as a plug-in loaded on first use.
//
// LibTorch costs about a second of start-up (its shared libraries and their static
// initialisers) in every process that links it, though most runs never train. The command line
// therefore does not link it: training lives in `libsparsecim_torch.so`, built beside the
// executable (src/train/plugin/entry_torch.cpp), and `torch_functions()` loads it the first time
// a command trains or finetunes. Tests and other programs that link `sparsecim_torch` call
// train.hpp's functions directly.
#pragma once

#include <cstdint>

#include "train/train.hpp"

namespace sparsecim {

// What the plug-in exports, by the C name kTorchPluginEntry. `abi` must equal kTorchPluginAbi
// (a plug-in from another build is refused, not called).
struct TorchFunctions {
    int abi = 0;
    void (*validate)(const TrainOptions&) = nullptr;
    TrainResult (*train_graph)(const Graph&, const Dataset&, const Dataset&,
                               const TrainOptions&) = nullptr;
    double (*torch_accuracy)(const Graph&, const Dataset&, int64_t, int) = nullptr;
};

constexpr int kTorchPluginAbi = 1;
constexpr const char* kTorchPluginEntry = "sparsecim_torch_functions";
using TorchPluginEntryFn = const TorchFunctions* (*)();

// The plug-in's functions, loading it on the first call: $SPARSECIM_TORCH_PLUGIN when set, else
// libsparsecim_torch.so in the running executable's directory. Throws Error naming the file
// when it is missing, does not load, or is from another build.
const TorchFunctions& torch_functions();

}  // namespace sparsecim

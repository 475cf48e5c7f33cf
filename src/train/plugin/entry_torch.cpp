// The entry of libsparsecim_torch.so (train/torch_plugin.hpp): the trainer's functions, by a C
// name the loader looks up.
#include "train/torch_plugin.hpp"

extern "C" __attribute__((visibility("default"))) const sparsecim::TorchFunctions*
sparsecim_torch_functions() {
    static const sparsecim::TorchFunctions f{sparsecim::kTorchPluginAbi, &sparsecim::validate,
                                             &sparsecim::train_graph, &sparsecim::torch_accuracy};
    return &f;
}

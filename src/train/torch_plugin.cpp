#include "train/torch_plugin.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>

#include "core/error.hpp"

namespace sparsecim {

namespace {

std::string plugin_path() {
    if (const char* env = std::getenv("SPARSECIM_TORCH_PLUGIN"); env && *env) return env;
    std::error_code ec;
    const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) throw Error("LibTorch plug-in: cannot locate the running executable (/proc/self/exe)");
    return (exe.parent_path() / "libsparsecim_torch.so").string();
}

const TorchFunctions* load() {
    const std::string path = plugin_path();
    if (!std::filesystem::exists(path))
        throw Error(path +
                    ": LibTorch plug-in not found (build the `sparsecim_torch_plugin` target, "
                    "or set SPARSECIM_TORCH_PLUGIN)");
    // RTLD_LOCAL: LibTorch's symbols and the plug-in's copy of the project's code stay out of
    // the executable's scope. Never closed: its code runs until the process ends.
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) throw Error(path + ": cannot load the LibTorch plug-in: " + dlerror());
    void* sym = dlsym(handle, kTorchPluginEntry);
    if (!sym)
        throw Error(path + ": not a sparsecim LibTorch plug-in (no " + kTorchPluginEntry + ")");
    const TorchFunctions* f = reinterpret_cast<TorchPluginEntryFn>(sym)();
    if (!f || f->abi != kTorchPluginAbi || !f->validate || !f->train_graph || !f->torch_accuracy)
        throw Error(path + ": LibTorch plug-in from another build (interface " +
                    std::to_string(f ? f->abi : 0) + ", expected " +
                    std::to_string(kTorchPluginAbi) + ")");
    return f;
}

}  // namespace

const TorchFunctions& torch_functions() {
    static std::mutex m;
    static const TorchFunctions* loaded = nullptr;
    const std::lock_guard<std::mutex> lock(m);
    if (!loaded) loaded = load();
    return *loaded;
}

}  // namespace sparsecim

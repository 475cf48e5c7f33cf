// libFuzzer entry point: sparsecim::fuzz::npy (fuzz/targets.hpp). Run by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>

#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    sparsecim::fuzz::npy(std::string(reinterpret_cast<const char*>(data), size));
    return 0;
}

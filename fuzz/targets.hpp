// The fuzz targets' bodies, shared by the libFuzzer entry points (fuzz/fuzz_*.cpp, preset `fuzz`,
// scripts/fuzz.sh) and by the regression test that replays every input in fuzz/regressions/
// (tests/test_fuzz_regressions.cpp). Hostile input may only end in sparsecim::Error: any other
// exception, a crash, a sanitizer report, a hang or an exhausted memory limit is a bug.
#pragma once

#include <string>

#include "core/error.hpp"
#include "hw/hw_config.hpp"
#include "import/onnx_io.hpp"
#include "import/summary.hpp"
#include "model/idx.hpp"
#include "model/npy.hpp"
#include "pipeline/experiment.hpp"

namespace sparsecim::fuzz {

// ONNX import, then a float run on one zero image (what `sparsecim import` does).
inline void onnx_model(const std::string& bytes) {
    try {
        const Graph g = import_onnx_bytes(bytes, "fuzz.onnx");
        summarize(g);
    } catch (const Error&) {
    }
}

// A hardware config, its JSON echo and a parse of the echo (which must succeed: it is the same
// config).
inline void hw_config(const std::string& text) {
    HwConfig hw;
    try {
        hw = parse_hw_config(text, "fuzz-hw.yaml");
    } catch (const Error&) {
        return;
    }
    parse_hw_config(to_json(hw).dump(), "fuzz-hw-echo.json");
}

// An experiment file (paths relative to a folder that does not exist, so a model or hardware
// file it names is missing: only zoo: models and the default hardware pass).
inline void experiment(const std::string& text) {
    try {
        parse_experiment(text, "/nonexistent-fuzz-dir/fuzz-exp.yaml", "/nonexistent-fuzz-out");
    } catch (const Error&) {
    }
}

// An IDX file (gzip-compressed or plain).
inline void idx(const std::string& bytes) {
    try {
        parse_idx(bytes, "fuzz.idx");
    } catch (const Error&) {
    }
}

// A .npy file; what is read must survive the writer and a second read unchanged (float data).
inline void npy(const std::string& bytes) {
    NpyArray a;
    try {
        a = parse_npy(bytes, "fuzz.npy");
    } catch (const Error&) {
        return;
    }
    if (a.values.empty() || a.shape.empty()) return;
    const NpyArray b = parse_npy(npy_bytes(a.shape, a.values), "fuzz-echo.npy");
    if (b.shape != a.shape || b.values.size() != a.values.size()) __builtin_trap();
}

}  // namespace sparsecim::fuzz
